"""Incremental sync of raw records from a system of record into the warehouse.

One path for the first full sync and every later night: read records updated at or after the
watermark, upsert them by source id (tombstones included), then move the watermark — all in one
transaction, so a failure part-way leaves what was synced before exactly as it was. Watermarks are
kept per (source, entity, unit); "*" is the whole source.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dti.settings import TZ
from dti.warehouse.db import get_engine
from dti.warehouse.models import (
    RawDocument,
    RawDossier,
    RawIncident,
    RawInventory,
    RawProcedure,
    RawStaff,
    SourceStatus,
    SyncBatch,
    SyncWatermark,
    UnitLink,
)

ENTITY_MODELS = {
    ("DVC", "procedures"): RawProcedure,
    ("DVC", "dossiers"): RawDossier,
    ("DOC", "documents"): RawDocument,
    ("DOC", "staff"): RawStaff,
    ("SEC", "incidents"): RawIncident,
    ("SEC", "inventories"): RawInventory,
}
SOURCE_ENTITIES = {
    "DVC": ("procedures", "dossiers"),
    "DOC": ("documents", "staff"),
    "SEC": ("incidents", "inventories"),
}
CHUNK = 5000
# Re-read a little before the watermark: records written in the same second as the last one seen
# would otherwise be missed. Upserts make the overlap harmless.
OVERLAP = dt.timedelta(seconds=1)


@dataclass
class SyncResult:
    source: str
    entity: str
    batch_id: str
    records: int  # distinct records received in this batch
    upserted: int
    tombstones: int
    remapped_units: int  # records whose unit code was a predecessor's
    watermark: dt.datetime | None
    since: dt.datetime | None


def record_checksum(record: dict) -> str:
    payload = json.dumps(record, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def unit_resolver(session: Session) -> Callable[[str], str]:
    """Map a unit code found in a source record to the current unit (following merger chains)."""
    links: dict[str, str] = {}
    for link in session.scalars(sa.select(UnitLink).order_by(UnitLink.effective, UnitLink.id)):
        links[link.predecessor_code] = link.successor_code

    def resolve(code: str) -> str:
        seen = set()
        while code in links and code not in seen:
            seen.add(code)
            code = links[code]
        return code

    return resolve


def unit_aliases(session: Session) -> dict[str, list[str]]:
    """Current unit -> every code its records may carry (itself and its predecessors, transitively)."""
    resolve = unit_resolver(session)
    aliases: dict[str, set[str]] = {}
    for link in session.scalars(sa.select(UnitLink)):
        for code in (link.predecessor_code, link.successor_code):
            aliases.setdefault(resolve(code), {resolve(code)}).add(code)
    return {unit: sorted(codes) for unit, codes in aliases.items()}


def get_watermark(session: Session, source: str, entity: str, unit: str = "*") -> dt.datetime | None:
    wm = session.get(SyncWatermark, (source, entity, unit))
    if wm is None:
        return None
    return wm.watermark


def _upsert(session: Session, model, rows: list[dict]) -> None:
    if not rows:
        return
    table = model.__table__
    dialect = session.get_bind().dialect.name
    keys = [c.name for c in table.columns if c.name != "source_id"]
    if dialect in ("sqlite", "postgresql"):
        insert = (sa.dialects.sqlite.insert if dialect == "sqlite" else sa.dialects.postgresql.insert)(table)
        stmt = insert.on_conflict_do_update(index_elements=["source_id"],
                                            set_={k: insert.excluded[k] for k in keys})
    elif dialect in ("mysql", "mariadb"):
        insert = sa.dialects.mysql.insert(table)
        stmt = insert.on_duplicate_key_update({k: insert.inserted[k] for k in keys})
    else:  # a portable fallback: delete then insert, in the same transaction
        ids = [r["source_id"] for r in rows]
        session.execute(sa.delete(table).where(table.c.source_id.in_(ids)))
        stmt = sa.insert(table)
    session.execute(stmt, rows)


def _set_status(url: str | None, source: str, ok: bool, at: dt.datetime, error: str | None) -> None:
    engine = get_engine(url)
    with Session(engine) as s, s.begin():
        status = s.get(SourceStatus, source) or SourceStatus(source=source)
        status.last_attempt_at = at
        status.ok = ok
        status.error = error
        if ok:
            status.last_success_at = at
        s.merge(status)


def sync_entity(source: str, entity: str, fetch: Callable[[dt.datetime | None], Iterable[dict]], *,
                url: str | None = None, batch_id: str, fetched_at: dt.datetime, full: bool = False,
                unit: str = "*", lookback: dt.timedelta | None = None) -> SyncResult:
    """Pull `entity` from `fetch(since)` and upsert it. Raises on failure after recording it.

    `unit` keys the watermark ("*" = the whole source; a unit code when `fetch` reads one unit).
    `lookback` re-reads that much before the watermark each run, for sources known to write
    records late with older timestamps; upserts by source id make the re-read harmless.
    """
    model = ENTITY_MODELS[(source, entity)]
    engine = get_engine(url)
    with Session(engine) as s, s.begin():
        s.merge(SyncBatch(batch_id=batch_id, source=source, entity=entity, started_at=fetched_at,
                          status="running", records=0))
    since = None
    try:
        with Session(engine) as session, session.begin():
            wm = None if full else get_watermark(session, source, entity, unit)
            since = (wm - max(OVERLAP, lookback or OVERLAP)) if wm else None
            resolve = unit_resolver(session)
            seen: set[str] = set()
            pending: dict[str, dict] = {}
            upserted = tombstones = remapped = 0
            watermark = wm
            for record in fetch(since):
                sid = record["source_id"]
                row = dict(record)
                row["source_unit_code"] = record["unit_code"]
                row["unit_code"] = resolve(record["unit_code"])
                remapped += row["unit_code"] != record["unit_code"]
                row["checksum"] = record_checksum(record)
                row["batch_id"] = batch_id
                row["fetched_at"] = fetched_at
                seen.add(sid)
                pending[sid] = row  # a record repeated in the stream counts once; the last copy wins
                tombstones += bool(record.get("deleted"))
                ts = record["updated_at"]
                if watermark is None or ts > watermark:
                    watermark = ts
                if len(pending) >= CHUNK:
                    _upsert(session, model, list(pending.values()))
                    upserted += len(pending)
                    pending.clear()
            _upsert(session, model, list(pending.values()))
            upserted += len(pending)
            if watermark is not None:
                session.merge(SyncWatermark(source=source, entity=entity, unit_code=unit, watermark=watermark,
                                            updated_at=fetched_at))
            session.merge(SyncBatch(batch_id=batch_id, source=source, entity=entity, started_at=fetched_at,
                                    finished_at=dt.datetime.now(TZ), status="ok", records=len(seen)))
    except Exception as exc:
        with Session(engine) as s, s.begin():
            s.merge(SyncBatch(batch_id=batch_id, source=source, entity=entity, started_at=fetched_at,
                              finished_at=dt.datetime.now(TZ), status="failed", records=0, error=str(exc)[:2000]))
        raise
    return SyncResult(source, entity, batch_id, len(seen), upserted, tombstones, remapped, watermark, since)


def _batch_id(*parts: str) -> str:
    text = "-".join(parts)
    if len(text) <= 64:
        return text
    return text[:47] + "-" + hashlib.sha256(text.encode()).hexdigest()[:16]  # the column holds 64


def sync_source(source: str, fetcher, *, url: str | None = None, batch_prefix: str,
                fetched_at: dt.datetime, full: bool = False, units: list[str] | None = None,
                lookback: dt.timedelta | None = None) -> list[SyncResult]:
    """Sync every entity of a source; the source's status records success or the failure reason.

    With `units`, each unit is pulled separately (the fetcher must accept `unit=`), asking for the
    unit's predecessor codes too, and keeps its own watermark: a unit added later starts from its
    own beginning without re-reading the others.
    """
    results = []
    try:
        if units is not None and "unit" not in inspect.signature(fetcher.fetch).parameters:
            raise ValueError(f"{type(fetcher).__name__} không lọc được theo đơn vị / cannot filter by unit")
        aliases: dict[str, list[str]] = {}
        if units is not None:
            with Session(get_engine(url)) as session:
                aliases = unit_aliases(session)
        for entity in SOURCE_ENTITIES[source]:
            if units is None:
                results.append(sync_entity(source, entity, lambda since, e=entity: fetcher.fetch(e, since), url=url,
                                           batch_id=f"{batch_prefix}-{source}-{entity}", fetched_at=fetched_at,
                                           full=full, lookback=lookback))
                continue
            for unit in sorted(units):
                codes = aliases.get(unit, [unit])
                results.append(sync_entity(
                    source, entity, lambda since, e=entity, c=codes: fetcher.fetch(e, since, unit=c), url=url,
                    batch_id=_batch_id(batch_prefix, source, entity, unit), fetched_at=fetched_at, full=full,
                    unit=unit, lookback=lookback))
    except Exception as exc:
        _set_status(url, source, False, fetched_at, f"{type(exc).__name__}: {exc}")
        raise
    _set_status(url, source, True, fetched_at, None)
    return results
