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
from dti.vocabulary import EvidenceVerdict, Outcome

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
    # How verified the verified total is (leaf points; they add up to it unless the total was rescaled).
    measured_points: Decimal = ZERO  # measured and verified from records
    evidence_points: Decimal = ZERO  # confirmed by checked evidence (a council decision)
    provisional_points: Decimal = ZERO  # standing on the unit's word: unverifiable, evidence not yet checked
    coverage: Decimal = ZERO  # (measured + evidence) ÷ all verified points; 1 when there are none
    ranking_dti: Decimal = ZERO  # the DTI value the verified rank is computed on (the framework's policy)
    rank_on_provisional: bool = False  # the verified rank would differ without provisional points
    self_grade: str | None = None  # the framework's grading band (xếp loại) the self DTI value reaches
    verified_grade: str | None = None  # … and the verified DTI value


def kind_of_points(claim) -> str | None:
    """Where a claim's verified points come from: "measured" (records), "evidence" (checked by the council),
    "provisional" (the unit's word, unchecked), or None (not applicable)."""
    if claim.outcome in (Outcome.VERIFIED, Outcome.DISCREPANCY, Outcome.MISSING_SELF_REPORT):
        return "measured"  # a missing self-report earns only what the records show
    if claim.outcome in (Outcome.EVIDENCE_ONLY, Outcome.UNVERIFIABLE):
        checked = claim.decision_id is not None or EvidenceVerdict.OK in _codes(claim)
        return "evidence" if checked else "provisional"
    return None


def _codes(claim) -> list[str]:
    """The reason codes of a Claim (its list) or a ledger row (';'-joined, each maybe with a detail)."""
    reasons = claim.reasons if hasattr(claim, "reasons") else (claim.reason or "").split(";")
    return [r.split(":")[0] for r in reasons]


def count_outcomes(row: UnitScoreRow, claims: list[Claim], zero=ZERO) -> None:
    """The unit's discrepancies, the points standing provisionally on unverifiable and evidence-only claims,
    and the split of its verified points by where they come from: the one place these are counted (the scores
    and the reports both use it)."""
    row.unverifiable_points = sum((c.verified_points or zero for c in claims if c.outcome == Outcome.UNVERIFIABLE),
                                  zero)
    row.evidence_only_points = sum((c.verified_points or zero for c in claims
                                    if c.outcome == Outcome.EVIDENCE_ONLY), zero)
    row.discrepancies = sum(1 for c in claims if c.outcome == Outcome.DISCREPANCY)
    split = {"measured": ZERO, "evidence": ZERO, "provisional": ZERO}
    for c in claims:
        kind = kind_of_points(c)
        if kind is not None:
            split[kind] += Decimal(c.verified_points or 0)
    row.measured_points, row.evidence_points, row.provisional_points = (
        split["measured"], split["evidence"], split["provisional"])
    everything = sum(split.values(), ZERO)
    checked = split["measured"] + split["evidence"]
    row.coverage = (Decimal(checked) / Decimal(everything)) if everything else Decimal(1)


def ranking_points(fw: Framework, claims: list[Claim], policy: str | None = None) -> dict[str, Decimal | None]:
    """Leaf points as the ranking counts them under the framework's policy (or `policy`): provisional points
    in full, at the policy's discount, or not at all."""
    policy = policy or fw.policy.provisional_points
    keep = {"count": Decimal(1), "discount": fw.policy.provisional_discount, "exclude": ZERO}[policy]
    return {c.indicator_code: (c.verified_points * keep if kind_of_points(c) == "provisional" and c.verified_points
                               is not None else c.verified_points) for c in claims}


def score_units(period: str, units: list[tuple[str, str, Framework]], claims: list[Claim]) -> list[UnitScoreRow]:
    by_unit: dict[str, list[Claim]] = defaultdict(list)
    for c in claims:
        by_unit[c.unit_code].append(c)
    rows: list[UnitScoreRow] = []
    without: dict[str, Decimal] = {}  # DTI values with no provisional points, to see which ranks rest on them
    for code, utype, fw in sorted(units, key=lambda u: u[0]):
        cs = by_unit.get(code, [])
        self_pts = {c.indicator_code: c.self_points for c in cs}
        ver_pts = {c.indicator_code: c.verified_points for c in cs}
        s = aggregate_unit(fw, utype, self_pts)
        v = aggregate_unit(fw, utype, ver_pts)
        row = UnitScoreRow(code, period, fw.id, utype, s.max_points, s.total, v.total, s.dti, v.dti)
        count_outcomes(row, cs)
        row.ranking_dti = ranking_dti(fw, utype, cs, v.dti)
        row.self_grade, row.verified_grade = grade_label(fw, s.dti), grade_label(fw, v.dti)
        without[code] = ranking_dti(fw, utype, cs, v.dti, "exclude")
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
    ver_ranks = peer_group_ranks({r.unit_code: r.ranking_dti for r in rows}, groups)
    bare_ranks = peer_group_ranks(without, groups)
    for r in rows:
        r.self_rank, r.verified_rank = self_ranks[r.unit_code], ver_ranks[r.unit_code]
        r.rank_change = r.self_rank - r.verified_rank
        r.rank_on_provisional = bare_ranks[r.unit_code] != r.verified_rank
    return rows


def grade_label(fw: Framework, dti: Decimal | None) -> str | None:
    """The Vietnamese label of the band `dti` reaches (what the council reads), None without one."""
    grade = fw.grade_for(dti)
    return grade.label_vi if grade else None


def ranking_dti(fw: Framework, unit_type: str, claims: list[Claim], verified_dti: Decimal,
                policy: str | None = None) -> Decimal:
    """The DTI value a unit is ranked on: the verified DTI, less what the policy does not count of its
    provisional points."""
    if (policy or fw.policy.provisional_points) == "count":
        return verified_dti
    return aggregate_unit(fw, unit_type, ranking_points(fw, claims, policy)).dti
