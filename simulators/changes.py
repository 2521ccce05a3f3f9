"""A night's worth of changes in the simulated systems of record: new records, late updates to old
ones and deletions (tombstones), deterministic from a seed — for incremental-sync tests and demos."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

from dti.settings import TZ
from simulators.synthetic.seeded import rng_for

# (file, table, id column, updated column, deleted column, the change a late update makes)
TABLES = [
    ("dvc.db", "dossiers", "source_id", "updated_at", "deleted", "synced_portal = 1 - synced_portal"),
    ("doc.db", "vb_van_ban", "id", "ngay_cap_nhat", "da_xoa", "ky_so = 1 - ky_so"),
    (
        "sec.db",
        "incidents",
        "source_id",
        "updated_at",
        "deleted",
        "severity = CASE severity WHEN 'low' THEN 'medium' ELSE 'low' END",
    ),
]
KEY_COLUMNS = {"dossiers": ("dossier_code",)}


def _latest(root: Path) -> dt.datetime:
    latest = None
    for name, table, _id, upd, _del, _change in TABLES:
        conn = sqlite3.connect(f"file:{root / name}?mode=ro", uri=True)
        try:
            value = conn.execute(f"SELECT MAX({upd}) FROM {table}").fetchone()[0]
        finally:
            conn.close()
        if value:
            ts = dt.datetime.fromisoformat(value)
            latest = ts if latest is None or ts > latest else latest
    if latest is None:
        raise ValueError(f"{root}: không có bản ghi / no records to change")
    return latest


def mutate(root: str | Path, fraction: float = 0.02, seed: int = 0) -> dict:
    """Apply one night of changes to dvc.db, doc.db and sec.db under `root`.

    The night is the day after the newest record; every change carries an updated_at in that night,
    so a watermark sync picks all of them up. Returns {table: {"new", "changed", "deleted": [ids]}}
    and appends the same to root/changes.json.
    """
    root = Path(root)
    night = (_latest(root).astimezone(TZ) + dt.timedelta(days=1)).replace(hour=2, minute=0, second=0)
    summary: dict = {"at": night.isoformat(timespec="seconds"), "seed": seed, "fraction": fraction}
    for name, table, id_col, upd, del_col, change in TABLES:
        rng = rng_for(seed, night.isoformat(), table)
        conn = sqlite3.connect(root / name)
        try:
            live = [
                r[0]
                for r in conn.execute(f"SELECT {id_col} FROM {table} WHERE {del_col} = 0 ORDER BY {id_col}")
            ]
            n = max(1, round(len(live) * fraction))
            picked = rng.sample(live, min(len(live), 3 * n))
            changed, deleted, templates = picked[:n], picked[n : 2 * n], picked[2 * n :]
            tick = 0

            def stamp() -> str:
                nonlocal tick
                tick += 1
                return (night + dt.timedelta(seconds=tick)).isoformat(timespec="seconds")

            for rid in changed:  # a late update to an old record
                conn.execute(f"UPDATE {table} SET {change}, {upd} = ? WHERE {id_col} = ?", (stamp(), rid))
            for rid in deleted:  # the source keeps a tombstone
                conn.execute(
                    f"UPDATE {table} SET {del_col} = 1, {upd} = ? WHERE {id_col} = ?", (stamp(), rid)
                )
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            new = []
            for k, rid in enumerate(templates):
                row = dict(
                    zip(
                        columns,
                        conn.execute(f"SELECT * FROM {table} WHERE {id_col} = ?", (rid,)).fetchone(),
                        strict=True,
                    )
                )
                row[id_col] = f"{rid}-N{night:%y%m%d}{k:03d}"
                for col in KEY_COLUMNS.get(table, ()):
                    row[col] = f"{row[col]}-N{k}"
                row[upd] = stamp()
                conn.execute(
                    f"INSERT INTO {table} ({','.join(columns)}) VALUES ({','.join('?' * len(columns))})",
                    [row[c] for c in columns],
                )
                new.append(row[id_col])
            conn.commit()
        finally:
            conn.close()
        summary[table] = {"new": new, "changed": changed, "deleted": deleted}
    log_path = root / "changes.json"
    history = json.loads(log_path.read_text(encoding="utf-8")) if log_path.exists() else []
    history.append(summary)
    log_path.write_text(json.dumps(history, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    return summary
