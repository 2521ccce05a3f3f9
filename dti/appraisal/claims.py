"""The claims the council reviews: finding one (and who may), the queue, a unit's claims, the units
themselves, and the framework leaf behind each claim."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from dti.appraisal.accounts import can_see_unit
from dti.appraisal.errors import ReviewError, forbidden
from dti.appraisal.phases import check_period
from dti.appraisal.risk import Risk
from dti.framework.loader import load_all, load_framework
from dti.framework.model import Framework, Leaf
from dti.settings import get_settings
from dti.text import code_key
from dti.vocabulary import QUEUE_OUTCOMES, Outcome, Role
from dti.warehouse.models import ClaimLedgerRow, Unit, User

OUTCOMES = Outcome.labels()


@lru_cache(maxsize=16)
def _framework_cached(framework_id: str, directory: str, _stamp: float, year: int | None) -> Framework:
    if year is None:
        return load_framework(framework_id, Path(directory))
    # the version in force for the period's year (versions of one framework coexist), else the newest
    frameworks = load_all(Path(directory))
    return frameworks.pick(framework_id, year) or load_framework(framework_id, Path(directory))


def framework(framework_id: str, period: str | None = None) -> Framework:
    """The framework (the version in force for `period` when given), cached per file state so an edited
    YAML is picked up."""
    directory = get_settings().frameworks_dir
    stamp = max((p.stat().st_mtime for p in directory.glob("*.y*ml")), default=0.0)
    year = int(period.split("-")[0]) if period and period[:4].isdigit() else None
    return _framework_cached(framework_id, str(directory), stamp, year)


def leaf_of(row: ClaimLedgerRow) -> Leaf | None:
    """The framework leaf a claim is about, or None when the framework no longer has it."""
    fw = framework(row.framework_id, row.period)
    try:
        return fw.leaf(row.indicator_code)
    except KeyError:
        return None


def get_claim(session: Session, period: str, unit_code: str, indicator_code: str) -> ClaimLedgerRow:
    row = session.get(ClaimLedgerRow, (unit_code, period, indicator_code))
    if row is None:
        raise ReviewError(
            f"Không có chỉ tiêu {indicator_code} của đơn vị {unit_code} trong kỳ {period}",
            f"there is no claim {indicator_code} of unit {unit_code} in period {period}",
            404,
        )
    return row


def claim_for(
    session: Session, user: User, period: str, unit_code: str, indicator_code: str
) -> ClaimLedgerRow:
    """The claim as `user` may see it."""
    period = check_period(period)
    # Authorization before existence, so a submitter learns nothing about other units' claims.
    if not can_see_unit(user, unit_code):
        raise forbidden()
    return get_claim(session, period, unit_code, indicator_code)


def queue_outcomes(outcome: str | None) -> tuple[str, ...]:
    """The outcomes a queue filter asks for: one named outcome, or all those the council decides on."""
    if not outcome:
        return QUEUE_OUTCOMES
    if outcome not in OUTCOMES:
        raise ReviewError(f"Kết quả đối soát '{outcome}' không hợp lệ", f"unknown outcome '{outcome}'", 400)
    return (outcome,)


def queue(
    session: Session,
    period: str,
    user: User,
    outcomes: tuple[str, ...] = QUEUE_OUTCOMES,
    risks: dict[tuple[str, str], Risk] | None = None,
) -> list[ClaimLedgerRow]:
    """Claims that need the council; a submitter sees only its unit. With `risks` (dti.appraisal.risk), highest
    priority (points at stake × risk) first; without, largest points at stake first. Claims without a risk
    (no self-report) come after, by points at stake."""
    stmt = select(ClaimLedgerRow).where(ClaimLedgerRow.period == period, ClaimLedgerRow.outcome.in_(outcomes))
    if user.role == Role.SUBMITTER:
        stmt = stmt.where(ClaimLedgerRow.unit_code == (user.unit_code or ""))
    rows = list(session.execute(stmt).scalars())
    risks = risks or {}

    def order(r: ClaimLedgerRow):
        risk = risks.get((r.unit_code, r.indicator_code))
        stake = r.points_at_stake if r.points_at_stake is not None else Decimal("-1")
        first = (0, -risk.priority, -risk.stake) if risk is not None else (1, 0.0, -stake)
        return (*first, -stake, r.unit_code, code_key(r.indicator_code))

    rows.sort(key=order)
    return rows


def unit_claims(session: Session, unit_code: str, period: str) -> list[ClaimLedgerRow]:
    """Every claim of one unit in one period, in indicator-code order."""
    rows = session.execute(
        select(ClaimLedgerRow).where(ClaimLedgerRow.unit_code == unit_code, ClaimLedgerRow.period == period)
    ).scalars()
    return sorted(rows, key=lambda r: code_key(r.indicator_code))


def find_unit(session: Session, unit_code: str) -> Unit | None:
    return session.get(Unit, unit_code)


def get_unit(session: Session, unit_code: str) -> Unit:
    unit = session.get(Unit, unit_code)
    if unit is None:
        raise ReviewError(f"Không có đơn vị mã '{unit_code}'", f"there is no unit '{unit_code}'", 404)
    return unit


def unit_names(session: Session) -> dict[str, str]:
    """{unit code: Vietnamese name} of every unit."""
    return dict(session.execute(select(Unit.code, Unit.name_vi)).all())


def unit_choices(session: Session) -> list[tuple[str, str]]:
    """(code, Vietnamese name) of every unit in code order, for a form's unit list."""
    return [
        (code, name) for code, name in session.execute(select(Unit.code, Unit.name_vi).order_by(Unit.code))
    ]
