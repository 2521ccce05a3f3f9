"""Celery as the distributed executor (dagster-celery): with DTI_EXECUTOR=celery the jobs' steps go to
Celery workers through the broker of dagster.celery.yaml instead of child processes of the run.

Each step is one Celery task; a worker loads the code location and the run from the Dagster instance
(dagster.postgres.yaml, shared by every host) and runs the step. With DTI_CELERY_QUEUES=province a
province's steps go to its own queue (dti-<CODE>), so workers can be pinned to provinces; by default every
worker takes any step from the shared `dagster` queue.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import yaml
from dagster._core.execution.retries import RetryMode
from dagster_celery.core_execution_loop import core_celery_execution_loop
from dagster_celery.executor import CELERY_CONFIG, CeleryExecutor, _submit_task
from dagster_celery.tags import DAGSTER_CELERY_QUEUE_TAG

from dti.settings import PROJECT_ROOT, SettingError, read

CONFIG_FILE = PROJECT_ROOT / "dagster.celery.yaml"
SHARED_QUEUE = "dagster"  # dagster-celery's own default queue
EXECUTORS = ("multiprocess", "celery")
QUEUE_MODES = ("shared", "province")
WORKER_MODULE = "pipelines.celery_worker"  # imported by every worker: closes the warehouses after each step


def config_path(environ=None) -> Path:
    return Path(read("DTI_CELERY_CONFIG", environ) or CONFIG_FILE)


def celery_config(environ=None) -> dict:
    """The executor's config block of the YAML, the broker replaced by DTI_CELERY_BROKER when set."""
    path = config_path(environ)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise SettingError(f"DTI_CELERY_CONFIG: không đọc được / cannot read {path}: {exc}") from None
    config = dict((data.get("execution") or {}).get("config") or {})
    if not config:
        raise SettingError(f"{path}: thiếu khối execution.config / no execution.config block")
    broker = read("DTI_CELERY_BROKER", environ)
    if broker:
        config["broker"] = broker
    return config


def province_queue(code: str) -> str:
    return f"dti-{code}"


def run_queue(tags: dict, environ=None) -> str | None:
    """The queue every step of a run goes to: the run's dagster-celery/queue tag; else, with
    DTI_CELERY_QUEUES=province, its province's queue (dti/province tag); else None (each step's own)."""
    if tags.get(DAGSTER_CELERY_QUEUE_TAG):
        return tags[DAGSTER_CELERY_QUEUE_TAG]
    mode = read("DTI_CELERY_QUEUES", environ)
    if mode not in QUEUE_MODES:
        raise SettingError(f"DTI_CELERY_QUEUES={mode!r}: cần / expected one of {', '.join(QUEUE_MODES)}")
    province = tags.get("dti/province")
    return province_queue(province) if mode == "province" and province else None


def executor_name(environ=None) -> str:
    name = read("DTI_EXECUTOR", environ)
    if name not in EXECUTORS:
        raise SettingError(f"DTI_EXECUTOR={name!r}: cần / expected one of {', '.join(EXECUTORS)}")
    return name


class _RunQueueExecutor(CeleryExecutor):
    """dagster-celery's executor, except that every step of a run goes to the run's queue (run_queue):
    dagster-celery reads the queue from each op's tags only, and a province is a run, not an op."""

    def execute(self, plan_context, execution_plan):
        queue_of_run = run_queue(dict(plan_context.dagster_run.tags))

        def submit(app, context, step, queue, priority, known_state):
            with warnings.catch_warnings():  # dagster-celery registers its one task again for every step
                warnings.filterwarnings("ignore", message=r"Task name 'execute_plan' is already registered")
                return _submit_task(app, context, step, queue_of_run or queue, priority, known_state)

        return core_celery_execution_loop(plan_context, execution_plan, step_execution_fn=submit)


@dg.executor(name="celery", config_schema=CELERY_CONFIG, requirements=dg.multiple_process_executor_requirements())
def _celery(init_context):
    cfg = init_context.executor_config
    return _RunQueueExecutor(broker=cfg.get("broker"), backend=cfg.get("backend"),
                             config_source=cfg.get("config_source"), include=cfg.get("include"),
                             retries=RetryMode.from_config(cfg["retries"]))


def celery_executor(environ=None) -> dg.ExecutorDefinition:
    """The Celery executor configured from dagster.celery.yaml (and DTI_CELERY_BROKER)."""
    return _celery.configured(celery_config(environ), name="celery")


def configured_executor(environ=None) -> dg.ExecutorDefinition | None:
    """The executor DTI_EXECUTOR names: None for Dagster's multiprocess default."""
    return celery_executor(environ) if executor_name(environ) == "celery" else None


def worker_config_dir(environ=None) -> Path:
    """A folder holding the `dagster_celery_config` module dagster-celery's worker app reads (broker,
    backend, the YAML's config_source), under DAGSTER_HOME, named by its content: put it on PYTHONPATH."""
    config = celery_config(environ)
    lines = [f"broker_url = {config['broker']!r}", f"result_backend = {config.get('backend') or 'rpc://'!r}"]
    lines += [f"{key} = {value!r}" for key, value in sorted((config.get("config_source") or {}).items())]
    text = "\n".join(lines) + "\n"
    home = Path(read("DAGSTER_HOME", environ) or ".")
    folder = home / "celery-config" / hashlib.sha256(text.encode()).hexdigest()[:12]
    module = folder / "dagster_celery_config.py"
    if not module.is_file() or module.read_text(encoding="utf-8") != text:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{os.getpid()}.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(module)
    return folder


def celery_command(action: str, *, queues: list[str] | None = None, name: str | None = None,
                   concurrency: int = 1) -> list[str]:
    """The `celery` command line for dagster-celery's app: a worker on `queues`, or `status`."""
    argv = [str(Path(sys.executable).with_name("celery")), "-A", "dagster_celery.app", action]
    if action == "worker":
        argv += ["--prefetch-multiplier=1", "--loglevel", "INFO", "-Q", ",".join(queues or [SHARED_QUEUE]),
                 "-I", WORKER_MODULE,
                 "-n", f"{name or 'dti-' + uuid.uuid4().hex[:6]}@%h", "--concurrency", str(concurrency),
                 "--without-mingle", "--without-gossip"]
    return argv


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out += [int(c) for c in (task / "children").read_text().split()]
    return out


def _hwm_mb(pid: int) -> float:
    """A process's peak resident memory (VmHWM) in MB; 0 when it is gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Workers:
    """Celery workers started by `workers()`: name → process, and where each one logs. A sampler notes,
    every half second, the peak RSS of every process of each worker, so the pool processes a worker
    replaces (worker_max_tasks_per_child) are counted too."""

    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)
    peaks: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> None:
        for name, p in self.procs.items():
            now = max([_hwm_mb(p.pid), *map(_hwm_mb, _children(p.pid))])
            self.peaks[name] = max(self.peaks.get(name, 0.0), round(now, 1))

    def sampling(self) -> threading.Thread:
        def loop() -> None:
            while not self._stop.wait(0.5):
                self.sample()

        thread = threading.Thread(target=loop, name="dti-celery-rss", daemon=True)
        thread.start()
        return thread

    def peak_rss_mb(self) -> dict[str, float]:
        """Per worker, the peak RSS of its busiest process so far (a pool process that ran steps, or the
        worker's own)."""
        self.sample()
        return dict(sorted(self.peaks.items()))


@contextlib.contextmanager
def workers(queues_by_name: dict[str, list[str]], *, log_dir: Path, environ: dict | None = None,
            concurrency: int = 1, ready_s: float = 120.0):
    """Start one Celery worker per name, listening on its queues, with `environ` (default this process's)
    and DTI_EXECUTOR=celery; wait until each says it is ready; stop them all afterwards (warm shutdown,
    then killed). Tests and the bench run Celery with this; people run `dti ops celery worker`."""
    env = dict(os.environ if environ is None else environ)
    env["DTI_EXECUTOR"] = "celery"
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(PROJECT_ROOT), str(worker_config_dir(env)), env.get("PYTHONPATH")) if p)
    log_dir.mkdir(parents=True, exist_ok=True)
    started = Workers()
    try:
        for name, queues in sorted(queues_by_name.items()):
            log = started.logs[name] = log_dir / f"celery-{name}.log"
            with log.open("wb") as fh:
                started.procs[name] = subprocess.Popen(
                    celery_command("worker", queues=queues, name=name, concurrency=concurrency), env=env,
                    cwd=PROJECT_ROOT, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + ready_s
        waiting = set(started.procs)
        while waiting:
            for name in sorted(waiting):
                if f"{name}@".encode() in started.logs[name].read_bytes() and \
                        b" ready." in started.logs[name].read_bytes():
                    waiting.discard(name)
                elif started.procs[name].poll() is not None or time.monotonic() > deadline:
                    tail = started.logs[name].read_text(errors="replace")[-1500:]
                    raise RuntimeError(f"worker Celery {name} không khởi động được / Celery worker {name} did not "
                                       f"start (broker {celery_config(env)['broker']}):\n{tail}")
            time.sleep(0.2)
        started.sampling()
        yield started
    finally:
        started._stop.set()
        for proc in started.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in started.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
