"""What `dti review serve|create-user` and `dti audit verify` do: serve the council web app, create an
account, check the audit chain."""

from __future__ import annotations

import getpass
import socket
import sys

from waitress import create_server

from application.cli import CliError
from dti.appraisal import accounts
from dti.appraisal.errors import ReviewError
from dti.settings import get_settings, read_int
from dti.vocabulary import Role
from dti.warehouse import Warehouse
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
    """The app on waitress, a production WSGI server: exactly --threads workers, a cap on open
    connections, a cap on request bodies, and idle connections closed after channel_timeout."""
    if args.threads < 1:
        raise CliError(f"--threads phải ≥ 1 / must be at least 1, not {args.threads}")
    _can_listen(args.host, args.port)
    settings = get_settings()
    Warehouse(settings.database_url).migrate()
    app = create_app(settings)
    server = create_server(app, host=args.host, port=args.port, threads=args.threads,
                           connection_limit=read_int("DTI_REVIEW_CONNECTION_LIMIT"),
                           max_request_body_size=settings.max_upload_bytes + 1024 * 1024, channel_timeout=30,
                           ident="dti-review")
    print(f"Ứng dụng thẩm định DTI: http://{args.host}:{server.effective_port}/ (Ctrl+C để dừng / to stop)",
          flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
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
