"""`dti units import`: load a province's own unit list (codes, types, validity, merger lineage)."""

from __future__ import annotations

from application.cli import Action


def register(sub) -> None:
    units = sub.add_parser("units", help="danh mục đơn vị / the unit registry")
    usub = units.add_subparsers(dest="units_command", metavar="ACTION")
    p = usub.add_parser("import", help="nạp danh mục đơn vị từ .xlsx/.csv / import a units file (.xlsx, .csv)")
    p.add_argument("file", metavar="FILE", help="tệp .xlsx/.csv, hoặc danh mục kèm theo: provinces-2025 "
                                                "/ a file, or the bundled list provinces-2025")
    p.add_argument("--json", action="store_true", help="xuất JSON / JSON output")
    p.set_defaults(func=Action("application.cli.units_run:import_units"))
    units.set_defaults(func=lambda args: units.print_help() or 2)
