"""The declarative metrics' values per unit and window, each tabular source's health as the metric policy
reads it (dti.metrics.policy.judge), and the record rule the claim page lists a value's rows by."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from dti.tabular.spec import SOURCE, TabularMetric
from dti.warehouse.models import RawTabularRow, TabularLoad, TabularMark, TabularReject

MAX_IDS = 20  # sample of row ids kept with a value (the claim page lists them all)


def _marks(metric: str, t, column: str):
    m = TabularMark.__table__
    return sa.exists().where(m.c.metric == metric, m.c.source_id == t.c.source_id, m.c[column].is_(True))


def scope(metric: TabularMetric):
    """The rows a value stands on: a rate's denominator, a count's counted rows, in the window by row date."""
    column = "in_denominator" if metric.measure == "rate" else "in_numerator"
    return lambda t, window: sa.and_(
        t.c.row_date >= window[0],
        t.c.row_date <= window[1],
        t.c.deleted.is_(False),
        _marks(metric.id, t, column),
    )


def numerator(metric: TabularMetric):
    return lambda t, window: _marks(metric.id, t, "in_numerator")


def health(conn, source_id: str, health_type):
    """A tabular source's health as a dti.metrics.policy.SourceHealth: its latest load ok or failed (why), the
    rows it refused per unit (that unit's values lack them: unverifiable), the data's checksum as snapshot."""
    load = conn.execute(sa.select(TabularLoad).where(TabularLoad.tabular_source == source_id)).first()
    refused = dict(
        conn.execute(
            sa.select(TabularReject.unit_code, sa.func.count())
            .where(TabularReject.tabular_source == source_id, TabularReject.unit_code.is_not(None))
            .group_by(TabularReject.unit_code)
        ).all()
    )
    if load is None:
        return health_type(SOURCE, False, None, f"{source_id}: chưa nạp / never loaded", None, None)
    return health_type(
        SOURCE,
        bool(load.ok),
        load.loaded_at,
        load.error,
        (load.checksum or "")[:16] or None,
        "complete" if load.ok else "failed",
        refused,
    )


def values(conn, metric: TabularMetric, units: list[str], window) -> dict[str, tuple]:
    """{unit: (value, numerator, denominator, record count, sample ids)} for the units with rows in the
    source; a unit without any row has no value (no data, never a zero)."""
    t = RawTabularRow.__table__
    present = set(
        conn.execute(
            sa.select(t.c.unit_code)
            .where(t.c.tabular_source == metric.tabular_source, t.c.unit_code.in_(units))
            .distinct()
        ).scalars()
    )
    inside = scope(metric)(t, window)
    num = sa.case((_marks(metric.id, t, "in_numerator"), 1), else_=0)
    counted = {
        r.unit_code: r
        for r in conn.execute(
            sa.select(t.c.unit_code, sa.func.count().label("rows"), sa.func.sum(num).label("num"))
            .where(t.c.tabular_source == metric.tabular_source, t.c.unit_code.in_(units), inside)
            .group_by(t.c.unit_code)
        )
    }
    out: dict[str, tuple] = {}
    for unit in sorted(present):
        r = counted.get(unit)
        rows, hits = (int(r.rows), int(r.num or 0)) if r else (0, 0)
        ids = list(
            conn.execute(
                sa.select(t.c.source_id)
                .where(t.c.tabular_source == metric.tabular_source, t.c.unit_code == unit, inside)
                .order_by(t.c.source_id)
                .limit(MAX_IDS)
            ).scalars()
        )
        if metric.measure == "count":
            out[unit] = (Decimal(rows), None, None, rows, ids)
        else:
            out[unit] = (
                (Decimal(hits) / Decimal(rows)) if rows else None,
                Decimal(hits),
                Decimal(rows),
                rows,
                ids,
            )
    return out

