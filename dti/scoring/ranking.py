"""Rankings within peer groups ("1, 2, 2, 4"), self-assessed and verified side by side."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from dti.framework.model import Framework
from dti.scoring.aggregate import UnitTotals
from dti.text import code_key

ZERO = Decimal("0")


def competition_ranks(scores: Mapping[Hashable, Decimal]) -> dict[Hashable, int]:
    """Rank keys by score, highest first. Equal scores share the best rank of their group."""
    ordered = sorted(scores.items(), key=lambda kv: (-kv[1], str(kv[0])))
    ranks: dict[Hashable, int] = {}
    prev = None
    rank = 0
    for position, (key, score) in enumerate(ordered, start=1):
        if score != prev:
            rank = position
            prev = score
        ranks[key] = rank
    return ranks


@dataclass(frozen=True)
class UnitScore:
    """A unit's self-assessed and verified totals in one framework. Either side may be missing."""

    unit_code: str
    framework_id: str
    unit_type: str
    self_totals: UnitTotals | None
    verified_totals: UnitTotals | None


@dataclass(frozen=True)
class RankedUnit:
    unit_code: str
    framework_id: str
    unit_type: str
    peers: int
    self_points: Decimal | None
    self_dti: Decimal | None
    self_rank: int | None
    verified_points: Decimal | None
    verified_dti: Decimal | None
    verified_rank: int | None

    @property
    def rank_change(self) -> int | None:
        """Places gained by verification (negative: the unit fell)."""
        if self.self_rank is None or self.verified_rank is None:
            return None
        return self.self_rank - self.verified_rank


def peer_group_ranks(dti_values: Mapping[str, Decimal], groups: Mapping[str, tuple[str, str]]) -> dict[str, int]:
    """Competition ranks by DTI value, computed separately inside each (framework id, unit type) group.

    Ranking on the DTI value (points ÷ applicable maximum) keeps a unit whose maximum shrank for a
    not-applicable indicator comparable with its peers.
    """
    by_group: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(dict)
    for unit, value in dti_values.items():
        by_group[groups[unit]][unit] = value
    out: dict[str, int] = {}
    for members in by_group.values():
        out.update(competition_ranks(members))
    return out


def side_by_side(scores: Iterable[UnitScore]) -> list[RankedUnit]:
    """Self-assessed and verified rankings of every unit, each within its own peer group.

    Output order: peer group, then verified rank (unranked last), then unit code — the same for any
    input order.
    """
    scores = list(scores)
    codes = [s.unit_code for s in scores]
    if len(set(codes)) != len(codes):
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        raise ValueError(f"Đơn vị xuất hiện hai lần: {', '.join(dupes)} / units listed twice")
    groups = {s.unit_code: (s.framework_id, s.unit_type) for s in scores}
    self_ranks = peer_group_ranks({s.unit_code: s.self_totals.dti for s in scores if s.self_totals}, groups)
    verified_ranks = peer_group_ranks(
        {s.unit_code: s.verified_totals.dti for s in scores if s.verified_totals}, groups
    )
    sizes: dict[tuple[str, str], int] = defaultdict(int)
    for group in groups.values():
        sizes[group] += 1
    rows = [
        RankedUnit(
            unit_code=s.unit_code,
            framework_id=s.framework_id,
            unit_type=s.unit_type,
            peers=sizes[(s.framework_id, s.unit_type)],
            self_points=s.self_totals.total if s.self_totals else None,
            self_dti=s.self_totals.dti if s.self_totals else None,
            self_rank=self_ranks.get(s.unit_code),
            verified_points=s.verified_totals.total if s.verified_totals else None,
            verified_dti=s.verified_totals.dti if s.verified_totals else None,
            verified_rank=verified_ranks.get(s.unit_code),
        )
        for s in scores
    ]
    big = len(rows) + 1
    rows.sort(key=lambda r: (r.framework_id, r.unit_type, r.verified_rank or big, r.self_rank or big,
                             code_key(r.unit_code)))
    return rows


@dataclass(frozen=True)
class LeafMove:
    code: str
    name_vi: str
    main_index: str
    self_points: Decimal
    verified_points: Decimal

    @property
    def delta(self) -> Decimal:
        """Points gained (positive) or lost (negative) by verification."""
        return self.verified_points - self.self_points


def rank_movers(
    fw: Framework,
    self_points: Mapping[str, Decimal | None],
    verified_points: Mapping[str, Decimal | None],
    unit_type: str | None = None,
) -> list[LeafMove]:
    """The indicators that moved a unit's score, biggest change first (losses before equal gains).

    Leaves whose points did not change are left out; a missing value counts as 0 points, as in
    aggregation. With `unit_type`, leaves that do not apply to it are ignored.
    """
    moves: list[LeafMove] = []
    for leaf in fw.leaves():
        if unit_type is not None and not fw.applies(leaf, unit_type):
            continue
        before = Decimal(self_points.get(leaf.code) or ZERO)
        after = Decimal(verified_points.get(leaf.code) or ZERO)
        if before != after:
            moves.append(LeafMove(leaf.code, leaf.name_vi, fw.main_index_of(leaf.code).code, before, after))
    moves.sort(key=lambda m: (-abs(m.delta), m.delta, code_key(m.code)))
    return moves
