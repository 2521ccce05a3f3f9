"""Everything the pipeline keeps, as SQLAlchemy 2 tables. Alembic migrations mirror this module.

Conventions: codes are strings; points and values are Numeric (Decimal in Python); timestamps are
timezone-aware and stored in UTC; `period` is `YEAR-R<round>` (see dti.framework.periods).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
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


# --- reference data -------------------------------------------------------------------------


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


class FrameworkVersion(Base):
    __tablename__ = "frameworks"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(32))
    checksum: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict] = mapped_column(JSON)
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


# --- intake ---------------------------------------------------------------------------------


class IntakeFile(Base):
    """An uploaded file, stored content-addressed; re-importing the same bytes is a no-op."""

    __tablename__ = "intake_files"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    filename: Mapped[str] = mapped_column(String(512))
    size: Mapped[int] = mapped_column(BigInteger)
    stored_path: Mapped[str] = mapped_column(String(1024))
    mapping: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(32))  # imported / rejected / partial
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_accepted: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict | None] = mapped_column(JSON)


class Submission(Base):
    """One unit's self-assessment for a period; a later one supersedes it, history kept."""

    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unit_code: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str] = mapped_column(String(16), index=True)
    framework_id: Mapped[str] = mapped_column(String(64))
    file_sha256: Mapped[str | None] = mapped_column(ForeignKey("intake_files.sha256"))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    is_late: Mapped[bool] = mapped_column(Boolean, default=False)
    superseded_by: Mapped[int | None] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    source: Mapped[str] = mapped_column(String(32), default="file")  # file / generator / web


class SelfReport(Base):
    """A self-reported value for one indicator, as the unit sent it."""

    __tablename__ = "self_reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    unit_code: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(16))
    indicator_code: Mapped[str] = mapped_column(String(32))
    value: Mapped[Decimal | None] = mapped_column(VALUE)
    numerator: Mapped[Decimal | None] = mapped_column(VALUE)
    denominator: Mapped[Decimal | None] = mapped_column(VALUE)
    self_points: Mapped[Decimal | None] = mapped_column(POINTS)
    council_points: Mapped[Decimal | None] = mapped_column(POINTS)  # foreign sheets that carry it
    evidence_text: Mapped[str | None] = mapped_column(Text)
    source_sheet: Mapped[str | None] = mapped_column(String(128))
    source_row: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[dict | None] = mapped_column(JSON)
    __table_args__ = (Index("ix_self_reports_key", "unit_code", "period", "indicator_code"),)


class QuarantineRow(Base):
    """A rejected input row, kept whole with the reasons, so nothing is lost."""

    __tablename__ = "quarantine_rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    file_sha256: Mapped[str] = mapped_column(ForeignKey("intake_files.sha256"), index=True)
    sheet: Mapped[str | None] = mapped_column(String(128))
    row_number: Mapped[int] = mapped_column(Integer)
    raw: Mapped[dict] = mapped_column(JSON)
    reasons: Mapped[list] = mapped_column(JSON)  # [{column, value, code, message_vi, message_en}]


class EvidenceCitation(Base):
    """A document reference parsed from evidence text, and its check against the document system."""

    __tablename__ = "evidence_citations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    self_report_id: Mapped[int] = mapped_column(ForeignKey("self_reports.id"), index=True)
    raw: Mapped[str] = mapped_column(Text)
    number: Mapped[str | None] = mapped_column(String(32))
    notation: Mapped[str | None] = mapped_column(String(64))
    issuer: Mapped[str | None] = mapped_column(String(64))
    doc_date: Mapped[dt.date | None] = mapped_column(Date)
    check_status: Mapped[str | None] = mapped_column(String(32))  # found / not_found / date_mismatch
    matched_document_id: Mapped[str | None] = mapped_column(String(128))


class EvidenceFile(Base):
    """One evidence file filed for one unit and period. The bytes are stored once per content (by
    sha256), so the same document — a provincial plan many units cite — can be filed by each unit."""

    __tablename__ = "evidence_files"
    __table_args__ = (UniqueConstraint("sha256", "unit_code", "period", "indicator_code", name="uq_evidence_filing"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(512))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)
    stored_path: Mapped[str] = mapped_column(String(1024))
    unit_code: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str | None] = mapped_column(String(16))
    indicator_code: Mapped[str | None] = mapped_column(String(32))
    uploaded_by: Mapped[str | None] = mapped_column(String(128))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


# --- raw records from the systems of record --------------------------------------------------


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
    status: Mapped[str] = mapped_column(String(16))  # running / ok / failed
    records: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class SourceStatus(Base):
    """Latest health of each source, which decides whether its indicators can be verified."""

    __tablename__ = "source_status"
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)


# --- derived ---------------------------------------------------------------------------------


class ObjectiveMetric(Base):
    __tablename__ = "objective_metrics"
    unit_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    indicator_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    metric: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # ok / unavailable / stale / no_data / incomplete
    reason: Mapped[str | None] = mapped_column(Text)
    value: Mapped[Decimal | None] = mapped_column(VALUE)
    numerator: Mapped[Decimal | None] = mapped_column(VALUE)
    denominator: Mapped[Decimal | None] = mapped_column(VALUE)
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    coverage: Mapped[Decimal | None] = mapped_column(Numeric(8, 6))
    freshness_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    snapshot_id: Mapped[str | None] = mapped_column(String(64))
    record_ids: Mapped[list | None] = mapped_column(JSON)  # sample of ids behind the value


class ClaimLedgerRow(Base):
    __tablename__ = "claim_ledger"
    unit_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    indicator_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    framework_id: Mapped[str] = mapped_column(String(64))
    main_index_code: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    measure: Mapped[str] = mapped_column(String(16))
    max_points: Mapped[Decimal] = mapped_column(POINTS)
    self_value: Mapped[Decimal | None] = mapped_column(VALUE)
    self_points: Mapped[Decimal | None] = mapped_column(POINTS)
    objective_value: Mapped[Decimal | None] = mapped_column(VALUE)
    objective_numerator: Mapped[Decimal | None] = mapped_column(VALUE)
    objective_denominator: Mapped[Decimal | None] = mapped_column(VALUE)
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    difference: Mapped[Decimal | None] = mapped_column(VALUE)
    tolerance: Mapped[Decimal | None] = mapped_column(VALUE)
    outcome: Mapped[str] = mapped_column(String(24), index=True)
    direction: Mapped[str | None] = mapped_column(String(8))  # over / under
    severity: Mapped[str | None] = mapped_column(String(8))  # low / medium / high / critical
    points_at_stake: Mapped[Decimal | None] = mapped_column(POINTS)
    verified_value: Mapped[Decimal | None] = mapped_column(VALUE)
    verified_points: Mapped[Decimal | None] = mapped_column(POINTS)
    reason: Mapped[str | None] = mapped_column(String(255))  # machine-readable codes, ';'-joined
    reason_vi: Mapped[str | None] = mapped_column(Text)
    snapshot_id: Mapped[str | None] = mapped_column(String(64))
    record_ids: Mapped[list | None] = mapped_column(JSON)
    citations: Mapped[list | None] = mapped_column(JSON)  # [{raw, status, document_id}]
    decision_id: Mapped[int | None] = mapped_column(Integer)  # latest council decision applied
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic locking
    __mapper_args__ = {"version_id_col": version}


class UnitScore(Base):
    __tablename__ = "unit_scores"
    unit_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    framework_id: Mapped[str] = mapped_column(String(64))
    unit_type: Mapped[str] = mapped_column(String(32))
    max_points: Mapped[Decimal] = mapped_column(POINTS)
    self_total: Mapped[Decimal] = mapped_column(POINTS)
    verified_total: Mapped[Decimal] = mapped_column(POINTS)
    self_dti: Mapped[Decimal] = mapped_column(Numeric(8, 6))
    verified_dti: Mapped[Decimal] = mapped_column(Numeric(8, 6))
    self_rank: Mapped[int] = mapped_column(Integer)
    verified_rank: Mapped[int] = mapped_column(Integer)
    rank_change: Mapped[int] = mapped_column(Integer)
    movers: Mapped[list | None] = mapped_column(JSON)  # indicators that moved the rank
    by_main_index: Mapped[dict | None] = mapped_column(JSON)


class CheckResult(Base):
    """History of every data-quality check run (Great Expectations and domain rules)."""

    __tablename__ = "check_results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str | None] = mapped_column(String(64), index=True)
    asset: Mapped[str] = mapped_column(String(64))
    check_name: Mapped[str] = mapped_column(String(128))
    partition: Mapped[str | None] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(8))  # ERROR / WARN
    success: Mapped[bool] = mapped_column(Boolean)
    failing_count: Mapped[int] = mapped_column(Integer, default=0)
    failing_rows: Mapped[list | None] = mapped_column(JSON)  # business keys of failing rows
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


# --- council review ---------------------------------------------------------------------------


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # council / staff / submitter / admin
    unit_code: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class PeriodPhase(Base):
    """Workflow phase of a period: self_assessment → submitted → appraisal → explanation → final → published."""

    __tablename__ = "period_phases"
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    phase: Mapped[str] = mapped_column(String(24))
    signed_off: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_by: Mapped[str | None] = mapped_column(String(128))
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Decision(Base):
    """A council decision on one claim. Append-only and hash-chained (see dti.audit)."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unit_code: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str] = mapped_column(String(16))
    indicator_code: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(24))  # accept_objective / keep_claim / set_value / request_evidence
    value: Mapped[Decimal | None] = mapped_column(VALUE)
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(128))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    evidence_snapshot: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # effective / pending_approval / approved / rejected
    approves_id: Mapped[int | None] = mapped_column(Integer)  # four-eyes: the decision this approves
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class ExplanationRequest(Base):
    __tablename__ = "explanation_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unit_code: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str] = mapped_column(String(16))
    indicator_code: Mapped[str] = mapped_column(String(32))
    requested_by: Mapped[str] = mapped_column(String(128))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    message: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(128))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))


class Alert(Base):
    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    delivered: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str | None] = mapped_column(String(32))


class BlobStore(Base):
    """Small content-addressed payloads kept in the warehouse itself (e.g. snapshots)."""

    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


__all__ = [name for name in dir() if not name.startswith("_")] + ["UniqueConstraint"]
