"""Counting in the warehouse: per-unit totals as one GROUP BY, and the first MAX_RECORD_IDS failing source ids
of each unit (by walking the metrics index on SQLite, by a window query elsewhere)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import sqlalchemy as sa

from dti.metrics.sql import ByMetricsIndex, bytewise
from dti.settings import TZ

MAX_RECORD_IDS = 100


def ratio(num: float | int, den: float | int) -> tuple[Decimal | None, Decimal, Decimal]:
    """(num ÷ den or None when den is 0, num, den) as Decimals."""
    n, d = Decimal(int(num)), Decimal(int(den))
    return ((n / d) if d else None), n, d


def flag(cond):
    """1 where the condition holds, else 0 (NULL included)."""
    return sa.case((cond, 1), else_=0)


def fails(scope, passes):
    """In scope and not passing, a NULL test counting as not passing (as a missing value compares)."""
    return sa.and_(scope, sa.case((passes, 0), else_=1) == 1)


def instants(window: tuple[dt.date, dt.date]) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """First instant of the window, first instant of its last day, last instant of the window (local)."""
    return (
        dt.datetime.combine(window[0], dt.time(0, 0), TZ),
        dt.datetime.combine(window[1], dt.time(0, 0), TZ),
        dt.datetime.combine(window[1], dt.time(23, 59, 59, 999999), TZ),
    )


def totals(conn, table, units: list[str], where, counts: dict, sums: dict | None = None) -> dict[str, dict]:
    """{unit: {"rows": n, name: …}}: how many of each unit's rows satisfy each condition in `counts` and the total
    of each expression in `sums`, as one GROUP BY unit in the warehouse (read in unit order on SQLite, through
    the metrics index: no sort)."""
    sums = sums or {}
    names = ["rows", *counts, *sums]
    query = (
        sa.select(
            table.c.unit_code,
            sa.func.count(),
            *(sa.func.count(sa.case((cond, 1))) for cond in counts.values()),  # CASE gives NULL else
            *(sa.func.sum(expr) for expr in sums.values()),
        )
        .where(table.c.unit_code.in_(units), where)
        .group_by(table.c.unit_code)
    )
    return {
        unit: dict(zip(names, (int(v or 0) for v in values), strict=True))
        for unit, *values in conn.execute(query)
    }


def first_ids(conn, table, units: list[str], where, samples: dict) -> dict[str, dict[str, list[str]]]:
    """{unit: {name: the first MAX_RECORD_IDS source ids, in byte order, of the unit's rows where `where` and
    samples[name] hold}}; a unit or name without any may be missing."""
    walk = conn.dialect.name == "sqlite" and isinstance(table, ByMetricsIndex)
    find = first_ids_by_walk if walk else first_ids_by_window
    out = find(conn, table, units, where, samples)
    for lists in out.values():
        for sample in lists.values():
            sample.sort()
    return out


def first_ids_by_walk(conn, table, units, where, samples) -> dict[str, dict[str, list[str]]]:
    """SQLite, a table with a metrics index: for each unit and condition, walk the unit's rows in source-id
    order (the index keeps them so) and stop at the MAX_RECORD_IDS-th that holds. A condition most rows meet
    stops after a few hundred rows, only a rare one reads the whole unit, and nothing is sorted."""
    unit = sa.func.json_each(json.dumps(units)).table_valued("value")
    walks = []
    for cond in samples.values():
        first = (
            sa.select(table.c.source_id)
            .where(table.c.unit_code == unit.c.value, cond, where)
            .order_by(table.c.source_id)
            .limit(MAX_RECORD_IDS)
            .correlate(unit)
            .subquery()
        )
        walks.append(sa.select(sa.func.json_group_array(first.c.source_id)).scalar_subquery())
    return {
        code: {name: json.loads(found) for name, found in zip(samples, lists, strict=True)}
        for code, *lists in conn.execute(sa.select(unit.c.value, *walks))
    }


def first_ids_by_window(conn, table, units, where, samples) -> dict[str, dict[str, list[str]]]:
    """Elsewhere: one window query. Each condition is numbered along the unit's rows in source-id
    order, and only rows numbered MAX_RECORD_IDS or less in some condition leave the warehouse."""
    names = list(samples)
    flags = [flag(cond).label(f"f{i}") for i, cond in enumerate(samples.values())]
    inner = (
        sa.select(table.c.unit_code, table.c.source_id, *flags)
        .where(table.c.unit_code.in_(units), where, sa.or_(*samples.values()))
        .subquery()
    )
    window = {
        "partition_by": bytewise(inner.c.unit_code),
        "order_by": bytewise(inner.c.source_id),
        "rows": (None, 0),
    }
    ranked = sa.select(
        inner.c.unit_code,
        inner.c.source_id,
        *(inner.c[f"f{i}"] for i in range(len(names))),
        *(sa.func.sum(inner.c[f"f{i}"]).over(**window).label(f"r{i}") for i in range(len(names))),
    ).subquery()
    picked = [sa.and_(ranked.c[f"f{i}"] == 1, ranked.c[f"r{i}"] <= MAX_RECORD_IDS) for i in range(len(names))]
    query = sa.select(ranked.c.unit_code, ranked.c.source_id, *(flag(p) for p in picked)).where(
        sa.or_(*picked)
    )
    out: dict[str, dict[str, list[str]]] = {}
    for unit, source_id, *hits in conn.execute(query):
        lists = out.get(unit) or out.setdefault(unit, {name: [] for name in names})
        for name, hit in zip(names, hits, strict=True):
            if hit:
                lists[name].append(source_id)
    return out
