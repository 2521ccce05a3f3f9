"""Freshness of each system of record in the Dagster UI: a `source_fresh` check per source asset that
says "out of date by N hours", and a time-window FreshnessPolicy on the source assets."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from assets.provinces import warehouses
from assets.resources import WarehouseResource
from dti.freshness import DEFAULT_STALE_AFTER_HOURS, source_freshness
from dti.settings import TZ
from dti.warehouse import Warehouse

SOURCE_ASSETS = {"dvc_records": "DVC", "doc_records": "DOC", "sec_records": "SEC"}


def _freshness_check(asset: str, source: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=asset, name="source_fresh", blocking=False,
                    description=f"{source} đồng bộ thành công trong hạn (stale_after_hours) / {source} "
                                "synced within the limit — cảnh báo / warning khi không đạt / when it fails")
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        rows, problems = [], []
        for code, url, problem in warehouses(warehouse.open().url):
            if url is None:
                problems.append(problem)
                continue
            with Warehouse(url).session() as s:
                row = next(r for r in source_freshness(s, dt.datetime.now(TZ)) if r["source"] == source)
            rows.append((code, row))
        if len(rows) == 1 and not problems and rows[0][0] is None:
            row = rows[0][1]
            return dg.AssetCheckResult(
                passed=row["fresh"], severity=dg.AssetCheckSeverity.WARN, description=row["message"],
                metadata={"message": row["message"],
                          "age_hours": row["age_hours"] if row["age_hours"] is not None else -1,
                          "overdue_hours": row["overdue_hours"] if row["overdue_hours"] is not None else -1,
                          "limit_hours": row["limit_hours"], "last_success_at": row["last_success_at"] or "",
                          "last_attempt_ok": row["last_attempt_ok"]})
        # Several provinces: one line per province, and the check passes only when every one is fresh.
        lines = [f"{code}: {row['message']}" for code, row in rows] + problems
        stale = [code for code, row in rows if not row["fresh"]]
        return dg.AssetCheckResult(
            passed=not stale and not problems, severity=dg.AssetCheckSeverity.WARN, description="\n".join(lines),
            metadata={"message": "\n".join(lines), "stale_provinces": ", ".join(stale) or "—",
                      "max_overdue_hours": max([row["overdue_hours"] or 0 for _c, row in rows] or [0])})

    return _check


FRESHNESS_CHECKS = [_freshness_check(a, s) for a, s in sorted(SOURCE_ASSETS.items())]


def with_freshness_policy(assets: list) -> list:
    """Attach Dagster's own freshness policy (shown in the UI) to the source assets: warn after a day
    without a materialization, fail after the framework default of 48 hours."""
    policy = dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(hours=DEFAULT_STALE_AFTER_HOURS),
                                            warn_window=dt.timedelta(hours=26))
    return dg.map_asset_specs(
        lambda spec: spec.replace_attributes(freshness_policy=policy) if spec.key.path[-1] in SOURCE_ASSETS else spec,
        assets)
