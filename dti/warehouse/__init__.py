"""The warehouse: SQLAlchemy models, the Warehouse (engine and sessions) and Alembic migrations."""

from dti.warehouse.db import Warehouse, get_engine, init_db, session_scope

__all__ = ["Warehouse", "get_engine", "init_db", "session_scope"]
