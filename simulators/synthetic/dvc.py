"""The synthetic DVC (public-service system) database: procedures and dossiers, one unit at a time."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from dataclasses import dataclass

from dti.settings import TZ
from simulators.synthetic.province import Scale, UnitPerformance
from simulators.synthetic.seeded import local_iso, time_on

DVC_SCHEMA = """
CREATE TABLE procedures (source_id TEXT PRIMARY KEY, unit_code TEXT, procedure_code TEXT, name_vi TEXT,
  service_level TEXT, fee_applies INTEGER, updated_at TEXT, deleted INTEGER);
CREATE TABLE dossiers (source_id TEXT PRIMARY KEY, unit_code TEXT, dossier_code TEXT, procedure_code TEXT,
  channel INTEGER, service_level TEXT, received_at TEXT, due_at TEXT, finished_at TEXT, status TEXT,
  has_digitised INTEGER, e_result INTEGER, paid_online INTEGER, fee_applies INTEGER, vneid INTEGER,
  synced_portal INTEGER, components_total INTEGER, components_reused INTEGER, satisfaction INTEGER,
  updated_at TEXT, deleted INTEGER);
CREATE INDEX ix_dossiers_updated ON dossiers (updated_at, source_id);
CREATE INDEX ix_procedures_updated ON procedures (updated_at, source_id);
"""


def write_dvc(
    conn: sqlite3.Connection,
    unit: dict,
    idx: int,
    scale: Scale,
    year: int,
    snapshot_at: dt.datetime,
    perf: UnitPerformance,
    rng: random.Random,
    old_code: str | None,
    merger_day: dt.date | None,
) -> int:
    """Insert one unit's procedures and dossiers (as the system stands at `snapshot_at`); returns the dossiers."""
    unit_dvc = _UnitDvc(unit, year, snapshot_at, perf, rng, old_code, merger_day)
    procs = unit_dvc.procedures(idx, scale.procedures_per_unit)
    conn.executemany(
        "INSERT INTO procedures VALUES (:source_id,:unit_code,:procedure_code,:name_vi,"
        ":service_level,:fee_applies,:updated_at,:deleted)",
        procs,
    )
    start = dt.date(year, 1, 1) - dt.timedelta(days=30)  # some carried over from the previous year
    span = (dt.date(year, 12, 31) - start).days
    # Rarely used online procedures, so F2 varies between units.
    used = [pr for pr in procs if pr["service_level"] != "info" and rng.random() < 0.9]
    rows = []
    for n in range(scale.dossiers_per_unit):
        pr = rng.choice(procs)
        received_day = start + dt.timedelta(days=rng.randint(0, span))
        online_ok = pr["service_level"] != "info" and pr in used
        rows.append(unit_dvc.dossier(n, pr, online_ok, received_day))
    conn.executemany("INSERT INTO dossiers VALUES (" + ",".join("?" * 21) + ")", rows)
    return len(rows)


@dataclass
class _UnitDvc:
    """One unit's procedures and dossiers, drawn from its stream `rng` in a fixed order (moving a draw
    changes every later record of the seed)."""

    unit: dict
    year: int
    snapshot_at: dt.datetime
    perf: UnitPerformance
    rng: random.Random
    old_code: str | None
    merger_day: dt.date | None

    def procedures(self, idx: int, per_unit: int) -> list[dict]:
        rng, code = self.rng, self.unit["code"]
        levels = ["full"] * 45 + ["partial"] * 35 + ["info"] * 20
        procs = []
        for p in range(max(5, int(per_unit * rng.uniform(0.6, 1.4)))):
            level = rng.choice(levels)
            procs.append(
                {
                    "source_id": f"P-{code}-{p:04d}",
                    "unit_code": code,
                    "procedure_code": f"{idx + 1}.{p + 1:06d}",
                    "name_vi": f"Thủ tục {p + 1} của {self.unit['name_vi']}",
                    "service_level": level,
                    "fee_applies": int(rng.random() < 0.4),
                    "updated_at": local_iso(dt.datetime(self.year, 1, 1, 8, tzinfo=TZ)),
                    "deleted": 0,
                }
            )
        return procs

    def dossier(self, n: int, pr: dict, online_ok: bool, received_day: dt.date) -> tuple:
        """Dossier number `n`, for procedure `pr` (`online_ok`: offered online and used so at this unit)."""
        rng, perf, code = self.rng, self.perf, self.unit["code"]
        received = time_on(received_day, rng)
        r = rng.random()
        channel = 2 if (online_ok and r < perf.p_online) else (3 if r > 0.98 else 1)
        due = dt.datetime.combine(received_day + dt.timedelta(days=rng.randint(3, 20)), dt.time(17, 0), TZ)
        status, finished, due = self._outcome(received_day, due)
        fee = pr["fee_applies"]
        total = rng.randint(1, 6)
        unit_code = code
        if self.old_code and self.merger_day and received_day < self.merger_day and rng.random() < 0.6:
            unit_code = self.old_code  # old records still carry the pre-merger code
        updated = finished or received
        if rng.random() < 0.05:  # a late update after the fact (e.g. portal sync flag corrected)
            late = updated + dt.timedelta(days=rng.randint(1, 60))
            updated = min(self.snapshot_at - dt.timedelta(hours=1), late)
        deleted = int(rng.random() < 0.004)
        return (
            f"D-{code}-{n:07d}",
            unit_code,
            f"{code}-{received_day:%y%m%d}-{n:04d}",
            pr["procedure_code"],
            channel,
            pr["service_level"],
            local_iso(received),
            local_iso(due),
            local_iso(finished) if finished else None,
            status,
            int(rng.random() < perf.p_digitised),
            int(finished is not None and rng.random() < perf.p_e_result),
            int(fee and channel == 2 and rng.random() < perf.p_paid_online / max(perf.p_online, 0.3)),
            fee,
            int(channel == 2 and rng.random() < perf.p_vneid),
            int(rng.random() < perf.p_sync),
            total,
            sum(1 for _ in range(total) if rng.random() < perf.p_reuse),
            (1 if rng.random() < perf.p_satisfied else 0) if finished and rng.random() < 0.4 else None,
            local_iso(updated),
            deleted,
        )

    def _outcome(
        self, received_day: dt.date, due: dt.datetime
    ) -> tuple[str, dt.datetime | None, dt.datetime]:
        """(status, finished at, due at) as of the snapshot: nothing is finished after it, and an open
        dossier past its due date may have had its deadline extended."""
        rng = self.rng
        s = rng.random()
        status, finished = "done", None
        if s < 0.03:
            status = "rejected"
        elif s < 0.05:
            status = "paused"
        elif s < 0.08 + (0.1 if received_day > dt.date(self.year, 12, 1) else 0):
            status = "processing"
        if status in ("done", "rejected"):
            if rng.random() < self.perf.p_on_time:
                finished_day = received_day + dt.timedelta(
                    days=rng.randint(0, (due.date() - received_day).days)
                )
            else:
                finished_day = due.date() + dt.timedelta(days=rng.randint(1, 10))
            finished = time_on(finished_day, rng, 7, 18)
            if finished > self.snapshot_at:
                status, finished = "processing", None
        if status in ("processing", "paused") and due.date() < self.snapshot_at.date() and rng.random() < 0.5:
            due = due + dt.timedelta(days=30)  # extended deadline: still in time
        return status, finished, due
