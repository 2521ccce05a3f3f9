"""`dti review serve|create-user`: the council web app and its accounts."""

from __future__ import annotations

from application.cli import Action
from application.cli.options import port, positive_int
from dti.vocabulary import Role


def register(sub) -> None:
    review = sub.add_parser("review", help="Ứng dụng thẩm định của Hội đồng / council review web app")
    rsub = review.add_subparsers(dest="review_command", metavar="SUBCOMMAND")

    serve = rsub.add_parser("serve", help="Chạy ứng dụng web / run the web app")
    serve.add_argument("--host", default="127.0.0.1", help="địa chỉ lắng nghe / bind address (127.0.0.1)")
    serve.add_argument("--port", type=port, default=8765, help="cổng / port (8765)")
    serve.add_argument("--threads", type=positive_int, default=8,
                       help="số luồng phục vụ / worker threads (8)")
    serve.set_defaults(func=Action("application.cli.review_run:serve"))

    create = rsub.add_parser("create-user", help="Tạo tài khoản / create an account")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=list(Role))
    create.add_argument(
        "--unit", help="mã đơn vị, bắt buộc với submitter / unit code, required for submitter"
    )
    create.add_argument("--full-name", help="họ tên / full name")
    create.add_argument(
        "--password-stdin", action="store_true", help="đọc mật khẩu từ stdin / read the password from stdin"
    )
    create.set_defaults(func=Action("application.cli.review_run:create_account"))
    review.set_defaults(func=lambda args: review.print_help() or 2)
