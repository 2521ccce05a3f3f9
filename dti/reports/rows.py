"""The report's tables and charts as data: each cell's typed value (to sort and filter on) beside the text a
person reads (written by dti.formatting), codes in natural order, labels from dti.vocabulary."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from decimal import Decimal

from dti import formatting as f
from dti.reconciliation import Claim
from dti.reports.context import PROVISIONAL_MARK, ReportContext
from dti.scoring.changes import UnitChange
from dti.scoring.unit_scores import UnitScoreRow
from dti.text import code_key
from dti.vocabulary import Direction, Outcome, Severity, Source, UnitType

ZERO = Decimal(0)
NO_SEVERITY_RANK = len(Severity)


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _delta(c: Claim) -> Decimal | None:
    if c.self_points is None and c.verified_points is None:
        return None
    return (c.verified_points or ZERO) - (c.self_points or ZERO)


def _ratio_text(c: Claim) -> str:
    if not c.objective_denominator:
        return ""
    return f"{f.integer(c.objective_numerator)}/{f.integer(c.objective_denominator)}"


class Lookups:
    """Text shared by many rows (unit names, indicator names, reasons), sent once and referred to by key."""

    def __init__(self, ctx: ReportContext):
        self.ctx = ctx
        codes = sorted({c.unit_code for c in ctx.claims} | {s.unit_code for s in ctx.scores}, key=code_key)
        types = {s.unit_code: s.unit_type for s in ctx.scores}
        self.units = {
            code: {
                "n": ctx.unit_names.get(code, ""),
                "o": i,
                "t": UnitType.label(types.get(code), default=""),
            }
            for i, code in enumerate(codes)
        }
        keys = sorted(
            {(c.framework_id, c.indicator_code) for c in ctx.claims}, key=lambda k: (code_key(k[1]), k[0])
        )
        order = {code: i for i, code in enumerate(sorted({k[1] for k in keys}, key=code_key))}
        self.indicators = {
            f"{fw}|{code}": {"c": code, "n": ctx.indicator_names.get((fw, code), ""), "o": order[code]}
            for fw, code in keys
        }
        self.reasons: list[str] = []
        self._reason_index: dict[str, int] = {}

    def reason(self, text: str) -> int:
        if text not in self._reason_index:
            self._reason_index[text] = len(self.reasons)
            self.reasons.append(text)
        return self._reason_index[text]


def claim_row(c: Claim, look: Lookups) -> dict:
    """One claim: `k` the indicator's key in the lookups, `*t` display text beside each typed value."""
    severity = Severity(c.severity) if c.severity else None
    delta = _delta(c)
    return {
        "u": c.unit_code,
        "k": f"{c.framework_id}|{c.indicator_code}",
        "src": c.source,
        "srcl": Source.label(c.source),
        "pas": _num(c.points_at_stake),
        "past": f.points(c.points_at_stake) if c.points_at_stake is not None else "",
        "sv": _num(c.self_value),
        "svt": f.value(c.self_value, c.measure),
        "ov": _num(c.objective_value),
        "ovt": f.value(c.objective_value, c.measure),
        "ort": _ratio_text(c),
        "vv": _num(c.verified_value),
        "vvt": f.value(c.verified_value, c.measure),
        "o": c.outcome,
        "ol": Outcome.label(c.outcome),
        "dl": Direction.label(c.direction, default=""),
        "s": c.severity or "",
        "sl": severity.vi if severity else "",
        "sr": severity.rank if severity else NO_SEVERITY_RANK,
        "sp": _num(c.self_points),
        "spt": f.points(c.self_points),
        "vp": _num(c.verified_points),
        "vpt": f.points(c.verified_points),
        "dp": _num(delta),
        "dpt": f.signed_points(delta),
        "ri": look.reason(c.reason_vi),
    }


def _movers_text(s: UnitScoreRow) -> str:
    return ", ".join(f"{m['indicator_code']} ({f.signed_points(Decimal(m['points']))})" for m in s.movers)


def rank_text(rank: int | None, provisional: bool = False) -> str:
    """A rank as printed: "3", or "3 (tạm)" when it rests on provisional points."""
    if rank is None:
        return f.DASH
    return f"{rank} ({PROVISIONAL_MARK})" if provisional else str(rank)


def split_text(s: UnitScoreRow) -> str:
    """The verified points by where they come from, in words."""
    return (f"đo từ hệ thống {f.points(s.measured_points)} · minh chứng đã kiểm tra {f.points(s.evidence_points)}"
            f" · tạm tính {f.points(s.provisional_points)} · độ phủ {f.percent(s.coverage)}")


def ranking_row(s: UnitScoreRow) -> dict:
    return {
        "u": s.unit_code,
        "vr": s.verified_rank,
        "vrp": bool(s.rank_on_provisional),
        "mp": _num(s.measured_points),
        "mpt": f.points(s.measured_points),
        "ep": _num(s.evidence_points),
        "ept": f.points(s.evidence_points),
        "pp": _num(s.provisional_points),
        "ppt": f.points(s.provisional_points),
        "cov": _num(s.coverage),
        "covt": f.percent(s.coverage),
        "sg": s.self_grade or f.DASH,  # the framework's grading band (xếp loại), "—" below every band
        "vg": s.verified_grade or f.DASH,
        "rdti": _num(s.ranking_dti),
        "rdtit": f.number(s.ranking_dti, 4),
        "sr": s.self_rank,
        "rc": s.rank_change,
        "rct": f"{s.rank_change:+d}" if s.rank_change else "0",
        "st": _num(s.self_total),
        "stt": f.points(s.self_total),
        "vt": _num(s.verified_total),
        "vtt": f.points(s.verified_total),
        "mx": _num(s.max_points),
        "mxt": f.points(s.max_points),
        "dti": _num(s.verified_dti),
        "dtit": f.number(s.verified_dti, 4),
        "sdti": _num(s.self_dti),
        "sdtit": f.number(s.self_dti, 4),
        "dp": _num(s.verified_total - s.self_total),
        "dpt": f.signed_points(s.verified_total - s.self_total),
        "mv": _movers_text(s),
    }


def points_by_unit(ctx: ReportContext, look: Lookups, limit: int = 40) -> dict:
    """Points each unit gained and lost by verification, the units that lost most first; at most `limit`
    units, those whose points moved most (the ranking table has every unit's change)."""
    gained: dict[str, Decimal] = defaultdict(lambda: ZERO)
    lost: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for c in ctx.claims:
        d = _delta(c)
        if d is None:
            continue
        if d > 0:
            gained[c.unit_code] += d
        elif d < 0:
            lost[c.unit_code] += d
    moved = sorted(look.units, key=lambda u: (-(gained[u] - lost[u]), code_key(u)))[:limit]
    codes = sorted(moved, key=lambda u: (gained[u] + lost[u], lost[u], code_key(u)))
    return {
        "shown": len(codes),
        "total": len(look.units),
        "labels": [f"{look.units[u]['n'] or u} ({u})" for u in codes],
        "gained": [float(gained[u]) for u in codes],
        "lost": [float(lost[u]) for u in codes],
        "net": [float(gained[u] + lost[u]) for u in codes],
    }


def discrepancies_by_indicator(ctx: ReportContext) -> dict:
    """Discrepancies per indicator (natural order), one series per severity."""
    counts: Counter = Counter(
        (c.indicator_code, c.severity) for c in ctx.claims if c.outcome == Outcome.DISCREPANCY
    )
    codes = sorted({code for code, _s in counts}, key=code_key)
    return {
        "labels": codes,
        "series": [
            {"key": s.value, "label": s.vi, "data": [counts.get((code, s.value), 0) for code in codes]}
            for s in Severity
        ],
    }


def rank_pairs(ctx: ReportContext) -> dict:
    """Self rank against verified rank, one series per unit type (ranks are within a type)."""
    series = []
    for utype in sorted({s.unit_type for s in ctx.scores}):
        rows = sorted((s for s in ctx.scores if s.unit_type == utype), key=lambda s: code_key(s.unit_code))
        series.append(
            {
                "label": UnitType.label(utype),
                "points": [
                    {
                        "x": s.self_rank,
                        "y": s.verified_rank,
                        "name": f"{ctx.unit_names.get(s.unit_code, '')} ({s.unit_code})",
                    }
                    for s in rows
                ],
            }
        )
    top = max((max(s.self_rank, s.verified_rank) for s in ctx.scores), default=1)
    return {"series": series, "max": top}


TOP_STEPS = 3


def contributions_text(change: UnitChange, top: int = TOP_STEPS) -> str:
    """The indicators that moved the verified score most since the previous period: "F5 (−3,20), …"."""
    return ", ".join(f"{s.label} ({f.signed_points(s.delta)})" for s in change.steps[:top])


def change_rows(ctx: ReportContext) -> list[dict]:
    """Each unit's verified DTI, rank and points now against the previous period, and its waterfall."""
    before = {s.unit_code: s for s in ctx.previous_scores}
    scores = {s.unit_code: s for s in ctx.scores}
    rows = []
    for code, ch in sorted(ctx.changes().items(), key=lambda kv: code_key(kv[0])):
        now, then = scores[code], before.get(code)
        rows.append({
            "u": code,
            "pdti": _num(then.verified_dti) if then else None,
            "pdtit": f.number(then.verified_dti, 4) if then else f.DASH,
            "dti": _num(now.verified_dti),
            "dtit": f.number(now.verified_dti, 4),
            "pr": ch.before_rank,
            "prt": rank_text(ch.before_rank, bool(then and then.rank_on_provisional)),
            "r": ch.after_rank,
            "rt": rank_text(ch.after_rank, now.rank_on_provisional),
            "rc": ch.rank_change,
            "rct": f.DASH if ch.rank_change is None else f"{ch.rank_change:+d}" if ch.rank_change else "0",
            "pt": _num(ch.before_total),
            "ptt": f.points(ch.before_total),
            "t": _num(ch.after_total),
            "tt": f.points(ch.after_total),
            "d": _num(ch.delta),
            "dt": f.signed_points(ch.delta),
            "top": contributions_text(ch),
            "fw": ch.framework_changed,
            "wf": [[b["label"], float(b["start"]), float(b["end"])] for b in ch.waterfall()],
        })
    return rows


def report_data(ctx: ReportContext) -> dict:
    look = Lookups(ctx)
    claims = sorted(
        ctx.claims,
        key=lambda c: (-(c.points_at_stake or 0), code_key(c.unit_code), code_key(c.indicator_code)),
    )
    claim_rows = [claim_row(c, look) for c in claims]
    ranking = sorted(ctx.scores, key=lambda s: (s.unit_type, s.verified_rank, code_key(s.unit_code)))
    return {
        "units": look.units,
        "indicators": look.indicators,
        "reasons": look.reasons,
        "claims": claim_rows,
        "ranking": [ranking_row(s) for s in ranking],
        # grading columns only when a framework of the period has grading bands
        "grades": any(s.self_grade or s.verified_grade for s in ctx.scores),
        "changes": change_rows(ctx),
        "previous": ctx.previous_period,
        # the review app's address and the period, to link each row to its claim page (null: no links)
        "link": {"base": ctx.link_base, "period": ctx.period} if ctx.link_base else None,
        "charts": {
            "points": points_by_unit(ctx, look),
            "indicators": discrepancies_by_indicator(ctx),
            "ranks": rank_pairs(ctx),
        },
    }


def to_script_json(data) -> str:
    """JSON safe inside <script type="application/json">: no "</script>" or HTML comment can be formed."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
