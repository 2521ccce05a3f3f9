"""Engines, sessions and schema set-up for the warehouse (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from dti.settings import get_settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def _sqlite_pragmas(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _owner_only(path: Path) -> None:
    """Create a SQLite warehouse readable by this account only (it holds password hashes); SQLite gives
    its journal files the same mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL per process. DTI_DATABASE_URL selects the warehouse."""
    url = url or get_settings().database_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            if url.startswith("sqlite"):
                path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else ""
                if path and path != ":memory:" and not path.startswith("file:"):
                    _owner_only(Path(path))
                engine = create_engine(url, connect_args={"timeout": 30})
                event.listen(engine, "connect", _sqlite_pragmas)
            else:
                engine = create_engine(url, pool_pre_ping=True)
            _engines[url] = engine
        return engine


def dispose_all() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def alembic_config(url: str):
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def init_db(url: str | None = None) -> Engine:
    """Bring the warehouse schema to the latest migration (idempotent)."""
    url = url or get_settings().database_url
    engine = get_engine(url)
    with engine.begin() as conn:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return engine


class Warehouse:
    """The warehouse a run reads and writes: it owns the engine and hands out sessions.

    Built once at the edge (from the settings, a Dagster resource or a test fixture) and passed down,
    so no layer below carries the database URL as a string."""

    def __init__(self, url: str | None = None):
        self.url = url or get_settings().database_url
        self.engine = get_engine(self.url)

    def __repr__(self) -> str:
        return f"Warehouse({self.engine.url.render_as_string(hide_password=True)!r})"

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self, **kwargs) -> Session:
        """A session the caller closes (use it in a `with` block)."""
        return Session(self.engine, **kwargs)

    def transaction(self) -> contextlib.AbstractContextManager[Session]:
        """A session in one transaction: commit on success, roll back on error."""
        return session_scope(self.url)

    def migrate(self) -> Warehouse:
        """Bring the schema to the latest migration (idempotent)."""
        init_db(self.url)
        return self


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session in one transaction: commit on success, roll back on error."""
    factory = sessionmaker(bind=get_engine(url), expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
