"""From sheet grids to checked self-report records: find the header row through the mapping, parse
each cell, then apply the domain rules. Every problem names file, sheet, row, column and value."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dti.framework.model import Framework, Leaf
from dti.framework.periods import Period
from dti.intake.citations import Citation
from dti.intake.mappings import DATE_FIELDS, NUMERIC_FIELDS, Mapping
from dti.intake.parsing import ValueProblem, parse_date, parse_number
from dti.intake.readers import FileRejected, Grid, Workbook
from dti.intake.store import json_number
from dti.text import clean, code_key, nfc

SIX = Decimal("0.000001")
TEXT_FIELDS = ("unit_code", "period", "framework_id", "indicator_code", "indicator_name", "group", "measure",
               "evidence_text", "evidence_summary", "status", "note", "owner")
MEASURE_VI = {"rate": "Tỷ lệ (%)", "count": "Số lượng", "bool": "Có/Không", "tier": "Mức"}
YES = {"có", "co", "x", "yes", "y", "true", "đạt", "1"}
NO = {"không", "khong", "no", "n", "false", "chưa", "chưa đạt", "không đạt", "0"}


@dataclass
class Reason:
    column: str | None
    value: Any
    code: str
    message_vi: str
    message_en: str

    def to_dict(self) -> dict:
        return {"column": self.column, "value": _json_value(self.value), "code": self.code,
                "message_vi": self.message_vi, "message_en": self.message_en}


@dataclass
class Record:
    filename: str
    sheet: str | None
    row_number: int
    raw: dict[str, Any]
    columns: dict[str, str]  # field -> header label (or cell address) it was read from
    fields: dict[str, Any] = field(default_factory=dict)
    reasons: list[Reason] = field(default_factory=list)
    warnings: list[Reason] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    citations: list[Citation] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.sheet or ''}!{self.row_number}"

    @property
    def accepted(self) -> bool:
        return not self.reasons

    def _where(self, column: str | None) -> tuple[str, str]:
        sheet_vi = f", trang '{self.sheet}'" if self.sheet else ""
        sheet_en = f", sheet '{self.sheet}'" if self.sheet else ""
        col_vi = f", cột '{column}'" if column else ""
        col_en = f", column '{column}'" if column else ""
        return (f"Tệp '{self.filename}'{sheet_vi}, dòng {self.row_number}{col_vi}",
                f"File '{self.filename}'{sheet_en}, row {self.row_number}{col_en}")

    def problem(self, fld: str | None, value: Any, code: str, expected_vi: str, expected_en: str,
                *, warning: bool = False) -> Reason:
        column = self.columns.get(fld, fld) if fld else None
        where_vi, where_en = self._where(column)
        shown = "(trống)" if value in (None, "") else str(_json_value(value))
        shown_en = "(empty)" if value in (None, "") else str(_json_value(value))
        reason = Reason(
            column=column, value=_json_value(value), code=code,
            message_vi=f"{where_vi}: giá trị '{shown}' — {expected_vi}",
            message_en=f"{where_en}: value '{shown_en}' — {expected_en}",
        )
        (self.warnings if warning else self.reasons).append(reason)
        return reason


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f") if value == value.to_integral_value() else str(value.normalize())
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return nfc(value)
    return str(value)


# --- extraction -----------------------------------------------------------------------------


@dataclass
class Extracted:
    sheet: str | None
    header_row: int
    records: list[Record]
    header_values: dict[str, Any]  # fields read from header cells (unit, period, framework)
    unmapped_columns: list[str]


def _find_header(grid: Grid, mapping: Mapping) -> int | None:
    for idx, row in enumerate(grid.rows[: mapping.header_search_rows]):
        if mapping.matches(row):
            return idx
    return None


def extract(workbook: Workbook, mapping: Mapping, filename: str) -> Extracted:
    """Locate the table through `mapping` and turn every non-blank row into a Record."""
    grids = [g for g in workbook.grids if mapping.sheet is None or g.sheet == mapping.sheet]
    if mapping.sheet is None:
        grids = [g for g in grids if not g.hidden] or grids
    chosen = None
    for grid in grids:
        header_idx = _find_header(grid, mapping)
        if header_idx is not None:
            chosen = (grid, header_idx)
            break
    if chosen is None:
        wanted = "; ".join(f"{f}: {' | '.join(mapping.columns.get(f, [f]))}" for f in mapping.required)
        sheets = ", ".join(f"'{g.sheet}'" for g in workbook.grids if g.sheet) or "(CSV)"
        raise FileRejected(
            "headers_not_found",
            f"không tìm thấy dòng tiêu đề của ánh xạ '{mapping.id}' trong tệp '{filename}' (trang {sheets}); "
            f"cần các cột: {wanted}",
            f"no header row for mapping '{mapping.id}' in '{filename}' (sheets {sheets}); "
            f"expected columns: {wanted}",
        )
    grid, header_idx = chosen
    headers = grid.rows[header_idx]
    labels: list[str] = []
    for idx, cell in enumerate(headers):
        text = clean(str(cell)) if cell is not None else None
        label = (text or f"Cột {idx + 1}").replace("\n", " ")
        labels.append(label if label not in labels else f"{label} ({idx + 1})")
    index = mapping.header_index(headers)
    mapped_idx = set(index.values())
    unmapped = [labels[i] for i in range(len(labels)) if i not in mapped_idx and headers[i] is not None]

    header_values: dict[str, Any] = {}
    header_columns: dict[str, str] = {}
    if workbook.kind == "xlsx":
        for fld, address in mapping.header_cells.items():
            value = clean(str(grid.cell(address))) if grid.cell(address) is not None else None
            if value:
                header_values[fld] = value
                header_columns[fld] = address

    records: list[Record] = []
    for values, number in zip(grid.rows[header_idx + 1:], grid.row_numbers[header_idx + 1:], strict=True):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        raw = {labels[i]: _json_value(values[i]) for i in range(min(len(values), len(labels)))
               if values[i] is not None}
        for i in range(len(labels), len(values)):  # cells beyond the header row are kept too
            if values[i] is not None:
                raw[f"Cột {i + 1}"] = _json_value(values[i])
        rec = Record(filename=filename, sheet=grid.sheet, row_number=number, raw=raw,
                     columns={f: labels[i] for f, i in index.items()} | {
                         f: a for f, a in header_columns.items() if f not in index})
        for fld, i in index.items():
            value = values[i] if i < len(values) else None
            if (number, i) in grid.formulas:
                rec.problem(fld, grid.formulas[(number, i)], "formula_without_value",
                            "ô chứa công thức nhưng không có giá trị đã tính (hệ thống không tự tính công "
                            "thức); hãy mở tệp bằng Excel, lưu lại, hoặc nhập giá trị trực tiếp",
                            "the cell holds a formula without a saved result (formulas are never computed "
                            "here); open and save the file in Excel, or type the value")
                continue
            rec.fields[fld] = _parse_cell(rec, fld, value, mapping)
        for fld, value in header_values.items():
            rec.fields.setdefault(fld, value)
            if rec.fields[fld] is None:
                rec.fields[fld] = value
        rec.extra["unmapped"] = {k: raw[k] for k in unmapped if k in raw}
        records.append(rec)
    return Extracted(sheet=grid.sheet, header_row=grid.row_numbers[header_idx], records=records,
                     header_values=header_values, unmapped_columns=unmapped)


def _parse_cell(rec: Record, fld: str, value: Any, mapping: Mapping) -> Any:
    if fld in TEXT_FIELDS:
        if value is None:
            return None
        if fld == "indicator_code" and isinstance(value, float):
            # 4.10 typed into a number cell comes back as 4.1: the code may have lost a digit
            rec.problem(fld, value, "code_was_number",
                        "mã chỉ số được lưu dạng số nên có thể đã mất chữ số 0 ở cuối; hãy định dạng cột là Văn bản",
                        "the code was stored as a number and may have lost a trailing zero; format the "
                        "column as Text", warning=True)
            value = repr(value)
        if isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        text = clean(str(value))
        if text and fld == "indicator_code":
            text = text.rstrip(".")
        return text
    if fld in DATE_FIELDS:
        try:
            return parse_date(value)
        except ValueProblem as exc:
            rec.problem(fld, value, exc.code, exc.message_vi, exc.message_en)
            return None
    if fld in NUMERIC_FIELDS and fld != "value":
        try:
            return parse_number(value, decimal=mapping.decimal, allow_percent=False)
        except ValueProblem as exc:
            rec.problem(fld, value, exc.code, exc.message_vi, exc.message_en)
            return None
    return value  # `value` is read later, once the indicator's measure is known


# --- domain rules ---------------------------------------------------------------------------


@dataclass
class UnitContext:
    """What validation needs to know about one (unit, period) group."""

    unit_code: str | None
    period: str | None
    resolved_code: str | None = None  # the successor when the file carries a merged unit's old code
    unit_type: str | None = None
    framework: Framework | None = None
    problems: list[tuple[str, Any, str, str, str]] = field(default_factory=list)  # field, value, code, vi, en


def check_duplicates(records: list[Record]) -> None:
    seen: dict[tuple, list[Record]] = defaultdict(list)
    for rec in records:
        code = rec.fields.get("indicator_code")
        if code:
            seen[(rec.fields.get("unit_code"), rec.fields.get("period"), code)].append(rec)
    for (_, _, code), group in seen.items():
        if len(group) > 1:
            rows = ", ".join(str(r.row_number) for r in group)
            for rec in group:
                rec.problem("indicator_code", code, "duplicate_row",
                            f"mã chỉ số '{code}' xuất hiện ở nhiều dòng ({rows}); mỗi chỉ số chỉ được khai một dòng",
                            f"indicator code '{code}' appears on several rows ({rows}); one row per indicator")


def _check_points(rec: Record, fld: str, points: Decimal | None, max_points: Decimal | None) -> None:
    if points is None:
        return
    if points < 0 or (max_points is not None and points > max_points):
        upper = _json_value(max_points) if max_points is not None else "∞"
        rec.problem(fld, points, "out_of_range",
                    f"điểm phải nằm trong khoảng 0 đến {upper} (điểm tối đa của chỉ số)",
                    f"points must be between 0 and {upper} (the indicator's maximum)")


def parse_value(rec: Record, leaf: Leaf, mapping: Mapping) -> Decimal | None:
    raw = rec.fields.get("value")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    measure = leaf.measure
    if measure == "bool":
        text = clean(str(raw)).casefold() if not isinstance(raw, (int, float, Decimal)) else str(int(raw))
        if text in YES:
            return Decimal(1)
        if text in NO:
            return Decimal(0)
        rec.problem("value", raw, "out_of_range", "chỉ số dạng Có/Không: cần ghi 'Có' hoặc 'Không'",
                    "a yes/no indicator: expected 'Có' (yes) or 'Không' (no)")
        return None
    if measure == "tier":
        levels = sorted(t.level for t in (leaf.method.tiers or [])) if leaf.method else []
        m = re.match(r"^\s*(\d+)", str(raw) if not isinstance(raw, float) else str(int(raw)))
        if m and (not levels or int(m.group(1)) in levels):
            return Decimal(int(m.group(1)))
        shown = ", ".join(str(lv) for lv in levels)
        rec.problem("value", raw, "out_of_range", f"chỉ số theo mức: cần một trong các mức {shown}",
                    f"a tiered indicator: expected one of the levels {shown}")
        return None
    try:
        value = parse_number(raw, decimal=mapping.decimal, allow_percent=measure in (None, "rate"))
    except ValueProblem as exc:
        rec.problem("value", raw, exc.code, exc.message_vi, exc.message_en)
        return None
    if measure == "rate" and not (0 <= value <= 1):
        rec.problem("value", raw, "out_of_range",
                    "tỷ lệ phải từ 0 đến 1 (tức 0%–100%); ghi ví dụ 85,5% hoặc 0,855",
                    "a rate must be between 0 and 1 (0%–100%); write e.g. 85,5% or 0,855")
        return None
    if measure == "count" and value < 0:
        rec.problem("value", raw, "out_of_range", "số lượng không được âm", "a count cannot be negative")
        return None
    return value


def validate_native(records: list[Record], contexts: dict[tuple, UnitContext], mapping: Mapping) -> None:
    """Domain rules for forms filled against one of our frameworks."""
    from dti.scoring import ScoringError, score_leaf

    for rec in records:
        ctx = contexts[(rec.fields.get("unit_code"), rec.fields.get("period"))]
        for fld, value, code, vi, en in ctx.problems:
            rec.problem(fld, value, code, vi, en)
        if ctx.resolved_code and rec.fields.get("unit_code") != ctx.resolved_code:
            rec.problem("unit_code", ctx.unit_code, "unit_code_resolved",
                        f"mã đơn vị cũ đã được chuyển sang đơn vị kế thừa '{ctx.resolved_code}' (sáp nhập)",
                        f"an old unit code, filed under its successor '{ctx.resolved_code}' (merger)",
                        warning=True)
            rec.fields["unit_code"] = ctx.resolved_code
        code = rec.fields.get("indicator_code")
        if not code:
            rec.problem("indicator_code", None, "missing_code", "thiếu mã chỉ số", "the indicator code is missing")
            continue
        fw = ctx.framework
        if fw is None:
            continue
        try:
            leaf = fw.leaf(code)
        except KeyError:
            rec.problem("indicator_code", code, "unknown_indicator",
                        f"mã chỉ số không có trong bộ chỉ số '{fw.id}' (phiên bản {fw.version})",
                        f"no such indicator code in framework '{fw.id}' (version {fw.version})")
            continue
        if ctx.unit_type and not fw.applies(leaf, ctx.unit_type):
            rec.problem("indicator_code", code, "not_applicable",
                        f"chỉ số {code} không áp dụng cho loại đơn vị '{ctx.unit_type}'",
                        f"indicator {code} does not apply to unit type '{ctx.unit_type}'")
            continue
        rec.extra["measure"] = leaf.measure
        rec.extra["max_points"] = _json_value(leaf.max_points)
        value = parse_value(rec, leaf, mapping)
        num, den = rec.fields.get("numerator"), rec.fields.get("denominator")
        if num is not None and num < 0:
            rec.problem("numerator", num, "out_of_range", "tử số không được âm", "the numerator cannot be negative")
        if den is not None and den <= 0:
            rec.problem("denominator", den, "out_of_range", "mẫu số phải lớn hơn 0",
                        "the denominator must be greater than 0")
        if num is not None and den is not None and den > 0 and num > den:
            rec.problem("numerator", num, "numerator_gt_denominator",
                        f"tử số ({_json_value(num)}) lớn hơn mẫu số ({_json_value(den)}); tử số phải ≤ mẫu số",
                        f"the numerator ({_json_value(num)}) is greater than the denominator "
                        f"({_json_value(den)}); it must be ≤ the denominator")
        if leaf.measure == "rate" and num is not None and den is not None and 0 <= num <= den and den > 0:
            computed = (num / den).quantize(SIX)
            if value is None and rec.fields.get("value") in (None, ""):
                value = computed
                rec.extra["value_from_ratio"] = True
            elif value is not None and abs(value - computed) > Decimal("0.0005"):
                rec.problem("value", rec.fields.get("value"), "value_mismatch",
                            f"giá trị khác tỷ lệ tử số/mẫu số ({_json_value(computed)}); hệ thống giữ giá trị đã khai",
                            f"the value differs from numerator/denominator ({_json_value(computed)}); "
                            "the declared value is kept", warning=True)
        if value is None and rec.fields.get("value") in (None, "") and not any(
            r.code in ("numerator_gt_denominator", "out_of_range", "formula_without_value") for r in rec.reasons
        ):
            hint_vi = "; với tỷ lệ có thể ghi tử số và mẫu số" if leaf.measure == "rate" else ""
            hint_en = "; for a rate you may give numerator and denominator" if leaf.measure == "rate" else ""
            rec.problem("value", None, "missing_value", f"chưa khai giá trị tự đánh giá cho chỉ số {code}{hint_vi}",
                        f"no self-assessed value for indicator {code}{hint_en}")
        rec.fields["value"] = value
        if (leaf.source == "EVD" and leaf.evidence_vi
                and not rec.fields.get("evidence_text") and not rec.fields.get("evidence_summary")):
            rec.problem("evidence_text", None, "missing_evidence",
                        f"chỉ số {code} cần tài liệu kiểm chứng: {leaf.evidence_vi}",
                        f"indicator {code} requires evidence: {leaf.evidence_vi}")
        points = rec.fields.get("self_points")
        _check_points(rec, "self_points", points, leaf.max_points)
        if points is None and value is not None and not rec.reasons:
            try:
                rec.fields["self_points"] = score_leaf(leaf, value)
                rec.extra["self_points_computed"] = rec.fields["self_points"] is not None
            except (ScoringError, TypeError, ArithmeticError):
                rec.fields["self_points"] = None
    check_duplicates(records)


def validate_external(records: list[Record], mapping: Mapping) -> None:
    """Rules for foreign sheets that carry their own criteria, max points and council points."""
    for rec in records:
        code = rec.fields.get("indicator_code")
        if not code:
            rec.problem("indicator_code", None, "missing_code", "thiếu mã tiêu chí", "the criterion code is missing")
        mx = rec.fields.get("max_points")
        if mx is None and "max_points" not in {r.column for r in rec.reasons}:
            rec.problem("max_points", None, "missing_value", "thiếu điểm tối đa", "the max points are missing")
        elif mx is not None and mx < 0:
            rec.problem("max_points", mx, "out_of_range", "điểm tối đa không được âm", "max points cannot be negative")
        selfp, council = rec.fields.get("self_points"), rec.fields.get("council_points")
        _check_points(rec, "self_points", selfp, mx)
        _check_points(rec, "council_points", council, mx)
        diff = rec.fields.get("difference")
        if mapping.difference and diff is not None and selfp is not None and council is not None:
            expected = selfp - council if mapping.difference == "self_minus_council" else council - selfp
            if abs(expected - diff) > Decimal("0.01"):
                rec.problem("difference", diff, "difference_mismatch",
                            f"chênh lệch ghi trong bảng khác với tính toán ({_json_value(expected)})",
                            f"the sheet's difference differs from the computed one ({_json_value(expected)})",
                            warning=True)
        rec.fields["value"] = None
    check_duplicates(records)


def resolve_period(value: str | None) -> tuple[Period | None, str | None]:
    if not value:
        return None, None
    try:
        return Period.parse(value), None
    except ValueError as exc:
        return None, str(exc)


def criteria_tree(records: list[Record]) -> list[dict]:
    """Rebuild the criteria tree from dotted codes (4.22.1 → 4.22 → 4), adding the missing parents.

    Totals add leaf rows only: a row that has children is a heading and would be counted twice.
    """
    rows = {r.fields["indicator_code"]: r for r in records if r.accepted and r.fields.get("indicator_code")}
    nodes: dict[str, dict] = {}

    def node(code: str) -> dict:
        if code not in nodes:
            nodes[code] = {"code": code, "name_vi": None, "group": None, "synthesized": code not in rows,
                           "max_points": Decimal(0), "self_points": Decimal(0), "council_points": Decimal(0),
                           "children": []}
        return nodes[code]

    for code in sorted(rows, key=code_key):
        parts = code.split(".")
        for depth in range(1, len(parts) + 1):
            node(".".join(parts[:depth]))
    for code, n in nodes.items():
        rec = rows.get(code)
        if rec is not None:
            n["name_vi"] = rec.fields.get("indicator_name")
            n["group"] = rec.fields.get("group")
        if "." in code:
            nodes[code.rsplit(".", 1)[0]]["children"].append(code)
    for code in sorted(nodes, key=lambda c: (-c.count("."), code_key(c))):
        n = nodes[code]
        if not n["children"] and code in rows:
            rec = rows[code]
            for k in ("max_points", "self_points", "council_points"):
                n[k] = rec.fields.get(k) or Decimal(0)
        if "." in code:
            parent = nodes[code.rsplit(".", 1)[0]]
            for k in ("max_points", "self_points", "council_points"):
                parent[k] += n[k]
            if parent["group"] is None:
                parent["group"] = n["group"]
        n["children"] = sorted(n["children"], key=code_key)
    for n in nodes.values():
        if n["name_vi"] is None and n["group"] and "." not in n["code"]:
            n["name_vi"] = n["group"]

    def render(code: str) -> dict:
        n = nodes[code]
        return {"code": code, "name_vi": n["name_vi"], "synthesized": n["synthesized"],
                "max_points": json_number(n["max_points"]), "self_points": json_number(n["self_points"]),
                "council_points": json_number(n["council_points"]),
                "children": [render(c) for c in n["children"]]}

    return [render(c) for c in sorted((c for c in nodes if "." not in c), key=code_key)]
