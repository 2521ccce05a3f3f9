"""The council's side: accounts, period phases, decisions, explanation requests, alerts and stored blobs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from dti.warehouse.models.base import VALUE, Base, UTCDateTime


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
