"""The real commune appraisal sheet through the `commune-sheet-2025` mapping, checked against
totals computed here straight from the CSV."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from application.cli import main
from tests.conftest import EXTERNAL_SHEET


def _sheet_rows() -> list[dict]:
    text = EXTERNAL_SHEET.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _run_cli(capsys, *args) -> tuple[int, dict]:
    code = main(["intake", "import", str(EXTERNAL_SHEET), *args])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_external_sheet_imports_with_independent_totals(warehouse, capsys):
    rows = _sheet_rows()
    code, summary = _run_cli(capsys, "--mapping", "commune-sheet-2025", "--json")
    assert code == 0
    assert summary["rows_read"] == len(rows) == 62
    assert summary["rows_accepted"] == 62
    assert summary["rows_rejected"] == 0
    assert Decimal(str(summary["total_max_points"])) == sum(Decimal(r["Điểm tối đa"]) for r in rows)
    assert Decimal(str(summary["total_self_points"])) == sum(Decimal(r["Tự đánh giá"]) for r in rows)
    assert Decimal(str(summary["total_council_points"])) == sum(Decimal(r["Thẩm định"]) for r in rows)
    changed = sum(1 for r in rows if Decimal(r["Tự đánh giá"]) != Decimal(r["Thẩm định"]))
    assert summary["criteria_changed_by_council"] == changed
    assert summary["encoding"] == "utf-8-sig"
    assert summary["file_id"] == hashlib.sha256(EXTERNAL_SHEET.read_bytes()).hexdigest()


def test_external_sheet_keeps_both_scores_per_row_and_every_column(warehouse, capsys):
    from dti.warehouse import session_scope
    from dti.warehouse.models import SelfReport, Submission, Unit

    _run_cli(capsys, "--mapping", "commune-sheet-2025", "--json")
    by_code = {r["Mã"]: r for r in _sheet_rows()}
    with session_scope() as s:
        reports = s.scalars(select(SelfReport)).all()
        sub = s.scalars(select(Submission)).one()
        unit = s.get(Unit, sub.unit_code)
        assert (unit.code, unit.province_code, unit.unit_type) == ("EXT-XA-2025", "EXT", "commune")
        assert sub.framework_id == "sheet:commune-sheet-2025" and sub.is_current and not sub.is_late
        assert len(reports) == 62
        for rep in reports:
            src = by_code[rep.indicator_code]
            assert rep.self_points == Decimal(src["Tự đánh giá"])
            assert rep.council_points == Decimal(src["Thẩm định"])
            assert rep.extra["raw"]["Trạng thái"] == src["Trạng thái"]
            # every filled cell as sent, NFC-normalised (the sheet mixes composed and decomposed text)
            assert rep.extra["raw"] == {k: unicodedata.normalize("NFC", v) for k, v in src.items() if v}
            # the CSV record number a spreadsheet shows: header is row 1
            assert rep.source_row == list(by_code).index(rep.indicator_code) + 2


def test_external_sheet_criteria_tree_rebuilt_from_codes(warehouse, capsys):
    _, summary = _run_cli(capsys, "--mapping", "commune-sheet-2025", "--json")
    tree = {n["code"]: n for n in summary["criteria_tree"]}
    assert list(tree) == ["1", "2", "3", "4", "5", "6"]
    group4 = tree["4"]
    assert group4["synthesized"] and group4["name_vi"] == "Hoạt động chính quyền số"
    codes = [c["code"] for c in group4["children"]]
    assert codes[:11] == [f"4.{i}" for i in range(1, 12)]  # natural order: 4.9 before 4.10
    node = next(c for c in group4["children"] if c["code"] == "4.22")
    assert node["synthesized"] is True
    assert [c["code"] for c in node["children"]] == [f"4.22.{i}" for i in range(1, 12)]
    rows = [r for r in _sheet_rows() if r["Mã"].startswith("4.22.")]
    assert Decimal(str(node["max_points"])) == sum(Decimal(r["Điểm tối đa"]) for r in rows)
    assert Decimal(str(node["council_points"])) == sum(Decimal(r["Thẩm định"]) for r in rows)
    total = sum(Decimal(str(n["max_points"])) for n in tree.values())
    assert total == Decimal(str(summary["total_max_points"]))


def test_external_sheet_citations_are_kept_per_row(warehouse, capsys):
    from dti.warehouse import session_scope
    from dti.warehouse.models import EvidenceCitation, SelfReport

    _run_cli(capsys, "--mapping", "commune-sheet-2025", "--json")
    with session_scope() as s:
        rep = s.scalars(select(SelfReport).where(SelfReport.indicator_code == "2.3")).one()
        cites = s.scalars(select(EvidenceCitation).where(EvidenceCitation.self_report_id == rep.id)
                          .order_by(EvidenceCitation.id)).all()
        assert [(c.number, c.notation, c.issuer, c.doc_date) for c in cites] == [
            ("476", "KH-UBND", "UBND", dt.date(2025, 8, 5)),
            ("1598", "GM-UBND", "UBND", dt.date(2025, 10, 10)),
            ("1481", "GM-UBND", "UBND", dt.date(2025, 10, 3)),
        ]
        assert "\n" in rep.evidence_text  # multi-line cell kept as lines


def test_reimporting_the_same_bytes_is_a_no_op(warehouse, capsys, tmp_path):
    from dti.warehouse import session_scope
    from dti.warehouse.models import IntakeFile, SelfReport, Submission

    _, first = _run_cli(capsys, "--mapping", "commune-sheet-2025", "--json")
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(EXTERNAL_SHEET.read_bytes())
    code = main(["intake", "import", str(copy), "--json"])  # mapping found from the headers
    second = json.loads(capsys.readouterr().out)
    assert code == 0 and second["already_imported"] is True
    assert second["file_id"] == first["file_id"]
    with session_scope() as s:
        assert len(s.scalars(select(Submission)).all()) == 1
        assert len(s.scalars(select(SelfReport)).all()) == 62
        stored = Path(s.get(IntakeFile, first["file_id"]).stored_path)
    assert stored.read_bytes() == EXTERNAL_SHEET.read_bytes()
    assert stored.name.startswith(first["file_id"])


@pytest.mark.postgres
def test_external_sheet_on_postgresql(pg_url, monkeypatch, capsys):
    monkeypatch.setenv("DTI_DATABASE_URL", pg_url)
    code, summary = _run_cli(capsys, "--mapping", "commune-sheet-2025", "--json")
    assert code == 0 and summary["rows_accepted"] == 62
    assert summary["total_council_points"] == pytest.approx(606.27)


@pytest.mark.mariadb
def test_external_sheet_on_mariadb(mariadb_url, monkeypatch, capsys):
    monkeypatch.setenv("DTI_DATABASE_URL", mariadb_url)
    code, summary = _run_cli(capsys, "--mapping", "commune-sheet-2025", "--json")
    assert code == 0 and summary["rows_accepted"] == 62
    assert summary["total_self_points"] == pytest.approx(787.84)


def test_the_same_sheet_saved_as_xlsx_gives_the_same_totals(warehouse, tmp_path):
    """Units also send the export re-saved from Excel: codes as text, points as numbers."""
    import openpyxl

    from dti.intake.service import import_file
    from dti.warehouse import Warehouse
    from expectations.self_reports import check_self_reports

    rows = _sheet_rows()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Bảng điểm"
    ws.append(["BẢNG CHẤM ĐIỂM DTI CẤP XÃ NĂM 2025"])  # a title row above the table, as exports have
    ws.append(list(rows[0]))
    for r in rows:
        ws.append([float(v) if k in ("Điểm tối đa", "Tự đánh giá", "Thẩm định", "Chênh lệch") else (v or None)
                   for k, v in r.items()])
    wb.save(tmp_path / "commune.xlsx")
    result = import_file(tmp_path / "commune.xlsx", "commune-sheet-2025", wh=Warehouse(), row_checks=check_self_reports)
    s = result.summary
    assert (s["format"], s["sheet"], s["header_row"], s["rows_accepted"]) == ("xlsx", "Bảng điểm", 2, 62)
    assert Decimal(str(s["total_self_points"])) == sum(Decimal(r["Tự đánh giá"]) for r in rows)
    assert Decimal(str(s["total_council_points"])) == sum(Decimal(r["Thẩm định"]) for r in rows)
    assert s["warnings_by_code"] == {}


def test_mappings_are_listed_with_their_required_headers(capsys):
    assert main(["intake", "mappings"]) == 0
    out = capsys.readouterr().out
    assert "commune-sheet-2025: Bảng chấm điểm DTI cấp xã 2025 (tỉnh xuất)" in out
    assert "    self_points: Tự đánh giá" in out
    assert out.index("commune-sheet-2025") < out.index("dti-template")
