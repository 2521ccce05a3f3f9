"""A verified score that says how verified it is: points measured from records, confirmed by the council on
evidence, and provisional; coverage; and the framework's ranking policy for provisional points."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from dti.appraisal import decisions
from dti.appraisal.scores import recompute_scores
from dti.framework import load_framework
from dti.reconciliation import Claim
from dti.reports.exports import SCORE_COLUMNS, scores_csv
from dti.scoring.unit_scores import kind_of_points, score_units
from dti.warehouse.db import session_scope
from dti.warehouse.models import ClaimLedgerRow, UnitScore
from tests.review_fixtures import FRAMEWORK, PERIOD, seed_review, user

FRAMEWORKS = Path(__file__).resolve().parents[2] / "frameworks"


def fw(policy: str = "count", discount: str = "0.5"):
    f = load_framework(FRAMEWORK, FRAMEWORKS)
    return f.model_copy(update={"policy": f.policy.model_copy(update={"provisional_points": policy,
                                                                       "provisional_discount": D(discount)})})


def c(unit, code, outcome, points, decision_id=None):
    claim = Claim(unit_code=unit, period=PERIOD, indicator_code=code, framework_id=FRAMEWORK, main_index_code="A",
                  source="EVD", measure="tier", max_points=D("15"), outcome=outcome)
    claim.verified_points = None if points is None else D(points)
    claim.self_points = claim.verified_points
    claim.decision_id = decision_id
    return claim


def test_each_outcome_has_one_kind_of_points():
    assert kind_of_points(c("U", "F5", "verified", "1")) == "measured"
    assert kind_of_points(c("U", "F5", "discrepancy", "1")) == "measured"
    assert kind_of_points(c("U", "F5", "missing_self_report", "1")) == "measured"
    assert kind_of_points(c("U", "A1", "evidence_only", "1")) == "provisional"
    assert kind_of_points(c("U", "F5", "unverifiable", "1")) == "provisional"
    assert kind_of_points(c("U", "A1", "evidence_only", "1", decision_id=7)) == "evidence"
    assert kind_of_points(c("U", "A1", "not_applicable", None)) is None
    read = c("U", "A1", "evidence_only", "1")
    read.reasons = ["no_system_of_record", "evidence_ok"]  # its evidence file was read and is in order
    assert kind_of_points(read) == "evidence"
    read.reasons = ["no_system_of_record", "evidence_mismatch"]
    assert kind_of_points(read) == "provisional"
    row = ClaimLedgerRow(outcome="evidence_only", reason="no_system_of_record;evidence_ok", decision_id=None)
    assert kind_of_points(row) == "evidence"  # a stored ledger row, its reasons joined


# U1 rests on 15 provisional points (A1) and leads; U2 has the same measured points but less on its word.
CLAIMS = [
    c("U1", "F5", "verified", "30"), c("U1", "A1", "evidence_only", "15"),
    c("U2", "F5", "verified", "36"), c("U2", "A1", "evidence_only", "7.5", decision_id=3),
]


def _score(policy="count", discount="0.5"):
    f = fw(policy, discount)
    return {r.unit_code: r for r in score_units(PERIOD, [("U1", "dept_tthc", f), ("U2", "dept_tthc", f)], CLAIMS)}


def test_the_split_adds_up_to_the_verified_total_and_gives_coverage():
    rows = _score()
    u1, u2 = rows["U1"], rows["U2"]
    assert (u1.measured_points, u1.evidence_points, u1.provisional_points) == (D("30"), D("0"), D("15"))
    assert u1.measured_points + u1.evidence_points + u1.provisional_points == u1.verified_total
    assert u1.coverage == D(30) / D(45)
    assert (u2.measured_points, u2.evidence_points, u2.provisional_points, u2.coverage) == (D(36), D("7.5"), 0, 1)


def test_count_policy_ranks_on_the_verified_dti_and_marks_ranks_that_rest_on_provisional_points():
    rows = _score("count")
    assert rows["U1"].verified_rank == 1 and rows["U2"].verified_rank == 2
    assert rows["U1"].ranking_dti == rows["U1"].verified_dti
    assert rows["U1"].rank_on_provisional and rows["U2"].rank_on_provisional  # without A1's 15 points, U2 leads


def test_exclude_and_discount_policies_change_the_ranking_value_not_the_verified_total():
    ex = _score("exclude")
    assert ex["U1"].verified_total == D(45) and ex["U1"].ranking_dti * 1000 == D(30) * 1000 / ex["U1"].max_points
    assert ex["U2"].verified_rank == 1 and ex["U1"].verified_rank == 2
    assert not ex["U1"].rank_on_provisional
    half = _score("discount", "0.5")  # U1: 30 + 7.5 = 37.5 < U2's 43.5
    assert half["U1"].ranking_dti == D("37.5") / half["U1"].max_points and half["U2"].verified_rank == 1
    full = _score("discount", "1")
    assert full["U1"].verified_rank == 1  # a discount of 1 counts them in full


def test_verified_scores_csv_has_the_split_columns():
    text = scores_csv(list(_score().values()))
    header, first = text.splitlines()[:2]
    # the grading bands (issue 17) come after them; this framework has none
    assert header.split(",")[-8:] == ["measured_points", "evidence_points", "provisional_points", "coverage",
                                      "ranking_dti", "rank_on_provisional", "self_grade", "verified_grade"]
    assert SCORE_COLUMNS[-8:] == header.split(",")[-8:]
    assert ",30.00,0.00,15.00,0.666667," in first and first.endswith(",true,,")


def test_a_council_decision_turns_provisional_points_into_evidence_points(warehouse):
    seed_review(warehouse)
    with session_scope(warehouse) as s:
        s.add(ClaimLedgerRow(unit_code="D01", period=PERIOD, indicator_code="A1", framework_id=FRAMEWORK,
                             main_index_code="A", source="EVD", measure="tier", max_points=D("15"),
                             self_value=D("2"), self_points=D("15"), outcome="evidence_only",
                             verified_value=D("2"), verified_points=D("15"), citations=[]))
    with session_scope(warehouse) as s:
        recompute_scores(s, PERIOD, FRAMEWORK, "dept_tthc")
        before = s.get(UnitScore, ("D01", PERIOD))
        assert before.provisional_points == D(15) and before.coverage < 1
    with session_scope(warehouse) as s:
        row = s.get(ClaimLedgerRow, ("D01", PERIOD, "A1"))
        decisions.decide(s, user(warehouse, "hoidong1"), row, "set_value", "Quyết định thành lập BCĐ do cấp phó ký",
                         row.version, value=D("1"))
    with session_scope(warehouse) as s:
        after = s.get(UnitScore, ("D01", PERIOD))
        assert after.provisional_points == 0 and after.evidence_points == D("7.5")
        assert after.coverage == 1
