"""The council's audit trail. Decisions form their own hash chain (chain.py); every decision, publication,
reopening and phase change is also sealed in a keyed log (sealed.py) whose key the warehouse never holds;
verify.py checks all of it, snapshot blobs and the ledger included, against an optional checkpoint."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dti.audit.chain import (
    GENESIS,
    HASHED_FIELDS,
    canonical_json,
    compute_hash,
    decision_fields,
    decision_payload,
    lock_chain,
    utc_now,
)
from dti.audit.chain import append as _append_decision
from dti.audit.sealed import audit_key, checkpoint, checkpoint_is_genuine, head, seal
from dti.audit.verify import Problem, verify
from dti.warehouse.models import Decision

__all__ = [
    "GENESIS", "HASHED_FIELDS", "Problem", "append", "audit_key", "canonical_json", "checkpoint",
    "checkpoint_is_genuine", "compute_hash", "decision_fields", "decision_payload", "head", "lock_chain", "seal",
    "utc_now", "verify",
]


def append(session: Session, **fields) -> Decision:
    """Append one decision to its hash chain and seal it in the keyed log, in the caller's transaction."""
    decision = _append_decision(session, **fields)
    seal(session, "decision", f"decision:{decision.id}", decision_payload(decision))
    return decision
