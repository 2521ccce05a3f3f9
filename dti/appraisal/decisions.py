"""Council decisions on claims: deciding, the four-eyes approval of large changes, and the locking that
lets exactly one of two members deciding at the same moment win."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import wraps

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from dti import audit
from dti.appraisal.accounts import require_role
from dti.appraisal.claims import get_claim
from dti.appraisal.decision_history import pending_decision
from dti.appraisal.errors import ReviewError
from dti.appraisal.evidence import evidence_snapshot
from dti.appraisal.phases import DECISION_PHASES, get_phase
from dti.appraisal.scores import VALUE_SCALE, points_for, recompute_for_unit
from dti.publication import PeriodFrozen, first_decision_after, refuse_if_published
from dti.publication import latest as latest_publication
from dti.reconciliation import DecisionError, decided_value
from dti.settings import read
from dti.text import clean
from dti.vocabulary import Action, DecisionStatus, Phase, Reason, Role
from dti.warehouse.models import ClaimLedgerRow, Decision, ExplanationRequest, User

ACTIONS = Action.labels()
_CONFLICT_CODES = {1205, 1213, "40P01", "40001", "55P03"}  # MySQL lock timeout/deadlock; PostgreSQL


@dataclass
class DecisionResult:
    decision: Decision
    applied: bool
    points_before: Decimal | None
    points_after: Decimal | None


def four_eyes_points() -> Decimal:
    """Changes in verified points above this need a second council member (DTI_REVIEW_FOUR_EYES_POINTS)."""
    raw = read("DTI_REVIEW_FOUR_EYES_POINTS")
    try:
        return Decimal(raw)
    except InvalidOperation as exc:
        raise ReviewError(
            f"DTI_REVIEW_FOUR_EYES_POINTS='{raw}' không phải là số",
            f"DTI_REVIEW_FOUR_EYES_POINTS='{raw}' is not a number",
            500,
        ) from exc


MAX_VALUE = 10**12  # far beyond any rate, count or level; a value column holds 14 digits before the point


def parse_value(text: str | None) -> Decimal:
    raw = (clean(text) or "").replace(",", ".")
    percent = raw.endswith("%")
    try:
        value = Decimal(raw.rstrip("%").strip())
    except InvalidOperation as exc:
        raise ReviewError(
            f"Giá trị '{text}' không phải là số (ví dụ 0.855 hoặc 85,5%)",
            f"value '{text}' is not a number (e.g. 0.855 or 85.5%)",
        ) from exc
    if not value.is_finite() or abs(value) >= MAX_VALUE:
        raise ReviewError(f"Giá trị '{text}' không hợp lệ (cần một số hữu hạn, nhỏ hơn {MAX_VALUE:,})",
                          f"value '{text}' is invalid (a finite number below {MAX_VALUE:,} is expected)")
    return (value / 100 if percent else value).quantize(VALUE_SCALE)


def _is_conflict(exc: OperationalError) -> bool:
    orig = exc.orig
    code = getattr(orig, "pgcode", None) or (orig.args[0] if getattr(orig, "args", None) else None)
    return code in _CONFLICT_CODES or "database is locked" in str(orig)


def _one_writer(fn):
    """Turn a lost race at the database (deadlock, duplicate insert) into the same 409 as a stale form."""

    @wraps(fn)
    def inner(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (IntegrityError, OperationalError) as exc:
            if isinstance(exc, OperationalError) and not _is_conflict(exc):
                raise
            raise ReviewError(
                "Một thành viên khác vừa quyết định cùng lúc; quyết định của bạn CHƯA được lưu. "
                "Hãy tải lại trang và thử lại.",
                "another member decided at the same moment; your decision was NOT saved. Reload and try again.",
                409,
            ) from exc

    return inner


def _check_version(row: ClaimLedgerRow, expected_version: int | None) -> None:
    if expected_version is None or int(expected_version) != row.version:
        raise ReviewError(
            f"Chỉ tiêu {row.indicator_code} của {row.unit_code} vừa được người khác cập nhật "
            f"(phiên bản {row.version}, trang của bạn là phiên bản {expected_version}). "
            "Quyết định của bạn CHƯA được lưu; hãy tải lại trang để xem thay đổi rồi quyết định lại.",
            f"claim {row.indicator_code} of {row.unit_code} was just changed by someone else "
            f"(version {row.version}, your page has version {expected_version}). Your decision was NOT "
            "saved; reload the page to see the change and decide again.",
            409,
        )


def _lock_and_refresh(session: Session, row: ClaimLedgerRow) -> None:
    """Wait for any other decision in progress, then judge the claim as it is now, not as first read."""
    audit.lock_chain(session)
    session.refresh(row)


def _flush_row(session: Session, row: ClaimLedgerRow) -> None:
    # Read before flushing: after a failed flush the row can no longer be read.
    code, unit = row.indicator_code, row.unit_code
    try:
        session.flush()
    except StaleDataError as exc:
        raise ReviewError(
            f"Chỉ tiêu {code} của {unit} vừa được người khác cập nhật cùng lúc. "
            "Quyết định của bạn CHƯA được lưu; hãy tải lại trang.",
            f"claim {code} of {unit} was changed by someone else at the same time. "
            "Your decision was NOT saved; reload the page.",
            409,
        ) from exc


def _hold(session: Session, row: ClaimLedgerRow) -> None:
    """Bump the row's version without changing a value, so other open forms on the claim go stale."""
    flag_modified(row, "decision_id")
    _flush_row(session, row)


def _apply(session: Session, row: ClaimLedgerRow, decision: Decision, value, points) -> None:
    row.verified_value = value
    row.verified_points = points
    row.decision_id = decision.id
    # The same machine-readable reason code the pipeline adds when it re-applies a decision.
    codes = [c for c in (row.reason or "").split(";") if c]
    if Reason.COUNCIL_DECISION not in codes:
        row.reason = ";".join([*codes, Reason.COUNCIL_DECISION])
        row.reason_vi = "; ".join(t for t in (row.reason_vi, Reason.COUNCIL_DECISION.vi) if t)
    _flush_row(session, row)
    recompute_for_unit(session, row.period, row.unit_code, row.framework_id)


def _new_value(row: ClaimLedgerRow, action: str, value: Decimal | None) -> Decimal | None:
    try:
        return decided_value(row, action, value)
    except DecisionError as exc:
        raise ReviewError(exc.message_vi, exc.message_en) from exc


def _append(session: Session, user: User, row: ClaimLedgerRow, snapshot: str, **fields) -> Decision:
    """One decision on the claim appended to the audit chain."""
    return audit.append(
        session,
        unit_code=row.unit_code,
        period=row.period,
        indicator_code=row.indicator_code,
        decided_by=user.username,
        evidence_snapshot=snapshot,
        **fields,
    )


def _check_decision(
    session: Session, user: User, row: ClaimLedgerRow, action: str, reason: str | None
) -> str:
    """The cleaned reason, once a council member may take this decision on the claim now."""
    require_role(user, Role.COUNCIL)
    try:  # a published period names its decision and how a correction is made
        refuse_if_published(session, row.period)
    except PeriodFrozen as exc:
        raise ReviewError(exc.message_vi, exc.message_en, 409) from exc
    phase = get_phase(session, row.period).phase
    if phase not in DECISION_PHASES:
        raise ReviewError(
            f"Kỳ {row.period} đang ở giai đoạn '{Phase.label(phase)}': chỉ quyết định được trong "
            "giai đoạn thẩm định hoặc giải trình",
            f"period {row.period} is in phase '{phase}': decisions are only taken during appraisal or "
            "explanation",
            409,
        )
    reason = clean(reason)
    if not reason:
        raise ReviewError("Cần ghi lý do cho quyết định", "a reason is required for every decision")
    if action not in ACTIONS:
        raise ReviewError(
            f"Loại quyết định '{action}' không hợp lệ, cần một trong {', '.join(ACTIONS)}",
            f"action '{action}' is invalid, expected one of {', '.join(ACTIONS)}",
        )
    return reason


def _request_evidence(
    session: Session, user: User, row: ClaimLedgerRow, reason: str, message: str | None, snapshot: str
) -> DecisionResult:
    """Ask the unit for more evidence: a decision that changes no value, and an explanation request."""
    before = row.verified_points
    decision = _append(
        session,
        user,
        row,
        snapshot,
        action=Action.REQUEST_EVIDENCE,
        value=None,
        reason=reason,
        status=DecisionStatus.EFFECTIVE,
    )
    session.add(
        ExplanationRequest(
            unit_code=row.unit_code,
            period=row.period,
            indicator_code=row.indicator_code,
            requested_by=user.username,
            requested_at=decision.decided_at,
            message=clean(message) or reason,
        )
    )
    row.decision_id = decision.id
    _flush_row(session, row)
    return DecisionResult(decision, True, before, before)


@_one_writer
def decide(
    session: Session,
    user: User,
    row: ClaimLedgerRow,
    action: str,
    reason: str,
    expected_version: int | None,
    value: Decimal | None = None,
    message: str | None = None,
) -> DecisionResult:
    """Record one council decision on a claim and, unless it needs a second member, apply it."""
    reason = _check_decision(session, user, row, action, reason)
    _lock_and_refresh(session, row)
    _check_version(row, expected_version)
    waiting = pending_decision(session, row)
    if waiting is not None:
        raise ReviewError(
            f"Quyết định #{waiting.id} về chỉ tiêu này đang chờ thành viên thứ hai phê duyệt; "
            "hãy phê duyệt hoặc từ chối nó trước",
            f"decision #{waiting.id} on this claim is waiting for a second member; approve or reject it first",
            409,
        )
    snapshot = evidence_snapshot(session, row, store=True)
    if action == Action.REQUEST_EVIDENCE:
        return _request_evidence(session, user, row, reason, message, snapshot)
    before = row.verified_points
    new_value = _new_value(row, action, value)
    new_points = points_for(session, row, new_value)
    # Four eyes on the claim, not the step: what counts is the change since the council first touched it.
    change = abs((new_points or Decimal(0)) - (_baseline(session, row, before) or Decimal(0)))
    needs_second = change > four_eyes_points()
    decision = _append(
        session,
        user,
        row,
        snapshot,
        action=action,
        value=new_value,
        reason=reason,
        status=DecisionStatus.PENDING_APPROVAL if needs_second else DecisionStatus.EFFECTIVE,
        points_before=before,
        points_after=None if needs_second else new_points,
    )
    if needs_second:
        _hold(session, row)
        return DecisionResult(decision, False, before, before)
    _apply(session, row, decision, new_value, new_points)
    return DecisionResult(decision, True, before, new_points)


def _baseline(session: Session, row: ClaimLedgerRow, now: Decimal | None) -> Decimal | None:
    """The claim's verified points before the council's first decision on it — since the period's latest
    publication, for a reopened period. `now` when the council has not decided on it yet."""
    query = select(Decision).where(
        Decision.period == row.period, Decision.unit_code == row.unit_code,
        Decision.indicator_code == row.indicator_code, Decision.action != Action.REQUEST_EVIDENCE,
        Decision.approves_id.is_(None)).order_by(Decision.id).limit(1)
    published = latest_publication(session, row.period)
    if published is not None:
        after = first_decision_after(session, published)
        if after is None:
            return now
        query = query.where(Decision.id >= after)
    first = session.scalars(query).first()
    return first.points_before if first is not None and first.points_before is not None else now


def _pending_for_review(session: Session, user: User, decision_id: int) -> tuple[Decision, ClaimLedgerRow]:
    """The pending decision and its claim, once `user` may approve or reject it now."""
    require_role(user, Role.COUNCIL)
    pending = session.get(Decision, decision_id)
    if pending is None or pending.status != DecisionStatus.PENDING_APPROVAL:
        raise ReviewError(
            f"Không có quyết định #{decision_id} đang chờ phê duyệt",
            f"there is no decision #{decision_id} waiting for approval",
            404,
        )
    row = get_claim(session, pending.period, pending.unit_code, pending.indicator_code)
    if pending_decision(session, row) is not pending:
        raise ReviewError(
            f"Quyết định #{decision_id} đã được phê duyệt hoặc từ chối",
            f"decision #{decision_id} was already approved or rejected",
            409,
        )
    if pending.decided_by == user.username:
        raise ReviewError(
            "Nguyên tắc bốn mắt: người phê duyệt phải là một thành viên Hội đồng khác người đề xuất",
            "four-eyes rule: the approver must be a different council member from the proposer",
            403,
        )
    phase = get_phase(session, row.period).phase
    if phase not in DECISION_PHASES:
        raise ReviewError(
            f"Kỳ {row.period} đang ở giai đoạn '{Phase.label(phase)}', không phê duyệt được",
            f"period {row.period} is in phase '{phase}', approvals are closed",
            409,
        )
    return pending, row


def _check_unchanged(session: Session, row: ClaimLedgerRow, pending: Decision, approve: bool) -> str:
    """The claim's evidence snapshot, once nobody answered the pending decision and its evidence held."""
    if pending_decision(session, row) is not pending:
        raise ReviewError(
            f"Quyết định #{pending.id} vừa được người khác phê duyệt hoặc từ chối",
            f"decision #{pending.id} was just approved or rejected by someone else",
            409,
        )
    snapshot = evidence_snapshot(session, row, store=True)
    if approve and snapshot != pending.evidence_snapshot:
        raise ReviewError(
            f"Minh chứng của chỉ tiêu đã thay đổi sau khi quyết định #{pending.id} được đề xuất; "
            "hãy từ chối và quyết định lại trên minh chứng mới",
            f"the claim's evidence changed after decision #{pending.id} was proposed; reject it and "
            "decide again on the new evidence",
            409,
        )
    return snapshot


@_one_writer
def review_pending(
    session: Session, user: User, decision_id: int, approve: bool, reason: str, expected_version: int | None
) -> DecisionResult:
    """A second council member approves (and so applies) or rejects a pending decision."""
    pending, row = _pending_for_review(session, user, decision_id)
    reason = clean(reason)
    if not reason:
        raise ReviewError("Cần ghi lý do phê duyệt/từ chối", "a reason is required to approve or reject")
    _lock_and_refresh(session, row)
    _check_version(row, expected_version)
    snapshot = _check_unchanged(session, row, pending, approve)
    decision = _append(
        session,
        user,
        row,
        snapshot,
        action=pending.action,
        value=pending.value,
        reason=reason,
        status=DecisionStatus.APPROVED if approve else DecisionStatus.REJECTED,
        approves_id=pending.id,
        points_before=row.verified_points,
        points_after=points_for(session, row, pending.value) if approve else None,
    )
    before = row.verified_points
    if not approve:
        _hold(session, row)
        return DecisionResult(decision, False, before, before)
    points = points_for(session, row, pending.value)
    _apply(session, row, decision, pending.value, points)
    return DecisionResult(decision, True, before, points)
