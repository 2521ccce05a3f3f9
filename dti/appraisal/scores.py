"""Points of a decided value and the verified totals, DTI values and ranks recomputed after a decision,
with the pipeline's own scoring rules so a re-run reproduces them."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dti.appraisal.claims import framework
from dti.appraisal.errors import ReviewError
from dti.scoring import ScoringError, competition_ranks, score_peer_group
from dti.scoring.unit_scores import score_units
from dti.warehouse.models import ClaimLedgerRow, Unit, UnitScore

VALUE_SCALE = Decimal("0.000001")
POINTS_SCALE = Decimal("1e-12")  # the POINTS column keeps 12 decimals (dti.warehouse.models.base)


def _peer_values(session: Session, row: ClaimLedgerRow) -> dict[str, Decimal | None]:
    """The verified values of the same indicator at the other units of the claim's framework."""
    return dict(
        session.execute(
            select(ClaimLedgerRow.unit_code, ClaimLedgerRow.verified_value).where(
                ClaimLedgerRow.period == row.period,
                ClaimLedgerRow.framework_id == row.framework_id,
                ClaimLedgerRow.indicator_code == row.indicator_code,
                ClaimLedgerRow.unit_code != row.unit_code,
            )
        ).all()
    )


def points_for(session: Session, row: ClaimLedgerRow, value: Decimal | None) -> Decimal | None:
    """The points `value` earns on the claim's leaf (against the peers' best for relative_to_best)."""
    leaf = framework(row.framework_id, row.period).leaf(row.indicator_code)
    values = {row.unit_code: value}
    if leaf.method is not None and leaf.method.kind == "relative_to_best":
        values = {**_peer_values(session, row), row.unit_code: value}
    try:
        points = score_peer_group(leaf, values)[row.unit_code]
    except ScoringError as exc:
        raise ReviewError(str(exc), str(exc)) from exc
    return points.quantize(POINTS_SCALE) if points is not None else None


def recompute_for_unit(session: Session, period: str, unit_code: str, framework_id: str) -> None:
    score = session.get(UnitScore, (unit_code, period))
    if score is not None:
        unit_type = score.unit_type
    else:
        unit = session.get(Unit, unit_code)
        if unit is None:
            return
        unit_type = unit.unit_type
    recompute_scores(session, period, framework_id, unit_type)


def _with_verified(stored, scored: dict[str, dict[str, str]]):
    """The stored per-main-index entries with their verified points replaced by the new ones."""
    if not isinstance(stored, dict):
        return stored
    updated = {}
    for main, entry in sorted(stored.items()):
        if isinstance(entry, dict) and main in scored:
            entry = {**entry, "verified": scored[main]["verified"]}
        updated[main] = entry
    return updated


def recompute_scores(session: Session, period: str, framework_id: str, unit_type: str) -> list[UnitScore]:
    """Verified totals, DTI and ranks of every unit in one peer group (framework × unit type)."""
    fw = framework(framework_id, period)
    scores = list(
        session.execute(
            select(UnitScore).where(
                UnitScore.period == period,
                UnitScore.framework_id == framework_id,
                UnitScore.unit_type == unit_type,
            )
        ).scalars()
    )
    if not scores:
        return []
    codes = [s.unit_code for s in scores]
    claims = session.execute(
        select(ClaimLedgerRow).where(
            ClaimLedgerRow.period == period,
            ClaimLedgerRow.framework_id == framework_id,
            ClaimLedgerRow.unit_code.in_(codes),
        )
    ).scalars()
    try:
        # The pipeline's scorecard, so a re-run reproduces these numbers.
        scored = {
            r.unit_code: r for r in score_units(period, [(c, unit_type, fw) for c in codes], list(claims))
        }
    except ScoringError as exc:
        raise ReviewError(str(exc), str(exc), 500) from exc
    dti_by_unit: dict[str, Decimal] = {}
    for score in scores:
        card = scored[score.unit_code]
        score.verified_total = card.verified_total.quantize(POINTS_SCALE)
        score.verified_dti = card.verified_dti.quantize(VALUE_SCALE)
        score.ranking_dti = card.ranking_dti.quantize(VALUE_SCALE)
        dti_by_unit[score.unit_code] = score.ranking_dti
        score.measured_points, score.evidence_points, score.provisional_points = (
            card.measured_points, card.evidence_points, card.provisional_points)
        score.coverage, score.rank_on_provisional = card.coverage.quantize(VALUE_SCALE), card.rank_on_provisional
        score.movers = card.movers
        score.verified_grade = card.verified_grade
        score.by_main_index = _with_verified(score.by_main_index, card.by_main_index)
    # Ranked on the stored ranking values (the verified DTI unless the framework's policy discounts or
    # excludes provisional points), so the ranks agree with what the pages show.
    ranks = competition_ranks(dti_by_unit)
    for score in scores:
        score.verified_rank = ranks[score.unit_code]
        score.rank_change = score.self_rank - score.verified_rank
    session.flush()
    return scores


def unit_score(session: Session, unit_code: str, period: str) -> UnitScore | None:
    return session.get(UnitScore, (unit_code, period))


def rankings(session: Session, period: str) -> list[tuple[UnitScore, Unit | None]]:
    rows = session.execute(
        select(UnitScore, Unit)
        .outerjoin(Unit, Unit.code == UnitScore.unit_code)
        .where(UnitScore.period == period)
    ).all()
    return sorted(
        [(s, u) for s, u in rows],
        key=lambda su: (su[0].framework_id, su[0].unit_type, su[0].verified_rank, su[0].unit_code),
    )
