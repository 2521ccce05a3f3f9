"""What the evidence reader made of each file: its text, read once per content (sha256), and the
verdicts of each filing (a file filed by a unit for a period and indicator)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dti.warehouse.models.base import Base, UTCDateTime


class EvidenceText(Base):
    """The text of one file content and the fields read from it: the cache that makes a file read once.

    `reader` names the reader and limits it was read with; a different one reads it again, as does a
    `transient` problem (OCR missing, time ran out) that may not recur."""

    __tablename__ = "evidence_texts"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    reader: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str | None] = mapped_column(String(8))
    problem: Mapped[str | None] = mapped_column(String(32))  # EvidenceProblem; None: read
    detail: Mapped[str | None] = mapped_column(Text)
    transient: Mapped[bool] = mapped_column(Boolean, default=False)
    page_count: Mapped[int] = mapped_column(Integer, default=0)
    pages_read: Mapped[int] = mapped_column(Integer, default=0)
    ocr_pages: Mapped[int] = mapped_column(Integer, default=0)
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    letters: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text, default="")  # NFC; pages separated by a form feed
    fields: Mapped[dict | None] = mapped_column(JSON)  # dti.evidence.fields.DocumentFields.to_dict()
    content: Mapped[dict | None] = mapped_column(JSON)  # the content check (readable, text, not a blank form)
    text_sha: Mapped[str | None] = mapped_column(String(64), index=True)
    signature: Mapped[str | None] = mapped_column(String(512))  # MinHash (dti.evidence.fingerprint)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    read_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class EvidenceVerdictRow(Base):
    """The checks on one filing and its overall verdict (EvidenceVerdict), rebuilt for its period each run."""

    __tablename__ = "evidence_verdicts"
    evidence_file_id: Mapped[int] = mapped_column(ForeignKey("evidence_files.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    unit_code: Mapped[str] = mapped_column(String(64))
    period: Mapped[str | None] = mapped_column(String(16), index=True)
    indicator_code: Mapped[str | None] = mapped_column(String(32))
    verdict: Mapped[str] = mapped_column(String(32), index=True)
    checks: Mapped[list] = mapped_column(JSON)  # [CheckResult.to_dict()]
    relevance_basis: Mapped[str | None] = mapped_column(String(64))  # what the relevance check was run on
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
