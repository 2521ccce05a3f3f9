"""Schedules: the nightly sync at 01:00 Asia/Ho_Chi_Minh, the open period's recompute after it, and a
daily report refresh in the days before each round deadline. In a multi-province deployment each
tick asks for one run per province (its own partition), so provinces run side by side."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from assets.partitions import period_keys, province_codes, province_run
from dti.settings import TZ, read_int
from pipelines.calendar import open_periods
from pipelines.jobs import sync_job, verify_job

TIMEZONE = "Asia/Ho_Chi_Minh"
DEFAULT_LEAD_DAYS = 7


def _local_day(context: dg.ScheduleEvaluationContext) -> dt.date:
    return context.scheduled_execution_time.astimezone(TZ).date()


@dg.schedule(job=sync_job, cron_schedule="0 1 * * *", execution_timezone=TIMEZONE, name="nightly_sync_schedule",
             description="01:00 hằng đêm: đồng bộ hệ thống nguồn / every night at 01:00: sync the systems of record")
def nightly_sync_schedule(context: dg.ScheduleEvaluationContext):
    night = _local_day(context).isoformat()
    # The run key makes a second tick for the same night (daemon restart, catch-up) a no-op.
    return [province_run(f"nightly-{night}", night, code, dimension="night", tags={"dti/trigger": "nightly"},
                         sync=True)
            for code in province_codes() or [None]]


def lead_days() -> int:
    """DTI_DEADLINE_LEAD_DAYS: how many days before a deadline reports are refreshed daily (default 7)."""
    return read_int("DTI_DEADLINE_LEAD_DAYS", default=DEFAULT_LEAD_DAYS)


@dg.schedule(job=verify_job, cron_schedule="0 6 * * *", execution_timezone=TIMEZONE, name="deadline_refresh_schedule",
             description="06:00 trong những ngày trước hạn nộp: làm mới báo cáo kỳ đang mở / "
                         "06:00 in the days before a round deadline: refresh the open period's reports")
def deadline_refresh_schedule(context: dg.ScheduleEvaluationContext):
    today = _local_day(context)
    window = lead_days()
    requests = []
    upcoming = open_periods(today, period_keys())
    for per, deadline in upcoming:
        days = (deadline - today).days
        if days <= window:
            requests += [province_run(f"deadline-{per.period}-{today.isoformat()}", per.period, code,
                                      dimension="period",
                                      tags={"dti/trigger": "deadline", "dti/deadline": deadline.isoformat()})
                         for code in province_codes() or [None]]
    if requests:
        return requests
    if upcoming:
        per, deadline = upcoming[0]
        return dg.SkipReason(f"Hạn gần nhất {deadline.isoformat()} (kỳ {per.period}) còn {(deadline - today).days} "
                             f"ngày, quá {window} ngày / next deadline {deadline.isoformat()} ({per.period}) is more "
                             f"than {window} days away")
    return dg.SkipReason("Không có kỳ đánh giá nào đang mở / no assessment period is open")


SCHEDULES = [nightly_sync_schedule, deadline_refresh_schedule]
