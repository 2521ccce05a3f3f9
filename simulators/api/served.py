"""One simulated system as its HTTP server holds it: the SQLite file it reads, its fault injector,
token and request counters, and the paged queries its routes run."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from simulators import faults as F


class ServedSystem:
    """Shared state of one system's server: its database, faults, token and counters."""

    def __init__(
        self,
        system: str,
        db_path: Path,
        injector: F.FaultInjector,
        token: str,
        retry_after: int,
        slow_seconds: float,
        stop: threading.Event,
    ):
        self.system = system
        self.db_path = db_path
        self.injector = injector
        self.token = token
        self.retry_after = retry_after
        self.slow_seconds = slow_seconds
        self.stop = stop
        self.lock = threading.Lock()
        self.last_body: dict[tuple, bytes] = {}  # per query stream: the page a REPEAT fault serves again
        self.stats: dict[str, int] = {"requests": 0, "gzip": 0}
        self._local = threading.local()

    def connect(self) -> sqlite3.Connection:
        """This handler thread's read-only connection (a client's keep-alive connection is one thread),
        kept between requests so SQLite's page cache stays warm; opened again if the file was replaced.
        Each query runs in its own read transaction, so changes written meanwhile are seen."""
        inode = os.stat(self.db_path).st_ino
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.inode != inode:
            if conn is not None:
                conn.close()
            conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
            conn.execute("PRAGMA cache_size=-32768")  # 32 MiB: the index and table pages a pass revisits
            conn.execute("PRAGMA mmap_size=268435456")
            self._local.conn, self._local.inode = conn, inode
        return conn

    def count(self, key: str) -> None:
        with self.lock:
            self.stats[key] = self.stats.get(key, 0) + 1

    def query(
        self,
        entity: str,
        since: str,
        units: list[str],
        keyset: tuple[str, str] | None,
        limit: int | None,
        offset: int = 0,
        columns: str = "*",
    ) -> list:
        """Rows as dicts, or with `columns` given as tuples of those columns (SQL expressions)."""
        sql = f"SELECT {columns} FROM {entity} WHERE updated_at >= ?"
        # The keyset is a lower bound too: without it SQLite walks the index from `since` on every page.
        params: list = [max(since, keyset[0]) if keyset is not None else since]
        if units:
            sql += f" AND unit_code IN ({','.join('?' * len(units))})"
            params += units
        if keyset is not None:
            sql += " AND (updated_at, source_id) > (?, ?)"  # a row value, so SQLite walks the index
            params += [keyset[0], keyset[1]]
        sql += " ORDER BY updated_at, source_id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        cursor = self.connect().cursor()
        if columns == "*":
            cursor.row_factory = sqlite3.Row
        try:
            rows = cursor.execute(sql, params).fetchall()
        finally:
            cursor.close()
        return [dict(r) for r in rows] if columns == "*" else rows

    def total(self, entity: str, since: str, units: list[str]) -> int:
        sql = f"SELECT COUNT(*) FROM {entity} WHERE updated_at >= ?"
        params: list = [since]
        if units:
            sql += f" AND unit_code IN ({','.join('?' * len(units))})"
            params += units
        return self.connect().execute(sql, params).fetchone()[0]
