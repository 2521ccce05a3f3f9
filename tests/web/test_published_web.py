"""A period published from the admin page is frozen for every web write path (issue 21): a staff member's
form upload (rows kept in quarantine with the reason), a council decision, a unit's evidence and a phase
change are refused, and the publication's outputs are written from its frozen copy."""

from __future__ import annotations

import io

import sqlalchemy as sa

from dti.settings import get_settings
from dti.warehouse.db import session_scope
from dti.warehouse.models import ClaimLedgerRow, EvidenceFile, PeriodPhase, QuarantineRow, SelfReport
from tests.review_fixtures import PDF, PERIOD, Browser, decision_count, filled_form, review_app


def _published(warehouse):
    app = review_app(warehouse, "final", signed_off=True)
    admin = Browser(app, "quantri")
    admin.get("/quan-tri")
    r = admin.post("/quan-tri/cong-bo", {"period": PERIOD, "decision": "123/QĐ-UBND", "signed_on": "2026-03-31"})
    assert r.status_code == 302
    return app, admin


def _ledger(url) -> list[tuple]:
    with session_scope(url) as s:
        return [(r.unit_code, r.indicator_code, r.verified_value, r.verified_points) for r in s.scalars(
            sa.select(ClaimLedgerRow).order_by(ClaimLedgerRow.unit_code, ClaimLedgerRow.indicator_code))]


def test_publishing_from_the_admin_page_writes_the_outputs_from_the_copy(warehouse):
    app, admin = _published(warehouse)
    folder = get_settings().out_dir / "cong-bo" / PERIOD / "lan-1"
    assert "Kết quả công bố đã ghi tại" in admin.get("/quan-tri").get_data(as_text=True)
    assert {"report.html", "council.xlsx", "claim_ledger.csv", "verified_scores.csv"} <= {
        p.name for p in folder.iterdir()}
    assert "123/QĐ-UBND" in app.test_client().get(f"/cong-khai/{PERIOD}").get_data(as_text=True)


def test_every_web_write_to_a_published_period_is_refused_and_nothing_moves(warehouse, tmp_path):
    app, admin = _published(warehouse)
    before, decisions = _ledger(warehouse), decision_count(warehouse)
    with session_scope(warehouse) as s:
        reports = s.scalar(sa.select(sa.func.count()).select_from(SelfReport))

    staff = Browser(app, "canbo")  # DTI staff may import a unit's form in any phase, but not into a frozen one
    staff.get("/nop-bieu-mau")
    r = staff.post("/nop-bieu-mau", {"file": (io.BytesIO(filled_form(tmp_path, "D01")), "tu-danh-gia-D01.xlsx")})
    assert "đã công bố theo Quyết định 123/QĐ-UBND" in r.get_data(as_text=True)
    with session_scope(warehouse) as s:
        kept = s.scalars(sa.select(QuarantineRow)).all()  # refused rows are kept, with why
        frozen = [q for q in kept if any(r["code"] == "period_published" for r in q.reasons)]
        assert len(frozen) > 30  # every row the form would otherwise have filed (the rest fail other checks)
        assert s.scalar(sa.select(sa.func.count()).select_from(SelfReport)) == reports

    council = Browser(app, "hoidong1")
    council.get(f"/chi-tieu/{PERIOD}/D01/F5")
    r = council.post(f"/chi-tieu/{PERIOD}/D01/F5/quyet-dinh",
                     {"action": "set_value", "value": "0.5", "reason": "sửa sau công bố", "version": "1"})
    assert r.status_code == 409 and "đã công bố theo Quyết định 123/QĐ-UBND" in r.get_data(as_text=True)

    unit = Browser(app, "donvi1")
    unit.get("/don-vi/D01")
    r = unit.post("/don-vi/D01/minh-chung", {"period": PERIOD, "file": (io.BytesIO(PDF), "kh.pdf")})
    assert r.status_code == 409

    admin.get("/quan-tri")
    r = admin.post("/quan-tri/giai-doan", {"period": PERIOD, "phase": "appraisal"})
    assert r.status_code == 409 and "đã công bố" in r.get_data(as_text=True)

    assert _ledger(warehouse) == before and decision_count(warehouse) == decisions
    with session_scope(warehouse) as s:
        assert s.get(PeriodPhase, PERIOD).phase == "published"
        assert s.scalars(sa.select(EvidenceFile)).all() == []


def test_the_public_page_answers_any_version_number_with_a_page_not_a_crash(warehouse):
    app, _admin = _published(warehouse)
    anon = app.test_client()
    assert anon.get(f"/cong-khai/{PERIOD}?ban=1").status_code == 200
    for wanted in ("2", "0", "99999999999999999999999", "-1", "abc", "1%00"):
        r = anon.get(f"/cong-khai/{PERIOD}?ban={wanted}")
        assert r.status_code in (200, 404), wanted  # the copy in force, or "not published": never a 500
