"""What an administrative document says about itself (Decree 30/2020/NĐ-CP layout): số/ký hiệu, place
and date, issuing body, document type, subject (trích yếu) and signer, each with the span of text it
was read from, so the claim page can show it and a council member can check it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass

from dti.evidence.normalize import fold, fold_with_map
from dti.intake.citations import parse_citations

# Type names as a document's title line writes them, with their abbreviation in a notation.
DOC_TYPES = {
    "QUYẾT ĐỊNH": "QĐ", "KẾ HOẠCH": "KH", "BÁO CÁO": "BC", "THÔNG BÁO": "TB", "TỜ TRÌNH": "TTr",
    "NGHỊ QUYẾT": "NQ", "CHỈ THỊ": "CT", "QUY CHẾ": "QC", "QUY ĐỊNH": "QyĐ", "HƯỚNG DẪN": "HD",
    "CHƯƠNG TRÌNH": "CTr", "PHƯƠNG ÁN": "PA", "ĐỀ ÁN": "ĐA", "BIÊN BẢN": "BB", "GIẤY MỜI": "GM",
    "CÔNG VĂN": "", "DANH SÁCH": "DS",
}
TYPE_BY_CODE = {code.upper(): name for name, code in DOC_TYPES.items() if code}
OFFICIAL_LETTER = "CÔNG VĂN"
HEADER_LINES = 14  # the number, place and date stand in the first lines of the first page
# "Số:" with a capital S (the body's "… số 45/KH-UBND" cites another document); scans misread the ố.
_NUMBER_LABEL = re.compile(r"(?<![^\W\d_])S[ốôoóồ6]\s*(?:,?\s*ký\s*hiệu)?\s*[:.;]?\s*(?=\d)")
_DATE_WORDS = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_DATE_DIGITS = re.compile(r"ngày\s+(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})", re.IGNORECASE)
_SUBJECT_LABEL = re.compile(r"\b(?:V/v|Về việc)\s*[:.]?\s*", re.IGNORECASE)
_BODY_START = re.compile(r"^\s*(?:Căn cứ|Thực hiện|Kính gửi|Theo đề nghị|Xét đề nghị|Điều \d|[IVX]+\.|\d+\.|Phần)",
                         re.IGNORECASE)
# Folded (no diacritics) so a scan's lost marks still find them.
_MOTTO = (" cong hoa xa hoi chu nghia viet nam ", " doc lap tu do hanh phuc ")
_SIGNER_TITLE = re.compile(
    r"(?:(?:KT|TM|TL|TUQ|Q)\.\s*)?(?:PHÓ\s+)?(?:CHỦ\s+TỊCH|GIÁM\s+ĐỐC|TRƯỞNG\s+BAN|TRƯỞNG\s+PHÒNG|"
    r"CHÁNH\s+VĂN\s+PHÒNG|BÍ\s+THƯ|THỦ\s+TRƯỞNG|VIỆN\s+TRƯỞNG|HIỆU\s+TRƯỞNG|CỤC\s+TRƯỞNG)")
SURNAMES = frozenset((
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Đoàn Lâm Mai Trịnh Cao "
    "Lương Hà Tô Đào Vương Tạ Thái Chu Kiều La Nông Lò Giàng Sùng Thào Vàng Lục Quách Triệu Tăng Khổng "
    "Lưu Nghiêm Âu Trương Doãn Hứa Văn Đàm Mạc Lã Thân Ninh Tống Lạc Hầu Bế Ma Hoàng Giáp Phùng Quan"
).split())
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Found:
    """One field: its value, the span [start, end) of the text it came from, that text, and its page."""

    value: str
    start: int
    end: int
    source: str  # the text as read
    page: int
    how: str = "text"  # text: read where it is written; notation: worked out from the number's notation

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class DocumentFields:
    number: Found | None = None  # "123/QĐ-UBND"
    number_parts: dict | None = None  # {number, notation, issuer, year}
    date: Found | None = None  # ISO date
    place: str | None = None
    doc_type: Found | None = None  # "Quyết định"
    issuer: Found | None = None
    subject: Found | None = None
    signer: Found | None = None
    signer_title: str | None = None

    @property
    def doc_date(self) -> dt.date | None:
        return dt.date.fromisoformat(self.date.value) if self.date else None

    def to_dict(self) -> dict:
        data = {}
        for name in ("number", "date", "doc_type", "issuer", "subject", "signer"):
            found = getattr(self, name)
            data[name] = found.to_dict() if found else None
        data.update(number_parts=self.number_parts, place=self.place, signer_title=self.signer_title)
        return data

    @classmethod
    def from_dict(cls, data: dict | None) -> DocumentFields:
        if not data:
            return cls()
        kw = {name: Found(**data[name]) if data.get(name) else None
              for name in ("number", "date", "doc_type", "issuer", "subject", "signer")}
        return cls(**kw, number_parts=data.get("number_parts"), place=data.get("place"),
                   signer_title=data.get("signer_title"))


@dataclass(frozen=True)
class _Line:
    text: str
    start: int  # offset in the whole text


def _lines(text: str) -> list[_Line]:
    out, at = [], 0
    for line in re.split(r"[\n\f]", text):
        out.append(_Line(line, at))
        at += len(line) + 1
    return out


def _page(text: str, offset: int) -> int:
    return text.count("\f", 0, offset) + 1


def _found(text: str, value: str, start: int, end: int, how: str = "text") -> Found:
    return Found(value, start, end, text[start:end], _page(text, start), how)


def _number(text: str, lines: list[_Line], title_at: int | None) -> tuple[Found, dict] | None:
    """The document's own number: after the "Số:" label in the header, else the first notation above the
    title (the body cites other documents' numbers)."""
    above_title = lines[:min(HEADER_LINES, title_at if title_at is not None else HEADER_LINES)]
    header = [line for line in lines[:HEADER_LINES] if not _BODY_START.match(line.text)]
    for pass_, head in (("label", header), ("any", above_title)):
        for line in head:
            at = 0
            if pass_ == "label":
                m = _NUMBER_LABEL.search(line.text)
                if not m:
                    continue
                at = m.end()
            rest = line.text[at:]
            for c in parse_citations(rest)[:1]:
                if pass_ == "any" and "-" not in c.notation:
                    continue
                m = re.search(re.escape(c.number) + r"\s*/", rest)
                start = line.start + at + (m.start() if m else 0)
                value = f"{c.number}/{c.year}/{c.notation}" if c.year else f"{c.number}/{c.notation}"
                end = start + len(re.match(r"\S+(?:\s*[/-]\s*\S+)*", text[start:]).group(0))
                end = min(end, line.start + len(line.text))
                parts = {"number": c.number, "notation": c.notation, "issuer": c.issuer, "year": c.year}
                return _found(text, value, start, end), parts
    return None


def _date_in(line: _Line, text: str) -> tuple[Found, str | None] | None:
    for pattern in (_DATE_WORDS, _DATE_DIGITS):
        m = pattern.search(line.text)
        if not m:
            continue
        try:
            day = dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            continue
        start, end = line.start + m.start(), line.start + m.end()
        before = line.text[:m.start()].rstrip()
        place = None
        if before.endswith(","):
            words = before[:-1].split()
            picked = []
            for w in reversed(words[-5:]):
                if not (w[:1].isupper() and _WORD.fullmatch(w)):
                    break
                picked.insert(0, w)
            if picked:
                place = " ".join(picked)
                start = line.start + before.rfind(picked[0], 0, len(before))
        return _found(text, day.isoformat(), start, end), place
    return None


def _date(text: str, lines: list[_Line], after: int, title_at: int | None) -> tuple[Found, str | None] | None:
    """The place-and-date line of the header: around the number, else above the title (or in the first
    lines), never in the body, whose "Căn cứ … ngày …" cite other documents."""
    head = lines[:title_at] if title_at is not None else lines[:HEADER_LINES]
    for line in lines[max(after - 1, 0):min(after + 3, title_at or after + 3)] + head:
        found = _date_in(line, text)
        if found:
            return found
    return None


def _title(lines: list[_Line], first: int) -> tuple[int, str] | None:
    """(line index, type name) of the document's title line: a type name in capitals, alone on its line."""
    for i, line in enumerate(lines[first:first + HEADER_LINES + 6], start=first):
        words = line.text.strip().rstrip(":").strip()
        if not words or not words.isupper():
            continue
        for name in sorted(DOC_TYPES, key=len, reverse=True):
            if words == name or words.startswith(name + " ") and len(words) <= len(name) + 30:
                return i, name
    return None


def _issuer(text: str, lines: list[_Line], upto: int) -> Found | None:
    """The issuing body: the capitals of the header before the number line, the national motto taken out."""
    pieces: list[tuple[int, int]] = []
    for line in lines[:upto]:
        folded, where = fold_with_map(line.text, accents=False)
        keep = [True] * len(line.text)
        for motto in _MOTTO:
            at = folded.find(motto)
            if at >= 0:
                for k in range(where[at + 1], where[at + len(motto) - 2] + 1):
                    keep[k] = False
        for m in re.finditer(r"\S+(?:[ \t]+\S+)*", "".join(c if keep[k] else " " for k, c in enumerate(line.text))):
            chunk = m.group(0).strip(" -–—_*")
            if len(chunk) >= 3 and any(c.isalpha() for c in chunk) and chunk.isupper():
                pieces.append((line.start + m.start(), line.start + m.end()))
    if not pieces:
        return None
    value = " ".join(text[a:b].strip(" -–—_*") for a, b in pieces)
    # Its pieces as read, without the motto that sits between them in a two-column header.
    source = " | ".join(text[a:b] for a, b in pieces)
    return Found(value, pieces[0][0], pieces[-1][1], source, _page(text, pieces[0][0]))


def _subject(text: str, lines: list[_Line], title_at: int | None, number_at: int) -> Found | None:
    """The trích yếu: "V/v …" under the number of a letter, else the lines under the title."""
    for line in lines[number_at:number_at + 4]:
        m = _SUBJECT_LABEL.search(line.text)
        if m and title_at is None:
            start = line.start + m.end()
            return _found(text, line.text[m.end():].strip(), start, line.start + len(line.text))
    if title_at is None:
        return None
    picked: list[_Line] = []
    for line in lines[title_at + 1:title_at + 5]:
        stripped = line.text.strip()
        if not stripped:
            if picked:
                break
            continue
        if _BODY_START.match(stripped) or set(stripped) <= set("-–—_* ") or (stripped.isupper() and picked):
            break
        picked.append(line)
    if not picked:
        return None
    start, end = picked[0].start, picked[-1].start + len(picked[-1].text)
    return _found(text, " ".join(p.text.strip() for p in picked), start, end)


def _signer(text: str, lines: list[_Line]) -> tuple[Found, str | None] | None:
    """The last person's name (a known surname and two to four capitalised words) near the end, with the
    signing title above it."""
    tail = lines[-30:]
    for back, line in enumerate(reversed(tail)):
        for m in reversed(list(re.finditer(r"(?:[^\W\d_]+ ){1,4}[^\W\d_]+", line.text))):
            words = m.group(0).split()
            while words and words[0] not in SURNAMES:
                words.pop(0)
            if len(words) < 2 or not all(w[:1].isupper() and w[1:].islower() for w in words):
                continue
            name = " ".join(words)
            start = line.start + m.start() + m.group(0).index(name)
            title = None
            for above in reversed(tail[:len(tail) - back]):
                t = list(_SIGNER_TITLE.finditer(above.text))
                if t:
                    title = re.sub(r"\s+", " ", t[-1].group(0))
                    break
            return _found(text, name, start, start + len(name)), title
    return None


def _type_from_notation(parts: dict | None) -> str | None:
    if not parts:
        return None
    head = parts["notation"].split("-")[0].upper()
    if head in TYPE_BY_CODE:
        return TYPE_BY_CODE[head]
    return OFFICIAL_LETTER if "-" in parts["notation"] else None


def read_fields(text: str) -> DocumentFields:
    """Every field the text lets us find; a field not found is None (never guessed). The header (number,
    place and date, issuer) is read above the title line, the subject below it, the signer at the end."""
    lines = _lines(text)
    title = _title(lines, 0)
    title_at = title[0] if title else None
    number = _number(text, lines, title_at)
    number_at = next((i for i, line in enumerate(lines) if number and
                      line.start <= number[0].start < line.start + len(line.text) + 1), 0)
    date = _date(text, lines, number_at, title_at)
    doc_type = None
    if title:
        line = lines[title[0]]
        offset = line.text.index(title[1])
        doc_type = _found(text, title[1].capitalize(), line.start + offset, line.start + offset + len(title[1]))
    elif number and (name := _type_from_notation(number[1])):
        doc_type = Found(name.capitalize(), number[0].start, number[0].end, number[0].source, number[0].page,
                         "notation")
    issuer_upto = number_at if number else (title_at if title_at is not None else min(len(lines), 4))
    signer = _signer(text, lines)
    return DocumentFields(
        number=number[0] if number else None, number_parts=number[1] if number else None,
        date=date[0] if date else None, place=date[1] if date else None, doc_type=doc_type,
        issuer=_issuer(text, lines, issuer_upto),
        subject=_subject(text, lines, title_at, number_at),
        signer=signer[0] if signer else None, signer_title=signer[1] if signer else None,
    )


def notation_key(number: str | None, notation: str | None) -> tuple[str, str]:
    """How two numbers are compared: leading zeros, case, dashes and spaces do not matter."""
    num = (number or "").lstrip("0") or (number or "")
    note = fold(notation or "").replace(" ", "")
    return num.lower(), note
