"""Objective metrics per unit × period × indicator, computed from the raw records in the warehouse.

The rules are the ones real systems use (domain brief §4): a dossier is on time when it finished on
or before its due date, compared by day in Asia/Ho_Chi_Minh; a dossier still in process past its
due date at period end is late; dossiers received before the period and finished in it count;
confidential documents are left out of ratios; deleted records (tombstones) never count.

A metric whose source failed or is stale is returned with a status saying so — never as zero.

The warehouse does the counting: every numerator, denominator and record count is a GROUP BY
aggregate, and the sample record ids behind a value (the first MAX_RECORD_IDS failing source ids of
each unit, by source id) come from a window query, or on SQLite from walking each unit's rows in the
covering metrics index (dti.warehouse.models._metrics_index), which reads them in source-id order.
Python only receives a few rows per unit, so time and memory do not grow with the number of raw records
read. The same SQL runs on SQLite, PostgreSQL and MariaDB; the few expressions that differ between them
(a local calendar day, adding hours to a timestamp, byte-wise string order) are the small constructs below.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement, TableClause

from dti.framework import Framework, Period
from dti.metrics.catalogue import METRICS
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
    SyncWatermark,
    Unit,
    UTCDateTime,
    metrics_index_name,
)

MAX_RECORD_IDS = 100
# Asia/Ho_Chi_Minh has been UTC+7 all year round since 1975 (no daylight saving), so a local day is
# the UTC timestamp shifted by a fixed 7 hours on every backend.
UTC_OFFSET_HOURS = 7
# On SQLite, read a raw table without a metrics index (incidents; any table whose index is missing) front to
# back (NOT INDEXED) when the units asked for are at least this share of the current units: without statistics
# its planner otherwise walks the rows through the unit_code or received_at index, one random page read per
# row, several times slower than a scan.
FULL_SCAN_SHARE = 0.25
# Queries run at once (the bench machine has two cores).
WORKERS = 2


@dataclass
class MetricValue:
    unit_code: str
    indicator_code: str
    metric: str
    source: str
    status: str  # ok / unavailable / stale / no_data / incomplete
    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    record_count: int = 0
    coverage: Decimal | None = None
    freshness_at: dt.datetime | None = None
    reason: str | None = None
    snapshot_id: str | None = None
    record_ids: list[str] = field(default_factory=list)


@dataclass
class SourceHealth:
    source: str
    ok: bool
    last_success_at: dt.datetime | None
    error: str | None
    snapshot_id: str | None


# --- SQL that differs between warehouses ------------------------------------------------------------


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
    return (f"CASE WHEN substr({ts}, 12, 2) >= '{24 - UTC_OFFSET_HOURS:02d}' "
            f"THEN date(substr({ts}, 1, 10), '+1 day') ELSE substr({ts}, 1, 10) END")


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
    return (f"(strftime('%Y-%m-%d %H:%M:%S', substr({ts}, 1, 19), ({hours}) || ' hours') "
            f"|| substr({ts}, 20))")


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


class _FullScan(TableClause):
    """A raw table read front to back: `NOT INDEXED` on SQLite (see FULL_SCAN_SHARE), itself elsewhere."""

    inherit_cache = True


@compiles(_FullScan, "sqlite")
def _full_scan_sqlite(element, compiler, asfrom=False, **kw):
    sql = compiler.visit_table(element, asfrom=asfrom, **kw)
    return f"{sql} NOT INDEXED" if asfrom else sql


class _ByMetricsIndex(TableClause):
    """A raw table read through its metrics index (dti.warehouse.models._metrics_index) on SQLite, which holds
    every column the metrics read in (unit, source id) order; itself elsewhere. Named, not left to the planner:
    without statistics SQLite may pick the received_at index and read a million rows one page at a time."""

    inherit_cache = True


@compiles(_ByMetricsIndex, "sqlite")
def _by_metrics_index_sqlite(element, compiler, asfrom=False, **kw):
    sql = compiler.visit_table(element, asfrom=asfrom, **kw)
    return f"{sql} INDEXED BY {metrics_index_name(element.name)}" if asfrom else sql


@dataclass(frozen=True)
class _Reading:
    """How the metrics read the raw tables. On SQLite: through a table's metrics index when the warehouse has
    it, otherwise front to back when most units are asked for (see FULL_SCAN_SHARE). Elsewhere: as they are."""

    full_scan: bool = False
    indexes: frozenset[str] = frozenset()  # the metrics indexes present (SQLite)

    def table(self, model):
        table = model.__table__
        if metrics_index_name(table.name) in self.indexes:
            kind = _ByMetricsIndex
        elif self.full_scan:
            kind = _FullScan
        else:
            return table
        return kind(table.name, *(sa.column(c.name, c.type) for c in table.columns))


def _reading(conn, codes: list[str]) -> _Reading:
    if conn.dialect.name != "sqlite":
        return _Reading()
    current = conn.execute(sa.select(sa.func.count()).select_from(Unit).where(Unit.valid_to.is_(None))).scalar()
    # A sync filling an empty table builds its indexes at the end and the next sync rebuilds any a crash left
    # out; until then the metrics read the table itself, more slowly, rather than fail.
    indexes = conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'index'")).scalars()
    return _Reading(full_scan=len(codes) >= FULL_SCAN_SHARE * (current or 0),
                    indexes=frozenset(name for name in indexes if name.endswith("_metrics")))


# --- counting in the warehouse ------------------------------------------------------------------


def source_health(conn) -> dict[str, SourceHealth]:
    """Each source's last sync outcome, and a snapshot id naming the data the metrics were built on."""
    out: dict[str, SourceHealth] = {}
    statuses = {s.source: s for s in conn.execute(sa.select(SourceStatus)).all()}
    marks = conn.execute(sa.select(SyncWatermark.source, SyncWatermark.entity, SyncWatermark.watermark)
                         .order_by(SyncWatermark.source, SyncWatermark.entity)).all()
    for source in ("DVC", "DOC", "SEC"):
        s = statuses.get(source)
        # The snapshot is named by what was read (each entity's watermark), not by when: two syncs of
        # the same data give the same snapshot id, so outputs stay byte-identical.
        basis = "|".join(f"{e}:{w.isoformat()}" for src, e, w in marks if src == source)
        snap = hashlib.sha256(f"{source}|{basis}".encode()).hexdigest()[:16] if basis else None
        out[source] = SourceHealth(source, bool(s and s.ok), s.last_success_at if s else None,
                                   s.error if s else "chưa đồng bộ / never synced", snap)
    return out


def _ratio(num: float | int, den: float | int) -> tuple[Decimal | None, Decimal, Decimal]:
    n, d = Decimal(int(num)), Decimal(int(den))
    return ((n / d) if d else None), n, d


def _flag(cond):
    """1 where the condition holds, else 0 (NULL included)."""
    return sa.case((cond, 1), else_=0)


def _fails(scope, passes):
    """In scope and not passing, a NULL test counting as not passing (as a missing value compares)."""
    return sa.and_(scope, sa.case((passes, 0), else_=1) == 1)


def _totals(conn, table, units: list[str], where, counts: dict, sums: dict | None = None) -> dict[str, dict]:
    """{unit: {"rows": n, name: …}}: how many of each unit's rows satisfy each condition in `counts` and the total
    of each expression in `sums`, as one GROUP BY unit in the warehouse (read in unit order on SQLite, through
    the metrics index: no sort)."""
    sums = sums or {}
    names = ["rows", *counts, *sums]
    query = (sa.select(table.c.unit_code, sa.func.count(),
                       *(sa.func.count(sa.case((cond, 1))) for cond in counts.values()),  # CASE gives NULL else
                       *(sa.func.sum(expr) for expr in sums.values()))
             .where(table.c.unit_code.in_(units), where).group_by(table.c.unit_code))
    return {unit: dict(zip(names, (int(v or 0) for v in values), strict=True)) for unit, *values in conn.execute(query)}


def _first_ids(conn, table, units: list[str], where, samples: dict) -> dict[str, dict[str, list[str]]]:
    """{unit: {name: the first MAX_RECORD_IDS source ids, in byte order, of the unit's rows where `where` and
    samples[name] hold}}; a unit or name without any may be missing."""
    walk = conn.dialect.name == "sqlite" and isinstance(table, _ByMetricsIndex)
    find = _first_ids_by_walk if walk else _first_ids_by_window
    out = find(conn, table, units, where, samples)
    for lists in out.values():
        for sample in lists.values():
            sample.sort()
    return out


def _first_ids_by_walk(conn, table, units, where, samples) -> dict[str, dict[str, list[str]]]:
    """SQLite, a table with a metrics index: for each unit and condition, walk the unit's rows in source-id
    order (the index keeps them so) and stop at the MAX_RECORD_IDS-th that holds. A condition most rows meet
    stops after a few hundred rows, only a rare one reads the whole unit, and nothing is sorted."""
    unit = sa.func.json_each(json.dumps(units)).table_valued("value")
    walks = []
    for cond in samples.values():
        first = (sa.select(table.c.source_id).where(table.c.unit_code == unit.c.value, cond, where)
                 .order_by(table.c.source_id).limit(MAX_RECORD_IDS).correlate(unit).subquery())
        walks.append(sa.select(sa.func.json_group_array(first.c.source_id)).scalar_subquery())
    return {code: {name: json.loads(found) for name, found in zip(samples, lists, strict=True)}
            for code, *lists in conn.execute(sa.select(unit.c.value, *walks))}


def _first_ids_by_window(conn, table, units, where, samples) -> dict[str, dict[str, list[str]]]:
    """Elsewhere: one window query. Each condition is numbered along the unit's rows in source-id
    order, and only rows numbered MAX_RECORD_IDS or less in some condition leave the warehouse."""
    names = list(samples)
    flags = [_flag(cond).label(f"f{i}") for i, cond in enumerate(samples.values())]
    inner = (sa.select(table.c.unit_code, table.c.source_id, *flags)
             .where(table.c.unit_code.in_(units), where, sa.or_(*samples.values())).subquery())
    window = {"partition_by": bytewise(inner.c.unit_code), "order_by": bytewise(inner.c.source_id),
              "rows": (None, 0)}
    ranked = sa.select(inner.c.unit_code, inner.c.source_id,
                       *(inner.c[f"f{i}"] for i in range(len(names))),
                       *(sa.func.sum(inner.c[f"f{i}"]).over(**window).label(f"r{i}") for i in range(len(names)))
                       ).subquery()
    picked = [sa.and_(ranked.c[f"f{i}"] == 1, ranked.c[f"r{i}"] <= MAX_RECORD_IDS) for i in range(len(names))]
    query = sa.select(ranked.c.unit_code, ranked.c.source_id, *(_flag(p) for p in picked)).where(sa.or_(*picked))
    out: dict[str, dict[str, list[str]]] = {}
    for unit, source_id, *hits in conn.execute(query):
        lists = out.get(unit) or out.setdefault(unit, {name: [] for name in names})
        for name, hit in zip(names, hits, strict=True):
            if hit:
                lists[name].append(source_id)
    return out


def _instants(window: tuple[dt.date, dt.date]) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """First instant of the window, first instant of its last day, last instant of the window (local)."""
    return (dt.datetime.combine(window[0], dt.time(0, 0), TZ), dt.datetime.combine(window[1], dt.time(0, 0), TZ),
            dt.datetime.combine(window[1], dt.time(23, 59, 59, 999999), TZ))


def _dvc_metrics(run, units: list[str], window, reading: _Reading):
    start, last_day, end = _instants(window)
    d = reading.table(RawDossier)
    # The day rules as instants, exact to the microsecond: received in the window ⇔ received_at in
    # [start, end] (the upper bound is in `base`); finished in it ⇔ finished_at in [start, end]; due before
    # its last day ⇔ due_at before that day's first instant. Only "finished by the due day" compares two
    # local days.
    base = sa.and_(d.c.deleted.is_(False), d.c.received_at <= end,
                   sa.or_(d.c.finished_at.is_(None), d.c.finished_at >= start))
    received = d.c.received_at >= start
    online = d.c.channel == 2
    full = sa.and_(online, bytewise(d.c.service_level) == "full")
    finished = sa.and_(bytewise(d.c.status) == "done", d.c.finished_at.is_not(None), d.c.finished_at <= end)
    open_late = sa.and_(bytewise(d.c.status).in_(["processing", "paused"]), d.c.due_at < last_day)
    # Finished on or before the due instant is on time whatever the days, and cheap to test; only the
    # others have their local days compared.
    in_time = sa.or_(d.c.finished_at <= d.c.due_at, local_day(d.c.finished_at) <= local_day(d.c.due_at))

    ids = run(_first_ids, d, units, base, {
        # The record's own flag first: a walk then turns most rows away before testing the window.
        "not_online": sa.and_(sa.not_(online), received),
        "not_full": _fails(received, full),
        "not_paid": sa.and_(d.c.fee_applies, sa.not_(d.c.paid_online), received),
        "not_digitised": sa.and_(sa.not_(d.c.has_digitised), received),
        "not_synced": sa.and_(sa.not_(d.c.synced_portal), received),
        "not_vneid": sa.and_(online, sa.not_(d.c.vneid), received),
        "late": sa.or_(_fails(finished, in_time), open_late),
        "no_e_result": sa.and_(sa.not_(d.c.e_result), finished),
        "not_satisfied": sa.and_(d.c.satisfaction.is_not(None), d.c.satisfaction != 1, finished),
    })
    # Three scopes, three GROUP BYs (run side by side): each row's scope is tested once, not once per count.
    totals = (run(_totals, d, units, base, {"open_late": open_late}),
              run(_totals, d, units, sa.and_(base, received), {
                  "online": online, "full": full, "fee": d.c.fee_applies,
                  "paid": sa.and_(d.c.fee_applies, d.c.paid_online), "digitised": d.c.has_digitised,
                  "synced": d.c.synced_portal, "vneid": sa.and_(online, d.c.vneid)},
                  {"components": d.c.components_total, "reused": d.c.components_reused}),
              run(_totals, d, units, sa.and_(base, finished), {
                  "on_time": in_time, "e_result": d.c.e_result, "rated": d.c.satisfaction.is_not(None),
                  "satisfied": d.c.satisfaction == 1}))
    p = RawProcedure.__table__
    p_base = p.c.deleted.is_(False)
    p_online = bytewise(p.c.service_level).in_(["full", "partial"])
    proc_totals = run(_totals, p, units, p_base, {"online": p_online})
    proc_ids = run(_first_ids, p, units, p_base, {"not_online": sa.not_(p_online)})
    services = run(_services_used, d, units, sa.and_(online, received, base), p_base)
    return lambda: _dvc_values(units, *(t.result() for t in totals), ids.result(), proc_totals.result(),
                               proc_ids.result(), services.result())


def _dvc_values(units, whole, received, finished, ids, procs, proc_ids, services) -> dict[str, dict[str, tuple]]:
    out: dict[str, dict[str, tuple]] = {u: {} for u in units}
    for unit in units:
        res = out[unit]
        pg = procs.get(unit)
        if pg:
            res["dvc_online_procedures_rate"] = (*_ratio(pg["online"], pg["rows"]), pg["rows"],
                                                 proc_ids.get(unit, {}).get("not_online", []))
        t = whole.get(unit)  # any dossier in the window
        if not t:
            continue
        got = ids.get(unit, {})
        if pg:
            used, offered, unused = services.get(unit, (0, 0, []))
            res["dvc_online_services_used_rate"] = (*_ratio(used, offered), offered, unused)
        r = received.get(unit)
        if r:
            n = r["rows"]
            res["dvc_online_submission_rate"] = (*_ratio(r["online"], n), n, got.get("not_online", []))
            res["dvc_full_online_rate"] = (*_ratio(r["full"], n), n, got.get("not_full", []))
            if r["fee"]:
                res["dvc_online_payment_rate"] = (*_ratio(r["paid"], r["fee"]), r["fee"], got.get("not_paid", []))
            res["dvc_digitised_rate"] = (*_ratio(r["digitised"], n), n, got.get("not_digitised", []))
            res["dvc_reuse_rate"] = (*_ratio(r["reused"], r["components"]), n, [])
            res["dvc_portal_sync_rate"] = (*_ratio(r["synced"], n), n, got.get("not_synced", []))
            if r["online"]:
                res["dvc_vneid_rate"] = (*_ratio(r["vneid"], r["online"]), r["online"], got.get("not_vneid", []))
        f = finished.get(unit)
        fin, late_open = (f["rows"] if f else 0), t["open_late"]
        if fin or late_open:
            on_time = f["on_time"] if f else 0
            res["dvc_on_time_rate"] = (*_ratio(on_time, fin + late_open), fin + late_open, got.get("late", []))
        if fin:
            res["dvc_e_result_rate"] = (*_ratio(f["e_result"], fin), fin, got.get("no_e_result", []))
            if f["rated"]:
                res["dvc_satisfaction_rate"] = (*_ratio(f["satisfied"], f["rated"]), f["rated"],
                                                got.get("not_satisfied", []))
    return out


def _services_used(conn, d, units, online_received, p_base) -> dict[str, tuple[int, int, list[str]]]:
    """{unit: (online procedures with an online dossier received in the window, online procedures, the
    first ids of the procedure records whose code is offered online and has none)}, in one statement."""
    p = RawProcedure.__table__
    online_received = sa.and_(d.c.unit_code.in_(units), online_received)
    p_base = sa.and_(p.c.unit_code.in_(units), p_base)
    offered = (sa.select(p.c.unit_code, p.c.procedure_code)
               .where(p_base, bytewise(p.c.service_level).in_(["full", "partial"])).distinct().cte("offered"))
    used = sa.select(d.c.unit_code, d.c.procedure_code).where(online_received).distinct().cte("used")

    def same(a, b):
        return sa.and_(a.c.unit_code == b.c.unit_code, bytewise(a.c.procedure_code) == bytewise(b.c.procedure_code))

    counted = (sa.select(offered.c.unit_code, sa.null().label("source_id"), sa.func.count().label("offered"),
                         sa.func.count(used.c.procedure_code).label("used"))
               .select_from(offered.outerjoin(used, same(used, offered))).group_by(offered.c.unit_code))
    rank = sa.func.row_number().over(partition_by=bytewise(p.c.unit_code), order_by=bytewise(p.c.source_id))
    unused = (sa.select(p.c.unit_code, p.c.source_id, rank.label("n"))
              .select_from(p.join(offered, same(p, offered)).outerjoin(used, same(p, used)))
              .where(p_base, used.c.unit_code.is_(None)).subquery())
    sampled = sa.select(unused.c.unit_code, unused.c.source_id, sa.null(), sa.null()).where(
        unused.c.n <= MAX_RECORD_IDS)
    out: dict[str, tuple[int, int, list[str]]] = {}
    ids: dict[str, list[str]] = {}
    for unit, source_id, n_offered, n_used in conn.execute(sa.union_all(counted, sampled)):
        if source_id is None:
            out[unit] = (int(n_used), int(n_offered), ids.setdefault(unit, []))
        else:
            ids.setdefault(unit, []).append(source_id)
    for sample in ids.values():
        sample.sort()
    return out


def _doc_metrics(run, units: list[str], window, reading: _Reading):
    r = reading.table(RawDocument)
    base = sa.and_(r.c.deleted.is_(False), r.c.issue_date >= window[0],
                   r.c.issue_date <= window[1])
    outgoing = bytewise(r.c.direction) == "out"
    head = bytewise(r.c.signer_role) == "head"
    # The rarest test first (few documents are on digital transformation), as in the dossier samples.
    meeting = sa.and_(r.c.topic_dx, bytewise(r.c.doc_type) == "TB", outgoing, head)
    directive = sa.and_(r.c.topic_dx, outgoing, bytewise(r.c.doc_type).in_(["KH", "CT", "QĐ"]))
    public = sa.and_(outgoing, sa.not_(r.c.confidential))  # confidential documents are left out
    inter = sa.and_(public, r.c.inter_agency)
    axis_ok = sa.and_(r.c.via_axis, bytewise(sa.func.coalesce(r.c.axis_status, "")) != "fail")
    ids = run(_first_ids, r, units, base, {
        "meetings": meeting,
        "not_by_head": _fails(directive, head),
        "not_signed": sa.and_(public, sa.not_(r.c.digitally_signed)),
        "not_axis": _fails(inter, axis_ok),
        "not_online": sa.and_(r.c.work_file, sa.not_(r.c.work_file_online)),
    })
    totals = run(_totals, r, units, base, {
        "meetings": meeting, "directives": directive, "by_head": sa.and_(directive, head), "public": public,
        "signed": sa.and_(public, r.c.digitally_signed), "inter": inter, "axis": sa.and_(inter, axis_ok),
        "work_files": r.c.work_file, "online": sa.and_(r.c.work_file, r.c.work_file_online)})
    st = RawStaff.__table__
    st_base = sa.and_(st.c.deleted.is_(False), st.c.eligible_signer.is_(True))
    staff = run(_totals, st, units, st_base, {"certified": st.c.personal_certificate})
    staff_ids = run(_first_ids, st, units, st_base, {"no_certificate": sa.not_(st.c.personal_certificate)})
    return lambda: _doc_values(units, totals.result(), ids.result(), staff.result(), staff_ids.result())


def _doc_values(units, totals, ids, staff, staff_ids) -> dict[str, dict[str, tuple]]:
    out: dict[str, dict[str, tuple]] = {u: {} for u in units}
    for unit in units:
        res = out[unit]
        t = totals.get(unit)
        got = ids.get(unit, {})
        if t:
            res["doc_dx_meetings_count"] = (Decimal(t["meetings"]), None, None, t["meetings"],
                                            got.get("meetings", []))
            if t["directives"]:
                res["doc_head_directives_rate"] = (*_ratio(t["by_head"], t["directives"]), t["directives"],
                                                   got.get("not_by_head", []))
            if t["public"]:
                res["doc_signed_rate"] = (*_ratio(t["signed"], t["public"]), t["public"], got.get("not_signed", []))
                if t["inter"]:
                    res["doc_axis_exchange_rate"] = (*_ratio(t["axis"], t["inter"]), t["inter"],
                                                     got.get("not_axis", []))
            if t["work_files"]:
                res["doc_online_workfile_rate"] = (*_ratio(t["online"], t["work_files"]), t["work_files"],
                                                   got.get("not_online", []))
        s = staff.get(unit)
        if s:
            res["doc_personal_signature_rate"] = (*_ratio(s["certified"], s["rows"]), s["rows"],
                                                  staff_ids.get(unit, {}).get("no_certificate", []))
    return out


def _latest_inventories(conn, units: list[str], last_day: dt.date) -> dict:
    """{unit: its newest inventory snapshot on or before `last_day` (the greatest source id on a tie)}."""
    v = RawInventory.__table__
    newest = sa.func.row_number().over(partition_by=bytewise(v.c.unit_code),
                                       order_by=(v.c.as_of.desc(), bytewise(v.c.source_id).desc()))
    ranked = (sa.select(v.c.unit_code, v.c.source_id, v.c.workstations, v.c.managed_endpoints, v.c.systems,
                        v.c.monitored_systems, newest.label("n"))
              .where(v.c.deleted.is_(False), v.c.unit_code.in_(units), v.c.as_of <= last_day).subquery())
    return {row.unit_code: row for row in conn.execute(sa.select(ranked).where(ranked.c.n == 1))}


def _sec_metrics(run, units: list[str], window, reading: _Reading):
    start, _last_day, end = _instants(window)
    latest = run(_latest_inventories, units, window[1])
    i = reading.table(RawIncident)
    base = sa.and_(i.c.deleted.is_(False), i.c.detected_at <= end,
                   sa.or_(i.c.resolved_at.is_(None), i.c.resolved_at >= start))
    deadline = plus_hours(i.c.detected_at, i.c.sla_hours)
    resolved_in = sa.and_(i.c.resolved_at.is_not(None), i.c.resolved_at <= end)
    late = sa.or_(sa.and_(resolved_in, i.c.resolved_at > deadline), sa.and_(sa.not_(resolved_in), deadline < end))
    totals = run(_totals, i, units, base, {"late": late})
    ids = run(_first_ids, i, units, base, {"late": late})
    return lambda: _sec_values(units, latest.result(), totals.result(), ids.result())


def _sec_values(units, latest, totals, ids) -> dict[str, dict[str, tuple]]:
    out: dict[str, dict[str, tuple]] = {u: {} for u in units}
    for unit in units:
        res = out[unit]
        row = latest.get(unit)
        if row is not None:
            res["sec_antimalware_rate"] = (*_ratio(row.managed_endpoints, row.workstations), 1, [row.source_id])
            res["sec_soc_monitored_rate"] = (*_ratio(row.monitored_systems, row.systems), 1, [row.source_id])
        t = totals.get(unit)
        if row is not None or t:
            res["sec_late_incidents"] = (Decimal(t["late"] if t else 0), None, None, t["rows"] if t else 0,
                                         ids.get(unit, {}).get("late", []))
    return out


# Each source submits its queries and returns how to put their results together.
COMPUTE = {"DVC": _dvc_metrics, "DOC": _doc_metrics, "SEC": _sec_metrics}


class _Queries:
    """Runs the metric queries WORKERS at a time, each on its own connection: they are independent reads, so
    the warehouse works on two of them at once instead of one after the other."""

    def __init__(self, engine: sa.Engine, pool: ThreadPoolExecutor, conn):
        self.engine, self.pool = engine, pool
        # An in-memory SQLite database lives on one connection: its queries run there, one after another.
        in_memory = conn.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")
        self.only_conn = conn if in_memory else None

    def __call__(self, fn, *args, **kwargs) -> Future:
        if self.only_conn is not None:
            done: Future = Future()
            done.set_result(fn(self.only_conn, *args, **kwargs))
            return done
        return self.pool.submit(self._run, fn, args, kwargs)

    def _run(self, fn, args, kwargs):
        with self.engine.connect() as conn:
            return fn(conn, *args, **kwargs)


def compute_metrics(period: str, units: list[tuple[str, str, Framework]], *, url: str | None = None,
                    as_of: dt.datetime | None = None) -> list[MetricValue]:
    """Objective values for every machine-verifiable leaf of every unit, with status and provenance.

    `units` lists (unit_code, unit_type, framework). `as_of` is the moment freshness is judged at.
    """
    per = Period.parse(period)
    as_of = as_of or dt.datetime.now(TZ)
    engine = get_engine(url)
    rows: list[MetricValue] = []
    with engine.connect() as conn:
        health = source_health(conn)
        by_window: dict[tuple, list[str]] = {}
        for code, _utype, fw in units:
            by_window.setdefault(per.window(fw), []).append(code)
        computed: dict[tuple[str, str], dict[str, tuple]] = {}
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            run = _Queries(engine, pool, conn)
            pending = []
            for window, codes in by_window.items():
                codes = sorted(codes)
                reading = _reading(conn, codes)
                pending += [(source, fn(run, codes, window, reading)) for source, fn in COMPUTE.items()
                            if health[source].ok]
            for source, values in pending:
                for unit, metrics in values().items():
                    computed[(source, unit)] = metrics
        measured: dict[tuple[int, str], list] = {}  # the machine-verifiable leaves of a framework and unit type
        for code, utype, fw in units:
            window = per.window(fw)
            leaves = measured.get((id(fw), utype))
            if leaves is None:
                leaves = measured[(id(fw), utype)] = [
                    leaf for leaf in fw.leaves()
                    if leaf.source not in (None, "EVD") and leaf.metric and fw.applies(leaf, utype)]
            for leaf in leaves:
                source = METRICS[leaf.metric].source
                h = health[source]
                mv = MetricValue(code, leaf.code, leaf.metric, source, "ok", freshness_at=h.last_success_at,
                                 snapshot_id=h.snapshot_id)
                if not h.ok:
                    mv.status = "unavailable"
                    mv.reason = f"source_down: {h.error or 'không rõ'}"
                    rows.append(mv)
                    continue
                age_h = (as_of - h.last_success_at).total_seconds() / 3600 if h.last_success_at else None
                if age_h is not None and age_h > fw.policy.stale_after_hours:
                    mv.status = "stale"
                    mv.reason = f"source_stale: {int(age_h)}h"
                    rows.append(mv)
                    continue
                window_end = dt.datetime.combine(window[1], dt.time(23, 59, 59), TZ)
                window_start = dt.datetime.combine(window[0], dt.time(0, 0), TZ)
                if h.last_success_at and h.last_success_at < window_end:
                    covered = (h.last_success_at - window_start).total_seconds()
                    whole = (window_end - window_start).total_seconds()
                    mv.coverage = Decimal(str(round(max(0.0, covered / whole), 6)))
                else:
                    mv.coverage = Decimal("1")
                found = computed.get((source, code), {}).get(leaf.metric)
                if found is None or found[0] is None:
                    mv.status = "no_data"
                    mv.reason = "no_records"
                    if found is not None:
                        mv.numerator, mv.denominator, mv.record_count = found[1], found[2], int(found[3])
                    rows.append(mv)
                    continue
                mv.value, mv.numerator, mv.denominator, mv.record_count, mv.record_ids = (
                    found[0], found[1], found[2], int(found[3]), list(found[4]))
                if mv.coverage < fw.policy.min_coverage:
                    mv.status = "incomplete"
                    mv.reason = f"coverage_below_minimum: {mv.coverage}"
                rows.append(mv)
    rows.sort(key=lambda m: (m.unit_code, m.indicator_code))
    return rows
