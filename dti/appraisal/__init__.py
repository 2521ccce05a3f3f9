"""Council review rules as plain functions over a Session: accounts, phases, claims and the queue,
decisions with four-eyes approval, explanations, evidence and score recomputation. The web app, the CLI
and the pipeline all call these; each module holds one area, and the names below are its public API."""

from dti.appraisal.accounts import authenticate, create_user, hash_password, set_active
from dti.appraisal.claims import claim_for, framework, get_claim, queue
from dti.appraisal.decision_history import decision_state, history, pending_by_claim, pending_decision
from dti.appraisal.decisions import DecisionResult, decide, review_pending
from dti.appraisal.errors import ReviewError
from dti.appraisal.evidence import (
    evidence_download,
    evidence_for,
    evidence_snapshot,
    snapshot_content,
    store_evidence,
)
from dti.appraisal.explanations import answer_explanation, request_explanation
from dti.appraisal.phases import get_phase, set_phase
from dti.appraisal.scores import rankings, recompute_scores

__all__ = [
    "DecisionResult",
    "ReviewError",
    "answer_explanation",
    "authenticate",
    "claim_for",
    "create_user",
    "decide",
    "decision_state",
    "evidence_download",
    "evidence_for",
    "evidence_snapshot",
    "framework",
    "get_claim",
    "get_phase",
    "hash_password",
    "history",
    "pending_by_claim",
    "pending_decision",
    "queue",
    "rankings",
    "recompute_scores",
    "request_explanation",
    "review_pending",
    "set_active",
    "set_phase",
    "snapshot_content",
    "store_evidence",
]
