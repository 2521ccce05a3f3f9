"""`dti review serve|create-user` and `dti audit verify`: the council web app, accounts, the audit check."""

from __future__ import annotations

import getpass
import sys

from application.cli import CliError
from dti.settings import get_settings
from dti.vocabulary import Role


def register(sub) -> None:
    review = sub.add_parser("review", help="Ứng dụng thẩm định của Hội đồng / council review web app")
    rsub = review.add_subparsers(dest="review_command", metavar="SUBCOMMAND")

    serve = rsub.add_parser("serve", help="Chạy ứng dụng web / run the web app")
    serve.add_argument("--host", default="127.0.0.1", help="địa chỉ lắng nghe / bind address (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="cổng / port (8765)")
    serve.add_argument("--threads", type=int, default=8, help="số luồng phục vụ / worker threads (8)")
    serve.set_defaults(func=_serve)

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
    create.set_defaults(func=_create_user)
    review.set_defaults(func=lambda args: review.print_help() or 2)

    audit_log = sub.add_parser("audit", help="Nhật ký quyết định / decision audit log")
    asub = audit_log.add_subparsers(dest="audit_command", metavar="SUBCOMMAND")
    verify = asub.add_parser("verify", help="Kiểm tra chuỗi băm / verify the hash chain")
    verify.set_defaults(func=_verify)
    audit_log.set_defaults(func=lambda args: audit_log.print_help() or 2)


def _serve(args) -> int:
    # lazy: the web app (Flask, openpyxl, argon2, the warehouse) would add 1-2 s to every `dti` command
    from werkzeug.serving import make_server  # noqa: PLC0415

    from dti.warehouse import init_db  # noqa: PLC0415
    from review import create_app  # noqa: PLC0415

    settings = get_settings()
    init_db(settings.database_url)
    app = create_app(settings)
    # A threaded werkzeug server is enough for a council of a few dozen people on one machine.
    server = make_server(args.host, args.port, app, threaded=True)
    print(f"Ứng dụng thẩm định DTI: http://{args.host}:{server.server_port}/ (Ctrl+C để dừng / to stop)")
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def _create_user(args) -> int:
    # lazy: the council rules and the warehouse would add 1-2 s to every `dti` command
    from dti.appraisal.accounts import create_user  # noqa: PLC0415
    from dti.appraisal.errors import ReviewError  # noqa: PLC0415
    from dti.warehouse import init_db, session_scope  # noqa: PLC0415

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Mật khẩu / password: ")
        if password != getpass.getpass("Nhập lại / again: "):
            raise CliError("Hai lần nhập mật khẩu không khớp / the passwords do not match")
    url = get_settings().database_url
    init_db(url)
    try:
        with session_scope(url) as s:
            user = create_user(s, args.username, args.role, password, args.unit, args.full_name)
            name, role = user.username, user.role
    except ReviewError as exc:
        raise CliError(str(exc)) from exc
    print(f"Đã tạo tài khoản '{name}' ({Role(role).vi}) / created account '{name}' ({role})")
    return 0


def _verify(args) -> int:
    # lazy: the audit chain and the warehouse would add 1-2 s to every `dti` command
    from sqlalchemy.exc import DBAPIError  # noqa: PLC0415

    from dti import audit  # noqa: PLC0415
    from dti.appraisal.decision_history import decision_count  # noqa: PLC0415
    from dti.warehouse import session_scope  # noqa: PLC0415

    try:
        with session_scope(get_settings().database_url) as s:
            problems = audit.verify(s)
            count = decision_count(s)
    except DBAPIError as exc:
        raise CliError(
            "Không đọc được nhật ký quyết định trong kho dữ liệu (chưa tạo? chạy `dti db upgrade`) "
            f"/ cannot read the decision log (not created? run `dti db upgrade`): {exc.orig}"
        ) from exc
    if problems:
        for problem in problems:
            print(f"LỖI / ERROR {problem}", file=sys.stderr)
        print(
            f"Nhật ký quyết định KHÔNG toàn vẹn: {len(problems)} vấn đề trên {count} quyết định / "
            f"the decision log is NOT intact: {len(problems)} problem(s) in {count} decision(s)",
            file=sys.stderr,
        )
        return 1
    print(
        f"Nhật ký quyết định toàn vẹn: {count} quyết định / the decision log is intact: {count} decision(s)"
    )
    return 0
