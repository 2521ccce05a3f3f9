"""The security-monitoring (SEC) metrics: the latest inventory snapshot and the incidents handled past their
SLA, per unit, from the warehouse, by the rules of dti.metrics.rules. A botnet IP still listed past its SLA is
a late incident like any other (E5: 5 points each, as the framework says), unless the province chose
otherwise."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from dti.metrics.counting import first_ids, instants, ratio, totals
from dti.metrics.rules import BOTNET, Policy
from dti.metrics.sql import Reading, bytewise, plus_hours
from dti.warehouse.models import RawIncident, RawInventory


def latest_inventories(conn, units: list[str], last_day: dt.date) -> dict:
    """{unit: its newest inventory snapshot on or before `last_day` (the greatest source id on a tie)}."""
    v = RawInventory.__table__
    newest = sa.func.row_number().over(
        partition_by=bytewise(v.c.unit_code), order_by=(v.c.as_of.desc(), bytewise(v.c.source_id).desc())
    )
    ranked = (
        sa.select(
            v.c.unit_code,
            v.c.source_id,
            v.c.workstations,
            v.c.managed_endpoints,
            v.c.systems,
            v.c.monitored_systems,
            newest.label("n"),
        )
        .where(v.c.deleted.is_(False), v.c.unit_code.in_(units), v.c.as_of <= last_day)
        .subquery()
    )
    return {row.unit_code: row for row in conn.execute(sa.select(ranked).where(ranked.c.n == 1))}


def incident_rules(i, window) -> tuple[sa.ColumnElement, sa.ColumnElement]:
    """(incidents counted: not deleted, open at some time in the window; late: resolved past the SLA in the
    window, or still open past it at the window's end), as SQL conditions on the incident table."""
    start, _last_day, end = instants(window)
    base = sa.and_(
        i.c.deleted.is_(False),
        i.c.detected_at <= end,
        sa.or_(i.c.resolved_at.is_(None), i.c.resolved_at >= start),
    )
    if not Policy.from_settings().botnet_as_incident:  # a province that scores botnet IPs elsewhere
        base = sa.and_(base, bytewise(i.c.category) != BOTNET)
    deadline = plus_hours(i.c.detected_at, i.c.sla_hours)
    resolved_in = sa.and_(i.c.resolved_at.is_not(None), i.c.resolved_at <= end)
    late = sa.or_(
        sa.and_(resolved_in, i.c.resolved_at > deadline), sa.and_(sa.not_(resolved_in), deadline < end)
    )
    return base, late


def submit(run, units: list[str], window, reading: Reading):
    """Submit the SEC queries through `run`; returns how to put their results together ({unit: {metric: …}})."""
    latest = run(latest_inventories, units, window[1])
    i = reading.table(RawIncident)
    base, late = incident_rules(i, window)
    counted = run(totals, i, units, base, {"late": late})
    ids = run(first_ids, i, units, base, {"late": late})
    return lambda: values(units, latest.result(), counted.result(), ids.result())


def values(units, latest, counted, ids) -> dict[str, dict[str, tuple]]:
    """{unit: {metric: (value, numerator, denominator, record count, sample ids)}} from the query results."""
    out: dict[str, dict[str, tuple]] = {u: {} for u in units}
    for unit in units:
        res = out[unit]
        row = latest.get(unit)
        if row is not None:
            res["sec_antimalware_rate"] = (
                *ratio(row.managed_endpoints, row.workstations),
                1,
                [row.source_id],
            )
            res["sec_soc_monitored_rate"] = (*ratio(row.monitored_systems, row.systems), 1, [row.source_id])
        t = counted.get(unit)
        if row is not None or t:
            res["sec_late_incidents"] = (
                Decimal(t["late"] if t else 0),
                None,
                None,
                t["rows"] if t else 0,
                ids.get(unit, {}).get("late", []),
            )
    return out
