"""A second province that shares nothing with the generated one — its own units file with mergers, its own
appendix workbook and grading bands, its own vendor's self-assessment layout — brought up by
`dti province init`, then intake, ledger, scores and the report, end to end."""

from __future__ import annotations

import csv
import json

import openpyxl
import pytest
import yaml

from application.cli import main
from dti.reports.publish import write_period_outputs
from dti.verification.steps import run_period
from dti.verification.store import load_ledger, load_scores
from dti.warehouse import Warehouse
from tests.appendix_fixtures import appendix

PROVINCE = {
    "name_vi": "Tỉnh Thử Nghiệm",
    "units": "don-vi.xlsx",
    "frameworks": [{"file": "phu-luc.xlsx", "id": "thu-nghiem-2025", "version": "1.0", "valid_from": "2025-01-01",
                    "decision": "12/QĐ-UBND", "decision_date": "2024-12-20",
                    "grades": [{"code": "xuat_sac", "label_vi": "Xuất sắc", "at_least": "0.9"},
                               {"code": "tot", "label_vi": "Tốt", "at_least": "0.75"},
                               {"code": "trung_binh", "label_vi": "Trung bình", "at_least": "0.5"}]}],
    "mappings": ["phieu-nha-cung-cap.yaml"],
}
UNITS = [
    ["S01", "Sở Tài chính", "Sở có TTHC", "01/01/2020", None, None],
    ["S02", "Sở Xây dựng", "Sở có TTHC", "01/01/2020", None, None],
    ["X01", "Xã An Bình", "Xã", "01/01/2020", "30/06/2025", None],
    ["X02", "Xã An Hòa", "Xã", "01/01/2020", "30/06/2025", None],
    ["X10", "Xã An Thịnh", "Xã", "01/07/2025", None, "X01; X02"],
]
MAPPING = {
    "id": "phieu-nha-cung-cap",
    "name_vi": "Phiếu tự đánh giá xuất từ phần mềm của nhà cung cấp",
    "framework": "unit",
    "decimal": "auto",
    "columns": {"unit_code": ["MA_DON_VI"], "period": ["KY_DANH_GIA"], "indicator_code": ["MA_TIEU_CHI"],
                "value": ["GIA_TRI"], "self_points": ["DIEM_TU_CHAM"], "evidence_text": ["VAN_BAN"]},
    "required": ["indicator_code", "value"],
}
# the commune's own answers, carried under an old code: X01 merged into X10 on 1/7/2025
COMMUNE = [("1.1", "Có", "10"), ("1.2.1", "4", "4"), ("1.2.2", "Có", "5"), ("2.1", "85%", "17"),
           ("3.1", "1", "15"), ("3.2.1", "Có", "10"), ("3.2.2", "Không", "0")]
DEPT = [("1.1", "Có", "10"), ("1.2.1", "5", "5"), ("1.2.2", "Có", "5"), ("2.1", "95%", "19"),
        ("2.2", "92%", "20"), ("3.1", "0", "20"), ("3.2.1", "Có", "10"), ("3.2.2", "Có", "10")]


@pytest.fixture
def folder(tmp_path, monkeypatch, warehouse):
    root = tmp_path / "tinh-thu-nghiem"
    root.mkdir()
    monkeypatch.setenv("DTI_FRAMEWORKS_DIR", str(tmp_path / "frameworks"))
    monkeypatch.setenv("DTI_MAPPINGS_DIR", str(tmp_path / "mappings"))
    (root / "province.yaml").write_text(yaml.safe_dump(PROVINCE, allow_unicode=True), encoding="utf-8")
    (root / "phieu-nha-cung-cap.yaml").write_text(yaml.safe_dump(MAPPING, allow_unicode=True), encoding="utf-8")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["ỦY BAN NHÂN DÂN TỈNH THỬ NGHIỆM"])
    ws.append(["DANH MỤC CƠ QUAN, ĐƠN VỊ ĐÁNH GIÁ CHUYỂN ĐỔI SỐ"])
    ws.append([])
    ws.append(["Mã định danh", "Tên đơn vị", "Loại đơn vị", "Hiệu lực từ", "Hiệu lực đến", "Đơn vị tiền thân",
               "Mã tỉnh"])
    for row in UNITS:
        ws.append([*row, "99"])
    wb.save(root / "don-vi.xlsx")
    appendix(root / "phu-luc.xlsx")
    return root


def _sheet(path, unit, rows):
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["MA_DON_VI", "KY_DANH_GIA", "MA_TIEU_CHI", "GIA_TRI", "DIEM_TU_CHAM", "VAN_BAN"])
        for code, value, points in rows:
            w.writerow([unit, "2025-R1", code, value, points, "Kế hoạch 15/KH-UBND ngày 10/02/2025"])
    return path


def test_second_province_end_to_end(folder, warehouse, capsys, tmp_path):
    assert main(["province", "init", str(folder), "--json"]) == 0
    loaded = json.loads(capsys.readouterr().out)
    assert loaded["units"][0]["counts"] == {"accepted": 5, "rejected": 0, "links": 2, "splits": 0}
    [fw] = loaded["frameworks"]
    assert (fw["id"], fw["version"], fw["leaves"], fw["ok"]) == ("thu-nghiem-2025", "1.0", 8, True)
    assert [(t["type"], t["scale"]) for t in fw["unit_types"]] == [("dept_tthc", 100), ("commune", 80)]
    assert loaded["mappings"][0]["id"] == "phieu-nha-cung-cap"
    assert main(["province", "init", str(folder)]) == 0  # again: nothing changes
    assert "nhận / accepted 5" in capsys.readouterr().out

    for unit, rows in (("X01", COMMUNE), ("S01", DEPT)):
        sheet = _sheet(tmp_path / f"{unit}.csv", unit, rows)
        assert main(["intake", "import", str(sheet), "--mapping", "phieu-nha-cung-cap", "--json"]) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["rows_accepted"] == len(rows), result
    assert result["submissions"][0]["framework_id"] == "thu-nghiem-2025"

    wh = Warehouse(warehouse)
    run_period(wh, "2025-R1")
    with wh.session() as s:
        scores = {r.unit_code: r for r in load_scores(s, "2025-R1")}
        ledger = load_ledger(s, "2025-R1")
    # the old code's answers belong to X10; X01 and X02 are not assessed; S02 sent nothing
    assert sorted(scores) == ["S01", "S02", "X10"]
    assert (scores["X10"].self_total, scores["X10"].max_points) == (61, 80)
    assert scores["X10"].self_grade == "Tốt"  # 61 / 80 = 0.7625
    assert (scores["S01"].self_total, scores["S01"].self_grade) == (99, "Xuất sắc")
    assert scores["S02"].self_grade is None
    mine = {c.indicator_code: c.outcome for c in ledger if c.unit_code == "X10"}
    assert mine.pop("2.2") == "not_applicable"  # the commune sheet of the appendix has no 2.2
    assert set(mine) == {c for c, _v, _p in COMMUNE} and set(mine.values()) == {"evidence_only"}

    out = tmp_path / "out"
    with wh.session() as s:
        written = write_period_outputs(s, "2025-R1", out)
    assert written
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Xã An Thịnh" in report and "Sở Tài chính" in report
    header, *rows = (out / "verified_scores.csv").read_text(encoding="utf-8-sig").splitlines()
    assert header.endswith(",self_grade,verified_grade")
    assert any(r.startswith("S01,") and ",Xuất sắc," in r for r in rows)
