"""compute_metrics: every machine-verifiable leaf of every unit, its queries submitted per source and data window
and run two at a time, each value judged by the source's health and the framework's policy."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future, ThreadPoolExecutor

import sqlalchemy as sa

from dti.framework import Framework, Leaf, Period
from dti.framework.metric_catalogue import METRICS
from dti.metrics import doc, dvc, sec
from dti.metrics.policy import MetricValue, SourceHealth, judge, source_health
from dti.metrics.sql import reading_for
from dti.settings import TZ
from dti.tabular import TabularMetric, tabular_metrics
from dti.tabular import metrics as tabular
from dti.warehouse.db import get_engine

# Queries run at once (the bench machine has two cores).
WORKERS = 2
# Each source submits its queries and returns how to put their results together.
SUBMIT = {"DVC": dvc.submit, "DOC": doc.submit, "SEC": sec.submit}


class Queries:
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


def compute_metrics(
    period: str,
    units: list[tuple[str, str, Framework]],
    *,
    url: str | None = None,
    as_of: dt.datetime | None = None,
) -> list[MetricValue]:
    """Objective values for every machine-verifiable leaf of every unit, with status and provenance.

    `units` lists (unit_code, unit_type, framework). `as_of` is the moment freshness is judged at.
    """
    per = Period.parse(period)
    as_of = as_of or dt.datetime.now(TZ)
    engine = get_engine(url)
    declared = tabular_metrics()
    with engine.connect() as conn:
        health = source_health(conn)
        computed = _computed(engine, conn, per, units, health)
        tab_health, tab_values = _tabular(conn, per, units, declared)
    rows: list[MetricValue] = []
    # The machine-verifiable leaves of each framework and unit type, listed once.
    measured: dict[tuple[int, str], list[Leaf]] = {}
    for code, utype, fw in units:
        window = per.window(fw)
        leaves = measured.get((id(fw), utype))
        if leaves is None:
            leaves = measured[(id(fw), utype)] = [
                leaf
                for leaf in fw.leaves()
                if leaf.source not in (None, "EVD") and leaf.metric and fw.applies(leaf, utype)
            ]
        for leaf in leaves:
            if leaf.source == tabular.SOURCE:
                tm = declared.get(leaf.metric)
                h = tab_health.get(tm.tabular_source) if tm else None
                if h is None:  # the leaf names a metric no tabular source declares (any more)
                    why = f"{leaf.metric}: không khai báo / not declared"
                    h = SourceHealth(tabular.SOURCE, False, None, why, None)
                found = tab_values.get((leaf.metric, window), {}).get(code)
                rows.append(judge(code, leaf, fw, window, h, as_of, found))
                continue
            source = METRICS[leaf.metric].source
            found = computed.get((source, code), {}).get(leaf.metric)
            rows.append(judge(code, leaf, fw, window, health[source], as_of, found))
    rows.sort(key=lambda m: (m.unit_code, m.indicator_code))
    return rows


def _tabular(conn, per: Period, units: list[tuple[str, str, Framework]], declared: dict[str, TabularMetric]):
    """({tabular source: health}, {(metric, window): {unit: value tuple}}) for the tabular metrics the units'
    leaves use; a source that failed to load gives no values."""
    wanted: dict[tuple[str, tuple], list[str]] = {}
    for code, utype, fw in units:
        for leaf in fw.leaves():
            if leaf.source == tabular.SOURCE and leaf.metric in declared and fw.applies(leaf, utype):
                wanted.setdefault((leaf.metric, per.window(fw)), []).append(code)
    sources = sorted({m.tabular_source for m in declared.values()})
    health = {s: tabular.health(conn, s, SourceHealth) for s in sources}
    values = {
        (metric, window): tabular.values(conn, declared[metric], sorted(set(codes)), window)
        for (metric, window), codes in sorted(wanted.items())
        if health[declared[metric].tabular_source].ok
    }
    return health, values


def _computed(
    engine: sa.Engine,
    conn,
    per: Period,
    units: list[tuple[str, str, Framework]],
    health: dict[str, SourceHealth],
) -> dict[tuple[str, str], dict[str, tuple]]:
    """{(source, unit): {metric: (value, numerator, denominator, record count, sample ids)}} for every source
    that synced, the units grouped by their data window."""
    by_window: dict[tuple, list[str]] = {}
    for code, _utype, fw in units:
        by_window.setdefault(per.window(fw), []).append(code)
    computed: dict[tuple[str, str], dict[str, tuple]] = {}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        run = Queries(engine, pool, conn)
        pending = []
        for window, codes in by_window.items():
            codes = sorted(codes)
            reading = reading_for(conn, codes)
            pending += [
                (source, submit(run, codes, window, reading))
                for source, submit in SUBMIT.items()
                if health[source].ok
            ]
        for source, values in pending:
            for unit, metrics in values().items():
                computed[(source, unit)] = metrics
    return computed
