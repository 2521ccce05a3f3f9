"""The council's audit trail: decisions are appended to a sha256 hash chain and can be verified.

Each decision's hash covers its own fields and the previous decision's hash, so editing, deleting or
reordering any row breaks the chain from that row on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dti.text import nfc
from dti.warehouse.models import ClaimLedgerRow, Decision

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


@dataclass(frozen=True)
class Problem:
    decision_id: int | None
    kind: str  # edited / broken_chain / missing / unknown_reference
    message_vi: str
    message_en: str

    def __str__(self) -> str:
        where = f"quyết định #{self.decision_id}" if self.decision_id is not None else "nhật ký"
        return f"{where}: {self.message_vi} / {self.message_en}"


def verify(session: Session) -> list[Problem]:
    """Every problem found in the chain, in id order; an empty list means the log is intact."""
    problems: list[Problem] = []
    rows = session.execute(select(Decision).order_by(Decision.id)).scalars().all()
    expected_prev = GENESIS
    ids: set[int] = set()
    for row in rows:
        ids.add(row.id)
        if row.prev_hash != expected_prev:
            problems.append(
                Problem(
                    row.id,
                    "broken_chain",
                    f"mắt xích bị đứt: prev_hash {row.prev_hash[:12]}… không khớp quyết định liền trước "
                    f"({expected_prev[:12]}…) — có dòng bị xoá, chèn hoặc đổi thứ tự",
                    f"broken chain: prev_hash {row.prev_hash[:12]}… does not match the previous "
                    f"decision ({expected_prev[:12]}…) — a row was deleted, inserted or reordered",
                )
            )
        actual = compute_hash(decision_fields(row))
        if actual != row.hash:
            problems.append(
                Problem(
                    row.id,
                    "edited",
                    f"nội dung đã bị sửa: hash lưu {row.hash[:12]}…, tính lại {actual[:12]}…",
                    f"contents were edited: stored hash {row.hash[:12]}…, recomputed {actual[:12]}…",
                )
            )
        expected_prev = row.hash
    # A deleted last row leaves no successor to break; the claims and approvals that cite it still do.
    refs = session.execute(
        select(ClaimLedgerRow.decision_id).where(ClaimLedgerRow.decision_id.is_not(None)).distinct()
    ).scalars()
    for ref in sorted(set(refs) - ids):
        problems.append(
            Problem(
                ref,
                "missing",
                "bảng kết quả thẩm định trỏ tới quyết định này nhưng nó không còn trong nhật ký (bị xoá)",
                "the claim ledger cites this decision but it is no longer in the log (deleted)",
            )
        )
    for row in rows:
        if row.approves_id is not None and row.approves_id not in ids:
            problems.append(
                Problem(
                    row.approves_id,
                    "missing",
                    f"quyết định #{row.id} phê duyệt quyết định này nhưng nó không còn trong nhật ký (bị xoá)",
                    f"decision #{row.id} approves this decision but it is no longer in the log (deleted)",
                )
            )
    return problems
