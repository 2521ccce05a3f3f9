"""How fresh each system of record is: hours since its last successful sync, and by how many hours it
is out of date against the framework policy (stale_after_hours) — for the UI, alerts and the report; and
each tabular source's latest load, for the report's source table."""

from __future__ import annotations

import datetime as dt
import math

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dti import formatting
from dti.formatting import datetime_vn
from dti.framework import load_all
from dti.settings import TZ
from dti.tabular.spec import SOURCE
from dti.vocabulary import SyncVerdict
from dti.warehouse.models import SourceStatus, SyncBatch, TabularLoad

SOURCES = ("DVC", "DOC", "SEC")
DEFAULT_STALE_AFTER_HOURS = 48


def stale_after_hours() -> int:
    """The strictest stale_after_hours among the loaded frameworks (48 if none is loaded)."""
    try:
        hours = [fw.policy.stale_after_hours for fw in load_all().values()]
    except Exception:  # noqa: BLE001 - a broken framework folder must not hide freshness
        hours = []
    return min(hours) if hours else DEFAULT_STALE_AFTER_HOURS


def _fmt(ts: dt.datetime | None) -> str:
    return datetime_vn(ts)


def describe(source: str, last_success_at: dt.datetime | None, as_of: dt.datetime, limit_hours: int,
             ok: bool = True, error: str | None = None) -> dict:
    """One source's freshness; `overdue_hours` is how far past the limit it is (0 when fresh)."""
    if last_success_at is None:
        why = f"; lỗi gần nhất / last error: {error}" if error else ""
        return {"source": source, "last_success_at": None, "age_hours": None, "limit_hours": limit_hours,
                "overdue_hours": None, "fresh": False, "last_attempt_ok": ok, "error": error,
                "message": f"{source} chưa từng đồng bộ thành công / {source} has never synced successfully{why}"}
    age = (as_of - last_success_at).total_seconds() / 3600
    overdue = max(0, math.floor(age - limit_hours)) if age > limit_hours else 0
    fresh = age <= limit_hours
    if fresh:
        ago_vi, ago_en = formatting.age(max(age, 0.0))
        message = (f"{source} cập nhật {ago_vi} (lúc {_fmt(last_success_at)}) / "
                   f"{source} synced {ago_en} (at {_fmt(last_success_at)})")
    else:
        late_vi, late_en = formatting.duration(overdue)
        message = (f"{source} chậm {late_vi} so với hạn {limit_hours} giờ (đồng bộ thành công cuối lúc "
                   f"{_fmt(last_success_at)}) / {source} is out of date by {late_en} "
                   f"(limit {limit_hours} h; last successful sync {_fmt(last_success_at)})")
    if not ok and error:
        message += f"; lần đồng bộ gần nhất lỗi / the last sync failed: {error}"
    return {"source": source, "last_success_at": last_success_at.astimezone(TZ).isoformat(timespec="seconds"),
            "age_hours": round(age, 1), "limit_hours": limit_hours, "overdue_hours": overdue, "fresh": fresh,
            "last_attempt_ok": ok, "error": error, "message": message}


def source_freshness(session: Session, as_of: dt.datetime, limit_hours: int | None = None) -> list[dict]:
    """Freshness of DVC, DOC and SEC (and any other source with a status row), sorted by source.

    Each dict: source, last_success_at (ISO, Asia/Ho_Chi_Minh) or None, age_hours, limit_hours,
    overdue_hours ("out of date by N hours"; None if never synced), fresh, last_attempt_ok, error, message.
    """
    if as_of.tzinfo is None:
        raise ValueError(f"as_of {as_of!r} cần múi giờ / must carry a time zone")
    limit = stale_after_hours() if limit_hours is None else limit_hours
    rows = {r.source: r for r in session.scalars(sa.select(SourceStatus))}
    counts = last_counts(session)
    out = []
    for source in sorted(set(SOURCES) | set(rows)):
        r = rows.get(source)
        if r is None:
            row = describe(source, None, as_of, limit, ok=False, error=None)
        else:
            row = describe(source, r.last_success_at, as_of, limit, ok=bool(r.ok), error=r.error)
        row["state"] = (r.state or (SyncVerdict.COMPLETE if r.ok else SyncVerdict.FAILED)) if r else None
        row["entities"] = counts.get(source, [])
        out.append(row)
    return out


def last_counts(session: Session) -> dict[str, list[dict]]:
    """Each source's entities as its latest sync left them: expected (None: the source does not say),
    received, stored, quarantined and the verdict, newest batch per entity."""
    latest = (sa.select(SyncBatch.source, SyncBatch.entity, sa.func.max(SyncBatch.started_at).label("at"))
              .where(SyncBatch.status != "running").group_by(SyncBatch.source, SyncBatch.entity).subquery())
    rows = session.execute(
        sa.select(SyncBatch).join(latest, sa.and_(SyncBatch.source == latest.c.source,
                                                  SyncBatch.entity == latest.c.entity,
                                                  SyncBatch.started_at == latest.c.at))
        .order_by(SyncBatch.source, SyncBatch.entity, SyncBatch.batch_id)).scalars()
    out: dict[str, list[dict]] = {}
    for b in rows:
        entities = out.setdefault(b.source, [])
        if entities and entities[-1]["entity"] == b.entity:
            continue  # several units' batches of one night: the first stands for the entity
        entities.append({"entity": b.entity, "expected": b.expected, "received": b.received, "stored": b.records,
                         "quarantined": b.quarantined, "verdict": b.status,
                         "verdict_vi": SyncVerdict.label(b.status)})
    return out


def tabular_freshness(session: Session, as_of: dt.datetime, limit_hours: int) -> list[dict]:
    """Each tabular source's latest load as a row of the report's source table (describe): named
    TAB:<id>, its rows received, stored and refused. Kept out of the stale-source alerts: a tabular source is
    read at each verification, not synced nightly."""
    out = []
    for load in session.scalars(sa.select(TabularLoad).order_by(TabularLoad.tabular_source)):
        row = describe(
            f"{SOURCE}:{load.tabular_source}",
            load.loaded_at,
            as_of,
            limit_hours,
            ok=bool(load.ok),
            error=load.error,
        )
        verdict = SyncVerdict.COMPLETE if load.ok else SyncVerdict.FAILED
        row["state"] = verdict.value
        row["entities"] = [
            {
                "entity": "rows",
                "expected": None,
                "received": load.accepted + load.rejected,
                "stored": load.accepted,
                "quarantined": load.rejected,
                "verdict": verdict.value,
                "verdict_vi": verdict.vi,
            }
        ]
        out.append(row)
    return out


def all_sources_freshness(session: Session, as_of: dt.datetime) -> list[dict]:
    """The report's source table: each system of record, then each tabular source, judged at `as_of`."""
    return source_freshness(session, as_of) + tabular_freshness(session, as_of, stale_after_hours())
