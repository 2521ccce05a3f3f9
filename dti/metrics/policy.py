"""What a metric value is worth: each source's health, and the policy that turns a computed value into an ok
metric or an unverifiable one (source down, stale, no records, coverage below the minimum) — never a zero."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from dti.framework import Framework, Leaf
from dti.settings import TZ
from dti.vocabulary import Reason, SyncVerdict
from dti.warehouse.models import QuarantinedRecord, SourceStatus, SyncBatch, SyncWatermark

SOURCES = ("DVC", "DOC", "SEC")


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
    state: str | None = None  # SyncVerdict of the last sync (None: never synced)
    quarantined: dict[str, int] = field(default_factory=dict)  # unit -> records its latest sync set aside


def source_health(conn) -> dict[str, SourceHealth]:
    """Each source's last sync outcome, and a snapshot id naming the data the metrics were built on."""
    out: dict[str, SourceHealth] = {}
    statuses = {s.source: s for s in conn.execute(sa.select(SourceStatus)).all()}
    marks = conn.execute(
        sa.select(SyncWatermark.source, SyncWatermark.entity, SyncWatermark.watermark).order_by(
            SyncWatermark.source, SyncWatermark.entity
        )
    ).all()
    held = _quarantined(conn)
    for source in SOURCES:
        s = statuses.get(source)
        # The snapshot is named by what was read (each entity's watermark), not by when: two syncs of
        # the same data give the same snapshot id, so outputs stay byte-identical.
        basis = "|".join(f"{e}:{w.isoformat()}" for src, e, w in marks if src == source)
        snap = hashlib.sha256(f"{source}|{basis}".encode()).hexdigest()[:16] if basis else None
        out[source] = SourceHealth(
            source,
            bool(s and s.ok),
            s.last_success_at if s else None,
            s.error if s else "chưa đồng bộ / never synced",
            snap,
            (s.state or (SyncVerdict.COMPLETE if s.ok else SyncVerdict.FAILED)) if s else None,
            held.get(source, {}),
        )
    return out


def _quarantined(conn) -> dict[str, dict[str, int]]:
    """Per source and unit, the records the latest sync of each entity set aside: the unit's figures from
    that source lack them, so its claims cannot be verified until a sync loads them."""
    latest = (sa.select(SyncBatch.source, SyncBatch.entity, sa.func.max(SyncBatch.started_at).label("at"))
              .where(SyncBatch.status != "running").group_by(SyncBatch.source, SyncBatch.entity).subquery())
    batches = sa.select(SyncBatch.batch_id).join(latest, sa.and_(
        SyncBatch.source == latest.c.source, SyncBatch.entity == latest.c.entity, SyncBatch.started_at == latest.c.at))
    q = QuarantinedRecord
    out: dict[str, dict[str, int]] = {}
    for source, unit, n in conn.execute(
            sa.select(q.source, q.unit_code, sa.func.count()).where(q.batch_id.in_(batches))
            .group_by(q.source, q.unit_code)):
        out.setdefault(source, {})[unit] = n
    return out


def coverage(last_success_at: dt.datetime | None, window: tuple[dt.date, dt.date]) -> Decimal:
    """The share of the window the source's data covers: all of it unless the last sync ran before it ended."""
    window_end = dt.datetime.combine(window[1], dt.time(23, 59, 59), TZ)
    window_start = dt.datetime.combine(window[0], dt.time(0, 0), TZ)
    if last_success_at and last_success_at < window_end:
        covered = (last_success_at - window_start).total_seconds()
        whole = (window_end - window_start).total_seconds()
        return Decimal(str(round(max(0.0, covered / whole), 6)))
    return Decimal("1")


def judge(
    unit_code: str,
    leaf: Leaf,
    fw: Framework,
    window: tuple[dt.date, dt.date],
    health: SourceHealth,
    as_of: dt.datetime,
    found: tuple | None,
) -> MetricValue:
    """The metric of one leaf for one unit: `found` (value, numerator, denominator, record count, sample ids, as
    the source modules give it; None when nothing was computed) with the status the framework's policy gives."""
    h = health
    mv = MetricValue(
        unit_code,
        leaf.code,
        leaf.metric,
        h.source,
        "ok",
        freshness_at=h.last_success_at,
        snapshot_id=h.snapshot_id,
    )
    if not h.ok:
        mv.status = "unavailable"
        why = Reason.SOURCE_INCOMPLETE if h.state == SyncVerdict.INCOMPLETE else Reason.SOURCE_FAILED
        mv.reason = f"{why}: {h.error or 'không rõ / unknown'}"
        return mv
    if unit_code in h.quarantined:
        mv.status = "unavailable"
        mv.reason = f"{Reason.RECORDS_QUARANTINED}: {h.quarantined[unit_code]}"
        return mv
    age_h = (as_of - h.last_success_at).total_seconds() / 3600 if h.last_success_at else None
    if age_h is not None and age_h > fw.policy.stale_after_hours:
        mv.status = "stale"
        mv.reason = f"{Reason.SOURCE_STALE}: {int(age_h)}h"
        return mv
    mv.coverage = coverage(h.last_success_at, window)
    if found is None or found[0] is None:
        mv.status = "no_data"
        mv.reason = Reason.NO_RECORDS.value
        if found is not None:
            mv.numerator, mv.denominator, mv.record_count = found[1], found[2], int(found[3])
        return mv
    mv.value, mv.numerator, mv.denominator, mv.record_count, mv.record_ids = (
        found[0],
        found[1],
        found[2],
        int(found[3]),
        list(found[4]),
    )
    if mv.coverage < fw.policy.min_coverage:
        mv.status = "incomplete"
        mv.reason = f"{Reason.COVERAGE_BELOW_MINIMUM}: {mv.coverage}"
    return mv
