"""`dti ops celery worker|daemon|status`: Celery workers that execute the jobs' steps (DTI_EXECUTOR=celery)
and the Dagster daemon that launches the scheduled runs, against dagster.celery.yaml."""

from __future__ import annotations

from application.cli import Action


def register(sub) -> None:
    p = sub.add_parser("ops", help="Vận hành: Celery / operations: Celery workers and the daemon")
    osub = p.add_subparsers(dest="ops_command", metavar="AREA")
    c = osub.add_parser("celery", help="Worker Celery và daemon / Celery workers and the Dagster daemon")
    csub = c.add_subparsers(dest="celery_command", metavar="ACTION")
    w = csub.add_parser("worker", help="Chạy một worker Celery / start one Celery worker (foreground)")
    w.add_argument("--name", default=None, help="tên worker / worker name (default dti-<random>); host appended")
    w.add_argument("--queues", default="",
                   help="hàng đợi, cách nhau bởi dấu phẩy / comma-separated queues (default: dagster, the shared "
                        "one; dti-<CODE> for a province's with DTI_CELERY_QUEUES=province; at most 4)")
    w.add_argument("--concurrency", type=int, default=1,
                   help="số bước chạy cùng lúc / steps at once in this worker (default 1: one per core is "
                        "reached by starting one worker per core)")
    w.set_defaults(func=Action("application.cli.celery_run:worker"))
    d = csub.add_parser("daemon", help="Chạy daemon Dagster với Celery / start the Dagster daemon, runs on Celery")
    d.set_defaults(func=Action("application.cli.celery_run:daemon"))
    s = csub.add_parser("status", help="Các worker đang nghe / the workers the broker sees")
    s.set_defaults(func=Action("application.cli.celery_run:status"))
