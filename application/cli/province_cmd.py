"""`dti province init DIR`: bring a warehouse up for a province from a folder of its own files."""

from __future__ import annotations

from application.cli import Action


def register(sub) -> None:
    province = sub.add_parser("province", help="tỉnh: nạp dữ liệu riêng của tỉnh / a province's own data")
    psub = province.add_subparsers(dest="province_command", metavar="ACTION")
    p = psub.add_parser("init", help="nạp danh mục đơn vị, bộ chỉ số, ánh xạ từ một thư mục (province.yaml) "
                                     "/ load units, index sets and mappings from a folder (province.yaml)")
    p.add_argument("folder", metavar="DIR", help="thư mục có province.yaml / folder holding province.yaml")
    p.add_argument("--json", action="store_true", help="xuất JSON / JSON output")
    p.set_defaults(func=Action("application.cli.province_run:init"))
    province.set_defaults(func=lambda args: province.print_help() or 2)
