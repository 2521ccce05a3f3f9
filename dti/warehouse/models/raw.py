"""Raw records synced from the systems of record, with their provenance, and the sync bookkeeping
(watermarks, batches, source status)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from dti.warehouse.models.base import Base, UTCDateTime


class _Provenance:
    """Every raw record knows where and when it came from."""

    source_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(64), index=True)  # current unit after mapping
    source_unit_code: Mapped[str] = mapped_column(String(64))  # as the source wrote it
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    batch_id: Mapped[str] = mapped_column(String(64))
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    checksum: Mapped[str] = mapped_column(String(64))


class RawProcedure(_Provenance, Base):
    __tablename__ = "raw_procedures"
    procedure_code: Mapped[str] = mapped_column(String(64))
    name_vi: Mapped[str | None] = mapped_column(String(512))
    service_level: Mapped[str] = mapped_column(String(16))  # full / partial / info
    fee_applies: Mapped[bool] = mapped_column(Boolean, default=False)


def metrics_index_name(table: str) -> str:
    return f"ix_{table}_metrics"


def _metrics_index(table: str, *columns: str) -> Index:
    """On SQLite, an index holding every column the objective metrics read, led by (unit_code, source_id).

    The metrics then read the index instead of the table: a unit's rows come in source-id order, so its first
    failing records are found by walking the start of its index (dti.metrics) and totals are summed unit by
    unit without a sort: at a million dossiers the metrics take a third of the time they took reading the table.
    It costs space (at S, 153 MB beside a 335 MB dossier table, 38 MB beside 145 MB of documents) and a few
    seconds at the end of a first sync, so it is made on SQLite only; PostgreSQL and MariaDB run the window
    query of dti.metrics without it.
    """
    return Index(metrics_index_name(table), "unit_code", "source_id", "deleted", *columns).ddl_if(dialect="sqlite")


class RawDossier(_Provenance, Base):
    __tablename__ = "raw_dossiers"
    __table_args__ = (_metrics_index("raw_dossiers", "received_at", "finished_at", "due_at", "status", "channel",
                                     "service_level", "fee_applies", "paid_online", "has_digitised", "synced_portal",
                                     "vneid", "e_result", "satisfaction", "components_total", "components_reused",
                                     "procedure_code"),)
    dossier_code: Mapped[str] = mapped_column(String(64))
    procedure_code: Mapped[str] = mapped_column(String(64))
    channel: Mapped[int] = mapped_column(Integer)  # 1 in person, 2 online, 3 postal
    service_level: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))  # processing / paused / done / rejected
    has_digitised: Mapped[bool] = mapped_column(Boolean, default=False)
    e_result: Mapped[bool] = mapped_column(Boolean, default=False)
    paid_online: Mapped[bool] = mapped_column(Boolean, default=False)
    fee_applies: Mapped[bool] = mapped_column(Boolean, default=False)
    vneid: Mapped[bool] = mapped_column(Boolean, default=False)
    synced_portal: Mapped[bool] = mapped_column(Boolean, default=False)
    components_total: Mapped[int] = mapped_column(Integer, default=0)
    components_reused: Mapped[int] = mapped_column(Integer, default=0)
    satisfaction: Mapped[int | None] = mapped_column(Integer)  # 1 satisfied, 0 not, None not rated


class RawDocument(_Provenance, Base):
    __tablename__ = "raw_documents"
    __table_args__ = (_metrics_index("raw_documents", "issue_date", "direction", "doc_type", "topic_dx",
                                     "signer_role", "digitally_signed", "inter_agency", "via_axis", "axis_status",
                                     "confidential", "work_file", "work_file_online"),)
    direction: Mapped[str] = mapped_column(String(8))  # out / in
    number: Mapped[str | None] = mapped_column(String(32))
    notation: Mapped[str | None] = mapped_column(String(64))
    issue_date: Mapped[dt.date] = mapped_column(Date, index=True)
    doc_type: Mapped[str] = mapped_column(String(16))
    topic_dx: Mapped[bool] = mapped_column(Boolean, default=False)
    signer_role: Mapped[str | None] = mapped_column(String(16))  # head / deputy / other
    digitally_signed: Mapped[bool] = mapped_column(Boolean, default=False)
    inter_agency: Mapped[bool] = mapped_column(Boolean, default=False)
    via_axis: Mapped[bool] = mapped_column(Boolean, default=False)
    axis_status: Mapped[str | None] = mapped_column(String(16))
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    work_file: Mapped[bool] = mapped_column(Boolean, default=False)
    work_file_online: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[str | None] = mapped_column(Text)


class RawStaff(_Provenance, Base):
    """Users of the document system: who is eligible to sign and who holds a personal certificate."""

    __tablename__ = "raw_staff"
    eligible_signer: Mapped[bool] = mapped_column(Boolean, default=False)
    personal_certificate: Mapped[bool] = mapped_column(Boolean, default=False)


class RawIncident(_Provenance, Base):
    __tablename__ = "raw_incidents"
    detected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    sla_hours: Mapped[int] = mapped_column(Integer)


class RawInventory(_Provenance, Base):
    """A unit's security inventory snapshot: workstations, managed endpoints, systems, monitored."""

    __tablename__ = "raw_inventories"
    as_of: Mapped[dt.date] = mapped_column(Date)
    workstations: Mapped[int] = mapped_column(Integer)
    managed_endpoints: Mapped[int] = mapped_column(Integer)
    systems: Mapped[int] = mapped_column(Integer)
    monitored_systems: Mapped[int] = mapped_column(Integer)


class SyncWatermark(Base):
    __tablename__ = "sync_watermarks"
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    entity: Mapped[str] = mapped_column(String(32), primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(64), primary_key=True)  # "*" for all units
    watermark: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class SyncBatch(Base):
    __tablename__ = "sync_batches"
    batch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(16), index=True)
    entity: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))  # running / ok / incomplete / failed
    records: Mapped[int] = mapped_column(Integer, default=0)  # stored (upserted)
    error: Mapped[str | None] = mapped_column(Text)
    # The count check every sync ends with: what the source said it had for the window (when it says),
    # what arrived, and what was set aside.
    expected: Mapped[int | None] = mapped_column(Integer)
    received: Mapped[int | None] = mapped_column(Integer)
    quarantined: Mapped[int | None] = mapped_column(Integer)


class SourceStatus(Base):
    """Latest health of each source, which decides whether its indicators can be verified."""

    __tablename__ = "source_status"
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str | None] = mapped_column(String(16))  # ok / incomplete / failed (SyncVerdict)


class QuarantinedRecord(Base):
    """A record a source sent that the sync set aside instead of loading (e.g. updated far in the future),
    kept whole with the reason, so nothing is dropped silently and a person can look at it."""

    __tablename__ = "quarantined_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(16), index=True)
    entity: Mapped[str] = mapped_column(String(32))
    batch_id: Mapped[str] = mapped_column(String(64), index=True)
    source_id: Mapped[str] = mapped_column(String(128))
    unit_code: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)
    record: Mapped[dict] = mapped_column(JSON)
    quarantined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
