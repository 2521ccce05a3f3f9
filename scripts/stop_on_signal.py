"""Run a command (`make dev`: dagster dev) so that the first SIGINT or SIGTERM stops it and everything it
started: the signal goes on once, as SIGINT, to the command's own process group (dagster dev shuts its
webserver and daemon down on SIGINT); whatever is still running after a short grace period is killed.

    python scripts/stop_on_signal.py [--grace SECONDS] -- COMMAND [ARGS...]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

GRACE_S = 5.0


def _kill_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def run(command: list[str], grace: float = GRACE_S) -> int:
    # A session of its own: the command and its children form one group that can be stopped together,
    # and a terminal's Ctrl-C reaches them only through us, once.
    child = subprocess.Popen(command, start_new_session=True)
    asked: dict[str, float] = {}

    def on_signal(signum, _frame) -> None:
        if "at" in asked:
            return  # one signal is enough; the grace period runs
        asked["at"] = time.monotonic()
        asked["signal"] = signum
        name = signal.Signals(signum).name
        print(
            f"\n{name}: đang dừng (tối đa {grace:g} giây) / stopping (at most {grace:g} s) …",
            file=sys.stderr,
            flush=True,
        )
        _kill_group(child.pid, signal.SIGINT)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    while True:
        try:
            code = child.wait(timeout=0.2)
            break
        except subprocess.TimeoutExpired:
            if "at" in asked and time.monotonic() - asked["at"] > grace:
                _kill_group(child.pid, signal.SIGKILL)
    _kill_group(child.pid, signal.SIGKILL)  # anything the command left behind in its group
    if "signal" in asked:
        return 128 + int(asked["signal"])
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--grace", type=float, default=GRACE_S, help="seconds between the signal and the kill"
    )
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("cần một lệnh / a command is needed")
    return run(command, args.grace)


if __name__ == "__main__":
    sys.exit(main())
