"""The self-contained HTML discrepancy report: styles, scripts, data and charts inline, no network fetches.
Tables (Tabulator) and charts (Chart.js) are vendored in dti/reports/vendor/ with their licences."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from dti import formatting
from dti.reports.context import PROVISIONAL_LEGEND, PROVISIONAL_MARK, ReportContext
from dti.reports.rows import rank_text, report_data, split_text, to_script_json
from dti.text import code_key, sort_codes
from dti.vocabulary import Outcome, Severity, Source, UnitType

TEMPLATES = Path(__file__).resolve().parent / "templates"
VENDOR = Path(__file__).resolve().parent / "vendor"
VERSIONS = {"tabulator": "6.5.3", "chartjs": "4.6.1"}
_SOURCE_MAP = re.compile(r"\n?/[/*]# sourceMappingURL=\S+(?: \*/)?\s*$")


def _vendored(name: str) -> str:
    """A vendored file without its source-map comment (the map is not shipped, so nothing asks for it)."""
    return _SOURCE_MAP.sub("\n", (VENDOR / name).read_text(encoding="utf-8"))


@cache
def _assets() -> dict[str, Markup]:
    return {
        "vendor_css": Markup(_vendored("tabulator_simple.min.css")),
        "vendor_js": Markup(_vendored("tabulator.min.js") + "\n" + _vendored("chart.umd.min.js")),
        "report_js": Markup((TEMPLATES / "report.js").read_text(encoding="utf-8")),
    }


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                       trim_blocks=True, lstrip_blocks=True)


def render_report(ctx: ReportContext) -> str:
    template = _environment().get_template("report.html.j2")
    ranking = sorted(ctx.scores, key=lambda s: (s.unit_type, s.verified_rank, code_key(s.unit_code)))
    unit_codes = sorted({c.unit_code for c in ctx.claims}, key=code_key)
    data = report_data(ctx)
    changes = data["changes"]
    compared = [r for r in changes if r["d"] is not None]
    # the chart opens on the unit whose score moved most (the first in code order on a tie)
    moved = max(compared, key=lambda r: abs(r["d"]), default=None)
    return template.render(
        period=ctx.period, units=ctx.scores, freshness=ctx.freshness, ranking=ranking, counts=ctx.counts,
        generated_at=formatting.datetime_vn(ctx.as_of) if ctx.as_of else "—",
        checked=sum(1 for c in ctx.claims if c.outcome != Outcome.NOT_APPLICABLE),
        severity_counts=Counter(c.severity for c in ctx.claims if c.outcome == Outcome.DISCREPANCY),
        outcomes=list(Outcome), severities=list(Severity), unit_names=ctx.unit_names,
        unit_options=[(code, ctx.unit_names.get(code, code)) for code in unit_codes],
        indicator_codes=sort_codes({c.indicator_code for c in ctx.claims}),
        points_chart_height=80 + 18 * max(data["charts"]["points"]["shown"], 1), charts=data["charts"],
        policy_lines=ctx.policy_lines(), provisional_mark=PROVISIONAL_MARK, provisional_legend=PROVISIONAL_LEGEND,
        provisional_ranks=sum(1 for s in ctx.scores if s.rank_on_provisional), rank_text=rank_text,
        split_text=split_text, previous_period=ctx.previous_period,
        changes_framework=sum(1 for r in compared if r["fw"]),
        change_options=[(r["u"], ctx.unit_names.get(r["u"], r["u"])) for r in compared],
        change_selected=moved["u"] if moved else None,
        fmt=formatting, outcome_label=Outcome.label, source_label=Source.label,
        unit_type_label=UnitType.label,
        data_json=Markup(to_script_json(data)), versions=VERSIONS, **_assets(),
    )
