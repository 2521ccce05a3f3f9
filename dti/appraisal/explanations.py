"""Explanation requests: the council or DTI staff ask a unit to explain a claim; the unit answers,
optionally with an evidence file, while its period still takes evidence."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dti.appraisal.accounts import EXPLANATION_ROLES, can_see_unit, require_current_unit, require_role
from dti.appraisal.errors import ReviewError, forbidden
from dti.appraisal.evidence import store_evidence
from dti.appraisal.phases import evidence_open, get_phase
from dti.audit import utc_now
from dti.settings import Settings
from dti.text import clean
from dti.vocabulary import Phase, Role
from dti.warehouse.models import ClaimLedgerRow, ExplanationRequest, User


def request_explanation(
    session: Session, user: User, row: ClaimLedgerRow, message: str
) -> ExplanationRequest:
    require_role(user, *EXPLANATION_ROLES)
    message = clean(message)
    if not message:
        raise ReviewError("Cần nội dung yêu cầu giải trình", "the explanation request needs a message")
    req = ExplanationRequest(
        unit_code=row.unit_code,
        period=row.period,
        indicator_code=row.indicator_code,
        requested_by=user.username,
        requested_at=utc_now(),
        message=message,
    )
    session.add(req)
    session.flush()
    return req


def answer_explanation(
    session: Session, user: User, request_id: int, answer: str, evidence_sha256: str | None = None
) -> ExplanationRequest:
    req = session.get(ExplanationRequest, request_id)
    if req is None:
        raise ReviewError(
            f"Không có yêu cầu giải trình #{request_id}",
            f"there is no explanation request #{request_id}",
            404,
        )
    require_role(user, Role.SUBMITTER)
    if not can_see_unit(user, req.unit_code):
        raise forbidden()
    require_current_unit(session, user)
    phase = get_phase(session, req.period).phase
    if not evidence_open(phase):
        raise ReviewError(
            f"Kỳ {req.period} đang ở giai đoạn '{Phase.label(phase)}': không nhận giải trình",
            f"period {req.period} is in phase '{phase}': explanations are closed",
            409,
        )
    answer = clean(answer)
    if not answer:
        raise ReviewError("Cần nội dung giải trình", "the explanation needs some text")
    req.answer = answer
    req.answered_by = user.username
    req.answered_at = utc_now()
    if evidence_sha256:
        req.evidence_sha256 = evidence_sha256
    session.flush()
    return req


def answer_with_file(
    session: Session,
    user: User,
    request_id: int,
    answer: str,
    file: tuple[bytes, str] | None,
    settings: Settings | None = None,
) -> ExplanationRequest:
    """A unit's answer with its evidence file (`(data, filename)`), filed for the request's claim."""
    req = session.get(ExplanationRequest, request_id)
    # Another unit's request looks the same as a missing one: nobody learns what others were asked.
    if req is None or not can_see_unit(user, req.unit_code):
        raise forbidden()
    sha = None
    if file is not None:
        data, filename = file
        evidence = store_evidence(
            session, user, data, filename, req.unit_code, req.period, req.indicator_code, settings=settings
        )
        sha = evidence.sha256
    return answer_explanation(session, user, request_id, answer, sha)


def explanation_requests(
    session: Session, unit_code: str, period: str, indicator_code: str | None = None
) -> list[ExplanationRequest]:
    """A unit's explanation requests in a period (of one claim, given its indicator), oldest first."""
    stmt = select(ExplanationRequest).where(
        ExplanationRequest.unit_code == unit_code, ExplanationRequest.period == period
    )
    if indicator_code is not None:
        stmt = stmt.where(ExplanationRequest.indicator_code == indicator_code)
    return list(session.execute(stmt.order_by(ExplanationRequest.id)).scalars())
