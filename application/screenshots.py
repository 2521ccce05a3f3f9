"""The screenshots in docs/img, taken from what the code produces: a fixed synthetic province (tiny, one seed)
verified at a fixed time, its report.html opened in Debian's chromium, and the review app served on it, showing
the claim page of the claim with the most records (its drill-down: totals, paging, numerator marks, CSV).

    python -m application.screenshots [--out docs/img]      (make screenshots)
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from werkzeug.serving import WSGIRequestHandler, make_server

from dti.appraisal.accounts import create_user
from dti.reports.context import gather
from dti.reports.html import render_report
from dti.settings import TZ, get_settings
from dti.sync import sync_source
from dti.verification.steps import run_period
from dti.vocabulary import Role
from dti.warehouse import Warehouse
from dti.warehouse.models import ClaimLedgerRow
from review import create_app
from simulators.generator import generate
from simulators.in_process import in_process_sources
from simulators.load import load_self_reports, load_units

CHROMIUM = "/usr/bin/chromium"
SEED = 20251231
PERIOD = "2025-R3"
AT = dt.datetime(2026, 1, 6, 8, 0, tzinfo=TZ)
DOCS = Path(__file__).resolve().parents[1] / "docs" / "img"
VIEWPORT = {"width": 1400, "height": 1000}
SHOTS = ("report.png", "report-claims.png", "claim.png")
USER, PASSWORD = "hoidong1", "anh-chup-man-hinh-1"


def report_html(work: Path) -> Path:
    """Generate, sync and verify the fixed province in `work`; write its report.html there (the warehouse
    stays in `work`, for the claim page)."""
    root = work / "sim"
    generate(root, seed=SEED, scale="tiny", period=PERIOD)
    url = _warehouse_url(work)
    wh = Warehouse(url).migrate()
    load_units(root, url)
    load_self_reports(root, url)
    sources = in_process_sources(root)
    for source in ("DVC", "DOC", "SEC"):
        sync_source(source, sources[source.lower()], url=url, batch_prefix="shot", fetched_at=AT)
    run_period(wh, PERIOD, as_of=AT)
    with wh.session() as s:
        html = render_report(gather(s, PERIOD, as_of=AT + dt.timedelta(minutes=20)))
    path = work / "report.html"
    path.write_text(html, encoding="utf-8")
    return path


def _warehouse_url(work: Path) -> str:
    return f"sqlite:///{work / 'warehouse.db'}"


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # no line per request on the console
        pass


@contextmanager
def review_app(work: Path) -> Iterator[tuple[str, str]]:
    """The review app on the province in `work`, served on a free local port with one council account:
    (its base URL, the path of the claim with the most records)."""
    url = _warehouse_url(work)
    wh = Warehouse(url)
    with wh.transaction() as s:
        create_user(s, USER, Role.COUNCIL, PASSWORD, None, "Thành viên Hội đồng")
        row = s.scalars(sa.select(ClaimLedgerRow).where(ClaimLedgerRow.period == PERIOD).order_by(
            ClaimLedgerRow.record_count.desc(), ClaimLedgerRow.unit_code, ClaimLedgerRow.indicator_code)).first()
        path = f"/chi-tieu/{row.period}/{row.unit_code}/{row.indicator_code}"
    # the session key the app generates stays in `work`
    settings = dataclasses.replace(get_settings(), data_dir=work, database_url=url)
    server = make_server("127.0.0.1", 0, create_app(settings, url=url), threaded=True,
                         request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", path
    finally:
        server.shutdown()
        thread.join()



def shoot(html: Path, out: Path, app: tuple[str, str] | None = None) -> list[Path]:
    """The report's top (summary and charts) and its claims table, and with `app` (base URL, claim path) the
    claim page's drill-down, as PNG files in `out`."""
    # lazy: Playwright is needed only to take screenshots
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport=VIEWPORT, locale="vi-VN")
            page.goto(html.as_uri())
            page.wait_for_selector("body[data-ready='1']")
            top, claims, claim = (out / name for name in SHOTS)
            page.screenshot(path=str(top))
            page.locator("section", has=page.locator("#claims")).screenshot(path=str(claims))
            if app is None:
                return [top, claims]
            base, path = app
            page.goto(f"{base}/dang-nhap")
            page.fill("#username", USER)
            page.fill("#password", PASSWORD)
            page.locator("form button[type=submit], form input[type=submit]").first.click()
            page.wait_for_load_state()
            page.goto(f"{base}{path}#records-heading")
            page.wait_for_selector("#records")
            page.screenshot(path=str(claim))
        finally:
            browser.close()
    return [top, claims, claim]


def take(out: Path = DOCS) -> list[Path]:
    with tempfile.TemporaryDirectory(prefix="dti-shots-") as work:
        html = report_html(Path(work))
        with review_app(Path(work)) as app:
            return shoot(html, out, app)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Chụp màn hình báo cáo cho docs/ / report screenshots for docs/"
    )
    parser.add_argument("--out", type=Path, default=DOCS, help="thư mục ảnh / folder for the PNG files")
    args = parser.parse_args(argv)
    for path in take(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
