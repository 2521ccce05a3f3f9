"""A deterministic synthetic province: units, the three systems of record, self-reports and truth.

Everything comes from one seed and a scale, so the same call gives the same bytes. Each system of
record is written as its own SQLite database in the shape that system keeps (the document system
uses its vendor's Vietnamese table and column names), so connectors read them the way they would
read the real thing. Self-reports carry planted misreports; the ground truth is kept apart in
`truth.json` so detection accuracy can be measured. The parts live in `simulators.synthetic`.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dti.framework import Framework, Period, framework_for_type, load_all
from dti.settings import TZ
from simulators.synthetic.doc import DOC_SCHEMA, write_doc
from simulators.synthetic.dvc import DVC_SCHEMA, write_dvc
from simulators.synthetic.province import SCALES, Scale, draw_performance, make_units, predecessor_of
from simulators.synthetic.sec import SEC_SCHEMA, write_sec
from simulators.synthetic.seeded import rng_for
from simulators.synthetic.self_reports import Citation, self_assessments, unit_citations
from simulators.synthetic.truth import true_values

# Callers import these from here.
__all__ = ["SCALES", "GeneratedProvince", "Scale", "generate", "true_values"]


@dataclass
class GeneratedProvince:
    root: Path  # the folder of generated files: dvc.db, doc.db, sec.db and the JSON beside them
    seed: int
    period: str
    snapshot_at: dt.datetime  # the moment the systems of record stand at (meta.json's "sim_now")
    units: list[dict]
    links: list[dict]
    self_reports: list[dict]
    truth: list[dict]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def dvc_db(self) -> Path:
        return self.root / "dvc.db"

    @property
    def doc_db(self) -> Path:
        return self.root / "doc.db"

    @property
    def sec_db(self) -> Path:
        return self.root / "sec.db"


def framework_for(unit_type: str, frameworks: dict[str, Framework], year: int) -> Framework:
    fw = framework_for_type(frameworks, unit_type, year)
    if fw is None:
        raise ValueError(f"Không có bộ chỉ số cho loại đơn vị '{unit_type}' năm {year}")
    return fw


def generate(
    root: str | Path,
    *,
    seed: int = 20251231,
    scale: str | Scale = "demo",
    period: str = "2025-R3",
    frameworks: dict[str, Framework] | None = None,
    missing_rate: float = 0.02,
) -> GeneratedProvince:
    """Write dvc.db, doc.db, sec.db, units.json, self_reports.json, truth.json and meta.json under `root`."""
    sc = SCALES[scale] if isinstance(scale, str) else scale
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    per = Period.parse(period)
    frameworks = frameworks or load_all()
    units, links = make_units(sc, seed)
    current = [u for u in units if u["valid_to"] is None]
    fws = {u["code"]: framework_for(u["unit_type"], frameworks, per.year) for u in current}
    for u in units:
        u["framework_id"] = fws[u["code"]].id if u["code"] in fws else None
    window = per.window(next(iter(fws.values())))
    snapshot_at = dt.datetime.combine(window[1] + dt.timedelta(days=5), dt.time(6, 0), TZ)

    citations = {u["code"]: unit_citations(u, fws[u["code"]], per.year, seed) for u in current}
    counts = _write_systems(root, sc, seed, per.year, snapshot_at, current, fws, links, citations)
    old_to_new = {link["predecessor_code"]: link["successor_code"] for link in links}
    self_reports, truth = self_assessments(
        current,
        fws,
        true_values(root, old_to_new, window),
        citations,
        seed=seed,
        period=period,
        missing_rate=missing_rate,
    )

    _write_json(root / "units.json", {"units": units, "links": links})
    _write_json(root / "self_reports.json", self_reports)
    _write_json(root / "truth.json", truth)
    _write_json(
        root / "meta.json",
        {
            "seed": seed,
            "scale": asdict(sc),
            "period": period,
            "sim_now": snapshot_at.isoformat(),
            "counts": counts,
        },
    )
    return GeneratedProvince(root, seed, period, snapshot_at, units, links, self_reports, truth, counts)


def _write_systems(
    root: Path,
    sc: Scale,
    seed: int,
    year: int,
    snapshot_at: dt.datetime,
    current: list[dict],
    fws: dict[str, Framework],
    links: list[dict],
    citations: dict[str, dict[str, Citation]],
) -> dict[str, int]:
    """Write the three systems' databases unit by unit; returns how many records of each kind."""
    dvc, doc, sec = (
        _fresh_database(root / n, s)
        for n, s in (("dvc.db", DVC_SCHEMA), ("doc.db", DOC_SCHEMA), ("sec.db", SEC_SCHEMA))
    )
    counts = {"dossiers": 0, "documents": 0, "incidents": 0}
    merger_day = {link["successor_code"]: dt.date.fromisoformat(link["effective"]) for link in links}
    for idx, unit in enumerate(current):
        code = unit["code"]
        fw = fws[code]
        perf = draw_performance(rng_for(seed, "unit", code))
        old = predecessor_of(code, links)
        if any(lf.source == "DVC" and fw.applies(lf, unit["unit_type"]) for lf in fw.leaves()):
            counts["dossiers"] += write_dvc(
                dvc,
                unit,
                idx,
                sc,
                year,
                snapshot_at,
                perf,
                rng_for(seed, "dvc", code),
                old,
                merger_day.get(code),
            )
        cited = [c for _text, c in citations[code].values() if c is not None]
        counts["documents"] += write_doc(
            doc, unit, sc, year, perf, rng_for(seed, "doc", code), old, merger_day.get(code), cited
        )
        counts["incidents"] += write_sec(sec, unit, sc, year, snapshot_at, perf, rng_for(seed, "sec", code))
    for conn in (dvc, doc, sec):
        conn.commit()
        conn.close()
    return counts


def _fresh_database(path: Path, schema: str) -> sqlite3.Connection:
    if path.exists():
        path.unlink()
    conn = sqlite3.connect(path)
    conn.executescript(schema)
    return conn


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
