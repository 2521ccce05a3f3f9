"""The keyed audit log: every decision, publication, reopening and phase change is sealed as an entry
whose HMAC-SHA256 covers its payload and the previous entry's MAC. The key lives outside the warehouse
(DTI_AUDIT_KEY, or a 0600 file beside the data), so someone who can write the database can neither edit
an entry, nor forge a new one, nor re-chain the log after deleting one. A checkpoint — the head's
sequence number and MAC, signed — kept outside the database also catches a log cut short."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from dti.audit.chain import _canonical_value, lock_chain, utc_now
from dti.settings import get_settings, read
from dti.text import nfc
from dti.warehouse.models import AuditEntry

GENESIS_MAC = "0" * 64


class AuditKeyError(RuntimeError):
    """The audit key cannot be read or created."""


def secret_file(path: Path, make=lambda: secrets.token_hex(32)) -> str:
    """The secret kept in `path`, created once with mode 0600 (readable by this account only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(make())
    return path.read_text(encoding="ascii").strip()


def audit_key() -> bytes:
    """DTI_AUDIT_KEY, else a key generated once into $DTI_DATA_DIR/audit.key (0600)."""
    configured = read("DTI_AUDIT_KEY")
    text = configured or secret_file(get_settings().data_dir / "audit.key")
    if len(text) < 32:
        raise AuditKeyError("DTI_AUDIT_KEY quá ngắn (cần ≥ 32 ký tự) / DTI_AUDIT_KEY is too short (32+ characters)")
    return text.encode("utf-8")


def canonical(payload: dict) -> str:
    """Stable text of a payload: sorted keys, no spaces, NFC text, fixed-scale decimals, UTC times."""
    data = {k: (_canonical_value(k, v) if not isinstance(v, dict | list) else v) for k, v in payload.items()}
    return json.dumps(nfc(data), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def mac_of(key: bytes, seq: int, kind: str, subject: str, payload: str, prev_mac: str) -> str:
    message = "\x1f".join((str(seq), kind, subject, payload, prev_mac)).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def head(session: Session) -> AuditEntry | None:
    return session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).first()


def seal(session: Session, kind: str, subject: str, payload: dict, key: bytes | None = None) -> AuditEntry:
    """Append one entry inside the caller's transaction (the chain lock serialises writers)."""
    lock_chain(session)
    key = key or audit_key()
    last = head(session)
    seq = (last.seq if last else 0) + 1
    prev = last.mac if last else GENESIS_MAC
    text = canonical(payload)
    entry = AuditEntry(seq=seq, kind=kind, subject=subject, payload=text, prev_mac=prev,
                       mac=mac_of(key, seq, kind, subject, text, prev), recorded_at=utc_now())
    session.add(entry)
    session.flush()
    return entry


def checkpoint(session: Session, key: bytes | None = None) -> dict:
    """The log's head as a signed record meant to be kept outside the database."""
    key = key or audit_key()
    last = head(session)
    seq, mac = (last.seq, last.mac) if last else (0, GENESIS_MAC)
    written = utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {"seq": seq, "mac": mac, "written_at": written}
    return {**body, "signature": _sign(key, body)}


def _sign(key: bytes, body: dict) -> str:
    text = f"checkpoint\x1f{body['seq']}\x1f{body['mac']}\x1f{body['written_at']}"
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def checkpoint_is_genuine(point: dict, key: bytes) -> bool:
    try:
        return hmac.compare_digest(_sign(key, point), str(point["signature"]))
    except (KeyError, TypeError):
        return False


def entries(session: Session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def recorded(point: dict) -> dt.datetime:
    return dt.datetime.strptime(point["written_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
