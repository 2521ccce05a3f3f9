"""`make dev` stops on the first SIGINT or SIGTERM: scripts/stop_on_signal.py passes one signal on to the
command's process group and kills what is left after the grace period."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WRAPPER = ROOT / "scripts" / "stop_on_signal.py"
STUBBORN = 'trap "" INT TERM; sleep 300 & wait; sleep 300'  # ignores both signals, as dagster dev nearly does


def _gone(pgid: int) -> bool:
    """Nothing of the group runs any more (a killed process may linger a moment as a zombie, not running)."""
    for _ in range(50):
        out = subprocess.run(["ps", "-e", "-o", "pgid=,stat="], capture_output=True, text=True).stdout
        alive = [
            line
            for line in out.splitlines()
            if line.split()[0] == str(pgid) and not line.split()[1].startswith("Z")
        ]
        if not alive:
            return True
        time.sleep(0.1)
    return False


def _group_of(wrapper: subprocess.Popen) -> int:
    """The command's process group: the wrapper's only child leads it."""
    for _ in range(100):
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(wrapper.pid)], capture_output=True, text=True
        ).stdout
        if out.split():
            return int(out.split()[0])
        time.sleep(0.05)
    raise AssertionError("the wrapper started nothing")


def _stop(wrapper: subprocess.Popen, sig: int) -> float:
    t0 = time.monotonic()
    wrapper.send_signal(sig)
    wrapper.wait(timeout=60)
    return time.monotonic() - t0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_command_that_ignores_signals_is_killed_after_the_grace_period(sig):
    wrapper = subprocess.Popen([sys.executable, str(WRAPPER), "--grace", "1", "--", "bash", "-c", STUBBORN])
    group = _group_of(wrapper)
    time.sleep(0.3)
    took = _stop(wrapper, sig)
    assert took < 4
    assert wrapper.returncode == 128 + sig
    assert _gone(group)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_dagster_dev_stops_on_the_first_sigterm(tmp_path):
    dagster = Path(sys.executable).with_name("dagster")
    if not dagster.exists():
        dagster = Path(shutil.which("dagster") or "dagster")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    port = _free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "PYTHONPATH": str(ROOT),
        "DTI_DATA_DIR": str(tmp_path / "data"),
    }
    wrapper = subprocess.Popen(
        [sys.executable, str(WRAPPER), "--", str(dagster), "dev", "-p", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        group = _group_of(wrapper)
        deadline = time.monotonic() + 180
        while not _listening(port):
            assert wrapper.poll() is None, "dagster dev ended before it listened"
            assert time.monotonic() < deadline, "dagster dev did not start listening"
            time.sleep(1)
        took = _stop(wrapper, signal.SIGTERM)
        assert took < 8, took  # the grace period (5 s) and the kill
        assert _gone(group)
        assert not _listening(port)
    finally:
        if wrapper.poll() is None:
            wrapper.kill()
