"""The verification steps the pipeline runs for one period, as plain functions over the warehouse.

Each `store_*` replaces exactly one period's rows in one transaction (delete the partition, then
insert), so rerunning a period is idempotent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dti.framework import Framework, Period, framework_for_type, load_all
from dti.metrics import MetricValue, compute_metrics
from dti.reconciliation import Claim, SelfValue, apply_decision, build_ledger
from dti.scoring.unit_scores import UnitScoreRow, score_units
from dti.settings import TZ
from dti.warehouse.db import get_engine
from dti.warehouse.models import (
    ClaimLedgerRow,
    Decision,
    EvidenceCitation,
    FrameworkVersion,
    ObjectiveMetric,
    RawDocument,
    SelfReport,
    Submission,
    Unit,
    UnitScore,
)

UnitSpec = tuple[str, str, Framework]
EFFECTIVE = ("effective", "approved")


def period_units(session: Session, period: str, frameworks: dict[str, Framework] | None = None) -> list[UnitSpec]:
    """Units assessed in `period`: current during the period's window, each with its framework."""
    frameworks = frameworks or load_all()
    per = Period.parse(period)
    out: list[UnitSpec] = []
    for unit in session.scalars(sa.select(Unit).order_by(Unit.code)):
        if unit.framework_id and unit.framework_id not in frameworks:
            continue  # filed under a foreign index set (e.g. an external sheet, "sheet:…"): not ours to score
        fw = frameworks.get(unit.framework_id) if unit.framework_id else None
        if fw is None:
            fw = framework_for_type(frameworks, unit.unit_type, per.year)
        if fw is None:
            continue
        start, end = per.window(fw)
        if unit.valid_from > end or (unit.valid_to is not None and unit.valid_to < end):
            continue  # a predecessor merged away before the period closed: its records belong to the successor
        out.append((unit.code, unit.unit_type, fw))
    return out


BULK_ROWS = 2000  # rows per executemany when storing or updating in bulk


def check_citations(session: Session, period: str) -> dict[str, int]:
    """Match parsed evidence citations of current submissions against the document system.

    Found: same unit, number and notation, and the cited date (when given) equals the issue date;
    date_mismatch: the document exists under another date; not_found: no such document.
    """
    counts = {"found": 0, "not_found": 0, "date_mismatch": 0}
    c, d = EvidenceCitation, RawDocument
    current = (sa.select(c.id, c.number, c.notation, c.doc_date, SelfReport.unit_code)
               .join(SelfReport, SelfReport.id == c.self_report_id)
               .join(Submission, Submission.id == SelfReport.submission_id)
               .where(Submission.period == period, Submission.is_current.is_(True))
               .subquery())
    rows = session.execute(sa.select(current).order_by(current.c.id)).all()
    # The documents that could match: same unit and number (a number alone, "45", is shared by every
    # unit's documents), asked unit by unit so the warehouse reads each unit's documents through its
    # unit_code index. Notations are compared here, case-folded in Python, because SQL's upper()
    # leaves Vietnamese letters (đ, ơ) as they are on some backends.
    numbers: dict[str, set[str]] = {}
    for _id, number, _notation, _date, unit in rows:
        if number:
            numbers.setdefault(unit, set()).add(number)
    docs: dict[tuple[str, str, str], list[tuple]] = {}
    for unit, wanted in sorted(numbers.items()):
        for sid, number, notation, issued in session.execute(
                sa.select(d.source_id, d.number, d.notation, d.issue_date)
                .where(d.unit_code == unit, d.number.in_(sorted(wanted)), d.deleted.is_(False))
                .order_by(d.source_id)):
            docs.setdefault((unit, number, (notation or "").upper()), []).append((sid, issued))
    updates = []
    for citation_id, number, notation, cited, unit in rows:
        found = docs.get((unit, number, (notation or "").upper()), [])
        if not found:
            status, doc_id = "not_found", None
        else:
            same_day = [doc for doc in found if cited is None or doc[1] == cited]
            status, doc_id = ("found", same_day[0][0]) if same_day else ("date_mismatch", found[0][0])
        updates.append({"b_id": citation_id, "b_status": status, "b_doc": doc_id})
        counts[status] += 1
    t = EvidenceCitation.__table__
    by_id = (sa.update(t).where(t.c.id == sa.bindparam("b_id"))
             .values(check_status=sa.bindparam("b_status"), matched_document_id=sa.bindparam("b_doc")))
    for i in range(0, len(updates), BULK_ROWS):  # one executemany per slice
        session.connection().execute(by_id, updates[i:i + BULK_ROWS])
    return counts


def self_report_rows(session: Session, period: str, frameworks: dict[str, Framework] | None = None) -> list[dict]:
    """Current self-report rows of a period, shaped for the self-report suite (expectations/self_reports)."""
    frameworks = frameworks or load_all()
    rows = []
    q = (sa.select(SelfReport, Submission.framework_id).join(Submission, Submission.id == SelfReport.submission_id)
         .where(Submission.period == period, Submission.is_current.is_(True))
         .order_by(SelfReport.unit_code, SelfReport.indicator_code, SelfReport.id))
    for r, fw_id in session.execute(q):
        fw = frameworks.get(fw_id)
        try:
            leaf = fw.leaf(r.indicator_code) if fw else None
        except KeyError:
            leaf = None
        rows.append({"row_key": f"{r.unit_code}|{r.indicator_code}|{r.id}", "unit_code": r.unit_code,
                     "period": r.period, "indicator_code": r.indicator_code,
                     "rate_value": r.value if leaf is not None and leaf.measure == "rate" else None,
                     "numerator": r.numerator, "denominator": r.denominator, "self_points": r.self_points,
                     "council_points": r.council_points, "max_points": leaf.max_points if leaf else None})
    return rows


def load_self_values(session: Session, period: str) -> dict[tuple[str, str], SelfValue]:
    out: dict[tuple[str, str], SelfValue] = {}
    reports = session.scalars(
        sa.select(SelfReport).join(Submission, Submission.id == SelfReport.submission_id)
        .where(Submission.period == period, Submission.is_current.is_(True))
        .order_by(SelfReport.unit_code, SelfReport.indicator_code, SelfReport.id)).all()
    cites: dict[int, list[dict]] = {}
    ids = [r.id for r in reports]
    for i in range(0, len(ids), 900):
        for c in session.scalars(sa.select(EvidenceCitation).where(EvidenceCitation.self_report_id.in_(ids[i:i + 900]))
                                 .order_by(EvidenceCitation.id)):
            cites.setdefault(c.self_report_id, []).append(
                {"raw": c.raw, "status": c.check_status or "unchecked", "document_id": c.matched_document_id})
    for r in reports:
        out[(r.unit_code, r.indicator_code)] = SelfValue(r.value, r.self_points, cites.get(r.id, []))
    return out


def apply_decisions(session: Session, period: str, claims: list[Claim], frameworks: dict[str, Framework]) -> int:
    """Re-apply the latest effective council decision of each claim to a freshly built ledger."""
    by_key = {(c.unit_code, c.indicator_code): c for c in claims}
    latest: dict[tuple[str, str], Decision] = {}
    for d in session.scalars(sa.select(Decision).where(Decision.period == period, Decision.status.in_(EFFECTIVE),
                                                       Decision.action != "request_evidence")
                             .order_by(Decision.id)):
        latest[(d.unit_code, d.indicator_code)] = d
    applied = 0
    for key, d in sorted(latest.items()):
        claim = by_key.get(key)
        if claim is None:
            continue
        apply_decision(frameworks[claim.framework_id], claim, d.action, d.value, d.id)
        applied += 1
    return applied


def compute_period(period: str, *, url: str | None = None, as_of: dt.datetime | None = None
                   ) -> tuple[list[UnitSpec], list[MetricValue]]:
    engine = get_engine(url)
    with Session(engine) as s:
        units = period_units(s, period)
    return units, compute_metrics(period, units, url=url, as_of=as_of)


def _bulk_insert(session: Session, model, rows: list[dict]) -> None:
    """Core executemany in slices: the ORM unit of work costs a Python object per row for nothing here."""
    insert = model.__table__.insert()
    for i in range(0, len(rows), BULK_ROWS):
        session.connection().execute(insert, rows[i:i + BULK_ROWS])


def store_metrics(period: str, metrics: list[MetricValue], *, url: str | None = None) -> None:
    with Session(get_engine(url)) as s, s.begin():
        s.execute(sa.delete(ObjectiveMetric).where(ObjectiveMetric.period == period))
        _bulk_insert(s, ObjectiveMetric, [
            {"unit_code": m.unit_code, "period": period, "indicator_code": m.indicator_code, "metric": m.metric,
             "source": m.source, "status": m.status, "reason": m.reason, "value": m.value, "numerator": m.numerator,
             "denominator": m.denominator, "record_count": m.record_count, "coverage": m.coverage,
             "freshness_at": m.freshness_at, "snapshot_id": m.snapshot_id, "record_ids": m.record_ids}
            for m in metrics])


def load_metrics(session: Session, period: str) -> dict[tuple[str, str], MetricValue]:
    out = {}
    for m in session.scalars(sa.select(ObjectiveMetric).where(ObjectiveMetric.period == period)):
        out[(m.unit_code, m.indicator_code)] = MetricValue(
            m.unit_code, m.indicator_code, m.metric, m.source, m.status, m.value, m.numerator, m.denominator,
            m.record_count, m.coverage, m.freshness_at, m.reason, m.snapshot_id, list(m.record_ids or []))
    return out


def record_frameworks(session: Session, frameworks: list[Framework]) -> None:
    """Keep the exact framework content each ledger was built with, so a result can be traced to it."""
    for fw in frameworks:
        content = fw.model_dump(mode="json")
        digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        known = session.get(FrameworkVersion, fw.id)
        if known is None or known.checksum != digest:
            session.merge(FrameworkVersion(id=fw.id, version=fw.version, checksum=digest, content=content,
                                           loaded_at=dt.datetime.now(TZ)))


def build_period_ledger(period: str, *, url: str | None = None) -> tuple[list[UnitSpec], list[Claim], dict]:
    """Citations checked, self-reports and metrics reconciled, council decisions re-applied."""
    frameworks = load_all()
    with Session(get_engine(url)) as s, s.begin():
        citation_counts = check_citations(s, period)
        record_frameworks(s, sorted({fw.id: fw for _c, _t, fw in period_units(s, period, frameworks)}.values(),
                                    key=lambda f: f.id))
    with Session(get_engine(url)) as s:
        units = period_units(s, period, frameworks)
        claims = build_ledger(period, units, load_self_values(s, period), load_metrics(s, period))
        decisions = apply_decisions(s, period, claims, frameworks)
    return units, claims, {"citations": citation_counts, "decisions_applied": decisions}


def store_ledger(period: str, claims: list[Claim], *, url: str | None = None) -> None:
    with Session(get_engine(url)) as s, s.begin():
        s.execute(sa.delete(ClaimLedgerRow).where(ClaimLedgerRow.period == period))
        _bulk_insert(s, ClaimLedgerRow, [{**c.as_row(), "version": 1} for c in claims])


def load_ledger(session: Session, period: str) -> list[Claim]:
    out = []
    for r in session.scalars(sa.select(ClaimLedgerRow).where(ClaimLedgerRow.period == period)
                             .order_by(ClaimLedgerRow.unit_code, ClaimLedgerRow.indicator_code)):
        c = Claim(unit_code=r.unit_code, period=r.period, indicator_code=r.indicator_code,
                  framework_id=r.framework_id, main_index_code=r.main_index_code, source=r.source, measure=r.measure,
                  max_points=r.max_points, outcome=r.outcome, self_value=r.self_value, self_points=r.self_points,
                  objective_value=r.objective_value, objective_numerator=r.objective_numerator,
                  objective_denominator=r.objective_denominator, record_count=r.record_count,
                  difference=r.difference, tolerance=r.tolerance, direction=r.direction, severity=r.severity,
                  points_at_stake=r.points_at_stake, verified_value=r.verified_value,
                  verified_points=r.verified_points, reasons=[x for x in (r.reason or "").split(";") if x],
                  snapshot_id=r.snapshot_id, record_ids=list(r.record_ids or []), citations=list(r.citations or []),
                  decision_id=r.decision_id)
        out.append(c)
    return out


def store_scores(period: str, rows: list[UnitScoreRow], *, url: str | None = None) -> None:
    with Session(get_engine(url)) as s, s.begin():
        s.execute(sa.delete(UnitScore).where(UnitScore.period == period))
        for r in rows:
            s.add(UnitScore(unit_code=r.unit_code, period=period, framework_id=r.framework_id, unit_type=r.unit_type,
                            max_points=r.max_points, self_total=r.self_total, verified_total=r.verified_total,
                            self_dti=r.self_dti.quantize(Decimal("0.000001")),
                            verified_dti=r.verified_dti.quantize(Decimal("0.000001")), self_rank=r.self_rank,
                            verified_rank=r.verified_rank, rank_change=r.rank_change, movers=r.movers,
                            by_main_index=r.by_main_index))


def score_period(period: str, claims: list[Claim], units: list[UnitSpec]) -> list[UnitScoreRow]:
    return score_units(period, units, claims)
