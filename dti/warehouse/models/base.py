"""The declarative base, its naming convention and the column types every table shares."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

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


class Exact(TypeDecorator):
    """A decimal column rounded half up to its scale in Python before it is stored, so every backend keeps
    the same digits (PostgreSQL would round half away from zero, SQLite through a float) and none is rounded
    twice."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int):
        super().__init__(precision=precision, scale=scale)
        self.quantum = Decimal(1).scaleb(-scale)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        exact = value if isinstance(value, Decimal) else Decimal(str(value))
        return exact.quantize(self.quantum, rounding=ROUND_HALF_UP)


VALUE = Exact(20, 6)
# Points keep 12 decimals: a leaf's points are max × a ratio of record counts, so a value whose two-decimal
# rounding is a tie (x.xx5 exactly) is stored as one, and one that is not differs from a tie by far more than
# 1e-12 — the half-up rounding of the exports is then that of the exact value (issue 16).
POINTS = Exact(24, 12)
SHARE = Exact(8, 6)  # DTI values and shares
# The largest value of an INTEGER column on every backend: a number beyond it is refused by the database itself.
MAX_INTEGER = 2**31 - 1


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
