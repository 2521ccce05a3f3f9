"""Reading the bundled simulators' SQLite files directly (offline, no HTTP): for tests and the
in-process mode. The HTTP simulators serve the same files."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from connectors.records import canonical
from dti.settings import TZ

TABLES = {"procedures": "procedures", "dossiers": "dossiers", "incidents": "incidents", "inventories": "inventories"}


def iter_sim_rows(db_path: str | Path, entity: str, since: dt.datetime | None = None,
                  chunk: int = 5000) -> Iterator[dict]:
    """Raw rows of a simulator table ordered by (updated_at, source_id), keyset-paged."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        table = TABLES[entity]
        # The files hold local ISO text; a watermark read back from the warehouse is in UTC.
        last = (since.astimezone(TZ).isoformat(timespec="seconds") if since else "", "")
        first = True
        while True:
            if first:
                rows = conn.execute(f"SELECT * FROM {table} WHERE updated_at >= ? ORDER BY updated_at, source_id "
                                    f"LIMIT ?", (last[0], chunk)).fetchall()
                first = False
            else:
                # `updated_at >= ?` gives SQLite an index range; the OR alone scans from the start each page.
                rows = conn.execute(f"SELECT * FROM {table} WHERE updated_at >= ? AND ((updated_at > ?) OR "
                                    f"(updated_at = ? AND source_id > ?)) ORDER BY updated_at, source_id LIMIT ?",
                                    (last[0], last[0], last[0], last[1], chunk)).fetchall()
            if not rows:
                return
            for row in rows:
                yield dict(row)
            last = (rows[-1]["updated_at"], rows[-1]["source_id"])
    finally:
        conn.close()


def iter_sim_records(system: str, db_path: str | Path, entity: str, since: dt.datetime | None = None) -> Iterator[dict]:
    for row in iter_sim_rows(db_path, entity, since):
        yield canonical(system, entity, row)
