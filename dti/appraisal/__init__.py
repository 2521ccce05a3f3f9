"""Council review rules as plain functions: accounts, phases, decisions on claims, four-eyes approval,
score recomputation and evidence files. The web app, the CLI and the pipeline all call these.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache, wraps
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from dti import audit
from dti.framework.loader import load_framework
from dti.framework.model import Framework
from dti.framework.periods import Period
from dti.reconciliation import DecisionError, decided_value
from dti.scoring import ScoringError, aggregate_unit, competition_ranks, score_leaf
from dti.settings import Settings, get_settings
from dti.text import clean, code_key, nfc
from dti.vocabulary import QUEUE_OUTCOMES, Action, DecisionStatus, Outcome, Phase, Role
from dti.warehouse.models import (
    BlobStore,
    ClaimLedgerRow,
    Decision,
    EvidenceFile,
    ExplanationRequest,
    PeriodPhase,
    Unit,
    UnitScore,
    User,
)

ROLES = Role.labels()
PHASES = Phase.labels()
ACTIONS = Action.labels()
STATUSES = DecisionStatus.labels()
OUTCOMES = Outcome.labels()
DECISION_PHASES = ("appraisal", "explanation")
# Evidence is frozen while the council appraises and once results are final.
EVIDENCE_LOCKED_PHASES = ("appraisal", "final", "published")
MIN_PASSWORD = 10
VALUE_SCALE = Decimal("0.000001")
POINTS_SCALE = Decimal("0.0001")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_hasher = PasswordHasher()
# Checked against when the user does not exist, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("không-có-người-dùng-này")


class ReviewError(Exception):
    """A refusal a person can act on: Vietnamese first, English alongside, and an HTTP status."""

    def __init__(self, message_vi: str, message_en: str, status: int = 400):
        super().__init__(f"{message_vi} / {message_en}")
        self.message_vi = message_vi
        self.message_en = message_en
        self.status = status


def forbidden() -> ReviewError:
    return ReviewError(
        "Bạn không có quyền truy cập nội dung này", "you are not allowed to access this", status=403
    )


def utc_now() -> dt.datetime:
    return audit.utc_now()


def four_eyes_points() -> Decimal:
    """Changes in verified points above this need a second council member (DTI_REVIEW_FOUR_EYES_POINTS)."""
    raw = os.environ.get("DTI_REVIEW_FOUR_EYES_POINTS", "10")
    try:
        return Decimal(raw)
    except InvalidOperation as exc:
        raise ReviewError(
            f"DTI_REVIEW_FOUR_EYES_POINTS='{raw}' không phải là số",
            f"DTI_REVIEW_FOUR_EYES_POINTS='{raw}' is not a number",
            500,
        ) from exc


def check_period(text: str) -> str:
    try:
        return str(Period.parse(str(text)))
    except ValueError as exc:
        raise ReviewError(
            f"Kỳ đánh giá '{text}' không hợp lệ, cần dạng 2025-R3",
            f"period '{text}' is invalid, expected YEAR-R<round> such as 2025-R3",
            404,
        ) from exc


# --- accounts ------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(nfc(password))


def create_user(
    session: Session,
    username: str,
    role: str,
    password: str,
    unit_code: str | None = None,
    full_name: str | None = None,
) -> User:
    username = (clean(username) or "").lower()
    if not _USERNAME.match(username):
        raise ReviewError(
            f"Tên đăng nhập '{username}' không hợp lệ: 2–64 ký tự a-z, 0-9, '.', '_', '-'",
            f"username '{username}' is invalid: 2–64 characters a-z, 0-9, '.', '_', '-'",
        )
    if role not in ROLES:
        raise ReviewError(
            f"Vai trò '{role}' không hợp lệ, cần một trong {', '.join(ROLES)}",
            f"role '{role}' is invalid, expected one of {', '.join(ROLES)}",
        )
    unit_code = clean(unit_code)
    if role == "submitter":
        if not unit_code:
            raise ReviewError(
                "Tài khoản đơn vị cần mã đơn vị (--unit)", "a submitter account needs a unit code (--unit)"
            )
        if session.get(Unit, unit_code) is None:
            raise ReviewError(
                f"Không có đơn vị mã '{unit_code}' trong kho dữ liệu",
                f"there is no unit with code '{unit_code}' in the warehouse",
            )
    elif unit_code:
        raise ReviewError(
            "Chỉ tài khoản đơn vị (submitter) mới gắn với một đơn vị",
            "only submitter accounts belong to a unit",
        )
    if len(password or "") < MIN_PASSWORD:
        raise ReviewError(
            f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự",
            f"the password needs at least {MIN_PASSWORD} characters",
        )
    if session.execute(select(User.id).where(User.username == username)).first():
        raise ReviewError(
            f"Tên đăng nhập '{username}' đã tồn tại", f"username '{username}' already exists", 409
        )
    user = User(
        username=username,
        full_name=clean(full_name),
        password_hash=hash_password(password),
        role=role,
        unit_code=unit_code if role == "submitter" else None,
        active=True,
        created_at=utc_now(),
    )
    session.add(user)
    session.flush()
    return user


def set_active(session: Session, admin: User, user_id: int, active: bool) -> User:
    """Lock or unlock an account; a locked account's open sessions end at their next request."""
    require_role(admin, "admin")
    target = session.get(User, user_id)
    if target is None:
        raise ReviewError(f"Không có tài khoản #{user_id}", f"there is no account #{user_id}", 404)
    if target.id == admin.id and not active:
        raise ReviewError(
            "Không thể tự khoá tài khoản quản trị đang dùng",
            "you cannot lock the admin account you are using",
            409,
        )
    target.active = bool(active)
    session.flush()
    return target


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None (same cost either way)."""
    username = (clean(username) or "").lower()
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    stored = user.password_hash if user is not None and user.active else _DUMMY_HASH
    try:
        _hasher.verify(stored, nfc(password or ""))
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def can_see_unit(user: User, unit_code: str) -> bool:
    return user.role != "submitter" or (user.unit_code is not None and user.unit_code == unit_code)


def require_role(user: User, *roles: str) -> None:
    if user.role not in roles:
        raise forbidden()


# --- phases --------------------------------------------------------------------------------


def get_phase(session: Session, period: str) -> PeriodPhase:
    """The period's phase row; a period nobody has moved yet is in self-assessment."""
    row = session.get(PeriodPhase, period)
    if row is None:
        row = PeriodPhase(period=period, phase="self_assessment", signed_off=False, changed_at=utc_now())
    return row


def set_phase(session: Session, period: str, phase: str, user: User, signed_off: bool = False) -> PeriodPhase:
    require_role(user, "admin")
    period = check_period(period)
    if phase not in PHASES:
        raise ReviewError(
            f"Giai đoạn '{phase}' không hợp lệ, cần một trong {', '.join(PHASES)}",
            f"phase '{phase}' is invalid, expected one of {', '.join(PHASES)}",
        )
    row = session.get(PeriodPhase, period)
    if row is None:
        row = PeriodPhase(period=period)
        session.add(row)
    row.phase = phase
    # Sign-off belongs to the final result; moving back to an earlier phase withdraws it.
    row.signed_off = bool(signed_off) and phase in ("final", "published")
    row.changed_by = user.username
    row.changed_at = utc_now()
    session.flush()
    return row


def evidence_open(phase: str) -> bool:
    return phase not in EVIDENCE_LOCKED_PHASES


def periods(session: Session) -> list[str]:
    found = set(session.execute(select(ClaimLedgerRow.period).distinct()).scalars())
    found |= set(session.execute(select(PeriodPhase.period)).scalars())
    return sorted(found, key=lambda p: Period.parse(p), reverse=True)


# --- framework access ----------------------------------------------------------------------


@lru_cache(maxsize=16)
def _framework_cached(framework_id: str, directory: str, _stamp: float) -> Framework:
    return load_framework(framework_id, Path(directory))


def framework(framework_id: str) -> Framework:
    """The framework, cached per file state so an edited YAML is picked up."""
    directory = get_settings().frameworks_dir
    stamp = max((p.stat().st_mtime for p in directory.glob("*.y*ml")), default=0.0)
    return _framework_cached(framework_id, str(directory), stamp)


# --- claims and decisions ------------------------------------------------------------------


def get_claim(session: Session, period: str, unit_code: str, indicator_code: str) -> ClaimLedgerRow:
    row = session.get(ClaimLedgerRow, (unit_code, period, indicator_code))
    if row is None:
        raise ReviewError(
            f"Không có chỉ tiêu {indicator_code} của đơn vị {unit_code} trong kỳ {period}",
            f"there is no claim {indicator_code} of unit {unit_code} in period {period}",
            404,
        )
    return row


def queue(
    session: Session, period: str, user: User, outcomes: tuple[str, ...] = QUEUE_OUTCOMES
) -> list[ClaimLedgerRow]:
    """Claims that need the council, largest points at stake first; a submitter sees only its unit."""
    stmt = select(ClaimLedgerRow).where(ClaimLedgerRow.period == period, ClaimLedgerRow.outcome.in_(outcomes))
    if user.role == "submitter":
        stmt = stmt.where(ClaimLedgerRow.unit_code == (user.unit_code or ""))
    rows = list(session.execute(stmt).scalars())
    rows.sort(
        key=lambda r: (
            -(r.points_at_stake if r.points_at_stake is not None else Decimal("-1")),
            r.unit_code,
            code_key(r.indicator_code),
        )
    )
    return rows


def _json_value(value):
    if isinstance(value, Decimal):
        return str(value.quantize(VALUE_SCALE))
    return value


def evidence_snapshot(session: Session, row: ClaimLedgerRow, store: bool = False) -> str:
    """Hash of everything the council sees as evidence for a claim; with `store`, kept as a blob.

    Only decisions store it, under the chain lock, so two writers never insert the same blob.
    """
    files = session.execute(
        select(EvidenceFile.sha256, EvidenceFile.indicator_code).where(
            EvidenceFile.unit_code == row.unit_code, EvidenceFile.period == row.period
        )
    ).all()
    snapshot = {
        "unit_code": row.unit_code,
        "period": row.period,
        "indicator_code": row.indicator_code,
        "self_value": _json_value(row.self_value),
        "objective_value": _json_value(row.objective_value),
        "objective_numerator": _json_value(row.objective_numerator),
        "objective_denominator": _json_value(row.objective_denominator),
        "record_count": row.record_count,
        "snapshot_id": row.snapshot_id,
        "record_ids": sorted(row.record_ids or []),
        "citations": row.citations or [],
        "files": sorted(sha for sha, code in files if code in (None, row.indicator_code)),
    }
    data = json.dumps(nfc(snapshot), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    sha = hashlib.sha256(data).hexdigest()
    if store and session.get(BlobStore, sha) is None:
        session.add(BlobStore(sha256=sha, data=data))
    return sha


def snapshot_content(session: Session, sha: str) -> dict | None:
    blob = session.get(BlobStore, sha)
    return json.loads(blob.data) if blob is not None else None


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
    if not value.is_finite():
        raise ReviewError(f"Giá trị '{text}' không hợp lệ", f"value '{text}' is invalid")
    return (value / 100 if percent else value).quantize(VALUE_SCALE)


def _new_value(row: ClaimLedgerRow, action: str, value: Decimal | None) -> Decimal | None:
    try:
        return decided_value(row, action, value)
    except DecisionError as exc:
        raise ReviewError(exc.message_vi, exc.message_en) from exc


def points_for(session: Session, row: ClaimLedgerRow, value: Decimal | None) -> Decimal | None:
    fw = framework(row.framework_id)
    leaf = fw.leaf(row.indicator_code)
    best = None
    if leaf.method is not None and leaf.method.kind == "relative_to_best":
        peers = session.execute(
            select(ClaimLedgerRow.verified_value).where(
                ClaimLedgerRow.period == row.period,
                ClaimLedgerRow.framework_id == row.framework_id,
                ClaimLedgerRow.indicator_code == row.indicator_code,
                ClaimLedgerRow.unit_code != row.unit_code,
            )
        ).scalars()
        best = max([v for v in peers if v is not None] + ([value] if value is not None else []), default=None)
    try:
        points = score_leaf(leaf, value, best)
    except ScoringError as exc:
        raise ReviewError(str(exc), str(exc)) from exc
    return points.quantize(POINTS_SCALE) if points is not None else None


def pending_decision(session: Session, row: ClaimLedgerRow) -> Decision | None:
    """The claim's decision still waiting for a second council member, if any."""
    candidates = session.execute(
        select(Decision)
        .where(
            Decision.unit_code == row.unit_code,
            Decision.period == row.period,
            Decision.indicator_code == row.indicator_code,
            Decision.status == "pending_approval",
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
        .where(Decision.period == period, Decision.status == "pending_approval")
        .order_by(Decision.id)
    ):
        if d_id not in resolved:
            out.setdefault((unit, code), d_id)
    return out


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


_CONFLICT_CODES = {1205, 1213, "40P01", "40001", "55P03"}  # MySQL lock timeout/deadlock; PostgreSQL


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


@dataclass
class Outcome:
    decision: Decision
    applied: bool
    points_before: Decimal | None
    points_after: Decimal | None


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


def _apply(session: Session, row: ClaimLedgerRow, decision: Decision, value, points) -> None:
    row.verified_value = value
    row.verified_points = points
    row.decision_id = decision.id
    # The same machine-readable reason code the pipeline adds when it re-applies a decision.
    codes = [c for c in (row.reason or "").split(";") if c]
    if "council_decision" not in codes:
        row.reason = ";".join([*codes, "council_decision"])
        row.reason_vi = "; ".join(t for t in (row.reason_vi, "Đã có quyết định của Hội đồng") if t)
    _flush_row(session, row)
    recompute_for_unit(session, row.period, row.unit_code, row.framework_id)


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
) -> Outcome:
    """Record one council decision on a claim and, unless it needs a second member, apply it."""
    require_role(user, "council")
    phase = get_phase(session, row.period).phase
    if phase not in DECISION_PHASES:
        raise ReviewError(
            f"Kỳ {row.period} đang ở giai đoạn '{PHASES.get(phase, phase)}': chỉ quyết định được trong "
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
    before = row.verified_points
    if action == "request_evidence":
        decision = audit.append(
            session,
            unit_code=row.unit_code,
            period=row.period,
            indicator_code=row.indicator_code,
            action=action,
            value=None,
            reason=reason,
            decided_by=user.username,
            evidence_snapshot=snapshot,
            status="effective",
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
        return Outcome(decision, True, before, before)
    new_value = _new_value(row, action, value)
    new_points = points_for(session, row, new_value)
    change = abs((new_points or Decimal(0)) - (before or Decimal(0)))
    needs_second = change > four_eyes_points()
    decision = audit.append(
        session,
        unit_code=row.unit_code,
        period=row.period,
        indicator_code=row.indicator_code,
        action=action,
        value=new_value,
        reason=reason,
        decided_by=user.username,
        evidence_snapshot=snapshot,
        status="pending_approval" if needs_second else "effective",
    )
    if needs_second:
        # Bump the row's version so other open forms on this claim go stale while it waits.
        flag_modified(row, "decision_id")
        _flush_row(session, row)
        return Outcome(decision, False, before, before)
    _apply(session, row, decision, new_value, new_points)
    return Outcome(decision, True, before, new_points)


@_one_writer
def review_pending(
    session: Session, user: User, decision_id: int, approve: bool, reason: str, expected_version: int | None
) -> Outcome:
    """A second council member approves (and so applies) or rejects a pending decision."""
    require_role(user, "council")
    pending = session.get(Decision, decision_id)
    if pending is None or pending.status != "pending_approval":
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
            f"Kỳ {row.period} đang ở giai đoạn '{PHASES.get(phase, phase)}', không phê duyệt được",
            f"period {row.period} is in phase '{phase}', approvals are closed",
            409,
        )
    reason = clean(reason)
    if not reason:
        raise ReviewError("Cần ghi lý do phê duyệt/từ chối", "a reason is required to approve or reject")
    _lock_and_refresh(session, row)
    _check_version(row, expected_version)
    if pending_decision(session, row) is not pending:
        raise ReviewError(
            f"Quyết định #{decision_id} vừa được người khác phê duyệt hoặc từ chối",
            f"decision #{decision_id} was just approved or rejected by someone else",
            409,
        )
    snapshot = evidence_snapshot(session, row, store=True)
    if approve and snapshot != pending.evidence_snapshot:
        raise ReviewError(
            f"Minh chứng của chỉ tiêu đã thay đổi sau khi quyết định #{decision_id} được đề xuất; "
            "hãy từ chối và quyết định lại trên minh chứng mới",
            f"the claim's evidence changed after decision #{decision_id} was proposed; reject it and "
            "decide again on the new evidence",
            409,
        )
    decision = audit.append(
        session,
        unit_code=row.unit_code,
        period=row.period,
        indicator_code=row.indicator_code,
        action=pending.action,
        value=pending.value,
        reason=reason,
        decided_by=user.username,
        evidence_snapshot=snapshot,
        status="approved" if approve else "rejected",
        approves_id=pending.id,
    )
    before = row.verified_points
    if not approve:
        flag_modified(row, "decision_id")
        _flush_row(session, row)
        return Outcome(decision, False, before, before)
    points = points_for(session, row, pending.value)
    _apply(session, row, decision, pending.value, points)
    return Outcome(decision, True, before, points)


def decision_state(session: Session, decision: Decision) -> str:
    """A pending decision's current state, read from the approvals appended after it."""
    if decision.status != "pending_approval":
        return decision.status
    follow = session.execute(
        select(Decision.status).where(Decision.approves_id == decision.id).order_by(Decision.id).limit(1)
    ).scalar()
    return {"approved": "approved_later", "rejected": "rejected_later"}.get(follow, "pending_approval")


# --- scores --------------------------------------------------------------------------------


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


CENT = Decimal("0.01")
MAX_MOVERS = 5


def _movers(rows: list[ClaimLedgerRow]) -> list[dict]:
    """The indicators whose verified points differ from the self-score, biggest loss first (top 5)."""
    moved = []
    for r in rows:
        delta = (r.verified_points or Decimal(0)) - (r.self_points or Decimal(0))
        if abs(delta) >= CENT:  # below a cent it is the unit's own rounding
            moved.append(
                {
                    "indicator_code": r.indicator_code,
                    "points": str(delta.quantize(CENT)),
                    "outcome": r.outcome,
                }
            )
    moved.sort(key=lambda m: (Decimal(m["points"]), m["indicator_code"]))
    return moved[:MAX_MOVERS]


def recompute_scores(session: Session, period: str, framework_id: str, unit_type: str) -> list[UnitScore]:
    """Verified totals, DTI and ranks of every unit in one peer group (framework × unit type)."""
    fw = framework(framework_id)
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
    claims: dict[str, list[ClaimLedgerRow]] = {code: [] for code in codes}
    for row in session.execute(
        select(ClaimLedgerRow).where(
            ClaimLedgerRow.period == period,
            ClaimLedgerRow.framework_id == framework_id,
            ClaimLedgerRow.unit_code.in_(codes),
        )
    ).scalars():
        claims[row.unit_code].append(row)
    dti_by_unit: dict[str, Decimal] = {}
    for score in scores:
        rows = claims[score.unit_code]
        try:
            # Same aggregation as the pipeline's scorecard, so a re-run reproduces these numbers.
            totals = aggregate_unit(fw, unit_type, {r.indicator_code: r.verified_points for r in rows})
        except ScoringError as exc:
            raise ReviewError(str(exc), str(exc), 500) from exc
        score.verified_total = totals.total.quantize(POINTS_SCALE)
        score.verified_dti = totals.dti.quantize(VALUE_SCALE)
        dti_by_unit[score.unit_code] = score.verified_dti
        score.movers = _movers(rows)
        if isinstance(score.by_main_index, dict):
            updated = {}
            for main, entry in sorted(score.by_main_index.items()):
                if isinstance(entry, dict) and main in totals.by_main_index:
                    entry = {**entry, "verified": str(totals.by_main_index[main].quantize(CENT))}
                updated[main] = entry
            score.by_main_index = updated
    ranks = competition_ranks(dti_by_unit)
    for score in scores:
        score.verified_rank = ranks[score.unit_code]
        score.rank_change = score.self_rank - score.verified_rank
    session.flush()
    return scores


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


# --- explanation requests ------------------------------------------------------------------


def request_explanation(
    session: Session, user: User, row: ClaimLedgerRow, message: str
) -> ExplanationRequest:
    require_role(user, "staff", "council")
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
    require_role(user, "submitter")
    if not can_see_unit(user, req.unit_code):
        raise forbidden()
    phase = get_phase(session, req.period).phase
    if not evidence_open(phase):
        raise ReviewError(
            f"Kỳ {req.period} đang ở giai đoạn '{PHASES.get(phase, phase)}': không nhận giải trình",
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


# --- evidence files ------------------------------------------------------------------------

EVIDENCE_TYPES = {
    "pdf": ("application/pdf", (".pdf",)),
    "png": ("image/png", (".png",)),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg")),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    "odt": ("application/vnd.oasis.opendocument.text", (".odt",)),
}


def sniff_type(data: bytes) -> str | None:
    """The evidence kind the bytes really are (PDF, PNG, JPEG, DOCX, XLSX, ODT), or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
                if "mimetype" in names and zf.read("mimetype").strip() == EVIDENCE_TYPES["odt"][0].encode():
                    return "odt"
                if "[Content_Types].xml" in names:
                    if "word/document.xml" in names:
                        return "docx"
                    if "xl/workbook.xml" in names:
                        return "xlsx"
        except (zipfile.BadZipFile, KeyError, OSError):
            return None
    return None


def safe_filename(name: str | None) -> str:
    name = nfc(name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch >= " " and ch not in '<>:"|?*').strip(" .")
    return name[:200] or "tep"


def store_evidence(
    session: Session,
    user: User,
    data: bytes,
    filename: str,
    unit_code: str,
    period: str,
    indicator_code: str | None = None,
    settings: Settings | None = None,
) -> EvidenceFile:
    """Check and keep one evidence file, content-addressed by its sha256 under files_dir/evidence/."""
    require_role(user, "submitter", "staff", "admin")
    if not can_see_unit(user, unit_code):
        raise forbidden()
    period = check_period(period)
    if session.get(Unit, unit_code) is None:
        raise ReviewError(
            f"Không có đơn vị mã '{unit_code}'", f"there is no unit with code '{unit_code}'", 404
        )
    phase = get_phase(session, period).phase
    if not evidence_open(phase):
        raise ReviewError(
            f"Kỳ {period} đang ở giai đoạn '{PHASES.get(phase, phase)}': minh chứng đã bị khoá, không nhận tệp mới",
            f"period {period} is in phase '{phase}': evidence is locked, no new files are accepted",
            409,
        )
    indicator_code = clean(indicator_code)
    settings = settings or get_settings()
    name = safe_filename(filename)
    limit = settings.max_upload_bytes
    if len(data) > limit:
        raise ReviewError(
            f"Tệp '{name}' có {len(data):,} byte, vượt giới hạn {limit:,} byte",
            f"file '{name}' has {len(data):,} bytes, over the {limit:,}-byte limit",
            413,
        )
    if not data:
        raise ReviewError(f"Tệp '{name}' rỗng", f"file '{name}' is empty")
    kind = sniff_type(data)
    allowed = "PDF, PNG, JPEG, DOCX, XLSX, ODT"
    if kind is None:
        raise ReviewError(
            f"Tệp '{name}' không phải là loại được nhận ({allowed}) theo nội dung tệp",
            f"file '{name}' is not an accepted type ({allowed}) judging by its contents",
            415,
        )
    content_type, extensions = EVIDENCE_TYPES[kind]
    if not name.lower().endswith(extensions):
        raise ReviewError(
            f"Tên tệp '{name}' không khớp nội dung ({kind.upper()}); phần mở rộng cần là {', '.join(extensions)}",
            f"file name '{name}' does not match its contents ({kind.upper()}); the extension should be "
            f"{', '.join(extensions)}",
            415,
        )
    sha = hashlib.sha256(data).hexdigest()
    # The same content filed again for the same unit, period and indicator is the same filing.
    existing = session.execute(
        select(EvidenceFile).where(
            EvidenceFile.sha256 == sha,
            EvidenceFile.unit_code == unit_code,
            EvidenceFile.period == period,
            EvidenceFile.indicator_code.is_(None)
            if indicator_code is None
            else EvidenceFile.indicator_code == indicator_code,
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    target = settings.files_dir / "evidence" / sha[:2] / f"{sha}{extensions[0]}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    row = EvidenceFile(
        sha256=sha,
        filename=name,
        content_type=content_type,
        size=len(data),
        stored_path=str(target),
        unit_code=unit_code,
        period=period,
        indicator_code=indicator_code,
        uploaded_by=user.username,
        uploaded_at=utc_now(),
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise ReviewError(
            f"Tệp '{name}' vừa được nộp cùng lúc ở một phiên khác; hãy tải lại trang để kiểm tra",
            f"file '{name}' was just filed from another session at the same time; reload the page to check",
            409,
        ) from exc
    return row


def evidence_download(session: Session, user: User, sha: str) -> EvidenceFile:
    """The filing of `sha` this user may download: one of its own unit's, or any for council and staff."""
    rows = session.execute(
        select(EvidenceFile).where(EvidenceFile.sha256 == sha).order_by(EvidenceFile.id)
    ).scalars().all()
    if not rows:
        raise ReviewError("Không có tệp minh chứng này", "no such evidence file", 404)
    visible = [r for r in rows if can_see_unit(user, r.unit_code)]
    if not visible:
        raise forbidden()
    return visible[0]


def evidence_for(session: Session, unit_code: str, period: str) -> list[EvidenceFile]:
    rows = session.execute(
        select(EvidenceFile).where(EvidenceFile.unit_code == unit_code, EvidenceFile.period == period)
    ).scalars()
    return sorted(rows, key=lambda f: (code_key(f.indicator_code or ""), f.filename, f.sha256))
