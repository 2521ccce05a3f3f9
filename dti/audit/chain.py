"""The decisions' own hash chain: each decision's sha256 covers its fields and the previous decision's
hash, so editing, deleting or reordering a row breaks the chain from that row on. (Someone who can write
the database can recompute it; the keyed log in dti.audit.sealed is what they cannot forge.)"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dti.text import nfc
from dti.warehouse.models import Decision

GENESIS = "0" * 64
# Every field a decision is judged by; `hash` itself is the only column left out.
HASHED_FIELDS = (
    "id",
    "unit_code",
    "period",
    "indicator_code",
    "action",
    "value",
    "reason",
    "decided_by",
    "decided_at",
    "evidence_snapshot",
    "status",
    "approves_id",
    "prev_hash",
)
_SCALE = Decimal("0.000001")  # the VALUE column keeps 6 decimals; hash what the database keeps


def utc_now() -> dt.datetime:
    """Whole seconds in UTC: every backend stores them exactly, so a re-read row hashes the same."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _canonical_value(name: str, value):
    if value is None:
        return None
    if isinstance(value, Decimal | float) or name == "value":
        return str(Decimal(str(value)).quantize(_SCALE))
    if isinstance(value, dt.datetime):
        # SQLite hands back naive datetimes; they were stored in UTC.
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, str):
        return nfc(value)
    return value


def canonical_json(fields: dict) -> str:
    """Stable text of a decision: sorted keys, no spaces, NFC text, fixed-scale decimals, UTC times."""
    data = {name: _canonical_value(name, fields.get(name)) for name in HASHED_FIELDS}
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def decision_fields(decision: Decision) -> dict:
    return {name: getattr(decision, name) for name in HASHED_FIELDS}


def decision_payload(decision: Decision) -> dict:
    """What the keyed log seals of a decision: its fields, its hash, and the points it moved."""
    return {**decision_fields(decision), "hash": decision.hash, "points_before": decision.points_before,
            "points_after": decision.points_after}


def compute_hash(fields: dict) -> str:
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def lock_chain(session: Session) -> None:
    """Serialise writers of the chain until this transaction ends, so no two rows share a parent."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(4481220001)"))
    elif dialect in ("mysql", "mariadb"):
        session.execute(select(Decision.id).order_by(Decision.id.desc()).limit(1).with_for_update())
    elif dialect == "sqlite":
        # A write statement takes SQLite's single writer lock for the rest of the transaction.
        session.execute(text("UPDATE decisions SET id = id WHERE id < 0"))


def last_hash(session: Session) -> str:
    stmt = select(Decision.hash).order_by(Decision.id.desc()).limit(1)
    if session.get_bind().dialect.name in ("mysql", "mariadb"):
        # InnoDB's plain reads see the transaction's first snapshot; a locking read sees the latest row.
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar() or GENESIS


def append(session: Session, **fields) -> Decision:
    """Append one decision to the chain inside the caller's transaction and return it (flushed)."""
    lock_chain(session)
    decision = Decision(**{k: nfc(v) for k, v in fields.items()})
    if decision.decided_at is None:
        decision.decided_at = utc_now()
    decision.prev_hash = last_hash(session)
    # The id is part of the hash (it fixes the row's place); the placeholder is unique and replaced below.
    decision.hash = "pending-" + secrets.token_hex(28)
    session.add(decision)
    session.flush()
    decision.hash = compute_hash(decision_fields(decision))
    session.flush()
    return decision
