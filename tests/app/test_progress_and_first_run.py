"""Long steps show records, pages, rate and time left on a terminal and nothing when piped; the demo leaves a
period the council can decide on and says what to do next."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from application.demo import open_for_decisions, print_next_steps
from dti import progress
from dti.appraisal.phases import get_phase, set_phase
from dti.vocabulary import Phase, Role
from dti.warehouse import Warehouse
from dti.warehouse.models import User
from simulators.generator import generate

ROOT = Path(__file__).resolve().parents[2]
ADMIN = User(username="quantri", role=Role.ADMIN)


class Recorder:
    def __init__(self):
        self.calls = []

    def begin(self, key, label):
        self.calls.append(("begin", key, label))

    def advance(self, key, *, done, total=None, pages=None):
        self.calls.append(("advance", key, done, total, pages))

    def end(self, key):
        self.calls.append(("end", key))


class Stats:
    expected = 5000
    pages = 0


def test_counted_reports_records_pages_and_the_announced_total():
    stats = Stats()

    def pages():
        for i in range(4500):
            if i % 100 == 0:
                stats.pages += 1
            yield i

    rec = Recorder()
    with progress.reporting(rec):
        assert (
            sum(1 for _ in progress.counted(pages(), "k", "DVC dossiers", lambda: stats, every=2000)) == 4500
        )
    assert rec.calls == [
        ("begin", "k", "DVC dossiers"),
        ("advance", "k", 2000, 5000, 20),
        ("advance", "k", 4000, 5000, 40),
        ("advance", "k", 4500, 5000, 45),
        ("end", "k"),
    ]


def test_nobody_watching_means_no_reports():
    assert isinstance(progress.current(), progress.Silent)
    assert list(progress.counted(iter(range(5)), "k", "x")) == [0, 1, 2, 3, 4]


def _run(argv, tmp_path, *, terminal: bool) -> str:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DTI_DATA_DIR": str(tmp_path / "data"),
        "DTI_OUT_DIR": str(tmp_path / "out"),
        "COLUMNS": "160",
        "TERM": "xterm",
    }
    env.pop("DAGSTER_HOME", None)
    cmd = [sys.executable, "-m", "application.cli", *argv]
    if not terminal:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout + proc.stderr
    leader, follower = pty.openpty()
    proc = subprocess.Popen(cmd, stdin=follower, stdout=follower, stderr=follower, env=env, cwd=tmp_path)
    os.close(follower)
    chunks = []
    while True:
        ready, _w, _x = select.select([leader], [], [], 300)
        if not ready:
            proc.kill()
            break
        try:
            data = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=60) == 0
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow
def test_sync_shows_counts_on_a_terminal_and_plain_lines_when_piped(tmp_path):
    sim = tmp_path / "sim"
    generate(sim, seed=3, scale="tiny", period="2025-R3")
    shown = _run(["sync", "--sim", str(sim), "--night", "2026-01-05"], tmp_path, terminal=True)
    assert re.search(r"DVC dossiers .*1\.500 / 1\.500 bản ghi / records", shown), shown[-3000:]
    assert "bản ghi / records" in shown and "còn / left" in shown
    piped = _run(["sync", "--sim", str(sim), "--night", "2026-01-06"], tmp_path, terminal=False)
    assert "bản ghi / records" not in piped and "\x1b[" not in piped
    assert "Xong / done: nightly_sync 2026-01-06" in piped


def test_the_demo_opens_its_period_for_decisions_but_never_moves_one_back(sqlite_url):
    wh = Warehouse(sqlite_url).migrate()
    assert open_for_decisions(wh, "2025-R3") == Phase.APPRAISAL
    with wh.session() as s:
        row = get_phase(s, "2025-R3")
        assert (row.phase, row.changed_by) == (Phase.APPRAISAL, "dti-demo")
    with wh.transaction() as s:
        set_phase(s, "2025-R3", Phase.FINAL, ADMIN, signed_off=True)
    assert open_for_decisions(wh, "2025-R3") == Phase.FINAL


def test_the_demo_says_what_to_do_next(capsys):
    print_next_steps(
        {"period": "2025-R3", "phase": "appraisal", "outputs": {"report.html": "/x/out/report.html"}}
    )
    out = capsys.readouterr().out
    assert "Hội đồng quyết định được ngay / the council can decide at once" in out
    assert "review create-user hoidong1 --role council" in out
    assert "review serve" in out
    assert "http://127.0.0.1:8765/hang-doi?ky=2025-R3" in out
    assert "/x/out/report.html" in out
