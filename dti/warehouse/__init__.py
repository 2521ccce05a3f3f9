"""The warehouse: SQLAlchemy models, engine/session helpers and Alembic migrations."""

from dti.warehouse.db import get_engine, init_db, session_scope

__all__ = ["get_engine", "init_db", "session_scope"]
