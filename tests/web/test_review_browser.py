"""End to end in Debian's chromium: log in, open the queue, decide with a reason, see the score move, export."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from openpyxl import load_workbook
from werkzeug.serving import make_server

from review import create_app
from tests.browser import ARGS, CHROMIUM, require_chromium
from tests.review_fixtures import PASSWORD, PERIOD, SCRIPT_NAME, seed_review

OUTPUT = Path(__file__).resolve().parents[1] / "output"

pytestmark = pytest.mark.browser



@pytest.fixture
def server(warehouse):
    seed_review(warehouse)
    app = create_app(url=warehouse)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}"
    finally:
        srv.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def page():
    require_chromium()
    # lazy: Playwright is loaded only once Chromium is known to be there
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, timeout=30_000)
        context = browser.new_context(accept_downloads=True, locale="vi-VN")
        context.set_default_timeout(15_000)
        pg = context.new_page()
        dialogs: list[str] = []
        pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        pg.dialogs = dialogs
        try:
            yield pg
        finally:
            context.close()
            browser.close()


@pytest.mark.slow
def test_council_member_decides_and_exports_in_a_real_browser(server, page, tmp_path):
    page.goto(f"{server}/hang-doi")
    # Not logged in: the app sends us to the log-in form.
    assert "/dang-nhap" in page.url
    page.fill("#username", "hoidong1")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit] >> text=Đăng nhập")
    page.wait_for_url(f"{server}/hang-doi*")

    queue_rows = page.locator("#queue tbody tr")
    assert queue_rows.count() == 4
    # Largest points at stake first: D01/F12 (10.5) before D02/F12 (9).
    assert queue_rows.nth(0).locator("td").nth(1).inner_text() == "F12"
    # A unit named like a script shows as text and never runs.
    assert SCRIPT_NAME in page.locator("#queue").inner_text()
    assert page.dialogs == []

    page.click(f"a[href='/chi-tieu/{PERIOD}/D01/F5']")
    assert page.locator("#verified-points").inner_text() == "36,00 / 40,00"
    assert page.locator("#records tbody tr").count() == 3
    assert "Kế hoạch số 45/KH-UBND" in page.locator("#citations").inner_text()
    page.select_option("#action", "keep_claim")
    page.fill("#reason", "Đơn vị đã giải trình: 3 hồ sơ trễ do lỗi đồng bộ của hệ thống")
    page.click("#decision-form button[type=submit]")
    page.wait_for_selector(".flash.ok")
    assert "36,00 → 40,00" in page.locator(".flash.ok").inner_text()
    assert page.locator("#verified-points").inner_text() == "40,00 / 40,00"
    assert "3 hồ sơ trễ do lỗi đồng bộ" in page.locator("#history").inner_text()

    page.click("text=Điểm & xếp hạng")
    assert page.locator("td[data-unit=D01]").inner_text() == "58,00 / 1000,00"
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "review-scores-after-decision.png"), full_page=True)

    with page.expect_download() as info:
        page.click("text=Xuất Excel")
    target = tmp_path / "hoi-dong.xlsx"
    info.value.save_as(target)
    assert info.value.suggested_filename == f"hoi-dong-tham-dinh-{PERIOD}.xlsx"
    wb = load_workbook(target)
    cells = {
        str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None
    }
    assert {"D01", "F5", "F12"} <= cells
    assert (OUTPUT / "review-scores-after-decision.png").stat().st_size > 10_000


def test_submitter_is_kept_to_its_own_unit_in_the_browser(server, page):
    page.goto(f"{server}/dang-nhap")
    page.fill("#username", "donvi1")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit] >> text=Đăng nhập")
    page.wait_for_url(f"{server}/don-vi/D01*")
    assert page.locator("#unit-name").inner_text().startswith("Sở Tư pháp")
    response = page.goto(f"{server}/don-vi/D02")
    assert response.status == 403
    assert "không có quyền" in page.locator("#error-message").inner_text()
    assert page.dialogs == []
