"""A real province's own world end to end: its units file, its index set (read from the commune sheet a
province exported, tests/../shared/fixtures/external), the foreign sheet imported for one of its units and a
period named on the command line, then scored like any submission, with the province's grading bands."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from application.cli import main
from dti.verification.steps import run_period
from dti.verification.store import load_scores
from dti.warehouse import Warehouse
from dti.warehouse.models import SelfReport, Submission
from tests.conftest import EXTERNAL_SHEET

GRADES = """grades:
- {code: xuat_sac, label_vi: Xuất sắc, label_en: excellent, at_least: '0.9'}
- {code: tot, label_vi: Tốt, label_en: good, at_least: '0.8'}
- {code: kha, label_vi: Khá, label_en: fair, at_least: '0.65'}
- {code: trung_binh, label_vi: Trung bình, label_en: average, at_least: '0.5'}
"""


@pytest.fixture
def province(tmp_path, monkeypatch, warehouse, capsys):
    frameworks = tmp_path / "frameworks"
    frameworks.mkdir()
    monkeypatch.setenv("DTI_FRAMEWORKS_DIR", str(frameworks))
    units = tmp_path / "don-vi.csv"
    units.write_text("DANH MỤC XÃ, PHƯỜNG\n\nMã,Tên đơn vị,Loại đơn vị,Mã tỉnh,Hiệu lực từ,Bộ chỉ số\n"
                     "XA-CG,Xã Cần Giuộc,Xã,80,01/07/2025,tay-ninh-xa-2025\n"
                     "XA-KH,Xã Khác,Xã,80,01/07/2025,tay-ninh-xa-2025\n", encoding="utf-8")
    assert main(["units", "import", str(units)]) == 0
    capsys.readouterr()
    code = main(["framework", "import", str(EXTERNAL_SHEET), "--id", "tay-ninh-xa-2025", "--version", "1.0",
                 "--valid-from", "2025-07-01", "--unit-type", "commune", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    written = frameworks / "tay-ninh-xa-2025-1.0.yaml"
    written.write_text(written.read_text(encoding="utf-8") + GRADES, encoding="utf-8")
    return out


def test_the_exported_sheet_gives_the_index_set(province):
    assert province["unit_types"] == [{"known": True, "scale": 960, "scale_stated": False,
                                       "sheet": "dti-commune-2025", "total": 960, "type": "commune"}]
    assert [m["name_vi"] for m in province["main_indices"]] == [
        "Hạ tầng và Nền tảng số", "Nhân lực số", "An toàn thông tin, an ninh mạng", "Hoạt động chính quyền số",
        "Hoạt động Kinh tế số", "Hoạt động Xã hội số"]
    assert len(province["leaves"]) == 62 and province["unplaced"] == []
    assert {leaf["code"] for leaf in province["leaves"]} >= {"4.9", "4.10", "4.22.1", "4.22.11"}


def test_foreign_sheet_for_a_real_unit_and_period_is_scored(province, warehouse, capsys):
    code = main(["intake", "import", str(EXTERNAL_SHEET), "--mapping", "commune-sheet-2025", "--unit", "XA-CG",
                 "--period", "2025-R1", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0, result
    assert result["rows_accepted"] == 62
    [sub] = result["submissions"]
    assert (sub["unit_code"], sub["period"], sub["framework_id"]) == ("XA-CG", "2025-R1", "tay-ninh-xa-2025")
    wh = Warehouse(warehouse)
    with wh.session() as s:
        selfs = s.scalars(select(SelfReport).join(Submission, Submission.id == SelfReport.submission_id)
                          .where(Submission.unit_code == "XA-CG")).all()
        expected_self = sum((r.self_points for r in selfs), Decimal(0))
        assert not s.scalars(select(Submission).where(Submission.unit_code.like("EXT%"))).all()
    run_period(wh, "2025-R1")
    with wh.session() as s:
        scores = {r.unit_code: r for r in load_scores(s, "2025-R1")}
    cg = scores["XA-CG"]
    assert cg.framework_id == "tay-ninh-xa-2025" and cg.max_points == Decimal(960)
    assert cg.self_total == expected_self
    dti = cg.self_total / Decimal(960)
    band = "Xuất sắc" if dti >= Decimal("0.9") else "Tốt" if dti >= Decimal("0.8") else "Khá" \
        if dti >= Decimal("0.65") else "Trung bình" if dti >= Decimal("0.5") else None
    assert cg.self_grade == band
    assert scores["XA-KH"].self_total == 0 and scores["XA-KH"].self_grade is None  # nothing submitted


def test_rows_outside_the_units_index_set_are_rejected(province, warehouse, capsys, tmp_path):
    sheet = tmp_path / "sheet.csv"
    text = EXTERNAL_SHEET.read_text(encoding="utf-8-sig")
    sheet.write_text(text.replace('"6.8",', '"6.9",', 1), encoding="utf-8")
    code = main(["intake", "import", str(sheet), "--mapping", "commune-sheet-2025", "--unit", "XA-CG",
                 "--period", "2025-R1", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["rows_accepted"] == 61 and result["rows_rejected"] == 1
    assert result["errors_by_code"] == {"unknown_indicator": 1}
