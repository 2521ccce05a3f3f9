"""A claim's decisions so far: its history, the decision still waiting for a second council member,
and what became of each pending one."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dti.vocabulary import DecisionStatus
from dti.warehouse.models import ClaimLedgerRow, Decision

APPROVED_LATER = "approved_later"
REJECTED_LATER = "rejected_later"
# A pending decision's state once a second member answered, beside the stored statuses.
DECISION_STATES = {
    APPROVED_LATER: "Đã được phê duyệt",
    REJECTED_LATER: "Đã bị từ chối",
    **DecisionStatus.labels(),
}


def history(session: Session, row: ClaimLedgerRow) -> list[Decision]:
    return list(
        session.execute(
            select(Decision)
            .where(
                Decision.unit_code == row.unit_code,
                Decision.period == row.period,
                Decision.indicator_code == row.indicator_code,
            )
            .order_by(Decision.id)
        ).scalars()
    )


def pending_decision(session: Session, row: ClaimLedgerRow) -> Decision | None:
    """The claim's decision still waiting for a second council member, if any."""
    candidates = session.execute(
        select(Decision)
        .where(
            Decision.unit_code == row.unit_code,
            Decision.period == row.period,
            Decision.indicator_code == row.indicator_code,
            Decision.status == DecisionStatus.PENDING_APPROVAL,
        )
        .order_by(Decision.id)
    ).scalars()
    for candidate in candidates:
        resolved = session.execute(select(Decision.id).where(Decision.approves_id == candidate.id)).first()
        if resolved is None:
            return candidate
    return None


def pending_by_claim(session: Session, period: str) -> dict[tuple[str, str], int]:
    """(unit, indicator) → id of the decision waiting for a second member, for a whole period at once."""
    resolved = set(
        session.execute(
            select(Decision.approves_id).where(Decision.period == period, Decision.approves_id.is_not(None))
        ).scalars()
    )
    out: dict[tuple[str, str], int] = {}
    for d_id, unit, code in session.execute(
        select(Decision.id, Decision.unit_code, Decision.indicator_code)
        .where(Decision.period == period, Decision.status == DecisionStatus.PENDING_APPROVAL)
        .order_by(Decision.id)
    ):
        if d_id not in resolved:
            out.setdefault((unit, code), d_id)
    return out


def decision_state(session: Session, decision: Decision) -> str:
    """A pending decision's current state, read from the approvals appended after it."""
    if decision.status != DecisionStatus.PENDING_APPROVAL:
        return decision.status
    follow = session.execute(
        select(Decision.status).where(Decision.approves_id == decision.id).order_by(Decision.id).limit(1)
    ).scalar()
    later = {DecisionStatus.APPROVED: APPROVED_LATER, DecisionStatus.REJECTED: REJECTED_LATER}
    return later.get(follow, DecisionStatus.PENDING_APPROVAL)


def decision_states(session: Session, decisions: list[Decision]) -> dict[int, str]:
    """{decision id: state} for a claim's history."""
    return {d.id: decision_state(session, d) for d in decisions}


def decision_count(session: Session) -> int:
    """How many decisions the log holds."""
    return session.execute(select(func.count()).select_from(Decision)).scalar_one()
