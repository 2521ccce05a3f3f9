"""`dti sync` and `dti run`: the nightly sync and a period's verification from a terminal, on the same
Dagster jobs the schedules launch, with one progress line per step; non-zero exit on any failure."""

from __future__ import annotations

from application.cli import Action
from application.cli.options import day, folder, moment, period


def register(sub) -> None:
    p = sub.add_parser("sync", help="Đồng bộ hệ thống nguồn một đêm / sync the systems of record for one night")
    p.add_argument("--night", default=None, type=day,
                   help="đêm / night YYYY-MM-DD (mặc định hôm nay / default today)")
    p.add_argument("--full", action="store_true",
                   help="đọc lại toàn bộ, bỏ mốc đồng bộ / re-read everything, ignoring the sync watermarks")
    p.add_argument("--sim", default=None, metavar="DIR", type=folder,
                   help="dùng bộ mô phỏng trong DIR thay hệ thống thật / read the bundled simulators in DIR")
    p.add_argument("--province", default=None,
                   help="chỉ một tỉnh trong DTI_PROVINCES (mặc định: mọi tỉnh song song) / only this province of "
                        "DTI_PROVINCES (default: every province, side by side)")
    p.set_defaults(func=Action("application.cli.ops_run:sync"))

    p = sub.add_parser("run", help="Đối chiếu, chấm điểm và báo cáo một kỳ / verify, score and report one period")
    p.add_argument("--period", required=True, type=period,
                   help="kỳ đánh giá / period YEAR-R<round>, e.g. 2025-R3")
    p.add_argument("--province", default=None,
                   help="chỉ một tỉnh trong DTI_PROVINCES (mặc định: mọi tỉnh song song) / only this province of "
                        "DTI_PROVINCES (default: every province, side by side)")
    p.add_argument("--as-of", default=None, type=moment,
                   help="thời điểm xét độ mới dữ liệu / ISO time freshness is judged at")
    p.set_defaults(func=Action("application.cli.ops_run:run"))
