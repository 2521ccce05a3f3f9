"""`dti review create-user` and `dti audit verify` as an operator runs them."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import urllib.request

import sqlalchemy as sa

from application.cli import main as cli_main
from dti.appraisal.accounts import authenticate
from dti.warehouse.db import session_scope
from dti.warehouse.models import User
from tests.review_fixtures import seed_review


def test_create_user_reads_the_password_from_stdin(warehouse, monkeypatch, capsys):
    seed_review(warehouse)
    monkeypatch.setattr("sys.stdin", io.StringIO("mot-mat-khau-rat-dai\n"))
    code = cli_main(
        ["review", "create-user", "vanthu.d03", "--role", "submitter", "--unit", "D03", "--password-stdin"]
    )
    assert code == 0 and "vanthu.d03" in capsys.readouterr().out
    with session_scope(warehouse) as s:
        u = s.execute(sa.select(User).where(User.username == "vanthu.d03")).scalar_one()
        assert (u.role, u.unit_code) == ("submitter", "D03")
        assert authenticate(s, "vanthu.d03", "mot-mat-khau-rat-dai") is not None


def test_create_user_errors_are_for_people(warehouse, monkeypatch, capsys):
    seed_review(warehouse)
    monkeypatch.setattr("sys.stdin", io.StringIO("mot-mat-khau-rat-dai\n"))
    assert cli_main(["review", "create-user", "x.y", "--role", "submitter", "--password-stdin"]) == 2
    assert "--unit" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("mot-mat-khau-rat-dai\n"))
    assert cli_main(["review", "create-user", "hoidong1", "--role", "council", "--password-stdin"]) == 2
    assert "đã tồn tại" in capsys.readouterr().err


def test_audit_verify_on_an_empty_log(warehouse, capsys):
    assert cli_main(["audit", "verify"]) == 0
    assert "0 quyết định" in capsys.readouterr().out


def test_review_serve_answers_on_loopback(warehouse, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, DTI_DATABASE_URL=warehouse)
    proc = subprocess.Popen(
        [sys.executable, "-m", "application.cli", "review", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        # Loopback only: never through a proxy the environment may name.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        body = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with opener.open(f"http://127.0.0.1:{port}/dang-nhap", timeout=2) as resp:
                    body = resp.read().decode()
                    break
            except OSError:
                time.sleep(0.2)
        assert body is not None and "Đăng nhập" in body
        assert (tmp_path / "data" / "review-secret.key").stat().st_mode & 0o777 == 0o600
    finally:
        proc.terminate()
        proc.wait(timeout=30)  # a loaded machine takes a while to stop the server threads


def test_audit_verify_on_a_missing_warehouse_says_what_to_do(capsys):
    assert cli_main(["audit", "verify"]) == 2
    assert "dti db upgrade" in capsys.readouterr().err
