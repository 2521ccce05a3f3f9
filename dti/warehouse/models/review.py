"""The council's side: accounts, period phases, decisions, explanation requests, alerts and stored blobs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from dti.warehouse.models.base import POINTS, VALUE, Base, UTCDateTime


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # council / staff / submitter / admin
    unit_code: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class PeriodPhase(Base):
    """Workflow phase of a period: self_assessment → submitted → appraisal → explanation → final → published."""

    __tablename__ = "period_phases"
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    phase: Mapped[str] = mapped_column(String(24))
    signed_off: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_by: Mapped[str | None] = mapped_column(String(128))
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Decision(Base):
    """A council decision on one claim. Append-only and hash-chained (see dti.audit)."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unit_code: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str] = mapped_column(String(16))
    indicator_code: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(24))  # accept_objective / keep_claim / set_value / request_evidence
    value: Mapped[Decimal | None] = mapped_column(VALUE)
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(128))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    evidence_snapshot: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # effective / pending_approval / approved / rejected
    approves_id: Mapped[int | None] = mapped_column(Integer)  # four-eyes: the decision this approves
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The claim's verified points before and after this decision (sealed in the audit log with it).
    points_before: Mapped[Decimal | None] = mapped_column(POINTS)
    points_after: Mapped[Decimal | None] = mapped_column(POINTS)


class AuditEntry(Base):
    """The keyed audit log: each entry's MAC covers its payload and the previous entry's MAC, with a key
    kept outside the warehouse, so someone who can write the database cannot forge or re-chain it."""

    __tablename__ = "audit_entries"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(24))  # decision / publication / reopening / phase
    subject: Mapped[str] = mapped_column(String(128), index=True)
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_mac: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64), unique=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Publication(Base):
    """A period's results as the People's Committee published them: the decision that did, and a frozen
    copy of the ledger, scores, rankings and framework versions with its hash. A reopened period keeps
    its earlier publications readable; publishing again adds a version."""

    __tablename__ = "publications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    period: Mapped[str] = mapped_column(String(16), index=True)
    version: Mapped[int] = mapped_column(Integer)
    decision_number: Mapped[str] = mapped_column(String(128))
    signed_on: Mapped[dt.date] = mapped_column(Date)
    signer: Mapped[str | None] = mapped_column(String(255))
    published_by: Mapped[str] = mapped_column(String(128))
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    snapshot: Mapped[bytes] = mapped_column(LargeBinary)  # canonical JSON of what was published
    snapshot_sha256: Mapped[str] = mapped_column(String(64))
    audit_seq: Mapped[int] = mapped_column(Integer)  # the audit log's head when published (a checkpoint)
    audit_mac: Mapped[str] = mapped_column(String(64))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # reopened after it


class Reopening(Base):
    """A correction after publication: asked by an administrator, approved by a second person."""

    __tablename__ = "period_reopenings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    period: Mapped[str] = mapped_column(String(16), index=True)
    publication_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(128))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(String(128))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class WebSession(Base):
    """A log-in of the review app, kept on the server: log-out revokes it; it ends after an idle spell
    and, however active, after an absolute lifetime. The cookie carries only its id."""

    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token the cookie holds
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ExplanationRequest(Base):
    __tablename__ = "explanation_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unit_code: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str] = mapped_column(String(16))
    indicator_code: Mapped[str] = mapped_column(String(32))
    requested_by: Mapped[str] = mapped_column(String(128))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    message: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(128))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))


class Alert(Base):
    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    delivered: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str | None] = mapped_column(String(32))


class BlobStore(Base):
    """Small content-addressed payloads kept in the warehouse itself (e.g. snapshots)."""

    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
