"""`dti simulate ...`: generate a synthetic province, serve its systems of record over HTTP, apply a
night of changes, or copy its document system into MariaDB/PostgreSQL."""

from __future__ import annotations

import json
import time
from pathlib import Path

from application.cli import CliError
from application.cli.options import (
    database_url,
    fault_profile,
    fraction,
    output_folder,
    period,
    port,
    positive_seconds,
    scale,
    whole,
)
from dti.settings import get_settings
from simulators.changes import mutate
from simulators.docdb import copy_doc_db
from simulators.generator import generate
from simulators.server import DEFAULT_TOKEN, SimulatorServer


def register(sub) -> None:
    p = sub.add_parser("simulate", help="Hệ thống mô phỏng / simulated systems of record")
    ss = p.add_subparsers(dest="simulate_command", metavar="ACTION")

    g = ss.add_parser("generate", help="sinh dữ liệu tỉnh mô phỏng / generate a synthetic province")
    g.add_argument("--out", required=True, type=output_folder, help="thư mục đích / target folder")
    g.add_argument("--seed", type=whole, default=20251231)
    g.add_argument("--scale", default="demo", type=scale, help="tiny, demo, S, M, N")
    g.add_argument("--period", default="2025-R3", type=period, help="kỳ đánh giá / period, e.g. 2025-R3")
    g.set_defaults(func=_generate)

    s = ss.add_parser(
        "serve", help="chạy máy chủ DVC và SEC mô phỏng / serve DVC and SEC over HTTP (Ctrl-C dừng)"
    )
    s.add_argument("--root", default=None, help="thư mục đã sinh / generated folder (default DATA_DIR/sim)")
    s.add_argument("--port-dvc", type=port, default=8701)
    s.add_argument("--port-sec", type=port, default=8702)
    s.add_argument("--faults", default="none", type=fault_profile,
                   help="hồ sơ lỗi / fault profile (none, flaky, dvc-down, ...)")
    s.add_argument("--seed", type=whole, default=0, help="hạt giống chuỗi lỗi / fault sequence seed")
    s.add_argument("--token", default=None, help="token Bearer (mặc định / default dti-sim-token)")
    s.add_argument("--seconds", type=positive_seconds, default=None,
                   help="tự dừng sau N giây / stop after N seconds")
    s.set_defaults(func=_serve)

    c = ss.add_parser("changes", help="áp dụng thay đổi một đêm / apply one night of changes")
    c.add_argument("--root", required=True)
    c.add_argument("--fraction", type=fraction, default=0.02,
                   help="tỷ lệ bản ghi thay đổi, (0, 1] / share of records changed, (0, 1]")
    c.add_argument("--seed", type=whole, default=0)
    c.set_defaults(func=_changes)

    d = ss.add_parser("docdb", help="chép doc.db vào CSDL thật / copy doc.db into a real database")
    d.add_argument("--root", required=True)
    d.add_argument(
        "--url", required=True, type=database_url,
        help="SQLAlchemy URL, e.g. postgresql+psycopg2://postgres@127.0.0.1/doc",
    )
    d.add_argument("--mapping", default="qlvb-vn")
    d.set_defaults(func=_docdb)
    p.set_defaults(func=lambda args: p.print_help() or 2)


def _root(value: str | None) -> Path:
    root = Path(value) if value else get_settings().data_dir / "sim"
    if not (root / "dvc.db").is_file():
        raise CliError(
            f"không thấy dữ liệu mô phỏng ở {root} — chạy `dti simulate generate --out {root}` / "
            f"no simulator data in {root}"
        )
    return root


def _generate(args) -> int:
    gen = generate(args.out, seed=args.seed, scale=args.scale, period=args.period)
    print(f"Đã sinh / generated {gen.root}: {json.dumps(gen.counts, sort_keys=True)}")
    return 0


def _serve(args) -> int:
    root = _root(args.root)
    try:
        server = SimulatorServer(
            root,
            faults=args.faults,
            seed=args.seed,
            token=args.token or DEFAULT_TOKEN,
            port_dvc=args.port_dvc,
            port_sec=args.port_sec,
        )
    except ValueError as exc:
        raise CliError(str(exc)) from None
    try:
        server.start()
    except OSError as exc:
        server.stop()
        raise CliError(f"không mở được cổng / cannot listen: {exc}") from None
    print(f"DTI_DVC_BASE_URL={server.dvc_url}")
    print(f"DTI_SEC_BASE_URL={server.sec_url}")
    print(f"DTI_DVC_TOKEN={server.token}")
    print(f"DTI_SEC_TOKEN={server.token}")
    print(f"DTI_DOC_DATABASE_URL={server.doc_url}")
    print(f"Hồ sơ lỗi / fault profile: {server.profile.name}. Ctrl-C để dừng / to stop.", flush=True)
    try:
        deadline = None if args.seconds is None else time.monotonic() + args.seconds
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _changes(args) -> int:
    summary = mutate(_root(args.root), fraction=args.fraction, seed=args.seed)
    counts = {
        k: {kind: len(ids) for kind, ids in v.items()} for k, v in summary.items() if isinstance(v, dict)
    }
    print(json.dumps({"at": summary["at"], **counts}, ensure_ascii=False, sort_keys=True))
    return 0


def _docdb(args) -> int:
    root = _root(args.root)
    try:
        counts = copy_doc_db(root / "doc.db", args.url, args.mapping)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    print(json.dumps(counts, sort_keys=True))
    return 0
