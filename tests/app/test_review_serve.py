"""`dti review serve` as an operator starts it: a production WSGI server that honours --threads however
many connections are left half-open, refuses an oversized body, and a warehouse only its owner reads."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from dti.warehouse import Warehouse


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    env = {**os.environ, "DTI_DATA_DIR": str(tmp_path / "data"), "DTI_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
           "DTI_MAX_UPLOAD_BYTES": "100000"}
    proc = subprocess.Popen([sys.executable, "-m", "application.cli", "review", "serve", "--port", str(port),
                             "--threads", "2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/dang-nhap", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("dti review serve did not start: " + (proc.stdout.read() if proc.stdout else ""))
    yield proc, port, tmp_path
    proc.terminate()
    proc.wait(15)


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def test_three_hundred_half_open_connections_do_not_grow_the_threads(server):
    proc, port, _tmp = server
    before = _threads(proc.pid)
    idle = []
    for _ in range(300):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /dang-nhap HTTP/1.1\r\nHost: x\r\n")  # never finished
        idle.append(s)
    time.sleep(1.0)
    assert _threads(proc.pid) <= before + 1  # waitress serves them on its 2 worker threads
    for s in idle:
        s.close()
    assert requests.get(f"http://127.0.0.1:{port}/dang-nhap", timeout=10).status_code == 200


def test_a_body_over_the_cap_is_refused_by_the_server(server):
    _proc, port, _tmp = server
    r = requests.post(f"http://127.0.0.1:{port}/dang-nhap", data=b"x" * 3_000_000, timeout=30)
    assert r.status_code == 413


def test_the_warehouse_and_the_secrets_are_readable_by_their_owner_only(server):
    _proc, _port, tmp = server
    for path in (tmp / "w.db", tmp / "data" / "review-secret.key"):
        assert oct(path.stat().st_mode & 0o777) == "0o600", path


def test_a_new_warehouse_file_is_owner_only(tmp_path):
    Warehouse(f"sqlite:///{tmp_path / 'fresh.db'}").migrate()
    assert oct(Path(tmp_path / "fresh.db").stat().st_mode & 0o777) == "0o600"
