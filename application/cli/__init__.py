"""The `dti` command. Each area registers its own sub-commands from its own module."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from dataclasses import dataclass

from application.cli.options import Parser

# Each module has `register(subparsers)`; keeping them separate keeps areas out of each other's way.
COMMAND_MODULES = [
    "application.cli.demo_cmd",
    "application.cli.framework_cmd",
    "application.cli.intake_cmd",
    "application.cli.simulate_cmd",
    "application.cli.ops_cmd",
    "application.cli.review_cmd",
    "application.cli.audit_cmd",
    "application.cli.period_cmd",
    "application.cli.bench_cmd",
    "application.cli.db_cmd",
    "application.cli.evidence_cmd",
    "application.cli.units_cmd",
    "application.cli.province_cmd",
    "application.cli.celery_cmd",
    "application.cli.tabular_cmd",
]


class CliError(Exception):
    """An error for a person: printed without a traceback, exit code 2."""


@dataclass(frozen=True)
class Action:
    """A sub-command's handler named as "module:function", imported only when that command runs, so
    `dti --help` or `dti framework list` never pay for importing Dagster and the asset graph."""

    target: str

    def __call__(self, args) -> int:
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)(args)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="dti",
        description="Xác minh Bộ chỉ số DTI / DTI verification engine",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TZ", "Asia/Ho_Chi_Minh")
    # Dagster marks some options we use as beta/preview; the warning helps nobody running the CLI.
    warnings.filterwarnings("ignore", message=r".*(beta|preview).*")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        result = args.func(args)
    except CliError as exc:
        print(f"Lỗi / error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
