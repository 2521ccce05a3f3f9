"""Run the code location's jobs from a terminal (`dti sync`, `dti run`) with one progress line per step,
on the same assets, checks and resources the schedules use."""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from assets.partitions import PROVINCE
from dti.settings import read, read_int
from pipelines import definitions
from pipelines.celery import executor_name
from pipelines.sensors import root_cause


class _Progress(logging.Handler):
    def __init__(self, say: Callable[[str], None], summary: RunSummary):
        super().__init__(logging.DEBUG)
        self.say = say
        self.summary = summary
        self.started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        ev = getattr(record, "dagster_event", None)
        if ev is not None:
            self.event(ev, time.monotonic())

    def event(self, ev, at: float) -> None:
        """One Dagster event as a progress line; `at`: when it happened (seconds, any fixed origin)."""
        kind, step = ev.event_type_value, ev.step_key
        if kind == "STEP_START":
            self.started[step] = at
            self.say(f"  ▶ {step} …")
        elif kind == "STEP_SUCCESS":
            took = at - self.started.get(step, at)
            self.say(f"  ✓ {step} ({took:.1f} s)")
        elif kind == "STEP_UP_FOR_RETRY":
            self.say(f"  ↻ {step}: thử lại / retrying")
        elif kind == "STEP_FAILURE":
            err = ev.step_failure_data.error if ev.step_failure_data else None
            self.summary.failures.append(f"{step}: {root_cause(err) if err else ev.message}")
            self.say(f"  ✗ {step}: {self.summary.failures[-1]}")
        elif kind == "ASSET_MATERIALIZATION":
            mat = ev.event_specific_data.materialization
            rows = mat.metadata.get("dagster/row_count")
            self.summary.rows[mat.asset_key.to_user_string()] = rows.value if rows is not None else None
        elif kind == "ASSET_CHECK_EVALUATION":
            check = ev.event_specific_data
            if not check.passed:
                text = check.description or ""
                meta = check.metadata.get("error") or check.metadata.get("message")
                text = text or (meta.value if meta is not None else "")
                line = f"{check.asset_key.to_user_string()}.{check.check_name}: {text}".rstrip(": ")
                self.summary.warnings.append(line)
                self.say(f"  ⚠ {line}")


@dataclass
class RunSummary:
    job: str
    partition: str
    run_id: str = ""
    success: bool = False
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rows: dict[str, int | None] = field(default_factory=dict)


# The jobs a Celery run reconstructs by reference (module and function), in the workers as here.
CELERY_JOBS = {"nightly_sync": definitions.nightly_sync_job, "verify_period": definitions.verify_period_job}


def instance_for_cli() -> dg.DagsterInstance:
    """DAGSTER_HOME's instance when set (runs then show in the UI), else a throwaway one."""
    home = read("DAGSTER_HOME")
    if home:
        Path(home).mkdir(parents=True, exist_ok=True)
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def run_job(job_name: str, partition_key: str, *, resources: dict | None = None, instance=None,
            run_config: dict | None = None, tags: dict | None = None, say: Callable[[str], None] = print
            ) -> RunSummary:
    """Execute one partition of a job in this process — or, with DTI_EXECUTOR=celery, orchestrate it here
    while Celery workers execute its steps; never raises for a failed step (see summary)."""
    summary = RunSummary(job_name, partition_key)
    if executor_name() == "celery":
        if resources:
            raise dg.DagsterInvalidDefinitionError(
                "DTI_EXECUTOR=celery: các worker tự dựng tài nguyên từ cấu hình; dùng DTI_PROVINCES và "
                "DTI_<MÃ>_SIM_ROOT thay cho --sim / Celery workers build their resources from the settings: use "
                "DTI_PROVINCES and DTI_<CODE>_SIM_ROOT instead of --sim")
        return _run_on_celery(summary, partition_key, instance=instance, run_config=run_config, tags=tags, say=say)

    @dg.logger
    def progress(_init_context):
        lg = logging.Logger("dti.progress", level=logging.DEBUG)
        lg.addHandler(_Progress(say, summary))
        return lg

    base = definitions.build_definitions()  # from the environment now: DTI_PROVINCES may have changed
    defs = dg.Definitions(assets=base.assets, asset_checks=base.asset_checks, jobs=base.jobs,
                          resources=resources or base.resources, loggers={"progress": progress})
    config = dict(run_config or {})
    config["loggers"] = {"progress": {}}  # replaces the chatty console logger
    result = defs.resolve_job_def(job_name).execute_in_process(
        run_config=config, partition_key=partition_key, instance=instance or instance_for_cli(),
        raise_on_error=False, tags=tags)
    summary.run_id = result.run_id
    summary.success = result.success
    return summary


def partition_tags(partition_key) -> dict[str, str]:
    """The tags Dagster gives a run of one partition (a MultiPartitionKey: one per dimension too, and the
    province's dti/province tag that routes it to its Celery queue)."""
    tags = {"dagster/partition": str(partition_key)}
    if isinstance(partition_key, dg.MultiPartitionKey):
        dims = partition_key.keys_by_dimension
        tags.update({f"dagster/partition/{dim}": value for dim, value in dims.items()})
        if PROVINCE in dims:
            tags["dti/province"] = dims[PROVINCE]
    return tags


def _run_on_celery(summary: RunSummary, partition_key, *, instance, run_config, tags, say) -> RunSummary:
    """The run orchestrated from this process, its steps executed by the Celery workers (which load the
    job by reference, from the same code and settings); progress lines from its stored events after."""
    if instance is None and not read("DAGSTER_HOME"):
        raise dg.DagsterInvalidConfigError(
            "DTI_EXECUTOR=celery cần DAGSTER_HOME có kho chung (dagster.postgres.yaml) / needs DAGSTER_HOME with "
            "an instance the workers share (dagster.postgres.yaml)", [], None)
    owned = instance is None
    instance = instance or instance_for_cli()
    job = dg.reconstructable(CELERY_JOBS[summary.job])
    try:
        config = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}, **(run_config or {})}
        result = dg.execute_job(job, instance=instance, run_config=config,
                                tags={**(tags or {}), **partition_tags(partition_key)}, raise_on_error=False)
        summary.run_id, summary.success = result.run_id, result.success
        progress = _Progress(say, summary)
        for entry in instance.all_logs(result.run_id):
            if entry.dagster_event is not None:
                progress.event(entry.dagster_event, entry.timestamp)
    finally:
        if owned:
            instance.dispose()
    return summary


def province_workers(count: int) -> int:
    """DTI_PROVINCE_WORKERS: how many provinces run at once from a terminal (default: one per core)."""
    wanted = read_int("DTI_PROVINCE_WORKERS", default=os.cpu_count() or 1)
    return max(1, min(count, wanted))


def _province_worker(job_name: str, key: str, province: str, kwargs: dict, lines) -> None:
    def say(text: str) -> None:
        lines.put((province, "line", text))

    try:
        summary = run_job(job_name, key, say=say, **kwargs)
    except Exception as exc:  # noqa: BLE001 - reported as this province's failure, the others go on
        summary = RunSummary(job_name, str(key), failures=[f"{type(exc).__name__}: {exc}"])
    lines.put((province, "done", summary))


def run_provinces(job_name: str, keys: dict[str, str], *, say: Callable[[str], None] = print,
                  **kwargs) -> dict[str, RunSummary]:
    """One run per province (`keys`: province → its partition key), side by side in separate
    processes, at most province_workers() at a time; progress lines carry the province's code. A
    province that fails does not stop the others."""
    ctx = multiprocessing.get_context("spawn")  # a clean interpreter per run: no state shared by fork
    lines = ctx.Queue()
    waiting = sorted(keys)
    running: dict[str, multiprocessing.process.BaseProcess] = {}
    done: dict[str, RunSummary] = {}
    silent: dict[str, int] = {}  # a finished worker's last message may still be in the pipe: wait a tick
    limit = province_workers(len(keys))
    while waiting or running:
        while waiting and len(running) < limit:
            code = waiting.pop(0)
            proc = ctx.Process(target=_province_worker, args=(job_name, keys[code], code, kwargs, lines),
                               name=f"dti-{job_name}-{code}")
            proc.start()
            running[code] = proc
        try:
            code, kind, value = lines.get(timeout=1.0)
        except Exception:  # noqa: BLE001 - queue.Empty: check for a worker that died without a word
            for code, proc in list(running.items()):
                if proc.is_alive():
                    continue
                silent[code] = silent.get(code, 0) + 1
                if silent[code] > 2:
                    proc.join()
                    done[code] = RunSummary(job_name, str(keys[code]),
                                            failures=[f"tiến trình dừng / worker exited with code {proc.exitcode}"])
                    running.pop(code)
            continue
        if kind == "line":
            say(f"[{code}] {value}")
        else:
            done[code] = value
            running.pop(code).join()
    return {code: done[code] for code in sorted(done)}
