"""The simulated systems read in-process, straight from a generated province's SQLite files (no HTTP):
the offline implementations of the DVC and SEC connectors, for tests and offline runs. The HTTP
server (simulators.server) serves the same files."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from connectors.base import DossierSource, SecuritySource
from connectors.doc.client import DocumentDb
from connectors.records import canonical
from dti.settings import TZ

TABLES = {
    "procedures": "procedures",
    "dossiers": "dossiers",
    "incidents": "incidents",
    "inventories": "inventories",
}


def iter_table_rows(
    db_path: str | Path, entity: str, since: dt.datetime | None = None, chunk: int = 5000
) -> Iterator[dict]:
    """Raw rows of a generated table ordered by (updated_at, source_id), keyset-paged."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        table = TABLES[entity]
        # The files hold local ISO text; a watermark read back from the warehouse is in UTC.
        last = (since.astimezone(TZ).isoformat(timespec="seconds") if since else "", "")
        first = True
        while True:
            if first:
                rows = conn.execute(
                    f"SELECT * FROM {table} WHERE updated_at >= ? ORDER BY updated_at, source_id LIMIT ?",
                    (last[0], chunk),
                ).fetchall()
                first = False
            else:
                # `updated_at >= ?` gives SQLite an index range; the OR alone scans from the start each page.
                rows = conn.execute(
                    f"SELECT * FROM {table} WHERE updated_at >= ? AND ((updated_at > ?) OR "
                    f"(updated_at = ? AND source_id > ?)) ORDER BY updated_at, source_id LIMIT ?",
                    (last[0], last[0], last[0], last[1], chunk),
                ).fetchall()
            if not rows:
                return
            for row in rows:
                yield dict(row)
            last = (rows[-1]["updated_at"], rows[-1]["source_id"])
    finally:
        conn.close()


def iter_records(
    system: str, db_path: str | Path, entity: str, since: dt.datetime | None = None
) -> Iterator[dict]:
    for row in iter_table_rows(db_path, entity, since):
        yield canonical(system, entity, row)


class DossierSimulator(DossierSource):
    """DVC read in-process from a generated province's dvc.db."""

    db_path: str  # dvc.db written by simulators.generator

    def fetch(self, entity: str, since: dt.datetime | None = None) -> Iterator[dict]:
        self.check_entity(entity)
        yield from iter_records(self.system, self.db_path, entity, since)


class SecuritySimulator(SecuritySource):
    """SEC read in-process from a generated province's sec.db."""

    db_path: str  # sec.db written by simulators.generator

    def fetch(self, entity: str, since: dt.datetime | None = None) -> Iterator[dict]:
        self.check_entity(entity)
        yield from iter_records(self.system, self.db_path, entity, since)


def in_process_sources(root: str | Path) -> dict:
    """{"dvc", "doc", "sec"}: the connectors reading a generated province in-process (DOC through the
    real SQL client, on its doc.db)."""
    return {
        "dvc": DossierSimulator(db_path=f"{root}/dvc.db"),
        "doc": DocumentDb(url=f"sqlite:///{root}/doc.db"),
        "sec": SecuritySimulator(db_path=f"{root}/sec.db"),
    }
