"""Incremental sync of raw records from the systems of record into the warehouse: the engine (engine.py:
watermarks, batches, unit codes mapped through dti.units, source status) and the per-warehouse bulk writers
(writers.py)."""

from dti.sync.engine import (
    ENTITY_MODELS,
    SOURCE_ENTITIES,
    SyncIncomplete,
    SyncResult,
    get_watermark,
    sync_entity,
    sync_source,
)
from dti.sync.loading import record_checksum

__all__ = [
    "ENTITY_MODELS",
    "SOURCE_ENTITIES",
    "SyncIncomplete",
    "SyncResult",
    "get_watermark",
    "record_checksum",
    "sync_entity",
    "sync_source",
]
