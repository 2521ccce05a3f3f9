"""`dti demo`: the main job end to end on the embedded default."""

from __future__ import annotations

from application.cli import Action
from application.cli.options import fault_profile, output_folder, period, scale, whole


def register(sub) -> None:
    p = sub.add_parser("demo", help="Chạy thử toàn bộ quy trình / run the whole pipeline on a synthetic province")
    p.add_argument("--json", action="store_true", help="in tóm tắt dạng JSON / print the summary as JSON")
    p.add_argument("--faults", default="none", type=fault_profile,
                   help="hồ sơ lỗi mô phỏng / fault profile: none, flaky, dvc-down, … "
                        "(dti simulate serve --help)")
    p.add_argument("--seed", type=whole, default=20251231)
    p.add_argument("--scale", default="demo", type=scale, help="quy mô / scale: tiny, demo, S, M, N")
    p.add_argument("--period", default="2025-R3", type=period,
                   help="kỳ đánh giá / assessment period (YEAR-R<round>)")
    p.add_argument("--out", default=None, type=output_folder,
                   help="thư mục kết quả / output folder (default out/)")
    p.set_defaults(func=Action("application.demo:run_demo"))
