"""Aggregation up the tree, peer-group rankings with ties, and the indicators that moved a rank."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dti.framework import load_all
from dti.scoring import (
    ScoringError,
    UnitScore,
    aggregate_unit,
    competition_ranks,
    peer_group_ranks,
    rank_movers,
    side_by_side,
)

SHIPPED = Path(__file__).resolve().parents[2] / "frameworks"
FRAMEWORKS = load_all(SHIPPED)
CASES = [(fid, ut.type) for fid, fw in sorted(FRAMEWORKS.items()) for ut in fw.unit_types]


@st.composite
def leaf_points(draw, fw, unit_type):
    out = {}
    for leaf in fw.applicable_leaves(unit_type):
        share = draw(st.one_of(st.none(), st.decimals(min_value=0, max_value=1, places=3)))
        out[leaf.code] = None if share is None else share * leaf.max_points
    return out


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_totals_equal_the_sum_of_parts(data):
    fid, unit_type = data.draw(st.sampled_from(CASES))
    fw = FRAMEWORKS[fid]
    points = data.draw(leaf_points(fw, unit_type))
    t = aggregate_unit(fw, unit_type, points)
    leaf_sum = sum((p or D(0) for p in points.values()), D(0))
    assert t.total == leaf_sum
    assert t.total == sum(t.by_pillar.values()) == sum(t.by_main_index.values()) == sum(t.by_component.values())
    for comp in fw.components():
        expected = sum((points.get(k.code) or D(0) for k in comp.criteria or [comp] if fw.applies(k, unit_type)), D(0))
        assert t.by_component[comp.code] == expected
    assert t.max_points == fw.scale_for(unit_type)
    assert D(0) <= t.dti <= 1
    assert t.dti == t.total / t.max_points


def test_full_and_empty_scores_per_shipped_unit_type():
    for fid, unit_type in CASES:
        fw = FRAMEWORKS[fid]
        full = aggregate_unit(fw, unit_type, {lf.code: lf.max_points for lf in fw.applicable_leaves(unit_type)})
        assert (full.total, full.dti) == (fw.scale_for(unit_type), 1), (fid, unit_type)
        empty = aggregate_unit(fw, unit_type, {})
        assert (empty.total, empty.dti) == (0, 0)


def test_a_unit_specific_not_applicable_leaf_shrinks_its_maximum():
    fw = FRAMEWORKS["default-dept-2025"]
    points = {lf.code: lf.max_points for lf in fw.applicable_leaves("dept_tthc")}
    points.pop("F6")
    t = aggregate_unit(fw, "dept_tthc", points, not_applicable=["F6"])
    assert t.max_points == 975
    assert t.total == 975 and t.dti == 1
    assert t.max_by_main_index["F"] == 315
    assert "F6" in t.not_applicable and "F6" not in t.leaf_points


def test_aggregation_refuses_what_it_cannot_add_up():
    fw = FRAMEWORKS["default-dept-2025"]
    with pytest.raises(ScoringError, match="Loại đơn vị 'commune' không thuộc bộ chỉ số default-dept-2025"):
        aggregate_unit(fw, "commune", {})
    with pytest.raises(ScoringError, match="Mã chỉ số không có trong bộ chỉ số default-dept-2025: Z9"):
        aggregate_unit(fw, "dept_tthc", {"Z9": D(1)})
    with pytest.raises(ScoringError, match=r"A1: điểm 16 ngoài khoảng \[0, 15\]"):
        aggregate_unit(fw, "dept_tthc", {"A1": D(16)})


def test_criteria_roll_up_into_their_component():
    fw = FRAMEWORKS["district-2024"]
    points = {f"4.22.{i}": D(2) for i in range(1, 12)}
    points["4.22.5"] = D(0)
    t = aggregate_unit(fw, "district", points)
    assert t.by_component["4.22"] == 20 and t.max_by_component["4.22"] == 22
    assert t.by_main_index["4"] == 20 and t.by_pillar["CQS"] == 20


# ---- ranking ---------------------------------------------------------------------------------------


def test_ties_share_a_rank_and_the_next_rank_skips():
    ranks = competition_ranks({"A": D("0.9"), "B": D("0.8"), "C": D("0.8"), "D": D("0.7")})
    assert ranks == {"A": 1, "B": 2, "C": 2, "D": 4}


scores_dicts = st.dictionaries(st.text("ABCDEFGH", min_size=1, max_size=3),
                               st.sampled_from([D("0.5"), D("0.6"), D("0.61"), D("0.9"), D(1)]), max_size=12)


@settings(max_examples=200, deadline=None)
@given(scores_dicts, st.randoms(use_true_random=False))
def test_rankings_do_not_depend_on_input_order(scores, rnd):
    items = list(scores.items())
    rnd.shuffle(items)
    assert competition_ranks(dict(items)) == competition_ranks(scores)


@settings(max_examples=200, deadline=None)
@given(scores_dicts)
def test_rank_is_one_plus_the_number_of_strictly_better_units(scores):
    ranks = competition_ranks(scores)
    for unit, value in scores.items():
        assert ranks[unit] == 1 + sum(1 for v in scores.values() if v > value)


def _totals(fw, unit_type, share):
    return aggregate_unit(fw, unit_type, {lf.code: lf.max_points * D(share) for lf in fw.applicable_leaves(unit_type)})


def test_rankings_are_within_peer_groups_and_side_by_side():
    dept = FRAMEWORKS["default-dept-2025"]
    commune = FRAMEWORKS["default-commune-2025"]
    scores = [
        UnitScore("S1", dept.id, "dept_tthc", _totals(dept, "dept_tthc", "0.9"), _totals(dept, "dept_tthc", "0.6")),
        UnitScore("S2", dept.id, "dept_tthc", _totals(dept, "dept_tthc", "0.8"), _totals(dept, "dept_tthc", "0.7")),
        UnitScore("S3", dept.id, "dept_tthc", _totals(dept, "dept_tthc", "0.7"), _totals(dept, "dept_tthc", "0.7")),
        UnitScore("S4", dept.id, "dept_no_tthc", _totals(dept, "dept_no_tthc", "0.5"), None),
        UnitScore("X1", commune.id, "commune", _totals(commune, "commune", "0.2"), _totals(commune, "commune", "0.95")),
    ]
    rows = side_by_side(scores)
    view = [(r.unit_code, r.self_rank, r.verified_rank, r.rank_change, r.peers) for r in rows]
    assert view == [
        ("X1", 1, 1, 0, 1),
        ("S4", 1, None, None, 1),
        ("S2", 2, 1, 1, 3),
        ("S3", 3, 1, 2, 3),
        ("S1", 1, 3, -2, 3),
    ]
    assert rows[2].verified_points == 700 and rows[2].self_dti == D("0.8")
    assert [(r.unit_code) for r in side_by_side(reversed(scores))] == [r.unit_code for r in rows]


def test_peer_group_ranks_never_compare_across_groups():
    groups = {"A": ("f", "x"), "B": ("f", "y"), "C": ("f", "x")}
    assert peer_group_ranks({"A": D("0.5"), "B": D("0.1"), "C": D("0.6")}, groups) == {"A": 2, "B": 1, "C": 1}


def test_side_by_side_refuses_a_unit_listed_twice():
    fw = FRAMEWORKS["default-commune-2025"]
    t = _totals(fw, "commune", "0.5")
    with pytest.raises(ValueError, match="Đơn vị xuất hiện hai lần: X1"):
        side_by_side([UnitScore("X1", fw.id, "commune", t, t), UnitScore("X1", fw.id, "commune", t, t)])


def test_rank_movers_lists_the_biggest_changes_first():
    fw = FRAMEWORKS["default-dept-2025"]
    self_points = {"F3": D(35), "A2": D(20), "D3": D(24), "G1": D(10), "B2": D(35)}
    verified = {"F3": D("17.5"), "A2": D(10), "D3": D(30), "G1": D(20), "B2": D(35)}
    moves = rank_movers(fw, self_points, verified)
    assert [(m.code, m.delta) for m in moves] == [("F3", D("-17.5")), ("A2", D(-10)), ("G1", D(10)), ("D3", D(6))]
    assert moves[0].main_index == "F" and moves[0].name_vi.startswith("Hồ sơ nộp trực tuyến")
    assert rank_movers(fw, {"F3": D(35)}, {}, unit_type="dept_no_tthc") == []


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["dept_tthc", "dept_no_tthc"]), st.sampled_from(["0", "0.5", "0.7", "1"]),
                          st.one_of(st.none(), st.sampled_from(["0", "0.5", "0.7", "1"]))), min_size=1, max_size=8),
       st.randoms(use_true_random=False))
def test_side_by_side_does_not_depend_on_input_order(units, rnd):
    fw = FRAMEWORKS["default-dept-2025"]
    scores = [UnitScore(f"S{i}", fw.id, ut, _totals(fw, ut, s), _totals(fw, ut, v) if v is not None else None)
              for i, (ut, s, v) in enumerate(units)]
    shuffled = list(scores)
    rnd.shuffle(shuffled)
    assert side_by_side(shuffled) == side_by_side(scores)
    for row in side_by_side(scores):
        peers = [s for s in scores if s.unit_type == row.unit_type]
        assert row.self_rank == 1 + sum(1 for p in peers if p.self_totals.dti > row.self_dti)
