"""The public-service (DVC) metrics: dossiers and procedures counted per unit in the warehouse.

The rules, in words and as a plain-Python reference, are dti.metrics.rules: a dossier finished on or
before its due date is on time, compared by local day; one not done by the period's end (in process,
reopened, or done only after the last day) whose due day is on or before the period's last day is late;
dossiers received before the period and finished in it count.
"""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa

from dti.metrics.counting import MAX_RECORD_IDS, fails, first_ids, instants, ratio, totals
from dti.metrics.rules import DONE, FULL_LEVEL, ONLINE_CHANNEL, ONLINE_LEVELS, OPEN_STATUSES, Policy
from dti.metrics.sql import Reading, bytewise, local_day
from dti.warehouse.models import RawDossier, RawProcedure


class _Rules(NamedTuple):
    """The dossier rules of a data window (dti.metrics.rules), as SQL conditions on the dossier table."""

    base: sa.ColumnElement  # not deleted, received by the window's end, open or finished after its start
    received: sa.ColumnElement  # received in the window
    online: sa.ColumnElement
    full: sa.ColumnElement  # online, full-process
    finished: sa.ColumnElement  # done in the window
    open_late: sa.ColumnElement  # not done by the window's end, due on or before its last day
    in_time: sa.ColumnElement  # finished by its due day


def _rules(d, window, policy: Policy | None = None) -> _Rules:
    """The dossier rules of a data window under the province's metric policy (the settings by default)."""
    policy = policy or Policy.from_settings()
    start, _last_day, end = instants(window)
    # The day rules as instants, exact to the microsecond: received in the window ⇔ received_at in
    # [start, end] (the upper bound is in `base`); finished in it ⇔ finished_at in [start, end]; due on or
    # before its last day ⇔ due_at ≤ end. Only "finished by the due day" compares two local days.
    status = bytewise(d.c.status)
    still_open = status.in_(OPEN_STATUSES)  # a reopened dossier is open again, whatever its finished_at says
    base = sa.and_(
        d.c.deleted.is_(False),
        d.c.received_at <= end,
        sa.or_(d.c.finished_at.is_(None), d.c.finished_at >= start, still_open),
    )
    received = d.c.received_at >= start
    online = d.c.channel == ONLINE_CHANNEL
    full = sa.and_(online, bytewise(d.c.service_level) == FULL_LEVEL)
    finished = sa.and_(status == DONE, d.c.finished_at.is_not(None), d.c.finished_at <= end)
    # Not done by the window's end — in process, paused, reopened, or done only after its last day — and due
    # by then: it will finish after its due day whatever happens, so it is late (F5).
    unfinished = sa.or_(still_open, sa.and_(status == DONE, d.c.finished_at > end))
    open_late = sa.and_(unfinished, d.c.due_at <= end) if policy.open_past_due_late else sa.false()
    # Finished on or before the due instant is on time whatever the days, and cheap to test; only the
    # others have their local days compared.
    in_time = sa.or_(d.c.finished_at <= d.c.due_at, local_day(d.c.finished_at) <= local_day(d.c.due_at))
    return _Rules(base, received, online, full, finished, open_late, in_time)


def procedure_rules(p) -> tuple[sa.ColumnElement, sa.ColumnElement]:
    """(procedures counted: not deleted; offered online: full or partial online service level)."""
    return p.c.deleted.is_(False), bytewise(p.c.service_level).in_(ONLINE_LEVELS)


def submit(run, units: list[str], window, reading: Reading):
    """Submit the DVC queries through `run`; returns how to put their results together ({unit: {metric: …}})."""
    d = reading.table(RawDossier)
    base, received, online, full, finished, open_late, in_time = _rules(d, window, Policy.from_settings())
    ids = run(
        first_ids,
        d,
        units,
        base,
        {
            # The record's own flag first: a walk then turns most rows away before testing the window.
            "not_online": sa.and_(sa.not_(online), received),
            "not_full": fails(received, full),
            "not_paid": sa.and_(d.c.fee_applies, sa.not_(d.c.paid_online), received),
            "not_digitised": sa.and_(sa.not_(d.c.has_digitised), received),
            "not_synced": sa.and_(sa.not_(d.c.synced_portal), received),
            "not_vneid": sa.and_(online, sa.not_(d.c.vneid), received),
            "late": sa.or_(fails(finished, in_time), open_late),
            "no_e_result": sa.and_(sa.not_(d.c.e_result), finished),
            "not_satisfied": sa.and_(d.c.satisfaction.is_not(None), d.c.satisfaction != 1, finished),
        },
    )
    # Three scopes, three GROUP BYs (run side by side): each row's scope is tested once, not once per count.
    scoped = (
        run(totals, d, units, base, {"open_late": open_late}),
        run(
            totals,
            d,
            units,
            sa.and_(base, received),
            {
                "online": online,
                "full": full,
                "fee": d.c.fee_applies,
                "paid": sa.and_(d.c.fee_applies, d.c.paid_online),
                "digitised": d.c.has_digitised,
                "synced": d.c.synced_portal,
                "vneid": sa.and_(online, d.c.vneid),
            },
            {"components": d.c.components_total, "reused": d.c.components_reused},
        ),
        run(
            totals,
            d,
            units,
            sa.and_(base, finished),
            {
                "on_time": in_time,
                "e_result": d.c.e_result,
                "rated": d.c.satisfaction.is_not(None),
                "satisfied": d.c.satisfaction == 1,
            },
        ),
    )
    p = RawProcedure.__table__
    p_base, p_online = procedure_rules(p)
    proc_totals = run(totals, p, units, p_base, {"online": p_online})
    proc_ids = run(first_ids, p, units, p_base, {"not_online": sa.not_(p_online)})
    services = run(services_used, d, units, sa.and_(online, received, base), p_base)
    return lambda: values(
        units,
        *(t.result() for t in scoped),
        ids.result(),
        proc_totals.result(),
        proc_ids.result(),
        services.result(),
    )


def values(units, whole, received, finished, ids, procs, proc_ids, services) -> dict[str, dict[str, tuple]]:
    """{unit: {metric: (value, numerator, denominator, record count, sample ids)}} from the query results."""
    out: dict[str, dict[str, tuple]] = {u: {} for u in units}
    for unit in units:
        res = out[unit]
        pg = procs.get(unit)
        if pg:
            res["dvc_online_procedures_rate"] = (
                *ratio(pg["online"], pg["rows"]),
                pg["rows"],
                proc_ids.get(unit, {}).get("not_online", []),
            )
        t = whole.get(unit)  # any dossier in the window
        if not t:
            continue
        got = ids.get(unit, {})
        if pg:
            used, offered, unused = services.get(unit, (0, 0, []))
            res["dvc_online_services_used_rate"] = (*ratio(used, offered), offered, unused)
        r = received.get(unit)
        if r:
            n = r["rows"]
            res["dvc_online_submission_rate"] = (*ratio(r["online"], n), n, got.get("not_online", []))
            res["dvc_full_online_rate"] = (*ratio(r["full"], n), n, got.get("not_full", []))
            if r["fee"]:
                res["dvc_online_payment_rate"] = (
                    *ratio(r["paid"], r["fee"]),
                    r["fee"],
                    got.get("not_paid", []),
                )
            res["dvc_digitised_rate"] = (*ratio(r["digitised"], n), n, got.get("not_digitised", []))
            res["dvc_reuse_rate"] = (*ratio(r["reused"], r["components"]), n, [])
            res["dvc_portal_sync_rate"] = (*ratio(r["synced"], n), n, got.get("not_synced", []))
            if r["online"]:
                res["dvc_vneid_rate"] = (
                    *ratio(r["vneid"], r["online"]),
                    r["online"],
                    got.get("not_vneid", []),
                )
        f = finished.get(unit)
        fin, late_open = (f["rows"] if f else 0), t["open_late"]
        if fin or late_open:
            on_time = f["on_time"] if f else 0
            res["dvc_on_time_rate"] = (*ratio(on_time, fin + late_open), fin + late_open, got.get("late", []))
        if fin:
            res["dvc_e_result_rate"] = (*ratio(f["e_result"], fin), fin, got.get("no_e_result", []))
            if f["rated"]:
                res["dvc_satisfaction_rate"] = (
                    *ratio(f["satisfied"], f["rated"]),
                    f["rated"],
                    got.get("not_satisfied", []),
                )
    return out


def services_used(conn, d, units, online_received, p_base) -> dict[str, tuple[int, int, list[str]]]:
    """{unit: (online procedures with an online dossier received in the window, online procedures, the
    first ids of the procedure records whose code is offered online and has none)}, in one statement."""
    p = RawProcedure.__table__
    online_received = sa.and_(d.c.unit_code.in_(units), online_received)
    p_base = sa.and_(p.c.unit_code.in_(units), p_base)
    offered = (
        sa.select(p.c.unit_code, p.c.procedure_code)
        .where(p_base, bytewise(p.c.service_level).in_(ONLINE_LEVELS))
        .distinct()
        .cte("offered")
    )
    used = sa.select(d.c.unit_code, d.c.procedure_code).where(online_received).distinct().cte("used")

    def same(a, b):
        return sa.and_(
            a.c.unit_code == b.c.unit_code, bytewise(a.c.procedure_code) == bytewise(b.c.procedure_code)
        )

    counted = (
        sa.select(
            offered.c.unit_code,
            sa.null().label("source_id"),
            sa.func.count().label("offered"),
            sa.func.count(used.c.procedure_code).label("used"),
        )
        .select_from(offered.outerjoin(used, same(used, offered)))
        .group_by(offered.c.unit_code)
    )
    rank = sa.func.row_number().over(partition_by=bytewise(p.c.unit_code), order_by=bytewise(p.c.source_id))
    unused = (
        sa.select(p.c.unit_code, p.c.source_id, rank.label("n"))
        .select_from(p.join(offered, same(p, offered)).outerjoin(used, same(p, used)))
        .where(p_base, used.c.unit_code.is_(None))
        .subquery()
    )
    sampled = sa.select(unused.c.unit_code, unused.c.source_id, sa.null(), sa.null()).where(
        unused.c.n <= MAX_RECORD_IDS
    )
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
