"""Turning a Great Expectations outcome into Dagster asset check results (and check history)."""

from __future__ import annotations

import dagster as dg

from dti.formatting import integer
from dti.vocabulary import CheckSeverity
from dti.warehouse import Warehouse
from expectations.adapter import ERROR, ExpectationOutcome, SuiteOutcome, check_words
from expectations.common import record_history


def check_results(outcome: SuiteOutcome, *, asset: str, context: dg.AssetExecutionContext, wh: Warehouse | None,
                  partition: str | None = None, check_names: list[str] | None = None) -> list[dg.AssetCheckResult]:
    """One AssetCheckResult per named check: ERROR checks fail hard, WARN checks warn. `wh` None: the
    outcome's history is already recorded (a run over several provinces records each in its own warehouse)."""
    if wh is not None:
        if partition is None and context.has_partition_key:
            partition = context.partition_key
        record_history(wh, outcome, asset=asset, partition=partition, run_id=context.run_id)
    out = []
    for r in outcome.results:
        if check_names is not None and r.name not in check_names:
            continue
        severity = dg.AssetCheckSeverity.ERROR if r.severity == ERROR else dg.AssetCheckSeverity.WARN
        out.append(dg.AssetCheckResult(
            asset_key=asset, check_name=r.name, passed=r.success, severity=severity,
            description=result_text(r),
            metadata={"failing_rows": r.failing_count, "sample": dg.MetadataValue.json(r.failing_rows[:10])},
        ))
    return out


def merge_outcomes(by_province: list[tuple[str | None, SuiteOutcome]]) -> SuiteOutcome:
    """Several provinces' outcomes of one suite as one: a check passes only where it passed everywhere;
    failing rows keep their province so a reviewer knows where to look."""
    if len(by_province) == 1:
        return by_province[0][1]
    merged: dict[str, ExpectationOutcome] = {}
    for province, outcome in by_province:
        for r in outcome.results:
            rows = [{"province": province, **row} for row in r.failing_rows]
            if r.name not in merged:
                merged[r.name] = ExpectationOutcome(r.name, r.expectation, r.column, r.severity, r.success,
                                                    r.failing_count, rows)
            else:
                m = merged[r.name]
                m.success = m.success and r.success
                m.failing_count += r.failing_count
                m.failing_rows.extend(rows)
    first = by_province[0][1]
    return SuiteOutcome(first.suite, sum(o.row_count for _p, o in by_province), list(merged.values()))


def result_text(r: ExpectationOutcome) -> str:
    """What a result means, with the count of failing rows: "12 dòng không đạt / 12 rows fail: …"."""
    vi, en = check_words(r.name)
    if r.success:
        return f"Đạt: {vi} / passed: {en}"
    n = r.failing_count
    return f"{integer(n)} dòng không đạt điều kiện «{vi}» / {n:,} rows break the rule “{en}”"


def spec_text(vi: str, en: str, severity: str) -> str:
    kind = CheckSeverity(severity)
    return f"{vi} / {en} — {kind.vi.lower()} / {kind.en} khi không đạt / when it fails"


def specs(asset: str, checks, *, blocking: bool = True) -> list[dg.AssetCheckSpec]:
    return [dg.AssetCheckSpec(c.name, asset=asset, blocking=blocking and c.severity == ERROR,
                              description=spec_text(c.vi, c.en, c.severity)) for c in checks]
