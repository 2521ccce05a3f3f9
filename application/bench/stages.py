"""The bench's stages, one function each: what a forked child runs and the rows it reports.

Importing this module imports the whole pipeline, so the bench's parent does it once before it forks
and no stage pays (or times) the imports; `IMPORT_PROBE` measures that cost in a fresh interpreter.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import great_expectations  # noqa: F401 - imported lazily by the GX suites: loaded here, before the forks
import openpyxl  # noqa: F401 - pandas loads it when the reports write Excel: loaded here, before the forks
import sqlalchemy as sa

from application.bench.floor import compare_with_warehouse, floor_metrics, load_raw
from application.bench.processes import BenchError
from application.bench.sync_floor import load_source
from application.demo import QUIET
from assets.evidence import evidence_reads
from assets.reports import council_reports
from assets.resources import WarehouseResource
from assets.sources import doc_records, dvc_records, sec_records
from assets.verification import claim_ledger, objective_metrics, verified_scores
from connectors.doc.client import DocumentDb
from connectors.dvc.client import DossierApi
from connectors.sec.client import SecurityApi
from dti.settings import TZ
from dti.sync import SOURCE_ENTITIES
from dti.verification.steps import PERIOD_STEPS
from dti.warehouse import Warehouse
from dti.warehouse.models import (
    Base,
    ClaimLedgerRow,
    EvidenceVerdictRow,
    ObjectiveMetric,
    SyncBatch,
    SyncWatermark,
    UnitScore,
)
from simulators.changes import mutate
from simulators.generator import generate
from simulators.in_process import DossierSimulator, SecuritySimulator
from simulators.load import load_self_reports, load_units
from simulators.server import MAX_LIMIT

SEED = 20251231
PERIOD = "2025-R3"
# Touched records per incremental night: changed + deleted + new together (simulators.changes
# touches 3 × fraction of each table).
NIGHT_SHARE = 0.005
# The names `--stages` takes, in the order they run: the floor right after the metrics it is compared with.
STAGES = ("generate", "load", "ingest_http", "sync", "sync_floor", "metrics", "floor", "evidence", "ledger", "scores", "reports",
          "incremental")
SOURCES = ("DVC", "DOC", "SEC")
SYNC_ASSETS = {"DVC": dvc_records, "DOC": doc_records, "SEC": sec_records}
# Each period asset: the bench's name for its stage and the table whose rows for the period it counts.
PERIOD_ASSETS = {
    "objective_metrics": ("metrics", objective_metrics, ObjectiveMetric),
    "evidence_reads": ("evidence", evidence_reads, EvidenceVerdictRow),
    "claim_ledger": ("ledger", claim_ledger, ClaimLedgerRow),
    "verified_scores": ("scores", verified_scores, UnitScore),
    "council_reports": ("reports", council_reports, ClaimLedgerRow),
}
# Stage → (asset, counted table): the steps in the order dti.verification.steps runs a period, then the
# council's reports from what they stored.
PERIOD_STAGES = {PERIOD_ASSETS[name][0]: PERIOD_ASSETS[name][1:]
                 for name in (*(step for step, _run in PERIOD_STEPS), "council_reports")}
HISTORY_TABLES = ("raw_dossiers", "raw_documents", "raw_incidents")
REPLICA_MARK = "~h"
# What a fresh interpreter runs to measure the import cost the parent pays once before forking.
IMPORT_PROBE = "import application.bench.stages as stages; stages.import_instance_storage()"


def import_instance_storage() -> None:
    """Create and drop an ephemeral Dagster instance: its storage modules (Alembic with them) are imported
    on first use, and every forked stage would otherwise import them again."""
    dg.DagsterInstance.ephemeral().dispose()


def sync_resources(sim_root: Path, urls: dict[str, str] | None) -> dict:
    """Connector resources: the real HTTP clients against the loopback simulators, else in-process."""
    if urls:
        return {"dvc": DossierApi(base_url=urls["dvc"], token=urls["token"], page_size=MAX_LIMIT),
                "doc": DocumentDb(url=urls["doc"]),
                "sec": SecurityApi(base_url=urls["sec"], token=urls["token"], page_size=MAX_LIMIT)}
    return {"dvc": DossierSimulator(db_path=str(sim_root / "dvc.db")),
            "doc": DocumentDb(url=f"sqlite:///{sim_root / 'doc.db'}"),
            "sec": SecuritySimulator(db_path=str(sim_root / "sec.db"))}


def _materialize(assets: list, partition_key: str, resources: dict) -> None:
    result = dg.materialize(assets, partition_key=partition_key, resources=resources,
                            instance=dg.DagsterInstance.ephemeral(), raise_on_error=True, run_config=QUIET)
    if not result.success:
        raise BenchError(f"Dagster run failed for {[a.key.to_user_string() for a in assets]}")


def _count(wh: Warehouse, model, **where) -> int:
    q = sa.select(sa.func.count()).select_from(model)
    for k, v in where.items():
        q = q.where(getattr(model, k) == v)
    with wh.engine.connect() as conn:
        return int(conn.execute(q).scalar_one())


def _batch_records(wh: Warehouse, source: str) -> int:
    with wh.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(SyncBatch.records), 0))
                                .where(SyncBatch.source == source, SyncBatch.status == "ok")).scalar_one())


def stage_generate(sim_root: Path, scale: str, seed: int) -> dict:
    gen = generate(sim_root, seed=seed, scale=scale, period=PERIOD)
    return {"rows": sum(gen.counts.values()), "counts": gen.counts}


def stage_load(sim_root: Path, wh: Warehouse) -> dict:
    wh.migrate()
    if _count(wh, SyncWatermark):
        # A warm warehouse would turn the full sync into an incremental one and the figures into fiction.
        raise BenchError(f"kho {wh.url.split('@')[-1]} đã có dữ liệu đồng bộ; dùng một cơ sở dữ liệu trống / "
                         f"the warehouse already holds synced data; give the bench an empty database")
    units = load_units(sim_root, wh.url)
    reports = load_self_reports(sim_root, wh.url)
    return {"rows": units + reports}


def stage_ingest_http(urls: dict[str, str]) -> dict:
    """Pull every dossier over HTTP and throw it away: the ingestion rate alone, without the warehouse."""
    api = DossierApi(base_url=urls["dvc"], token=urls["token"], page_size=MAX_LIMIT)
    n = sum(1 for _ in api.fetch("dossiers"))
    return {"rows": n}


def stage_sync(sim_root: Path, wh: Warehouse, urls: dict | None, source: str) -> dict:
    """One source's sync asset for tonight: the records its batches added, and a failed batch is an error."""
    night = dt.datetime.now(TZ).date().isoformat()
    before = _batch_records(wh, source)
    _materialize([SYNC_ASSETS[source]], night,
                 {"warehouse": WarehouseResource(url=wh.url), **sync_resources(sim_root, urls)})
    after = _batch_records(wh, source)
    failed = _count(wh, SyncBatch, source=source, status="failed")
    if failed:
        raise BenchError(f"đồng bộ {source} thất bại / the {source} sync failed ({failed} batch(es))")
    return {"rows": after - before, "entities": list(SOURCE_ENTITIES[source])}


def stage_sync_floor(sim_root: Path, wh: Warehouse, urls: dict | None, source: str) -> dict:
    """One source fetched through the same client and bulk-inserted with nothing else (application.bench.sync_floor)."""
    return {"rows": load_source(wh, source, sync_resources(sim_root, urls)[source.lower()])}


def stage_period(wh: Warehouse, out_dir: Path, name: str) -> dict:
    """One period stage (PERIOD_STAGES): its asset materialized, the period's rows of its table counted."""
    # Reports go under the bench's own folder so a bench never overwrites the demo's out/ files.
    os.environ["DTI_OUT_DIR"] = str(out_dir)
    asset, model = PERIOD_STAGES[name]
    _materialize([asset], PERIOD, {"warehouse": WarehouseResource(url=wh.url)})
    return {"rows": _count(wh, model, period=PERIOD)}


def stage_history(wh: Warehouse, multiplier: int) -> dict:
    """Copy the history tables' rows `multiplier - 1` times under new ids, as if years had gone by.

    Real records stay; replicas carry REPLICA_MARK in their id, are kept when already at this
    multiplier and replaced otherwise, so compute stages can be measured at M-sized history
    without an M-sized sync.
    """
    added = removed = 0
    with wh.engine.begin() as conn:
        for name in HISTORY_TABLES:
            table = Base.metadata.tables[name]
            sid = table.c.source_id
            is_replica = sid.contains(REPLICA_MARK, autoescape=True)
            replicas, originals = conn.execute(sa.select(
                sa.func.count().filter(is_replica), sa.func.count().filter(sa.not_(is_replica)))).one()
            if replicas == (multiplier - 1) * originals and not conn.execute(
                    sa.select(sid).where(sid.like(f"%{REPLICA_MARK}{multiplier}%")).limit(1)).first():
                continue  # already replicated this many times: copying again would measure nothing new
            removed += conn.execute(sa.delete(table).where(is_replica)).rowcount or 0
            cols = [c.name for c in table.columns]
            for k in range(1, multiplier):
                picked = [(sid + f"{REPLICA_MARK}{k}").label("source_id") if c == "source_id" else table.c[c]
                          for c in cols]
                result = conn.execute(sa.insert(table).from_select(
                    cols, sa.select(*picked).where(sid.not_like(f"%{REPLICA_MARK}%"))))
                added += result.rowcount or 0
    return {"rows": added, "removed": removed}


def _timed(fn: Callable[[], object]) -> tuple[object, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def stage_floor(wh: Warehouse) -> dict:
    """The DuckDB floor: load the raw tables, time the one query, compare its results with the stored metrics."""
    db, load_s = _timed(lambda: load_raw(wh, PERIOD))
    c0 = time.process_time()
    rows, query_s = _timed(lambda: floor_metrics(db))
    query_cpu_s = time.process_time() - c0  # DuckDB's threads included
    mismatches, compared = compare_with_warehouse(rows, wh, PERIOD)
    return {"rows": len(rows), "load_s": load_s, "query_s": query_s, "query_cpu_s": query_cpu_s,
            "mismatches": mismatches, "compared": compared}


def change_one_night(sim_root: Path, seed: int) -> int:
    """One night's changes in the sources (new, changed and deleted records): how many were touched."""
    touched = mutate(sim_root, fraction=NIGHT_SHARE / 3, seed=seed)
    return sum(len(v[k]) for v in touched.values() if isinstance(v, dict) for k in ("new", "changed", "deleted"))
