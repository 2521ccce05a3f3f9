"""`dti framework import`: a province's appendix workbook becomes a framework `dti framework validate` accepts,
with every row placed or named, points checked at every level and metric bindings only proposed."""

from __future__ import annotations

import json

import pytest

from application.cli import main
from dti.framework import load_file
from tests.appendix_fixtures import DEPT_ROWS, appendix


@pytest.fixture(autouse=True)
def _frameworks(monkeypatch, tmp_path):
    folder = tmp_path / "frameworks"
    folder.mkdir()
    monkeypatch.setenv("DTI_FRAMEWORKS_DIR", str(folder))
    return folder


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_appendix_becomes_a_valid_framework(capsys, tmp_path, _frameworks):
    book = appendix(tmp_path / "phu-luc.xlsx")
    code, out, err = run(capsys, "framework", "import", str(book), "--id", "thu-nghiem", "--version", "2.0",
                         "--replaces", "thu-nghiem@1.0", "--json")
    assert code == 0, out + err
    data = json.loads(out)
    assert data["id"] == "thu-nghiem" and data["version"] == "2.0" and data["replaces"] == "thu-nghiem@1.0"
    assert [(u["type"], u["scale"], u["scale_stated"], u["total"]) for u in data["unit_types"]] == [
        ("dept_tthc", 100, True, 100), ("commune", 80, True, 80)]
    assert [m["code"] for m in data["main_indices"]] == ["1", "2", "3"]
    assert [leaf["code"] for leaf in data["leaves"]] == ["1.1", "1.2.1", "1.2.2", "2.1", "2.2", "3.1", "3.2.1",
                                                         "3.2.2"]
    assert data["unplaced"] == [] and data["totals"] == [] and data["validation"] == []
    leaves = {leaf["code"]: leaf for leaf in data["leaves"]}
    assert leaves["1.2.1"]["printed_as"] == "a)"
    assert leaves["1.2.1"]["method"] == {"kind": "capped_sum", "per_item": 1, "cap": 5}
    assert leaves["2.2"]["method"] == {"kind": "pass_mark", "threshold": "0.9"}
    assert leaves["3.1"]["method"] == {"kind": "deduction", "penalty": 5}
    assert leaves["2.2"]["applies_to"] == ["dept_tthc"]  # communes' sheet has no 2.2
    # a metric is proposed, not bound: the leaf stays evidence-only until an officer confirms
    assert leaves["2.1"]["proposed_binding"]["metric"] == "dvc_online_submission_rate"
    assert leaves["2.1"]["proposed_binding"]["confirmed"] is False
    written = _frameworks / "thu-nghiem-2.0.yaml"
    assert data["written"] == str(written)
    fw = load_file(written)
    assert fw.replaces == "thu-nghiem@1.0"
    assert {leaf.source for leaf in fw.leaves()} == {"EVD"}
    assert fw.leaf("1.2.2").evidence_vi == "Đường dẫn tin bài"  # the merged evidence cell covers b) too
    assert fw.legal_basis.number == "3019/QĐ-UBND" and str(fw.valid_from) == "2023-11-28"
    text = written.read_text(encoding="utf-8")
    assert "# ĐỀ XUẤT, CHƯA XÁC NHẬN / PROPOSED, NOT CONFIRMED: source: DVC, metric: dvc_online_submission_rate" in text
    code, out, _ = run(capsys, "framework", "validate", str(written))
    assert code == 0 and "hợp lệ / valid" in out
    # the same workbook gives the same file
    first = text
    run(capsys, "framework", "import", str(book), "--id", "thu-nghiem", "--version", "2.0",
        "--replaces", "thu-nghiem@1.0")
    assert written.read_text(encoding="utf-8") == first


BROKEN = [
    ["I", "CHÍNH QUYỀN SỐ", 60, None, None],
    ["1", "Nhận thức số", 25, None, None],                      # says 25, its components add up to 20
    ["1.1", "Ban hành kế hoạch", 10, "Có: 10 điểm", None],
    ["1.2", "Tuyên truyền", 10, "Có: 10 điểm", None],
    ["2.1", "Chỉ số lạc chỗ", 10, "Có: 10 điểm", None],       # no main index 2 above it
    ["c)", "Tiêu chí lạc chỗ", 5, "Có: 5 điểm", None],          # fine: under 1.2 → 1.2.1
    ["1-3", "Số thứ tự lạ", 5, None, None],                     # numbering not understood
] + DEPT_ROWS[6:9]


def test_rows_it_cannot_place_are_named_and_points_checked(capsys, tmp_path, _frameworks):
    book = appendix(tmp_path / "loi.xlsx", [("Sở có TTHC (100 điểm)", BROKEN)])
    code, out, _ = run(capsys, "framework", "import", str(book), "--id", "loi", "--version", "1.0", "--json")
    assert code == 2
    data = json.loads(out)
    unplaced = {u["row"]: u for u in data["unplaced"]}
    assert sorted(unplaced) == [11, 13]
    assert unplaced[11]["stt"] == "2.1" and "no main index 2 above it" in unplaced[11]["reason"]
    assert unplaced[13]["stt"] == "1-3" and "numbering not understood" in unplaced[13]["reason"]
    problems = {(t["code"], t["row"]): t for t in data["totals"]}
    assert (problems[("1", 8)]["points"], problems[("1", 8)]["children_total"]) == ("25", "20")
    # 1.2 says 10, its one criterion (c), placed as 1.2.1) gives 5
    assert (problems[("1.2", 10)]["points"], problems[("1.2", 10)]["children_total"]) == ("10", "5")
    assert any(t["row"] is None and "scale" in t["problem"] for t in data["totals"])
    # nothing half-done is loaded: the YAML is a draft beside the frameworks
    assert not (_frameworks / "loi-1.0.yaml").exists()
    assert (_frameworks / "loi-1.0.yaml.draft").exists()
    code, out, _ = run(capsys, "framework", "import", str(book), "--id", "loi", "--version", "1.0")
    assert "KHÔNG XẾP ĐƯỢC / UNPLACED: trang / sheet 'Sở có TTHC (100 điểm)' dòng / row 13" in out


def test_not_an_appendix(capsys, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    code, _, err = run(capsys, "framework", "import", str(path), "--id", "x", "--version", "1")
    assert code == 2 and "STT | Chỉ số / Tiêu chí | Điểm tối đa" in err
