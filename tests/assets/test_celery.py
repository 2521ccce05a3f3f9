"""Three provinces' nightly sync and period verification through Celery (RabbitMQ broker, PostgreSQL
Dagster instance, two workers, a queue per province), equal to the same provinces run in process."""

from __future__ import annotations

import os
import shutil
import subprocess

import dagster as dg
import pytest
import sqlalchemy as sa

from application.cli import main
from dti.warehouse import Warehouse
from dti.warehouse.db import get_engine
from pipelines.celery import workers
from pipelines.runner import run_job
from simulators.generator import generate
from simulators.load import load_self_reports, load_units
from tests.conftest import ROOT, _reachable, _require

PERIOD = "2025-R3"
NIGHT = "2025-12-31"
AS_OF = "2026-01-05T08:00:00+07:00"
RUN_CONFIG = {"ops": {"objective_metrics": {"config": {"as_of": AS_OF}}}}  # what `dti run --as-of` passes
PROVINCES = {"HN": 7, "LC": 8, "DN": 9}
# Two workers: HN's and LC's queues on one, DN's on the other (named after this process: a worker's name is
# unique on the broker, and a bench or another test run may have its own workers up).
W1, W2 = f"w1-{os.getpid()}", f"w2-{os.getpid()}"
WORKERS = {W1: ["dti-HN", "dti-LC"], W2: ["dti-DN"]}
COMPARED = {  # table → what must be equal (run ids, batch ids and times aside)
    "raw_dossiers": "source_id, unit_code, status, received_at, finished_at, checksum, deleted",
    "raw_documents": "source_id, unit_code, issue_date, checksum, deleted",
    "raw_incidents": "source_id, unit_code, detected_at, checksum, deleted",
    "objective_metrics": "unit_code, indicator_code, status, value, numerator, denominator, record_count",
    "claim_ledger": "unit_code, indicator_code, outcome, self_points, verified_points, reason",
    "unit_scores": "unit_code, self_total, verified_total, verified_rank, rank_change",
}


@pytest.fixture
def services():
    """RabbitMQ and PostgreSQL, started by scripts/ensure-services.sh when down; under CI=true a failure."""
    if not (_reachable(5672) and _reachable(5432)):
        subprocess.run(["bash", str(ROOT / "scripts" / "ensure-services.sh")], check=False, timeout=180)
    _require(5672, "RabbitMQ")
    _require(5432, "PostgreSQL")


def _provinces(tmp_path, monkeypatch, label: str, sims: dict) -> dict[str, str]:
    """Each province's own warehouse (units and self-reports loaded) and reports folder, under `label`."""
    urls = {}
    for code, sim in sims.items():
        url = urls[code] = f"sqlite:///{tmp_path / label / code.lower()}.db"
        (tmp_path / label).mkdir(exist_ok=True)
        Warehouse(url).migrate()
        load_units(sim, url)
        load_self_reports(sim, url)
        monkeypatch.setenv(f"DTI_{code}_DATABASE_URL", url)
        monkeypatch.setenv(f"DTI_{code}_SIM_ROOT", str(sim))
        monkeypatch.setenv(f"DTI_{code}_OUT_DIR", str(tmp_path / label / "out" / code))
    return urls


def _outputs(url: str) -> dict[str, list]:
    with get_engine(url).connect() as conn:
        return {table: [tuple(r) for r in conn.execute(sa.text(f"SELECT {cols} FROM {table} ORDER BY 1, 2"))]
                for table, cols in COMPARED.items()}


def _workers_of(instance, run_id: str) -> set[str]:
    hosts = set()
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        meta = entry.dagster_event.engine_event_data.metadata or {}
        if "Celery worker" in meta:
            hosts.add(meta["Celery worker"].value.split("@")[0])
    return hosts


@pytest.mark.slow
@pytest.mark.postgres
def test_three_provinces_sync_and_verify_on_celery_workers_as_in_process(services, pg_url, tmp_path, monkeypatch,
                                                                         capsys):
    sims = {code: tmp_path / f"sim-{code}" for code in PROVINCES}
    for code, seed in PROVINCES.items():
        generate(sims[code], seed=seed, scale="tiny", period=PERIOD)
    monkeypatch.setenv("DTI_PROVINCES", ",".join(PROVINCES))

    # In process: Dagster's own executors, no broker.
    monkeypatch.setenv("DTI_EXECUTOR", "multiprocess")
    local = _provinces(tmp_path, monkeypatch, "local", sims)
    for code in PROVINCES:  # one after the other in this process: the quickest way, the same jobs
        night = dg.MultiPartitionKey({"night": NIGHT, "province": code})
        assert run_job("nightly_sync", night, say=lambda _line: None).success
        period = dg.MultiPartitionKey({"period": PERIOD, "province": code})
        assert run_job("verify_period", period, say=lambda _line: None, run_config=RUN_CONFIG).success

    # Through Celery: the instance on PostgreSQL, shared by this process (which orchestrates) and the workers.
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.postgres.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_PG_URL", pg_url)
    monkeypatch.setenv("DTI_CELERY_QUEUES", "province")
    remote = _provinces(tmp_path, monkeypatch, "celery", sims)
    monkeypatch.setenv("DTI_EXECUTOR", "celery")
    with workers(WORKERS, log_dir=tmp_path / "logs"):
        assert main(["sync", "--night", NIGHT]) == 0
        assert main(["run", "--period", PERIOD, "--as-of", AS_OF]) == 0
    out = capsys.readouterr().out
    for code in PROVINCES:
        assert f"[{code}]   ✓ dvc_records (" in out and f"[{code}]   ✓ council_reports (" in out
        assert f"Xong / done: verify_period {PERIOD} {code}" in out

    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        runs = instance.get_runs()
        assert len(runs) == 2 * len(PROVINCES)
        by_province: dict[str, set[str]] = {}
        for run in runs:
            assert run.status == dg.DagsterRunStatus.SUCCESS, run.run_id
            by_province.setdefault(run.tags["dti/province"], set()).update(_workers_of(instance, run.run_id))
    # Each province's steps ran on the worker holding its queue: both workers took part.
    assert by_province == {"HN": {W1}, "LC": {W1}, "DN": {W2}}

    for code in PROVINCES:
        expected, got = _outputs(local[code]), _outputs(remote[code])
        assert all(expected[t] for t in COMPARED), code  # something was synced and verified
        assert got == expected, code
        for name in ("verified_scores.csv", "claim_ledger.csv"):
            assert (tmp_path / "celery" / "out" / code / name).read_bytes() == \
                (tmp_path / "local" / "out" / code / name).read_bytes()


def test_celery_settings_name_the_broker_queues_and_bad_values(monkeypatch, tmp_path):
    from dti.settings import SettingError
    from pipelines.celery import celery_config, configured_executor, run_queue, worker_config_dir

    assert celery_config()["broker"] == "pyamqp://guest@127.0.0.1:5672//"
    monkeypatch.setenv("DTI_CELERY_BROKER", "pyamqp://dti:secret@mq.example.vn:5672/dti")
    assert celery_config()["broker"] == "pyamqp://dti:secret@mq.example.vn:5672/dti"
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    module = (worker_config_dir() / "dagster_celery_config.py").read_text(encoding="utf-8")
    assert "broker_url = 'pyamqp://dti:secret@mq.example.vn:5672/dti'" in module
    assert "task_acks_late = True" in module

    assert configured_executor() is None  # multiprocess by default
    monkeypatch.setenv("DTI_EXECUTOR", "celery")
    assert configured_executor().name == "celery"
    monkeypatch.setenv("DTI_EXECUTOR", "kubernetes")
    with pytest.raises(SettingError, match="DTI_EXECUTOR='kubernetes'.*multiprocess, celery"):
        configured_executor()

    assert run_queue({"dti/province": "HN"}) is None  # shared queue by default
    monkeypatch.setenv("DTI_CELERY_QUEUES", "province")
    assert run_queue({"dti/province": "HN"}) == "dti-HN"
    assert run_queue({"dti/province": "HN", "dagster-celery/queue": "fast"}) == "fast"
    monkeypatch.setenv("DTI_CELERY_QUEUES", "per-host")
    with pytest.raises(SettingError, match="DTI_CELERY_QUEUES='per-host'.*shared, province"):
        run_queue({"dti/province": "HN"})


@pytest.mark.parametrize(("argv", "message"), [
    (["ops", "celery", "worker"], "DAGSTER_HOME is not set"),
    (["ops", "celery", "worker", "--queues", "a,b,c,d,e"], "at most 4 queues per worker, not 5"),
    (["ops", "celery", "worker", "--concurrency", "0"], "must be at least 1, not 0"),
])
def test_ops_celery_refuses_what_cannot_work(argv, message, monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    if "--queues" in argv or "--concurrency" in argv:
        monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    assert main(argv) == 2
    assert message in capsys.readouterr().err
