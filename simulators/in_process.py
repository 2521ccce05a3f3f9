"""The bundled simulators read in-process, straight from their SQLite files (no HTTP): the offline
implementations of the DVC and SEC connectors, for tests and offline runs. The HTTP simulators
(simulators.server) serve the same files."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from connectors.base import DossierSource, SecuritySource
from connectors.doc.client import DocumentDb
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


class DossierSimulator(DossierSource):
    """DVC read from the simulator's dvc.db."""

    db_path: str  # dvc.db written by simulators.generator

    def fetch(self, entity: str, since: dt.datetime | None = None) -> Iterator[dict]:
        self.check_entity(entity)
        yield from iter_sim_records(self.system, self.db_path, entity, since)


class SecuritySimulator(SecuritySource):
    """SEC read from the simulator's sec.db."""

    db_path: str  # sec.db written by simulators.generator

    def fetch(self, entity: str, since: dt.datetime | None = None) -> Iterator[dict]:
        self.check_entity(entity)
        yield from iter_sim_records(self.system, self.db_path, entity, since)


def in_process_sources(root: str | Path) -> dict:
    """{"dvc", "doc", "sec"}: the simulators of a generated province read in-process (DOC through the
    real SQL client, on the simulator's doc.db)."""
    return {
        "dvc": DossierSimulator(db_path=f"{root}/dvc.db"),
        "doc": DocumentDb(url=f"sqlite:///{root}/doc.db"),
        "sec": SecuritySimulator(db_path=f"{root}/sec.db"),
    }
