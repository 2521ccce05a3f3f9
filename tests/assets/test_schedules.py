"""Schedules: 01:00 Asia/Ho_Chi_Minh nightly sync, and the report refresh in the days before a deadline."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from assets.partitions import period_keys
from dti.settings import TZ
from pipelines.calendar import open_periods, period_calendar
from pipelines.schedules import deadline_refresh_schedule, nightly_sync_schedule


def _ctx(day: str, hour: int = 1):
    from pipelines.definitions import defs

    when = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, 0), TZ)
    # With the repository, evaluate_tick also checks each partition key against the job's partitions.
    return dg.build_schedule_context(scheduled_execution_time=when, repository_def=defs.get_repository_def())


def test_definitions_load_with_schedules_sensors_and_jobs():
    from pipelines.definitions import defs

    assert {j.name for j in defs.resolve_all_job_defs()} >= {"nightly_sync", "verify_period", "intake_inbox"}
    names = {s.name for s in defs.schedules} | {s.name for s in defs.sensors}
    assert names >= {"nightly_sync_schedule", "deadline_refresh_schedule", "inbox_sensor", "recompute_open_period",
                     "alert_on_run_failure"}
    checks = defs.resolve_job_def("nightly_sync").asset_layer.asset_graph.asset_check_keys
    assert dg.AssetCheckKey(dg.AssetKey("dvc_records"), "source_fresh") in checks


def test_a_cluster_swaps_the_executor_of_every_job():
    from pipelines.definitions import build_definitions

    defs = build_definitions(executor=dg.in_process_executor)
    for job in ("nightly_sync", "verify_period", "intake_inbox"):
        assert defs.resolve_job_def(job).executor_def is dg.in_process_executor
    # By default a launched run puts each step in its own process (multiprocess executor).
    assert build_definitions().resolve_job_def("verify_period").executor_def.name == "multi_or_in_process_executor"


def _multi_ctx(day: str, hour: int = 1):
    from pipelines.definitions import build_definitions

    when = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, 0), TZ)
    return dg.build_schedule_context(scheduled_execution_time=when,
                                     repository_def=build_definitions().get_repository_def())


def test_with_provinces_every_asset_gains_a_province_dimension_and_each_tick_one_run_per_province(monkeypatch):
    from pipelines.definitions import build_definitions

    monkeypatch.setenv("DTI_PROVINCES", "LC,hn")
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    for key in ("dvc_records", "objective_metrics", "claim_ledger", "verified_scores", "council_reports"):
        dims = {d.name: d.partitions_def for d in graph.get(dg.AssetKey(key)).partitions_def.partitions_defs}
        assert dims["province"].get_partition_keys() == ["HN", "LC"]
        assert ("night" in dims) == (key == "dvc_records") and ("period" in dims) != (key == "dvc_records")
    # A province's period reads every night of that province, and of no other.
    upstream = graph.get_parent_partition_keys_for_child(
        dg.MultiPartitionKey({"period": "2025-R3", "province": "LC"}), dg.AssetKey("dvc_records"),
        dg.AssetKey("objective_metrics"))
    nights = list(upstream.partitions_subset.get_partition_keys())  # "night|province"
    assert {k.split("|")[1] for k in nights} == {"LC"} and len(nights) > 365

    data = nightly_sync_schedule.evaluate_tick(_multi_ctx("2025-06-10"))
    assert [(r.partition_key, r.run_key, r.tags["dti/province"]) for r in data.run_requests] == [
        ("2025-06-10|HN", "nightly-2025-06-10-HN", "HN"), ("2025-06-10|LC", "nightly-2025-06-10-LC", "LC")]
    assert [r.tags["dti/sync"] for r in data.run_requests] == ["HN", "LC"]  # one sync per warehouse at a time
    data = deadline_refresh_schedule.evaluate_tick(_multi_ctx("2025-06-10", 6))
    assert [r.partition_key for r in data.run_requests] == ["2025-R1|HN", "2025-R1|LC"]


def test_nightly_sync_runs_at_one_in_the_morning_vietnam_time():
    assert nightly_sync_schedule.cron_schedule == "0 1 * * *"
    assert nightly_sync_schedule.execution_timezone == "Asia/Ho_Chi_Minh"
    assert nightly_sync_schedule.job_name == "nightly_sync"
    data = nightly_sync_schedule.evaluate_tick(_ctx("2025-06-10"))
    [req] = data.run_requests
    assert (req.partition_key, req.run_key) == ("2025-06-10", "nightly-2025-06-10")
    # 18:00 UTC on the 9th is already 01:00 on the 10th in Hà Nội: the night is the local date.
    utc = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2025, 6, 9, 18, 0, tzinfo=dt.UTC))
    assert [r.partition_key for r in nightly_sync_schedule(utc)] == ["2025-06-10"]


@pytest.mark.parametrize(("day", "periods"), [
    ("2025-06-10", ["2025-R1"]),  # department round-1 deadline 15/6
    ("2025-11-25", ["2025-R2"]),  # round-2 deadline 30/11
    ("2026-03-09", ["2025-R3"]),  # explanations due 15/3 of the next year
])
def test_deadline_refresh_runs_in_the_week_before_a_deadline(day, periods):
    data = deadline_refresh_schedule.evaluate_tick(_ctx(day, 6))
    assert [r.partition_key for r in data.run_requests] == periods
    assert data.run_requests[0].tags["dti/trigger"] == "deadline"


def test_deadline_refresh_skips_far_from_a_deadline_and_says_why(monkeypatch):
    data = deadline_refresh_schedule.evaluate_tick(_ctx("2025-07-01", 6))
    assert data.run_requests == []
    assert data.skip_message == ("Hạn gần nhất 2025-11-30 (kỳ 2025-R2) còn 152 ngày, quá 7 ngày / next deadline "
                                 "2025-11-30 (2025-R2) is more than 7 days away")
    monkeypatch.setenv("DTI_DEADLINE_LEAD_DAYS", "160")
    assert [r.partition_key for r in deadline_refresh_schedule.evaluate_tick(_ctx("2025-07-01", 6)).run_requests] \
        == ["2025-R2"]


def test_open_period_follows_the_frameworks_rounds():
    def first(day):
        return open_periods(dt.date.fromisoformat(day), period_keys())[0]

    assert (first("2025-06-10")[0].period, first("2025-06-10")[1]) == ("2025-R1", dt.date(2025, 6, 15))
    assert first("2025-06-16")[0].period == "2025-R2"
    # Between 1/1 and 15/3 the previous year's explanation round is the one due first.
    assert first("2026-02-01")[0].period == "2025-R3"
    cal = {p.period: p for p in period_calendar(period_keys())}
    assert cal["2024-R2"].deadlines == (dt.date(2025, 1, 15),)  # the historical district set
