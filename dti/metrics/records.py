"""Every record behind a metric value, read from the warehouse by the metric's own rules (issue 19).

The metrics count in the warehouse and keep only a sample of ids (MAX_RECORD_IDS); here each metric names the
records its value stands on — its scope (the denominator of a rate, the records counted by a count) — and
which of them make the numerator, built from the same SQL conditions the counting uses (dvc.rules,
doc.rules, sec.incident_rules …), so a record list can never follow a different rule from the value. The claim
page pages through them and exports them all; `record_counts` gives the true totals, equal to the metric's
numerator and denominator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dti.metrics import doc, dvc, sec
from dti.metrics.sql import bytewise
from dti.tabular import metrics as tabular
from dti.tabular import tabular_metrics
from dti.warehouse.models import (
    RawDocument,
    RawDossier,
    RawIncident,
    RawInventory,
    RawProcedure,
    RawStaff,
    RawTabularRow,
)

Window = tuple[dt.date, dt.date]
Condition = Callable[[sa.Table, Window], sa.ColumnElement]


def _everything(_t, _w) -> sa.ColumnElement:
    return sa.true()


@dataclass(frozen=True)
class RecordRule:
    """The records behind one metric: `scope` selects them (all of them stand behind the value), `numerator`
    those of them that make the numerator; None when the numerator is not a count of records (a sum of
    components, figures of one inventory snapshot)."""

    model: type
    scope: Condition
    numerator: Condition | None = None


def _dossiers(pick: Callable[[dvc._Rules, sa.Table], sa.ColumnElement]) -> Condition:
    """A condition on dossiers from the dossier rules of the window."""
    return lambda d, window: pick(dvc._rules(d, window), d)


def _documents(pick: Callable[[doc.Rules, sa.Table], sa.ColumnElement]) -> Condition:
    return lambda r, window: pick(doc.rules(r, window), r)


def _received(x: dvc._Rules, _d) -> sa.ColumnElement:
    return sa.and_(x.base, x.received)


def _finished(x: dvc._Rules, _d) -> sa.ColumnElement:
    return sa.and_(x.base, x.finished)


def _offered(p, _w) -> sa.ColumnElement:
    counted, online = dvc.procedure_rules(p)
    return sa.and_(counted, online)


def _used_online(p, window) -> sa.ColumnElement:
    """An offered procedure with an online dossier of the same code received in the window."""
    d = RawDossier.__table__.alias("used")
    x = dvc._rules(d, window)
    return sa.exists().where(
        d.c.unit_code == p.c.unit_code,
        bytewise(d.c.procedure_code) == bytewise(p.c.procedure_code),
        x.online,
        x.received,
        x.base,
    )


def _latest_inventory(v, window) -> sa.ColumnElement:
    """The unit's newest inventory snapshot on or before the window's last day (the one the rates read)."""
    w = RawInventory.__table__.alias("newer")
    newest = (
        sa.select(w.c.source_id)
        .where(w.c.unit_code == v.c.unit_code, w.c.deleted.is_(False), w.c.as_of <= window[1])
        .order_by(w.c.as_of.desc(), bytewise(w.c.source_id).desc())
        .limit(1)
        .scalar_subquery()
    )
    return v.c.source_id == newest


def _incidents(pick: int) -> Condition:
    return lambda i, window: sec.incident_rules(i, window)[pick]


RULES: dict[str, RecordRule] = {
    "dvc_online_procedures_rate": RecordRule(
        RawProcedure, lambda p, _w: dvc.procedure_rules(p)[0], lambda p, _w: dvc.procedure_rules(p)[1]
    ),
    "dvc_online_services_used_rate": RecordRule(RawProcedure, _offered, _used_online),
    "dvc_online_submission_rate": RecordRule(
        RawDossier, _dossiers(_received), _dossiers(lambda x, d: x.online)
    ),
    "dvc_full_online_rate": RecordRule(RawDossier, _dossiers(_received), _dossiers(lambda x, d: x.full)),
    "dvc_online_payment_rate": RecordRule(
        RawDossier,
        _dossiers(lambda x, d: sa.and_(_received(x, d), d.c.fee_applies)),
        lambda d, _w: d.c.paid_online,
    ),
    "dvc_digitised_rate": RecordRule(RawDossier, _dossiers(_received), lambda d, _w: d.c.has_digitised),
    "dvc_reuse_rate": RecordRule(RawDossier, _dossiers(_received)),  # the numerator sums reused components
    "dvc_portal_sync_rate": RecordRule(RawDossier, _dossiers(_received), lambda d, _w: d.c.synced_portal),
    "dvc_vneid_rate": RecordRule(
        RawDossier, _dossiers(lambda x, d: sa.and_(_received(x, d), x.online)), lambda d, _w: d.c.vneid
    ),
    # finished in the window, or still open past the due date at its end (late); on time: finished by the
    # due day
    "dvc_on_time_rate": RecordRule(
        RawDossier,
        _dossiers(lambda x, d: sa.and_(x.base, sa.or_(x.finished, x.open_late))),
        _dossiers(lambda x, d: sa.and_(x.finished, x.in_time)),
    ),
    "dvc_e_result_rate": RecordRule(RawDossier, _dossiers(_finished), lambda d, _w: d.c.e_result),
    "dvc_satisfaction_rate": RecordRule(
        RawDossier,
        _dossiers(lambda x, d: sa.and_(_finished(x, d), d.c.satisfaction.is_not(None))),
        lambda d, _w: d.c.satisfaction == 1,
    ),
    "doc_dx_meetings_count": RecordRule(
        RawDocument, _documents(lambda x, r: sa.and_(x.base, x.meeting)), _everything
    ),
    "doc_head_directives_rate": RecordRule(
        RawDocument, _documents(lambda x, r: sa.and_(x.base, x.directive)), _documents(lambda x, r: x.head)
    ),
    "doc_signed_rate": RecordRule(
        RawDocument, _documents(lambda x, r: sa.and_(x.base, x.public)), lambda r, _w: r.c.digitally_signed
    ),
    "doc_axis_exchange_rate": RecordRule(
        RawDocument, _documents(lambda x, r: sa.and_(x.base, x.inter)), _documents(lambda x, r: x.axis_ok)
    ),
    "doc_online_workfile_rate": RecordRule(
        RawDocument,
        _documents(lambda x, r: sa.and_(x.base, x.work_files)),
        _documents(lambda x, r: x.online),
    ),
    "doc_personal_signature_rate": RecordRule(
        RawStaff, lambda st, _w: doc.staff_rules(st), lambda st, _w: st.c.personal_certificate
    ),
    "sec_antimalware_rate": RecordRule(RawInventory, _latest_inventory),
    "sec_soc_monitored_rate": RecordRule(RawInventory, _latest_inventory),
    "sec_late_incidents": RecordRule(RawIncident, _incidents(0), _incidents(1)),
}


@dataclass(frozen=True)
class RecordCounts:
    total: int  # every record behind the value (the denominator of a rate)
    numerator: int | None  # those of them in the numerator; None when it is not a count of records


@dataclass(frozen=True)
class Record:
    row: object  # the raw record (RawDossier, RawDocument …)
    in_numerator: bool | None  # None when the metric's numerator is not a count of records


def rule_for(metric: str | None) -> RecordRule | None:
    """The metric's record rule: a built-in one, or a tabular source's declarative metric (its marked rows)."""
    if not metric:
        return None
    if metric in RULES:
        return RULES[metric]
    declared = tabular_metrics().get(metric)
    if declared is None:
        return None
    return RecordRule(RawTabularRow, tabular.scope(declared), tabular.numerator(declared))


def _where(rule: RecordRule, unit: str, window: Window):
    t = rule.model.__table__
    return t, sa.and_(t.c.unit_code == unit, rule.scope(t, window))


def _flag(rule: RecordRule, t, window: Window):
    if rule.numerator is None:
        return sa.null()
    return sa.case((rule.numerator(t, window), 1), else_=0)


def record_counts(session: Session, metric: str, unit: str, window: Window) -> RecordCounts | None:
    """How many records stand behind the unit's value of `metric`, and how many make its numerator."""
    rule = rule_for(metric)
    if rule is None:
        return None
    t, where = _where(rule, unit, window)
    if rule.numerator is None:
        total = session.execute(sa.select(sa.func.count()).select_from(t).where(where)).scalar_one()
        return RecordCounts(int(total), None)
    total, num = session.execute(
        sa.select(sa.func.count(), sa.func.sum(_flag(rule, t, window))).select_from(t).where(where)
    ).one()
    return RecordCounts(int(total), int(num or 0))


def _records(
    session: Session,
    rule: RecordRule,
    unit: str,
    window: Window,
    offset: int = 0,
    limit: int | None = None,
    yield_per: int | None = None,
) -> Iterator[Record]:
    t, where = _where(rule, unit, window)
    flag = _flag(rule, t, window).label("in_numerator")
    stmt = (
        sa.select(rule.model, flag)
        .where(where)
        .order_by(bytewise(rule.model.source_id))
        .offset(offset)
        .limit(limit)
    )
    if yield_per:
        stmt = stmt.execution_options(yield_per=yield_per)
    for row, hit in session.execute(stmt):
        yield Record(row, None if hit is None else bool(hit))


def record_page(
    session: Session, metric: str, unit: str, window: Window, page: int, per_page: int
) -> list[Record]:
    """Page `page` (from 1) of the records behind the value, `per_page` at a time, in source-id order."""
    rule = rule_for(metric)
    if rule is None:
        return []
    return list(_records(session, rule, unit, window, (max(page, 1) - 1) * per_page, per_page))


def all_records(
    session: Session, metric: str, unit: str, window: Window, batch: int = 1000
) -> Iterator[Record]:
    """Every record behind the value, in source-id order, read `batch` rows at a time."""
    rule = rule_for(metric)
    if rule is None:
        return iter(())
    return _records(session, rule, unit, window, yield_per=batch)
