"""The self-assessment form a unit fills in: one row per indicator of its framework, Vietnamese
headers, an instructions sheet, drop-downs for enumerated values and a protected structure."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from dti.cells import put
from dti.framework import loader
from dti.framework.model import Framework, Leaf
from dti.framework.periods import Period
from dti.intake import registry
from dti.intake.registry import UnitInfo
from dti.intake.xlsx import save_deterministic
from dti.settings import TZ, get_settings
from dti.text import code_key
from dti.warehouse import Warehouse

FORM_SHEET = "Tự đánh giá"
GUIDE_SHEET = "Hướng dẫn"
LISTS_SHEET = "Danh mục"
HEADER_ROW = 7
HEADERS = [
    ("Mã chỉ số", 11), ("Tên chỉ số", 48), ("Chỉ số chính", 22), ("Loại giá trị", 12), ("Điểm tối đa", 10),
    ("Nguồn dữ liệu", 10), ("Giá trị tự đánh giá", 16), ("Tử số", 10), ("Mẫu số", 10), ("Điểm tự chấm", 11),
    ("Tài liệu kiểm chứng (số, ký hiệu, ngày)", 36), ("Tóm tắt minh chứng", 30), ("Minh chứng yêu cầu", 30),
    ("Ghi chú", 20),
]
COL = {name: idx + 1 for idx, (name, _) in enumerate(HEADERS)}
MEASURE_VI = {"rate": "Tỷ lệ (%)", "count": "Số lượng", "bool": "Có/Không", "tier": "Mức", None: "Số"}
SOURCE_VI = {"DVC": "DVC", "DOC": "QLVB", "SEC": "ATTT", "EVD": "Minh chứng", "TAB": "Nguồn dạng bảng"}

GUIDE = [
    ("HƯỚNG DẪN KÊ KHAI PHIẾU TỰ ĐÁNH GIÁ DTI", "How to fill in the DTI self-assessment form"),
    ("1. Chỉ nhập vào các ô màu trắng của trang 'Tự đánh giá'; không thêm, xoá hay đổi tên cột, trang.",
     "1. Type only into the white cells of the 'Tự đánh giá' sheet; do not add, delete or rename columns or sheets."),
    ("2. Tỷ lệ ghi dạng phần trăm (85,5%) hoặc phân số (0,855). Có thể ghi Tử số và Mẫu số thay cho tỷ lệ; "
     "tử số không được lớn hơn mẫu số.",
     "2. Write rates as a percentage (85,5%) or a fraction (0,855). You may give numerator and denominator "
     "instead; the numerator cannot exceed the denominator."),
    ("3. Chỉ số Có/Không và chỉ số theo mức: chọn trong danh sách thả xuống.",
     "3. Yes/no and tiered indicators: pick a value from the drop-down list."),
    ("4. Điểm tự chấm không được vượt điểm tối đa; để trống thì hệ thống tự tính theo cách tính điểm.",
     "4. Self points cannot exceed the maximum; leave empty and the system scores the value itself."),
    ("5. Tài liệu kiểm chứng: ghi số, ký hiệu và ngày văn bản, mỗi văn bản một dòng, ví dụ "
     "'Kế hoạch số 45/KH-UBND ngày 12/3/2026' hoặc '476/KH-UBND - 05/08/2025'.",
     "5. Evidence: give each document's number, notation and date, one per line, e.g. "
     "'Kế hoạch số 45/KH-UBND ngày 12/3/2026' or '476/KH-UBND - 05/08/2025'."),
    ("6. Chỉ số có cột 'Minh chứng yêu cầu' bắt buộc phải có tài liệu kiểm chứng.",
     "6. Indicators with a 'Minh chứng yêu cầu' entry must cite evidence."),
    ("7. Ngày ghi theo dạng ngày/tháng/năm (05/08/2025). Không dùng công thức hay macro; ô có công thức "
     "chưa được tính sẽ bị từ chối.",
     "7. Dates as day/month/year (05/08/2025). No formulas or macros; a formula without a saved value is refused."),
    ("8. Nộp lại phiếu cho cùng kỳ sẽ thay thế bản trước (bản trước vẫn được lưu). Nộp sau hạn được nhận "
     "nhưng bị đánh dấu nộp muộn.",
     "8. Sending a new form for the same period replaces the earlier one (which is kept). Late forms are "
     "accepted and marked late."),
]


class TemplateError(ValueError):
    pass


BOLD = Font(bold=True)
GREY = PatternFill("solid", fgColor="D9D9D9")
WRAP = Alignment(wrap_text=True, vertical="top")
UNLOCKED = Protection(locked=False)


def _leaves_for(fw: Framework, unit_type: str) -> list[tuple[Leaf, str]]:
    out = []
    for main in fw.main_indices():
        for comp in main.components:
            for leaf in comp.criteria or [comp]:
                if fw.applies(leaf, unit_type):
                    out.append((leaf, main.name_vi))
    return sorted(out, key=lambda pair: code_key(pair[0].code))


def _deadline(unit: UnitInfo, fw: Framework, period: Period) -> dt.date | None:
    """The unit's deadline for the period; refuses a framework that does not apply to the unit or round."""
    try:
        fw.scale_for(unit.unit_type)
    except KeyError:
        raise TemplateError(
            f"bộ chỉ số '{fw.id}' không áp dụng cho loại đơn vị '{unit.unit_type}' / framework '{fw.id}' "
            f"does not apply to unit type '{unit.unit_type}'") from None
    try:
        return period.deadline(fw, unit.unit_type)
    except KeyError:
        rounds = ", ".join(str(r.round) for r in fw.rounds)
        raise TemplateError(f"bộ chỉ số '{fw.id}' không có đợt {period.round} (có: {rounds}) / framework "
                            f"'{fw.id}' has no round {period.round} (rounds: {rounds})") from None


def _write_guide(guide) -> None:
    guide.column_dimensions["A"].width = 110
    for idx, (vi, en) in enumerate(GUIDE, start=1):
        cell = guide.cell(row=idx * 2 - 1, column=1, value=vi)
        cell.font = BOLD if idx == 1 else Font()
        cell.alignment = WRAP
        guide.cell(row=idx * 2, column=1, value=en).font = Font(italic=True, color="595959")
    guide.protection.sheet = True


def _write_form_head(form, unit: UnitInfo, fw: Framework, period: Period, deadline: dt.date | None) -> None:
    form["A1"] = "PHIẾU TỰ ĐÁNH GIÁ CHỈ SỐ CHUYỂN ĐỔI SỐ (DTI)"
    form["A1"].font = Font(bold=True, size=14)
    form["A2"] = f"{fw.name_vi} — {fw.legal_basis.number} ngày {fw.legal_basis.date:%d/%m/%Y}"
    meta = [
        (3, "Mã đơn vị", unit.code, "Tên đơn vị", unit.name_vi),
        (4, "Kỳ đánh giá", str(period), "Hạn nộp", f"{deadline:%d/%m/%Y}" if deadline else "—"),
        (5, "Bộ chỉ số", fw.id, "Phiên bản", fw.version),
    ]
    for row, label, value, label2, value2 in meta:
        form.cell(row=row, column=1, value=label).font = BOLD
        form.cell(row=row, column=2, value=value).fill = GREY
        form.cell(row=row, column=3, value=label2).font = BOLD
        form.cell(row=row, column=4, value=value2)
    for idx, (name, width) in enumerate(HEADERS, start=1):
        cell = form.cell(row=HEADER_ROW, column=idx, value=name)
        cell.font = BOLD
        cell.fill = PatternFill("solid", fgColor="BDD7EE")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        form.column_dimensions[cell.column_letter].width = width
    form.freeze_panes = form.cell(row=HEADER_ROW + 1, column=3)


def _value_checks(form) -> dict[str, DataValidation]:
    """The drop-downs and number checks shared by every row of the form."""
    checks = {
        "bool": DataValidation(type="list", formula1='"Có,Không"', allow_blank=True, showErrorMessage=True,
                               errorTitle="Giá trị không hợp lệ", error="Chọn Có hoặc Không / pick Có or Không"),
        "rate": DataValidation(type="decimal", operator="between", formula1="0", formula2="1", allow_blank=True,
                               showErrorMessage=True, errorTitle="Tỷ lệ không hợp lệ",
                               error="Tỷ lệ từ 0% đến 100% / a rate between 0% and 100%"),
        "count": DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                showErrorMessage=True, error="Không được âm / cannot be negative"),
        "parts": DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                showErrorMessage=True, error="Không được âm / cannot be negative"),
    }
    for dv in checks.values():
        form.add_data_validation(dv)
    return checks


def _write_leaf(form, lists, checks: dict[str, DataValidation], row: int, leaf: Leaf, main_name: str,
                list_col: int) -> int:
    """One indicator's row: what the framework says (locked) and what the unit fills in (unlocked, checked).
    Returns the hidden lists sheet's last used column (a tier leaf adds its levels there)."""
    values = {
        "Mã chỉ số": leaf.code, "Tên chỉ số": leaf.name_vi, "Chỉ số chính": main_name,
        "Loại giá trị": MEASURE_VI.get(leaf.measure, "Số"), "Điểm tối đa": float(leaf.max_points)
        if leaf.max_points != int(leaf.max_points) else int(leaf.max_points),
        "Nguồn dữ liệu": SOURCE_VI.get(leaf.source or "", leaf.source),
        "Minh chứng yêu cầu": leaf.evidence_vi if leaf.source == "EVD" else None,
    }
    for name, value in values.items():
        cell = put(form, row, COL[name], value)
        cell.fill = GREY
        cell.alignment = WRAP
    form.cell(row=row, column=COL["Mã chỉ số"]).number_format = "@"
    for name in ("Giá trị tự đánh giá", "Điểm tự chấm", "Tài liệu kiểm chứng (số, ký hiệu, ngày)",
                 "Tóm tắt minh chứng", "Ghi chú"):
        cell = form.cell(row=row, column=COL[name])
        cell.protection = UNLOCKED
        cell.alignment = WRAP
    value_ref = form.cell(row=row, column=COL["Giá trị tự đánh giá"]).coordinate
    if leaf.measure == "rate":
        form[value_ref].number_format = "0.0%"
        checks["rate"].add(value_ref)
        for name in ("Tử số", "Mẫu số"):
            cell = form.cell(row=row, column=COL[name])
            cell.protection = UNLOCKED
            checks["parts"].add(cell.coordinate)
    else:
        for name in ("Tử số", "Mẫu số"):
            form.cell(row=row, column=COL[name]).fill = GREY
    if leaf.measure == "bool":
        checks["bool"].add(value_ref)
    elif leaf.measure == "count":
        checks["count"].add(value_ref)
    elif leaf.measure == "tier" and leaf.method and leaf.method.tiers:
        list_col += 1
        options = [f"{t.level} – {t.label_vi}" for t in sorted(leaf.method.tiers, key=lambda t: -t.level)]
        for i, option in enumerate(options, start=1):
            lists.cell(row=i, column=list_col, value=option)
        letter = lists.cell(row=1, column=list_col).column_letter
        dv = DataValidation(type="list", formula1=f"'{LISTS_SHEET}'!${letter}$1:${letter}${len(options)}",
                            allow_blank=True, showErrorMessage=True, errorTitle="Mức không hợp lệ",
                            error="Chọn một mức trong danh sách / pick a level from the list")
        form.add_data_validation(dv)
        dv.add(value_ref)
    points_dv = DataValidation(type="decimal", operator="between", formula1="0",
                               formula2=str(leaf.max_points), allow_blank=True, showErrorMessage=True,
                               error=f"Từ 0 đến {leaf.max_points} / between 0 and {leaf.max_points}")
    form.add_data_validation(points_dv)
    points_dv.add(form.cell(row=row, column=COL["Điểm tự chấm"]).coordinate)
    return list_col


def build_template(unit: UnitInfo, fw: Framework, period: Period, path: Path) -> Path:
    """Write the form for `unit` and `period` to `path`. Same inputs give the same bytes."""
    deadline = _deadline(unit, fw, period)
    wb = Workbook()
    guide = wb.active
    guide.title = GUIDE_SHEET
    form = wb.create_sheet(FORM_SHEET)
    lists = wb.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    _write_guide(guide)
    _write_form_head(form, unit, fw, period, deadline)
    checks = _value_checks(form)
    list_col = 0
    for row, (leaf, main_name) in enumerate(_leaves_for(fw, unit.unit_type), start=HEADER_ROW + 1):
        list_col = _write_leaf(form, lists, checks, row, leaf, main_name, list_col)
    form.protection.sheet = True
    form.protection.formatCells = False
    form.protection.formatColumns = False
    form.protection.formatRows = False
    wb.security = WorkbookProtection(lockStructure=True)
    wb.active = 1
    when = dt.datetime.combine(fw.valid_from, dt.time(), TZ)
    return save_deterministic(wb, path, when)


def write_template(wh: Warehouse, unit_code: str, period_text: str, *, out: Path | None = None) -> Path:
    """Look up the unit and its framework, then write the form (default: out/intake/templates/)."""
    try:
        period = Period.parse(period_text)
    except ValueError as exc:
        raise TemplateError(str(exc)) from None
    wh.migrate()
    with wh.transaction() as session:
        unit = registry.find_unit(session, unit_code)
    if unit is None:
        raise TemplateError(f"không có đơn vị '{unit_code}' trong danh mục / unknown unit '{unit_code}'")
    fw = registry.framework_for(unit, loader.load_all(), period.year)
    if fw is None:
        raise TemplateError(f"không có bộ chỉ số cho loại đơn vị '{unit.unit_type}' / no framework for unit "
                            f"type '{unit.unit_type}'")
    path = out or get_settings().out_dir / "intake" / "templates" / f"DTI-{unit.code}-{period}.xlsx"
    return build_template(unit, fw, period, Path(path))
