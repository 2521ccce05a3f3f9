"""The native path: template → filled form → import, every error kind with its exact message, the
quarantine and the error report sent back, Vietnamese numbers in a UTF-16 CSV. What happens to submitted
files (supersession, late flags, refused files, mappings, the inbox) is in test_intake_native_files.py;
the `units` fixture and the form helpers here are shared with it and with test_intake_reupload.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from application.cli import main
from dti.intake.service import import_file
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
