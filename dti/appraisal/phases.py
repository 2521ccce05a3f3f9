"""Where each assessment period stands (self-assessment → submitted → appraisal → explanation → final →
published) and what each phase allows: decisions, evidence, self-assessment forms, the public page."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dti.appraisal.accounts import require_role
from dti.appraisal.errors import ReviewError
from dti.audit import seal, utc_now
from dti.framework.periods import Period
from dti.publication import PeriodFrozen, refuse_if_published
from dti.vocabulary import Phase, Role
from dti.warehouse.models import ClaimLedgerRow, PeriodPhase, User

PHASES = Phase.labels()
# The council decides on claims only while it appraises and while units explain.
DECISION_PHASES = (Phase.APPRAISAL, Phase.EXPLANATION)
# Evidence is frozen while the council appraises and once results are final.
EVIDENCE_LOCKED_PHASES = (Phase.APPRAISAL, Phase.FINAL, Phase.PUBLISHED)
# A unit may file its self-assessment form until appraisal starts, and again to explain.
FORM_PHASES = (Phase.SELF_ASSESSMENT, Phase.SUBMITTED, Phase.EXPLANATION)
# Sign-off belongs to the final result.
SIGN_OFF_PHASES = (Phase.FINAL, Phase.PUBLISHED)


def check_period(text: str) -> str:
    try:
        return str(Period.parse(str(text)))
    except ValueError as exc:
        raise ReviewError(
            f"Kỳ đánh giá '{text}' không hợp lệ, cần dạng 2025-R3",
            f"period '{text}' is invalid, expected YEAR-R<round> such as 2025-R3",
            404,
        ) from exc


def get_phase(session: Session, period: str) -> PeriodPhase:
    """The period's phase row; a period nobody has moved yet is in self-assessment."""
    row = session.get(PeriodPhase, period)
    if row is None:
        row = PeriodPhase(period=period, phase=Phase.SELF_ASSESSMENT, signed_off=False, changed_at=utc_now())
    return row


def set_phase(session: Session, period: str, phase: str, user: User, signed_off: bool = False) -> PeriodPhase:
    require_role(user, Role.ADMIN)
    period = check_period(period)
    if phase not in PHASES:
        raise ReviewError(
            f"Giai đoạn '{phase}' không hợp lệ, cần một trong {', '.join(PHASES)}",
            f"phase '{phase}' is invalid, expected one of {', '.join(PHASES)}",
        )
    if phase == Phase.PUBLISHED:
        raise ReviewError(
            "Công bố kết quả là một quyết định có số, ngày và người ký: dùng `dti period publish` hoặc nút Công bố",
            "publishing is a decision with a number, a date and a signer: use `dti period publish` or Publish",
        )
    try:
        refuse_if_published(session, period)
    except PeriodFrozen as exc:
        raise ReviewError(exc.message_vi, exc.message_en, 409) from exc
    row = session.get(PeriodPhase, period)
    if row is None:
        row = PeriodPhase(period=period)
        session.add(row)
    before = row.phase
    row.phase = phase
    # Moving back to an earlier phase withdraws the sign-off.
    row.signed_off = bool(signed_off) and phase in SIGN_OFF_PHASES
    row.changed_by = user.username
    row.changed_at = utc_now()
    session.flush()
    seal(session, "phase", f"phase:{period}:{row.changed_at:%Y%m%dT%H%M%S}:{phase}",
         {"period": period, "from": before, "to": phase, "signed_off": row.signed_off, "by": user.username})
    return row


def evidence_open(phase: str) -> bool:
    return phase not in EVIDENCE_LOCKED_PHASES


def forms_open(phase: str) -> bool:
    return phase in FORM_PHASES


def periods(session: Session) -> list[str]:
    """Every period with claims or a phase, the latest first."""
    found = set(session.execute(select(ClaimLedgerRow.period).distinct()).scalars())
    found |= set(session.execute(select(PeriodPhase.period)).scalars())
    return sorted(found, key=lambda p: Period.parse(p), reverse=True)


def phases_by_period(session: Session) -> dict[str, PeriodPhase]:
    return {p: get_phase(session, p) for p in periods(session)}
