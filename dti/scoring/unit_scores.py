"""Verified scores: self vs verified totals per main index and in all, DTI values, rankings within
peer groups, rank changes, and for each change the indicators that moved it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from dti.framework import Framework
from dti.reconciliation import Claim
from dti.scoring import aggregate_unit
from dti.scoring.ranking import peer_group_ranks
from dti.vocabulary import Outcome

ZERO = Decimal("0")
MAX_MOVERS = 5


@dataclass
class UnitScoreRow:
    unit_code: str
    period: str
    framework_id: str
    unit_type: str
    max_points: Decimal
    self_total: Decimal
    verified_total: Decimal
    self_dti: Decimal
    verified_dti: Decimal
    self_rank: int = 0
    verified_rank: int = 0
    rank_change: int = 0  # positive: the unit moved up after verification
    unverifiable_points: Decimal = ZERO  # points standing provisionally on unverifiable claims
    evidence_only_points: Decimal = ZERO
    discrepancies: int = 0
    movers: list[dict] = field(default_factory=list)
    by_main_index: dict[str, dict[str, str]] = field(default_factory=dict)


def count_outcomes(row: UnitScoreRow, claims: list[Claim], zero=ZERO) -> None:
    """The unit's discrepancies and the points standing provisionally on unverifiable and evidence-only
    claims: the one place these are counted (the scores and the reports both use it)."""
    row.unverifiable_points = sum((c.verified_points or zero for c in claims if c.outcome == Outcome.UNVERIFIABLE),
                                  zero)
    row.evidence_only_points = sum((c.verified_points or zero for c in claims
                                    if c.outcome == Outcome.EVIDENCE_ONLY), zero)
    row.discrepancies = sum(1 for c in claims if c.outcome == Outcome.DISCREPANCY)


def score_units(period: str, units: list[tuple[str, str, Framework]], claims: list[Claim]) -> list[UnitScoreRow]:
    by_unit: dict[str, list[Claim]] = defaultdict(list)
    for c in claims:
        by_unit[c.unit_code].append(c)
    rows: list[UnitScoreRow] = []
    for code, utype, fw in sorted(units, key=lambda u: u[0]):
        cs = by_unit.get(code, [])
        self_pts = {c.indicator_code: c.self_points for c in cs}
        ver_pts = {c.indicator_code: c.verified_points for c in cs}
        s = aggregate_unit(fw, utype, self_pts)
        v = aggregate_unit(fw, utype, ver_pts)
        row = UnitScoreRow(code, period, fw.id, utype, s.max_points, s.total, v.total, s.dti, v.dti)
        count_outcomes(row, cs)
        moved = []
        for c in cs:
            delta = (c.verified_points or ZERO) - (c.self_points or ZERO)
            if abs(delta) >= Decimal("0.01"):  # below that it is the unit's own rounding of its points
                moved.append({"indicator_code": c.indicator_code, "points": str(delta.quantize(Decimal("0.01"))),
                              "outcome": c.outcome})
        moved.sort(key=lambda m: (Decimal(m["points"]), m["indicator_code"]))
        row.movers = moved[:MAX_MOVERS]
        row.by_main_index = {
            k: {"self": str(s.by_main_index[k].quantize(Decimal("0.01"))),
                "verified": str(v.by_main_index[k].quantize(Decimal("0.01"))),
                "max": str(s.max_by_main_index[k].quantize(Decimal("0.01")))}
            for k in s.by_main_index
        }
        rows.append(row)
    # DTI values, not raw points: units of one peer group can still differ in applicable maximum.
    groups = {r.unit_code: (r.framework_id, r.unit_type) for r in rows}
    self_ranks = peer_group_ranks({r.unit_code: r.self_dti for r in rows}, groups)
    ver_ranks = peer_group_ranks({r.unit_code: r.verified_dti for r in rows}, groups)
    for r in rows:
        r.self_rank, r.verified_rank = self_ranks[r.unit_code], ver_ranks[r.unit_code]
        r.rank_change = r.self_rank - r.verified_rank
    return rows
