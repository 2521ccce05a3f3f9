"""`dti simulate`: generate a province, apply a night of changes, serve it over HTTP."""

from __future__ import annotations

import sqlite3

import pytest

from application.cli import main
from simulators.generator import generate


def _count(root, db, table):
    conn = sqlite3.connect(root / db)
    try:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_cli_generate_and_changes(tmp_path, capsys):
    assert main(["simulate", "generate", "--out", str(tmp_path / "p"), "--scale", "tiny", "--seed", "3"]) == 0
    before = _count(tmp_path / "p", "dvc.db", "dossiers")
    assert main(["simulate", "changes", "--root", str(tmp_path / "p"), "--fraction", "0.01"]) == 0
    out = capsys.readouterr().out
    assert '"dossiers": {"changed": 15, "deleted": 15, "new": 15}' in out
    assert _count(tmp_path / "p", "dvc.db", "dossiers") == before + 15
    assert main(["simulate", "serve", "--root", str(tmp_path / "missing")]) == 2
    assert "dti simulate generate" in capsys.readouterr().err


def test_cli_serve_prints_urls_and_stops(tmp_path, capsys):
    generate(tmp_path / "p", seed=3, scale="tiny")
    assert (
        main(
            [
                "simulate",
                "serve",
                "--root",
                str(tmp_path / "p"),
                "--port-dvc",
                "0",
                "--port-sec",
                "0",
                "--faults",
                "flaky",
                "--seconds",
                "0.3",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "DTI_DVC_BASE_URL=http://127.0.0.1:" in out and "DTI_DVC_TOKEN=dti-sim-token" in out
    assert "flaky" in out
    with pytest.raises(SystemExit) as refused:  # refused while the command line is read
        main(["simulate", "serve", "--root", str(tmp_path / "p"), "--faults", "sometimes"])
    assert refused.value.code == 2
