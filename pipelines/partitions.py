"""Partitions: nights for raw syncs; assessment periods (year and round, from the frameworks) for
metrics, ledger, scores and reports."""

from __future__ import annotations

import dagster as dg

from dti.framework import load_all

FIRST_YEAR = 2024
LAST_YEAR = 2027


def period_keys() -> list[str]:
    rounds = sorted({r.round for fw in load_all().values() for r in fw.rounds})
    return [f"{year}-R{r}" for year in range(FIRST_YEAR, LAST_YEAR + 1) for r in rounds]


nightly_partitions = dg.DailyPartitionsDefinition(start_date=f"{FIRST_YEAR}-01-01", timezone="Asia/Ho_Chi_Minh",
                                                  end_offset=1)
period_partitions = dg.StaticPartitionsDefinition(period_keys())
