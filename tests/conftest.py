"""Shared fixtures. Real services: a fresh PostgreSQL / MariaDB database per test module.

Under CI=true a missing service is a failure, never a skip.
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# beside the checkout; a git worktree under wt/ finds it one level further up
SHARED = next((p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.exists()),
              ROOT.parent / "shared")
EXTERNAL_SHEET = SHARED / "fixtures" / "external" / "dti-commune-2025.csv"
PG_ADMIN_URL = os.environ.get("DTI_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
MARIADB_ADMIN_URL = os.environ.get("DTI_TEST_MARIADB_URL", "mysql+pymysql://root:@127.0.0.1:3306/test")


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def _require(port: int, name: str) -> None:
    if _reachable(port):
        return
    message = f"{name} on 127.0.0.1:{port} is not reachable"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: real-service tests must run)")
    pytest.skip(message + " (outside CI only)")


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Every test gets its own data and out folders, so nothing leaks between tests."""
    monkeypatch.setenv("DTI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DTI_OUT_DIR", str(tmp_path / "out"))
    monkeypatch.delenv("DTI_DATABASE_URL", raising=False)
    monkeypatch.setenv("TZ", "Asia/Ho_Chi_Minh")
    yield


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'warehouse.db'}"


@pytest.fixture
def warehouse(sqlite_url, monkeypatch) -> str:
    """A migrated SQLite warehouse, selected through DTI_DATABASE_URL. Returns its URL."""
    from dti.warehouse import init_db

    monkeypatch.setenv("DTI_DATABASE_URL", sqlite_url)
    init_db(sqlite_url)
    return sqlite_url


def _fresh_database(admin_url: str, kind: str):
    import sqlalchemy as sa

    name = f"dti_t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    base = admin_url.rsplit("/", 1)[0]
    url = f"{base}/{name}" + ("?charset=utf8mb4" if kind == "mysql" else "")
    try:
        yield url
    finally:
        from dti.warehouse.db import dispose_all

        dispose_all()
        with admin.connect() as conn:
            if kind == "postgres":
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            else:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


@pytest.fixture
def pg_url():
    """URL of a fresh, empty PostgreSQL database (dropped afterwards)."""
    _require(5432, "PostgreSQL")
    yield from _fresh_database(PG_ADMIN_URL, "postgres")


@pytest.fixture
def redis_url():
    """URL of this machine's Redis, on a database number of its own that the test empties first and after."""
    import redis  # lazy: only the tests that need Redis load its client

    _require(6379, "Redis")
    url = os.environ.get("DTI_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()


@pytest.fixture
def mariadb_url():
    """URL of a fresh, empty MariaDB database (dropped afterwards)."""
    _require(3306, "MariaDB")
    yield from _fresh_database(MARIADB_ADMIN_URL, "mysql")


@pytest.fixture
def pg_warehouse(pg_url, monkeypatch) -> str:
    from dti.warehouse import init_db

    monkeypatch.setenv("DTI_DATABASE_URL", pg_url)
    init_db(pg_url)
    return pg_url
