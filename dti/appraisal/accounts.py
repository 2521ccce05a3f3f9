"""Review accounts: creating, locking and authenticating users, and which role may see or do what."""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from dti.appraisal.errors import ReviewError, forbidden
from dti.appraisal.sessions import revoke_all
from dti.audit import utc_now
from dti.settings import TZ, read_int
from dti.text import clean, nfc
from dti.vocabulary import Role
from dti.warehouse.models import Unit, User

ROLES = Role.labels()
# Those who see every unit; a submitter sees only its own.
STAFF_ROLES = (Role.COUNCIL, Role.STAFF, Role.ADMIN)
# Those who may file evidence and self-assessment forms.
FILING_ROLES = (Role.SUBMITTER, Role.STAFF, Role.ADMIN)
# Those who may ask a unit to explain a claim.
EXPLANATION_ROLES = (Role.STAFF, Role.COUNCIL)
MIN_PASSWORD = 10
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_hasher = PasswordHasher()
# Checked against when the user does not exist, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("không-có-người-dùng-này")


_slots: list[threading.BoundedSemaphore] = []
_slots_lock = threading.Lock()


def _hashing_slot() -> threading.BoundedSemaphore:
    """At most DTI_REVIEW_HASHING_SLOTS password hashes at once: each takes 64 MiB, so 48 log-ins at the
    same moment would otherwise take 3 GB."""
    with _slots_lock:
        if not _slots:
            _slots.append(threading.BoundedSemaphore(max(1, read_int("DTI_REVIEW_HASHING_SLOTS"))))
        return _slots[0]


def _hashing(fn, *args):
    slot = _hashing_slot()
    if not slot.acquire(timeout=30):
        raise ReviewError("Máy chủ đang bận xác thực; hãy thử lại sau ít phút",
                          "the server is busy checking passwords; try again in a few minutes", 503)
    try:
        return fn(*args)
    finally:
        slot.release()


def normalise_username(text: str | None) -> str:
    """The one form a username is stored, compared and throttled in: NFKC, invisible format characters
    (a zero-width space, a byte-order mark) removed, trimmed, case-folded."""
    folded = unicodedata.normalize("NFKC", text or "")
    folded = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return folded.strip().casefold()


def hash_password(password: str) -> str:
    return _hashing(_hasher.hash, nfc(password))


def _check_unit_code(session: Session, role: str, unit_code: str | None) -> None:
    """A submitter account belongs to one unit of the warehouse; no other account belongs to a unit."""
    if role == Role.SUBMITTER:
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


def create_user(
    session: Session,
    username: str,
    role: str,
    password: str,
    unit_code: str | None = None,
    full_name: str | None = None,
) -> User:
    username = normalise_username(username)
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
    _check_unit_code(session, role, unit_code)
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
        unit_code=unit_code if role == Role.SUBMITTER else None,
        active=True,
        created_at=utc_now(),
    )
    session.add(user)
    session.flush()
    return user


def set_active(session: Session, admin: User, user_id: int, active: bool) -> User:
    """Lock or unlock an account; a locked account's open sessions end at their next request."""
    require_role(admin, Role.ADMIN)
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
    if not target.active:
        revoke_all(session, target.id)
    session.flush()
    return target


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None (same cost either way)."""
    username = normalise_username(username)
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    stored = user.password_hash if user is not None and user.active else _DUMMY_HASH
    try:
        _hashing(_hasher.verify, stored, nfc(password or ""))
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def password_fingerprint(user: User) -> str:
    """A short digest of the password hash a log-in session remembers, so a new password ends it."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.username)).scalars())


def can_see_unit(user: User, unit_code: str) -> bool:
    return user.role != Role.SUBMITTER or (user.unit_code is not None and user.unit_code == unit_code)


def require_current_unit(session: Session, user: User) -> None:
    """A unit's account writes only while its unit is current: the account of a unit merged away (or
    abolished) reads what it filed but files nothing more — least of all for the unit that took it over."""
    if user.role != Role.SUBMITTER:
        return
    unit = session.get(Unit, user.unit_code) if user.unit_code else None
    today = utc_now().astimezone(TZ).date()
    if unit is None or unit.valid_from > today or (unit.valid_to is not None and unit.valid_to < today):
        until = unit.valid_to.strftime("%d/%m/%Y") if unit is not None and unit.valid_to else "?"
        raise ReviewError(
            f"Đơn vị {user.unit_code} của tài khoản đã hết hiệu lực (đến {until}, ví dụ do sáp nhập); tài khoản "
            "không nộp được số liệu hay minh chứng nữa. Hãy dùng tài khoản của đơn vị hiện hành.",
            f"the account's unit {user.unit_code} is no longer current (until {until}, e.g. merged); the account "
            "cannot file anything. Use an account of the current unit.",
            403,
        )


def require_role(user: User, *roles: str) -> None:
    if user.role not in roles:
        raise forbidden()
