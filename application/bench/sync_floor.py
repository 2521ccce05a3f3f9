"""The sync's floor: the same pages fetched through the same clients and the same rows bulk-loaded into the
same warehouse, with nothing else — no unit mapping, checksums, watermarks, batches, count checks, upserts or
Great Expectations. Each entity goes into a table of its own (floor_<raw table>: the raw table's columns,
no keys or indexes), dropped afterwards; the full sync's wall over this one is the sync's ratio."""

from __future__ import annotations

import datetime as dt
import types

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dti.settings import TZ
from dti.sync import ENTITY_MODELS, SOURCE_ENTITIES
from dti.sync.loading import CHUNK
from dti.sync.writers import writer_for
from dti.warehouse import Warehouse


def floor_table(model) -> sa.Table:
    """floor_<table>: the raw table's columns and types, nothing else."""
    table = model.__table__
    return sa.Table(f"floor_{table.name}", sa.MetaData(), *(sa.Column(c.name, c.type) for c in table.columns))


def load_source(wh: Warehouse, source: str, fetcher) -> int:
    """Every entity of `source` fetched from its beginning and inserted as it arrives, a chunk at a time
    (as the sync commits); the floor tables are dropped at the end. Returns the rows loaded."""
    fetched_at = dt.datetime.now(TZ)
    rows_loaded = 0
    engine = wh.engine
    for entity in SOURCE_ENTITIES[source]:
        table = floor_table(ENTITY_MODELS[(source, entity)])
        with engine.begin() as conn:
            table.drop(conn, checkfirst=True)
            table.create(conn)
        try:
            with Session(engine) as session:
                write = writer_for(session, types.SimpleNamespace(__table__=table), insert_only=True)
                chunk: list[dict] = []
                for record in fetcher.fetch(entity, None):
                    row = dict(record)
                    row["source_unit_code"] = record["unit_code"]
                    row["checksum"] = ""
                    row["batch_id"] = "floor"
                    row["fetched_at"] = fetched_at
                    chunk.append(row)
                    if len(chunk) >= CHUNK:
                        write(chunk)
                        session.commit()
                        rows_loaded += len(chunk)
                        chunk = []
                write(chunk)
                session.commit()
                rows_loaded += len(chunk)
        finally:
            with engine.begin() as conn:
                table.drop(conn, checkfirst=True)
    return rows_loaded
