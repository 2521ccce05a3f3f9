"""The claim ledger: one row per unit × period × indicator saying what was claimed, what the records
show, what the council should believe, and why.

Outcomes are never collapsed: verified, discrepancy, unverifiable, evidence_only, not_applicable,
missing_self_report. A row is a discrepancy exactly when both values exist and their difference
exceeds the tolerance. Severity is weighted by the points at stake, not by the raw difference.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import Decimal

from dti.framework import Framework, Leaf
from dti.metrics import MetricValue
from dti.scoring import score_leaf
from dti.vocabulary import Action, Outcome, Reason

ZERO = Decimal("0")
OUTCOMES = tuple(Outcome)
# Reasons a system of record gave no usable value (as opposed to having no records of the unit).
SOURCE_TROUBLE = (Reason.SOURCE_FAILED, Reason.SOURCE_INCOMPLETE, Reason.RECORDS_QUARANTINED, Reason.SOURCE_STALE)


@dataclass
class Claim:
    unit_code: str
    period: str
    indicator_code: str
    framework_id: str
    main_index_code: str
    source: str
    measure: str
    max_points: Decimal
    outcome: str
    self_value: Decimal | None = None
    self_points: Decimal | None = None
    objective_value: Decimal | None = None
    objective_numerator: Decimal | None = None
    objective_denominator: Decimal | None = None
    record_count: int = 0
    difference: Decimal | None = None
    tolerance: Decimal | None = None
    direction: str | None = None
    severity: str | None = None
    points_at_stake: Decimal | None = None
    verified_value: Decimal | None = None
    verified_points: Decimal | None = None
    reasons: list[str] = field(default_factory=list)
    snapshot_id: str | None = None
    record_ids: list[str] = field(default_factory=list)
    citations: list[dict] = field(default_factory=list)
    decision_id: int | None = None

    @property
    def reason(self) -> str:
        return ";".join(self.reasons)

    @property
    def reason_vi(self) -> str:
        return "; ".join(Reason.describe(r) for r in self.reasons)

    def as_row(self) -> dict:
        row = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "reasons"}
        row["reason"] = self.reason
        row["reason_vi"] = self.reason_vi
        return row


@dataclass
class SelfValue:
    value: Decimal | None
    points: Decimal | None
    citations: list[dict] = field(default_factory=list)  # [{raw, status, document_id}]


def severity_for(points_at_stake: Decimal, max_points: Decimal) -> str:
    """Critical from 10 points or half the indicator; high from 5 or a quarter; medium from 2."""
    share = points_at_stake / max_points if max_points > 0 else ZERO
    if points_at_stake >= 10 or share >= Decimal("0.5"):
        return "critical"
    if points_at_stake >= 5 or share >= Decimal("0.25"):
        return "high"
    if points_at_stake >= 2:
        return "medium"
    return "low"


def tolerance_value(fw: Framework, leaf: Leaf, objective: Decimal) -> Decimal:
    tol = fw.tolerance_for(leaf)
    return max(tol.abs, tol.rel * abs(objective))


def lower_is_better(leaf: Leaf) -> bool:
    return leaf.method is not None and leaf.method.kind == "deduction"


def _verified_by_policy(fw: Framework, leaf: Leaf, claim: Claim) -> tuple[Decimal, Decimal]:
    """Verified value and points for a discrepancy, by the framework's (province) policy."""
    self_v, obj_v = claim.self_value, claim.objective_value
    policy = fw.policy.verified_value
    if policy == "min":
        worse = max(self_v, obj_v) if lower_is_better(leaf) else min(self_v, obj_v)
        return worse, score_leaf(leaf, worse)
    points = score_leaf(leaf, obj_v)
    if policy == "objective_with_penalty" and claim.direction == "over":
        points = max(ZERO, points - fw.policy.over_report_penalty * (claim.points_at_stake or ZERO))
    return obj_v, points


def reconcile_claim(fw: Framework, leaf: Leaf, unit_code: str, unit_type: str, period: str,
                    claimed: SelfValue | None, metric: MetricValue | None) -> Claim:
    main = fw.main_index_of(leaf.code)
    claim = Claim(unit_code=unit_code, period=period, indicator_code=leaf.code, framework_id=fw.id,
                  main_index_code=main.code, source=leaf.source or "EVD", measure=leaf.measure or "",
                  max_points=leaf.max_points, outcome="")
    if not fw.applies(leaf, unit_type):
        claim.outcome = "not_applicable"
        claim.reasons = ["not_applicable"]
        return claim
    if claimed is not None:
        claim.self_value = claimed.value
        computed = score_leaf(leaf, claimed.value) if claimed.value is not None else None
        claim.self_points = claimed.points if claimed.points is not None else computed
        claim.citations = claimed.citations
    if metric is not None:
        claim.snapshot_id = metric.snapshot_id
        claim.record_count = metric.record_count
        if metric.status == "ok":
            claim.objective_value = metric.value
            claim.objective_numerator = metric.numerator
            claim.objective_denominator = metric.denominator
            claim.record_ids = list(metric.record_ids)

    if claimed is None or claimed.value is None:
        claim.outcome = "missing_self_report"
        claim.reasons = ["missing_self_report"]
        if metric is not None and metric.reason and metric.reason.split(":")[0] in SOURCE_TROUBLE:
            claim.reasons.append(metric.reason)  # no objective value either: the source is why
        if claim.objective_value is not None:
            claim.verified_value = claim.objective_value
            claim.verified_points = score_leaf(leaf, claim.objective_value)
        return claim

    reasons: list[str] = []
    if claimed.points is not None and computed is not None and abs(claimed.points - computed) > Decimal("0.01"):
        reasons.append("self_points_miscomputed")
    for c in claim.citations:
        if c.get("status") in ("not_found", "date_mismatch"):
            reasons.append(f"citation_{c['status']}")
    if leaf.source in (None, "EVD") or not leaf.metric:
        claim.outcome = "evidence_only"
        claim.reasons = ["no_system_of_record", *sorted(set(reasons))]
        claim.verified_value = claim.self_value  # provisional until the council decides
        claim.verified_points = claim.self_points
        return claim
    if metric is None or metric.status != "ok":
        claim.outcome = "unverifiable"
        why = (metric.reason if metric and metric.reason else "no_records")
        code = why.split(":")[0]
        claim.reasons = [why if code != why else code, *sorted(set(reasons))]
        # Never zero, never a pass: the claim stands provisionally and is counted apart in the scores.
        claim.verified_value = claim.self_value
        claim.verified_points = claim.self_points
        return claim

    diff = claim.self_value - claim.objective_value
    tol = tolerance_value(fw, leaf, claim.objective_value)
    claim.difference = diff
    claim.tolerance = tol
    obj_points = score_leaf(leaf, claim.objective_value)
    self_points_calc = computed if computed is not None else ZERO
    claim.points_at_stake = abs(self_points_calc - obj_points)
    if abs(diff) > tol:
        claim.outcome = "discrepancy"
        better = diff < 0 if lower_is_better(leaf) else diff > 0
        claim.direction = "over" if better else "under"
        claim.severity = severity_for(claim.points_at_stake, leaf.max_points)
        claim.verified_value, claim.verified_points = _verified_by_policy(fw, leaf, claim)
        reasons.insert(0, "over_reported" if better else "under_reported")
    else:
        claim.outcome = "verified"
        claim.verified_value = claim.self_value
        claim.verified_points = self_points_calc
        reasons.insert(0, "within_tolerance")
    if leaf.data_note_vi:  # the value is a documented proxy of the written rule (A3, F11): the ledger says so
        reasons.append("metric_proxy")
    claim.reasons = reasons
    return claim


def build_ledger(period: str, units: list[tuple[str, str, Framework]],
                 self_reports: dict[tuple[str, str], SelfValue],
                 metrics: dict[tuple[str, str], MetricValue]) -> list[Claim]:
    """Every (unit, indicator) of each unit's framework, in unit and natural code order."""
    claims: list[Claim] = []
    for code, utype, fw in sorted(units, key=lambda u: u[0]):
        for leaf in fw.leaves():
            claims.append(reconcile_claim(fw, leaf, code, utype, period, self_reports.get((code, leaf.code)),
                                          metrics.get((code, leaf.code))))
    return claims


ACTIONS = tuple(Action)


class DecisionError(ValueError):
    """A decision that cannot be applied to a claim: Vietnamese first, English alongside."""

    def __init__(self, message_vi: str, message_en: str):
        super().__init__(f"{message_vi} / {message_en}")
        self.message_vi = message_vi
        self.message_en = message_en


def decided_value(claim, action: str, value: Decimal | None) -> Decimal | None:
    """The verified value a council decision gives a claim (a ledger row or a Claim).

    The one rule shared by the review app (when a member decides) and the ledger rebuild (when the
    pipeline re-applies decisions), so the two can never disagree.
    """
    if action == "accept_objective":
        if claim.objective_value is None:
            raise DecisionError("Chỉ tiêu này không có giá trị khách quan để chấp nhận; hãy ấn định giá trị",
                                "this claim has no objective value to accept; set a value instead")
        return claim.objective_value
    if action == "keep_claim":
        if claim.self_value is None:
            raise DecisionError("Đơn vị không báo cáo giá trị cho chỉ tiêu này; hãy ấn định giá trị",
                                "the unit reported no value for this claim; set a value instead")
        return claim.self_value
    if action == "set_value":
        if value is None:
            raise DecisionError("Cần nhập giá trị ấn định", "a value is required for set value")
        if claim.measure == "rate" and not (Decimal(0) <= value <= Decimal(1)):
            raise DecisionError(f"Tỷ lệ phải nằm trong 0–1 (0,855 = 85,5%), nhận được {value}",
                                f"a rate must be between 0 and 1 (0.855 = 85.5%), got {value}")
        return value
    raise DecisionError(f"Loại quyết định '{action}' không hợp lệ, cần một trong {', '.join(ACTIONS)}",
                        f"action '{action}' is invalid, expected one of {', '.join(ACTIONS)}")


def apply_decision(fw: Framework, claim: Claim, action: str, value: Decimal | None, decision_id: int) -> None:
    """Re-apply a council decision to a freshly built claim (decisions themselves are never edited)."""
    if action == "request_evidence":
        return  # asks the unit for more; changes no value
    new = decided_value(claim, action, value)
    claim.verified_value = new
    claim.verified_points = score_leaf(fw.leaf(claim.indicator_code), new) if new is not None else None
    claim.decision_id = decision_id
    if "council_decision" not in claim.reasons:
        claim.reasons.append("council_decision")
