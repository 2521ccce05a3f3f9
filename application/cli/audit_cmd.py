"""`dti audit checkpoint|verify`: the audit trail's head kept outside the database, and the full check."""

from __future__ import annotations

from pathlib import Path

from application.cli import Action


def register(sub) -> None:
    audit_log = sub.add_parser("audit", help="Nhật ký kiểm toán / the audit trail")
    asub = audit_log.add_subparsers(dest="audit_command", metavar="SUBCOMMAND")
    verify = asub.add_parser("verify", help="Kiểm tra toàn bộ nhật ký / verify the whole trail")
    verify.add_argument("--checkpoint", type=Path, metavar="FILE",
                        help="mốc kiểm tra đã lưu ngoài kho / a checkpoint kept outside the warehouse")
    verify.set_defaults(func=Action("application.cli.audit_run:verify"))
    point = asub.add_parser("checkpoint", help="Ghi mốc kiểm tra (đầu nhật ký, có chữ ký) / write the signed head")
    point.add_argument("--out", type=Path, required=True, metavar="FILE",
                       help="tệp JSON để lưu ngoài kho / a JSON file to keep outside the warehouse")
    point.set_defaults(func=Action("application.cli.audit_run:write_checkpoint"))
    audit_log.set_defaults(func=lambda args: audit_log.print_help() or 2)
