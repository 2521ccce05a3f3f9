"""The council queue and the claim page show each evidence-only claim's risk with its reasons and the proposed
sample, and order the queue by points at stake × risk."""

from __future__ import annotations

from decimal import Decimal

from dti.warehouse.db import session_scope
from dti.warehouse.models import ClaimLedgerRow
from review import create_app
from tests.review_fixtures import FRAMEWORK, PERIOD, Browser, seed_review


def _evidence_claim(code, self_points, citations):
    return ClaimLedgerRow(unit_code="D01", period=PERIOD, indicator_code=code, framework_id=FRAMEWORK,
                          main_index_code="I", source="EVD", measure="bool", max_points=Decimal("20"),
                          self_value=Decimal("1"), self_points=Decimal(self_points), outcome="evidence_only",
                          verified_value=Decimal("1"), verified_points=Decimal(self_points), citations=citations)


def test_queue_shows_risk_reasons_and_the_sample(warehouse):
    seed_review(warehouse)
    with session_scope(warehouse) as s:
        s.add(_evidence_claim("A1", "20", [{"raw": "77/KH-UBND ngày 1/3/2025", "status": "not_found"}]))
        s.add(_evidence_claim("A2", "20", [{"raw": "5/QĐ-UBND", "status": "found"}]))
    b = Browser(create_app(url=warehouse), "hoidong1")
    page = b.get(f"/hang-doi?ky={PERIOD}").get_data(as_text=True)
    assert "Mẫu kiểm tra sâu đề xuất" in page and "Ngoài mẫu" in page
    # A1 (20 points × 0.9) is worth more of the council's time than A2 (20 × 0) and the 10-point discrepancy.
    assert page.index("/D01/A1") < page.index("/D01/F12") < page.index("/D01/A2")
    assert "Văn bản trích dẫn không có hoặc sai ngày" in page and "90%" in page
    sample_only = b.get(f"/hang-doi?ky={PERIOD}&mau=1").get_data(as_text=True)
    assert "/D01/A1" in sample_only and "/D01/F12" not in sample_only
    claim = b.get(f"/chi-tieu/{PERIOD}/D01/A1").get_data(as_text=True)
    assert 'id="risk"' in claim and "77/KH-UBND" in claim and "trong mẫu kiểm tra sâu" in claim


def test_a_submitter_sees_neither_risk_nor_sample(warehouse):
    seed_review(warehouse)
    with session_scope(warehouse) as s:
        s.add(_evidence_claim("A1", "20", []))
    own = Browser(create_app(url=warehouse), "donvi1")
    page = own.get(f"/hang-doi?ky={PERIOD}").get_data(as_text=True)
    assert "/D01/A1" in page and "Mẫu kiểm tra sâu" not in page and "Không trích dẫn" not in page
    assert 'id="risk"' not in own.get(f"/chi-tieu/{PERIOD}/D01/A1").get_data(as_text=True)
    other = Browser(create_app(url=warehouse), "donvi2").get(f"/hang-doi?ky={PERIOD}").get_data(as_text=True)
    assert "/D01/A1" not in other
