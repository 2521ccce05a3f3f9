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

from dti.settings import read, read_int
from pipelines import definitions
from pipelines.sensors import root_cause


class _Progress(logging.Handler):
    def __init__(self, say: Callable[[str], None], summary: RunSummary):
        super().__init__(logging.DEBUG)
        self.say = say
        self.summary = summary
        self.started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        ev = getattr(record, "dagster_event", None)
        if ev is None:
            return
        kind, step = ev.event_type_value, ev.step_key
        if kind == "STEP_START":
            self.started[step] = time.monotonic()
            self.say(f"  ▶ {step} …")
        elif kind == "STEP_SUCCESS":
            took = time.monotonic() - self.started.get(step, time.monotonic())
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
    """Execute one partition of a job in this process; never raises for a failed step (see summary)."""
    summary = RunSummary(job_name, partition_key)

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
