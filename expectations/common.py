"""Shared pieces of the suites: the frames they run on and the conversion to check history rows."""

from __future__ import annotations

import datetime as dt

from dti.settings import TZ
from dti.warehouse import Warehouse
from dti.warehouse.models import CheckResult
from expectations.adapter import SuiteOutcome


def record_history(wh: Warehouse, outcome: SuiteOutcome, *, asset: str, partition: str | None,
                   run_id: str | None) -> None:
    """Every check result is kept: one row per expectation per run."""
    now = dt.datetime.now(TZ)
    with wh.session() as s, s.begin():
        for r in outcome.results:
            s.add(CheckResult(run_id=run_id, asset=asset, check_name=r.name, partition=partition,
                              severity=r.severity, success=r.success, failing_count=r.failing_count,
                              failing_rows=r.failing_rows[:50], checked_at=now))
