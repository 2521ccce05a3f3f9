"""Text out of every kind of evidence file, within its limits: text PDFs, scans through OCR, Office files
read through their XML, and the files that cannot be read, each unreadable with its reason."""

from __future__ import annotations

import dataclasses
import io
import struct
import time
import tracemalloc
import unicodedata
import zipfile
import zlib

import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader, PdfWriter

from dti.evidence.cache import read_data
from dti.evidence.extract import PREVIEW_PIXELS, extract, preview_png
from dti.evidence.limits import ReadLimits
from dti.evidence.ocr import check_ocr
from dti.evidence.relevance import find_terms
from dti.vocabulary import EvidenceProblem as P
from dti.vocabulary import EvidenceVerdict as V
from simulators.synthetic.evidence_docs import EvidenceDoc, docx, text_pdf
from tests.evidence_fixtures import DECISION, document

LIMITS = ReadLimits()


def test_tesseract_and_its_vietnamese_model_are_installed():
    # make test installs them (Makefile system-deps); without them every scan would be unreadable.
    check_ocr(LIMITS)


def test_a_text_pdf_is_read_from_its_text_layer_with_each_field_and_where_it_came_from():
    reading = read_data("x", document("decision.pdf"), LIMITS)
    f = reading.fields
    assert reading.problem is None and reading.ocr_pages == 0 and reading.page_count == 1
    assert unicodedata.is_normalized("NFC", reading.text)
    assert f.number.value == "123/QĐ-STP" and f.number_parts["notation"] == "QĐ-STP"
    assert f.date.value == "2025-03-05" and f.place == "Lào Cai"
    assert f.doc_type.value == "Quyết định" and f.issuer.value == "UBND TỈNH LÀO CAI SỞ TƯ PHÁP"
    assert f.subject.value == "Về việc thành lập Ban chỉ đạo chuyển đổi số của Sở Tư pháp"
    assert f.signer.value == "Trần Thị Bình" and f.signer_title == "GIÁM ĐỐC"
    for found in (f.number, f.date, f.doc_type, f.subject, f.signer):
        assert reading.text[found.start:found.end] == found.source and found.page == 1
    # The body's "Căn cứ … ngày 19 tháng 6 năm 2015" and "45/KH-UBND ngày 10/02/2025" are other documents.
    assert "2015" not in f.date.value and "45" not in f.number.value


def test_a_scanned_pdf_without_any_text_layer_is_read_through_ocr():
    data = document("decision-scan.pdf")
    assert all(not (page.extract_text() or "").strip() for page in PdfReader(io.BytesIO(data)).pages)
    reading = read_data("x", data, LIMITS)
    f = reading.fields
    assert reading.problem is None and reading.ocr_pages == 1
    assert (f.number.value, f.date.value, f.doc_type.value) == ("123/QĐ-STP", "2025-03-05", "Quyết định")
    assert f.signer.value == "Trần Thị Bình" and "Ban chỉ đạo chuyển đổi số" in f.subject.value


def test_a_photographed_page_is_read_through_ocr():
    reading = read_data("x", document("decision-photo.png"), LIMITS)
    assert reading.kind == "png" and reading.ocr_pages == 1
    assert (reading.fields.number.value, reading.fields.date.value) == ("123/QĐ-STP", "2025-03-05")


@pytest.mark.parametrize("name, kind, number, words", [
    ("report.docx", "docx", "95/BC-STP", "18/20 nhiệm vụ"),
    ("letter.odt", "odt", "210/STP-VP", "cung cấp thông tin chuyển đổi số"),
    ("trained.xlsx", "xlsx", None, "Lê Thị Hoa\tKỹ năng số cơ bản"),
])
def test_office_files_are_read_through_their_xml(name, kind, number, words):
    reading = read_data("x", document(name), LIMITS)
    assert reading.kind == kind and reading.problem is None and words in reading.text
    assert (reading.fields.number.value if reading.fields.number else None) == number


def _docx_member(size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"<a>" + b" " * size + b"</a>")
    return out.getvalue()


def test_a_zip_bomb_stops_at_the_unpacked_size_limit_without_filling_memory():
    bomb = _docx_member(300 * 1024 * 1024)  # 300 MB of spaces, a few hundred KB packed
    assert len(bomb) < 1_000_000
    tracemalloc.start()
    reading = read_data("x", bomb, LIMITS)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert reading.problem == P.TOO_LARGE and "300" not in reading.content.reason_vi
    assert reading.content.verdict == V.UNREADABLE and "vượt giới hạn" in reading.content.reason_vi
    assert peak < 20 * 1024 * 1024


def _patch_sizes(data: bytes, name: bytes, size: int) -> bytes:
    """Rewrite a member's declared unpacked size in both its local header and the central directory."""
    out = bytearray(data)
    at = out.find(b"PK\x03\x04" + out[4:4])
    while at >= 0:
        if out[at:at + 4] == b"PK\x03\x04" and out[at + 30:at + 30 + len(name)] == name:
            struct.pack_into("<I", out, at + 22, size)
        if out[at:at + 4] == b"PK\x01\x02" and out[at + 46:at + 46 + len(name)] == name:
            struct.pack_into("<I", out, at + 24, size)
        at = out.find(b"PK", at + 1)
    return bytes(out)


def test_a_member_that_lies_about_its_size_is_never_unpacked_beyond_what_it_declares():
    liar = _patch_sizes(_docx_member(5 * 1024 * 1024), b"word/document.xml", 1000)
    reading = read_data("x", liar, dataclasses.replace(LIMITS, max_unpacked_bytes=1 << 20))
    assert reading.problem == P.DAMAGED and reading.content.verdict == V.UNREADABLE


def test_office_xml_with_entity_declarations_is_refused():
    billion = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><l>&b;</l>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", billion)
    reading = read_data("x", out.getvalue(), LIMITS)
    assert reading.problem == P.DAMAGED and "DOCTYPE" in reading.detail


def _encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(document("decision.pdf"))))
    writer.encrypt("mat-khau")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _huge_png() -> bytes:
    """A PNG whose header claims 30000×30000 pixels (its data is a single row): refused before decoding."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" + b"\xff" * 30000)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("make, problem", [
    (lambda: b"", P.EMPTY),
    (lambda: b"MZ\x90\x00 a Windows program", P.UNSUPPORTED),
    (lambda: b"%PDF-1.7\n this is not a PDF at all", P.DAMAGED),
    (_encrypted_pdf, P.ENCRYPTED),
    (_huge_png, P.TOO_LARGE),
])
def test_a_file_that_cannot_be_read_is_unreadable_with_its_reason(make, problem):
    reading = read_data("x", make(), LIMITS)
    assert reading.problem == problem and reading.content.verdict == V.UNREADABLE
    assert problem.vi in reading.content.reason_vi and problem.en in reading.content.reason_en
    assert not reading.has_text


def test_without_tesseract_a_scan_is_unreadable_and_read_again_later_never_passed():
    limits = dataclasses.replace(LIMITS, tesseract_cmd="/khong/co/tesseract")
    reading = read_data("x", document("decision-scan.pdf"), limits)
    assert reading.problem == P.OCR_UNAVAILABLE and reading.transient
    assert reading.content.verdict == V.UNREADABLE and "Tesseract" in reading.content.reason_vi


def test_a_file_whose_time_runs_out_is_unreadable_for_lack_of_time():
    reading = read_data("x", document("decision-scan.pdf"), dataclasses.replace(LIMITS, file_budget_s=0))
    assert reading.problem == P.TIME_BUDGET and reading.transient


def test_pages_beyond_the_page_limit_are_left_unread_and_the_reading_says_so():
    long_doc = EvidenceDoc(body=tuple(f"Đoạn {i}: nội dung báo cáo chuyển đổi số của đơn vị." * 4 for i in range(90)))
    data = text_pdf(long_doc)
    assert len(PdfReader(io.BytesIO(data)).pages) >= 3
    ex = extract(data, dataclasses.replace(LIMITS, max_pages=2))
    assert ex.truncated and len(ex.pages) == 2 and ex.page_count >= 3 and ex.problem is None


def test_only_so_many_pages_go_through_ocr():
    scan = document("decision-scan.pdf")
    ex = extract(scan, dataclasses.replace(LIMITS, ocr_max_pages=0))
    assert ex.ocr_pages == 0 and ex.truncated


def test_a_blank_form_is_told_apart_from_a_filled_document():
    blank = read_data("x", text_pdf(DECISION.blanked()), LIMITS)
    assert blank.content.verdict == V.BLANK_TEMPLATE and blank.fields.number is None
    assert "Mẫu trống" in blank.content.reason_vi and "Số: /QĐ-STP" in blank.content.reason_vi
    empty = read_data("x", docx(["", " "]), LIMITS)
    assert empty.content.verdict == V.NO_TEXT and "0 chữ cái" in empty.content.reason_vi


def test_a_page_preview_is_drawn_for_the_claim_page():
    png = preview_png(document("decision-scan.pdf"), page=1, width=600)
    assert png.startswith(b"\x89PNG") and Image.open(io.BytesIO(png)).width == 600
    assert preview_png(document("decision-scan.pdf"), page=2) is None
    assert preview_png(document("report.docx")) is None


def test_a_freak_page_gets_a_bounded_preview_not_half_a_gigapixel():
    strip = FPDF(unit="pt", format=(20, 14000))  # 900 px wide would make it 567 million pixels
    strip.add_page()
    strip.set_font("helvetica", size=8)
    strip.text(2, 20, "x")
    png = preview_png(bytes(strip.output()), page=1)
    size = Image.open(io.BytesIO(png)).size
    assert size[0] * size[1] <= PREVIEW_PIXELS * 1.02 and size[1] > 10_000  # the whole strip, drawn smaller


def test_a_long_text_is_searched_for_every_term_quickly():
    text = ("Nội dung báo cáo về tình hình kinh tế xã hội của tỉnh trong năm. " * 3000) + "Kế hoạch chuyển đổi số"
    started = time.perf_counter()
    found = find_terms(text, [f"cụm từ không có số {i}" for i in range(30)] + ["chuyển đổi số"], None)
    assert [m.term for m in found] == ["chuyển đổi số"] and time.perf_counter() - started < 5
