"""Framework files: shipped sets validate with the expected totals; broken files give exact messages."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from dti.framework import FrameworkError, Period, load_all, load_file, load_framework
from dti.framework.loader import parse_framework, total_max
from dti.framework.metric_catalogue import METRICS
from dti.scoring import aggregate_unit
from dti.text import code_key

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "data" / "frameworks"
SHIPPED = ROOT / "frameworks"

BROKEN = {
    "broken-code-shape.yaml": [
        "pillars[0].main_indices[0].components[2].code (dòng / line 49): giá trị / value 'A3' — mã chỉ số thành phần phải có dạng 4.1 (mã chỉ số chính '4' + số thứ tự) / component code must look like 4.1 (main index code + number)",
        "pillars[0].main_indices[0].components[3].criteria[1].code (dòng / line 77): giá trị / value '4.22-2' — mã tiêu chí phải có dạng 4.22.1 (mã chỉ số thành phần + '.' + số) / criterion code must look like 4.22.1 (component code + '.' + number)",
    ],
    "broken-code-unquoted.yaml": [
        "pillars[0].main_indices[0].components[3].criteria[2].code (dòng / line 84): giá trị / value 4.1 — mã phải là chuỗi ký tự trong dấu nháy, ví dụ '4.10' (không có nháy, YAML đọc 4.10 thành số 4.1) / must be quoted text such as '4.10' (unquoted, YAML reads 4.10 as the number 4.1)",
    ],
    "broken-criteria-sum.yaml": [
        "pillars[0].main_indices[0].components[3].max_points (dòng / line 63): giá trị / value 30 — phải bằng tổng điểm các tiêu chí (25) / must equal the criteria total (25)",
        "unit_types[0].scale (dòng / line 13): giá trị / value 100 — tổng điểm tối đa các chỉ số áp dụng cho 'dept' là 95, không khớp thang điểm 100 / leaf maxima applicable to 'dept' add up to 95, not the declared scale 100",
        "unit_types[1].scale (dòng / line 15): giá trị / value 70 — tổng điểm tối đa các chỉ số áp dụng cho 'dept_small' là 65, không khớp thang điểm 70 / leaf maxima applicable to 'dept_small' add up to 65, not the declared scale 70",
    ],
    "broken-duplicate-code.yaml": [
        "pillars[0].main_indices[0].components[2].code (dòng / line 49): giá trị / value '4.2' — mã bị trùng với pillars[0].main_indices[0].components[1] / duplicate code, first used at pillars[0].main_indices[0].components[1]",
    ],
    "broken-duplicate-tier.yaml": [
        "pillars[0].main_indices[0].components[3].criteria[0].method.tiers[2].level (dòng / line 74): giá trị / value 1 — mức bị trùng với tiers[1] / duplicate tier level",
    ],
    "broken-metric-source.yaml": [
        "pillars[0].main_indices[0].components[1].source (dòng / line 47): giá trị / value 'DVC' — số liệu 'doc_signed_rate' do hệ thống DOC cung cấp, không phải DVC / metric 'doc_signed_rate' comes from DOC, not DVC",
    ],
    "broken-missing-param.yaml": [
        "pillars[0].main_indices[0].components[1].method.threshold (dòng / line 45): giá trị / value (trống / missing) — phương pháp 'pass_mark' cần tham số 'threshold' / method 'pass_mark' needs 'threshold'",
    ],
    "broken-negative-max.yaml": [
        "pillars[0].main_indices[0].components[1].max_points (dòng / line 44): giá trị / value -20 — phải ≥ 0 / must be ≥ 0",
    ],
    "broken-sum-scale.yaml": [
        "unit_types[0].scale (dòng / line 13): giá trị / value 100 — tổng điểm tối đa các chỉ số áp dụng cho 'dept' là 95, không khớp thang điểm 100 / leaf maxima applicable to 'dept' add up to 95, not the declared scale 100",
        "unit_types[1].scale (dòng / line 15): giá trị / value 70 — tổng điểm tối đa các chỉ số áp dụng cho 'dept_small' là 65, không khớp thang điểm 70 / leaf maxima applicable to 'dept_small' add up to 65, not the declared scale 70",
    ],
    "broken-unit-type-applies.yaml": [
        "pillars[0].main_indices[0].components[0].applies_to[1] (dòng / line 40): giá trị / value 'depts' — loại đơn vị không có trong unit_types (dept, dept_small) / unknown unit type, expected one of unit_types",
    ],
    "broken-unit-type-deadline.yaml": [
        "rounds[0].deadlines.commune (dòng / line 23): giá trị / value 'commune' — loại đơn vị không có trong unit_types (dept, dept_small) / unknown unit type, expected one of unit_types or '*'",
    ],
    "broken-unknown-field.yaml": [
        "pillars[0].main_indices[0].components[3].criteria[1].max_point (dòng / line 80): giá trị / value 5 — trường không được phép (sai chính tả?) / unknown field (misspelt?)",
        "pillars[0].main_indices[0].components[3].criteria[1].max_points (dòng / line 77): giá trị / value (trống / missing) — thiếu trường bắt buộc / required field is missing",
    ],
    "broken-unknown-metric.yaml": [
        "pillars[0].main_indices[0].components[0].metric (dòng / line 39): giá trị / value 'dvc_online_submision_rate' — số liệu không có trong danh mục (dti/framework/metric_catalogue.py) / unknown metric id; có phải / did you mean 'dvc_online_submission_rate'?",
    ],
    "broken-wrong-type.yaml": [
        "pillars[0].main_indices[0].components[1].max_points (dòng / line 44): giá trị / value 'hai mươi' — cần một số, ví dụ 20 hoặc 0.8 / expected a number such as 20 or 0.8",
    ],
    "broken-yaml-syntax.yaml": [
        "dòng / line 43, cột / column 11: giá trị / value 'name_en: [oops' — YAML sai cú pháp (kiểm tra thụt lề, dấu nháy, ngoặc) / YAML syntax error (check indentation, quotes, brackets): while parsing a block collection: expected <block end>, but found '?'",
    ],
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_file_gives_exact_message(name):
    path = FIXTURES / name
    with pytest.raises(FrameworkError) as info:
        load_file(path)
    assert info.value.messages() == BROKEN[name]
    first = str(info.value).splitlines()[0]
    assert first == f"Bộ chỉ số không hợp lệ / invalid framework: {path} ({len(BROKEN[name])} lỗi / problems)"


def test_every_broken_fixture_is_covered():
    assert sorted(p.name for p in FIXTURES.glob("broken-*.yaml")) == sorted(BROKEN)


def test_valid_mini_fixture_loads_and_sorts_codes_naturally():
    fw = load_file(FIXTURES / "valid-mini.yaml")
    assert [leaf.code for leaf in fw.leaves()] == ["4.1", "4.2", "4.3", "4.22.1", "4.22.2", "4.22.10"]
    assert total_max(fw, "dept") == 100
    assert total_max(fw, "dept_small") == 70


def test_missing_file_and_non_mapping_are_reported(tmp_path):
    with pytest.raises(FrameworkError) as info:
        load_file(tmp_path / "nope.yaml")
    assert info.value.messages() == ["(tệp / file): giá trị / value (trống / missing) — không tìm thấy tệp / file not found"]
    (tmp_path / "list.yaml").write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(FrameworkError) as info:
        load_file(tmp_path / "list.yaml")
    assert info.value.messages() == [
        "(gốc / root): giá trị / value 'list' — cần một bảng YAML (khoá: giá trị) / expected a YAML mapping"
    ]


def _mini() -> dict:
    return yaml.safe_load((FIXTURES / "valid-mini.yaml").read_text(encoding="utf-8"))


def _leaf(data, ci, ki=None):
    comp = data["pillars"][0]["main_indices"][0]["components"][ci]
    return comp if ki is None else comp["criteria"][ki]


@pytest.mark.parametrize(
    ("mutate", "path", "expected_start"),
    [
        (lambda d: _leaf(d, 2)["method"]["steps"].append({"at_least": 3, "points": 5}),
         "pillars[0].main_indices[0].components[2].method.steps[2].points", "bậc cao hơn không được ít điểm hơn"),
        (lambda d: _leaf(d, 1)["method"].update(threshold=80),
         "pillars[0].main_indices[0].components[1].method.threshold", "ngưỡng đạt là tỷ lệ trong (0, 1]"),
        (lambda d: _leaf(d, 0)["method"].update(target=Decimal("0.8")),
         "pillars[0].main_indices[0].components[0].method.target", "tham số 'target' không dùng cho phương pháp 'ratio'"),
        (lambda d: _leaf(d, 2).update(measure="tier"),
         "pillars[0].main_indices[0].components[2].measure", "phương pháp 'steps' cần loại đo count, rate"),
        (lambda d: _leaf(d, 2).update(metric="doc_signed_rate"),
         "pillars[0].main_indices[0].components[2].metric", "nguồn EVD (chỉ có tài liệu kiểm chứng)"),
        (lambda d: _leaf(d, 1).pop("metric"),
         "pillars[0].main_indices[0].components[1].metric", "nguồn DOC cần chỉ rõ số liệu khách quan"),
        (lambda d: d["rounds"][0].update(data_to="13-01"), "rounds[0].data_to", "cần ngày dạng MM-DD"),
        (lambda d: d.update(valid_to=dt.date(2024, 1, 1)), "valid_to", "phải từ 2025-01-01 trở đi"),
        (lambda d: d.update(id="Mini 2025"), "id", "mã bộ chỉ số chỉ gồm chữ thường"),
        (lambda d: _leaf(d, 3).update(method={"kind": "ratio"}),
         "pillars[0].main_indices[0].components[3].method", "chỉ số có tiêu chí không tự chấm điểm"),
        (lambda d: _leaf(d, 0).update(source="XYZ"),
         "pillars[0].main_indices[0].components[0].source", "phải là một trong: DVC, DOC, SEC, EVD hoặc TAB / must be one of: DVC, DOC, SEC, EVD or TAB"),
        (lambda d: _leaf(d, 1).pop("name_en"),
         "pillars[0].main_indices[0].components[1].name_en", "cần tên tiếng Anh / English name required"),
    ],
)
def test_more_rules_name_the_path_and_the_expectation(mutate, path, expected_start):
    data = _mini()
    mutate(data)
    with pytest.raises(FrameworkError) as info:
        parse_framework(data, "mini")
    matches = [p for p in info.value.problems if p[0] == path]
    assert matches, info.value.problems
    assert matches[0][2].startswith(expected_start)
    assert " / " in matches[0][2]  # English alongside


# ---- shipped frameworks -----------------------------------------------------------------------


def test_shipped_frameworks_load():
    assert sorted(load_all(SHIPPED)) == ["default-commune-2025", "default-dept-2025", "district-2024"]


def test_dept_framework_totals_1000_and_750_without_public_services():
    fw = load_framework("default-dept-2025", SHIPPED)
    assert total_max(fw, "dept_tthc") == 1000
    assert total_max(fw, "dept_no_tthc") == 750
    dropped = [leaf.code for leaf in fw.leaves() if not fw.applies(leaf, "dept_no_tthc")]
    assert dropped == [f"F{i}" for i in range(1, 12)]
    by_main = {m.code: sum(c.max_points for c in m.components) for m in fw.main_indices()}
    assert by_main == {"A": 80, "B": 80, "C": 100, "D": 80, "E": 120, "F": 340, "G": 100, "H": 100}
    assert len(fw.leaves()) == 40


def test_dept_no_procedures_renormalise_setting_scales_to_1000():
    data = yaml.safe_load((SHIPPED / "default-dept-2025.yaml").read_text(encoding="utf-8"))
    data["policy"]["not_applicable"] = "renormalise"
    # Under renormalise the scale of every unit type is the full 1000; leaving 750 is an error.
    with pytest.raises(FrameworkError) as info:
        parse_framework(data, "renormalise.yaml")
    assert [p[0] for p in info.value.problems] == ["unit_types[1].scale"]
    data["unit_types"][1]["scale"] = 1000
    fw = parse_framework(data, "renormalise.yaml")
    half = {leaf.code: leaf.max_points / 2 for leaf in fw.applicable_leaves("dept_no_tthc")}
    totals = aggregate_unit(fw, "dept_no_tthc", half)
    assert totals.max_points == 1000
    assert totals.total == 500  # 375 of 750 scaled up
    assert totals.dti == Decimal("0.5")
    full = aggregate_unit(fw, "dept_no_tthc", {c: p * 2 for c, p in half.items()})
    assert full.total == 1000


def test_commune_framework_is_1000_points_and_reuses_metric_ids():
    commune = load_framework("default-commune-2025", SHIPPED)
    dept = load_framework("default-dept-2025", SHIPPED)
    assert [ut.type for ut in commune.unit_types] == ["commune"]
    assert total_max(commune, "commune") == 1000
    assert 35 <= len(commune.leaves()) <= 45
    assert len(commune.main_indices()) == 8
    dept_metric = {leaf.code: leaf.metric for leaf in dept.leaves()}
    for leaf in commune.leaves():
        if leaf.source != "EVD":
            assert leaf.metric in METRICS
            assert METRICS[leaf.metric].source == leaf.source
            if leaf.code in dept_metric:
                assert leaf.metric == dept_metric[leaf.code], leaf.code
    # Communes run procedures: public-service indicators apply to them.
    assert all(commune.applies(commune.leaf(f"F{i}"), "commune") for i in range(1, 12))
    assert Period.parse("2025-R2").deadline(commune, "commune") == dt.date(2025, 12, 15)


def test_district_framework_is_historical_with_four_level_codes():
    fw = load_framework("district-2024", SHIPPED)
    assert (fw.valid_from, fw.valid_to) == (dt.date(2024, 1, 1), dt.date(2025, 6, 30))
    assert total_max(fw, "district") == 1000
    codes = [leaf.code for leaf in fw.leaves()]
    assert codes.index("4.9") < codes.index("4.10") < codes.index("4.21") < codes.index("4.22.1")
    assert codes[codes.index("4.22.1"):codes.index("4.22.11") + 1] == [f"4.22.{i}" for i in range(1, 12)]
    assert codes == sorted(codes, key=code_key)
    portal = fw.component_of("4.22.7")
    assert portal.code == "4.22" and portal.max_points == 22
    kinds = {leaf.method.kind for leaf in fw.leaves()}
    assert {"capped_sum", "binary", "deduction", "steps", "tiers", "target", "pass_mark", "ratio"} <= kinds
    assert Period.parse("2024-R2").deadline(fw, "district") == dt.date(2025, 1, 15)


def test_shipped_files_are_what_the_catalogue_source_generates(tmp_path, monkeypatch):
    """The YAML is generated: editing it by hand instead of scripts/catalogue_source.py is caught."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("catalogue_source", ROOT / "scripts" / "catalogue_source.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shutil.copytree(SHIPPED, tmp_path / "frameworks")
    monkeypatch.setattr(module, "ROOT", tmp_path)
    module.main()
    for path in SHIPPED.glob("*.yaml"):
        assert (tmp_path / "frameworks" / path.name).read_bytes() == path.read_bytes(), path.name


def test_frameworks_dir_setting_is_read_at_run_time(tmp_path, monkeypatch):
    shutil.copy(FIXTURES / "valid-mini.yaml", tmp_path / "mini.yaml")
    monkeypatch.setenv("DTI_FRAMEWORKS_DIR", str(tmp_path))
    assert list(load_all()) == ["mini-2025"]
    shutil.copy(FIXTURES / "valid-mini.yaml", tmp_path / "mini-copy.yaml")
    with pytest.raises(FrameworkError) as info:
        load_all()
    # versions of one id coexist (issue 17); the same id@version twice is refused
    assert "phiên bản mini-2025@1.0 bị trùng, đã có ở mini-copy.yaml / duplicate version mini-2025@1.0" in str(
        info.value)


def test_names_are_nfc_normalised(tmp_path):
    import unicodedata

    text = (FIXTURES / "valid-mini.yaml").read_text(encoding="utf-8")
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text
    path = tmp_path / "nfd.yaml"
    path.write_text(decomposed, encoding="utf-8")
    fw = load_file(path)
    assert fw.pillars[0].name_vi == "Chính quyền số"
    assert unicodedata.is_normalized("NFC", fw.leaf("4.22.1").name_vi)


def test_periods_use_the_framework_rounds_and_deadlines():
    fw = load_framework("default-dept-2025", SHIPPED)
    period = Period.parse("2025-R3")
    assert period.window(fw) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert period.deadline(fw, "dept_no_tthc") == dt.date(2026, 3, 15)
    with pytest.raises(KeyError) as info:
        Period.parse("2025-R4").window(fw)
    assert str(info.value) == "Bộ chỉ số default-dept-2025 không có đợt 4 (có: 1, 2, 3) / framework has no round 4"
    with pytest.raises(ValueError, match="cần dạng NĂM-R<đợt>"):
        Period.parse("2025/3")
