"""Sensors: new self-report files in the inbox, the open period's recompute after a successful sync or
intake, and an alert (recorded, then mailed / posted) whenever a run fails."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import dagster as dg
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from assets.partitions import PROVINCE, period_keys, province_codes, province_run
from assets.provinces import inboxes, warehouses
from dti import publication
from dti.freshness import source_freshness
from dti.notify import record_alert
from dti.settings import TZ, get_settings
from dti.warehouse.db import get_engine
from pipelines.calendar import open_periods
from pipelines.jobs import intake_job, sync_job, verify_job


def waiting_files(inbox) -> list[tuple[str, int, int]]:
    if not inbox.is_dir():
        return []
    return sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in inbox.iterdir()
                  if p.is_file() and not p.name.startswith("."))


@dg.sensor(job=intake_job, minimum_interval_seconds=60, name="inbox_sensor",
           description="Tệp tự đánh giá mới trong DTI_INBOX_DIR (mỗi tỉnh một thư mục con khi có DTI_PROVINCES) / "
                       "new self-report files in DTI_INBOX_DIR (one sub-folder per province with DTI_PROVINCES)")
def inbox_sensor(context: dg.SensorEvaluationContext):
    files, provinces = [], []
    for code, inbox, _url in inboxes():
        found = waiting_files(inbox)
        files += [(f"{code}/{name}" if code else name, size, mtime) for name, size, mtime in found]
        if found and code:
            provinces.append(code)
    if not files:
        return dg.SkipReason(f"Hộp thư trống / the inbox is empty: {get_settings().inbox_dir}")
    # Same files (name, size, mtime) → same run key, so a file is imported once even if the sensor
    # ticks again before the run has moved it; a re-sent file with new content gets a new run.
    key = hashlib.sha256(repr(files).encode()).hexdigest()[:16]
    tags = {"dti/trigger": "inbox", "dti/files": str(len(files))}
    if provinces:
        tags["dti/provinces"] = ",".join(provinces)
    return dg.RunRequest(run_key=f"inbox-{key}", tags=tags)


def _day_of(run: dg.DagsterRun, fallback: dt.datetime) -> dt.date:
    part = run.tags.get("dagster/partition/night") or run.tags.get("dagster/partition", "")
    try:
        return dt.date.fromisoformat(part)
    except ValueError:
        return fallback.astimezone(TZ).date()


def _provinces_of(run: dg.DagsterRun) -> list[str | None]:
    """Which provinces a finished sync or intake run touched (None: the single-province deployment)."""
    one = run.tags.get(f"dagster/partition/{PROVINCE}")
    if one:
        return [one]
    listed = [c for c in run.tags.get("dti/provinces", "").split(",") if c]
    return listed or province_codes() or [None]


@dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, monitored_jobs=[sync_job, intake_job],
                      request_job=verify_job, name="recompute_open_period",
                      description="Sau khi đồng bộ/nhập thành công: tính lại kỳ đang mở / after a successful sync "
                                  "or intake: recompute the open period")
def recompute_open_period(context: dg.RunStatusSensorContext):
    run = context.dagster_run
    day = _day_of(run, dt.datetime.now(TZ))
    found = open_periods(day, period_keys())
    if not found:
        return dg.SkipReason(f"Không có kỳ nào đang mở ngày {day.isoformat()} / no open period on {day.isoformat()}")
    period = found[0][0].period
    urls = {code: url for code, url, _problem in warehouses(get_settings().database_url)}
    wanted, frozen = [], []
    for code in _provinces_of(run):
        (frozen if _published(urls.get(code), period, context) else wanted).append(code)
    if frozen:  # a published period is frozen: recomputing it would only fail, and alert, every night
        names = ", ".join(c or "" for c in frozen).strip(", ")
        context.log.info(f"Kỳ {period} đã công bố, không tính lại / {period} is published, not recomputed"
                         + (f": {names}" if names else ""))
    if not wanted:
        return dg.SkipReason(f"Kỳ {period} đã công bố, không tính lại / period {period} is published: "
                             "nothing to recompute")
    return [province_run(f"recompute-{run.run_id}", period, code, dimension="period",
                         tags={"dti/trigger": f"after-{run.job_name}", "dti/after_run": run.run_id})
            for code in wanted]


def _published(url: str | None, period: str, context) -> bool:
    """Whether the province's warehouse holds a publication of `period` in force. A warehouse that cannot
    be read is not judged here: the run is requested and fails, and alerts, with the reason."""
    if url is None:
        return False
    try:
        with Session(get_engine(url)) as s:
            return publication.current(s, period) is not None
    except SQLAlchemyError as exc:
        context.log.warning(f"Không đọc được kho / cannot read the warehouse: {exc}")
        return False


def root_cause(err) -> str:
    """The innermost error: Dagster wraps a step's exception in its own 'Error occurred while executing'."""
    while getattr(err, "cause", None) is not None:
        err = err.cause
    return err.message.strip()


def failure_alert_text(context: dg.RunFailureSensorContext) -> tuple[str, str]:
    run = context.dagster_run
    partition = run.tags.get("dagster/partition", "—")
    steps = []
    for event in context.get_step_failure_events():
        err = event.event_specific_data.error if event.event_specific_data else None
        steps.append(f"- {event.step_key}: {root_cause(err) if err else event.message}")
    subject = f"Lỗi chạy {run.job_name} ({partition}) / run failed: {run.job_name} {partition}"
    body = "\n".join([
        f"Công việc / job: {run.job_name}",
        f"Phân vùng / partition: {partition}",
        f"Mã lần chạy / run id: {run.run_id}",
        f"Thông báo / message: {context.failure_event.message or ''}",
        "Bước lỗi / failed steps:",
        *(steps or ["- (không có bước nào / none)"]),
        f"Chạy lại từ bước lỗi / re-execute from the failed step: Runs → {run.run_id} → Re-execute → From failure",
    ])
    return subject, body


@dg.run_failure_sensor(name="alert_on_run_failure", monitor_all_code_locations=False,
                       description="Ghi cảnh báo và gửi thư/webhook khi một lần chạy thất bại / record and send an "
                                   "alert when a run fails")
def alert_on_run_failure(context: dg.RunFailureSensorContext):
    subject, body = failure_alert_text(context)
    outcome = record_alert("run_failure", subject, body,
                           details={"run_id": context.dagster_run.run_id, "job": context.dagster_run.job_name})
    if outcome.errors:
        context.log.warning("; ".join(outcome.errors))


@dg.sensor(name="alert_on_stale_source", minimum_interval_seconds=3600,
           description="Cảnh báo một lần mỗi ngày khi hệ thống nguồn quá hạn đồng bộ / alert once a day per source "
                       "that is out of date")
def alert_on_stale_source(context: dg.SensorEvaluationContext):
    """A failed sync does not fail its run (the source's claims become unverifiable), so a source that
    stays down would go unnoticed without this: one alert per stale source per day."""
    now = dt.datetime.now(TZ)
    sent: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    today = now.date().isoformat()
    raised = []
    for code, url, problem in warehouses(get_settings().database_url):
        if url is None:
            context.log.warning(problem)  # the run itself fails and alerts on the missing setting
            continue
        with Session(get_engine(url)) as s:
            stale = [r for r in source_freshness(s, now) if not r["fresh"]]
        for row in stale:
            name = f"{code} {row['source']}" if code else row["source"]
            if sent.get(name) == today:
                continue
            record_alert("source_stale", f"{name} quá hạn đồng bộ / {name} is out of date",
                         row["message"], url=url, raised_at=now,
                         details={"source": row["source"], "overdue_hours": row["overdue_hours"],
                                  **({"province": code} if code else {})})
            sent[name] = today
            raised.append(name)
    context.update_cursor(json.dumps(sent, sort_keys=True))
    if not raised:
        return dg.SkipReason("Mọi nguồn trong hạn hoặc đã cảnh báo hôm nay / every source is fresh or already "
                             "alerted today")
    return dg.SkipReason(f"Đã cảnh báo / alerted: {', '.join(raised)}")


SENSORS = [inbox_sensor, recompute_open_period, alert_on_run_failure, alert_on_stale_source]
