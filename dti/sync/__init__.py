"""Incremental sync of raw records from a system of record into the warehouse.

One path for the first full sync and every later night: read records updated at or after the
watermark, upsert them by source id (tombstones included), then move the watermark — all in one
transaction, so a failure part-way leaves what was synced before exactly as it was. Watermarks are
kept per (source, entity, unit); "*" is the whole source.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import inspect
import io
import json
import operator
from collections.abc import Callable, Iterable
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dti.settings import TZ
from dti.warehouse.db import get_engine
from dti.warehouse.models import (
    RawDocument,
    RawDossier,
    RawIncident,
    RawInventory,
    RawProcedure,
    RawStaff,
    SourceStatus,
    SyncBatch,
    SyncWatermark,
    UnitLink,
    UTCDateTime,
)

ENTITY_MODELS = {
    ("DVC", "procedures"): RawProcedure,
    ("DVC", "dossiers"): RawDossier,
    ("DOC", "documents"): RawDocument,
    ("DOC", "staff"): RawStaff,
    ("SEC", "incidents"): RawIncident,
    ("SEC", "inventories"): RawInventory,
}
SOURCE_ENTITIES = {
    "DVC": ("procedures", "dossiers"),
    "DOC": ("documents", "staff"),
    "SEC": ("incidents", "inventories"),
}
# Records per chunk; each chunk is written and committed on its own. SQLite has one writer at a time and a
# transaction holds that lock from its first write to its commit, so the lock is taken only to write a whole
# chunk (≈0.5 s for 50,000 dossiers) and the syncs running beside it build their chunks meanwhile. Each commit
# costs tens of milliseconds (the dirtied pages go to the WAL): 5,000-record chunks cost a million-dossier sync
# ≈9 s in commits, 50,000-record ones ≈2 s.
CHUNK = 50_000
# Re-read a little before the watermark: records written in the same second as the last one seen
# would otherwise be missed. Upserts make the overlap harmless.
OVERLAP = dt.timedelta(seconds=1)


@dataclass
class SyncResult:
    source: str
    entity: str
    batch_id: str
    records: int  # received and upserted in this batch (a record repeated within a chunk counts once)
    tombstones: int
    remapped_units: int  # records whose unit code was a predecessor's
    watermark: dt.datetime | None
    since: dt.datetime | None


def record_checksum(record: dict) -> str:
    """SHA-256 (hex) of the record as JSON with sorted keys (orjson: times and dates in ISO 8601,
    other unknown types as str()). Deterministic for equal records, whichever source they came from."""
    try:
        payload = orjson.dumps(record, default=str, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # what orjson cannot write (an int beyond 64 bits...): the json module can
        payload = json.dumps(record, sort_keys=True, default=str, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(payload).hexdigest()


def unit_resolver(session: Session) -> Callable[[str], str]:
    """Map a unit code found in a source record to the current unit (following merger chains)."""
    links: dict[str, str] = {}
    for link in session.scalars(sa.select(UnitLink).order_by(UnitLink.effective, UnitLink.id)):
        links[link.predecessor_code] = link.successor_code

    def resolve(code: str) -> str:
        seen = set()
        while code in links and code not in seen:
            seen.add(code)
            code = links[code]
        return code

    return resolve


def unit_aliases(session: Session) -> dict[str, list[str]]:
    """Current unit -> every code its records may carry (itself and its predecessors, transitively)."""
    resolve = unit_resolver(session)
    aliases: dict[str, set[str]] = {}
    for link in session.scalars(sa.select(UnitLink)):
        for code in (link.predecessor_code, link.successor_code):
            aliases.setdefault(resolve(code), {resolve(code)}).add(code)
    return {unit: sorted(codes) for unit, codes in aliases.items()}


def get_watermark(session: Session, source: str, entity: str, unit: str = "*") -> dt.datetime | None:
    wm = session.get(SyncWatermark, (source, entity, unit))
    if wm is None:
        return None
    return wm.watermark


def _upsert(session: Session, model, rows: list[dict]) -> None:
    if not rows:
        return
    table = model.__table__
    dialect = session.get_bind().dialect.name
    keys = [c.name for c in table.columns if c.name != "source_id"]
    if dialect in ("sqlite", "postgresql"):
        insert = (sa.dialects.sqlite.insert if dialect == "sqlite" else sa.dialects.postgresql.insert)(table)
        stmt = insert.on_conflict_do_update(index_elements=["source_id"],
                                            set_={k: insert.excluded[k] for k in keys})
    elif dialect in ("mysql", "mariadb"):
        insert = sa.dialects.mysql.insert(table)
        stmt = insert.on_duplicate_key_update({k: insert.inserted[k] for k in keys})
    else:  # a portable fallback: delete then insert, in the same transaction
        ids = [r["source_id"] for r in rows]
        session.execute(sa.delete(table).where(table.c.source_id.in_(ids)))
        stmt = sa.insert(table)
    session.execute(stmt, rows)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_CLOCK = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}." for s in range(86_400)]  # "HH:MM:SS." by second


class _UtcTexts(dict):
    """Aware datetime -> the text SQLAlchemy's DATETIME stores on SQLite for its UTC instant
    ("%Y-%m-%d %H:%M:%S.%f"). Lookups of instants already seen stay in C (`map(texts.__getitem__, …)`);
    a miss is computed from the distance to the epoch (days, seconds, microseconds), about twice as fast
    as astimezone + isoformat. Anything else (None, a naive datetime) goes to SQLAlchemy's processor,
    so what it refuses is refused."""

    LIMIT = 100_000

    def __init__(self):
        super().__init__()
        self.process: Callable = lambda v: v
        self.days: dict[int, str] = {}
        self[None] = None  # NULL stays NULL, without a call

    def __missing__(self, value):
        if value.__class__ is not dt.datetime or value.tzinfo is None:
            return self.process(value)
        if len(self) >= self.LIMIT:
            self.clear()
            self[None] = None
        since = value - _EPOCH  # equal aware datetimes are the same instant: the same text
        day = self.days.get(since.days)
        if day is None:
            day = self.days[since.days] = (_EPOCH + dt.timedelta(days=since.days)).date().isoformat() + " "
        us = since.microseconds
        text = self[value] = day + _CLOCK[since.seconds] + (f"{us:06d}" if us else "000000")
        return text


def sqlite_value(column: sa.Column, dialect, memo: _UtcTexts | None = None) -> Callable | None:
    """What SQLAlchemy would bind for `column` on SQLite, as one cheap function (None: the value as is).

    SQLAlchemy runs a chain of Python calls per value (UTCDateTime to UTC, then DATETIME to text;
    Boolean checked, then to 0/1); for a million records that is most of the upsert. These give
    the same stored values for the usual Python types and hand anything else to SQLAlchemy's own
    processor, so errors (a naive datetime, a non-boolean) are raised as before. `memo` keeps the
    text of instants already seen (due dates repeat, updated_at is often finished_at).
    tests/core/test_sync_fast.py compares them with SQLAlchemy's processors and the stored rows.
    """
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return None
    date = dt.date
    if isinstance(column.type, UTCDateTime):
        texts = _UtcTexts() if memo is None else memo
        texts.process = process  # the same processor for every UTCDateTime column
        return texts.__getitem__
    if isinstance(column.type, sa.Boolean):
        return lambda v: v if v.__class__ is bool else process(v)  # sqlite3 stores True/False as 1/0
    if isinstance(column.type, sa.Date) and not isinstance(column.type, sa.DateTime):
        return lambda v: v.isoformat() if v.__class__ is date else process(v)
    return process


class _BulkUpsert:
    """What the bulk upserts below share: the table's columns, the statement that inserts rows from a
    source (VALUES, a SELECT) or updates them by source id, and a chunk turned into columns in C
    (itemgetter, zip) so only the columns that need it are converted."""

    def __init__(self, session: Session, model):
        self.table = model.__table__
        self.session = session
        self.quote = session.get_bind().dialect.identifier_preparer.quote
        self.columns = [c.name for c in self.table.columns]
        self.names = ", ".join(self.quote(c) for c in self.columns)
        self.row = operator.itemgetter(*self.columns)

    def upsert_from(self, rows_sql: str) -> str:
        quote = self.quote
        updates = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in self.columns if c != "source_id")
        return (f"INSERT INTO {quote(self.table.name)} ({self.names}) {rows_sql} "
                f"ON CONFLICT ({quote('source_id')}) DO UPDATE SET {updates}")

    def by_column(self, rows: list[dict]) -> list:
        return list(zip(*map(self.row, rows), strict=True))


class _SqliteUpsert(_BulkUpsert):
    """The upsert of _upsert on SQLite through the driver directly: one prepared statement,
    executemany over tuples, each value bound as sqlite_value says (a boolean column of bools and None
    needs nothing), then zipped back into rows."""

    def __init__(self, session: Session, model):
        super().__init__(session, model)
        dialect = session.get_bind().dialect
        self.sql = self.upsert_from(f"VALUES ({', '.join('?' * len(self.columns))})")
        memo = _UtcTexts()
        self.binds = [(i, bind, isinstance(c.type, sa.Boolean)) for i, c in enumerate(self.table.columns)
                      if (bind := sqlite_value(c, dialect, memo)) is not None]

    def __call__(self, rows: list[dict]) -> None:
        if not rows:
            return
        columns = self.by_column(rows)
        for i, bind, flag in self.binds:
            values = columns[i]
            if not (flag and set(map(type, values)) <= {bool, type(None)}):
                columns[i] = list(map(bind, values))
        self.session.connection().exec_driver_sql(self.sql, list(zip(*columns, strict=True)))


def _aware(column: sa.Column) -> Callable:
    """A UTCDateTime value for COPY: an aware datetime as it is (PostgreSQL's timestamptz reads the offset),
    None as NULL; a naive datetime is refused, as UTCDateTime refuses it."""

    def check(value):
        if value is not None and (value.__class__ is not dt.datetime or value.tzinfo is None):
            return column.type.process_bind_param(value, None)  # raises for a naive datetime
        return value

    return check


class _CsvNull(float):
    """NULL for COPY: csv writes a number bare, and this number as \\N (COPY's NULL below). csv's
    QUOTE_NONNUMERIC writes None as a quoted empty string, which PostgreSQL reads as "", not NULL."""

    def __repr__(self) -> str:
        return "\\N"

    __str__ = __repr__


_NULLS = {None: _CsvNull()}


class _PostgresCopyUpsert(_BulkUpsert):
    """The upsert of _upsert on PostgreSQL in bulk: a chunk is COPYed (CSV) into a temporary table without
    indexes, then merged with one INSERT … SELECT … ON CONFLICT. SQLAlchemy's executemany sends the rows as
    bound parameters (≈3.5 k dossiers/s on the bench machine); COPY parses them on the server in one pass.

    CSV as PostgreSQL reads it: every string is quoted, so only the bare \\N of a None is NULL (an empty
    string stays an empty string, a quoted "\\N" stays text); numbers and booleans are written bare
    (True/False are PostgreSQL booleans); times and dates as their ISO text, the UTC offset included.
    tests/core/test_sync_fast.py compares the rows stored with what the SQLAlchemy path stores."""

    def __init__(self, session: Session, model):
        super().__init__(session, model)
        temp = self.quote(f"sync_{self.table.name}")
        self.statements = (
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {temp} (LIKE {self.quote(self.table.name)} INCLUDING DEFAULTS) "
            "ON COMMIT DROP",
            f"COPY {temp} ({self.names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
            self.upsert_from(f"SELECT {self.names} FROM {temp}"),
            f"TRUNCATE {temp}",
        )
        self.checks = [(i, _aware(c)) for i, c in enumerate(self.table.columns) if isinstance(c.type, UTCDateTime)]

    def __call__(self, rows: list[dict]) -> None:
        if not rows:
            return
        columns = self.by_column(rows)
        for i, check in self.checks:
            columns[i] = list(map(check, columns[i]))
        nulls = _NULLS.get
        tuples = zip(*(map(nulls, values, values) for values in columns), strict=True)
        text = io.StringIO()
        csv.writer(text, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n").writerows(tuples)
        text.seek(0)
        create, copy, merge, empty = self.statements
        with self.session.connection().connection.cursor() as cur:  # the driver's own cursor: COPY is not DB-API
            cur.execute(create)
            cur.copy_expert(copy, text)
            cur.execute(merge)
            cur.execute(empty)


def _writer(session: Session, model) -> Callable[[list[dict]], None]:
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        return _SqliteUpsert(session, model)
    if bind.dialect.name == "postgresql" and bind.dialect.driver == "psycopg2":
        return _PostgresCopyUpsert(session, model)
    return lambda rows: _upsert(session, model, rows)


# SQLite's page cache while a sync writes (KiB): the upsert touches the primary key and two indexes
# at random places; with the default 2 MB most of those pages are read again for every chunk
# (25 µs a row at a million rows, 12 µs with this cache). Set for the sync and put back after.
SQLITE_SYNC_CACHE_KIB = 131_072


@contextmanager
def _sqlite_cache(conn: sa.Connection):
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_SYNC_CACHE_KIB}")
    conn.commit()  # no transaction left open: the session's own commits must reach the database
    try:
        yield
    finally:
        with suppress(sa.exc.DBAPIError):  # a broken connection must not hide the error that broke it
            conn.exec_driver_sql(f"PRAGMA cache_size={int(before)}")


@contextmanager
def _indexes_after_first_load(conn: sa.Connection, table: sa.Table):
    """Into an empty table (a first full sync), rows go in without the secondary indexes, which are built
    once at the end, sorted, instead of row by row at random places (a million dossiers: ≈3 s less).
    They are built again whatever happens, and a sync first puts back any an interrupted one left out.
    On PostgreSQL the table is then analysed."""

    def build(indexes) -> None:
        for index in indexes:
            index.create(conn, checkfirst=True)
        conn.commit()

    build(table.indexes)
    empty = conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is None
    dropped = sorted(table.indexes, key=lambda ix: ix.name) if empty else []
    for index in dropped:
        index.drop(conn)
    conn.commit()
    try:
        yield
    except BaseException:
        with suppress(sa.exc.DBAPIError):  # a broken connection must not hide what broke it (next sync builds them)
            build(dropped)
        raise
    build(dropped)
    if dropped and conn.dialect.name == "postgresql":
        # A table just filled from empty has no planner statistics until autovacuum gets to it, and the
        # metrics that run next would be planned for a handful of rows (a nested loop over a million
        # dossiers: seconds instead of a fraction of one).
        conn.execute(sa.text(f"ANALYZE {conn.dialect.identifier_preparer.quote(table.name)}"))
        conn.commit()


def _set_status(url: str | None, source: str, ok: bool, at: dt.datetime, error: str | None) -> None:
    engine = get_engine(url)
    with Session(engine) as s, s.begin():
        status = s.get(SourceStatus, source) or SourceStatus(source=source)
        status.last_attempt_at = at
        status.ok = ok
        status.error = error
        if ok:
            status.last_success_at = at
        s.merge(status)


def sync_entity(source: str, entity: str, fetch: Callable[[dt.datetime | None], Iterable[dict]], *,
                url: str | None = None, batch_id: str, fetched_at: dt.datetime, full: bool = False,
                unit: str = "*", lookback: dt.timedelta | None = None) -> SyncResult:
    """Pull `entity` from `fetch(since)` and upsert it. Raises on failure after recording it.

    `unit` keys the watermark ("*" = the whole source; a unit code when `fetch` reads one unit).
    `lookback` re-reads that much before the watermark each run, for sources known to write
    records late with older timestamps; upserts by source id make the re-read harmless.
    """
    model = ENTITY_MODELS[(source, entity)]
    engine = get_engine(url)
    with Session(engine) as s, s.begin():
        s.merge(SyncBatch(batch_id=batch_id, source=source, entity=entity, started_at=fetched_at,
                          status="running", records=0))
    since = None
    # Each chunk is committed on its own, so the warehouse's write lock is held for one chunk at a time:
    # on SQLite the three sources sync side by side (the nightly job's steps run at once) and other writers
    # (check history, the review app) are never locked out for a whole sync. A sync that fails part-way
    # keeps the chunks it committed — upserts, repeated by the next sync — but not its watermark, so nothing
    # is skipped, and the source is marked failed, so its claims stay unverifiable until a sync succeeds.
    try:
        with engine.connect() as conn, _sqlite_cache(conn), _indexes_after_first_load(conn, model.__table__), \
                Session(bind=conn) as session:
            wm = None if full else get_watermark(session, source, entity, unit)
            since = (wm - max(OVERLAP, lookback or OVERLAP)) if wm else None
            resolve = unit_resolver(session)
            current: dict[str, str] = {}  # unit code as written -> current unit, resolved once per code
            write = _writer(session, model)
            pending: dict[str, dict] = {}
            records = tombstones = remapped = 0
            watermark = wm
            for record in fetch(since):
                sid = record["source_id"]
                row = dict(record)
                code = record["unit_code"]
                unit_now = current.get(code)
                if unit_now is None:
                    unit_now = current[code] = resolve(code)
                row["source_unit_code"] = code
                row["unit_code"] = unit_now
                remapped += unit_now != code
                row["checksum"] = record_checksum(record)
                row["batch_id"] = batch_id
                row["fetched_at"] = fetched_at
                pending[sid] = row  # a record repeated in the stream counts once; the last copy wins
                tombstones += bool(record.get("deleted"))
                ts = record["updated_at"]
                if watermark is None or ts > watermark:
                    watermark = ts
                if len(pending) >= CHUNK:
                    write(list(pending.values()))
                    session.commit()
                    records += len(pending)
                    pending.clear()
            write(list(pending.values()))
            records += len(pending)
            # The records received are the records upserted, a record repeated within a chunk counted once. No
            # set of every id is kept: it grew with the source (≈130 bytes a record, 650 MB at 5 M dossiers). A
            # record the stream repeats across chunks is a newer version (the clients drop pages served again),
            # written again and counted again.
            if watermark is not None:
                session.merge(SyncWatermark(source=source, entity=entity, unit_code=unit, watermark=watermark,
                                            updated_at=fetched_at))
            session.merge(SyncBatch(batch_id=batch_id, source=source, entity=entity, started_at=fetched_at,
                                    finished_at=dt.datetime.now(TZ), status="ok", records=records))
            session.commit()
    except Exception as exc:
        with Session(engine) as s, s.begin():
            s.merge(SyncBatch(batch_id=batch_id, source=source, entity=entity, started_at=fetched_at,
                              finished_at=dt.datetime.now(TZ), status="failed", records=0, error=str(exc)[:2000]))
        raise
    return SyncResult(source, entity, batch_id, records, tombstones, remapped, watermark, since)


def _batch_id(*parts: str) -> str:
    text = "-".join(parts)
    if len(text) <= 64:
        return text
    return text[:47] + "-" + hashlib.sha256(text.encode()).hexdigest()[:16]  # the column holds 64


def sync_source(source: str, fetcher, *, url: str | None = None, batch_prefix: str,
                fetched_at: dt.datetime, full: bool = False, units: list[str] | None = None,
                lookback: dt.timedelta | None = None) -> list[SyncResult]:
    """Sync every entity of a source; the source's status records success or the failure reason.

    With `units`, each unit is pulled separately (the fetcher must accept `unit=`), asking for the
    unit's predecessor codes too, and keeps its own watermark: a unit added later starts from its
    own beginning without re-reading the others.
    """
    results = []
    try:
        if units is not None and "unit" not in inspect.signature(fetcher.fetch).parameters:
            raise ValueError(f"{type(fetcher).__name__} không lọc được theo đơn vị / cannot filter by unit")
        aliases: dict[str, list[str]] = {}
        if units is not None:
            with Session(get_engine(url)) as session:
                aliases = unit_aliases(session)
        for entity in SOURCE_ENTITIES[source]:
            if units is None:
                results.append(sync_entity(source, entity, lambda since, e=entity: fetcher.fetch(e, since), url=url,
                                           batch_id=f"{batch_prefix}-{source}-{entity}", fetched_at=fetched_at,
                                           full=full, lookback=lookback))
                continue
            for unit in sorted(units):
                codes = aliases.get(unit, [unit])
                results.append(sync_entity(
                    source, entity, lambda since, e=entity, c=codes: fetcher.fetch(e, since, unit=c), url=url,
                    batch_id=_batch_id(batch_prefix, source, entity, unit), fetched_at=fetched_at, full=full,
                    unit=unit, lookback=lookback))
    except Exception as exc:
        _set_status(url, source, False, fetched_at, f"{type(exc).__name__}: {exc}")
        raise
    _set_status(url, source, True, fetched_at, None)
    return results
