"""What the claim page shows of each evidence file read for a claim: the fields the document states about
itself beside the citation, each with the words it was read from, the indicator's terms found in it, every
check with its verdict and reason, and which pages can be previewed."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from dti.evidence.fields import Found
from dti.evidence.store import FileVerdict, reading_text, verdicts_for_claim
from dti.vocabulary import EvidenceCheck, EvidenceVerdict
from dti.warehouse.models import ClaimLedgerRow

CONTEXT = 60  # characters shown either side of a highlighted span
# The fields of a document, in the order its header states them: (name, Vietnamese label, English label).
FIELD_LABELS = (
    ("number", "Số, ký hiệu", "number"),
    ("date", "Ngày ban hành", "date"),
    ("doc_type", "Loại văn bản", "document type"),
    ("issuer", "Cơ quan ban hành", "issuing body"),
    ("subject", "Trích yếu", "subject"),
    ("signer", "Người ký", "signer"),
)
PREVIEW_KINDS = ("pdf", "png", "jpeg")


@dataclass(frozen=True)
class Snippet:
    """A span of the file's text with a little of what surrounds it: before, the span itself (highlighted),
    after; `page` is 1-based."""

    before: str
    match: str
    after: str
    page: int


@dataclass(frozen=True)
class FieldReading:
    label_vi: str
    label_en: str
    value: str
    snippet: Snippet | None
    worked_out: bool  # read from the number's notation rather than where the document writes it


@dataclass(frozen=True)
class CheckLine:
    check: EvidenceCheck
    verdict: EvidenceVerdict
    reason_vi: str
    reason_en: str

    @property
    def in_order(self) -> bool:
        return self.verdict in (EvidenceVerdict.OK, EvidenceVerdict.NOT_CHECKED)


@dataclass
class Reading:
    file: FileVerdict
    fields: list[FieldReading] = field(default_factory=list)
    terms: list[tuple[str, Snippet]] = field(default_factory=list)  # the indicator's terms found, where
    checks: list[CheckLine] = field(default_factory=list)
    preview_pages: list[int] = field(default_factory=list)

    @property
    def read(self) -> bool:
        return self.file.verdict is not None


def _flat(text: str) -> str:
    return " ".join(text.replace("\f", " ").split())


def snippet(text: str, start: int, end: int) -> Snippet | None:
    """The span [start, end) of `text` with CONTEXT characters either side, on one line; None when the span
    lies outside the text (a reading from another reader version)."""
    if not 0 <= start < end <= len(text):
        return None
    before = text[max(0, start - CONTEXT):start]
    after = text[end:end + CONTEXT]
    lead = "…" if start > CONTEXT else ""
    tail = "…" if end + CONTEXT < len(text) else ""
    page = text.count("\f", 0, start) + 1
    return Snippet(lead + _flat(before) + (" " if before[-1:].isspace() else ""), _flat(text[start:end]),
                   (" " if after[:1].isspace() else "") + _flat(after) + tail, page)


def _field(text: str, name: str, found: Found | None, vi: str, en: str) -> FieldReading | None:
    if found is None:
        return None
    value = found.value
    if name == "date" and len(value) == 10 and value[4] == "-":
        value = f"{value[8:10]}/{value[5:7]}/{value[:4]}"
    span = snippet(text, found.start, found.end) if found.how == "text" else None
    return FieldReading(vi, en, value, span, found.how != "text")


def reading(session: Session, item: FileVerdict) -> Reading:
    out = Reading(item, checks=[CheckLine(c.check, c.verdict, c.reason_vi, c.reason_en) for c in item.checks])
    if item.kind in PREVIEW_KINDS and item.pages:
        out.preview_pages = list(range(1, min(item.pages, 3) + 1))
    text = reading_text(session, item.sha256) if item.verdict is not None else None
    if not text:
        return out
    for name, vi, en in FIELD_LABELS:
        line = _field(text, name, getattr(item.fields, name), vi, en)
        if line is not None:
            out.fields.append(line)
    relevance = item.check(EvidenceCheck.RELEVANCE)
    for m in (relevance.detail.get("matches") or []) if relevance else []:
        span = snippet(text, *m["span"])
        if span is not None:
            out.terms.append((m["term"], span))
    return out


def claim_readings(session: Session, row: ClaimLedgerRow) -> list[Reading]:
    """Every file filed for the claim (its own and the unit's), read or waiting to be read."""
    return [reading(session, item)
            for item in verdicts_for_claim(session, row.unit_code, row.period, row.indicator_code)]
