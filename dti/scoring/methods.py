"""Scoring methods seen in real index sets. Decimal in, Decimal out; rounding only for display."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from dti.framework.model import Leaf

ZERO = Decimal("0")
ONE = Decimal("1")
CENT = Decimal("0.01")


class ScoringError(ValueError):
    pass


def _clamp(points: Decimal, max_points: Decimal) -> Decimal:
    return min(max(points, ZERO), max_points)


def score_leaf(leaf: Leaf, value: Decimal | None, best: Decimal | None = None) -> Decimal | None:
    """Points for a measured value; None when there is no value to score.

    `best` is the best value among peers, needed only by `relative_to_best`.
    Rates are fractions (0.85 = 85%); counts are whole numbers; tiers are level numbers.
    """
    if value is None:
        return None
    value = to_decimal(value, leaf.code)
    if best is not None:
        best = to_decimal(best, leaf.code)
    m = leaf.method
    mx = leaf.max_points
    if m is None:
        raise ScoringError(f"{leaf.code}: không có cách tính điểm / no scoring method")
    kind = m.kind
    if kind == "ratio":
        points = min(ONE, max(value, ZERO)) * mx
    elif kind == "target":
        points = min(ONE, max(value, ZERO) / m.target) * mx if m.target > 0 else mx
    elif kind == "pass_mark":
        points = mx if value >= m.threshold else min(ONE, max(value, ZERO)) * mx
    elif kind == "steps":
        points = ZERO
        for step in sorted(m.steps, key=lambda s: s.at_least, reverse=True):
            if value >= step.at_least:
                points = step.points
                break
    elif kind == "tiers":
        by_level = {Decimal(t.level): t.fraction for t in m.tiers}
        if value not in by_level:
            raise ScoringError(
                f"{leaf.code}: mức {value} không có trong bảng mức {sorted(by_level)} / unknown tier level"
            )
        points = by_level[value] * mx
    elif kind == "binary":
        points = mx if value != 0 else ZERO
    elif kind == "deduction":
        points = mx - m.penalty * max(value, ZERO)
    elif kind == "capped_sum":
        points = min(m.cap, max(value, ZERO) * m.per_item)
    elif kind == "relative_to_best":
        if best is None:
            raise ScoringError(
                f"{leaf.code}: cần giá trị tốt nhất của nhóm đơn vị cùng loại (dùng score_peer_group) "
                f"/ needs the peers' best value (use score_peer_group)"
            )
        # Nobody achieved anything: there is no best to be measured against.
        points = ZERO if best <= 0 else min(ONE, max(value, ZERO) / best) * mx
    else:  # pragma: no cover - the model's Literal forbids it
        raise ScoringError(f"{leaf.code}: phương pháp không hỗ trợ / unsupported method {kind}")
    return _clamp(points, mx)


def to_decimal(value, code: str = "") -> Decimal:
    """Exact Decimal for a measured value; floats go through their shortest text form (0.1 → 0.1)."""
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ScoringError(f"{code}: giá trị {value!r} không phải là số / value is not a number") from None
    if not number.is_finite():
        raise ScoringError(f"{code}: giá trị {value!r} không phải là số hữu hạn / value is not a finite number")
    return number


def score_peer_group(leaf: Leaf, values: Mapping[Hashable, Decimal | None]) -> dict[Hashable, Decimal | None]:
    """Score one leaf for every unit of a peer group (same unit type and framework).

    `relative_to_best` needs the group's best value, so it can only be scored for the group as a
    whole; other methods score each unit alone. Units without a value stay None.
    """
    present = {k: to_decimal(v, leaf.code) for k, v in values.items() if v is not None}
    best = max(present.values(), default=None)
    kind = leaf.method.kind if leaf.method else None
    out: dict[Hashable, Decimal | None] = {}
    for key in values:
        if key not in present:
            out[key] = None
        elif kind == "relative_to_best":
            out[key] = score_leaf(leaf, present[key], best=best)
        else:
            out[key] = score_leaf(leaf, present[key])
    return out


def round2(value: Decimal) -> Decimal:
    """Round half up to 2 decimals, the way score sheets print; only for display and export."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def display(points: Decimal | None) -> str:
    """Two decimals for people; the stored value keeps full precision."""
    if points is None:
        return ""
    return str(round2(points))


def display_dti(value: Decimal | None) -> str:
    """The published DTI value: points ÷ maximum with 4 decimals (e.g. 0.6077)."""
    if value is None:
        return ""
    return str(Decimal(value).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))
