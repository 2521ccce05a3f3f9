"""Every planted misreport beyond tolerance is caught; no honest claim within tolerance is flagged."""

from __future__ import annotations

import pytest

from dti.accuracy import accuracy
from simulators.generator import Scale
from tests.pipeline_helpers import verified_province


@pytest.mark.slow
def test_recall_one_and_no_false_positives_on_a_larger_province(tmp_path, sqlite_url):
    scale = Scale("test-large", departments=40, communes=0, dossiers_per_unit=250, documents_per_unit=150,
                  incidents_per_unit=10, procedures_per_unit=15)
    root = tmp_path / "sim"
    _gen, result = verified_province(root, sqlite_url, seed=424242, scale=scale)
    acc = accuracy(result["claims"], root / "truth.json")
    assert acc["planted_beyond_tolerance"] >= 100
    assert acc["within_tolerance"] >= 300
    assert acc["recall"] == 1.0, acc["missed"]
    assert acc["false_positive_rate"] == 0.0
    assert acc["not_checkable"] == 0


def test_accuracy_counts_a_miss(tmp_path, sqlite_url):
    """The measure itself can fail: hide one detected discrepancy and recall drops below 1."""
    root = tmp_path / "sim"
    _gen, result = verified_province(root, sqlite_url, seed=8, scale="tiny")
    claims = result["claims"]
    flagged = [c for c in claims if c.outcome == "discrepancy"]
    assert flagged
    flagged[0].outcome = "verified"
    acc = accuracy(claims, root / "truth.json")
    assert acc["recall"] < 1.0
    assert f"{flagged[0].unit_code}/{flagged[0].indicator_code}" in acc["missed"]
