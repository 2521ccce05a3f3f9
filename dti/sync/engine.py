"""Incremental sync of raw records from a system of record into the warehouse.

One path for the first full sync and every later night: read records updated at or after the
watermark, upsert them by source id (tombstones included), then move the watermark. Watermarks are
kept per (source, entity, unit); "*" is the whole source. A record carrying an old unit code is kept
under the unit responsible for it on the day of the sync (dti.units, the one resolver); one whose unit
was split between several successors keeps its own code and is counted as unmapped, for a person to map.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from dti import progress
from dti.settings import TZ, read_int
from dti.sync.errors import SourceCutShort
from dti.sync.loading import Loaded, Owners, load, sync_day
from dti.sync.writers import indexes_after_first_load, sqlite_cache, writer_for
from dti.units import UnitRegistry, load_registry
from dti.vocabulary import SyncVerdict
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
# Re-read a little before the watermark: records written in the same second as the last one seen
# would otherwise be missed. Upserts make the overlap harmless.
OVERLAP = dt.timedelta(seconds=1)


@dataclass
class SyncResult:
    source: str
    entity: str
    batch_id: str
    records: int  # received and upserted in this batch (a record repeated within a chunk counts once)
    tombstones: int
    remapped_units: int  # records whose unit code was a predecessor's
    watermark: dt.datetime | None
    since: dt.datetime | None
    unmapped_units: int = 0  # records kept under their own code because their unit was split
    unmapped_codes: tuple[str, ...] = ()  # those codes: a person says which successor each record belongs to
    # The count check: what the source said it holds for the window (None: it does not say), what arrived,
    # what was set aside (QuarantinedRecord), and the verdict (SyncVerdict) with its reason.
    expected: int | None = None
    received: int = 0
    quarantined: int = 0
    verdict: str = SyncVerdict.COMPLETE
    reason: str = ""

    @property
    def stored(self) -> int:
        return self.records


class SyncIncomplete(Exception):
    """A sync of one entity ended without everything the source holds: nothing moved the watermark."""

    def __init__(self, result: SyncResult, message: str):
        super().__init__(message)
        self.result = result
        self.results = [result]  # sync_source puts the entities synced before it in front


def get_watermark(session: Session, source: str, entity: str, unit: str = "*") -> dt.datetime | None:
    wm = session.get(SyncWatermark, (source, entity, unit))
    if wm is None:
        return None
    return wm.watermark


def _record_batch(
    session: Session,
    source: str,
    entity: str,
    batch_id: str,
    fetched_at: dt.datetime,
    status: str,
    loaded: Loaded | None = None,
    error: str | None = None,
    expected: int | None = None,
) -> None:
    """The batch's row: running (nothing finished yet), then ok, incomplete or failed with its counts."""
    done = {} if status == "running" else {"finished_at": dt.datetime.now(TZ)}
    if error is not None:
        done["error"] = error
    if loaded is not None:
        done.update(received=loaded.received, quarantined=loaded.quarantined, expected=expected)
    session.merge(
        SyncBatch(
            batch_id=batch_id,
            source=source,
            entity=entity,
            started_at=fetched_at,
            status=status,
            records=loaded.records if loaded is not None else 0,
            **done,
        )
    )


def sync_entity(
    source: str,
    entity: str,
    fetch: Callable[[dt.datetime | None], Iterable[dict]],
    *,
    url: str | None = None,
    batch_id: str,
    fetched_at: dt.datetime,
    full: bool = False,
    unit: str = "*",
    lookback: dt.timedelta | None = None,
    registry: UnitRegistry | None = None,
    expected: Callable[[], int | None] | None = None,
    stats: Callable[[], object | None] | None = None,
) -> SyncResult:
    """Pull `entity` from `fetch(since)` and upsert it; end with the count check. Raises on failure after
    recording it, and raises SyncIncomplete (the result attached) when the pull or the count fell short.

    `unit` keys the watermark ("*" = the whole source; a unit code when `fetch` reads one unit). `lookback`
    re-reads that much before the watermark each run, for sources known to write records late with older
    timestamps; upserts by source id make the re-read harmless.
    `registry` maps old unit codes (read from the warehouse when not given). `expected()` says, once the
    pull is over, how many records the source holds for the window (None: it does not say); `stats()`, the
    pull's live counts (pages, expected) for a terminal's progress bar."""
    model = ENTITY_MODELS[(source, entity)]
    engine = get_engine(url)
    with Session(engine) as s, s.begin():
        _record_batch(s, source, entity, batch_id, fetched_at, "running")
    since = None
    done = Loaded(None)
    # Each chunk is committed on its own, so the warehouse's write lock is held for one chunk at a time:
    # on SQLite the three sources sync side by side (the nightly job's steps run at once) and other writers
    # (check history, the review app) are never locked out for a whole sync. A sync that fails part-way
    # keeps the chunks it committed — upserts, repeated by the next sync — but not its watermark, so nothing
    # is skipped, and the source is marked failed, so its claims stay unverifiable until a sync succeeds.
    try:
        with (
            engine.connect() as conn,
            sqlite_cache(conn),
            indexes_after_first_load(conn, model.__table__),
            Session(bind=conn) as session,
        ):
            wm = None if full else get_watermark(session, source, entity, unit)
            since = (wm - max(OVERLAP, lookback or OVERLAP)) if wm else None
            registry = registry if registry is not None else load_registry(session)
            owners = Owners(registry, sync_day(fetched_at))
            done.watermark = wm
            where = (source, entity, batch_id, fetched_at)
            try:
                stream = progress.counted(fetch(since), batch_id,
                                          f"{source} {entity} {unit}".removesuffix(" *"), stats)
                load(session, writer_for(session, model), stream, owners, batch_id, fetched_at, done,
                     (source, entity))
            except SourceCutShort as exc:
                session.commit()  # what arrived is kept (upserts); the watermark is not moved
                _incomplete(session, where, done, since, owners, None, _reason(exc), str(exc))
            count = expected() if expected is not None else None
            shortfall = _shortfall(count, done)
            if shortfall:
                _incomplete(session, where, done, since, owners, count, "count_shortfall",
                            f"[{source}] {entity}: {shortfall}")
            if done.watermark is not None:
                session.merge(
                    SyncWatermark(
                        source=source,
                        entity=entity,
                        unit_code=unit,
                        watermark=done.watermark,
                        updated_at=fetched_at,
                    )
                )
            _record_batch(session, source, entity, batch_id, fetched_at, "ok", done, expected=count)
            session.commit()
    except SyncIncomplete:
        raise
    except Exception as exc:
        with Session(engine) as s, s.begin():
            _record_batch(s, source, entity, batch_id, fetched_at, "failed", done, str(exc)[:2000])
        raise
    return _result(source, entity, batch_id, done, since, owners, count, SyncVerdict.COMPLETE, "")


def _incomplete(session: Session, where: tuple, done: Loaded, since, owners: Owners, count: int | None,
                reason: str, message: str) -> None:
    """Record the batch as incomplete with its counts, and raise SyncIncomplete carrying the result."""
    source, entity, batch_id, fetched_at = where
    result = _result(source, entity, batch_id, done, since, owners, count, SyncVerdict.INCOMPLETE, reason)
    _record_batch(session, source, entity, batch_id, fetched_at, "incomplete", done, message[:2000], count)
    session.commit()
    raise SyncIncomplete(result, message)


def _shortfall(expected: int | None, done: Loaded) -> str:
    """Why the records received fall short of the source's own count for the window ("" when they do not)."""
    if expected is None:
        return ""
    slack = read_int("DTI_SYNC_COUNT_SLACK")
    if done.received + slack >= expected:
        return ""
    return (f"nhận {done.received:,} bản ghi, nguồn báo có {expected:,} (cho phép thiếu {slack}) / received "
            f"{done.received:,} records where the source says it holds {expected:,} (slack {slack})")


def _reason(exc: Exception) -> str:
    return getattr(exc, "reason", "") or type(exc).__name__


def _result(source: str, entity: str, batch_id: str, done: Loaded, since, owners: Owners, expected: int | None,
            verdict: str, reason: str) -> SyncResult:
    return SyncResult(source, entity, batch_id, done.records, done.tombstones, done.remapped, done.watermark, since,
                      done.unmapped, tuple(sorted(owners.split)), expected, done.received, done.quarantined,
                      verdict, reason)


def _set_status(url: str | None, source: str, state: str, at: dt.datetime, error: str | None) -> None:
    """The source's state after this sync: only a complete one makes its claims verifiable again."""
    engine = get_engine(url)
    ok = state == SyncVerdict.COMPLETE
    with Session(engine) as s, s.begin():
        status = s.get(SourceStatus, source) or SourceStatus(source=source)
        status.last_attempt_at = at
        status.ok = ok
        status.state = str(state)
        status.error = error
        if ok:
            status.last_success_at = at
        s.merge(status)


def _batch_id(*parts: str) -> str:
    text = "-".join(parts)
    if len(text) <= 64:
        return text
    return text[:47] + "-" + hashlib.sha256(text.encode()).hexdigest()[:16]  # the column holds 64


def sync_source(
    source: str,
    fetcher,
    *,
    url: str | None = None,
    batch_prefix: str,
    fetched_at: dt.datetime,
    full: bool = False,
    units: list[str] | None = None,
    lookback: dt.timedelta | None = None,
) -> list[SyncResult]:
    """Sync every entity of a source; the source's status records success, or why it is incomplete or
    failed. SyncIncomplete carries the results of every entity synced (`results`).

    With `units`, each unit is pulled separately (the fetcher must accept `unit=`), asking for the
    unit's predecessor codes too, and keeps its own watermark: a unit added later starts from its
    own beginning without re-reading the others.
    """
    results = []
    try:
        if units is not None and "unit" not in inspect.signature(fetcher.fetch).parameters:
            raise ValueError(f"{type(fetcher).__name__} không lọc được theo đơn vị / cannot filter by unit")
        with Session(get_engine(url)) as session:
            registry = load_registry(session)
        codes_of = registry.record_codes(sync_day(fetched_at)) if units is not None else {}
        for entity in SOURCE_ENTITIES[source]:
            if units is None:
                results.append(
                    sync_entity(
                        source,
                        entity,
                        lambda since, e=entity: fetcher.fetch(e, since),
                        url=url,
                        batch_id=f"{batch_prefix}-{source}-{entity}",
                        fetched_at=fetched_at,
                        full=full,
                        lookback=lookback,
                        registry=registry,
                        expected=lambda: _expected(fetcher),
                        stats=lambda: getattr(fetcher, "last_stats", None),
                    )
                )
                continue
            for unit in sorted(units):
                codes = codes_of.get(unit, [unit])
                results.append(
                    sync_entity(
                        source,
                        entity,
                        lambda since, e=entity, c=codes: fetcher.fetch(e, since, unit=c),
                        url=url,
                        batch_id=_batch_id(batch_prefix, source, entity, unit),
                        fetched_at=fetched_at,
                        full=full,
                        unit=unit,
                        lookback=lookback,
                        registry=registry,
                        expected=lambda: _expected(fetcher),
                        stats=lambda: getattr(fetcher, "last_stats", None),
                    )
                )
    except SyncIncomplete as exc:
        _set_status(url, source, SyncVerdict.INCOMPLETE, fetched_at, f"{exc.result.reason}: {exc}")
        exc.results = [*results, exc.result]
        raise
    except Exception as exc:
        _set_status(url, source, SyncVerdict.FAILED, fetched_at, f"{type(exc).__name__}: {exc}")
        raise
    _set_status(url, source, SyncVerdict.COMPLETE, fetched_at, None)
    return results


def _expected(fetcher) -> int | None:
    """What the fetcher's last pull said the source holds for the window (None: the source does not say)."""
    count = getattr(fetcher, "expected_count", None)
    return count() if callable(count) else None
