"""The domain rules applied to extracted self-report records (native forms and foreign sheets); every
problem names file, sheet, row, column and value."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dti.framework.model import Framework, Leaf
from dti.framework.periods import Period
from dti.intake.mappings import Mapping
from dti.intake.parsing import ValueProblem, parse_number
from dti.intake.records import Record, json_value
from dti.intake.store import json_number
from dti.scoring import ScoringError, score_leaf
from dti.text import clean, code_key

SIX = Decimal("0.000001")
MEASURE_VI = {"rate": "Tỷ lệ (%)", "count": "Số lượng", "bool": "Có/Không", "tier": "Mức"}
YES = {"có", "co", "x", "yes", "y", "true", "đạt", "1"}
NO = {"không", "khong", "no", "n", "false", "chưa", "chưa đạt", "không đạt", "0"}


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
        upper = json_value(max_points) if max_points is not None else "∞"
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



def applicable_leaf(rec, fw, unit_type: str | None, code: str, unknown_vi: str, unknown_en: str):
    """The framework's leaf `code` if it exists and applies to the unit type; else the row's problem, None."""
    try:
        leaf = fw.leaf(code)
    except KeyError:
        rec.problem("indicator_code", code, "unknown_indicator", unknown_vi, unknown_en)
        return None
    if unit_type and not fw.applies(leaf, unit_type):
        rec.problem("indicator_code", code, "not_applicable",
                    f"chỉ số {code} không áp dụng cho loại đơn vị '{unit_type}'",
                    f"indicator {code} does not apply to unit type '{unit_type}'")
        return None
    return leaf

def validate_native(records: list[Record], contexts: dict[tuple, UnitContext], mapping: Mapping) -> None:
    """Domain rules for forms filled against one of our frameworks."""
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
        leaf = applicable_leaf(rec, fw, ctx.unit_type, code,
                               f"mã chỉ số không có trong bộ chỉ số '{fw.id}' (phiên bản {fw.version})",
                               f"no such indicator code in framework '{fw.id}' (version {fw.version})")
        if leaf is None:
            continue
        rec.extra["measure"] = leaf.measure
        rec.extra["max_points"] = json_value(leaf.max_points)
        value = parse_value(rec, leaf, mapping)
        num, den = rec.fields.get("numerator"), rec.fields.get("denominator")
        if num is not None and num < 0:
            rec.problem("numerator", num, "out_of_range", "tử số không được âm", "the numerator cannot be negative")
        if den is not None and den <= 0:
            rec.problem("denominator", den, "out_of_range", "mẫu số phải lớn hơn 0",
                        "the denominator must be greater than 0")
        if num is not None and den is not None and den > 0 and num > den:
            rec.problem("numerator", num, "numerator_gt_denominator",
                        f"tử số ({json_value(num)}) lớn hơn mẫu số ({json_value(den)}); tử số phải ≤ mẫu số",
                        f"the numerator ({json_value(num)}) is greater than the denominator "
                        f"({json_value(den)}); it must be ≤ the denominator")
        if leaf.measure == "rate" and num is not None and den is not None and 0 <= num <= den and den > 0:
            computed = (num / den).quantize(SIX)
            if value is None and rec.fields.get("value") in (None, ""):
                value = computed
                rec.extra["value_from_ratio"] = True
            elif value is not None and abs(value - computed) > Decimal("0.0005"):
                rec.problem("value", rec.fields.get("value"), "value_mismatch",
                            f"giá trị khác tỷ lệ tử số/mẫu số ({json_value(computed)}); hệ thống giữ giá trị đã khai",
                            f"the value differs from numerator/denominator ({json_value(computed)}); "
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
                            f"chênh lệch ghi trong bảng khác với tính toán ({json_value(expected)})",
                            f"the sheet's difference differs from the computed one ({json_value(expected)})",
                            warning=True)
        rec.fields["value"] = None
    check_duplicates(records)


def adopt_unit_framework(records: list[Record], contexts: dict[tuple, UnitContext]) -> None:
    """A foreign sheet filed for a unit of ours: its criteria must be the unit's framework's (in the version
    for the period); rows that are not are rejected with the reason, and a maximum that differs from the
    framework's is flagged."""
    for rec in records:
        ctx = contexts.get((rec.fields.get("unit_code"), rec.fields.get("period")))
        if ctx is None:
            continue
        for fld, value, code, vi, en in ctx.problems:
            rec.problem(fld, value, code, vi, en)
        if ctx.resolved_code and rec.fields.get("unit_code") != ctx.resolved_code:
            rec.fields["unit_code"] = ctx.resolved_code
        code, fw = rec.fields.get("indicator_code"), ctx.framework
        if not code or fw is None:
            continue
        leaf = applicable_leaf(rec, fw, ctx.unit_type, code,
                               f"mã tiêu chí không có trong bộ chỉ số '{fw.id}' (phiên bản {fw.version}) của đơn vị",
                               f"no such criterion in the unit's framework '{fw.id}' (version {fw.version})")
        if leaf is None:
            continue
        rec.extra["measure"] = leaf.measure
        mx = rec.fields.get("max_points")
        if mx is not None and Decimal(str(mx)) != leaf.max_points:
            rec.problem("max_points", mx, "max_points_differ",
                        f"điểm tối đa trong bảng khác bộ chỉ số ({json_value(leaf.max_points)})",
                        f"the sheet's maximum differs from the framework's ({json_value(leaf.max_points)})",
                        warning=True)


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
