"""Risk-based review of evidence-only and unverifiable claims: each signal from its written rule, the combined
score, the queue's priority and the stratified sample (dti.appraisal.risk)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from types import SimpleNamespace

import pytest

from dti.appraisal import risk
from dti.appraisal.claims import queue
from dti.vocabulary import Outcome, RiskSignal
from dti.warehouse.db import session_scope
from dti.warehouse.models import ClaimLedgerRow, Unit

FW = "fw"


def claim(unit, code, outcome=Outcome.EVIDENCE_ONLY, self_points="5", max_points="10", main="I", **kw):
    base = dict(unit_code=unit, indicator_code=code, outcome=outcome, framework_id=FW, main_index_code=main,
                self_points=None if self_points is None else Decimal(self_points), max_points=Decimal(max_points),
                points_at_stake=None, direction=None, citations=[{"raw": "1/QĐ-UBND", "status": "found"}],
                period="2025-R3", reason="no_system_of_record;evidence_ok")
    base.update(kw)
    return SimpleNamespace(**base)


def codes(r: risk.Risk) -> set[str]:
    return {s.code for s in r.signals}


def test_jump_fires_from_its_share_of_the_maximum_and_not_below(monkeypatch):
    monkeypatch.setenv("DTI_RISK_JUMP_SHARE", "0.25")
    now = claim("U1", "A1", self_points="9")
    assert risk.jump_signal(now, claim("U1", "A1", self_points="6.5", period="2024-R3")) is not None  # +2.5 of 10
    assert risk.jump_signal(now, claim("U1", "A1", self_points="6.6", period="2024-R3")) is None  # +2.4
    full = risk.jump_signal(now, claim("U1", "A1", self_points="4", period="2024-R3"))  # +5 = 2 × share
    assert full.strength == 1.0 and "2024-R3" in full.detail
    assert risk.jump_signal(now, None) is None  # no previous period: no signal, not an error


def test_a_fall_or_a_first_report_is_no_jump():
    now = claim("U1", "A1", self_points="2")
    assert risk.jump_signal(now, claim("U1", "A1", self_points="9")) is None
    assert risk.jump_signal(now, claim("U1", "A1", self_points=None)) is None


def test_peer_outlier_by_median_and_mad(monkeypatch):
    monkeypatch.setenv("DTI_RISK_PEER_Z", "3")
    peers = [0.4, 0.45, 0.5, 0.5, 0.55, 0.6]  # median 0.5, MAD 0.05 → spread 0.074
    assert risk.peer_signal(claim("U9", "A1", self_points="10"), [*peers, 1.0]) is not None  # z ≈ 6.7
    assert risk.peer_signal(claim("U9", "A1", self_points="6"), [*peers, 0.6]) is None  # z ≈ 1.3
    assert risk.peer_signal(claim("U9", "A1", self_points="10"), [0.5, 0.5, 1.0]) is None  # too few peers
    assert risk.peer_signal(claim("U9", "A1", self_points="5"), [0.5] * 8) is None  # all equal: nobody stands out


def test_peer_spread_falls_back_when_most_peers_sit_on_the_median():
    med, spread = risk.peer_spread([1.0, 1.0, 1.0, 1.0, 0.0])
    assert med == 1.0 and spread == pytest.approx(0.2)


def test_nearby_over_reporting_has_the_share_over_reported_as_strength():
    measured = [claim("U1", "F1", Outcome.DISCREPANCY, direction="over"),
                claim("U1", "F2", Outcome.VERIFIED), claim("U1", "F3", Outcome.DISCREPANCY, direction="under"),
                claim("U1", "F4", Outcome.VERIFIED)]
    s = risk.nearby_signal(measured)
    assert s.code == RiskSignal.OVER_REPORTS_NEARBY and s.strength == 0.25 and "F1" in s.detail
    assert risk.nearby_signal(measured[1:]) is None
    assert risk.nearby_signal([]) is None


def test_citations_missing_or_wrong_are_signals_for_evidence_only_claims():
    assert codes_of(risk.citation_signals(claim("U1", "A1", citations=[]))) == {RiskSignal.NO_CITATION}
    bad = claim("U1", "A1", citations=[{"raw": "9/BC-X", "status": "not_found"}])
    (s,) = risk.citation_signals(bad)
    assert s.code == RiskSignal.CITATION_PROBLEM and "9/BC-X" in s.detail
    assert risk.citation_signals(claim("U1", "A1")) == []


def test_the_evidence_reading_verdict_is_a_signal_unless_the_files_are_in_order():
    s = risk.evidence_signal(claim("U1", "A1", reason="no_system_of_record;evidence_mismatch"))
    assert s.code == RiskSignal.EVIDENCE_PROBLEM and s.strength == 1.0 and s.detail == "Không phải văn bản được trích dẫn"
    assert risk.evidence_signal(claim("U1", "A1", reason="no_system_of_record;evidence_missing")).strength == 0.9
    assert risk.evidence_signal(claim("U1", "A1")) is None  # evidence_ok
    assert risk.evidence_signal(claim("U1", "A1", reason="no_system_of_record")) is None  # not read: no verdict


def codes_of(signals) -> set[str]:
    return {s.code for s in signals}


def test_combined_risk_never_exceeds_one_and_grows_with_each_reason():
    one = [risk.Signal(RiskSignal.NO_CITATION, 1.0, "")]
    two = [*one, risk.Signal(RiskSignal.JUMP, 1.0, "")]
    assert risk.combine([]) == 0.0
    assert risk.combine(one) == pytest.approx(0.4)
    assert risk.combine(two) == pytest.approx(1 - 0.6 * 0.4)
    assert risk.combine([*two, risk.Signal(RiskSignal.CITATION_PROBLEM, 5.0, "")]) <= 1.0


def test_assess_scores_only_what_no_system_confirms_and_ranks_by_stake_times_risk():
    rows = [
        claim("U1", "A1", self_points="10", citations=[]),  # no citation: risk 0.4, stake 10 → 4
        claim("U1", "A2", self_points="8", citations=[{"raw": "x", "status": "not_found"}]),  # 0.9 × 8 = 7.2
        claim("U1", "A3", self_points="9"),  # nothing odd: risk 0
        claim("U1", "F1", Outcome.DISCREPANCY, points_at_stake=Decimal("5"), direction="under"),
        claim("U1", "F2", Outcome.VERIFIED),
        claim("U1", "F3", Outcome.UNVERIFIABLE, self_points="6", citations=[]),  # no citation needed here
    ]
    risks = risk.assess(rows, {"U1": "dept"}, {})
    assert set(risks) == {("U1", c) for c in ("A1", "A2", "A3", "F1", "F3")}
    assert risks[("U1", "F3")].score == 0.0  # a measured leaf needs no citation
    assert [r.indicator_code for r in risk.by_priority(risks.values())] == ["A2", "F1", "A1", "A3", "F3"]


def test_over_reporting_nearby_raises_the_risk_of_the_same_main_index_only():
    rows = [claim("U1", "F1", Outcome.DISCREPANCY, main="I", direction="over", points_at_stake=Decimal("3")),
            claim("U1", "A1", main="I"), claim("U1", "B1", main="II")]
    risks = risk.assess(rows, {}, {})
    assert codes(risks[("U1", "A1")]) == {RiskSignal.OVER_REPORTS_NEARBY}
    assert codes(risks[("U1", "B1")]) == set()


def test_sample_size_follows_the_rule_per_stratum_and_keeps_a_random_half(monkeypatch):
    cited = [{"raw": "x", "status": "found"}]
    rows = [claim(f"U{i:02}", "A1", self_points=str(i % 10), citations=[] if i < 5 else cited) for i in range(30)]
    rows += [claim(f"U{i:02}", "B1", main="II") for i in range(4)]
    risks = risk.assess(rows, {}, {})
    sample = risk.propose_sample("2025-R3", rows, risks)
    picked_a = [k for k in risks.values() if k.sampled and k.indicator_code == "A1"]
    picked_b = [k for k in risks.values() if k.sampled and k.indicator_code == "B1"]
    assert len(picked_a) == math.ceil(math.sqrt(30)) == 6 and len(picked_b) == 2
    assert (sample.scored, sample.picked, sample.left_claims) == (34, 8, 26)
    assert sample.left_points == sum(k.stake for k in risks.values() if not k.sampled)
    top = risk.by_priority([risks[(r.unit_code, r.indicator_code)] for r in rows if r.indicator_code == "A1"])[:3]
    assert all(k.sampled for k in top)  # the first half by priority
    # The same ledger proposes the same sample; another period draws its random half anew.
    again = risk.assess(rows, {}, {})
    risk.propose_sample("2025-R3", rows, again)
    assert {k.key for k in again.values() if k.sampled} == {k.key for k in risks.values() if k.sampled}
    other = risk.assess(rows, {}, {})
    risk.propose_sample("2026-R3", rows, other)
    assert {k.key for k in other.values() if k.sampled} != {k.key for k in risks.values() if k.sampled}


def _ledger_row(unit, period, code, outcome, self_points, **kw):
    fields = dict(unit_code=unit, period=period, indicator_code=code, framework_id=FW, main_index_code="I",
                  source="EVD", measure="bool", max_points=Decimal("10"), self_points=Decimal(self_points),
                  outcome=outcome, citations=[{"raw": "1/QĐ", "status": "found"}])
    fields.update(kw)
    return ClaimLedgerRow(**fields)


def test_period_risk_compares_with_the_latest_earlier_period_in_the_warehouse(warehouse):
    with session_scope(warehouse) as s:
        s.add(Unit(code="U1", name_vi="Sở A", unit_type="dept", province_code="T", valid_from=dt.date(2020, 1, 1)))
        s.add(_ledger_row("U1", "2023-R3", "A1", Outcome.EVIDENCE_ONLY, "9"))
        s.add(_ledger_row("U1", "2024-R3", "A1", Outcome.EVIDENCE_ONLY, "2"))
        s.add(_ledger_row("U1", "2025-R3", "A1", Outcome.EVIDENCE_ONLY, "10"))
        s.add(_ledger_row("U1", "2026-R3", "A1", Outcome.EVIDENCE_ONLY, "1"))
    with session_scope(warehouse) as s:
        found = risk.period_risk(s, "2025-R3")
        assert found.previous == "2024-R3"
        (only,) = found.risks.values()
        assert codes(only) == {RiskSignal.JUMP} and "2024-R3" in only.signals[0].detail
        assert found.sample.picked == 1 and found.sample.left_claims == 0
        assert risk.period_risk(s, "2023-R3").previous is None


def test_queue_orders_by_priority_when_given_risks(warehouse):
    with session_scope(warehouse) as s:
        s.add(_ledger_row("U1", "2025-R3", "A1", Outcome.EVIDENCE_ONLY, "10", citations=[]))  # 0.4 × 10
        s.add(_ledger_row("U1", "2025-R3", "A2", Outcome.EVIDENCE_ONLY, "9",
                          citations=[{"raw": "x", "status": "not_found"}]))  # 0.9 × 9
        s.add(_ledger_row("U1", "2025-R3", "A3", Outcome.DISCREPANCY, "9", points_at_stake=Decimal("6")))
        s.add(_ledger_row("U1", "2025-R3", "A4", Outcome.MISSING_SELF_REPORT, "0"))
    council = SimpleNamespace(role="council", unit_code=None)
    with session_scope(warehouse) as s:
        found = risk.period_risk(s, "2025-R3")
        ordered = [r.indicator_code for r in queue(s, "2025-R3", council, risks=found.risks)]
        assert ordered == ["A2", "A3", "A1", "A4"]
        by_stake = [r.indicator_code for r in queue(s, "2025-R3", council)]
        assert by_stake[0] == "A3"  # without risks: points at stake alone
