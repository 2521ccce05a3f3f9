"""Schedules: the nightly sync at 01:00 Asia/Ho_Chi_Minh, the open period's recompute after it, and a
daily report refresh in the days before each round deadline."""

from __future__ import annotations

import datetime as dt
import os

import dagster as dg

from dti.settings import TZ
from pipelines.calendar import open_periods
from pipelines.jobs import sync_job, verify_job
from pipelines.partitions import period_keys

TIMEZONE = "Asia/Ho_Chi_Minh"
DEFAULT_LEAD_DAYS = 7


def _local_day(context: dg.ScheduleEvaluationContext) -> dt.date:
    return context.scheduled_execution_time.astimezone(TZ).date()


@dg.schedule(job=sync_job, cron_schedule="0 1 * * *", execution_timezone=TIMEZONE, name="nightly_sync_schedule",
             description="01:00 hằng đêm: đồng bộ hệ thống nguồn / every night at 01:00: sync the systems of record")
def nightly_sync_schedule(context: dg.ScheduleEvaluationContext):
    night = _local_day(context).isoformat()
    # The run key makes a second tick for the same night (daemon restart, catch-up) a no-op.
    return dg.RunRequest(run_key=f"nightly-{night}", partition_key=night, tags={"dti/trigger": "nightly"})


def lead_days() -> int:
    """DTI_DEADLINE_LEAD_DAYS: how many days before a deadline reports are refreshed daily (default 7)."""
    return int(os.environ.get("DTI_DEADLINE_LEAD_DAYS") or DEFAULT_LEAD_DAYS)


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
            requests.append(dg.RunRequest(run_key=f"deadline-{per.period}-{today.isoformat()}",
                                          partition_key=per.period,
                                          tags={"dti/trigger": "deadline", "dti/deadline": deadline.isoformat()}))
    if requests:
        return requests
    if upcoming:
        per, deadline = upcoming[0]
        return dg.SkipReason(f"Hạn gần nhất {deadline.isoformat()} (kỳ {per.period}) còn {(deadline - today).days} "
                             f"ngày, quá {window} ngày / next deadline {deadline.isoformat()} ({per.period}) is more "
                             f"than {window} days away")
    return dg.SkipReason("Không có kỳ đánh giá nào đang mở / no assessment period is open")


@dg.schedule(job_name="verify_provinces", cron_schedule="0 1 * * *", execution_timezone=TIMEZONE,
             name="provinces_nightly_schedule",
             description="01:00 hằng đêm, triển khai nhiều tỉnh: đồng bộ và thẩm định kỳ đang mở của mọi tỉnh / every "
                         "night at 01:00, multi-province deployments: sync and verify every province's open period")
def provinces_nightly_schedule(context: dg.ScheduleEvaluationContext):
    from pipelines.provinces import province_codes

    today = _local_day(context)
    codes = province_codes()
    if not codes:
        return dg.SkipReason("DTI_PROVINCES trống: triển khai một tỉnh dùng nightly_sync_schedule / DTI_PROVINCES "
                             "is empty: single-province deployments use nightly_sync_schedule")
    found = open_periods(today, period_keys())
    if not found:
        return dg.SkipReason(f"Không có kỳ nào đang mở ngày {today.isoformat()} / no open period")
    period = found[0][0].period
    return dg.RunRequest(run_key=f"provinces-{period}-{today.isoformat()}", partition_key=period,
                         tags={"dti/trigger": "nightly", "dti/provinces": ",".join(codes)})


SCHEDULES = [nightly_sync_schedule, deadline_refresh_schedule, provinces_nightly_schedule]
