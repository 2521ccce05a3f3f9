"""The demo's evidence: files a few units upload for their cited documents, drawn in the Decree 30 layout
(simulators.synthetic.evidence_docs) from the citations in their self-reports and the document system's
records, and filed through the review app's own store (dti.appraisal.evidence). Most are in order; one is
a scan that only OCR can read; the rest carry the faults a council meets: a number that is not the cited
one, a document from before the period, one plan filed by two units, a blank form.

Runs after the night's sync (the document system's records are in the warehouse) and before the period's
verification, which reads and checks every filing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from dti.appraisal.evidence import store_evidence
from dti.appraisal.phases import evidence_open, get_phase
from dti.evidence.relevance import leaf_terms
from dti.framework import load_all
from dti.settings import Settings
from dti.vocabulary import EvidenceCheck, EvidenceVerdict, Role
from dti.warehouse import Warehouse
from dti.warehouse.models import EvidenceCitation, RawDocument, SelfReport, Submission, Unit, User
from simulators.synthetic.evidence_docs import EvidenceDoc, docx, lines, scan_pdf, text_pdf

# The demo's uploader: a DTI officer filing on the units' behalf (the audit shows the name).
DEMO_UPLOADER = User(username="dti-demo", role=Role.STAFF)
DOC_TYPES = {"KH": "KẾ HOẠCH", "QĐ": "QUYẾT ĐỊNH", "CT": "CHỈ THỊ", "BC": "BÁO CÁO", "TB": "THÔNG BÁO"}


@dataclass(frozen=True)
class Cited:
    """A claim's citation that the document system confirms (same number, notation and date)."""

    unit_code: str
    unit_name: str
    indicator_code: str
    indicator_name: str
    terms: tuple[str, ...]  # what the relevance check looks for (dti.evidence.relevance.leaf_terms)
    number: str
    notation: str
    doc_date: dt.date


@dataclass(frozen=True)
class DemoFiling:
    """One file the demo uploads, and the check and verdict it must get."""

    filename: str
    unit_code: str
    indicator_code: str
    check: EvidenceCheck
    expect: EvidenceVerdict
    data: bytes


def confirmed_citations(wh: Warehouse, period: str) -> list[Cited]:
    """The period's current citations the document system holds as cited, in unit and indicator order."""
    frameworks = load_all()
    query = (
        sa.select(SelfReport.unit_code, Unit.name_vi, SelfReport.indicator_code, Submission.framework_id,
                  EvidenceCitation.number, EvidenceCitation.notation, EvidenceCitation.doc_date)
        .join(Submission, Submission.id == SelfReport.submission_id)
        .join(Unit, Unit.code == SelfReport.unit_code)
        .join(EvidenceCitation, EvidenceCitation.self_report_id == SelfReport.id)
        .join(RawDocument, sa.and_(RawDocument.unit_code == SelfReport.unit_code,
                                   RawDocument.number == EvidenceCitation.number,
                                   RawDocument.notation == EvidenceCitation.notation,
                                   RawDocument.issue_date == EvidenceCitation.doc_date,
                                   RawDocument.deleted.is_(False)))
        .where(SelfReport.period == period, Submission.is_current.is_(True))
        .order_by(SelfReport.unit_code, SelfReport.indicator_code, EvidenceCitation.id)
        .distinct()
    )
    out, seen = [], set()
    with wh.session() as s:
        for unit, name, code, fw_id, number, notation, day in s.execute(query):
            fw = frameworks.get(fw_id)
            if fw is None or (unit, code) in seen:
                continue
            seen.add((unit, code))
            leaf = fw.leaf(code)
            out.append(Cited(unit, name, code, leaf.name_vi, tuple(leaf_terms(leaf)), number, notation, day))
    return out


def _document(c: Cited, *, number: str | None = None, day: dt.date | None = None) -> EvidenceDoc:
    """The cited document as the unit would have issued it: its subject names what the indicator asks for."""
    kind = c.notation.split("-")[0]
    day = day or c.doc_date
    topic = c.terms[0] if c.terms else c.indicator_name
    asks = ", ".join(c.terms) if c.terms else c.indicator_name
    return EvidenceDoc(
        number=f"{number or c.number}/{c.notation}", date=day, doc_type=DOC_TYPES.get(kind, "QUYẾT ĐỊNH"),
        issuer=("UBND TỈNH LÀO CAI", c.unit_name.upper()), place="Lào Cai",
        subject=f"Về {topic} năm {day.year}", signer_title="THỦ TRƯỞNG", signer="Nguyễn Văn An",
        body=(f"Căn cứ kế hoạch chuyển đổi số năm {day.year} của tỉnh;",
              f"Điều 1. Triển khai tại đơn vị: {asks}.",
              f"Điều 2. {c.indicator_name}: giao các phòng chuyên môn tổ chức thực hiện.",
              "Điều 3. Văn bản có hiệu lực kể từ ngày ký."))


def _province_plan(year: int) -> EvidenceDoc:
    return EvidenceDoc(
        number="45/KH-UBND", date=dt.date(year, 2, 10), doc_type="KẾ HOẠCH", issuer=("UỶ BAN NHÂN DÂN", "TỈNH LÀO CAI"),
        subject=f"Chuyển đổi số tỉnh Lào Cai năm {year}", signer_title="KT. CHỦ TỊCH", signer="Hoàng Quốc Dũng",
        body=("I. MỤC TIÊU", f"Hoàn thành các chỉ tiêu chuyển đổi số năm {year} của tỉnh.",
              "II. NHIỆM VỤ", "Các sở, ngành và địa phương xây dựng kế hoạch chuyển đổi số và tổ chức thực hiện."))


def demo_filings(cited: list[Cited], year: int) -> list[DemoFiling]:
    """The demo's files for the first confirmed citations: three in order (a text PDF, a scan, a Word
    file), a wrong number, a document from the year before, one plan filed by two units, a blank form."""
    ok, check = EvidenceVerdict.OK, EvidenceCheck
    units = list(dict.fromkeys(c.unit_code for c in cited))
    if len(cited) < 8 or len(units) < 2:
        return []
    a, b, c, d, e, f, blank = cited[:7]
    other = next(x for x in cited[7:] + cited if x.unit_code != f.unit_code)
    plan = text_pdf(_province_plan(year))
    wrong = str(int(d.number) + 1) if d.number.isdigit() else f"{d.number}1"
    return [
        DemoFiling(f"{a.number}-{a.notation}.pdf", a.unit_code, a.indicator_code, check.CITATION, ok,
                   text_pdf(_document(a))),
        DemoFiling(f"scan-{b.number}-{b.notation}.pdf", b.unit_code, b.indicator_code, check.CITATION, ok,
                   scan_pdf(_document(b), seed=7)),
        DemoFiling(f"{c.number}-{c.notation}.docx", c.unit_code, c.indicator_code, check.CITATION, ok,
                   docx(lines(_document(c)))),
        DemoFiling(f"{wrong}-{d.notation}.pdf", d.unit_code, d.indicator_code, check.CITATION,
                   EvidenceVerdict.MISMATCH, text_pdf(_document(d, number=wrong))),
        DemoFiling(f"{e.number}-{e.notation}-{year - 1}.pdf", e.unit_code, e.indicator_code, check.PERIOD,
                   EvidenceVerdict.OUT_OF_PERIOD, text_pdf(_document(e, day=dt.date(year - 1, 11, 20)))),
        DemoFiling("ke-hoach-cds-tinh.pdf", f.unit_code, f.indicator_code, check.SHARED, EvidenceVerdict.SHARED,
                   plan),
        DemoFiling("ke-hoach-cds-tinh.pdf", other.unit_code, other.indicator_code, check.SHARED,
                   EvidenceVerdict.SHARED, plan),
        DemoFiling("mau-bao-cao.pdf", blank.unit_code, blank.indicator_code, check.CONTENT,
                   EvidenceVerdict.BLANK_TEMPLATE, text_pdf(_document(blank).blanked())),
    ]


def file_demo_evidence(wh: Warehouse, period: str, settings: Settings) -> list[DemoFiling]:
    """Upload the demo's files for `period` (nothing once the period's evidence is locked); returns them."""
    with wh.session() as s:
        if not evidence_open(get_phase(s, period).phase):
            return []
    filings = demo_filings(confirmed_citations(wh, period), int(period[:4]))
    with wh.transaction() as s:
        for f in filings:
            store_evidence(s, DEMO_UPLOADER, f.data, f.filename, f.unit_code, period, f.indicator_code,
                           settings=settings)
    return filings
