"""A period's place in the warehouse's history: the period before it, and each unit's change of verified score
and rank since then (dti.scoring.changes) read from the stored ledgers and scores."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dti.framework.periods import Period
from dti.scoring.changes import UnitChange, explain_changes
from dti.warehouse.models import ClaimLedgerRow, UnitScore


def _parsed(text: str) -> Period | None:
    try:
        return Period.parse(text)
    except ValueError:
        return None


def previous_period(session: Session, period: str) -> str | None:
    """The latest period before `period` that has a claim ledger in the warehouse, or None."""
    here = _parsed(period)
    if here is None:
        return None
    stored = session.scalars(sa.select(ClaimLedgerRow.period).distinct())
    earlier = [p for p in map(_parsed, stored) if p is not None and p < here]
    return str(max(earlier)) if earlier else None


def _rows(session: Session, model, period: str, unit_code: str | None) -> list:
    stmt = sa.select(model).where(model.period == period)
    if unit_code is not None:
        stmt = stmt.where(model.unit_code == unit_code)
    return list(session.scalars(stmt))


def period_changes(session: Session, period: str, unit_code: str | None = None) -> dict[str, UnitChange]:
    """{unit: its change since the previous period} (one unit's with `unit_code`); a unit new in this period
    has no previous side."""
    before = previous_period(session, period)
    return explain_changes(
        _rows(session, UnitScore, period, unit_code),
        _rows(session, ClaimLedgerRow, period, unit_code),
        _rows(session, UnitScore, before, unit_code) if before else (),
        _rows(session, ClaimLedgerRow, before, unit_code) if before else (),
    )


def previous_claim(session: Session, row: ClaimLedgerRow) -> ClaimLedgerRow | None:
    """The same unit's claim on the same indicator in the previous period, or None."""
    before = previous_period(session, row.period)
    return session.get(ClaimLedgerRow, (row.unit_code, before, row.indicator_code)) if before else None
