"""What `dti review serve|create-user` and `dti audit verify` do: serve the council web app, create an
account, check the audit chain."""

from __future__ import annotations

import getpass
import socket
import sys

from sqlalchemy.exc import DBAPIError
from werkzeug.serving import make_server

from application.cli import CliError
from dti import audit
from dti.appraisal import accounts
from dti.appraisal.decision_history import decision_count
from dti.appraisal.errors import ReviewError
from dti.settings import get_settings
from dti.vocabulary import Role
from dti.warehouse import Warehouse, init_db, session_scope
from review import create_app


def _can_listen(host: str, port: int) -> None:
    """Refuse a taken port or an unknown address before the app starts (werkzeug would exit on its own)."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        why = exc.strerror or exc
        raise CliError(f"không mở được {host}:{port} ({why}); cổng đang bận? dùng --port khác / cannot "
                       f"listen on {host}:{port} ({why}); is the port in use? try another --port") from None


def serve(args) -> int:
    _can_listen(args.host, args.port)
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


def create_account(args) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Mật khẩu / password: ")
        if password != getpass.getpass("Nhập lại / again: "):
            raise CliError("Hai lần nhập mật khẩu không khớp / the passwords do not match")
    wh = Warehouse().migrate()
    try:
        with wh.transaction() as s:
            user = accounts.create_user(s, args.username, args.role, password, args.unit, args.full_name)
            name, role = user.username, user.role
    except ReviewError as exc:
        raise CliError(str(exc)) from exc
    print(f"Đã tạo tài khoản '{name}' ({Role(role).vi}) / created account '{name}' ({role})")
    return 0


def verify(args) -> int:
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
