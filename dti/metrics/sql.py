"""The SQL the metrics write differently per warehouse: a local calendar day, a timestamp plus hours, byte-wise
string order, and how a raw table is read on SQLite (through its metrics index, or front to back)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement, TableClause

from dti.warehouse.models import Unit, UTCDateTime, metrics_index_name

# Asia/Ho_Chi_Minh has been UTC+7 all year round since 1975 (no daylight saving), so a local day is
# the UTC timestamp shifted by a fixed 7 hours on every backend.
UTC_OFFSET_HOURS = 7
# On SQLite, read a raw table without a metrics index (incidents; any table whose index is missing) front to
# back (NOT INDEXED) when the units asked for are at least this share of the current units: without statistics
# its planner otherwise walks the rows through the unit_code or received_at index, one random page read per
# row, several times slower than a scan.
FULL_SCAN_SHARE = 0.25


class local_day(FunctionElement):  # noqa: N801 - an SQL function
    """The Asia/Ho_Chi_Minh calendar day of a stored UTC timestamp (NULL stays NULL)."""

    type = sa.Date()
    name = "local_day"
    inherit_cache = True


@compiles(local_day, "sqlite")
def _local_day_sqlite(element, compiler, **kw):
    # SQLite keeps timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff' text in UTC. Its date functions round to the
    # millisecond (23:59:59.9995 would become the next day), so the day is read off the text: the UTC date,
    # or the day after it from 17:00 UTC on. Only whole dates go through date().
    ts = compiler.process(element.clauses.clauses[0], **kw)
    return (
        f"CASE WHEN substr({ts}, 12, 2) >= '{24 - UTC_OFFSET_HOURS:02d}' "
        f"THEN date(substr({ts}, 1, 10), '+1 day') ELSE substr({ts}, 1, 10) END"
    )


@compiles(local_day, "postgresql")
def _local_day_postgresql(element, compiler, **kw):
    ts = compiler.process(element.clauses.clauses[0], **kw)
    return f"CAST(({ts} AT TIME ZONE 'UTC') + INTERVAL '{UTC_OFFSET_HOURS} hours' AS DATE)"


@compiles(local_day, "mysql")
@compiles(local_day, "mariadb")
def _local_day_mysql(element, compiler, **kw):
    ts = compiler.process(element.clauses.clauses[0], **kw)  # DATETIME holding UTC
    return f"DATE({ts} + INTERVAL {UTC_OFFSET_HOURS} HOUR)"


class plus_hours(FunctionElement):  # noqa: N801 - an SQL function
    """A stored UTC timestamp plus a whole number of hours, in the warehouse's own timestamp form."""

    type = UTCDateTime()
    name = "plus_hours"
    inherit_cache = True


@compiles(plus_hours, "sqlite")
def _plus_hours_sqlite(element, compiler, **kw):
    ts, hours = (compiler.process(c, **kw) for c in element.clauses.clauses)
    # Whole seconds go through strftime (exact: no fraction to round), the stored fraction is kept as text,
    # so the result compares as text with stored timestamps exactly as the instants compare.
    return f"(strftime('%Y-%m-%d %H:%M:%S', substr({ts}, 1, 19), ({hours}) || ' hours') || substr({ts}, 20))"


@compiles(plus_hours, "postgresql")
def _plus_hours_postgresql(element, compiler, **kw):
    ts, hours = (compiler.process(c, **kw) for c in element.clauses.clauses)
    return f"({ts} + ({hours}) * INTERVAL '1 hour')"


@compiles(plus_hours, "mysql")
@compiles(plus_hours, "mariadb")
def _plus_hours_mysql(element, compiler, **kw):
    ts, hours = (compiler.process(c, **kw) for c in element.clauses.clauses)
    return f"({ts} + INTERVAL ({hours}) HOUR)"


class bytewise(FunctionElement):  # noqa: N801 - an SQL function
    """A string compared and ordered byte by byte, as Python compares str: codes are exact, and "first
    100 ids" means the same 100 ids on every backend whatever the database's default collation."""

    type = sa.String()
    name = "bytewise"
    inherit_cache = True


@compiles(bytewise)
def _bytewise_default(element, compiler, **kw):
    return compiler.process(element.clauses.clauses[0], **kw)  # SQLite's default collation is BINARY


@compiles(bytewise, "postgresql")
def _bytewise_postgresql(element, compiler, **kw):
    return f'({compiler.process(element.clauses.clauses[0], **kw)} COLLATE "C")'


@compiles(bytewise, "mysql")
@compiles(bytewise, "mariadb")
def _bytewise_mysql(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses.clauses[0], **kw)} AS BINARY)"


class FullScan(TableClause):
    """A raw table read front to back: `NOT INDEXED` on SQLite (see FULL_SCAN_SHARE), itself elsewhere."""

    inherit_cache = True


@compiles(FullScan, "sqlite")
def _full_scan_sqlite(element, compiler, asfrom=False, **kw):
    sql = compiler.visit_table(element, asfrom=asfrom, **kw)
    return f"{sql} NOT INDEXED" if asfrom else sql


class ByMetricsIndex(TableClause):
    """A raw table read through its metrics index (dti.warehouse.models._metrics_index) on SQLite, which holds
    every column the metrics read in (unit, source id) order; itself elsewhere. Named, not left to the planner:
    without statistics SQLite may pick the received_at index and read a million rows one page at a time."""

    inherit_cache = True


@compiles(ByMetricsIndex, "sqlite")
def _by_metrics_index_sqlite(element, compiler, asfrom=False, **kw):
    sql = compiler.visit_table(element, asfrom=asfrom, **kw)
    return f"{sql} INDEXED BY {metrics_index_name(element.name)}" if asfrom else sql


@dataclass(frozen=True)
class Reading:
    """How the metrics read the raw tables. On SQLite: through a table's metrics index when the warehouse has
    it, otherwise front to back when most units are asked for (see FULL_SCAN_SHARE). Elsewhere: as they are."""

    full_scan: bool = False
    indexes: frozenset[str] = frozenset()  # the metrics indexes present (SQLite)

    def table(self, model):
        table = model.__table__
        if metrics_index_name(table.name) in self.indexes:
            kind = ByMetricsIndex
        elif self.full_scan:
            kind = FullScan
        else:
            return table
        return kind(table.name, *(sa.column(c.name, c.type) for c in table.columns))


def reading_for(conn, codes: list[str]) -> Reading:
    """How to read the raw tables for these units on this warehouse."""
    if conn.dialect.name != "sqlite":
        return Reading()
    current = conn.execute(
        sa.select(sa.func.count()).select_from(Unit).where(Unit.valid_to.is_(None))
    ).scalar()
    # A sync filling an empty table builds its indexes at the end and the next sync rebuilds any a crash left
    # out; until then the metrics read the table itself, more slowly, rather than fail.
    indexes = conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'index'")).scalars()
    return Reading(
        full_scan=len(codes) >= FULL_SCAN_SHARE * (current or 0),
        indexes=frozenset(name for name in indexes if name.endswith("_metrics")),
    )
