"""Loading one pulled stream into its raw table chunk by chunk: each record's unit code resolved through the
unit registry, its checksum, its batch; a record updated beyond the sync's clock set aside (quarantined)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import orjson
from sqlalchemy.orm import Session

from dti.settings import TZ, read_int
from dti.units import SplitUnitError, UnitRegistry
from dti.vocabulary import QuarantineReason
from dti.warehouse.models import QuarantinedRecord

# Records per chunk; each chunk is written and committed on its own. SQLite has one writer at a time and a
# transaction holds that lock from its first write to its commit, so the lock is taken only to write a whole
# chunk (≈0.5 s for 50,000 dossiers) and the syncs running beside it build their chunks meanwhile. Each commit
# costs tens of milliseconds (the dirtied pages go to the WAL): 5,000-record chunks cost a million-dossier sync
# ≈9 s in commits, 50,000-record ones ≈2 s.
CHUNK = 50_000

def record_checksum(record: dict) -> str:
    """SHA-256 (hex) of the record as JSON with sorted keys (orjson: times and dates in ISO 8601,
    other unknown types as str()). Deterministic for equal records, whichever source they came from."""
    try:
        payload = orjson.dumps(record, default=str, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # what orjson cannot write (an int beyond 64 bits...): the json module can
        payload = json.dumps(record, sort_keys=True, default=str, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(payload).hexdigest()


def sync_day(fetched_at: dt.datetime) -> dt.date:
    """The local day a sync maps unit codes on: links effective by then are followed, later ones not yet."""
    return fetched_at.astimezone(TZ).date()


class Owners:
    """Unit codes as records carry them, each resolved once to the code its records are kept under
    (UnitRegistry.owner on `day`): `known` holds those resolved, `split` those kept as they are because
    their unit was split."""

    def __init__(self, registry: UnitRegistry, day: dt.date):
        self.registry, self.day = registry, day
        self.known: dict[str, str] = {}
        self.split: set[str] = set()

    def resolve(self, code: str) -> str:
        try:
            owner = self.registry.owner(code, self.day)
        except SplitUnitError:
            self.split.add(code)
            owner = code
        self.known[code] = owner
        return owner


@dataclass
class Loaded:
    """What a load has done so far (kept up to date, so a pull cut short still says how far it got)."""

    watermark: dt.datetime | None
    records: int = 0
    tombstones: int = 0
    remapped: int = 0
    unmapped: int = 0
    received: int = 0
    quarantined: int = 0


def _quarantine(session: Session, source: str, entity: str, batch_id: str, record: dict, owner: str,
                limit: dt.datetime, at: dt.datetime) -> None:
    """Keep a record whose time lies beyond `limit` (the sync's clock plus the allowed skew), whole."""
    session.add(QuarantinedRecord(
        source=source, entity=entity, batch_id=batch_id, source_id=str(record["source_id"])[:128],
        unit_code=owner, reason=QuarantineReason.TIME_IN_FUTURE,
        detail=f"cập nhật lúc / updated at {record['updated_at'].isoformat()} > {limit.isoformat()}",
        record=json.loads(orjson.dumps(record, default=str)), quarantined_at=at))


def load(
    session: Session,
    write: Callable,
    stream: Iterable[dict],
    owners: Owners,
    batch_id: str,
    fetched_at: dt.datetime,
    done: Loaded,
    where: tuple[str, str],
) -> Loaded:
    """Write the stream chunk by chunk, each chunk committed on its own, counting into `done` as it goes;
    `done.watermark` ends as the newest updated_at loaded. A record updated beyond the sync's clock plus the
    allowed skew is quarantined: never loaded, and it never moves the watermark."""
    pending: dict[str, dict] = {}
    known, resolve, split = owners.known, owners.resolve, owners.split
    records = tombstones = remapped = unmapped = 0
    watermark = done.watermark
    # The sync's clock is the later of the wall clock and fetched_at (a replayed night passes an older one).
    limit = max(fetched_at, dt.datetime.now(TZ)) + dt.timedelta(seconds=read_int("DTI_SYNC_CLOCK_SKEW_S"))
    for record in stream:
        done.received += 1
        if record["updated_at"] > limit:
            code = record["unit_code"]
            _quarantine(session, *where, batch_id, record, known.get(code) or resolve(code), limit, fetched_at)
            done.quarantined += 1
            continue
        sid = record["source_id"]
        row = dict(record)
        code = record["unit_code"]
        unit_now = known.get(code)
        if unit_now is None:
            unit_now = resolve(code)
        row["source_unit_code"] = code
        row["unit_code"] = unit_now
        remapped += unit_now != code
        if split:  # rare: no set lookup per record otherwise
            unmapped += code in split
        row["checksum"] = record_checksum(record)
        row["batch_id"] = batch_id
        row["fetched_at"] = fetched_at
        pending[sid] = row  # a record repeated in the stream counts once; the last copy wins
        tombstones += bool(record.get("deleted"))
        ts = record["updated_at"]
        if watermark is None or ts > watermark:
            watermark = ts
        if len(pending) >= CHUNK:
            write(list(pending.values()))
            session.commit()
            records += len(pending)
            pending.clear()
            done.records, done.tombstones, done.remapped, done.unmapped = records, tombstones, remapped, unmapped
    write(list(pending.values()))
    records += len(pending)
    # The records received are the records upserted, a record repeated within a chunk counted once. No
    # set of every id is kept: it grew with the source (≈130 bytes a record, 650 MB at 5 M dossiers). A
    # record the stream repeats across chunks is a newer version (the clients drop pages served again),
    # written again and counted again.
    done.records, done.tombstones, done.remapped, done.unmapped = records, tombstones, remapped, unmapped
    done.watermark = watermark
    return done
