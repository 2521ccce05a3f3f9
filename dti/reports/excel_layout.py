"""How every sheet of the council's workbook is laid out for print and signature: the administrative title
block, a styled header row, typed cells with number formats, A4 landscape fit to width with print titles,
and the signature lines under the table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from dti import formatting
from dti.cells import put
from dti.framework import Period
from dti.settings import read

HEADER_FILL = PatternFill("solid", fgColor="0B4F8A")
HEADER_FONT = Font(bold=True, color="FFFFFF")
THIN = Side(style="thin", color="B0BEC5")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
RATE = "0.0%"
POINTS = "#,##0.00"
SIGNED_POINTS = "+#,##0.00;-#,##0.00;0.00"
COUNT = "#,##0"
DECIMAL = "#,##0.00"
DTI = "0.0000"
WHEN = "dd/mm/yyyy hh:mm"
TITLE_ROWS = 5  # the title block; a blank row follows, then the header row
HEADER_ROW = TITLE_ROWS + 2
SIGNERS = (
    ("NGƯỜI LẬP BIỂU", "(Ký, ghi rõ họ tên)"),
    ("THƯ KÝ HỘI ĐỒNG", "(Ký, ghi rõ họ tên)"),
    ("CHỦ TỊCH HỘI ĐỒNG", "(Ký tên, đóng dấu)"),
)


@dataclass(frozen=True)
class Column:
    title: str
    width: int
    number_format: str | None = None  # None: each cell says (rates and counts share a column)
    wrap: bool = False


def issuer() -> str:
    name = read("DTI_PROVINCE_NAME")
    return f"ỦY BAN NHÂN DÂN TỈNH {name.upper()}" if name else "ỦY BAN NHÂN DÂN TỈNH ……………"


def period_text(period: str) -> str:
    try:
        p = Period.parse(period)
    except ValueError:
        return period
    return f"{period} (năm {p.year}, đợt {p.round})"


def _merge(
    ws: Worksheet, row: int, first: int, last: int, value: str, font: Font, align: str = "center"
) -> None:
    if last > first:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    cell = put(ws, row, first, value)
    cell.font = font
    cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=True)


def title_block(
    ws: Worksheet, width: int, title: str, period: str, made_on: dt.date, subtitle: str = ""
) -> None:
    """UBND tỉnh … / Hội đồng thẩm định on the left, the national motto on the right, then the title, the
    period and the date the sheet was made."""
    half = max(width // 2, 1)
    _merge(ws, 1, 1, half, issuer(), Font(bold=True, size=11))
    _merge(ws, 2, 1, half, "HỘI ĐỒNG THẨM ĐỊNH BỘ CHỈ SỐ DTI", Font(bold=True, size=11))
    _merge(ws, 1, half + 1, width, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", Font(bold=True, size=11))
    _merge(ws, 2, half + 1, width, "Độc lập - Tự do - Hạnh phúc", Font(bold=True, italic=True, size=11))
    _merge(ws, 3, 1, width, title.upper(), Font(bold=True, size=14))
    _merge(ws, 4, 1, width, subtitle, Font(italic=True, size=11))
    _merge(
        ws,
        5,
        1,
        width,
        f"Kỳ đánh giá: {period_text(period)} · Ngày lập: {formatting.date_vn(made_on)}",
        Font(size=11),
    )
    for row in (1, 2, 3):
        ws.row_dimensions[row].height = 20 if row < 3 else 26


def header(ws: Worksheet, columns: Sequence[Column]) -> None:
    for i, col in enumerate(columns, start=1):
        cell = ws.cell(row=HEADER_ROW, column=i, value=col.title)
        cell.fill, cell.font, cell.border = HEADER_FILL, HEADER_FONT, GRID
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.row_dimensions[HEADER_ROW].height = 45
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones: the caller passes local time
    return value


def write_rows(ws: Worksheet, columns: Sequence[Column], rows: Sequence[Sequence]) -> int:
    """Rows under the header; a cell given as (value, format) carries its own number format. Returns the
    last row written."""
    r = HEADER_ROW
    for r, values in enumerate(rows, start=HEADER_ROW + 1):
        for i, (col, value) in enumerate(zip(columns, values, strict=True), start=1):
            fmt = col.number_format
            if isinstance(value, tuple):
                value, fmt = value
            cell = put(ws, r, i, _plain(value))
            cell.border = GRID
            if fmt and value is not None:
                cell.number_format = fmt
            if col.wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    if rows:
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(columns))}{r}"
    return r


def notes(ws: Worksheet, last_row: int, width: int, lines: Sequence[str]) -> int:
    """Explanatory lines under a table (one merged, wrapped row each); returns the last row written."""
    row = last_row
    for line in lines:
        row += 1
        _merge(ws, row, 1, width, line, Font(italic=True, size=10), align="left")
        ws.row_dimensions[row].height = 28
    return row


def signatures(ws: Worksheet, last_row: int, width: int, made_on: dt.date) -> None:
    """Date line and three signature places (preparer, secretary, chair) under the table."""
    row = last_row + 2
    place = read("DTI_PROVINCE_NAME") or "……………"
    day = f"{place}, ngày {made_on.day:02d} tháng {made_on.month:02d} năm {made_on.year}"
    _merge(ws, row, max(width - 4, 1), width, day, Font(italic=True, size=11))
    spans = _thirds(width)
    for (first, last), (role, hint) in zip(spans, SIGNERS, strict=True):
        _merge(ws, row + 1, first, last, role, Font(bold=True, size=11))
        _merge(ws, row + 2, first, last, hint, Font(italic=True, size=10))
    ws.row_dimensions[row + 3].height = 60  # room to sign


def _thirds(width: int) -> list[tuple[int, int]]:
    size = max(width // 3, 1)
    starts = [1, 1 + size, 1 + 2 * size]
    return [(s, min(s + size - 1, width) if i < 2 else width) for i, s in enumerate(starts)]


def print_setup(ws: Worksheet, width: int) -> None:
    """A4 landscape, every column on one page width, the header row repeated on each page, page numbers."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.oddFooter.center.text = "Trang &P / &N"
    ws.oddFooter.right.text = "&A"
    ws.print_area = f"A1:{get_column_letter(width)}{ws.max_row}"
