"""Detection accuracy against the answer key: perfect when the engine is right, and measurably worse when the
tolerance or a metric is broken — the figure is not perfect by construction."""

from __future__ import annotations

from decimal import Decimal

import pytest

import dti.reconciliation
from dti.accuracy import accuracy
from dti.metrics import compute
from simulators.generator import Scale
from tests.pipeline_helpers import run_verification, verified_province


def _band(acc: dict, label: str) -> dict:
    return next(b for b in acc["by_distance"] if b["band"] == label)


@pytest.mark.slow
def test_recall_one_and_no_false_positives_on_a_larger_province(tmp_path, sqlite_url):
    scale = Scale(
        "test-large",
        departments=40,
        communes=0,
        dossiers_per_unit=250,
        documents_per_unit=150,
        incidents_per_unit=10,
        procedures_per_unit=15,
    )
    root = tmp_path / "sim"
    _gen, result = verified_province(root, sqlite_url, seed=424242, scale=scale)
    acc = accuracy(result["claims"], root / "truth.json")
    assert acc["planted_beyond_tolerance"] >= 100
    assert acc["within_tolerance"] >= 300
    assert acc["recall"] == 1.0, acc["missed"]
    assert acc["false_positive_rate"] == 0.0
    assert acc["not_checkable"] == 0
    # claims sit in every band, on every source
    assert all(b["claims"] >= 10 for b in acc["by_distance"]), acc["by_distance"]
    assert set(acc["by_source"]) == {"DVC", "DOC", "SEC"}
    assert all(s["beyond"] and s["within"] for s in acc["by_source"].values())


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    root = tmp_path_factory.mktemp("acc")
    url = f"sqlite:///{root / 'w.db'}"
    verified_province(root / "sim", url, seed=8, scale="demo")
    return root / "sim", url


def test_claims_straddle_the_tolerance_line(province):
    root, url = province

    acc = accuracy(run_verification(url)["claims"], root / "truth.json")
    assert acc["recall"] == 1.0 and acc["false_positive_rate"] == 0.0, acc["missed"]
    # honest mistakes beyond the line are counted with the misreports, and the near band is populated
    assert acc["beyond_tolerance"] > acc["planted_beyond_tolerance"] > 0
    assert _band(acc, "1–1.5×")["claims"] >= 5
    assert acc["confusion"]["within_tolerance"]["verified"] == acc["within_tolerance"]
    # claims on both sides of the line on every source and kind of indicator
    for tally in (*acc["by_source"].values(), *acc["by_measure"].values()):
        assert tally["beyond"] and tally["within"], acc["by_source"]
    assert set(acc["by_source"]) == {"DVC", "DOC", "SEC"} and set(acc["by_measure"]) == {"rate", "count"}


def test_a_doubled_tolerance_loses_the_claims_just_beyond_it(province, monkeypatch):
    root, url = province

    right = dti.reconciliation.tolerance_value
    monkeypatch.setattr(dti.reconciliation, "tolerance_value", lambda fw, leaf, obj: 2 * right(fw, leaf, obj))
    acc = accuracy(run_verification(url)["claims"], root / "truth.json")
    assert acc["recall"] < 1.0
    assert _band(acc, "1–1.5×")["recall"] < 0.5  # nearly all of the near band passes a doubled tolerance
    assert _band(acc, ">3×")["recall"] == 1.0  # gross misreports still show
    assert acc["confusion"]["beyond_tolerance"]["verified"] > 0


def test_a_broken_metric_flags_honest_claims(province, monkeypatch):
    """A metric 3 points off (as a wrong window or definition would make it) turns honest claims into
    discrepancies and lets some misreports through."""
    root, url = province

    right = compute.SUBMIT["DVC"]

    def broken(run, units, window, reading):
        collect = right(run, units, window, reading)

        def values():
            out = collect()
            for metrics in out.values():
                got = metrics.get("dvc_online_submission_rate")
                if got and got[0] is not None:
                    metrics["dvc_online_submission_rate"] = (got[0] - Decimal("0.03"), *got[1:])
            return out

        return values

    monkeypatch.setitem(compute.SUBMIT, "DVC", broken)
    acc = accuracy(run_verification(url)["claims"], root / "truth.json")
    assert acc["false_positive_rate"] > 0 or acc["recall"] < 1.0
    assert acc["false_positives"] > 0


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
