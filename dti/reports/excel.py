"""The council's Excel workbook: a ranking sheet, a discrepancy queue and a sheet per unit type, with
frozen headers, filters, conditional formatting and Vietnamese labels."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from dti.reports.context import DIRECTION_VI, OUTCOME_VI, SEVERITY_VI, UNIT_TYPE_VI, ReportContext, gather

HEADER_FILL = PatternFill("solid", fgColor="0B4F8A")
HEADER_FONT = Font(bold=True, color="FFFFFF")
FILLS = {
    "discrepancy": PatternFill("solid", fgColor="FDE0DC"), "unverifiable": PatternFill("solid", fgColor="FFF0C2"),
    "verified": PatternFill("solid", fgColor="D9F2E3"), "critical": PatternFill("solid", fgColor="E57373"),
}
CLAIM_HEADERS = ["Mã đơn vị", "Tên đơn vị", "Mã chỉ số", "Tên chỉ số", "Nguồn", "Điểm tối đa", "Tự đánh giá",
                 "Số liệu hệ thống", "Giá trị thẩm định", "Ngưỡng sai lệch", "Kết quả", "Chiều lệch", "Mức độ",
                 "Điểm bị ảnh hưởng", "Điểm tự chấm", "Điểm thẩm định", "Lý do"]
# Fixed document times keep the workbook byte-identical for the same inputs.
FIXED_TIME = dt.datetime(2025, 1, 1)


def _num(value: Decimal | None, places: str = "0.0001"):
    return None if value is None else float(value.quantize(Decimal(places)))


def _header(ws, headers: list[str], widths: list[int]) -> None:
    ws.append(headers)
    for i, cell in enumerate(ws[1], start=1):
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(i)].width = widths[i - 1] if i - 1 < len(widths) else 14
    ws.freeze_panes = "A2"


def _claim_row(ctx: ReportContext, c) -> list:
    return [c.unit_code, ctx.unit_names.get(c.unit_code, ""), c.indicator_code,
            ctx.indicator_names.get((c.framework_id, c.indicator_code), ""), c.source, _num(c.max_points, "0.01"),
            _num(c.self_value), _num(c.objective_value), _num(c.verified_value), _num(c.tolerance),
            OUTCOME_VI[c.outcome], DIRECTION_VI.get(c.direction, ""), SEVERITY_VI.get(c.severity, ""),
            _num(c.points_at_stake, "0.01"), _num(c.self_points, "0.01"), _num(c.verified_points, "0.01"), c.reason_vi]


def _format_claims(ws, n_rows: int) -> None:
    if n_rows == 0:
        return
    last = n_rows + 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(CLAIM_HEADERS))}{last}"
    rng = f"A2:{get_column_letter(len(CLAIM_HEADERS))}{last}"
    ws.conditional_formatting.add(rng, FormulaRule(formula=[f'$K2="{OUTCOME_VI["discrepancy"]}"'],
                                                   fill=FILLS["discrepancy"]))
    ws.conditional_formatting.add(rng, FormulaRule(formula=[f'$K2="{OUTCOME_VI["unverifiable"]}"'],
                                                   fill=FILLS["unverifiable"]))
    ws.conditional_formatting.add(f"N2:N{last}", CellIsRule(operator="greaterThanOrEqual", formula=["10"],
                                                            fill=FILLS["critical"]))


def build_workbook(ctx: ReportContext) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "Xếp hạng"
    _header(ws, ["Loại đơn vị", "Hạng thẩm định", "Hạng tự chấm", "Thay đổi hạng", "Mã đơn vị", "Tên đơn vị",
                 "Điểm tự chấm", "Điểm thẩm định", "Điểm tối đa", "DTI tự chấm", "DTI thẩm định",
                 "Chỉ số làm thay đổi"], [26, 10, 10, 10, 18, 36, 12, 12, 10, 10, 10, 40])
    ranking = sorted(ctx.scores, key=lambda s: (s.unit_type, s.verified_rank, s.unit_code))
    for s in ranking:
        ws.append([UNIT_TYPE_VI.get(s.unit_type, s.unit_type), s.verified_rank, s.self_rank, s.rank_change,
                   s.unit_code, ctx.unit_names.get(s.unit_code, ""), _num(s.self_total, "0.01"),
                   _num(s.verified_total, "0.01"), _num(s.max_points, "0.01"), _num(s.self_dti),
                   _num(s.verified_dti), ", ".join(f"{m['indicator_code']} ({m['points']})" for m in s.movers)])
    if ranking:
        ws.auto_filter.ref = f"A1:L{len(ranking) + 1}"
        ws.conditional_formatting.add(f"D2:D{len(ranking) + 1}", CellIsRule(operator="lessThan", formula=["0"],
                                                                           fill=FILLS["discrepancy"]))

    queue = wb.create_sheet("Chênh lệch cần xem xét")
    _header(queue, CLAIM_HEADERS, [18, 30, 9, 40, 7, 9, 11, 11, 11, 9, 16, 18, 12, 10, 10, 10, 50])
    discrepancies = ctx.discrepancies()
    for c in discrepancies:
        queue.append(_claim_row(ctx, c))
    _format_claims(queue, len(discrepancies))

    unit_type = {s.unit_code: s.unit_type for s in ctx.scores}
    for utype in sorted({s.unit_type for s in ctx.scores}):
        sheet = wb.create_sheet(UNIT_TYPE_VI.get(utype, utype)[:31])
        _header(sheet, CLAIM_HEADERS, [18, 30, 9, 40, 7, 9, 11, 11, 11, 9, 16, 18, 12, 10, 10, 10, 50])
        rows = [c for c in ctx.claims if unit_type.get(c.unit_code) == utype]
        for c in rows:
            sheet.append(_claim_row(ctx, c))
        _format_claims(sheet, len(rows))
    wb.properties.creator = "DTI verification engine"
    wb.properties.title = f"Bảng thẩm định DTI {ctx.period}"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    return wb


def save_deterministic(wb: Workbook, path: str | Path) -> Path:
    """Save with fixed zip entry times, so the same workbook gives the same bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = io.BytesIO()
    wb.save(raw)
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = item.external_attr
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>2025-01-01T00:00:00Z\g<2>", data)
            dst.writestr(info, data)
    return path


def write_council_workbook(session: Session, period: str, path: str | Path) -> Path:
    return save_deterministic(build_workbook(gather(session, period)), path)
