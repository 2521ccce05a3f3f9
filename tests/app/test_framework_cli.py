"""`dti framework list/show/validate/diff` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from application.cli import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "data" / "frameworks"
MINI = FIXTURES / "valid-mini.yaml"


@pytest.fixture(autouse=True)
def _shipped_frameworks(monkeypatch):
    monkeypatch.setenv("DTI_FRAMEWORKS_DIR", str(ROOT / "frameworks"))


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_json_is_deterministic_and_complete(capsys):
    code, out, _ = run(capsys, "framework", "list", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["id"] for r in rows] == ["default-commune-2025", "default-dept-2025", "district-2024"]
    dept = rows[1]
    assert dept["unit_types"] == {"dept_tthc": "1000", "dept_no_tthc": "750"}
    assert dept["leaves"] == 40 and dept["legal_basis"] == "405/QĐ-BKHCN"
    assert rows[2]["valid_to"] == "2025-06-30"
    assert run(capsys, "framework", "list", "--json")[1] == out


def test_list_text(capsys):
    code, out, _ = run(capsys, "framework", "list")
    assert code == 0
    assert "district-2024  v1.0  2024-01-01 → 2025-06-30  [district 1000]  57 chỉ số lá / leaves  922/QĐ-BTTTT" in out


def test_show_json_gives_totals_per_node_and_unit_type(capsys):
    code, out, _ = run(capsys, "framework", "show", "default-dept-2025", "--json")
    assert code == 0
    tree = json.loads(out)
    assert [(u["type"], u["scale"], u["applicable_max"], u["leaves"]) for u in tree["unit_types"]] == [
        ("dept_tthc", "1000", "1000", 40), ("dept_no_tthc", "750", "750", 29)]
    pillars = {p["code"]: p for p in tree["tree"]}
    assert pillars["CQS"]["max"] == {"dept_tthc": "800", "dept_no_tthc": "550"}
    f = next(m for m in pillars["CQS"]["children"] if m["code"] == "F")
    assert f["max"] == {"dept_tthc": "340", "dept_no_tthc": "90"}
    assert [c["code"] for c in f["children"]][:3] == ["F1", "F2", "F3"]
    assert [c["code"] for c in f["children"]][-6:] == ["F10", "F11", "F12", "F13", "F14", "F15"]
    f5 = f["children"][4]
    assert f5["method"] == {"kind": "pass_mark", "threshold": "0.98"} and f5["metric"] == "dvc_on_time_rate"
    assert run(capsys, "framework", "show", "default-dept-2025", "--json")[1] == out


def test_show_text_tree_in_natural_order_with_criteria(capsys):
    code, out, _ = run(capsys, "framework", "show", "district-2024")
    assert code == 0
    lines = out.splitlines()
    codes = [line.split()[0] for line in lines if line.startswith("      4.22.")]
    assert codes == [f"4.22.{i}" for i in range(1, 12)]
    assert lines[-2].split()[-1] == "1000" and lines[-1].split()[-1] == "1000"
    assert any(line.startswith("    4.22      Cung cấp thông tin") and line.split()[-1] == "22" for line in lines)


def test_show_accepts_a_path_and_marks_not_applicable(capsys):
    code, out, _ = run(capsys, "framework", "show", str(MINI))
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("    4.1 "))
    # 4.1 applies to `dept` only: 30 points there, a dash for `dept_small`
    assert row.split()[-7:] == ["30", "—", "ratio", "·", "DVC", "·", "dvc_online_submission_rate"]


def test_show_unknown_framework_is_a_user_error(capsys):
    code, out, err = run(capsys, "framework", "show", "no-such-set")
    assert code == 2 and out == ""
    assert err.strip() == ("Lỗi / error: không có bộ chỉ số 'no-such-set' / unknown framework 'no-such-set'; "
                           "có / known: default-commune-2025, default-dept-2025, district-2024")


def test_validate_valid_and_broken_files(capsys):
    code, out, _ = run(capsys, "framework", "validate", str(MINI))
    assert code == 0
    assert out.strip() == f"hợp lệ / valid: {MINI} (mini-2025 v1.0; 6 chỉ số lá / leaves; dept 100, dept_small 70)"
    broken = FIXTURES / "broken-sum-scale.yaml"
    code, out, err = run(capsys, "framework", "validate", str(MINI), str(broken))
    assert code == 2
    assert out.startswith("hợp lệ / valid:")
    assert err.splitlines() == [
        f"Lỗi / error: Bộ chỉ số không hợp lệ / invalid framework: {broken} (2 lỗi / problems)",
        "  unit_types[0].scale (dòng / line 13): giá trị / value 100 — tổng điểm tối đa các chỉ số áp dụng cho 'dept' "
        "là 95, không khớp thang điểm 100 / leaf maxima applicable to 'dept' add up to 95, not the declared scale 100",
        "  unit_types[1].scale (dòng / line 15): giá trị / value 70 — tổng điểm tối đa các chỉ số áp dụng cho "
        "'dept_small' là 65, không khớp thang điểm 70 / leaf maxima applicable to 'dept_small' add up to 65, not the "
        "declared scale 70",
    ]


def test_validate_every_shipped_file(capsys):
    paths = sorted(str(p) for p in (ROOT / "frameworks").glob("*.yaml"))
    code, out, _ = run(capsys, "framework", "validate", *paths)
    assert code == 0 and out.count("hợp lệ / valid") == 3


def _new_version(tmp_path) -> Path:
    data = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    data["version"] = "1.1"
    comps = data["pillars"][0]["main_indices"][0]["components"]
    comps[1]["method"]["threshold"] = 0.9
    comps[1]["max_points"] = 25
    comps[2]["max_points"] = 15
    comps[2]["method"]["steps"][0]["points"] = 15
    portal = comps[3]
    portal["criteria"] = [k for k in portal["criteria"] if k["code"] != "4.22.2"]
    portal["max_points"] = 25
    comps.insert(3, {"code": "4.4", "name_vi": "Có chuyên mục chuyển đổi số", "name_en": "DX section exists",
                     "max_points": 5, "method": {"kind": "binary"}, "measure": "bool", "source": "EVD"})
    path = tmp_path / "mini-1.1.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_diff_lists_added_removed_and_field_changes(capsys, tmp_path):
    newer = _new_version(tmp_path)
    code, out, _ = run(capsys, "framework", "diff", str(MINI), str(newer))
    assert code == 0
    assert out.splitlines() == [
        "So sánh / diff: mini-2025 v1.0 → mini-2025 v1.1",
        "Thông tin chung / metadata:",
        "  version: 1.0 → 1.1",
        "Thêm / added (1):",
        "  + 4.4  Có chuyên mục chuyển đổi số (5 điểm / points)",
        "Bỏ / removed (1):",
        "  - 4.22.2  Có phương án ứng cứu sự cố (5 điểm / points)",
        "Thay đổi / changed (2):",
        "  ~ 4.2  Văn bản đi được ký số / văn bản đi",
        "      max_points: 20 → 25",
        '      method: {"kind": "pass_mark", "threshold": "0.8"} → {"kind": "pass_mark", "threshold": "0.9"}',
        "  ~ 4.3  Số cuộc họp về chuyển đổi số",
        "      max_points: 20 → 15",
        '      method: {"kind": "steps", "steps": [{"at_least": "4", "points": "20"}, {"at_least": "2", "points": "10"}]}'
        ' → {"kind": "steps", "steps": [{"at_least": "4", "points": "15"}, {"at_least": "2", "points": "10"}]}',
        "Tổng điểm / totals (tối đa áp dụng; thang điểm / applicable max; scale):",
        "  dept: 100 → 100; 100 → 100",
        "  dept_small: 70 → 70; 70 → 70",
    ]
    code, out, _ = run(capsys, "framework", "diff", str(MINI), str(newer), "--json")
    d = json.loads(out)
    assert [c["code"] for c in d["changed"]] == ["4.2", "4.3"] and d["identical"] is False


def test_diff_by_id_and_identical(capsys):
    code, out, _ = run(capsys, "framework", "diff", "default-dept-2025", "default-dept-2025")
    assert code == 0
    assert out.splitlines() == ["So sánh / diff: default-dept-2025 v1.0 → default-dept-2025 v1.0",
                                "Không có khác biệt / no differences"]
    code, out, _ = run(capsys, "framework", "diff", "district-2024", "default-dept-2025", "--json")
    d = json.loads(out)
    assert len(d["removed"]) == 57 and len(d["added"]) == 40
    assert {t["unit_type"]: (t["max_a"], t["max_b"]) for t in d["totals"]} == {
        "dept_no_tthc": (None, "750"), "dept_tthc": (None, "1000"), "district": ("1000", None)}
