"""Evidence the tests make themselves (simulators.synthetic.evidence_docs): decisions, plans and reports
as text PDFs and as scans, Office files, a blank form, a file two units share, and a small review world
that files them, with the claims' citations and the document system's records. Each filing carries the
verdicts it must get."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache

from dti.appraisal.evidence import store_evidence
from dti.intake.citations import parse_citations
from dti.vocabulary import EvidenceCheck as C
from dti.vocabulary import EvidenceVerdict as V
from dti.warehouse.db import session_scope
from dti.warehouse.models import EvidenceCitation, RawDocument, SelfReport, Submission
from simulators.synthetic.evidence_docs import (
    EvidenceDoc,
    docx,
    lines,
    odt,
    scan_image,
    scan_pdf,
    text_pdf,
    xlsx,
)
from tests.review_fixtures import PERIOD, seed_review, user

SO_TU_PHAP = ("UBND TỈNH LÀO CAI", "SỞ TƯ PHÁP")
SO_NOI_VU = ("UBND TỈNH LÀO CAI", "SỞ NỘI VỤ")
SO_XAY_DUNG = ("UBND TỈNH LÀO CAI", "SỞ XÂY DỰNG")
UBND_TINH = ("UỶ BAN NHÂN DÂN", "TỈNH LÀO CAI")

DECISION = EvidenceDoc(
    number="123/QĐ-STP", date=dt.date(2025, 3, 5), issuer=SO_TU_PHAP, signer_title="GIÁM ĐỐC",
    subject="Về việc thành lập Ban chỉ đạo chuyển đổi số của Sở Tư pháp", signer="Trần Thị Bình",
    body=("GIÁM ĐỐC SỞ TƯ PHÁP",
          "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
          "Căn cứ Quyết định số 45/KH-UBND ngày 10/02/2025 của Ủy ban nhân dân tỉnh;",
          "Điều 1. Thành lập Ban chỉ đạo chuyển đổi số của Sở Tư pháp do Giám đốc Sở làm Trưởng ban.",
          "Điều 2. Ban chỉ đạo có nhiệm vụ chỉ đạo, đôn đốc triển khai chuyển đổi số tại Sở.",
          "Điều 3. Quyết định này có hiệu lực kể từ ngày ký."))
WRONG_NUMBER = EvidenceDoc(
    number="128/QĐ-SNV", date=dt.date(2025, 3, 5), issuer=SO_NOI_VU, signer_title="GIÁM ĐỐC",
    subject="Về việc kiện toàn Ban chỉ đạo chuyển đổi số của Sở Nội vụ", signer="Lê Văn Cường",
    body=("Điều 1. Kiện toàn Ban chỉ đạo chuyển đổi số của Sở Nội vụ.", "Điều 2. Quyết định có hiệu lực từ ngày ký."))
OLD_PLAN = EvidenceDoc(
    number="12/KH-STP", date=dt.date(2024, 12, 20), doc_type="KẾ HOẠCH", issuer=SO_TU_PHAP,
    subject="Chuyển đổi số của Sở Tư pháp năm 2025", signer_title="GIÁM ĐỐC", signer="Trần Thị Bình",
    body=("I. MỤC ĐÍCH, YÊU CẦU", "Triển khai kế hoạch chuyển đổi số năm 2025, quy chế vận hành các hệ thống."))
PROVINCE_PLAN = EvidenceDoc(
    number="45/KH-UBND", date=dt.date(2025, 2, 10), doc_type="KẾ HOẠCH", issuer=UBND_TINH,
    subject="Chuyển đổi số tỉnh Lào Cai năm 2025", signer_title="KT. CHỦ TỊCH", signer="Hoàng Quốc Dũng",
    body=("I. MỤC TIÊU", "Hoàn thành các chỉ tiêu chuyển đổi số năm 2025 của tỉnh theo kế hoạch chuyển đổi số.",
          "II. NHIỆM VỤ", "Các sở, ngành xây dựng kế hoạch chuyển đổi số của đơn vị và tổ chức thực hiện."))
DISASTER = EvidenceDoc(
    number="77/QĐ-SXD", date=dt.date(2025, 4, 14), issuer=SO_XAY_DUNG, signer_title="GIÁM ĐỐC",
    subject="Về việc thành lập Ban chỉ huy phòng, chống thiên tai và tìm kiếm cứu nạn", signer="Phạm Minh Đức",
    body=("Điều 1. Thành lập Ban chỉ huy phòng, chống thiên tai của Sở Xây dựng; Giám đốc Sở làm Trưởng ban.",
          "Điều 2. Ban chỉ huy chỉ đạo ứng phó mưa lũ, sạt lở đất trên địa bàn."))
NOTICE_FORM = EvidenceDoc(
    number="15/TB-SXD", doc_type="THÔNG BÁO", issuer=SO_XAY_DUNG, subject="Kết luận cuộc họp",
    body=("Ngày ..... tháng ..... năm ....., tại ........................................",
          "Nội dung: ............................................................................"), ).blanked()
REPORT = EvidenceDoc(
    number="95/BC-STP", date=dt.date(2025, 11, 20), doc_type="BÁO CÁO", issuer=SO_TU_PHAP,
    subject="Kết quả thực hiện kế hoạch chuyển đổi số năm 2025", signer_title="GIÁM ĐỐC", signer="Trần Thị Bình",
    body=("Sở Tư pháp báo cáo kết quả thực hiện kế hoạch chuyển đổi số năm 2025: hoàn thành 18/20 nhiệm vụ.",))
LETTER = EvidenceDoc(
    number="210/STP-VP", date=dt.date(2025, 6, 2), doc_type="", issuer=SO_TU_PHAP,
    subject="cung cấp thông tin chuyển đổi số", signer_title="KT. GIÁM ĐỐC", signer="Đỗ Văn Hải",
    body=("Kính gửi: Sở Khoa học và Công nghệ", "Sở Tư pháp cung cấp thông tin về chuyển đổi số như sau."))

CITATIONS = {
    ("D01", "A1"): "Quyết định số 123/QĐ-STP ngày 05/3/2025",
    ("D01", "B1"): "Kế hoạch số 12/KH-STP ngày 20/12/2024",
    ("D01", "B2"): "Báo cáo số 95/BC-STP ngày 20/11/2025",
    ("D02", "A1"): "Quyết định số 123/QĐ-SNV ngày 05/3/2025",
    ("D02", "B1"): "Kế hoạch số 45/KH-UBND ngày 10/02/2025",
    ("D03", "B1"): "Kế hoạch số 45/KH-UBND ngày 10/02/2025",
    ("D03", "A1"): "Quyết định số 77/QĐ-SXD ngày 14/4/2025",
    ("D03", "A2"): "Thông báo số 15/TB-SXD ngày 01/7/2025",
}
# (unit, number, notation, issue date, direction) as the document system holds them.
DOCUMENTS = [
    ("D01", "123", "QĐ-STP", dt.date(2025, 3, 5), "out"),
    ("D01", "12", "KH-STP", dt.date(2024, 12, 20), "out"),
    ("D01", "95", "BC-STP", dt.date(2025, 11, 20), "out"),
    ("D01", "210", "STP-VP", dt.date(2025, 6, 2), "out"),
    ("D02", "45", "KH-UBND", dt.date(2025, 2, 10), "in"),
    ("D03", "45", "KH-UBND", dt.date(2025, 2, 10), "in"),
    ("D03", "77", "QĐ-SXD", dt.date(2025, 4, 14), "out"),
]


@cache
def document(name: str) -> bytes:
    """Each file once per test session (a scan takes a second to read back, not to make)."""
    makers = {
        "decision.pdf": lambda: text_pdf(DECISION),
        "decision-scan.pdf": lambda: scan_pdf(DECISION, seed=3),
        "decision-photo.png": lambda: scan_image(DECISION, seed=5),
        "wrong-number.pdf": lambda: text_pdf(WRONG_NUMBER),
        "old-plan.pdf": lambda: text_pdf(OLD_PLAN),
        "province-plan.pdf": lambda: text_pdf(PROVINCE_PLAN),
        "province-plan-scan.pdf": lambda: scan_pdf(PROVINCE_PLAN, seed=11, skew=-0.6),
        "disaster.pdf": lambda: text_pdf(DISASTER),
        "notice-form.pdf": lambda: text_pdf(NOTICE_FORM),
        "report.docx": lambda: docx(lines(REPORT)),
        "letter.odt": lambda: odt(lines(LETTER)),
        "trained.xlsx": lambda: xlsx([["STT", "Họ và tên", "Lớp tập huấn kỹ năng số", "Ngày"],
                                      [1, "Nguyễn Văn An", "Kỹ năng số cơ bản", "12/5/2025"],
                                      [2, "Lê Thị Hoa", "Kỹ năng số cơ bản", "12/5/2025"]]),
    }
    return makers[name]()


@dataclass(frozen=True)
class Filing:
    file: str
    unit: str
    indicator: str | None
    expect: dict = field(default_factory=dict)  # check → verdict it must get
    overall: V | None = None


FILINGS = [
    Filing("decision-scan.pdf", "D01", "A1", {C.CONTENT: V.OK, C.CITATION: V.OK, C.PERIOD: V.OK, C.REGISTERED: V.OK,
                                               C.RELEVANCE: V.OK, C.SHARED: V.OK}, V.OK),
    Filing("old-plan.pdf", "D01", "B1", {C.CITATION: V.OK, C.PERIOD: V.OUT_OF_PERIOD, C.REGISTERED: V.OK,
                                         C.RELEVANCE: V.OK}, V.OUT_OF_PERIOD),
    Filing("report.docx", "D01", "B2", {C.CITATION: V.OK, C.PERIOD: V.OK, C.REGISTERED: V.OK, C.RELEVANCE: V.OK},
           V.OK),
    Filing("letter.odt", "D01", None, {C.CITATION: V.NOT_CHECKED, C.REGISTERED: V.OK, C.RELEVANCE: V.NOT_CHECKED},
           V.OK),
    Filing("wrong-number.pdf", "D02", "A1", {C.CITATION: V.MISMATCH, C.REGISTERED: V.NOT_REGISTERED}, V.MISMATCH),
    Filing("province-plan.pdf", "D02", "B1", {C.CITATION: V.OK, C.REGISTERED: V.OK, C.SHARED: V.SHARED}, V.SHARED),
    Filing("province-plan-scan.pdf", "D03", "B1", {C.CITATION: V.OK, C.REGISTERED: V.OK, C.SHARED: V.SHARED},
           V.SHARED),
    Filing("disaster.pdf", "D03", "A1", {C.CITATION: V.OK, C.PERIOD: V.OK, C.REGISTERED: V.OK,
                                         C.RELEVANCE: V.UNRELATED}, V.UNRELATED),
    Filing("notice-form.pdf", "D03", "A2", {C.CONTENT: V.BLANK_TEMPLATE}, V.BLANK_TEMPLATE),
]
UPLOADERS = {"D01": "donvi1", "D02": "donvi2", "D03": "canbo"}


def seed_evidence_world(url: str) -> None:
    """The review world (three departments on default-dept-2025) with the self-reports' citations and the
    document system's records; no evidence filed yet."""
    seed_review(url, phase="explanation")
    now = dt.datetime(2026, 1, 10, 2, 0, tzinfo=dt.UTC)
    with session_scope(url) as s:
        subs = {}
        for unit in ("D01", "D02", "D03"):
            sub = Submission(unit_code=unit, period=PERIOD, framework_id="default-dept-2025", submitted_at=now,
                             is_current=True, source="web")
            s.add(sub)
            s.flush()
            subs[unit] = sub.id
        for (unit, code), text in CITATIONS.items():
            report = SelfReport(submission_id=subs[unit], unit_code=unit, period=PERIOD, indicator_code=code,
                                evidence_text=text)
            s.add(report)
            s.flush()
            for c in parse_citations(text):
                s.add(EvidenceCitation(self_report_id=report.id, raw=c.raw, number=c.number, notation=c.notation,
                                       issuer=c.issuer, doc_date=c.doc_date))
        for i, (unit, number, notation, issued, direction) in enumerate(DOCUMENTS):
            s.add(RawDocument(source_id=f"DOC-{i}", unit_code=unit, source_unit_code=unit, updated_at=now,
                              deleted=False, batch_id="b1", fetched_at=now, checksum="0" * 64, direction=direction,
                              number=number, notation=notation, issue_date=issued, doc_type=notation.split("-")[0]))


def file_evidence(url: str, filings=FILINGS, settings=None) -> dict[str, int]:
    """File each evidence through the review app's own store (dti.appraisal.evidence): {unit/file: filing id}."""
    ids = {}
    with session_scope(url) as s:
        for f in filings:
            row = store_evidence(s, user(url, UPLOADERS[f.unit]), document(f.file), f.file, f.unit, PERIOD,
                                 f.indicator, settings=settings)
            ids[f"{f.unit}/{f.file}"] = row.id
    return ids
