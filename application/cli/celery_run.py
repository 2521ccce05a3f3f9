"""What `dti ops celery …` does: start a Celery worker or the Dagster daemon with DTI_EXECUTOR=celery, or
list the workers the broker sees. Each replaces this process (exec), so a supervisor (systemd, a
container) stops the worker itself."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from application.cli import CliError
from dti.settings import PROJECT_ROOT, SettingError, read
from pipelines.celery import SHARED_QUEUE, celery_command, worker_config_dir

MAX_QUEUES = 4  # dagster-celery refuses more on one worker


def _env() -> dict[str, str]:
    if not read("DAGSTER_HOME"):
        raise CliError("Chưa đặt DAGSTER_HOME / DAGSTER_HOME is not set: the workers and the runs must share one "
                       "Dagster instance (dagster.postgres.yaml, docs/operations.md)")
    env = dict(os.environ)
    env["DTI_EXECUTOR"] = "celery"
    return env


def _exec(argv: list[str], env: dict[str, str]) -> int:
    print("• " + " ".join(argv), flush=True)
    os.chdir(PROJECT_ROOT)  # the code location is imported from the project
    os.execvpe(argv[0], argv, env)
    return 0  # not reached


def _celery_env() -> dict[str, str]:
    """The environment a Celery command runs in: the project and the worker's generated config importable."""
    env = _env()
    try:
        config_dir = worker_config_dir(env)
    except SettingError as exc:
        raise CliError(str(exc)) from None
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), str(config_dir), env.get("PYTHONPATH")) if p)
    return env


def worker(args) -> int:
    queues = [q.strip() for q in args.queues.split(",") if q.strip()] or [SHARED_QUEUE]
    if len(queues) > MAX_QUEUES:
        raise CliError(f"--queues: tối đa {MAX_QUEUES} hàng đợi một worker / at most {MAX_QUEUES} queues per "
                       f"worker, not {len(queues)}")
    if args.concurrency < 1:
        raise CliError(f"--concurrency phải ≥ 1 / must be at least 1, not {args.concurrency}")
    env = _celery_env()
    return _exec(celery_command("worker", queues=queues, name=args.name, concurrency=args.concurrency), env)


def daemon(args) -> int:
    env = _env()
    daemon_bin = Path(sys.executable).with_name("dagster-daemon")
    return _exec([str(daemon_bin), "run", "-m", "pipelines.definitions"], env)


def status(args) -> int:
    env = _celery_env()
    return _exec(celery_command("status"), env)
