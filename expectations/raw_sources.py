"""Great Expectations suites for raw records from the systems of record, run after each sync."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import sqlalchemy as sa

from dti.warehouse import Warehouse
from dti.warehouse.models import RawDocument, RawDossier, RawIncident, RawInventory
from expectations.adapter import ERROR, WARN, Check, ExpectationOutcome, SuiteOutcome, run_suite

KEYS = ["source_id", "unit_code"]
# Rows validated per pass: a full sync's batch is the whole history, so memory must follow the
# chunk, not the batch. Outcomes are merged into the same result one pass would give.
CHUNK_ROWS = 200_000


def _frames(query, wh: Warehouse) -> Iterator[pd.DataFrame]:
    engine = wh.engine
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            # The driver's cursor straight into DataFrames: the columns read here need no type
            # processing, and SQLAlchemy's result rows cost half the read. (SQLite's cursor streams.)
            compiled = query.compile(dialect=engine.dialect)
            cursor = conn.connection.driver_connection.cursor()
            try:
                cursor.execute(str(compiled), [compiled.params[name] for name in compiled.positiontup or ()])
                names = [c[0] for c in cursor.description]
                rows = cursor.fetchmany(CHUNK_ROWS)
                yield pd.DataFrame(rows, columns=names)  # an empty batch too: every check still reports
                while rows := cursor.fetchmany(CHUNK_ROWS):
                    yield pd.DataFrame(rows, columns=names)
            finally:
                cursor.close()
            return
        # A server-side cursor, or PostgreSQL's and MariaDB's drivers would hold the whole result anyway.
        yield from pd.read_sql(query, conn.execution_options(stream_results=True), chunksize=CHUNK_ROWS)


def dossier_flags():
    """The row-level predicates of the dossier suite as SQL, 1 or 0 per row. Computed by the database
    from the stored times, so a chunk does not bring three timestamp columns into Python (each value
    through UTCDateTime) only to compare them. Same predicates as before: a missing due or finished
    time passes, any other value must not be before the received time."""
    d = RawDossier
    return [
        sa.case((d.due_at.is_(None), 1), (d.due_at >= d.received_at, 1), else_=0).label("due_after_received"),
        sa.case((d.finished_at.is_(None), 1), (d.finished_at >= d.received_at, 1), else_=0
                ).label("finished_after_received"),
    ]


def _dossiers(batch_id: str | None, wh: Warehouse) -> Iterator[pd.DataFrame]:
    d = RawDossier
    q = sa.select(d.source_id, d.unit_code, d.channel, d.status, d.components_total, d.components_reused,
                  *dossier_flags())
    if batch_id:
        q = q.where(d.batch_id == batch_id)
    for df in _frames(q, wh):
        yield _dossier_checks(df)


def _dossier_checks(df: pd.DataFrame) -> pd.DataFrame:
    for flag in ("due_after_received", "finished_after_received"):
        df[flag] = df[flag].astype(bool)
    df["reused_within_total"] = df["components_reused"] <= df["components_total"]
    return df


def _documents(batch_id: str | None, wh: Warehouse) -> Iterator[pd.DataFrame]:
    q = sa.select(RawDocument.source_id, RawDocument.unit_code, RawDocument.direction, RawDocument.issue_date)
    return _frames(q.where(RawDocument.batch_id == batch_id) if batch_id else q, wh)


def _incidents(batch_id: str | None, wh: Warehouse) -> Iterator[pd.DataFrame]:
    q = sa.select(RawIncident.source_id, RawIncident.unit_code, RawIncident.sla_hours, RawIncident.severity)
    return _frames(q.where(RawIncident.batch_id == batch_id) if batch_id else q, wh)


def _inventories(batch_id: str | None, wh: Warehouse) -> Iterator[pd.DataFrame]:
    q = sa.select(RawInventory.source_id, RawInventory.unit_code, RawInventory.workstations,
                  RawInventory.managed_endpoints)
    for df in _frames(q.where(RawInventory.batch_id == batch_id) if batch_id else q, wh):
        df["managed_within_workstations"] = df["managed_endpoints"] <= df["workstations"]
        yield df


# source -> [(entity, frame builder, checks)]
SUITES = {
    "DVC": [("dossiers", _dossiers, [
        Check("channel_is_1_2_or_3", ERROR,
              lambda E: E.ExpectColumnValuesToBeInSet(column="channel", value_set=[1, 2, 3]),
              vi="Kênh nộp hồ sơ là trực tiếp, trực tuyến hoặc bưu chính (1, 2, 3)",
              en="each dossier's channel is in person, online or postal (1, 2, 3)"),
        Check("status_is_known", ERROR, lambda E: E.ExpectColumnValuesToBeInSet(
            column="status", value_set=["processing", "paused", "done", "rejected"]),
              vi="Trạng thái hồ sơ là đang xử lý, tạm dừng, đã trả kết quả hoặc từ chối",
              en="each dossier's status is processing, paused, done or rejected"),
        Check("reused_components_within_total", ERROR,
              lambda E: E.ExpectColumnValuesToBeInSet(column="reused_within_total", value_set=[True]),
              vi="Số thành phần tái sử dụng không vượt tổng số thành phần hồ sơ",
              en="reused components do not exceed a dossier's components"),
        Check("due_date_not_before_received", WARN,
              lambda E: E.ExpectColumnValuesToBeInSet(column="due_after_received", value_set=[True]),
              vi="Hạn giải quyết không trước ngày tiếp nhận",
              en="no dossier is due before it was received"),
        Check("finished_not_before_received", WARN,
              lambda E: E.ExpectColumnValuesToBeInSet(column="finished_after_received", value_set=[True]),
              vi="Ngày hoàn thành không trước ngày tiếp nhận",
              en="no dossier was finished before it was received"),
    ])],
    "DOC": [("documents", _documents, [
        Check("direction_is_in_or_out", ERROR,
              lambda E: E.ExpectColumnValuesToBeInSet(column="direction", value_set=["in", "out"]),
              vi="Văn bản là văn bản đến hoặc văn bản đi",
              en="each document is incoming or outgoing"),
        Check("issue_date_present", ERROR, lambda E: E.ExpectColumnValuesToNotBeNull(column="issue_date"),
              vi="Văn bản có ngày ban hành",
              en="each document has an issue date"),
    ])],
    "SEC": [("incidents", _incidents, [
        Check("sla_hours_positive", ERROR,
              lambda E: E.ExpectColumnValuesToBeBetween(column="sla_hours", min_value=1),
              vi="Thời hạn xử lý sự cố ít nhất 1 giờ",
              en="each incident's handling limit is at least 1 hour"),
        Check("severity_is_known", WARN, lambda E: E.ExpectColumnValuesToBeInSet(
            column="severity", value_set=["low", "medium", "high", "critical"]),
              vi="Mức độ sự cố là thấp, trung bình, cao hoặc nghiêm trọng",
              en="each incident's severity is low, medium, high or critical"),
    ]), ("inventories", _inventories, [
        Check("managed_endpoints_within_workstations", ERROR,
              lambda E: E.ExpectColumnValuesToBeInSet(column="managed_within_workstations", value_set=[True]),
              vi="Số máy được quản lý tập trung không vượt số máy trạm",
              en="managed endpoints do not exceed workstations"),
    ])],
}


def validate_source(wh: Warehouse, source: str, *, batch_prefix: str | None = None) -> SuiteOutcome:
    """Validate the records of one sync (by batch) or, without a batch, everything held for the source."""
    results, rows = [], 0
    for entity, builder, checks in SUITES[source]:
        batch_id = f"{batch_prefix}-{source}-{entity}" if batch_prefix else None
        name = f"raw_{source.lower()}_{entity}"
        outcome = _merge([run_suite(frame, name, checks, KEYS) for frame in builder(batch_id, wh)], name)
        results.extend(outcome.results)
        rows += outcome.row_count
    return SuiteOutcome(f"raw_{source.lower()}", rows, sorted(results, key=lambda r: r.name))


def _merge(parts: list[SuiteOutcome], name: str) -> SuiteOutcome:
    """One outcome from the chunks' outcomes: counts add up, the first failing rows by key are kept."""
    if len(parts) == 1:
        return parts[0]
    merged: dict[str, ExpectationOutcome] = {}
    for part in parts:
        for r in part.results:
            m = merged.get(r.name)
            if m is None:
                merged[r.name] = ExpectationOutcome(r.name, r.expectation, r.column, r.severity, r.success,
                                                    r.failing_count, list(r.failing_rows))
                continue
            m.expectation = m.expectation or r.expectation  # an empty chunk does not know the GX type
            m.column = m.column if m.column is not None else r.column
            m.success = m.success and r.success
            m.failing_count += r.failing_count
            m.failing_rows.extend(r.failing_rows)
    for m in merged.values():
        m.failing_rows = sorted(m.failing_rows, key=lambda row: tuple(str(row.get(k)) for k in KEYS))[:200]
    return SuiteOutcome(name, sum(p.row_count for p in parts), sorted(merged.values(), key=lambda o: o.name))
