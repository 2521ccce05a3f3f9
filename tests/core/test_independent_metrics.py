"""The demo's objective values agree with a recomputation from the raw records by the written rules
(tests/independent_metrics.py applies dti.metrics.rules record by record)."""

from __future__ import annotations

import datetime as dt

from tests.independent_metrics import disagreements
from tests.pipeline_helpers import PERIOD, verified_province

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def test_demo_objective_values_agree_with_the_written_rules(tmp_path, sqlite_url):
    # the demo's own province: its seed and scale
    verified_province(tmp_path / "sim", sqlite_url, seed=20251231, scale="demo")
    compared, differ = disagreements(sqlite_url, PERIOD, YEAR)
    assert compared >= 200
    assert differ == []


def test_the_recomputation_sees_a_rule_the_pipeline_breaks(tmp_path, sqlite_url, monkeypatch):
    """Counted the old way (confidential work files in F14, dossiers done after 31/12 dropped from F5), the
    pipeline's values no longer agree with the rules — the comparison is not vacuous."""
    monkeypatch.setenv(
        "DTI_METRIC_OPEN_PAST_DUE_LATE", "false"
    )  # the pipeline drops late unfinished dossiers
    verified_province(tmp_path / "sim", sqlite_url, seed=20251231, scale="demo")
    _compared, differ = disagreements(sqlite_url, PERIOD, YEAR)
    assert {metric for _u, _i, metric, _a, _b in differ} == {"dvc_on_time_rate"}
