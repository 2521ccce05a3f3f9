"""The declarative base, its naming convention and the column types every table shares."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    DateTime,
    MetaData,
    Numeric,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}



class UTCDateTime(TypeDecorator):
    """Aware timestamps stored as UTC. SQLite and MariaDB keep no offset, so a +07:00 time stored
    as-is would come back 7 hours off; normalising to UTC makes every backend agree."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: timestamps must carry a time zone")
        value = value.astimezone(dt.UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


VALUE = Numeric(20, 6)
POINTS = Numeric(12, 4)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
