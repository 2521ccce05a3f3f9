"""Under CI=true a missing real component fails its tests; only outside CI may they skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import browser, conftest


def _closed_port() -> int:
    return 1  # tcpmux: nothing listens there on this machine


@pytest.mark.parametrize("ci, outcome", [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_a_service_that_is_down_fails_under_ci_and_skips_only_outside(monkeypatch, ci, outcome):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="not reachable"):
        conftest._require(_closed_port(), "a service")


@pytest.mark.parametrize("ci, outcome", [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_a_missing_chromium_fails_under_ci_and_skips_only_outside(monkeypatch, ci, outcome):
    monkeypatch.setenv("CI", ci)
    monkeypatch.setattr(browser, "CHROMIUM", Path("/nonexistent/chromium"))
    with pytest.raises(outcome, match="is missing"):
        browser.require_chromium()
