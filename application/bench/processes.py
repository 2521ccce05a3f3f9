"""The bench's processes: each stage in a forked child that reports its own wall, CPU and peak RSS, a
fresh interpreter timed for the import cost, and the HTTP simulators in a process of their own.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from simulators.server import SimulatorServer

# The folder that holds the `application` package: a fresh interpreter must import this checkout's code.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class BenchError(Exception):
    """A stage failed; the message names the stage and carries the child's traceback."""


def vm_kb(field_name: str) -> int:
    """A field of /proc/self/status in kB (VmHWM: this process's peak resident set)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


def _child(conn, fn: Callable[[], dict]) -> None:
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        info = fn() or {}
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        conn.send({"ok": True, "wall_s": wall, "cpu_s": cpu, "peak_rss_mb": vm_kb("VmHWM") / 1024, **info})
    except BenchError as exc:  # a message for a person: no traceback
        conn.send({"ok": False, "error": str(exc), "plain": True})
    except BaseException:  # noqa: BLE001 - everything goes back to the parent, which raises
        conn.send({"ok": False, "error": traceback.format_exc()})
    finally:
        conn.close()


def run_in_child(name: str, fn: Callable[[], dict], timeout_s: float) -> dict:
    """Run `fn` in a forked process; returns its dict plus wall_s and peak_rss_mb (that process's VmHWM).

    Forking from a parent that has already imported the pipeline keeps import time out of the stage
    while the child's high-water mark stays its own.
    """
    return run_in_children({name: fn}, timeout_s)[name]


def run_in_children(fns: dict[str, Callable[[], dict]], timeout_s: float) -> dict[str, dict]:
    """Several stages at once, each in its own forked process (as Dagster's multiprocess executor runs
    the steps of one run); each result carries that process's own wall, CPU and peak RSS."""
    ctx = mp.get_context("fork")
    started = {}
    for name, fn in fns.items():
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(child, fn), name=f"dti-bench-{name}")
        proc.start()
        child.close()
        started[name] = (proc, parent)
    deadline = time.monotonic() + timeout_s
    results: dict[str, dict] = {}
    try:
        for name, (proc, parent) in started.items():
            if not parent.poll(max(0.0, deadline - time.monotonic())):
                raise BenchError(f"giai đoạn '{name}' quá {timeout_s:.0f} s / stage '{name}' exceeded "
                                 f"{timeout_s:.0f} s")
            try:
                results[name] = parent.recv()
            except EOFError as exc:
                raise BenchError(f"giai đoạn '{name}' dừng bất thường (mã {proc.exitcode}) / stage '{name}' died "
                                 f"(exit code {proc.exitcode})") from exc
    finally:
        for proc, parent in started.values():
            if proc.is_alive() and len(results) < len(started):
                proc.terminate()
            proc.join(30)
            parent.close()
    for name, result in results.items():
        if not result.pop("ok"):
            if result.get("plain"):
                raise BenchError(result["error"])
            raise BenchError(f"giai đoạn '{name}' lỗi / stage '{name}' failed:\n{result['error']}")
    return results


def _run_fresh_interpreter(code: str, timeout_s: float) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=timeout_s, check=False)
    wall = time.perf_counter() - t0
    if done.returncode:
        raise BenchError(f"không nạp được thư viện / the imports failed (exit code {done.returncode}):\n"
                         f"{done.stderr}")
    # This process is a fresh fork whose only child was that interpreter, so the children's peak is its own.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"probe_wall_s": wall, "probe_rss_mb": usage.ru_maxrss / 1024}


def time_fresh_interpreter(code: str, timeout_s: float) -> dict:
    """Run `code` in a new Python interpreter: its wall time (start-up included) and peak RSS.

    The interpreter is started from a forked child so that RUSAGE_CHILDREN there counts it alone, not
    the stages this process has already run.
    """
    return run_in_child("imports", lambda: _run_fresh_interpreter(code, timeout_s), timeout_s)


# --- the simulators over loopback -------------------------------------------------------------------


def _serve(conn, root: str) -> None:
    sims = SimulatorServer(root).start()
    conn.send({"dvc": sims.dvc_url, "sec": sims.sec_url, "doc": sims.doc_url, "token": sims.token})
    try:
        conn.recv()  # the parent says stop (or goes away: EOFError)
    except EOFError:
        pass
    finally:
        sims.stop()


class LoopbackSimulators:
    """The HTTP simulators in their own process, so serving and ingesting use separate interpreters."""

    def __init__(self, root: Path):
        self.root = root
        self.proc = None
        self.conn = None
        self.urls: dict[str, str] = {}

    def __enter__(self) -> LoopbackSimulators:
        ctx = mp.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, str(self.root)), name="dti-bench-simulators",
                                daemon=True)
        self.proc.start()
        child.close()
        if not self.conn.poll(60):
            self.proc.terminate()
            self.proc.join(5)
            self.conn.close()
            raise BenchError("mô phỏng HTTP không khởi động / the HTTP simulators did not start in 60 s")
        self.urls = self.conn.recv()
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.conn.send("stop")
        except (BrokenPipeError, OSError):
            pass
        self.proc.join(15)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(5)
        self.conn.close()
