"""Aggregate leaf points up the tree: criterion → component → main index → pillar → total."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from dti.framework.model import Framework
from dti.scoring.methods import ScoringError
from dti.text import code_key

ZERO = Decimal("0")


@dataclass
class UnitTotals:
    """One unit's points and maxima at every level of the tree; `dti` = total ÷ max_points.

    Leaf points are never rescaled; under the `renormalise` policy every sum above the leaves is
    multiplied by `factor` (scale ÷ applicable maximum).
    """

    total: Decimal
    max_points: Decimal
    dti: Decimal
    by_main_index: dict[str, Decimal] = field(default_factory=dict)
    max_by_main_index: dict[str, Decimal] = field(default_factory=dict)
    by_pillar: dict[str, Decimal] = field(default_factory=dict)
    max_by_pillar: dict[str, Decimal] = field(default_factory=dict)
    by_component: dict[str, Decimal] = field(default_factory=dict)
    max_by_component: dict[str, Decimal] = field(default_factory=dict)
    leaf_points: dict[str, Decimal] = field(default_factory=dict)
    not_applicable: list[str] = field(default_factory=list)
    factor: Decimal = Decimal("1")


def aggregate_unit(
    fw: Framework,
    unit_type: str,
    leaf_points: Mapping[str, Decimal | None],
    not_applicable: Iterable[str] = (),
) -> UnitTotals:
    """Sum the points of applicable leaves. Missing points count as 0 (the claim earned nothing).

    A leaf drops out when the framework says it does not apply to `unit_type`, or when it is listed
    in `not_applicable` for this unit (e.g. a department that charges no fees has no F6). Under the
    `shrink` policy the maximum shrinks (750 vs 1000); under `renormalise` the sums are scaled back
    to the unit type's scale.
    """
    try:
        scale = fw.scale_for(unit_type)
    except KeyError:
        raise ScoringError(
            f"Loại đơn vị '{unit_type}' không thuộc bộ chỉ số {fw.id} (có: {', '.join(fw.unit_type_names())}) "
            f"/ unit type is not covered by framework {fw.id}"
        ) from None
    known = {leaf.code: leaf for leaf in fw.leaves()}
    unknown = sorted(set(leaf_points) - set(known))
    if unknown:
        raise ScoringError(f"Mã chỉ số không có trong bộ chỉ số {fw.id}: {', '.join(unknown)} "
                           f"/ leaf codes not in framework {fw.id}")
    dropped = set(not_applicable)
    unknown_na = sorted(dropped - set(known))
    if unknown_na:
        raise ScoringError(f"Mã chỉ số không áp dụng nhưng không có trong bộ chỉ số {fw.id}: {', '.join(unknown_na)} "
                           f"/ not-applicable codes not in framework {fw.id}")

    out = UnitTotals(total=ZERO, max_points=ZERO, dti=ZERO)
    for pillar in fw.pillars:
        p_sum = p_max = ZERO
        for main in pillar.main_indices:
            m_sum = m_max = ZERO
            for comp in main.components:
                c_sum = c_max = ZERO
                for leaf in comp.criteria or [comp]:
                    if not fw.applies(leaf, unit_type) or leaf.code in dropped:
                        out.not_applicable.append(leaf.code)
                        continue
                    points = leaf_points.get(leaf.code)
                    points = ZERO if points is None else Decimal(points)
                    if not (ZERO <= points <= leaf.max_points):
                        raise ScoringError(f"{leaf.code}: điểm {points} ngoài khoảng [0, {leaf.max_points}] "
                                           f"/ points outside [0, max]")
                    out.leaf_points[leaf.code] = points
                    c_sum += points
                    c_max += leaf.max_points
                out.by_component[comp.code], out.max_by_component[comp.code] = c_sum, c_max
                m_sum, m_max = m_sum + c_sum, m_max + c_max
            out.by_main_index[main.code], out.max_by_main_index[main.code] = m_sum, m_max
            p_sum, p_max = p_sum + m_sum, p_max + m_max
        out.by_pillar[pillar.code], out.max_by_pillar[pillar.code] = p_sum, p_max
        out.total += p_sum
        out.max_points += p_max

    raw_total, raw_max = out.total, out.max_points
    if fw.policy.not_applicable == "renormalise" and raw_max > 0 and raw_max != scale:
        out.factor = scale / raw_max
        # Multiply before dividing so that 375 of 750 becomes exactly 500 of 1000.
        for mapping in (out.by_component, out.max_by_component, out.by_main_index, out.max_by_main_index,
                        out.by_pillar, out.max_by_pillar):
            for key in mapping:
                mapping[key] = mapping[key] * scale / raw_max
        out.total = raw_total * scale / raw_max
        out.max_points = scale
    out.dti = raw_total / raw_max if raw_max > 0 else ZERO
    out.not_applicable.sort(key=code_key)
    return out
