"""Reference data: units and their merger links, and the framework content each ledger was built with."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Date,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from dti.warehouse.models.base import Base, UTCDateTime


class Unit(Base):
    __tablename__ = "units"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(255))
    unit_type: Mapped[str] = mapped_column(String(32), index=True)
    province_code: Mapped[str] = mapped_column(String(16), index=True)
    parent_code: Mapped[str | None] = mapped_column(String(64))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    framework_id: Mapped[str | None] = mapped_column(String(64))


class UnitLink(Base):
    """A merger or rename: records under `predecessor_code` belong to `successor_code` from `effective`."""

    __tablename__ = "unit_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    predecessor_code: Mapped[str] = mapped_column(String(64), index=True)
    successor_code: Mapped[str] = mapped_column(String(64), index=True)
    effective: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(255))


class UnitRevision(Base):
    """A unit as it stood before a re-import changed it (name, type, dates…): the history by code."""

    __tablename__ = "unit_revisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    name_vi: Mapped[str] = mapped_column(String(255))
    unit_type: Mapped[str] = mapped_column(String(32))
    province_code: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(String(64))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    framework_id: Mapped[str | None] = mapped_column(String(64))
    replaced_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    source: Mapped[str | None] = mapped_column(String(512))  # the file whose import replaced it


class FrameworkVersion(Base):
    __tablename__ = "frameworks"
    # versions of one framework coexist (a decision replacing another): one row per id@version
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    checksum: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict] = mapped_column(JSON)
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
