"""`dti bench`: the pipeline timed stage by stage at a named scale, beside a DuckDB floor."""

from __future__ import annotations

from application.cli import Action


def register(sub) -> None:
    p = sub.add_parser("bench", help="Đo hiệu năng quy trình / benchmark the pipeline at a named scale")
    p.add_argument("--scale", default="S", help="quy mô / scale: tiny, demo, S, M, N (default S)")
    p.add_argument("--stages", default="", help="các giai đoạn, cách nhau bởi dấu phẩy / comma-separated stages "
                                               "(default: all): generate, load, ingest_http, sync, sync_floor, metrics, floor, "
                                               "ledger, scores, reports, incremental")
    p.add_argument("--seed", type=int, default=None, help="hạt giống dữ liệu / data seed")
    p.add_argument("--database-url", default=None,
                   help="kho dữ liệu thử / warehouse URL for the bench (default: a fresh SQLite under data/sim/bench)")
    p.add_argument("--regenerate", action="store_true", help="tạo lại dữ liệu / regenerate the data")
    p.add_argument("--history", type=int, default=1,
                   help="nhân lịch sử trong kho N lần trước các bước tính / replicate the warehouse history N "
                        "times before the compute stages (M-sized history without an M-sized sync)")
    p.add_argument("--in-process", action="store_true",
                   help="đọc trực tiếp tệp mô phỏng thay vì HTTP / read the simulator files instead of HTTP")
    p.add_argument("--sequential-sync", action="store_true",
                   help="đồng bộ ba nguồn lần lượt thay vì cùng lúc / sync the three sources one after the other "
                        "instead of at once (as the nightly_sync job runs them)")
    p.add_argument("--provinces", type=int, default=None,
                   help="chạy thật K tỉnh qua Celery (RabbitMQ, PostgreSQL), so bộ nhớ 3 và K tỉnh / run K province "
                        "partitions through the Celery executor on PostgreSQL, worker memory at 3 vs K provinces "
                        "(out/bench-national.json)")
    p.set_defaults(func=Action("application.cli.bench_run:run"))
