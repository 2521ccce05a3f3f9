"""Every bad option of `dti` ends at once with exit 2 and a message in both languages, never a traceback,
and before any work: nothing generated, no database touched."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from application.cli import main

ROOT = Path(__file__).resolve().parents[2]

BAD = [
    (["demo", "--scale", "XL"], "quy mô 'XL'"),
    (["demo", "--faults", "bogus"], "hồ sơ lỗi 'bogus'"),
    (["demo", "--period", "bogus"], "Kỳ đánh giá 'bogus'"),
    (["demo", "--period", "2025-R9"], "không có đợt 9"),
    (["demo", "--seed", "abc"], "không phải số nguyên"),
    (["demo", "--out", "{file}"], "là một tệp"),
    (["simulate", "generate", "--out", "{tmp}/x", "--scale", "XL"], "quy mô 'XL'"),
    (["simulate", "generate", "--out", "{tmp}/x", "--period", "2025"], "Kỳ đánh giá '2025'"),
    (["simulate", "serve", "--port-dvc", "99999"], "ngoài 0–65535"),
    (["simulate", "serve", "--faults", "bogus"], "hồ sơ lỗi 'bogus'"),
    (["simulate", "serve", "--seconds", "-1"], "lớn hơn 0"),
    (["simulate", "changes", "--root", "{tmp}", "--fraction", "5"], "(0, 1]"),
    (["simulate", "docdb", "--root", "{tmp}", "--url", "bogus://x"], "không phải địa chỉ CSDL dùng được"),
    (["sync", "--night", "2025-13-01"], "YYYY-MM-DD"),
    (["sync", "--sim", "{tmp}/missing"], "không có thư mục"),
    (["run", "--period", "x"], "Kỳ đánh giá 'x'"),
    (["run", "--period", "2025-R3", "--as-of", "2026-01-06T08:00"], "cần múi giờ"),
    (["run", "--period", "2025-R3", "--as-of", "hôm qua"], "không phải thời điểm ISO"),
    (["run"], "--period"),
    (["intake", "template", "--unit", "X", "--period", "bogus"], "Kỳ đánh giá 'bogus'"),
    (["intake", "import", "{tmp}/missing.xlsx"], "không tìm thấy tệp"),
    (["intake", "inbox", "--dir", "{tmp}/missing"], "không có thư mục"),
    (["review", "serve", "--port", "99999"], "ngoài 0–65535"),
    (["review", "serve", "--threads", "0"], "số nguyên dương"),
    (["review", "serve", "--port", "{busy}"], "cổng đang bận"),
    (["review", "serve", "--host", "no-such-host.invalid"], "không mở được"),
    (["review", "create-user", "x", "--role", "king"], "invalid choice"),
    (["framework", "show", "nope"], "không có bộ chỉ số 'nope'"),
    (["nonsense"], "invalid choice"),
]


@pytest.mark.parametrize(("argv", "says"), BAD, ids=[" ".join(a) for a, _s in BAD])
def test_a_bad_option_exits_2_with_a_message(argv, says, tmp_path, capsys):
    afile = tmp_path / "a-file"
    afile.write_text("x")
    with socket.create_server(("127.0.0.1", 0)) as busy:
        argv = [a.format(tmp=tmp_path, file=afile, busy=busy.getsockname()[1]) for a in argv]
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse refuses while reading the command line
            code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert says in err
    assert "lỗi / error" in err.lower()
    assert "Traceback" not in err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "argv", [["demo", "--scale", "XL"], ["demo", "--faults", "bogus", "--scale", "tiny"]]
)
def test_the_issue_s_commands_end_before_any_work(argv, tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DTI_DATA_DIR": str(tmp_path / "data"),
        "DTI_OUT_DIR": str(tmp_path / "out"),
        "DAGSTER_HOME": str(tmp_path / "dh"),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "application.cli", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "lỗi / error" in proc.stderr
    assert not (tmp_path / "data").exists() and not (tmp_path / "out").exists()  # no province generated
