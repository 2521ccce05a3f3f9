"""What `dti review serve|create-user` and `dti audit verify` do: serve the council web app, create an
account, check the audit chain."""

from __future__ import annotations

import getpass
import sys

from werkzeug.serving import make_server

from application.cli import CliError
from dti.appraisal import accounts
from dti.appraisal.errors import ReviewError
from dti.settings import get_settings
from dti.vocabulary import Role
from dti.warehouse import Warehouse, init_db
from review import create_app


def serve(args) -> int:
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
