"""Changes across periods (dti.scoring.changes, dti.verification.history): the steps add up to the change of
the verified total, largest first, with an explicit rescaling step when the totals were rescaled."""

from __future__ import annotations

from decimal import Decimal as D
from types import SimpleNamespace

from dti.scoring.changes import explain_change, explain_changes
from dti.verification.history import period_changes, previous_period
from dti.warehouse.db import session_scope
from dti.warehouse.models import ClaimLedgerRow, UnitScore


def score(unit, period, total, rank, fw="fw"):
    return SimpleNamespace(unit_code=unit, period=period, verified_total=D(total), verified_rank=rank, framework_id=fw)


def claim(unit, code, points, main="I"):
    return SimpleNamespace(unit_code=unit, indicator_code=code, main_index_code=main,
                           verified_points=None if points is None else D(points))


def test_steps_are_the_indicators_that_moved_and_add_up_to_the_change():
    before = [claim("U", "A1", "10"), claim("U", "A2", "5"), claim("U", "A3", "7"), claim("U", "A10", "1")]
    after = [claim("U", "A1", "4"), claim("U", "A2", "8"), claim("U", "A3", "7"), claim("U", "A11", "2")]
    ch = explain_change(score("U", "2025-R3", "21", 3), after, score("U", "2024-R3", "23", 1), before)
    assert ch.delta == D("-2") and ch.rank_change == -2 and ch.previous_period == "2024-R3"
    assert [(s.indicator_code, s.delta) for s in ch.steps] == [("A1", D("-6")), ("A2", D("3")),
                                                                ("A11", D("2")), ("A10", D("-1"))]
    assert sum(s.delta for s in ch.steps) == ch.delta  # no hidden remainder
    bars = ch.waterfall()
    assert bars[0] == {"label": "Kỳ 2024-R3", "start": "0", "end": "23.00"}
    assert bars[1] == {"label": "A1", "start": "23.00", "end": "17.00"}
    assert bars[-2]["end"] == bars[-1]["end"] == "21.00"


def test_a_rescaled_total_gets_its_own_step_so_the_waterfall_ends_at_the_new_total():
    before = [claim("U", "A1", "10")]
    after = [claim("U", "A1", "12")]  # +2 leaf points, but the total was renormalised ×1.25: 12.5 → 15
    ch = explain_change(score("U", "2025-R3", "15", 1, fw="fw-2025"), after, score("U", "2024-R3", "12.5", 1), before)
    assert ch.framework_changed
    assert [s.delta for s in ch.steps] == [D("2"), D("0.5")] and ch.steps[-1].indicator_code == ""
    assert "Quy đổi" in ch.steps[-1].label and ch.waterfall()[-2]["end"] == "15.00"


def test_a_unit_without_a_previous_period_has_no_waterfall():
    ch = explain_change(score("U", "2025-R3", "15", 1), [claim("U", "A1", "15")])
    assert ch.delta is None and ch.rank_change is None and ch.waterfall() == []


def test_each_unit_is_matched_with_its_own_previous_score():
    changes = explain_changes([score("U1", "p", "5", 2), score("U2", "p", "9", 1)],
                              [claim("U1", "A1", "5"), claim("U2", "A1", "9")],
                              [score("U2", "q", "4", 2)], [claim("U2", "A1", "4")])
    assert changes["U1"].delta is None and changes["U2"].delta == D("5") and changes["U2"].rank_change == 1


def _store(s, unit, period, total, rank, points):
    s.add(UnitScore(unit_code=unit, period=period, framework_id="fw", unit_type="dept", max_points=D("100"),
                    self_total=D(total), verified_total=D(total), self_dti=D("0.5"), verified_dti=D("0.5"),
                    self_rank=rank, verified_rank=rank, rank_change=0))
    s.add(ClaimLedgerRow(unit_code=unit, period=period, indicator_code="A1", framework_id="fw",
                         main_index_code="I", source="EVD", measure="bool", max_points=D("100"),
                         outcome="verified", verified_points=D(points)))


def test_period_changes_read_the_latest_earlier_period_from_the_warehouse(warehouse):
    with session_scope(warehouse) as s:
        _store(s, "U1", "2023-R3", "80", 1, "80")
        _store(s, "U1", "2024-R3", "40", 1, "40")
        _store(s, "U1", "2025-R3", "55", 1, "55")
    with session_scope(warehouse) as s:
        assert previous_period(s, "2025-R3") == "2024-R3" and previous_period(s, "2023-R3") is None
        assert previous_period(s, "not-a-period") is None
        ch = period_changes(s, "2025-R3")["U1"]
        assert ch.delta == D("15") and [st.indicator_code for st in ch.steps] == ["A1"]
        assert period_changes(s, "2023-R3")["U1"].steps == []
