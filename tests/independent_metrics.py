"""The objective values recomputed from the raw records by the written rules (dti.metrics.rules, applied by
dti.metrics.reference), record by record in plain Python — no SQL aggregate, no code of dti.metrics'
warehouse queries — so a test can hold the pipeline's values against them."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from dti.metrics.reference import reference_values
from dti.metrics.rules import Policy, Window
from dti.warehouse.models import (
    ObjectiveMetric,
    RawDocument,
    RawDossier,
    RawIncident,
    RawInventory,
    RawProcedure,
    RawStaff,
)

KINDS = {
    "dossiers": RawDossier,
    "procedures": RawProcedure,
    "documents": RawDocument,
    "staff": RawStaff,
    "incidents": RawIncident,
    "inventories": RawInventory,
}
SIX = Decimal("0.000001")


def raw_records(url: str) -> dict[str, list[dict]]:
    """Every raw record of the warehouse, by kind, as plain dicts (unit codes already mapped to current
    units)."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        return {
            kind: [dict(row._mapping) for row in conn.execute(sa.select(model))]
            for kind, model in KINDS.items()
        }


def independent_values(url: str, window: tuple[dt.date, dt.date], policy: Policy = Policy()) -> dict:
    """{(unit, metric): value} by the written rules, from the warehouse's raw records."""
    got = reference_values(raw_records(url), Window(*window), policy)
    return {key: value for key, (value, _num, _den) in got.items()}


def disagreements(url: str, period: str, window: tuple[dt.date, dt.date]) -> tuple[int, list[tuple]]:
    """(values compared, [(unit, indicator, metric, pipeline value, recomputed value)]) wherever the stored
    objective metrics of `period` and the recomputation differ at the six decimals the warehouse keeps, or
    one has a value and the other none. Metrics the pipeline could not compute (source down, stale) are not
    compared."""
    mine = independent_values(url, window)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(sa.select(ObjectiveMetric).where(ObjectiveMetric.period == period)).all()
    out, compared = [], 0
    for row in stored:
        if row.status not in ("ok", "no_data"):
            continue
        compared += 1
        ours = mine.get((row.unit_code, row.metric))
        theirs = row.value
        ours6 = ours.quantize(SIX, rounding=ROUND_HALF_UP) if ours is not None else None
        if (ours6 is None) != (theirs is None) or (ours6 is not None and ours6 != theirs):
            out.append((row.unit_code, row.indicator_code, row.metric, theirs, ours6))
    return compared, out
