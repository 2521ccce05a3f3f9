"""Turning a Great Expectations outcome into Dagster asset check results (and check history)."""

from __future__ import annotations

import dagster as dg

from expectations.adapter import ERROR, SuiteOutcome
from expectations.common import record_history


def check_results(outcome: SuiteOutcome, *, asset: str, context: dg.AssetExecutionContext, url: str,
                  check_names: list[str] | None = None) -> list[dg.AssetCheckResult]:
    """One AssetCheckResult per named check: ERROR checks fail hard, WARN checks warn."""
    partition = context.partition_key if context.has_partition_key else None
    record_history(outcome, asset=asset, partition=partition, run_id=context.run_id, url=url)
    out = []
    for r in outcome.results:
        if check_names is not None and r.name not in check_names:
            continue
        severity = dg.AssetCheckSeverity.ERROR if r.severity == ERROR else dg.AssetCheckSeverity.WARN
        out.append(dg.AssetCheckResult(
            asset_key=asset, check_name=r.name, passed=r.success, severity=severity,
            metadata={"failing_rows": r.failing_count, "sample": dg.MetadataValue.json(r.failing_rows[:10])},
        ))
    return out


def specs(asset: str, checks, *, blocking: bool = True) -> list[dg.AssetCheckSpec]:
    return [dg.AssetCheckSpec(c.name, asset=asset, blocking=blocking and c.severity == ERROR,
                              description=f"{c.severity}: {c.name}") for c in checks]
