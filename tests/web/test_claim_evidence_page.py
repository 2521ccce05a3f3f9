"""The claim page shows each evidence file as read: every check with its verdict and reason, the fields the
document states beside the citation with the words they were read from highlighted, the indicator's terms
found, and a preview of its pages that only those who may download the file can see."""

from __future__ import annotations

import re
from decimal import Decimal

from dti.evidence.service import read_period
from dti.settings import get_settings
from dti.warehouse import Warehouse
from dti.warehouse.db import session_scope
from dti.warehouse.models import ClaimLedgerRow
from review import create_app
from tests.evidence_fixtures import PERIOD, Filing, file_evidence, seed_evidence_world
from tests.review_fixtures import FRAMEWORK, Browser

FILINGS = [Filing("decision-scan.pdf", "D01", "A1"), Filing("wrong-number.pdf", "D02", "A1"),
           Filing("report.docx", "D01", "B2")]


def _world(warehouse) -> dict[str, str]:
    seed_evidence_world(warehouse)
    ids = file_evidence(warehouse, FILINGS)
    read_period(Warehouse(warehouse), PERIOD, files_dir=get_settings().files_dir)
    with session_scope(warehouse) as s:
        for unit, code in (("D01", "A1"), ("D02", "A1"), ("D01", "B2")):
            s.add(ClaimLedgerRow(unit_code=unit, period=PERIOD, indicator_code=code, framework_id=FRAMEWORK,
                                 main_index_code=code[0], source="EVD", measure="tier", max_points=Decimal(15),
                                 self_value=Decimal(1), self_points=Decimal(15), outcome="evidence_only",
                                 verified_points=Decimal(15)))
    return ids


def _sha(page: str) -> str:
    return re.search(r"/minh-chung/([0-9a-f]{64})/trang-1\.png", page).group(1)


def test_a_scanned_decision_shows_its_fields_beside_the_citation_and_a_preview(warehouse):
    _world(warehouse)
    council = Browser(create_app(url=warehouse), "hoidong1")
    page = council.get(f"/chi-tieu/{PERIOD}/D01/A1").get_data(as_text=True)
    assert "<td>123/QĐ-STP ngày 05/3/2025</td>" in page  # the citation …
    assert "<strong>123/QĐ-STP</strong>" in page and "<strong>05/03/2025</strong>" in page  # … and the file
    assert "<mark>123/QĐ-STP</mark>" in page  # the words the number was read from, highlighted
    assert "trang đọc bằng OCR" in page  # an image-only scan, read by OCR
    assert "<mark>Ban chỉ đạo</mark>" in page  # the indicator's terms it carries
    assert "Đúng văn bản được trích dẫn</td><td class=\"verdict-ok\">Phù hợp" in page
    preview = council.get(f"/minh-chung/{_sha(page)}/trang-1.png")
    assert preview.status_code == 200 and preview.mimetype == "image/png"
    assert preview.get_data()[:8] == b"\x89PNG\r\n\x1a\n"
    assert council.get(f"/minh-chung/{_sha(page)}/trang-2.png").status_code == 404  # a one-page scan


def test_a_wrong_document_says_why_in_words(warehouse):
    _world(warehouse)
    page = Browser(create_app(url=warehouse), "hoidong1").get(f"/chi-tieu/{PERIOD}/D02/A1").get_data(as_text=True)
    assert 'class="verdict-bad">Không phải văn bản được trích dẫn' in page
    assert "Văn bản mang số 128/QĐ-SNV, khác văn bản được trích dẫn (123/QĐ-SNV ngày 05/03/2025)" in page


def test_an_office_file_has_fields_but_no_page_preview(warehouse):
    _world(warehouse)
    page = Browser(create_app(url=warehouse), "hoidong1").get(f"/chi-tieu/{PERIOD}/D01/B2").get_data(as_text=True)
    assert "<strong>95/BC-STP</strong>" in page and "report.docx" in page
    assert "/trang-1.png" not in page


def test_another_units_account_cannot_preview_the_file(warehouse):
    _world(warehouse)
    page = Browser(create_app(url=warehouse), "hoidong1").get(f"/chi-tieu/{PERIOD}/D01/A1").get_data(as_text=True)
    sha = _sha(page)
    assert Browser(create_app(url=warehouse), "donvi2").get(f"/minh-chung/{sha}/trang-1.png").status_code == 404
    assert Browser(create_app(url=warehouse), "donvi1").get(f"/minh-chung/{sha}/trang-1.png").status_code == 200
    assert Browser(create_app(url=warehouse), "donvi1").get(f"/minh-chung/{sha}/trang-0.png").status_code == 404
