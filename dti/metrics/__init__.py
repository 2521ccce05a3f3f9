"""Objective metrics per unit × period × indicator, computed from the raw records in the warehouse.

The rules are the ones real systems use (domain brief §4): a dossier is on time when it finished on
or before its due date, compared by day in Asia/Ho_Chi_Minh; a dossier still in process past its
due date at period end is late; dossiers received before the period and finished in it count;
confidential documents are left out of ratios; deleted records (tombstones) never count.

A metric whose source failed or is stale is returned with a status saying so — never as zero (policy.py).

The warehouse does the counting (counting.py): every numerator, denominator and record count is a GROUP BY
aggregate, and the sample record ids behind a value (the first MAX_RECORD_IDS failing source ids of each unit,
by source id) come from a window query, or on SQLite from walking each unit's rows in the covering metrics index
(dti.warehouse.models._metrics_index), which reads them in source-id order. Python only receives a few rows per
unit, so time and memory do not grow with the number of raw records read. The same SQL runs on SQLite,
PostgreSQL and MariaDB; the few expressions that differ between them (a local calendar day, adding hours to a
timestamp, byte-wise string order) are the small constructs of sql.py. Each system of record has its module
(dvc.py, doc.py, sec.py); compute.py runs them. Every record behind a value (not only the sample) is listed
by records.py, from the same rules.
"""

from dti.metrics.compute import WORKERS, compute_metrics
from dti.metrics.counting import MAX_RECORD_IDS
from dti.metrics.policy import MetricValue, SourceHealth, source_health
from dti.metrics.sql import FULL_SCAN_SHARE, UTC_OFFSET_HOURS, bytewise, local_day, plus_hours

__all__ = [
    "FULL_SCAN_SHARE",
    "MAX_RECORD_IDS",
    "UTC_OFFSET_HOURS",
    "WORKERS",
    "MetricValue",
    "SourceHealth",
    "bytewise",
    "compute_metrics",
    "local_day",
    "plus_hours",
    "source_health",
]
