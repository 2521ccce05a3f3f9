"""Scoring methods: worked examples from real index sets, and properties checked with hypothesis."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dti.framework.model import Leaf, Method, Step, Tier
from dti.scoring import ScoringError, display, display_dti, round2, score_leaf, score_peer_group


def leaf(kind: str, max_points="20", measure="rate", **params) -> Leaf:
    return Leaf(code="X1", name_vi="Chỉ số thử", name_en="test", max_points=D(max_points),
                method=Method(kind=kind, **params), measure=measure, source="EVD")


MEETINGS = [Step(at_least=D(4), points=D(20)), Step(at_least=D(3), points=D(15)),
            Step(at_least=D(2), points=D(10)), Step(at_least=D(1), points=D(5))]
HEAD = [Tier(level=2, label_vi="Người đứng đầu", fraction=D(1)), Tier(level=1, label_vi="Cấp phó", fraction=D("0.5")),
        Tier(level=0, label_vi="Không", fraction=D(0))]


@pytest.mark.parametrize(
    ("the_leaf", "value", "points"),
    [
        (leaf("ratio"), "0.855", "17.100"),
        (leaf("ratio"), "1.2", "20"),  # a rate above 100% earns no more than the maximum
        (leaf("target", target=D("0.9")), "0.45", "10"),
        (leaf("target", target=D("0.9")), "0.95", "20"),
        (leaf("pass_mark", max_points="25", threshold=D("0.8")), "0.79", "19.75"),
        (leaf("pass_mark", max_points="25", threshold=D("0.8")), "0.8", "25"),
        (leaf("steps", measure="count", steps=MEETINGS), "0", "0"),
        (leaf("steps", measure="count", steps=MEETINGS), "1", "5"),
        (leaf("steps", measure="count", steps=MEETINGS), "3", "15"),
        (leaf("steps", measure="count", steps=MEETINGS), "9", "20"),
        (leaf("tiers", max_points="15", measure="tier", tiers=HEAD), "1", "7.5"),
        (leaf("tiers", max_points="15", measure="tier", tiers=HEAD), "2", "15"),
        (leaf("binary", measure="bool"), "0", "0"),
        (leaf("binary", measure="bool"), "1", "20"),
        (leaf("deduction", max_points="30", measure="count", penalty=D(5)), "2", "20"),
        (leaf("deduction", max_points="30", measure="count", penalty=D(5)), "7", "0"),
        (leaf("capped_sum", max_points="7", measure="count", per_item=D(1), cap=D(7)), "3", "3"),
        (leaf("capped_sum", max_points="7", measure="count", per_item=D(1), cap=D(7)), "12", "7"),
    ],
)
def test_worked_examples(the_leaf, value, points):
    assert score_leaf(the_leaf, D(value)) == D(points)


def test_relative_to_best_needs_the_peers_best():
    rel = leaf("relative_to_best", max_points="30", measure="count")
    assert score_leaf(rel, D(30), best=D(40)) == D("22.5")
    assert score_leaf(rel, D(0), best=D(0)) == 0  # nobody achieved anything
    with pytest.raises(ScoringError, match="score_peer_group"):
        score_leaf(rel, D(30))


def test_score_peer_group_uses_the_best_of_the_group_and_keeps_missing_values():
    rel = leaf("relative_to_best", max_points="30", measure="count")
    got = score_peer_group(rel, {"U1": D(10), "U2": D(40), "U3": None, "U4": D(20)})
    assert got == {"U1": D("7.5"), "U2": D(30), "U3": None, "U4": D(15)}
    ratio = leaf("ratio")
    assert score_peer_group(ratio, {"U1": D("0.5"), "U2": None}) == {"U1": D(10), "U2": None}


def test_missing_value_is_not_scored_and_bad_values_are_refused():
    assert score_leaf(leaf("ratio"), None) is None
    assert score_leaf(leaf("ratio"), 0.1) == D("2.0")  # floats go through their text, not binary noise
    with pytest.raises(ScoringError, match="không phải là số hữu hạn"):
        score_leaf(leaf("ratio"), D("NaN"))
    with pytest.raises(ScoringError, match="không phải là số"):
        score_leaf(leaf("ratio"), "abc")
    with pytest.raises(ScoringError, match="mức 3 không có trong bảng mức"):
        score_leaf(leaf("tiers", max_points="15", measure="tier", tiers=HEAD), D(3))


def test_display_rounds_half_up_only_for_people():
    assert round2(D("2.345")) == D("2.35")
    assert round2(D("2.344")) == D("2.34")
    assert display(D("17.1")) == "17.10"
    assert display(None) == ""
    assert display_dti(D("0.60765")) == "0.6077"
    points = score_leaf(leaf("ratio", max_points="15"), D("0.333"))
    assert points == D("4.995")  # stored at full precision
    assert display(points) == "5.00"


# ---- properties -----------------------------------------------------------------------------------

values = st.decimals(min_value=-5, max_value=200, places=3, allow_nan=False, allow_infinity=False)
rates = st.decimals(min_value=-1, max_value=2, places=4, allow_nan=False, allow_infinity=False)
maxima = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
fractions = st.decimals(min_value=D("0.01"), max_value=1, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def step_tables(draw, max_points):
    thresholds = sorted(draw(st.sets(st.integers(min_value=0, max_value=20), min_size=1, max_size=5)))
    points = sorted(draw(st.lists(st.decimals(min_value=0, max_value=max_points, places=2), min_size=len(thresholds),
                                  max_size=len(thresholds))))
    return [Step(at_least=D(t), points=p) for t, p in zip(thresholds, points, strict=True)]


@st.composite
def any_leaf(draw):
    mx = draw(maxima)
    kind = draw(st.sampled_from(["ratio", "target", "pass_mark", "steps", "binary", "deduction", "capped_sum",
                                 "relative_to_best"]))
    params = {}
    if kind == "target":
        params["target"] = draw(fractions)
    elif kind == "pass_mark":
        params["threshold"] = draw(fractions)
    elif kind == "steps":
        params["steps"] = draw(step_tables(mx))
    elif kind == "deduction":
        params["penalty"] = draw(st.decimals(min_value=D("0.5"), max_value=10, places=1))
    elif kind == "capped_sum":
        params["per_item"] = draw(st.decimals(min_value=D("0.5"), max_value=5, places=1))
        params["cap"] = mx
    return leaf(kind, max_points=mx, **params)


@settings(max_examples=300, deadline=None)
@given(any_leaf(), values, st.decimals(min_value=0, max_value=200, places=3))
def test_points_always_within_zero_and_max(the_leaf, value, best):
    points = score_leaf(the_leaf, value, best=best)
    assert D(0) <= points <= the_leaf.max_points


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_monotone_in_the_measured_value(data):
    mx = data.draw(maxima)
    kind = data.draw(st.sampled_from(["ratio", "target", "pass_mark", "steps"]))
    params = {"target": {"target": data.draw(fractions)}, "pass_mark": {"threshold": data.draw(fractions)},
              "steps": {"steps": data.draw(step_tables(mx))}}.get(kind, {})
    the_leaf = leaf(kind, max_points=mx, **params)
    low, high = sorted([data.draw(values if kind == "steps" else rates), data.draw(values if kind == "steps" else rates)])
    assert score_leaf(the_leaf, low) <= score_leaf(the_leaf, high)


@settings(max_examples=200, deadline=None)
@given(maxima, st.decimals(min_value=D("0.5"), max_value=10, places=1), st.integers(0, 50), st.integers(0, 50))
def test_deduction_never_rewards_more_incidents(mx, penalty, a, b):
    the_leaf = leaf("deduction", max_points=mx, measure="count", penalty=penalty)
    fewer, more = sorted([a, b])
    assert score_leaf(the_leaf, D(more)) <= score_leaf(the_leaf, D(fewer))
