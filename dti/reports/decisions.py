"""Where each claim stands with the council, for the reports: the latest decision in the log (read from the
append-only `decisions` table), who made it, when, why, and whether it closes the claim."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dti.vocabulary import Action, DecisionStatus
from dti.warehouse.models import Decision

# Decisions that settle a claim's verified value; asking for evidence leaves the claim open.
SETTLING = (Action.ACCEPT_OBJECTIVE, Action.KEEP_CLAIM, Action.SET_VALUE)


@dataclass(frozen=True)
class ClaimDecision:
    decision_id: int
    action: str
    status: str
    decided_by: str
    decided_at: dt.datetime
    reason: str
    settled: bool  # the claim is out of the open queue

    @property
    def label(self) -> str:
        """What was decided, in Vietnamese, with the approval state when it is not simply in effect."""
        text = Action.label(self.action)
        if self.status in (DecisionStatus.PENDING_APPROVAL, DecisionStatus.REJECTED):
            text += f" — {DecisionStatus.label(self.status).lower()}"
        return text


def _describe(latest: Decision, proposal: Decision | None) -> ClaimDecision:
    by, reason = latest.decided_by, latest.reason
    if proposal is not None:  # a second member's answer to a proposal: both names and both reasons
        by = f"{proposal.decided_by}; {DecisionStatus.label(latest.status).lower()}: {latest.decided_by}"
        reason = f"{proposal.reason} — {latest.reason}"
    settled = latest.action in SETTLING and latest.status in (
        DecisionStatus.EFFECTIVE,
        DecisionStatus.APPROVED,
    )
    return ClaimDecision(latest.id, latest.action, latest.status, by, latest.decided_at, reason, settled)


def latest_decisions(session: Session, period: str, before: int | None = None
                     ) -> dict[tuple[str, str], ClaimDecision]:
    """(unit, indicator) → the claim's latest decision, for every claim the council touched in `period`;
    with `before`, only decisions whose id is below it (those a publication saw: later ones belong to a
    correction)."""
    query = sa.select(Decision).where(Decision.period == period).order_by(Decision.id)
    if before is not None:
        query = query.where(Decision.id < before)
    rows = list(session.scalars(query))
    by_id = {d.id: d for d in rows}
    latest: dict[tuple[str, str], Decision] = {}
    for d in rows:
        latest[(d.unit_code, d.indicator_code)] = d
    return {
        key: _describe(d, by_id.get(d.approves_id) if d.approves_id else None) for key, d in latest.items()
    }
