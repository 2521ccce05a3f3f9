"""Changes explained across periods: a unit's verified score and rank against its previous period, attributed to
indicators as a waterfall (start, one step per indicator that moved, a rescaling step, end).

Indicators are matched by code, which holds across versions of one framework and across a mapped framework
whose codes were kept. The steps are the indicators' verified points after minus before (a missing claim
counts 0). When the totals are rescaled (the `renormalise` policy) or the framework changed, the steps of the
leaves do not add up to the change of the total; the difference is one explicit "rescaling / framework" step,
so the waterfall always ends exactly at the new total.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from dti.text import code_key

ZERO = Decimal("0")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Step:
    indicator_code: str  # "" for the rescaling / framework step
    main_index_code: str
    before: Decimal | None
    after: Decimal | None
    delta: Decimal

    @property
    def label(self) -> str:
        return self.indicator_code or "Quy đổi thang điểm / bộ chỉ số (rescaling / framework)"


@dataclass
class UnitChange:
    """One unit's verified score now and in its previous period, and the steps between them."""

    unit_code: str
    period: str
    previous_period: str | None
    before_total: Decimal | None
    after_total: Decimal
    before_rank: int | None
    after_rank: int
    framework_changed: bool = False
    steps: list[Step] = field(default_factory=list)

    @property
    def delta(self) -> Decimal | None:
        return None if self.before_total is None else self.after_total - self.before_total

    @property
    def rank_change(self) -> int | None:
        """Places gained since the previous period (negative: the unit fell)."""
        return None if self.before_rank is None else self.before_rank - self.after_rank

    def waterfall(self) -> list[dict]:
        """[{label, start, end}] bars from the previous total to the current one, for a chart."""
        if self.before_total is None:
            return []
        bars, level = [{"label": f"Kỳ {self.previous_period}", "start": "0", "end": _s(self.before_total)}], \
            self.before_total
        for step in self.steps:
            bars.append({"label": step.label, "start": _s(level), "end": _s(level + step.delta)})
            level += step.delta
        bars.append({"label": f"Kỳ {self.period}", "start": "0", "end": _s(self.after_total)})
        return bars


def _s(value: Decimal) -> str:
    return str(value.quantize(CENT))


def _points(claims: Iterable) -> dict[str, tuple[str, Decimal | None]]:
    return {c.indicator_code: (c.main_index_code, c.verified_points) for c in claims}


def explain_change(after_score, after_claims: Iterable, before_score=None, before_claims: Iterable = ()) -> UnitChange:
    """The change of one unit's verified score between two periods' score rows (UnitScore rows or
    UnitScoreRow) and their claims (ledger rows or Claims, with indicator_code, main_index_code and
    verified_points). Without a previous score, only the current side is filled."""
    change = UnitChange(after_score.unit_code, after_score.period, None, None, Decimal(after_score.verified_total),
                        None, after_score.verified_rank)
    if before_score is None:
        return change
    change.previous_period = before_score.period
    change.before_total = Decimal(before_score.verified_total)
    change.before_rank = before_score.verified_rank
    change.framework_changed = before_score.framework_id != after_score.framework_id
    now, then = _points(after_claims), _points(before_claims)
    steps = []
    for code in sorted(set(now) | set(then), key=code_key):
        main, after = now.get(code, (then.get(code, ("", None))[0], None))
        before = then.get(code, ("", None))[1]
        delta = Decimal(after or ZERO) - Decimal(before or ZERO)
        if delta:
            steps.append(Step(code, main, before, after, delta))
    steps.sort(key=lambda s: (-abs(s.delta), s.delta, code_key(s.indicator_code)))
    rest = change.delta - sum((s.delta for s in steps), ZERO)
    if rest:
        steps.append(Step("", "", None, None, rest))
    change.steps = steps
    return change


def explain_changes(after_scores: Iterable, after_claims: Iterable, before_scores: Iterable = (),
                    before_claims: Iterable = ()) -> dict[str, UnitChange]:
    """{unit: UnitChange} for every unit scored now, matched with its score of the previous period."""
    by_unit: dict[str, list] = {}
    for c in after_claims:
        by_unit.setdefault(c.unit_code, []).append(c)
    before_by_unit: dict[str, list] = {}
    for c in before_claims:
        before_by_unit.setdefault(c.unit_code, []).append(c)
    before: Mapping[str, object] = {s.unit_code: s for s in before_scores}
    return {
        s.unit_code: explain_change(s, by_unit.get(s.unit_code, []), before.get(s.unit_code),
                                    before_by_unit.get(s.unit_code, []))
        for s in sorted(after_scores, key=lambda s: s.unit_code)
    }
