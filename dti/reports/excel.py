"""The council's Excel workbook, ready to print and sign: the ranking, the open discrepancy queue, the
claims the council settled (decision, by whom, when, why), every claim, and a scorecard sheet per unit —
each with the title block, number formats, A4 landscape print setup and signature lines."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from dti.formatting import points, signed_points
from dti.reconciliation import Claim
from dti.reports.context import PROVISIONAL_LEGEND, PROVISIONAL_MARK, ReportContext, gather
from dti.reports.excel_layout import (
    COUNT,
    DECIMAL,
    DTI,
    HEADER_ROW,
    POINTS,
    RATE,
    SIGNED_POINTS,
    WHEN,
    Column,
    header,
    notes,
    print_setup,
    signatures,
    title_block,
    write_rows,
)
from dti.settings import TZ
from dti.text import code_key
from dti.vocabulary import Direction, Outcome, Severity, UnitType

FILLS = {
    "discrepancy": PatternFill("solid", fgColor="FDE0DC"), "unverifiable": PatternFill("solid", fgColor="FFF0C2"),
    "critical": PatternFill("solid", fgColor="E57373"), "down": PatternFill("solid", fgColor="FDE0DC"),
}
CLAIM_COLUMNS = [
    Column("Mã đơn vị", 16), Column("Tên đơn vị", 28, wrap=True), Column("Mã chỉ số", 8),
    Column("Tên chỉ số", 36, wrap=True), Column("Nguồn", 8), Column("Điểm tối đa", 9, POINTS),
    Column("Tự đánh giá", 11), Column("Tử số (hệ thống)", 11, COUNT), Column("Mẫu số (hệ thống)", 11, COUNT),
    Column("Số liệu hệ thống", 11), Column("Giá trị thẩm định", 11), Column("Ngưỡng sai lệch", 10),
    Column("Kết quả", 14, wrap=True), Column("Chiều lệch", 14, wrap=True), Column("Mức độ", 11),
    Column("Điểm bị ảnh hưởng", 10, POINTS), Column("Điểm tự chấm", 10, POINTS),
    Column("Điểm thẩm định", 10, POINTS), Column("Lý do", 40, wrap=True),
]
DECISION_COLUMNS = [
    Column("Quyết định của Hội đồng", 22, wrap=True), Column("Người quyết định", 18, wrap=True),
    Column("Thời điểm", 16, WHEN), Column("Lý do quyết định", 36, wrap=True),
]
RANKING_COLUMNS = [
    Column("Loại đơn vị", 22, wrap=True), Column("Hạng thẩm định", 9), Column("Hạng tự chấm", 9),
    Column("Thay đổi hạng", 9), Column("Mã đơn vị", 16), Column("Tên đơn vị", 30, wrap=True),
    Column("Điểm tự chấm", 11, POINTS), Column("Điểm thẩm định", 11, POINTS),
    Column("Chênh điểm", 10, SIGNED_POINTS),
    Column("Điểm tối đa", 10, POINTS), Column("DTI tự chấm", 9, DTI), Column("DTI thẩm định", 9, DTI),
    Column("Số chênh lệch", 9, COUNT), Column("DTI xếp hạng", 9, DTI),
    Column("Điểm đo từ hệ thống", 11, POINTS), Column("Điểm minh chứng đã kiểm tra", 11, POINTS),
    Column("Điểm tạm tính", 11, POINTS), Column("Độ phủ", 9, RATE), Column("Hạng dựa trên điểm tạm tính", 10),
    Column("Chỉ số làm thay đổi điểm", 36, wrap=True),
]
GRADE_COLUMNS = [Column("Xếp loại tự chấm", 12, wrap=True), Column("Xếp loại thẩm định", 12, wrap=True)]
GRADES_AFTER = "DTI thẩm định"  # the grading columns stand beside the DTI values they grade


def ranking_columns(graded: bool) -> list[Column]:
    """The ranking sheet's columns; the grading bands' two only when a framework of the period has them."""
    if not graded:
        return RANKING_COLUMNS
    at = next(i for i, c in enumerate(RANKING_COLUMNS) if c.title == GRADES_AFTER) + 1
    return RANKING_COLUMNS[:at] + GRADE_COLUMNS + RANKING_COLUMNS[at:]


CHANGE_COLUMNS = [
    Column("Mã đơn vị", 16), Column("Tên đơn vị", 30, wrap=True), Column("Loại đơn vị", 22, wrap=True),
    Column("Kỳ trước", 10), Column("DTI kỳ trước", 9, DTI), Column("DTI kỳ này", 9, DTI),
    Column("Hạng kỳ trước", 9), Column("Hạng kỳ này", 9), Column("Thay đổi hạng", 9),
    Column("Điểm kỳ trước", 11, POINTS), Column("Điểm kỳ này", 11, POINTS),
    Column("Chênh điểm", 10, SIGNED_POINTS),
    Column("Chỉ số đóng góp nhiều nhất", 48, wrap=True),
]
TOP_CHANGE_STEPS = 5
LINK_FONT = Font(color="0563C1", underline="single")
# The workbook's own times are fixed so the same inputs give the same bytes.
FIXED_TIME = dt.datetime(2025, 1, 1)


def _value_format(measure: str) -> str:
    return RATE if measure == "rate" else DECIMAL


def _claim_cells(ctx: ReportContext, c: Claim) -> list:
    fmt = _value_format(c.measure)
    severity = Severity.label(c.severity, default="") if c.severity else ""
    return [c.unit_code, ctx.unit_names.get(c.unit_code, ""), c.indicator_code,
            ctx.indicator_names.get((c.framework_id, c.indicator_code), ""), c.source, c.max_points,
            (c.self_value, fmt),
            c.objective_numerator, c.objective_denominator, (c.objective_value, fmt), (c.verified_value, fmt),
            (c.tolerance, fmt), Outcome.label(c.outcome), Direction.label(c.direction, default=""), severity,
            c.points_at_stake, c.self_points, c.verified_points, c.reason_vi]


def _decision_cells(ctx: ReportContext, c: Claim) -> list:
    d = ctx.decision(c)
    if d is None:
        return [None, None, None, None]  # blank, to be filled in at the meeting
    return [d.label, d.decided_by, d.decided_at.astimezone(TZ), d.reason]


def _claims_sheet(wb: Workbook, ctx: ReportContext, name: str, title: str, subtitle: str, claims: list[Claim],
                  made_on: dt.date) -> Worksheet:
    ws = wb.create_sheet(name)
    columns = CLAIM_COLUMNS + DECISION_COLUMNS
    title_block(ws, len(columns), title, ctx.period, made_on, subtitle)
    header(ws, columns)
    last = write_rows(ws, columns, [_claim_cells(ctx, c) + _decision_cells(ctx, c) for c in claims])
    if ctx.link_base:  # the indicator code opens the claim's page in the review app
        for row, c in enumerate(claims, start=HEADER_ROW + 1):
            cell = ws.cell(row=row, column=3)
            cell.hyperlink = ctx.claim_url(c)
            cell.font = LINK_FONT
    _highlight_claims(ws, len(columns), last)
    signatures(ws, last, len(columns), made_on)
    print_setup(ws, len(columns))
    return ws


def _highlight_claims(ws: Worksheet, width: int, last: int) -> None:
    if last <= HEADER_ROW:
        return
    first = HEADER_ROW + 1
    rng = f"A{first}:{get_column_letter(width)}{last}"
    for outcome in ("discrepancy", "unverifiable"):
        ws.conditional_formatting.add(rng, FormulaRule(formula=[f'$M{first}="{Outcome(outcome).vi}"'],
                                                       fill=FILLS[outcome]))
    big = CellIsRule(operator="greaterThanOrEqual", formula=["10"], fill=FILLS["critical"])
    ws.conditional_formatting.add(f"P{first}:P{last}", big)


def _ranking_sheet(wb: Workbook, ctx: ReportContext, made_on: dt.date) -> None:
    ws = wb.active
    graded = any(x.self_grade or x.verified_grade for x in ctx.scores)
    columns = ranking_columns(graded)
    ws.title = "Xếp hạng"
    title_block(ws, len(columns), "Bảng xếp hạng Bộ chỉ số DTI sau thẩm định", ctx.period, made_on,
                "Điểm tự chấm và điểm thẩm định của từng đơn vị; hạng xếp trong từng loại đơn vị. "
                + " ".join(f"{line}." for line in ctx.policy_lines()))
    header(ws, columns)
    ranking = sorted(ctx.scores, key=lambda s: (s.unit_type, s.verified_rank, code_key(s.unit_code)))
    rows = [[UnitType.label(s.unit_type), s.verified_rank, s.self_rank, s.rank_change, s.unit_code,
             ctx.unit_names.get(s.unit_code, ""), s.self_total, s.verified_total,
             s.verified_total - s.self_total,
             s.max_points, s.self_dti, s.verified_dti,
             *((s.self_grade, s.verified_grade) if graded else ()), s.discrepancies, s.ranking_dti, s.measured_points,
             s.evidence_points, s.provisional_points, s.coverage,
             PROVISIONAL_MARK if s.rank_on_provisional else None,
             ", ".join(f"{m['indicator_code']} ({signed_points(Decimal(m['points']))})" for m in s.movers)]
            for s in ranking]
    last = write_rows(ws, columns, rows)
    if last > HEADER_ROW:
        fell = CellIsRule(operator="lessThan", formula=["0"], fill=FILLS["down"])
        ws.conditional_formatting.add(f"D{HEADER_ROW + 1}:D{last}", fell)
        mark = get_column_letter(len(columns) - 1)
        resting = FormulaRule(formula=[f'${mark}{HEADER_ROW + 1}="{PROVISIONAL_MARK}"'], fill=FILLS["unverifiable"])
        ws.conditional_formatting.add(f"B{HEADER_ROW + 1}:B{last}", resting)
    last = notes(ws, last, len(columns), [
        "Điểm thẩm định chia theo nguồn: đo từ hệ thống (bản ghi), minh chứng đã được Hội đồng kiểm tra, tạm tính "
        "(lời đơn vị, chưa kiểm chứng); độ phủ = (đo từ hệ thống + minh chứng đã kiểm tra) ÷ điểm thẩm định.",
        PROVISIONAL_LEGEND + ".",
    ])
    signatures(ws, last, len(columns), made_on)
    print_setup(ws, len(columns))


def _changes_sheet(wb: Workbook, ctx: ReportContext, made_on: dt.date) -> None:
    """Each unit's verified DTI, rank and points against the previous period, with the indicators that moved
    them most."""
    ws = wb.create_sheet("So với kỳ trước")
    title = "Thay đổi so với kỳ trước"
    subtitle = (f"Kỳ {ctx.period} so với kỳ {ctx.previous_period}: điểm và hạng thẩm định, các chỉ số đóng góp "
                "nhiều nhất" if ctx.previous_period else "Chưa có kỳ trước trong kho dữ liệu để so sánh")
    title_block(ws, len(CHANGE_COLUMNS), title, ctx.period, made_on, subtitle)
    header(ws, CHANGE_COLUMNS)
    before = {s.unit_code: s for s in ctx.previous_scores}
    scores = {s.unit_code: s for s in ctx.scores}
    rows = []
    if ctx.previous_period:
        for code, ch in sorted(ctx.changes().items(), key=lambda kv: code_key(kv[0])):
            now, then = scores[code], before.get(code)
            rows.append([code, ctx.unit_names.get(code, ""), UnitType.label(now.unit_type),
                         ch.previous_period or ctx.previous_period, then.verified_dti if then else None,
                         now.verified_dti, ch.before_rank, ch.after_rank, ch.rank_change, ch.before_total,
                         ch.after_total, ch.delta,
                         ", ".join(f"{st.label} ({signed_points(st.delta)})" for st in ch.steps[:TOP_CHANGE_STEPS])])
    last = write_rows(ws, CHANGE_COLUMNS, rows)
    if last > HEADER_ROW:
        fell = CellIsRule(operator="lessThan", formula=["0"], fill=FILLS["down"])
        ws.conditional_formatting.add(f"I{HEADER_ROW + 1}:I{last}", fell)
    signatures(ws, last, len(CHANGE_COLUMNS), made_on)
    print_setup(ws, len(CHANGE_COLUMNS))


def _unit_sheets(wb: Workbook, ctx: ReportContext, made_on: dt.date) -> None:
    """One scorecard sheet per unit (named by its code): its claims in indicator order and its totals."""
    by_unit: dict[str, list[Claim]] = {}
    for c in ctx.claims:
        by_unit.setdefault(c.unit_code, []).append(c)
    scores = {s.unit_code: s for s in ctx.scores}
    for code in sorted(by_unit, key=code_key):
        s = scores.get(code)
        name = ctx.unit_names.get(code, code)
        subtitle = f"{name} ({code}) · {UnitType.label(s.unit_type if s else ctx.unit_types.get(code))}"
        if s is not None:
            mark = f" ({PROVISIONAL_MARK})" if s.rank_on_provisional else ""
            subtitle += (f" · tự chấm {points(s.self_total)} → thẩm định {points(s.verified_total)} / "
                         f"{points(s.max_points)} điểm; hạng {s.self_rank} → {s.verified_rank}{mark}; "
                         f"đo từ hệ thống {points(s.measured_points)}, minh chứng đã kiểm tra "
                         f"{points(s.evidence_points)}, tạm tính {points(s.provisional_points)}")
        claims = sorted(by_unit[code], key=lambda c: code_key(c.indicator_code))
        title = "Phiếu điểm thẩm định Bộ chỉ số DTI"
        _claims_sheet(wb, ctx, _sheet_name(code), title, subtitle, claims, made_on)


def _sheet_name(code: str) -> str:
    return re.sub(r"[\\/*?:\[\]]", "-", code)[:31]


def build_workbook(ctx: ReportContext) -> Workbook:
    made_on = (ctx.as_of or dt.datetime.now(TZ)).astimezone(TZ).date()
    wb = Workbook()
    _ranking_sheet(wb, ctx, made_on)
    _claims_sheet(wb, ctx, "Chênh lệch cần xem xét", "Danh sách chênh lệch cần Hội đồng xem xét",
                  "Các chênh lệch chưa có quyết định, đang chờ giải trình hoặc chờ thành viên thứ hai phê "
                  "duyệt; điểm bị ảnh hưởng lớn nhất ở trên", ctx.open_queue(), made_on)
    _claims_sheet(wb, ctx, "Đã quyết định", "Các chỉ số Hội đồng đã quyết định",
                  "Quyết định, người quyết định, thời điểm và lý do, theo thứ tự quyết định", ctx.settled(),
                  made_on)
    _claims_sheet(wb, ctx, "Tất cả chỉ số", "Kết quả đối chiếu toàn bộ chỉ số", "Mọi đơn vị, mọi chỉ số",
                  sorted(ctx.claims, key=lambda c: (code_key(c.unit_code), code_key(c.indicator_code))),
                  made_on)
    _changes_sheet(wb, ctx, made_on)
    _unit_sheets(wb, ctx, made_on)
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
            if item.filename == "docProps/core.xml":  # openpyxl stamps the creation and save times here
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                              rb"\g<1>2025-01-01T00:00:00Z\g<3>", data)
            dst.writestr(info, data)
    return path


def write_council_workbook(session: Session, period: str, path: str | Path) -> Path:
    return save_deterministic(build_workbook(gather(session, period)), path)
