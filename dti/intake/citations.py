"""Document references in free-text evidence (`476/KH-UBND - 05/08/2025`, `Kế hoạch số 45/KH-UBND
ngày 12/3/2026`) parsed into number, notation, issuer and date for the document-system check."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass

from dti.text import nfc

# Abbreviations of document types (Decree 30/2020/NĐ-CP, appendix III). When a notation starts with
# one of them the issuer is what follows (45/KH-UBND); otherwise the first part is the issuer and
# the rest the drafting office, as official letters are numbered (249/UBND-VHXH).
DOC_TYPES = frozenset(
    {
        "NQ", "QĐ", "CT", "QC", "QyĐ", "TB", "HD", "HĐ", "CTr", "KH", "PA", "ĐA", "DA", "BC", "BB",
        "TTr", "TT", "NĐ", "CV", "GM", "GGT", "GUQ", "GXN", "GNP", "PC", "KL", "TN", "PL", "CĐ",
        "BGN", "BTT", "HS", "TC", "SL", "TrT", "PTL", "GCN", "BG",
    }
)

_LETTER = r"[^\W\d_]"
_PART = rf"{_LETTER}(?:[\w&]|\.(?=\w))*"
_DATE = r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})"
_DATE_WORDS = r"(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})"
_CITATION = re.compile(
    rf"(?<![\w/])(?P<number>\d{{1,6}}[a-zA-Z]?)\s*/\s*(?:(?P<year>\d{{4}})\s*/\s*)?"
    rf"(?P<notation>{_PART}(?:\s*-\s*{_PART})*)"
    rf"(?:\s*(?:[-–—:,]\s*)?(?:ngày\s*)?(?:{_DATE}|{_DATE_WORDS}))?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Citation:
    raw: str
    number: str
    notation: str
    issuer: str | None
    doc_date: dt.date | None
    year: int | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["doc_date"] = self.doc_date.isoformat() if self.doc_date else None
        return data


def _issuer(parts: list[str]) -> str | None:
    if len(parts) == 1:
        return parts[0]
    if parts[0].upper() in {t.upper() for t in DOC_TYPES}:
        return "-".join(parts[1:])
    return parts[0]


def parse_citations(text: str | None) -> list[Citation]:
    """Every document reference in `text`, in order of appearance; tolerant of stray spaces."""
    if not text:
        return []
    text = nfc(text).replace("\ufeff", "")
    found: list[Citation] = []
    for m in _CITATION.finditer(text):
        parts = [p.strip() for p in re.split(r"\s*-\s*", m.group("notation"))]
        # A notation is written in capitals; "3/năm" or "1/1000 dân" are not document references.
        # A typed-in-lowercase one ("45/kh-ubnd") still has its hyphen, and is read in capitals.
        if not parts[0][:1].isupper():
            if len(parts) < 2:
                continue
            parts = [p.upper() for p in parts]
        notation = "-".join(parts)
        day = m.group(4) or m.group(7)
        month = m.group(5) or m.group(8)
        year = m.group(6) or m.group(9)
        doc_date = None
        if day:
            try:
                doc_date = dt.date(int(year), int(month), int(day))
            except ValueError:
                doc_date = None
        found.append(
            Citation(
                raw=re.sub(r"\s+", " ", m.group(0)).strip(),
                number=m.group("number"),
                notation=notation,
                issuer=_issuer(parts),
                doc_date=doc_date,
                year=int(m.group("year")) if m.group("year") else None,
            )
        )
    return found
