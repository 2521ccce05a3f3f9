"""The report screenshots in docs/img, taken from what the code produces: a fixed synthetic province (tiny,
one seed) verified at a fixed time, its report.html opened in Debian's chromium.

    python -m application.screenshots [--out docs/img]      (make screenshots)
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

from dti.reports.context import gather
from dti.reports.html import render_report
from dti.settings import TZ
from dti.sync import sync_source
from dti.verification.steps import run_period
from dti.warehouse import Warehouse
from simulators.generator import generate
from simulators.in_process import in_process_sources
from simulators.load import load_self_reports, load_units

CHROMIUM = "/usr/bin/chromium"
SEED = 20251231
PERIOD = "2025-R3"
AT = dt.datetime(2026, 1, 6, 8, 0, tzinfo=TZ)
DOCS = Path(__file__).resolve().parents[1] / "docs" / "img"
VIEWPORT = {"width": 1400, "height": 1000}
SHOTS = ("report.png", "report-claims.png")


def report_html(work: Path) -> Path:
    """Generate, sync and verify the fixed province in `work`; write its report.html there."""
    root = work / "sim"
    generate(root, seed=SEED, scale="tiny", period=PERIOD)
    url = f"sqlite:///{work / 'warehouse.db'}"
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


def shoot(html: Path, out: Path) -> list[Path]:
    """The report's top (summary and charts) and its claims table, as PNG files in `out`."""
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
            top, claims = (out / name for name in SHOTS)
            page.screenshot(path=str(top))
            page.locator("section", has=page.locator("#claims")).screenshot(path=str(claims))
        finally:
            browser.close()
    return [top, claims]


def take(out: Path = DOCS) -> list[Path]:
    with tempfile.TemporaryDirectory(prefix="dti-shots-") as work:
        return shoot(report_html(Path(work)), out)


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
