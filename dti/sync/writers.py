"""How a chunk of records reaches a raw table fast on each warehouse: SQLite through the driver with values bound
by cheap functions, PostgreSQL by COPY into a temporary table then one merge, others through SQLAlchemy's
upsert; and the load settings around a sync (SQLite's page cache, secondary indexes built after a first load)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import operator
from collections.abc import Callable
from contextlib import contextmanager, suppress

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dti.warehouse.models import UTCDateTime


def upsert(session: Session, model, rows: list[dict]) -> None:
    """Insert the rows or update them by source id, through SQLAlchemy: the portable path."""
    if not rows:
        return
    table = model.__table__
    dialect = session.get_bind().dialect.name
    keys = [c.name for c in table.columns if c.name != "source_id"]
    if dialect in ("sqlite", "postgresql"):
        insert = (sa.dialects.sqlite.insert if dialect == "sqlite" else sa.dialects.postgresql.insert)(table)
        stmt = insert.on_conflict_do_update(
            index_elements=["source_id"], set_={k: insert.excluded[k] for k in keys}
        )
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
        return (
            f"INSERT INTO {quote(self.table.name)} ({self.names}) {rows_sql} "
            f"ON CONFLICT ({quote('source_id')}) DO UPDATE SET {updates}"
        )

    def by_column(self, rows: list[dict]) -> list:
        return list(zip(*map(self.row, rows), strict=True))


class _SqliteUpsert(_BulkUpsert):
    """The upsert of upsert() on SQLite through the driver directly: one prepared statement,
    executemany over tuples, each value bound as sqlite_value says (a boolean column of bools and None
    needs nothing), then zipped back into rows."""

    def __init__(self, session: Session, model, *, insert_only: bool = False):
        super().__init__(session, model)
        dialect = session.get_bind().dialect
        values = f"VALUES ({', '.join('?' * len(self.columns))})"
        self.sql = (f"INSERT INTO {self.quote(self.table.name)} ({self.names}) {values}" if insert_only
                    else self.upsert_from(values))
        memo = _UtcTexts()
        self.binds = [
            (i, bind, isinstance(c.type, sa.Boolean))
            for i, c in enumerate(self.table.columns)
            if (bind := sqlite_value(c, dialect, memo)) is not None
        ]

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
    """The upsert of upsert() on PostgreSQL in bulk: a chunk is COPYed (CSV) into a temporary table without
    indexes, then merged with one INSERT … SELECT … ON CONFLICT. SQLAlchemy's executemany sends the rows as
    bound parameters (≈3.5 k dossiers/s on the bench machine); COPY parses them on the server in one pass.

    CSV as PostgreSQL reads it: every string is quoted, so only the bare \\N of a None is NULL (an empty
    string stays an empty string, a quoted "\\N" stays text); numbers and booleans are written bare
    (True/False are PostgreSQL booleans); times and dates as their ISO text, the UTC offset included.
    tests/core/test_sync_fast.py compares the rows stored with what the SQLAlchemy path stores."""

    def __init__(self, session: Session, model, *, insert_only: bool = False):
        super().__init__(session, model)
        temp = self.quote(f"sync_{self.table.name}")
        copy = "COPY {} ({}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        self.statements = (
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {temp} (LIKE {self.quote(self.table.name)} INCLUDING DEFAULTS) "
            "ON COMMIT DROP",
            copy.format(temp, self.names),
            self.upsert_from(f"SELECT {self.names} FROM {temp}"),
            f"TRUNCATE {temp}",
        )
        if insert_only:  # straight into the table: no temporary table, no merge
            self.statements = (None, copy.format(self.quote(self.table.name), self.names), None, None)
        self.checks = [
            (i, _aware(c)) for i, c in enumerate(self.table.columns) if isinstance(c.type, UTCDateTime)
        ]

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
        # The driver's own cursor: COPY is not DB-API.
        with self.session.connection().connection.cursor() as cur:
            for statement in (create, copy, merge, empty):
                if statement == copy:
                    cur.copy_expert(copy, text)
                elif statement is not None:
                    cur.execute(statement)


def writer_for(session: Session, model, *, insert_only: bool = False) -> Callable[[list[dict]], None]:
    """The fastest way this warehouse's driver offers to upsert chunks of `model` rows (`insert_only`: to
    insert them, nothing merged — the bench's sync floor loads rows so, into a table of its own)."""
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        return _SqliteUpsert(session, model, insert_only=insert_only)
    if bind.dialect.name == "postgresql" and bind.dialect.driver == "psycopg2":
        return _PostgresCopyUpsert(session, model, insert_only=insert_only)
    if insert_only:
        return lambda rows: session.execute(sa.insert(model.__table__), rows) if rows else None
    return lambda rows: upsert(session, model, rows)


# SQLite's page cache while a sync writes (KiB): the upsert touches the primary key and two indexes
# at random places; with the default 2 MB most of those pages are read again for every chunk
# (25 µs a row at a million rows, 12 µs with this cache). Set for the sync and put back after.
SQLITE_SYNC_CACHE_KIB = 131_072


@contextmanager
def sqlite_cache(conn: sa.Connection):
    """SQLITE_SYNC_CACHE_KIB of page cache while a sync writes, the earlier size put back after."""
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


# On PostgreSQL, the metrics' covering indexes (migration 0010): the keys in the order the metrics number a
# unit's records (unit, then source id, byte by byte: COLLATE "C"), every column they read INCLUDEd. The model
# cannot declare the collated keys and INCLUDE portably, so the sync keeps them here: made when missing, and
# dropped and rebuilt around a first load like the model's own indexes.
POSTGRES_METRICS_INDEXES = {
    "raw_dossiers": ("deleted", "received_at", "finished_at", "due_at", "status", "channel", "service_level",
                     "fee_applies", "paid_online", "has_digitised", "synced_portal", "vneid", "e_result",
                     "satisfaction", "components_total", "components_reused", "procedure_code"),
    "raw_documents": ("deleted", "issue_date", "direction", "doc_type", "topic_dx", "signer_role",
                      "digitally_signed", "inter_agency", "via_axis", "axis_status", "confidential", "work_file",
                      "work_file_online"),
}


def _postgres_indexes(conn: sa.Connection, table: sa.Table) -> list[tuple[str, str]]:
    """(name, CREATE INDEX IF NOT EXISTS …) of the table's PostgreSQL-only metrics index, if it has one."""
    if conn.dialect.name != "postgresql" or table.name not in POSTGRES_METRICS_INDEXES:
        return []
    name = f"ix_{table.name}_metrics_pg"
    included = ", ".join(POSTGRES_METRICS_INDEXES[table.name])
    return [(name, f'CREATE INDEX IF NOT EXISTS {name} ON {table.name} (unit_code COLLATE "C", '
                   f'source_id COLLATE "C") INCLUDE ({included})')]


@contextmanager
def indexes_after_first_load(conn: sa.Connection, table: sa.Table):
    """Into an empty table (a first full sync), rows go in without the secondary indexes, which are built
    once at the end, sorted, instead of row by row at random places (a million dossiers: ≈3 s less).
    They are built again whatever happens, and a sync first puts back any an interrupted one left out.
    On PostgreSQL the metrics' covering index (POSTGRES_METRICS_INDEXES) is handled the same way, and the table
    is then vacuumed and analysed (planner statistics, and the visibility map an index-only scan needs)."""
    quote = conn.dialect.identifier_preparer.quote

    def build(indexes, extra=()) -> None:
        for index in indexes:
            index.create(conn, checkfirst=True)
        for _name, ddl in extra:
            conn.exec_driver_sql(ddl)
        conn.commit()

    build(table.indexes, _postgres_indexes(conn, table))
    empty = conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is None
    dropped = sorted(table.indexes, key=lambda ix: ix.name) if empty else []
    extra = _postgres_indexes(conn, table) if empty else []
    for index in dropped:
        index.drop(conn)
    for name, _ddl in extra:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {quote(name)}")
    conn.commit()
    try:
        yield
    except BaseException:
        # A broken connection must not hide what broke it (the next sync builds them).
        with suppress(sa.exc.DBAPIError):
            build(dropped, extra)
        raise
    build(dropped, extra)
    if dropped and conn.dialect.name == "postgresql":
        # A table just filled from empty has no planner statistics until autovacuum gets to it, and the
        # metrics that run next would be planned for a handful of rows (a nested loop over a million
        # dossiers: seconds instead of a fraction of one). VACUUM (outside a transaction, so on a
        # connection of its own) also sets the visibility map, without which no scan is index-only.
        with conn.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as own:
            own.exec_driver_sql(f"VACUUM ANALYZE {quote(table.name)}")
