"""report.html in Debian's chromium with a previous period and the review app's address set: ranks resting on
provisional points carry the «tạm» mark, the change table and the waterfall of the chosen unit are drawn,
and each claim row links to its claim page — with no network request and no script error."""

from __future__ import annotations

from pathlib import Path

import pytest

from dti.reports.html import render_report
from tests.browser import ARGS, CHROMIUM, require_chromium
from tests.report_fixtures import big_context, unit_code, with_previous

pytestmark = [pytest.mark.browser, pytest.mark.slow]
BASE = "http://127.0.0.1:8765"


@pytest.fixture(scope="module")
def ctx():
    ctx = with_previous(big_context(30))
    ctx.link_base = BASE
    return ctx


@pytest.fixture(scope="module")
def page(ctx, tmp_path_factory):
    require_chromium()
    # lazy: Playwright is loaded only once Chromium is known to be there
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    path: Path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_report(ctx), encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, timeout=30_000)
        try:
            pg = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
            pg.requests, pg.errors = [], []
            pg.on("request", lambda r: pg.requests.append(r.url))
            pg.on("pageerror", lambda e: pg.errors.append(str(e)))
            pg.goto(path.as_uri())
            pg.wait_for_selector("body[data-ready='1']", timeout=30_000)
            pg.wait_for_selector("#changes .tabulator-row", timeout=30_000)
            yield pg
        finally:
            browser.close()


def test_ranks_on_provisional_points_show_the_mark(ctx, page):
    cells = page.eval_on_selector_all(
        "#ranking .tabulator-row .tabulator-cell[tabulator-field='vr']",
        "cs => cs.map(c => c.innerText.trim())",
    )
    marked = sum(1 for text in cells if text.endswith("tạm"))
    assert marked == sum(1 for s in ctx.scores if s.rank_on_provisional) > 0


def test_the_change_table_and_the_waterfall_are_drawn(ctx, page):
    rows = page.eval_on_selector_all("#changes .tabulator-row", "rs => rs.length")
    assert rows == min(len(ctx.scores), 25)
    bars = page.evaluate("() => Chart.getChart('chart-change').data.labels.length")
    chosen = page.eval_on_selector("#f-change-unit", "s => s.value")
    steps = len(ctx.changes()[chosen].steps)
    assert bars == steps + 2  # previous total, one bar per indicator that moved, current total
    page.select_option("#f-change-unit", unit_code(1))
    labels = page.evaluate("() => Chart.getChart('chart-change').data.labels")
    assert labels[0] == "Kỳ 2024-R3" and labels[-1] == "Kỳ 2025-R3"
    assert len(labels) == len(ctx.changes()[unit_code(1)].steps) + 2


def test_each_claim_row_links_to_its_claim_page(ctx, page):
    hrefs = page.eval_on_selector_all(
        "#claims .tabulator-row .tabulator-cell[tabulator-field='io'] a", "as => as.map(a => a.href)"
    )
    assert hrefs and all(h.startswith(f"{BASE}/chi-tieu/2025-R3/000.00.") for h in hrefs)
    assert not page.errors
    assert all(url.startswith("file://") or url.startswith("data:") for url in page.requests), page.requests
