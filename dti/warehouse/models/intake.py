"""What units sent: files, submissions, self-report rows, quarantined rows, citations, evidence files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from dti.warehouse.models.base import POINTS, VALUE, Base, UTCDateTime


class IntakeFile(Base):
    """An uploaded file, stored content-addressed; re-importing the same bytes is a no-op."""

    __tablename__ = "intake_files"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    filename: Mapped[str] = mapped_column(String(512))
    size: Mapped[int] = mapped_column(BigInteger)
    stored_path: Mapped[str] = mapped_column(String(1024))
    mapping: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(32))  # imported / rejected / partial
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_accepted: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict | None] = mapped_column(JSON)


class Submission(Base):
    """One unit's self-assessment for a period; a later one supersedes it, history kept."""

    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unit_code: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str] = mapped_column(String(16), index=True)
    framework_id: Mapped[str] = mapped_column(String(64))
    file_sha256: Mapped[str | None] = mapped_column(ForeignKey("intake_files.sha256"))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    is_late: Mapped[bool] = mapped_column(Boolean, default=False)
    superseded_by: Mapped[int | None] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    source: Mapped[str] = mapped_column(String(32), default="file")  # file / generator / web


class SelfReport(Base):
    """A self-reported value for one indicator, as the unit sent it."""

    __tablename__ = "self_reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    unit_code: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(16))
    indicator_code: Mapped[str] = mapped_column(String(32))
    value: Mapped[Decimal | None] = mapped_column(VALUE)
    numerator: Mapped[Decimal | None] = mapped_column(VALUE)
    denominator: Mapped[Decimal | None] = mapped_column(VALUE)
    self_points: Mapped[Decimal | None] = mapped_column(POINTS)
    council_points: Mapped[Decimal | None] = mapped_column(POINTS)  # foreign sheets that carry it
    evidence_text: Mapped[str | None] = mapped_column(Text)
    source_sheet: Mapped[str | None] = mapped_column(String(128))
    source_row: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[dict | None] = mapped_column(JSON)
    __table_args__ = (Index("ix_self_reports_key", "unit_code", "period", "indicator_code"),)


class QuarantineRow(Base):
    """A rejected input row, kept whole with the reasons, so nothing is lost."""

    __tablename__ = "quarantine_rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    file_sha256: Mapped[str] = mapped_column(ForeignKey("intake_files.sha256"), index=True)
    sheet: Mapped[str | None] = mapped_column(String(128))
    row_number: Mapped[int] = mapped_column(Integer)
    raw: Mapped[dict] = mapped_column(JSON)
    reasons: Mapped[list] = mapped_column(JSON)  # [{column, value, code, message_vi, message_en}]


class EvidenceCitation(Base):
    """A document reference parsed from evidence text, and its check against the document system."""

    __tablename__ = "evidence_citations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    self_report_id: Mapped[int] = mapped_column(ForeignKey("self_reports.id"), index=True)
    raw: Mapped[str] = mapped_column(Text)
    number: Mapped[str | None] = mapped_column(String(32))
    notation: Mapped[str | None] = mapped_column(String(64))
    issuer: Mapped[str | None] = mapped_column(String(64))
    doc_date: Mapped[dt.date | None] = mapped_column(Date)
    check_status: Mapped[str | None] = mapped_column(String(32))  # found / not_found / date_mismatch
    matched_document_id: Mapped[str | None] = mapped_column(String(128))


class EvidenceFile(Base):
    """One evidence file filed for one unit and period. The bytes are stored once per content (by
    sha256), so the same document — a provincial plan many units cite — can be filed by each unit."""

    __tablename__ = "evidence_files"
    __table_args__ = (UniqueConstraint("sha256", "unit_code", "period", "indicator_code", name="uq_evidence_filing"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(512))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)
    stored_path: Mapped[str] = mapped_column(String(1024))
    unit_code: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str | None] = mapped_column(String(16))
    indicator_code: Mapped[str | None] = mapped_column(String(32))
    uploaded_by: Mapped[str | None] = mapped_column(String(128))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
