"""`dti tabular load`: read the province's tabular sources (exports, queries declared in YAML) now and say
what loaded and which rows were refused."""

from __future__ import annotations

from application.cli import Action


def register(sub) -> None:
    tabular = sub.add_parser(
        "tabular", help="nguồn dữ liệu dạng bảng (1022, LGSP, thanh toán …) / tabular sources"
    )
    tsub = tabular.add_subparsers(dest="tabular_command", metavar="ACTION")
    p = tsub.add_parser(
        "load",
        help="nạp mọi nguồn dạng bảng đã khai báo, báo dòng bị từ chối "
        "/ load every declared tabular source and report refused rows",
    )
    p.add_argument("--json", action="store_true", help="xuất JSON / JSON output")
    p.set_defaults(func=Action("application.cli.tabular_run:load"))
    tabular.set_defaults(func=lambda args: tabular.print_help() or 2)
