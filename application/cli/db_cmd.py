"""`dti db upgrade`: bring the warehouse schema up to date."""

from __future__ import annotations

from dti.warehouse import Warehouse


def register(sub) -> None:
    p = sub.add_parser("db", help="Cơ sở dữ liệu kho / warehouse database")
    dsub = p.add_subparsers(dest="db_command", metavar="ACTION")
    up = dsub.add_parser("upgrade", help="Áp dụng migration mới nhất / apply migrations")
    up.set_defaults(func=_upgrade)


def _upgrade(args) -> int:
    wh = Warehouse().migrate()
    print(f"Kho dữ liệu đã cập nhật / warehouse up to date: {wh.url.split('@')[-1]}")
    return 0
