"""`dti demo`: the main job end to end on the embedded default."""

from __future__ import annotations

from application.cli import Action


def register(sub) -> None:
    p = sub.add_parser("demo", help="Chạy thử toàn bộ quy trình / run the whole pipeline on a synthetic province")
    p.add_argument("--json", action="store_true", help="in tóm tắt dạng JSON / print the summary as JSON")
    p.add_argument("--faults", default="none", help="hồ sơ lỗi mô phỏng / fault profile: none, flaky, dvc-down")
    p.add_argument("--seed", type=int, default=20251231)
    p.add_argument("--scale", default="demo", help="quy mô / scale: tiny, demo, S, M")
    p.add_argument("--period", default="2025-R3", help="kỳ đánh giá / assessment period (YEAR-R<round>)")
    p.add_argument("--out", default=None, help="thư mục kết quả / output folder (default out/)")
    p.set_defaults(func=Action("application.demo:run_demo"))
