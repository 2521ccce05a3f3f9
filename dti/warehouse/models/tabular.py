"""Rows of the province's tabular sources (CSV/Excel exports, SQL queries: the 1022 hotline, LGSP, payments …),
the marks each declarative metric puts on them, each source's latest load, and the rows a load refused
(dti.tabular)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dti.warehouse.models.base import Base, UTCDateTime


class RawTabularRow(Base):
    """One accepted row of a tabular source, keyed by source id + the row's own id (`source_id` is both)."""

    __tablename__ = "raw_tabular_rows"
    source_id: Mapped[str] = mapped_column(String(200), primary_key=True)  # "<tabular source>:<row id>"
    tabular_source: Mapped[str] = mapped_column(String(64), index=True)
    row_id: Mapped[str] = mapped_column(String(128))
    unit_code: Mapped[str] = mapped_column(String(64), index=True)  # current unit (a merged unit's successor)
    source_unit_code: Mapped[str] = mapped_column(String(64))  # as the export wrote it
    row_date: Mapped[dt.date] = mapped_column(Date)
    fields: Mapped[dict] = mapped_column(JSON)  # every mapped field, typed (dates as ISO text)
    origin: Mapped[str] = mapped_column(Text)  # file name and row number (or "sql")
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class TabularMark(Base):
    """Whether a row is in a declarative metric's denominator and in its numerator (filters evaluated once, at
    load): the metric and the claim page's record list read the same marks."""

    __tablename__ = "tabular_marks"
    metric: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    in_denominator: Mapped[bool] = mapped_column(Boolean)
    in_numerator: Mapped[bool] = mapped_column(Boolean)


class TabularLoad(Base):
    """The latest load of each tabular source: ok or not (why), when, how many rows accepted and refused."""

    __tablename__ = "tabular_loads"
    tabular_source: Mapped[str] = mapped_column(String(64), primary_key=True)
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    loaded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    checksum: Mapped[str | None] = mapped_column(String(64))


class TabularReject(Base):
    """A row the latest load refused, kept whole with a bilingual reason naming file, row and field."""

    __tablename__ = "tabular_rejects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tabular_source: Mapped[str] = mapped_column(String(64), index=True)
    origin: Mapped[str] = mapped_column(Text)
    unit_code: Mapped[str | None] = mapped_column(String(64))
    field: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    record: Mapped[dict] = mapped_column(JSON)
