"""The native path: template → filled form → import, every error kind with its exact message,
supersession, late flags, error reports, refused files and the inbox."""

from __future__ import annotations

import datetime as dt
import io
import json
import unicodedata
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from application.cli import main
from dti.intake.service import import_file, scan_inbox
from dti.settings import TZ
from dti.warehouse import Warehouse
from expectations.self_reports import check_self_reports

DATA = Path(__file__).resolve().parents[1] / "data" / "intake"
VN = TZ


@pytest.fixture
def units(warehouse):
    from dti.warehouse import session_scope
    from dti.warehouse.models import Unit

    with session_scope() as s:
        s.add(Unit(code="SO-A", name_vi="Sở Khoa học và Công nghệ", unit_type="dept_tthc", province_code="83",
                   valid_from=dt.date(2025, 1, 1)))
        s.add(Unit(code="SO-B", name_vi="Sở Nội vụ", unit_type="dept_no_tthc", province_code="83",
                   valid_from=dt.date(2025, 1, 1)))
    return warehouse


def _template(tmp_path, unit="SO-A", period="2025-R1") -> Path:
    from dti.intake.template import write_template

    return write_template(Warehouse(), unit, period, out=tmp_path / f"form-{unit}-{period}.xlsx")


def _fill(src: Path, dst: Path, changes: dict[str, dict[str, object]] | None = None) -> Path:
    """Fill every indicator the way an officer would, then apply per-code `changes` (column → value)."""
    wb = openpyxl.load_workbook(src)
    ws = wb["Tự đánh giá"]
    headers = {ws.cell(7, c).value: c for c in range(1, ws.max_column + 1)}
    for row in range(8, ws.max_row + 1):
        code, measure = ws.cell(row, 1).value, ws.cell(row, headers["Loại giá trị"]).value
        cell = ws.cell(row, headers["Giá trị tự đánh giá"])
        if measure == "Tỷ lệ (%)":
            ws.cell(row, headers["Tử số"]).value = 45
            ws.cell(row, headers["Mẫu số"]).value = 50
        elif measure == "Số lượng":
            cell.value = "4"
        elif measure == "Mức":
            cell.value = "2 – Người đứng đầu chủ trì"
        ws.cell(row, headers["Tài liệu kiểm chứng (số, ký hiệu, ngày)"]).value = (
            "Kế hoạch số 45/KH-UBND ngày 12/3/2025\n*476/KH-UBND - 05/08/2025")
        for column, value in (changes or {}).get(code, {}).items():
            ws.cell(row, headers[column]).value = value
    wb.save(dst)
    return dst


def _import(path, **kw):
    kw.setdefault("wh", Warehouse())
    kw.setdefault("row_checks", check_self_reports)
    kw.setdefault("submitted_at", dt.datetime(2025, 6, 1, 9, 0, tzinfo=VN))
    return import_file(path, **kw)


# --- template ---------------------------------------------------------------------------------


def test_template_is_a_protected_vietnamese_form_with_drop_downs(units, tmp_path):
    path = _template(tmp_path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Hướng dẫn", "Tự đánh giá", "Danh mục"]
    assert wb["Danh mục"].sheet_state == "hidden"
    assert wb.security.lockStructure
    ws = wb["Tự đánh giá"]
    assert ws.protection.sheet
    assert [ws.cell(r, 2).value for r in (3, 4, 5)] == ["SO-A", "2025-R1", "default-dept-2025"]
    assert ws["D4"].value == "15/06/2025"
    headers = [ws.cell(7, c).value for c in range(1, 15)]
    assert headers[:10] == ["Mã chỉ số", "Tên chỉ số", "Chỉ số chính", "Loại giá trị", "Điểm tối đa",
                            "Nguồn dữ liệu", "Giá trị tự đánh giá", "Tử số", "Mẫu số", "Điểm tự chấm"]
    codes = [ws.cell(r, 1).value for r in range(8, ws.max_row + 1)]
    assert len(codes) == 40 and codes[:3] == ["A1", "A2", "A3"] and codes[-1] == "H3"
    rows = {ws.cell(r, 1).value: r for r in range(8, ws.max_row + 1)}
    # numerator/denominator are open only where the indicator is a rate
    assert ws.cell(rows["A3"], 8).protection.locked is False
    assert ws.cell(rows["A2"], 8).protection.locked is True
    assert ws.cell(rows["A1"], 1).protection.locked is True
    validations = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    tier = validations[ws.cell(rows["A1"], 7).coordinate]
    assert tier.type == "list" and "'Danh mục'!" in tier.formula1
    lists = wb["Danh mục"]
    assert [lists.cell(r, 1).value for r in (1, 2, 3)] == [
        "2 – Người đứng đầu chủ trì", "1 – Cấp phó chủ trì", "0 – Không có"]
    rate = next(dv for dv in validations.values() if ws.cell(rows["A3"], 7).coordinate in str(dv.sqref))
    assert (rate.type, rate.formula1, rate.formula2) == ("decimal", "0", "1")
    guide = wb["Hướng dẫn"]
    assert "HƯỚNG DẪN" in guide["A1"].value and guide["A2"].value.startswith("How to fill")


def test_template_is_reproducible_and_fits_the_unit_type(units, tmp_path):
    first = _template(tmp_path).read_bytes()
    assert _template(tmp_path).read_bytes() == first
    ws = openpyxl.load_workbook(_template(tmp_path, unit="SO-B"))["Tự đánh giá"]
    codes = [ws.cell(r, 1).value for r in range(8, ws.max_row + 1)]
    assert "F1" not in codes and "F12" in codes and len(codes) == 29


def test_template_cli_refuses_unknown_unit(units, capsys):
    assert main(["intake", "template", "--unit", "SO-X", "--period", "2025-R1"]) == 2
    assert "không có đơn vị 'SO-X' trong danh mục / unknown unit 'SO-X'" in capsys.readouterr().err


# --- round trip -------------------------------------------------------------------------------


def test_round_trip_template_filled_imported(units, tmp_path):
    from dti.warehouse import session_scope
    from dti.warehouse.models import EvidenceCitation, SelfReport, Submission

    filled = _fill(_template(tmp_path), tmp_path / "filled.xlsx", {
        "A3": {"Giá trị tự đánh giá": "85,5%", "Tử số": None, "Mẫu số": None},
        "C1": {"Giá trị tự đánh giá": 0.9, "Điểm tự chấm": 17},
    })
    result = _import(filled)
    assert result.summary["errors_by_code"] == {}
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (40, 40, 0)
    assert result.summary["mapping"] == "dti-template"
    assert result.summary["sheet"] == "Tự đánh giá" and result.summary["header_row"] == 7
    with session_scope() as s:
        sub = s.scalars(select(Submission)).one()
        assert (sub.unit_code, sub.period, sub.framework_id, sub.is_late) == (
            "SO-A", "2025-R1", "default-dept-2025", False)
        reports = {r.indicator_code: r for r in s.scalars(select(SelfReport))}
        assert reports["A3"].value == Decimal("0.855")
        assert reports["A3"].self_points == Decimal("17.1")  # ratio: 0.855 × 20
        assert reports["B2"].value == Decimal("0.9") and reports["B2"].numerator == 45
        assert reports["C1"].self_points == 17  # the unit's own score is kept
        assert reports["A1"].value == 2 and reports["A1"].self_points == 15
        assert reports["A2"].value == 4 and reports["A2"].self_points == 20
        assert reports["A1"].source_sheet == "Tự đánh giá" and reports["A1"].source_row == 8
        cites = s.scalars(select(EvidenceCitation).where(
            EvidenceCitation.self_report_id == reports["A1"].id).order_by(EvidenceCitation.id)).all()
        assert [(c.number, c.notation, c.doc_date) for c in cites] == [
            ("45", "KH-UBND", dt.date(2025, 3, 12)), ("476", "KH-UBND", dt.date(2025, 8, 5))]


def test_formula_without_saved_value_rejects_the_row_not_the_file(units, tmp_path):
    from dti.intake.errors_report import write_errors_report

    filled = _fill(_template(tmp_path), tmp_path / "formula.xlsx",
                   {"A2": {"Giá trị tự đánh giá": "=2+2"}})
    result = _import(filled)
    assert result.rows_accepted == 39
    [row] = result.rejected_rows
    [reason] = row["reasons"]
    assert reason["code"] == "formula_without_value"
    assert reason["message_vi"] == (
        "Tệp 'formula.xlsx', trang 'Tự đánh giá', dòng 9, cột 'Giá trị tự đánh giá': giá trị '=2+2' — "
        "ô chứa công thức nhưng không có giá trị đã tính (hệ thống không tự tính công thức); hãy mở tệp "
        "bằng Excel, lưu lại, hoặc nhập giá trị trực tiếp")
    # the error report sent back shows the formula as text; it must never run in the unit's Excel
    report, count = write_errors_report(Warehouse(), result.file_id, out=tmp_path / "report.xlsx")
    ws = openpyxl.load_workbook(report)["Lỗi"]
    assert count == 1 and ws["E5"].value == "=2+2" and ws["E5"].data_type == "s"


def test_wrong_framework_for_the_unit_type(units, tmp_path):
    wb = openpyxl.load_workbook(_fill(_template(tmp_path), tmp_path / "f.xlsx"))
    wb["Tự đánh giá"]["B5"] = "district-2024"
    wb.save(tmp_path / "wrong.xlsx")
    result = _import(tmp_path / "wrong.xlsx")
    assert result.rows_accepted == 0 and result.status == "rejected"
    reason = result.rejected_rows[0]["reasons"][0]
    assert reason["code"] == "wrong_framework"
    assert reason["message_vi"] == (
        "Tệp 'wrong.xlsx', trang 'Tự đánh giá', dòng 8, cột 'B5': giá trị 'district-2024' — phiếu dùng bộ "
        "chỉ số 'district-2024' nhưng đơn vị SO-A (loại 'dept_tthc') phải dùng bộ chỉ số 'default-dept-2025'")
    assert reason["message_en"] == (
        "File 'wrong.xlsx', sheet 'Tự đánh giá', row 8, column 'B5': value 'district-2024' — the form uses "
        "framework 'district-2024' but unit SO-A (type 'dept_tthc') must use framework 'default-dept-2025'")


# --- every error kind, exact messages -----------------------------------------------------------

EXPECTED = [
    (2, "out_of_range", "Giá trị tự đánh giá", "150%",
     "tỷ lệ phải từ 0 đến 1 (tức 0%–100%); ghi ví dụ 85,5% hoặc 0,855",
     "a rate must be between 0 and 1 (0%–100%); write e.g. 85,5% or 0,855"),
    (3, "numerator_gt_denominator", "Tử số", "120",
     "tử số (120) lớn hơn mẫu số (100); tử số phải ≤ mẫu số",
     "the numerator (120) is greater than the denominator (100); it must be ≤ the denominator"),
    (4, "missing_evidence", "Tài liệu kiểm chứng (số, ký hiệu, ngày)", None,
     "chỉ số A1 cần tài liệu kiểm chứng: Quyết định thành lập Ban chỉ đạo",
     "indicator A1 requires evidence: Quyết định thành lập Ban chỉ đạo"),
    (5, "unknown_indicator", "Mã chỉ số", "Z9",
     "mã chỉ số không có trong bộ chỉ số 'default-dept-2025' (phiên bản 1.0)",
     "no such indicator code in framework 'default-dept-2025' (version 1.0)"),
    (6, "duplicate_row", "Mã chỉ số", "D3",
     "mã chỉ số 'D3' xuất hiện ở nhiều dòng (6, 7); mỗi chỉ số chỉ được khai một dòng",
     "indicator code 'D3' appears on several rows (6, 7); one row per indicator"),
    (7, "duplicate_row", "Mã chỉ số", "D3",
     "mã chỉ số 'D3' xuất hiện ở nhiều dòng (6, 7); mỗi chỉ số chỉ được khai một dòng",
     "indicator code 'D3' appears on several rows (6, 7); one row per indicator"),
    (8, "not_a_number", "Giá trị tự đánh giá", "bốn",
     "cần một số (ví dụ hợp lệ: 85,5 hoặc 85,5% hoặc 1.234,5)",
     "a number is expected (valid examples: 85,5 or 85,5% or 1.234,5)"),
    (9, "missing_value", "Giá trị tự đánh giá", None,
     "chưa khai giá trị tự đánh giá cho chỉ số E3; với tỷ lệ có thể ghi tử số và mẫu số",
     "no self-assessed value for indicator E3; for a rate you may give numerator and denominator"),
    (10, "out_of_range", "Điểm tự chấm", "25",
     "điểm phải nằm trong khoảng 0 đến 20 (điểm tối đa của chỉ số)",
     "points must be between 0 and 20 (the indicator's maximum)"),
    (11, "out_of_range", "Giá trị tự đánh giá", "1.234,5",
     "tỷ lệ phải từ 0 đến 1 (tức 0%–100%); ghi ví dụ 85,5% hoặc 0,855",
     "a rate must be between 0 and 1 (0%–100%); write e.g. 85,5% or 0,855"),
    (12, "unknown_unit", "Mã đơn vị", "SO-X",
     "mã đơn vị không có trong danh mục đơn vị", "no such unit code in the unit registry"),
    (13, "not_applicable", "Mã chỉ số", "F1",
     "chỉ số F1 không áp dụng cho loại đơn vị 'dept_no_tthc'",
     "indicator F1 does not apply to unit type 'dept_no_tthc'"),
    (14, "invalid_period", "Kỳ đánh giá", "2025-R7",
     "bộ chỉ số 'default-dept-2025' không có đợt 7 (có các đợt: 1, 2, 3)",
     "framework 'default-dept-2025' has no round 7 (rounds: 1, 2, 3)"),
]


def test_each_error_kind_has_its_exact_message(units):
    result = _import(DATA / "errors-form.csv")
    got = {(row["row"], r["code"]): r for row in result.rejected_rows for r in row["reasons"]}
    for row, code, column, value, vi, en in EXPECTED:
        reason = got[(row, code)]
        shown_vi = "(trống)" if value is None else value
        shown_en = "(empty)" if value is None else value
        assert reason["column"] == column and reason["value"] == value
        assert reason["message_vi"] == f"Tệp 'errors-form.csv', dòng {row}, cột '{column}': giá trị '{shown_vi}' — {vi}"
        assert reason["message_en"] == f"File 'errors-form.csv', row {row}, column '{column}': value '{shown_en}' — {en}"
    # the one good row (A2 = 4) is a duplicate of the bad row 8, so nothing gets in
    assert result.summary["rows_read"] == 14 and result.rows_rejected == 14
    assert result.summary["encoding"] == "utf-8"


def test_rejected_rows_are_quarantined_whole_and_reported_back(units, tmp_path, capsys):
    from dti.warehouse import session_scope
    from dti.warehouse.models import QuarantineRow

    result = _import(DATA / "errors-form.csv")
    with session_scope() as s:
        rows = s.scalars(select(QuarantineRow).order_by(QuarantineRow.row_number)).all()
        assert len(rows) == 14
        assert rows[0].raw["fields_by_column"]["Giá trị tự đánh giá"] == "150%"
        assert rows[0].reasons[0]["code"] == "out_of_range"
    out = tmp_path / "report.xlsx"
    assert main(["intake", "errors", result.file_id[:10], "-o", str(out)]) == 0
    first = out.read_bytes()
    ws = openpyxl.load_workbook(out)["Lỗi"]
    lines = [r for r in ws.iter_rows(min_row=5, values_only=True) if r[0]]
    assert len(lines) == sum(len(r["reasons"]) for r in result.rejected_rows)
    assert lines[0][:6] == ("errors-form.csv", None, 2, "Giá trị tự đánh giá", "150%", "out_of_range")
    assert lines[0][6].startswith("Tệp 'errors-form.csv', dòng 2")
    raw = openpyxl.load_workbook(out)["Dữ liệu gốc"]
    assert raw.max_row == 15
    assert main(["intake", "errors", result.file_id, "-o", str(out)]) == 0
    assert out.read_bytes() == first  # same data, same bytes
    assert main(["intake", "errors", "ffffffff"]) == 2
    assert "no imported file with id 'ffffffff'" in capsys.readouterr().err


def test_utf16_semicolon_csv_with_vietnamese_numbers(units, tmp_path):
    text = ("Mã đơn vị;Kỳ đánh giá;Mã chỉ số;Giá trị tự đánh giá;Tài liệu kiểm chứng\n"
            "SO-A;2025-R1;D3;85,5%;\n"
            "SO-A;2025-R1;A2;4;\n"
            "SO-A;2025-R1;E5;1.234;\n")
    path = tmp_path / "utf16.csv"
    path.write_bytes(text.encode("utf-16"))
    result = _import(path)
    assert result.summary["encoding"] == "utf-16" and result.rows_accepted == 3
    from dti.warehouse import session_scope
    from dti.warehouse.models import SelfReport

    with session_scope() as s:
        values = {r.indicator_code: r.value for r in s.scalars(select(SelfReport))}
    assert values == {"D3": Decimal("0.855"), "A2": Decimal(4), "E5": Decimal(1234)}


# --- versions, rounds, deadlines ----------------------------------------------------------------


def _csv(tmp_path, name, value, unit="SO-A", period="2025-R1") -> Path:
    path = tmp_path / name
    path.write_text("Mã đơn vị,Kỳ đánh giá,Mã chỉ số,Giá trị tự đánh giá\n"
                    f"{unit},{period},D3,{value}\n", encoding="utf-8")
    return path


def test_new_submission_supersedes_and_history_is_kept(units, tmp_path):
    from dti.intake.store import history
    from dti.warehouse import session_scope

    first = _import(_csv(tmp_path, "a.csv", "80%"), submitted_at=dt.datetime(2025, 6, 10, 9, tzinfo=VN))
    second = _import(_csv(tmp_path, "b.csv", "85%"), submitted_at=dt.datetime(2025, 6, 12, 9, tzinfo=VN))
    # a file that arrives late in the queue but was sent earlier does not replace the newer one
    third = _import(_csv(tmp_path, "c.csv", "82%"), submitted_at=dt.datetime(2025, 6, 11, 9, tzinfo=VN))
    other_round = _import(_csv(tmp_path, "d.csv", "90%", period="2025-R2"),
                          submitted_at=dt.datetime(2025, 6, 12, 9, tzinfo=VN))
    ids = [r.summary["submissions"][0]["id"] for r in (first, second, third)]
    with session_scope() as s:
        subs = history(s, "SO-A", "2025-R1")
        state = {x.id: (x.is_current, x.superseded_by) for x in subs}
    assert [x.id for x in subs] == [ids[0], ids[2], ids[1]]
    assert state == {ids[0]: (False, ids[1]), ids[1]: (True, None), ids[2]: (False, ids[1])}
    assert third.summary["submissions"][0]["is_current"] is False
    assert other_round.summary["submissions"][0]["is_current"] is True  # another round, another period


@pytest.mark.parametrize(
    ("sent", "late"),
    [
        (dt.datetime(2025, 6, 15, 23, 59, tzinfo=VN), False),
        (dt.datetime(2025, 6, 15, 17, 30, tzinfo=dt.UTC), True),  # already 16/6 in Hà Nội
        (dt.datetime(2025, 7, 1, 8, 0, tzinfo=VN), True),
    ],
)
def test_late_submissions_are_accepted_and_flagged(units, tmp_path, sent, late):
    from dti.warehouse import session_scope
    from dti.warehouse.models import Submission

    result = _import(_csv(tmp_path, "late.csv", "80%"), submitted_at=sent)
    assert result.rows_accepted == 1
    info = result.summary["submissions"][0]
    assert (info["is_late"], info["deadline"]) == (late, "2025-06-15")
    with session_scope() as s:
        assert s.scalars(select(Submission)).one().is_late is late


# --- refused files --------------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "code", "message_en"),
    [
        ("form.xlsm", b"PK\x03\x04whatever", "macro_workbook",
         "'form.xlsm' is a macro-enabled workbook (.xlsm); save it as a plain .xlsx"),
        ("form.xlsx", _zip({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>",
                            "xl/vbaProject.bin": b"\x00" * 10}), "macro_workbook",
         "'form.xlsx' contains macros (vbaProject.bin); save it as a plain .xlsx"),
        ("form.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "unsupported_format",
         "the .xls format of 'form.xls' is not supported; save it as .xlsx or .csv"),
        ("bomb.xlsx", _zip({"[Content_Types].xml": b"<x/>", "xl/worksheets/sheet1.xml": b"\x00" * 30_000_000}),
         "zip_bomb", None),
        ("broken.xlsx", b"PK\x03\x04 this is not really a zip file at all", "malformed_workbook", None),
        ("bad-xml.xlsx", _zip({"[Content_Types].xml": b"<Types", "xl/workbook.xml": b"<oops"}),
         "malformed_workbook", None),
    ],
)
def test_unsafe_or_broken_files_are_refused_not_crashed(units, tmp_path, capsys, name, data, code, message_en):
    path = tmp_path / name
    path.write_bytes(data)
    rc = main(["intake", "import", str(path), "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert rc == 2
    assert summary["status"] == "rejected" and summary["error"]["code"] == code
    if message_en:
        assert summary["error"]["message_en"] == message_en
    from dti.warehouse import session_scope
    from dti.warehouse.models import IntakeFile

    with session_scope() as s:  # kept, with the reason, so nothing is lost
        row = s.get(IntakeFile, summary["file_id"])
        assert row.status == "rejected" and Path(row.stored_path).read_bytes() == data


def test_files_over_the_size_limit_are_refused_before_reading(units, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DTI_MAX_UPLOAD_BYTES", "100")
    path = _csv(tmp_path, "big.csv", "80%" + " " * 200)
    assert main(["intake", "import", str(path)]) == 2
    size = path.stat().st_size
    assert capsys.readouterr().err.strip() == (
        f"Lỗi / error: tệp 'big.csv' có dung lượng {size:,} byte, vượt giới hạn 100 byte (DTI_MAX_UPLOAD_BYTES) "
        f"/ 'big.csv' is {size:,} bytes, over the 100-byte limit (DTI_MAX_UPLOAD_BYTES)")


def test_unknown_headers_are_refused_with_the_mappings_tried(units, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    result = _import(path)
    assert result.error["code"] == "headers_not_found"
    assert "commune-sheet-2025" in result.error["message_en"] and "dti-template" in result.error["message_en"]


# --- inbox ----------------------------------------------------------------------------------------


def test_scan_inbox_moves_files_and_never_deletes(units, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    good = _csv(inbox, "good.csv", "80%")
    (inbox / "broken.xlsx").write_bytes(b"PK\x03\x04 broken")
    results = scan_inbox(inbox, wh=Warehouse(), row_checks=check_self_reports)
    assert sorted(r.filename for r in results) == ["broken.xlsx", "good.csv"]
    assert not good.exists()
    assert (inbox / "processed" / "good.csv").exists()
    assert (inbox / "rejected" / "broken.xlsx").exists()
    note = (inbox / "rejected" / "broken.xlsx.error.txt").read_text(encoding="utf-8")
    assert "không phải sổ tính .xlsx hợp lệ" in note
    _csv(inbox, "good.csv", "80%")  # the same file sent again
    again = scan_inbox(inbox, wh=Warehouse(), row_checks=check_self_reports)
    assert again[0].already_imported
    assert (inbox / "processed" / "good.1.csv").exists()


def test_mapping_by_path_with_dates_and_decomposed_text(units, tmp_path):
    from dti.warehouse import session_scope
    from dti.warehouse.models import SelfReport

    nfd = unicodedata.normalize("NFD", "Kế hoạch số 45/KH-UBND")
    path = tmp_path / "old.csv"
    path.write_text("Đơn vị;Chỉ tiêu;Kết quả;Văn bản;Ngày văn bản\n"
                    f"SO-A;D3;85,5%;{nfd};12/03/2025\n"
                    "SO-A;E5;1.234;;31/02/2025\n", encoding="utf-8")
    result = _import(path, mapping=str(DATA / "historical-mapping.yaml"))
    assert (result.summary["mapping"], result.rows_accepted) == ("historical-test", 1)
    [reason] = result.rejected_rows[0]["reasons"]
    assert reason["message_vi"] == ("Tệp 'old.csv', dòng 3, cột 'Ngày văn bản': giá trị '31/02/2025' — "
                                    "cần một ngày hợp lệ dạng ngày/tháng/năm, ví dụ 05/08/2025")
    with session_scope() as s:
        rep = s.scalars(select(SelfReport)).one()
    assert rep.value == Decimal("0.855") and rep.period == "2025-R1"
    assert rep.extra["evidence_date"] == "2025-03-12"
    assert rep.evidence_text == "Kế hoạch số 45/KH-UBND" == unicodedata.normalize("NFC", nfd)


def test_a_file_refused_as_a_whole_can_be_retried_with_a_mapping(units, tmp_path):
    path = tmp_path / "old.csv"
    path.write_text("Đơn vị;Chỉ tiêu;Kết quả\nSO-A;D3;85,5%\n", encoding="utf-8")
    first = _import(path)
    assert first.error["code"] == "headers_not_found"
    second = _import(path, mapping=str(DATA / "historical-mapping.yaml"))
    assert not second.already_imported and second.rows_accepted == 1 and second.error is None
    third = _import(path, mapping=str(DATA / "historical-mapping.yaml"))
    assert third.already_imported and third.rows_accepted == 1


def test_inbox_command(units, tmp_path, monkeypatch, capsys):
    inbox = tmp_path / "inbox"
    monkeypatch.setenv("DTI_INBOX_DIR", str(inbox))
    inbox.mkdir()
    _csv(inbox, "sent.csv", "80%")
    assert main(["intake", "inbox", "--json"]) == 0
    [summary] = json.loads(capsys.readouterr().out)
    assert (summary["filename"], summary["rows_accepted"], summary["status"]) == ("sent.csv", 1, "imported")
    assert (inbox / "processed" / "sent.csv").exists()


def test_old_unit_code_after_a_merger_is_filed_under_the_successor(units, tmp_path):
    from dti.warehouse import session_scope
    from dti.warehouse.models import Submission, Unit, UnitLink

    with session_scope() as s:
        s.add(Unit(code="SO-OLD", name_vi="Sở cũ", unit_type="dept_tthc", province_code="83",
                   valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2025, 6, 30)))
        s.add(UnitLink(predecessor_code="SO-OLD", successor_code="SO-A", effective=dt.date(2025, 7, 1),
                       reason="sáp nhập"))
    result = _import(_csv(tmp_path, "old-code.csv", "80%", unit="SO-OLD"))
    assert result.rows_accepted == 1
    assert result.summary["warnings_by_code"] == {"unit_code_resolved": 1}
    with session_scope() as s:
        assert s.scalars(select(Submission)).one().unit_code == "SO-A"


def test_uploads_keep_the_units_file_name(units, tmp_path):
    tmp = tmp_path / "upload-3f9a.tmp"
    tmp.write_text("Mã đơn vị,Kỳ đánh giá,Mã chỉ số,Giá trị tự đánh giá\nSO-A,2025-R1,D3,150%\n", encoding="utf-8")
    result = _import(tmp, filename="../Phiếu SO-A.csv", uploaded_by="canbo1")
    assert result.summary["filename"] == "Phiếu SO-A.csv" and result.summary["uploaded_by"] == "canbo1"
    assert result.summary["stored_path"].endswith(f"{result.file_id}.csv")
    assert result.rejected_rows[0]["reasons"][0]["message_vi"].startswith("Tệp 'Phiếu SO-A.csv', dòng 2")


def test_inbox_leaves_files_that_may_still_be_copying(units, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    fresh = _csv(inbox, "copying.csv", "80%")
    assert scan_inbox(inbox, wh=Warehouse(), row_checks=check_self_reports, settle_seconds=60) == []
    assert fresh.exists()


def test_reimport_reports_the_earlier_result_as_it_stands_now(units, tmp_path):
    first = _import(_csv(tmp_path, "v1.csv", "150%"))
    assert first.rows_rejected == 1
    good = _import(_csv(tmp_path, "v2.csv", "80%"), submitted_at=dt.datetime(2025, 6, 2, tzinfo=VN))
    newer = _import(_csv(tmp_path, "v3.csv", "81%"), submitted_at=dt.datetime(2025, 6, 3, tzinfo=VN))
    again = _import(tmp_path / "v2.csv")
    assert again.already_imported
    assert again.summary["submissions"][0]["is_current"] is False
    assert again.summary["submissions"][0]["superseded_by"] == newer.summary["submissions"][0]["id"]
    assert good.summary["submissions"][0]["is_current"] is True  # what it was at the time
    again_bad = _import(tmp_path / "v1.csv")
    assert again_bad.rejected_rows == first.rejected_rows


def test_workbook_unpacking_past_ten_times_the_limit_is_refused(units, tmp_path, monkeypatch):
    monkeypatch.setenv("DTI_MAX_UPLOAD_BYTES", "20000")
    path = tmp_path / "swelling.xlsx"
    path.write_bytes(_zip({"[Content_Types].xml": b"<x/>", "xl/worksheets/sheet1.xml": b" " * 900_000}))
    result = _import(path)
    assert result.error["code"] == "zip_bomb"
    assert result.error["message_en"] == (
        "'swelling.xlsx' expands to 900,004 bytes, over the 200,000-byte limit")
