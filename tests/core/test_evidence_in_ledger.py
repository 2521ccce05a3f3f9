"""The evidence reading feeds the period: a step of its own before the ledger, each evidence-only claim's
verdict a reason code on the ledger (Vietnamese beside it), and a claim whose files are in order counted as
confirmed by evidence rather than provisional."""

from __future__ import annotations

from decimal import Decimal

from dti.reconciliation import Claim
from dti.scoring.unit_scores import kind_of_points
from dti.verification.steps import PERIOD_STEPS, PeriodRun, add_evidence_verdicts, read_evidence
from dti.warehouse import Warehouse
from tests.evidence_fixtures import PERIOD, Filing, file_evidence, seed_evidence_world


def _claim(unit, code, outcome="evidence_only"):
    c = Claim(unit_code=unit, period=PERIOD, indicator_code=code, framework_id="default-dept-2025",
              main_index_code="A", source="EVD", measure="tier", max_points=Decimal(15), outcome=outcome)
    c.reasons = ["no_system_of_record"] if outcome == "evidence_only" else ["within_tolerance"]
    c.verified_points = Decimal(15)
    return c


def test_evidence_is_read_before_the_ledger_is_built():
    names = [name for name, _step in PERIOD_STEPS]
    assert names.index("objective_metrics") < names.index("evidence_reads") < names.index("claim_ledger")


def test_each_evidence_only_claim_carries_its_evidence_verdict(warehouse):
    seed_evidence_world(warehouse)
    file_evidence(warehouse, [Filing("report.docx", "D01", "B2"), Filing("wrong-number.pdf", "D02", "A1"),
                              Filing("old-plan.pdf", "D01", "B1")])
    wh = Warehouse(warehouse)
    run = read_evidence(wh, PeriodRun(PERIOD))
    assert run.evidence.files_read == 3
    claims = [_claim("D01", "B2"), _claim("D02", "A1"), _claim("D01", "B1"), _claim("D03", "A1"),
              _claim("D01", "F5", outcome="verified")]
    with wh.session() as s:
        add_evidence_verdicts(s, PERIOD, claims)
    by = {(c.unit_code, c.indicator_code): c for c in claims}
    assert by[("D01", "B2")].reasons == ["no_system_of_record", "evidence_ok"]
    assert by[("D02", "A1")].reasons[-1] == "evidence_mismatch"
    assert by[("D01", "B1")].reasons[-1] == "evidence_out_of_period"
    assert by[("D03", "A1")].reasons[-1] == "evidence_missing"
    assert by[("D01", "F5")].reasons == ["within_tolerance"]  # a measured claim is left alone
    assert "Minh chứng: không phải văn bản được trích dẫn" in by[("D02", "A1")].reason_vi
    assert kind_of_points(by[("D01", "B2")]) == "evidence"
    assert kind_of_points(by[("D02", "A1")]) == "provisional"
