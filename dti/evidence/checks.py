"""The checks on one evidence file, each a verdict with a reason a council member can read (Vietnamese
first, English beside) and the details behind it. Pure functions: the caller gathers what each needs
(the citation, the period's window, the document system's records, the leaf's terms, the other filings)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field

from dti.evidence.fields import DocumentFields, notation_key
from dti.evidence.normalize import letters
from dti.evidence.relevance import find_terms, is_related
from dti.intake.citations import Citation
from dti.vocabulary import EvidenceCheck, EvidenceProblem, EvidenceVerdict

V = EvidenceVerdict
MIN_LETTERS = 40  # fewer letters than this in the whole file: it carries no text worth the name
# A form not filled in: the number left blank before its slash, the date's day and month left as dots.
_BLANK_NUMBER = re.compile(r"S[ốô]\s*[:.]?\s*[.…_ ]*/\s*[A-ZĐ][^\s,;]*", re.IGNORECASE)
_BLANK_DATE = re.compile(r"ngày\s*[.…_]+\s*tháng\s*[.…_]+\s*năm", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"[.…_]{5,}|\((?:tên|TÊN)[^)]{0,40}\)|\[[^\]\n]{2,40}\]|<[^>\n]{2,40}>")


@dataclass(frozen=True)
class CheckResult:
    check: EvidenceCheck
    verdict: EvidenceVerdict
    reason_vi: str
    reason_en: str
    detail: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        data = asdict(self)
        data.update(check=str(self.check), verdict=str(self.verdict), label_vi=self.verdict.vi,
                    label_en=self.verdict.en, check_vi=self.check.vi, check_en=self.check.en)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> CheckResult:
        return cls(EvidenceCheck(data["check"]), EvidenceVerdict(data["verdict"]), data["reason_vi"],
                   data["reason_en"], data.get("detail") or {})


@dataclass(frozen=True)
class Record:
    """A document of the document system (raw_documents) with the number the file carries."""

    source_id: str
    unit_code: str
    notation: str | None
    issue_date: dt.date
    direction: str


@dataclass(frozen=True)
class Peer:
    """Another filing of the same text in the period."""

    evidence_file_id: int | None
    unit_code: str
    indicator_code: str | None
    filename: str
    similarity: float = 1.0  # share of words and word pairs in common


def vn_date(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "?"


def not_checked(check: EvidenceCheck, vi: str, en: str) -> CheckResult:
    return CheckResult(check, V.NOT_CHECKED, vi, en)


def check_content(problem: EvidenceProblem | None, detail: str, text: str, fields: DocumentFields) -> CheckResult:
    """Readable, with text, and not a blank form."""
    c = EvidenceCheck.CONTENT
    if problem is not None:
        return CheckResult(c, V.UNREADABLE, f"Không đọc được tệp: {problem.vi}", f"cannot read the file: {problem.en}",
                           {"problem": str(problem), "detail": detail})
    n = letters(text)
    if n < MIN_LETTERS:
        return CheckResult(c, V.NO_TEXT, f"Tệp chỉ có {n} chữ cái đọc được: không có nội dung để kiểm tra",
                           f"the file holds only {n} readable letters: nothing to check", {"letters": n})
    markers = [re.sub(r"\s+", " ", m.group(0)) for p in (_BLANK_NUMBER, _BLANK_DATE) if (m := p.search(text))]
    placeholders = len(_PLACEHOLDER.findall(text))
    if fields.number is None and (markers or placeholders >= 5):
        shown = "; ".join(markers) or f"{placeholders} chỗ trống"
        return CheckResult(c, V.BLANK_TEMPLATE,
                           f"Mẫu trống chưa điền: số và ngày văn bản để trống ({shown})",
                           f"a blank template: the number and date are left empty ({placeholders} blanks)",
                           {"markers": markers, "placeholders": placeholders})
    return CheckResult(c, V.OK, f"Đọc được {n} chữ cái", f"{n} readable letters", {"letters": n})


def _cited(c: Citation, en: bool = False) -> str:
    if not c.doc_date:
        return f"{c.number}/{c.notation}"
    return f"{c.number}/{c.notation} " + (f"of {c.doc_date.isoformat()}" if en else f"ngày {vn_date(c.doc_date)}")


def check_citation(fields: DocumentFields, citations: list[Citation], *, whole_unit: bool = False) -> CheckResult:
    """The file is the document the claim cites: same number and notation, and the same date when cited.

    A file filed for the whole unit answers any of the unit's citations, and none of them is no fault."""
    c = EvidenceCheck.CITATION
    if not citations:
        return not_checked(c, "Không có văn bản trích dẫn để đối chiếu", "no citation to compare with")
    cited = "; ".join(_cited(x) for x in citations)
    cited_en = "; ".join(_cited(x, en=True) for x in citations)
    if fields.number is None:
        return CheckResult(c, V.UNKNOWN, f"Không đọc được số, ký hiệu trên văn bản để so với trích dẫn {cited}",
                           f"the document's number cannot be read to compare with the citation {cited_en}",
                           {"cited": [x.to_dict() for x in citations]})
    parts = fields.number_parts or {}
    own = notation_key(parts.get("number"), parts.get("notation"))
    same = [x for x in citations if notation_key(x.number, x.notation) == own]
    detail = {"cited": [x.to_dict() for x in citations], "found": fields.number.value,
              "span": [fields.number.start, fields.number.end]}
    if not same and whole_unit:
        return not_checked(c, f"Tệp nộp chung cho đơn vị; số {fields.number.value} không có trong các trích dẫn "
                              "của đơn vị", f"filed for the whole unit; {fields.number.value} is not among the "
                                          "unit's citations")
    if not same:
        return CheckResult(c, V.MISMATCH,
                           f"Văn bản mang số {fields.number.value}, khác văn bản được trích dẫn ({cited})",
                           f"the document is numbered {fields.number.value}, not the cited {cited_en}", detail)
    dated = [x for x in same if x.doc_date]
    doc_date = fields.doc_date
    if dated and doc_date and all(x.doc_date != doc_date for x in dated):
        return CheckResult(c, V.DATE_MISMATCH,
                           f"Đúng số {fields.number.value} nhưng văn bản ghi ngày {vn_date(doc_date)}, "
                           f"trích dẫn ghi ngày {vn_date(dated[0].doc_date)}",
                           f"number {fields.number.value} agrees but the document is dated {doc_date.isoformat()}, "
                           f"the citation {dated[0].doc_date.isoformat()}", detail)
    if dated and doc_date is None:
        return CheckResult(c, V.UNKNOWN, f"Đúng số {fields.number.value}; không đọc được ngày văn bản để so",
                           f"number {fields.number.value} agrees; the document's date cannot be read", detail)
    when = f", ngày {vn_date(doc_date)}" if dated else ""
    return CheckResult(c, V.OK, f"Đúng văn bản được trích dẫn: số {fields.number.value}{when}",
                       f"the cited document: number {fields.number.value}{', same date' if dated else ''}", detail)


def check_period(fields: DocumentFields, period: str | None, window: tuple[dt.date, dt.date] | None) -> CheckResult:
    """The document's date falls in the data window of the claim's period."""
    c = EvidenceCheck.PERIOD
    if not period or window is None:
        return not_checked(c, "Không rõ kỳ đánh giá của tệp", "the file's period is not known")
    first, last = window
    span = f"{vn_date(first)}–{vn_date(last)}"
    doc_date = fields.doc_date
    if doc_date is None:
        return CheckResult(c, V.UNKNOWN, f"Không đọc được ngày văn bản để so với kỳ {period} ({span})",
                           f"the document's date cannot be read to compare with {period} ({first}–{last})")
    detail = {"date": doc_date.isoformat(), "window": [first.isoformat(), last.isoformat()]}
    if first <= doc_date <= last:
        return CheckResult(c, V.OK, f"Ngày {vn_date(doc_date)} nằm trong kỳ {period} ({span})",
                           f"dated {doc_date.isoformat()}, within {period}", detail)
    side_vi, side_en = ("trước", "before") if doc_date < first else ("sau", "after")
    return CheckResult(c, V.OUT_OF_PERIOD,
                       f"Văn bản ngày {vn_date(doc_date)}, {side_vi} kỳ {period} ({span})",
                       f"dated {doc_date.isoformat()}, {side_en} {period} ({first}–{last})", detail)


def check_registered(fields: DocumentFields, unit_code: str | None, records: list[Record] | None) -> CheckResult:
    """The document system holds it for the unit: same number and notation (so issuer), same date."""
    c = EvidenceCheck.REGISTERED
    if records is None or not unit_code:
        return not_checked(c, "Không đối chiếu với hệ thống QLVB (không rõ đơn vị hoặc không có kho dữ liệu)",
                           "not compared with the document system (no unit or no warehouse)")
    if fields.number is None:
        return CheckResult(c, V.UNKNOWN, "Không đọc được số, ký hiệu để tra trong hệ thống QLVB",
                           "the number cannot be read to look it up in the document system")
    number = fields.number.value
    # The records are those of the unit with this number; the notation carries the issuer (QĐ-UBND).
    own = notation_key(None, (fields.number_parts or {}).get("notation"))
    same = [r for r in records if notation_key(None, r.notation) == own]
    if not same:
        return CheckResult(c, V.NOT_REGISTERED, f"Không có văn bản số {number} của đơn vị {unit_code} trong hệ thống QLVB",
                           f"the document system has no document {number} for unit {unit_code}")
    doc_date = fields.doc_date
    hit = next((r for r in same if doc_date is None or r.issue_date == doc_date), None)
    detail = {"records": [{"source_id": r.source_id, "issue_date": r.issue_date.isoformat(),
                           "direction": r.direction} for r in same]}
    if hit is None:
        return CheckResult(c, V.DATE_MISMATCH,
                           f"Hệ thống QLVB có văn bản số {number} nhưng ngày {vn_date(same[0].issue_date)}, "
                           f"tệp ghi ngày {vn_date(doc_date)}",
                           f"the document system has {number} dated {same[0].issue_date.isoformat()}, "
                           f"the file says {doc_date.isoformat()}", detail)
    direction = "văn bản đi" if hit.direction == "out" else "văn bản đến"
    return CheckResult(c, V.OK, f"Có trong hệ thống QLVB: {direction} số {number} ngày {vn_date(hit.issue_date)} "
                                f"(mã {hit.source_id})",
                       f"in the document system: {hit.direction} document {number} of "
                       f"{hit.issue_date.isoformat()} (id {hit.source_id})", {**detail, "matched": hit.source_id})


def check_relevance(text: str, fields: DocumentFields, indicator: str | None, terms: list[str]) -> CheckResult:
    """The document's subject or text names what the indicator asks for."""
    c = EvidenceCheck.RELEVANCE
    if not indicator:
        return not_checked(c, "Tệp không gắn với chỉ số nào (nộp chung cho đơn vị)",
                           "the file is not tied to one indicator (filed for the whole unit)")
    if not terms:
        return not_checked(c, f"Chỉ số {indicator} không có từ khoá minh chứng", f"indicator {indicator} has no "
                           "evidence keywords")
    subject = (fields.subject.start, fields.subject.end) if fields.subject else None
    matches = find_terms(text, terms, subject)
    shown = ", ".join(f"«{m.term}»" + (" (trích yếu)" if m.where == "subject" else "") for m in matches)
    detail = {"terms": terms, "matches": [m.to_dict() for m in matches]}
    if is_related(matches):
        return CheckResult(c, V.OK, f"Liên quan đến chỉ số {indicator}: có {shown}",
                           f"concerns indicator {indicator}: found {', '.join(m.term for m in matches)}", detail)
    seen = {m.term for m in matches}
    looked = ", ".join(f"«{t}»" for t in terms if t not in seen)
    missing = f"không có {looked}" if looked else "không có từ khoá nào trong trích yếu"
    found = f"; chỉ thấy {shown} (cần một từ khoá trong trích yếu hoặc hai trong văn bản)" if matches else ""
    return CheckResult(c, V.UNRELATED, f"Không thấy nội dung về chỉ số {indicator}: {missing}{found}",
                       f"nothing about indicator {indicator}: no term in the subject line and fewer than two in the "
                       f"text (looked for {', '.join(terms)})", detail)


def check_shared(unit_code: str | None, indicator: str | None, peers: list[Peer] | None) -> CheckResult:
    """No other unit, and no other indicator, was given the same text."""
    c = EvidenceCheck.SHARED
    if peers is None:
        return not_checked(c, "Không so với tệp của đơn vị khác", "not compared with other filings")
    others = [p for p in peers if p.unit_code != unit_code or p.indicator_code != indicator]
    if not others:
        return CheckResult(c, V.OK, "Không trùng nội dung với tệp nào khác trong kỳ",
                           "no other filing in the period has the same text")
    units = sorted({p.unit_code for p in others if p.unit_code != unit_code})
    codes = sorted({p.indicator_code or "—" for p in others if p.unit_code == unit_code})
    parts_vi, parts_en = [], []
    if units:
        parts_vi.append(f"{len(units)} đơn vị khác ({', '.join(units)})")
        parts_en.append(f"{len(units)} other unit(s) ({', '.join(units)})")
    if codes:
        parts_vi.append(f"chính đơn vị cho chỉ số {', '.join(codes)}")
        parts_en.append(f"this unit for indicator(s) {', '.join(codes)}")
    detail = {"peers": [asdict(p) for p in others]}
    alike = min(p.similarity for p in others)
    same_vi = "trùng toàn bộ nội dung" if alike >= 1 else f"giống {alike:.0%} nội dung trở lên"
    same_en = "the same text" if alike >= 1 else f"at least {alike:.0%} the same text"
    return CheckResult(c, V.SHARED, f"Cùng một văn bản ({same_vi}) cũng được nộp bởi {' và '.join(parts_vi)}",
                       f"the same document ({same_en}) is also filed by {' and '.join(parts_en)}", detail)


def overall(results: list[CheckResult]) -> EvidenceVerdict:
    """The file's verdict: its most serious check; checks that could not run never hide one that found a problem."""
    worst = min((r.verdict for r in results), key=lambda v: v.rank, default=V.NOT_CHECKED)
    if worst == V.NOT_CHECKED and any(r.verdict == V.OK for r in results):
        return V.OK
    return worst
