"""The self-contained HTML discrepancy report: styles, scripts and charts inline, no network fetches."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from dti.reports.context import DIRECTION_VI, OUTCOME_VI, SEVERITY_VI, UNIT_TYPE_VI, ReportContext
from dti.text import sort_codes

TEMPLATES = Path(__file__).resolve().parent / "templates"


def fmt_value(value: Decimal | None, measure: str) -> str:
    if value is None:
        return "—"
    if measure == "rate":
        return f"{(value * 100).quantize(Decimal('0.01'))}%".replace(".", ",")
    return f"{value.normalize():f}"


def fmt_points(value: Decimal | None) -> str:
    return "" if value is None else f"{value.quantize(Decimal('0.01'))}"


def fmt_int(value: Decimal | None) -> str:
    return "" if value is None else f"{int(value)}"


def render_report(ctx: ReportContext) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    template = env.get_template("report.html.j2")
    ranking = sorted(ctx.scores, key=lambda s: (s.unit_type, s.verified_rank, s.unit_code))
    claims = sorted(ctx.claims, key=lambda c: (-(c.points_at_stake or 0), c.unit_code, c.indicator_code))
    return template.render(
        period=ctx.period, units=ctx.scores, freshness=ctx.freshness, ranking=ranking, claims=claims, counts=ctx.counts,
        checked=sum(1 for c in ctx.claims if c.outcome != "not_applicable"),
        severities=Counter(c.severity for c in ctx.claims if c.outcome == "discrepancy"),
        outcome_labels=list(OUTCOME_VI.items()), severity_labels=list(SEVERITY_VI.items()),
        outcome_vi=OUTCOME_VI, severity_vi=SEVERITY_VI, direction_vi=DIRECTION_VI, unit_type_vi=UNIT_TYPE_VI,
        unit_names=ctx.unit_names, indicator_names=ctx.indicator_names,
        unit_codes=sorted({c.unit_code for c in ctx.claims}), indicator_codes=sort_codes({c.indicator_code for c in ctx.claims}),
        fmt_value=fmt_value, fmt_points=fmt_points, fmt_int=fmt_int,
    )
