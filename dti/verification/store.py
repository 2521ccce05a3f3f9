"""Reading and writing one period's rows in the warehouse: self-reports, objective metrics, the claim
ledger and unit scores.

Each `store_*` replaces exactly one period's rows in one transaction (delete the partition, then
insert), so rerunning a period is idempotent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dti.framework import Framework, Period, load_all
from dti.framework.loader import FrameworkError, pick
from dti.metrics import MetricValue
from dti.reconciliation import Claim, SelfValue, apply_decision
from dti.scoring.unit_scores import UnitScoreRow
from dti.settings import TZ
from dti.warehouse.db import Warehouse
from dti.warehouse.models import (
    ClaimLedgerRow,
    Decision,
    EvidenceCitation,
    FrameworkVersion,
    ObjectiveMetric,
    Publication,
    SelfReport,
    Submission,
    UnitScore,
)

EFFECTIVE = ("effective", "approved")
BULK_ROWS = 2000  # rows per executemany when storing in bulk


def self_report_rows(session: Session, period: str, frameworks: dict[str, Framework] | None = None) -> list[dict]:
    """Current self-report rows of a period, shaped for the self-report suite (expectations/self_reports)."""
    frameworks = frameworks or load_all()
    rows = []
    q = (sa.select(SelfReport, Submission.framework_id).join(Submission, Submission.id == SelfReport.submission_id)
         .where(Submission.period == period, Submission.is_current.is_(True))
         .order_by(SelfReport.unit_code, SelfReport.indicator_code, SelfReport.id))
    for r, fw_id in session.execute(q):
        fw = pick(frameworks, fw_id, Period.parse(period).year)
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
    year = Period.parse(period).year
    for key, d in sorted(latest.items()):
        claim = by_key.get(key)
        if claim is None:
            continue
        apply_decision(pick(frameworks, claim.framework_id, year), claim, d.action, d.value, d.id)
        applied += 1
    return applied


def _bulk_insert(session: Session, model, rows: list[dict]) -> None:
    """Core executemany in slices: the ORM unit of work costs a Python object per row for nothing here."""
    insert = model.__table__.insert()
    for i in range(0, len(rows), BULK_ROWS):
        session.connection().execute(insert, rows[i:i + BULK_ROWS])


def store_metrics(wh: Warehouse, period: str, metrics: list[MetricValue]) -> None:
    with wh.session() as s, s.begin():
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


def published_versions(session: Session) -> dict[tuple[str, str], str]:
    """(framework id, version) → checksum, for every version a publication in force was scored on."""
    out: dict[tuple[str, str], str] = {}
    for pub in session.scalars(sa.select(Publication).where(Publication.withdrawn_at.is_(None))):
        for fw_id, info in (json.loads(pub.snapshot).get("frameworks") or {}).items():
            out[(fw_id, info["version"])] = info["checksum"]
    return out


def framework_checksum(fw: Framework) -> tuple[dict, str]:
    content = fw.model_dump(mode="json")
    return content, hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def record_frameworks(session: Session, frameworks: list[Framework]) -> None:
    """Keep the exact framework content each ledger was built with, so a result can be traced to it.

    A version a published period was scored on cannot change: a file edited under the same id@version is
    refused (a new decision is a new version, with `replaces`)."""
    published = published_versions(session)
    for fw in frameworks:
        content, digest = framework_checksum(fw)
        was = published.get((fw.id, fw.version))
        if was is not None and was != digest:
            raise FrameworkError(f"{fw.id}@{fw.version}", [(
                "version", fw.version,
                f"phiên bản {fw.id}@{fw.version} đã dùng cho kỳ đã công bố, không được sửa; hãy tạo phiên bản mới "
                f"(version mới, replaces: {fw.id}@{fw.version}) / version {fw.id}@{fw.version} was used by a "
                f"published period and cannot be edited; make a new version that replaces it")])
        known = session.get(FrameworkVersion, (fw.id, fw.version))
        if known is None or known.checksum != digest:
            session.merge(FrameworkVersion(id=fw.id, version=fw.version, checksum=digest, content=content,
                                           loaded_at=dt.datetime.now(TZ)))


def store_ledger(wh: Warehouse, period: str, claims: list[Claim]) -> None:
    with wh.session() as s, s.begin():
        s.execute(sa.delete(ClaimLedgerRow).where(ClaimLedgerRow.period == period))
        _bulk_insert(s, ClaimLedgerRow, [{**c.as_row(), "version": 1} for c in claims])


def load_ledger(session: Session, period: str) -> list[Claim]:
    return [claim_from_row(r) for r in session.scalars(
        sa.select(ClaimLedgerRow).where(ClaimLedgerRow.period == period)
        .order_by(ClaimLedgerRow.unit_code, ClaimLedgerRow.indicator_code))]


def claim_from_row(r: ClaimLedgerRow) -> Claim:
    return Claim(unit_code=r.unit_code, period=r.period, indicator_code=r.indicator_code,
                 framework_id=r.framework_id, main_index_code=r.main_index_code, source=r.source, measure=r.measure,
                 max_points=r.max_points, outcome=r.outcome, self_value=r.self_value, self_points=r.self_points,
                 objective_value=r.objective_value, objective_numerator=r.objective_numerator,
                 objective_denominator=r.objective_denominator, record_count=r.record_count,
                 difference=r.difference, tolerance=r.tolerance, direction=r.direction, severity=r.severity,
                 points_at_stake=r.points_at_stake, verified_value=r.verified_value,
                 verified_points=r.verified_points, reasons=[x for x in (r.reason or "").split(";") if x],
                 snapshot_id=r.snapshot_id, record_ids=list(r.record_ids or []), citations=list(r.citations or []),
                 decision_id=r.decision_id)


def load_scores(session: Session, period: str) -> list[UnitScoreRow]:
    return [score_from_row(r) for r in session.scalars(
        sa.select(UnitScore).where(UnitScore.period == period).order_by(UnitScore.unit_code))]


def score_from_row(r: UnitScore) -> UnitScoreRow:
    row = UnitScoreRow(r.unit_code, r.period, r.framework_id, r.unit_type, r.max_points, r.self_total,
                       r.verified_total, r.self_dti, r.verified_dti, r.self_rank, r.verified_rank, r.rank_change)
    row.movers = list(r.movers or [])
    row.by_main_index = dict(r.by_main_index or {})
    row.measured_points, row.evidence_points, row.provisional_points = (
        r.measured_points, r.evidence_points, r.provisional_points)
    row.coverage, row.rank_on_provisional = r.coverage, r.rank_on_provisional
    row.ranking_dti = r.ranking_dti if r.ranking_dti is not None else r.verified_dti
    row.self_grade, row.verified_grade = r.self_grade, r.verified_grade
    return row


def store_scores(wh: Warehouse, period: str, rows: list[UnitScoreRow]) -> None:
    with wh.session() as s, s.begin():
        s.execute(sa.delete(UnitScore).where(UnitScore.period == period))
        for r in rows:
            s.add(UnitScore(unit_code=r.unit_code, period=period, framework_id=r.framework_id, unit_type=r.unit_type,
                            max_points=r.max_points, self_total=r.self_total, verified_total=r.verified_total,
                            self_dti=r.self_dti, verified_dti=r.verified_dti, self_rank=r.self_rank,
                            verified_rank=r.verified_rank, rank_change=r.rank_change, movers=r.movers,
                            by_main_index=r.by_main_index, measured_points=r.measured_points,
                            evidence_points=r.evidence_points, provisional_points=r.provisional_points,
                            coverage=r.coverage, ranking_dti=r.ranking_dti,
                            rank_on_provisional=r.rank_on_provisional, self_grade=r.self_grade,
                            verified_grade=r.verified_grade))
