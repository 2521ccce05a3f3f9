"""Where intake keeps things: the original bytes content-addressed under Settings.files_dir, and
the warehouse rows (intake files, submissions with their history, self-reports, quarantine)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from dti.settings import get_settings
from dti.warehouse.models import Submission

UTC = dt.UTC


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store_bytes(data: bytes, sha256: str, suffix: str, files_dir: Path | None = None) -> Path:
    """Keep the original file at files_dir/ab/abcdef….ext; writing the same bytes twice is harmless."""
    root = files_dir or get_settings().files_dir
    target = root / sha256[:2] / f"{sha256}{suffix.lower()}"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # write then rename, so a crash never leaves a truncated file under a valid hash
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes for timezone-aware columns; they were stored in UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def add_submission(session: Session, *, unit_code: str, period: str, framework_id: str,
                   file_sha256: str | None, submitted_at: dt.datetime, deadline: dt.date | None,
                   is_late: bool, source: str) -> Submission:
    """Insert a submission and settle which one is current for (unit, period).

    The latest by submission time wins, whatever order files arrive in; the others stay as history,
    each pointing at the one that replaced it.
    """
    sub = Submission(unit_code=unit_code, period=period, framework_id=framework_id, file_sha256=file_sha256,
                     submitted_at=as_utc(submitted_at), deadline=deadline, is_late=is_late,
                     superseded_by=None, is_current=True, source=source)
    session.add(sub)
    session.flush()
    others = session.scalars(
        select(Submission).where(Submission.unit_code == unit_code, Submission.period == period,
                                 Submission.is_current.is_(True), Submission.id != sub.id)
    ).all()
    for old in sorted(others, key=lambda s: (as_utc(s.submitted_at), s.id)):
        if as_utc(old.submitted_at) <= as_utc(sub.submitted_at):
            old.is_current = False
            old.superseded_by = sub.id
        else:
            sub.is_current = False
            sub.superseded_by = old.id
    session.flush()
    return sub


def history(session: Session, unit_code: str, period: str) -> list[Submission]:
    """Every submission for (unit, period), oldest first."""
    rows = session.scalars(
        select(Submission).where(Submission.unit_code == unit_code, Submission.period == period)
    ).all()
    return sorted(rows, key=lambda s: (as_utc(s.submitted_at), s.id))


def json_number(value: Decimal | None):
    """Decimals for JSON summaries: whole numbers as int, others as float rounded to 6 places."""
    if value is None:
        return None
    value = Decimal(value)
    if value == value.to_integral_value():
        return int(value)
    return float(round(value, 6))
