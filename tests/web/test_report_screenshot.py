"""The report screenshots in docs/img are what the code produces now: taken again from the same fixed
province, they differ from the committed ones in almost no pixel (`make screenshots` refreshes them)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from application.screenshots import CHROMIUM, DOCS, SHOTS, take
from tests.browser import require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]
MAX_DIFFERENT = 0.01  # share of pixels allowed to differ (font hinting, antialiasing)

COMPARE = """async ([a, b]) => {
  const load = src => new Promise((ok, bad) => {
    const i = new Image(); i.onload = () => ok(i); i.onerror = bad; i.src = src;
  });
  const [x, y] = [await load(a), await load(b)];
  if (x.width !== y.width || x.height !== y.height) {
    return {size: [x.width, x.height, y.width, y.height], share: 1};
  }
  const pixels = img => {
    const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
    const g = c.getContext('2d'); g.drawImage(img, 0, 0);
    return g.getImageData(0, 0, img.width, img.height).data;
  };
  const [p, q] = [pixels(x), pixels(y)];
  let differ = 0;
  for (let i = 0; i < p.length; i += 4) {
    if (Math.abs(p[i] - q[i]) + Math.abs(p[i + 1] - q[i + 1]) + Math.abs(p[i + 2] - q[i + 2]) > 48) differ++;
  }
  return {size: [x.width, x.height], share: differ / (p.length / 4)};
}"""


def _uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def test_the_screenshots_in_docs_match_what_the_code_produces(tmp_path):
    require_chromium()  # application.screenshots launches the same /usr/bin/chromium
    # lazy: Playwright is loaded only once Chromium is known to be there
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    fresh = take(tmp_path)
    assert [p.name for p in fresh] == list(SHOTS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        try:
            page = browser.new_page()
            for name in SHOTS:
                result = page.evaluate(COMPARE, [_uri(DOCS / name), _uri(tmp_path / name)])
                assert result["share"] <= MAX_DIFFERENT, (name, result)
        finally:
            browser.close()
