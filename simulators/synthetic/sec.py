"""The synthetic SEC (security monitoring) database: incidents and the half-yearly inventories of
workstations and monitored systems, one unit at a time."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3

from dti.settings import TZ
from simulators.synthetic.province import Scale, UnitPerformance
from simulators.synthetic.seeded import local_iso, time_on

SEC_SCHEMA = """
CREATE TABLE incidents (source_id TEXT PRIMARY KEY, unit_code TEXT, detected_at TEXT, severity TEXT,
  category TEXT, resolved_at TEXT, sla_hours INTEGER, updated_at TEXT, deleted INTEGER);
CREATE TABLE inventories (source_id TEXT PRIMARY KEY, unit_code TEXT, as_of TEXT, workstations INTEGER,
  managed_endpoints INTEGER, systems INTEGER, monitored_systems INTEGER, updated_at TEXT, deleted INTEGER);
CREATE INDEX ix_incidents_updated ON incidents (updated_at, source_id);
"""
SLA_HOURS = {"botnet_ip": 72, "malware": 24, "intrusion": 8, "defacement": 4, "phishing": 24}


def write_sec(
    conn: sqlite3.Connection,
    unit: dict,
    scale: Scale,
    year: int,
    snapshot_at: dt.datetime,
    perf: UnitPerformance,
    rng: random.Random,
) -> int:
    """Insert one unit's incidents (those unresolved at `snapshot_at` still open) and inventories; returns
    the incidents."""
    rows = []
    n = max(1, int(scale.incidents_per_unit * rng.uniform(0.3, 1.7)))
    for i in range(n):
        detected = time_on(dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 364)), rng, 0, 24)
        category = rng.choice(["malware", "malware", "botnet_ip", "intrusion", "defacement", "phishing"])
        sla = SLA_HOURS[category]
        late = rng.random() < perf.p_late_incident
        hours = rng.uniform(sla + 1, sla * 4) if late else rng.uniform(0.5, sla - 0.1)
        resolved = detected + dt.timedelta(hours=hours)
        if resolved > snapshot_at:
            resolved = None
        rows.append(
            (
                f"INC-{unit['code']}-{i:05d}",
                unit["code"],
                local_iso(detected),
                rng.choice(["low", "medium", "high", "critical"]),
                category,
                local_iso(resolved) if resolved else None,
                sla,
                local_iso(resolved or detected),
                0,
            )
        )
    conn.executemany("INSERT INTO incidents VALUES (?,?,?,?,?,?,?,?,?)", rows)
    ws = rng.randint(20, 200)
    systems = rng.randint(2, 12)
    inv = []
    for q, day in enumerate([dt.date(year, 6, 30), dt.date(year, 12, 31)]):
        managed = min(ws, round(ws * min(1.0, perf.managed_share + 0.05 * q)))
        monitored = min(systems, round(systems * perf.monitored_share))
        inv.append(
            (
                f"INV-{unit['code']}-{day:%Y%m%d}",
                unit["code"],
                day.isoformat(),
                ws,
                managed,
                systems,
                monitored,
                local_iso(dt.datetime.combine(day, dt.time(23, 0), TZ)),
                0,
            )
        )
    conn.executemany("INSERT INTO inventories VALUES (?,?,?,?,?,?,?,?,?)", inv)
    return len(rows)
