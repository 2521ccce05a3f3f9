"""The claim ledger's rules, as a council member would check them."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from dti.framework import load_framework
from dti.metrics import MetricValue
from dti.reconciliation import SelfValue, apply_decision, reconcile_claim, severity_for

FW = load_framework("default-dept-2025")
PERIOD = "2025-R3"


def _metric(code: str, value, status="ok", reason=None):
    leaf = FW.leaf(code)
    return MetricValue("U1", code, leaf.metric or "", leaf.source, status,
                       value=Decimal(value) if value is not None else None, reason=reason, record_count=10,
                       record_ids=["r1", "r2"], snapshot_id="snap")


def _claim(code, self_value, objective, *, unit_type="dept_tthc", status="ok", reason=None, points=None):
    claimed = SelfValue(Decimal(self_value), Decimal(points) if points else None) if self_value is not None else None
    metric = _metric(code, objective, status, reason) if (objective is not None or status != "ok") else None
    return reconcile_claim(FW, FW.leaf(code), "U1", unit_type, PERIOD, claimed, metric)


rates = st.decimals(min_value=0, max_value=1, places=4, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(self_value=rates, objective=rates, code=st.sampled_from(["F3", "F5", "F12", "E3", "D3", "H1"]))
def test_discrepancy_exactly_when_difference_exceeds_tolerance(self_value, objective, code):
    c = _claim(code, self_value, objective)
    beyond = abs(self_value - objective) > Decimal("0.02")
    assert (c.outcome == "discrepancy") == beyond
    assert c.outcome in ("verified", "discrepancy")
    assert Decimal("0") <= c.verified_points <= c.max_points


@settings(max_examples=150, deadline=None)
@given(claimed=st.integers(0, 30), objective=st.integers(0, 30))
def test_count_tolerance_is_at_least_one_or_two_percent(claimed, objective):
    c = _claim("A2", claimed, objective)
    tol = max(Decimal(1), Decimal("0.02") * objective)
    assert (c.outcome == "discrepancy") == (abs(claimed - objective) > tol)


def test_over_report_is_flagged_with_objective_as_verified_value():
    c = _claim("F5", "0.99", "0.90")
    assert c.outcome == "discrepancy" and c.direction == "over"
    assert c.verified_value == Decimal("0.90")
    # pass mark 98%: 40 points claimed, 0.90 × 40 = 36 verified
    assert c.verified_points == Decimal("36.00")
    assert c.points_at_stake == Decimal("4.00")
    assert c.reason.startswith("over_reported")
    assert c.record_ids == ["r1", "r2"]


def test_fewer_late_incidents_claimed_is_over_reporting():
    """E5 deducts 5 points per late incident: claiming fewer late incidents claims more points."""
    c = _claim("E5", "0", "3")
    assert c.outcome == "discrepancy" and c.direction == "over"
    assert c.verified_points == Decimal("15")
    assert c.severity == "critical"


def test_severity_is_weighted_by_points_at_stake_not_raw_difference():
    small_rate_big_points = _claim("F5", "0.99", "0.95")  # 4 pp below a 98% pass mark on 40 points
    big_rate_small_points = _claim("F10", "0.60", "0.50")  # 10 pp on a 10-point ratio
    assert small_rate_big_points.points_at_stake > big_rate_small_points.points_at_stake
    assert severity_for(Decimal("12"), Decimal("40")) == "critical"
    assert severity_for(Decimal("1"), Decimal("40")) == "low"
    assert severity_for(Decimal("1"), Decimal("2")) == "critical"


def test_source_down_is_unverifiable_never_zero_never_a_pass():
    c = _claim("F3", "0.80", None, status="unavailable", reason="source_failed: 503")
    assert c.outcome == "unverifiable"
    assert c.objective_value is None
    assert c.verified_points == c.self_points and c.verified_points > 0
    assert c.reason.startswith("source_failed")
    assert "Không lấy được dữ liệu" in c.reason_vi


def test_stale_and_empty_sources_are_unverifiable_with_their_reason():
    assert _claim("F3", "0.8", None, status="stale", reason="source_stale: 80h").reason.startswith("source_stale")
    assert _claim("F3", "0.8", None, status="no_data", reason="no_records").reason == "no_records"


def test_missing_self_report_and_not_applicable_are_their_own_outcomes():
    missing = _claim("F3", None, "0.5")
    assert missing.outcome == "missing_self_report"
    assert missing.self_points is None and missing.verified_value == Decimal("0.5")
    na = _claim("F3", "0.5", "0.5", unit_type="dept_no_tthc")
    assert na.outcome == "not_applicable"


def test_evidence_only_goes_to_the_council_with_citation_results():
    claimed = SelfValue(Decimal("2"), None, [{"raw": "45/KH-S ngày 1/2/2025", "status": "not_found",
                                              "document_id": None}])
    c = reconcile_claim(FW, FW.leaf("A1"), "U1", "dept_tthc", PERIOD, claimed, None)
    assert c.outcome == "evidence_only"
    assert "citation_not_found" in c.reason
    assert c.verified_points == Decimal("15")


def test_miscomputed_self_points_are_noted():
    c = _claim("F12", "0.80", "0.80", points="30")
    assert c.outcome == "verified"
    assert "self_points_miscomputed" in c.reason
    assert c.verified_points == Decimal("24.00")


def test_min_policy_and_penalty_policy():
    fw_min = FW.model_copy(update={"policy": FW.policy.model_copy(update={"verified_value": "min"})})
    c = reconcile_claim(fw_min, fw_min.leaf("F3"), "U1", "dept_tthc", PERIOD, SelfValue(Decimal("0.3"), None),
                        _metric("F3", "0.6"))
    assert c.outcome == "discrepancy" and c.direction == "under" and c.verified_value == Decimal("0.3")
    fw_pen = FW.model_copy(update={"policy": FW.policy.model_copy(
        update={"verified_value": "objective_with_penalty", "over_report_penalty": Decimal("0.5")})})
    c = reconcile_claim(fw_pen, fw_pen.leaf("F5"), "U1", "dept_tthc", PERIOD, SelfValue(Decimal("0.99"), None),
                        _metric("F5", "0.90"))
    assert c.verified_points == Decimal("34.00")  # 36 less half of the 4 points at stake


def test_council_decision_sets_the_verified_value():
    c = _claim("F5", "0.99", "0.90")
    apply_decision(FW, c, "keep_claim", None, decision_id=7)
    assert c.verified_value == Decimal("0.99") and c.verified_points == Decimal("40") and c.decision_id == 7
    apply_decision(FW, c, "set_value", Decimal("0.95"), decision_id=8)
    assert c.verified_points == Decimal("38.00")
    assert "council_decision" in c.reason
