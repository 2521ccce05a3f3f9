"""The shipped dagster.postgres.yaml on a real PostgreSQL: runs, event logs and schedule storage live
there, and `dti sync` with DAGSTER_HOME records its run in it."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest

from application.cli import main
from tests.conftest import ROOT


@pytest.fixture
def pg_dagster_home(pg_url, tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.postgres.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_PG_URL", pg_url)
    return home


@pytest.mark.slow
@pytest.mark.postgres
def test_dagster_postgres_yaml_stores_runs_events_and_schedules(pg_dagster_home, pg_url, warehouse, tmp_path,
                                                                capsys):
    from simulators.generator import generate

    sim = tmp_path / "sim"
    generate(sim, seed=11, scale="tiny", period="2025-R3")
    assert main(["sync", "--sim", str(sim), "--night", "2026-01-05"]) == 0
    assert "Xong / done: nightly_sync 2026-01-05" in capsys.readouterr().out

    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert (instance.run_retries_enabled, instance.run_retries_max_retries) == (True, 1)
        assert instance.run_monitoring_enabled
        [run] = instance.get_runs()
        assert (run.job_name, run.status, run.tags["dagster/partition"]) == \
            ("nightly_sync", dg.DagsterRunStatus.SUCCESS, "2026-01-05")
        assert run.tags["dagster/retry_strategy"] == "FROM_FAILURE"
        for key in ("dvc_records", "doc_records", "sec_records"):
            assert instance.get_materialized_partitions(dg.AssetKey(key)) == {"2026-01-05"}
        check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("dvc_records"), "source_fresh")])
        assert check[dg.AssetCheckKey(dg.AssetKey("dvc_records"), "source_fresh")].status.value == "SUCCEEDED"

    # Schedule storage: what `dagster schedule start` (the step in docs/operations.md) writes is what
    # the daemon reads.
    import os
    import subprocess
    import sys

    import sqlalchemy as sa

    dagster_cli = os.path.join(os.path.dirname(sys.executable), "dagster")
    done = subprocess.run([dagster_cli, "schedule", "start", "nightly_sync_schedule", "-m", "pipelines.definitions"],
                          cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    with dg.DagsterInstance.get() as instance:
        states = {s.instigator_name: s.status.value for s in instance.all_instigator_state()}
    assert states == {"nightly_sync_schedule": "RUNNING"}

    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT pipeline_name, status FROM runs")).all() == [("nightly_sync", "SUCCESS")]
        tables = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    assert {"runs", "event_logs", "jobs", "job_ticks", "asset_keys"} <= tables
