"""Review log-ins kept on the server: the cookie holds a random token, the warehouse its hash. Log-out
revokes it; it ends after DTI_REVIEW_IDLE_MINUTES unused and DTI_REVIEW_SESSION_HOURS after it began;
locking the account or changing its password ends it at the next request."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import update
from sqlalchemy.orm import Session

from dti.audit import utc_now
from dti.settings import read_int
from dti.warehouse.models import User, WebSession

TOUCH_EVERY = dt.timedelta(minutes=1)  # how stale last_seen_at may get before a request writes it


def _sid(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def open_session(session: Session, user: User) -> str:
    """A new log-in of `user`; returns the token for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utc_now()
    session.add(WebSession(id=_sid(token), user_id=user.id, created_at=now, last_seen_at=now))
    session.flush()
    return token


def resume(session: Session, token: str | None) -> User | None:
    """The user of a live log-in, or None when it is unknown, revoked, idle too long or too old."""
    if not token:
        return None
    ws = session.get(WebSession, _sid(token))
    if ws is None or ws.revoked_at is not None:
        return None
    now = utc_now()
    idle = dt.timedelta(minutes=read_int("DTI_REVIEW_IDLE_MINUTES"))
    lifetime = dt.timedelta(hours=read_int("DTI_REVIEW_SESSION_HOURS"))
    if now - _aware(ws.last_seen_at) > idle or now - _aware(ws.created_at) > lifetime:
        ws.revoked_at = now
        return None
    user = session.get(User, ws.user_id)
    if user is None or not user.active:
        return None
    if now - _aware(ws.last_seen_at) > TOUCH_EVERY:
        ws.last_seen_at = now
    return user


def revoke(session: Session, token: str | None) -> None:
    if token:
        session.execute(update(WebSession).where(WebSession.id == _sid(token), WebSession.revoked_at.is_(None))
                        .values(revoked_at=utc_now()))


def revoke_all(session: Session, user_id: int) -> None:
    """Every open log-in of an account (a lock, a new password)."""
    session.execute(update(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
                    .values(revoked_at=utc_now()))
