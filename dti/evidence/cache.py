"""One file's reading (text, fields, content check, fingerprint), kept by sha256 in evidence_texts so a
file is read once: a cached reading is used while it was made by the same reader and limits and its
problem, if any, was not one of this machine's (OCR missing, time ran out)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from dti.evidence import fingerprint
from dti.evidence.checks import CheckResult, check_content
from dti.evidence.extract import Extraction, extract
from dti.evidence.fields import DocumentFields, read_fields
from dti.evidence.limits import ReadLimits
from dti.evidence.normalize import letters
from dti.vocabulary import EvidenceProblem, EvidenceVerdict
from dti.warehouse.models import EvidenceText


@dataclass
class Reading:
    sha256: str
    kind: str | None
    problem: EvidenceProblem | None
    detail: str
    transient: bool
    page_count: int
    pages_read: int
    ocr_pages: int
    truncated: bool
    letters: int
    fields: DocumentFields
    content: CheckResult
    text_sha: str | None
    signature: str | None
    seconds: float
    text: str | None = None  # None: not loaded
    cached: bool = False

    @property
    def has_text(self) -> bool:
        """Readable, with text that is not a blank form: what the other checks can work on."""
        return self.content.verdict == EvidenceVerdict.OK

    def to_dict(self) -> dict:
        return {
            "sha256": self.sha256, "kind": self.kind, "pages": self.page_count, "pages_read": self.pages_read,
            "ocr_pages": self.ocr_pages, "ocr": self.ocr_pages > 0, "truncated": self.truncated,
            "letters": self.letters, "problem": str(self.problem) if self.problem else None,
            "problem_vi": self.problem.vi if self.problem else None, "detail": self.detail or None,
            "fields": self.fields.to_dict(), "text_sha": self.text_sha,
            "seconds": round(self.seconds, 3), "cached": self.cached,
        }


def reading_of(sha: str, ex: Extraction) -> Reading:
    """What one extraction says: fields, content check and fingerprint worked out from its text."""
    text = ex.text if ex.readable else ""
    fields = read_fields(text) if text else DocumentFields()
    content = check_content(ex.problem, ex.detail, text, fields)
    usable = content.verdict != EvidenceVerdict.UNREADABLE and letters(text) > 0
    return Reading(
        sha256=sha, kind=ex.kind, problem=ex.problem, detail=ex.detail, transient=ex.transient,
        page_count=ex.page_count, pages_read=len(ex.pages), ocr_pages=ex.ocr_pages, truncated=ex.truncated,
        letters=letters(text), fields=fields, content=content, text_sha=fingerprint.text_sha(text) if usable else None,
        signature=fingerprint.signature(text) if usable else None, seconds=ex.seconds, text=text,
    )


def read_data(sha: str, data: bytes, limits: ReadLimits) -> Reading:
    return reading_of(sha, extract(data, limits))


def reading_from_row(row: EvidenceText, *, with_text: bool = True) -> Reading:
    return Reading(
        sha256=row.sha256, kind=row.kind, problem=EvidenceProblem(row.problem) if row.problem else None,
        detail=row.detail or "", transient=row.transient, page_count=row.page_count, pages_read=row.pages_read,
        ocr_pages=row.ocr_pages, truncated=row.truncated, letters=row.letters,
        fields=DocumentFields.from_dict(row.fields), content=CheckResult.from_dict(row.content),
        text_sha=row.text_sha, signature=row.signature, seconds=row.seconds,
        text=row.text if with_text else None, cached=True,
    )


def is_current(row: EvidenceText | None, limits: ReadLimits) -> bool:
    return row is not None and row.reader == limits.reader_key and not row.transient


def store_reading(session: Session, reading: Reading, limits: ReadLimits, now: dt.datetime) -> EvidenceText:
    """Keep a reading in the cache (replacing an older one of the same content)."""
    row = session.get(EvidenceText, reading.sha256) or EvidenceText(sha256=reading.sha256)
    row.reader = limits.reader_key
    row.kind = reading.kind
    row.problem = str(reading.problem) if reading.problem else None
    row.detail = reading.detail or None
    row.transient = reading.transient
    row.page_count, row.pages_read, row.ocr_pages = reading.page_count, reading.pages_read, reading.ocr_pages
    row.truncated, row.letters = reading.truncated, reading.letters
    row.text = (reading.text or "").replace("\x00", "")  # PostgreSQL text refuses NUL
    row.fields, row.content = reading.fields.to_dict(), reading.content.to_dict()
    row.text_sha, row.signature = reading.text_sha, reading.signature
    row.seconds, row.read_at = reading.seconds, now
    session.add(row)
    return row


def cached_read(session: Session | None, sha: str, load, limits: ReadLimits, now: dt.datetime) -> Reading:
    """The reading of content `sha`: from the cache when current, else read from `load()` (the bytes) and kept."""
    row = session.get(EvidenceText, sha) if session is not None else None
    if is_current(row, limits):
        return reading_from_row(row)
    reading = read_data(sha, load(), limits)
    if session is not None:
        store_reading(session, reading, limits, now)
    return reading

