"""`dti bench`: time the real pipeline stage by stage at a named scale, beside a DuckDB floor.

Each stage runs in its own forked process so its peak RSS (VmHWM) is its own; the parent only
orchestrates. The table goes to stdout and, with the same columns, to out/bench.json.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import shutil
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dti.settings import TZ, get_settings

SEED = 20251231
PERIOD = "2025-R3"
# Touched records per incremental night: changed + deleted + new together (simulators.changes
# touches 3 × fraction of each table).
NIGHT_SHARE = 0.005
# The national scale runs one province partition and extrapolates: partitions are independent.
NATIONAL_PROVINCES = 34
SCALE_NOTES = {
    "N": f"1 tỉnh chạy thật, nhân tuyến tính ×{NATIONAL_PROVINCES} / one province measured, "
         f"wall and rows extrapolated linearly ×{NATIONAL_PROVINCES}; RSS is per partition",
}
TARGETS = {
    "end_to_end_s": 60.0,  # at S, excluding data generation
    "peak_rss_mb": 2048.0,
    "floor_ratio": 3.0,
    "incremental_share": 0.05,
    "http_records_per_s": 50_000.0,
}
STAGES = ("generate", "load", "ingest_http", "sync", "metrics", "floor", "ledger", "scores", "reports",
          "incremental")
COLUMNS = ("stage", "rows", "wall_s", "cpu_s", "rows_per_s", "peak_rss_mb", "floor_s", "ratio", "in_e2e", "note")


@dataclass
class StageResult:
    stage: str
    rows: int
    wall_s: float
    peak_rss_mb: float
    floor_s: float | None = None
    cpu_s: float | None = None  # this process's CPU time: wall far above it means the machine was busy
    in_e2e: bool = True
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float | None:
        return round(self.rows / self.wall_s, 1) if self.wall_s > 0 else None

    @property
    def ratio(self) -> float | None:
        return round(self.wall_s / self.floor_s, 2) if self.floor_s else None

    def row(self) -> dict:
        return {"stage": self.stage, "rows": self.rows, "wall_s": round(self.wall_s, 3),
                "cpu_s": round(self.cpu_s, 3) if self.cpu_s is not None else None,
                "rows_per_s": self.rows_per_s, "peak_rss_mb": round(self.peak_rss_mb, 1),
                "floor_s": round(self.floor_s, 3) if self.floor_s is not None else None, "ratio": self.ratio,
                "in_e2e": self.in_e2e, "note": self.note}


class BenchError(Exception):
    """A stage failed; the message names the stage and carries the child's traceback."""


# --- measuring -------------------------------------------------------------------------------------


def _vm_kb(field_name: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


def _child(conn, fn: Callable[[], dict]) -> None:
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        info = fn() or {}
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        conn.send({"ok": True, "wall_s": wall, "cpu_s": cpu, "peak_rss_mb": _vm_kb("VmHWM") / 1024, **info})
    except BenchError as exc:  # a message for a person: no traceback
        conn.send({"ok": False, "error": str(exc), "plain": True})
    except BaseException:  # noqa: BLE001 - everything goes back to the parent, which raises
        conn.send({"ok": False, "error": traceback.format_exc()})
    finally:
        conn.close()


def run_in_child(name: str, fn: Callable[[], dict], timeout_s: float) -> dict:
    """Run `fn` in a forked process; returns its dict plus wall_s and peak_rss_mb (that process's VmHWM).

    Forking from a parent that has already imported the pipeline keeps import time out of the stage
    while the child's high-water mark stays its own.
    """
    return run_in_children({name: fn}, timeout_s)[name]


def run_in_children(fns: dict[str, Callable[[], dict]], timeout_s: float) -> dict[str, dict]:
    """Several stages at once, each in its own forked process (as Dagster's multiprocess executor runs
    the steps of one run); each result carries that process's own wall, CPU and peak RSS."""
    ctx = mp.get_context("fork")
    started = {}
    for name, fn in fns.items():
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(child, fn), name=f"dti-bench-{name}")
        proc.start()
        child.close()
        started[name] = (proc, parent)
    deadline = time.monotonic() + timeout_s
    results: dict[str, dict] = {}
    try:
        for name, (proc, parent) in started.items():
            if not parent.poll(max(0.0, deadline - time.monotonic())):
                raise BenchError(f"giai đoạn '{name}' quá {timeout_s:.0f} s / stage '{name}' exceeded "
                                 f"{timeout_s:.0f} s")
            try:
                results[name] = parent.recv()
            except EOFError as exc:
                raise BenchError(f"giai đoạn '{name}' dừng bất thường (mã {proc.exitcode}) / stage '{name}' died "
                                 f"(exit code {proc.exitcode})") from exc
    finally:
        for proc, parent in started.values():
            if proc.is_alive() and len(results) < len(started):
                proc.terminate()
            proc.join(30)
            parent.close()
    for name, result in results.items():
        if not result.pop("ok"):
            if result.get("plain"):
                raise BenchError(result["error"])
            raise BenchError(f"giai đoạn '{name}' lỗi / stage '{name}' failed:\n{result['error']}")
    return results


# --- the simulators over loopback -------------------------------------------------------------------


def _serve(conn, root: str) -> None:
    from simulators.server import SimulatorServer

    sims = SimulatorServer(root).start()
    conn.send({"dvc": sims.dvc_url, "sec": sims.sec_url, "doc": sims.doc_url, "token": sims.token})
    try:
        conn.recv()  # the parent says stop (or goes away: EOFError)
    except EOFError:
        pass
    finally:
        sims.stop()


class LoopbackSimulators:
    """The HTTP simulators in their own process, so serving and ingesting use separate interpreters."""

    def __init__(self, root: Path):
        self.root = root
        self.proc = None
        self.conn = None
        self.urls: dict[str, str] = {}

    def __enter__(self) -> LoopbackSimulators:
        ctx = mp.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, str(self.root)), name="dti-bench-simulators",
                                daemon=True)
        self.proc.start()
        child.close()
        if not self.conn.poll(60):
            self.proc.terminate()
            raise BenchError("mô phỏng HTTP không khởi động / the HTTP simulators did not start in 60 s")
        self.urls = self.conn.recv()
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.conn.send("stop")
        except (BrokenPipeError, OSError):
            pass
        self.proc.join(15)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(5)
        self.conn.close()


def http_available() -> bool:
    try:
        import connectors.dvc.client  # noqa: F401
        import connectors.sec.client  # noqa: F401
        import simulators.server  # noqa: F401
    except ImportError:
        return False
    return True


def sync_resources(sim_root: Path, urls: dict[str, str] | None) -> dict:
    """Connector resources: the real HTTP clients against the loopback simulators, else in-process."""
    from connectors.doc.client import DocumentDb

    if urls:
        from connectors.dvc.client import DossierApi
        from connectors.sec.client import SecurityApi
        from simulators.server import MAX_LIMIT

        return {"dvc": DossierApi(base_url=urls["dvc"], token=urls["token"], page_size=MAX_LIMIT),
                "doc": DocumentDb(url=urls["doc"]),
                "sec": SecurityApi(base_url=urls["sec"], token=urls["token"], page_size=MAX_LIMIT)}
    from simulators.in_process import DossierSimulator, SecuritySimulator

    return {"dvc": DossierSimulator(db_path=str(sim_root / "dvc.db")),
            "doc": DocumentDb(url=f"sqlite:///{sim_root / 'doc.db'}"),
            "sec": SecuritySimulator(db_path=str(sim_root / "sec.db"))}


# --- stages ------------------------------------------------------------------------------------------


def _materialize(assets: list, partition_key: str, resources: dict) -> None:
    import dagster as dg

    from application.demo import QUIET

    result = dg.materialize(assets, partition_key=partition_key, resources=resources,
                            instance=dg.DagsterInstance.ephemeral(), raise_on_error=True, run_config=QUIET)
    if not result.success:
        raise BenchError(f"Dagster run failed for {[a.key.to_user_string() for a in assets]}")


def _count(url: str, model, **where) -> int:
    import sqlalchemy as sa

    from dti.warehouse.db import get_engine

    q = sa.select(sa.func.count()).select_from(model)
    for k, v in where.items():
        q = q.where(getattr(model, k) == v)
    with get_engine(url).connect() as conn:
        return int(conn.execute(q).scalar_one())


def stage_generate(sim_root: Path, scale: str, seed: int) -> dict:
    from simulators.generator import generate

    gen = generate(sim_root, seed=seed, scale=scale, period=PERIOD)
    return {"rows": sum(gen.counts.values()), "counts": gen.counts}


def stage_load(sim_root: Path, url: str) -> dict:
    from dti.warehouse import init_db
    from simulators.load import load_self_reports, load_units

    init_db(url)
    from dti.warehouse.models import SyncWatermark

    if _count(url, SyncWatermark):
        # A warm warehouse would turn the full sync into an incremental one and the figures into fiction.
        raise BenchError(f"kho {url.split('@')[-1]} đã có dữ liệu đồng bộ; dùng một cơ sở dữ liệu trống / "
                         f"the warehouse already holds synced data; give the bench an empty database")
    units = load_units(sim_root, url)
    reports = load_self_reports(sim_root, url)
    return {"rows": units + reports}


def stage_ingest_http(urls: dict[str, str]) -> dict:
    """Pull every dossier over HTTP and throw it away: the ingestion rate alone, without the warehouse."""
    from connectors.dvc.client import DossierApi
    from simulators.server import MAX_LIMIT

    api = DossierApi(base_url=urls["dvc"], token=urls["token"], page_size=MAX_LIMIT)
    n = sum(1 for _ in api.fetch("dossiers"))
    return {"rows": n}


def stage_sync(sim_root: Path, url: str, urls: dict | None, source: str) -> dict:
    from assets.resources import WarehouseResource
    from assets.sources import doc_records, dvc_records, sec_records
    from dti.sync import SOURCE_ENTITIES
    from dti.warehouse.models import SyncBatch

    asset = {"DVC": dvc_records, "DOC": doc_records, "SEC": sec_records}[source]
    night = dt.datetime.now(TZ).date().isoformat()
    before = _batch_records(url, source)
    _materialize([asset], night, {"warehouse": WarehouseResource(url=url), **sync_resources(sim_root, urls)})
    after = _batch_records(url, source)
    failed = _count(url, SyncBatch, source=source, status="failed")
    if failed:
        raise BenchError(f"đồng bộ {source} thất bại / the {source} sync failed ({failed} batch(es))")
    return {"rows": after - before, "entities": list(SOURCE_ENTITIES[source])}


def _record_sync(record, label: str, work: Path, url: str, urls: dict | None, timeout_s: float, parallel: bool,
                 note: str) -> StageResult:
    """The three sync assets, at once or one by one: a row per source (not in the total) and one row
    for the whole sync (in the total, its wall the time until the last source finished)."""
    fns = {source: (lambda s=source: stage_sync(work, url, urls, s)) for source in ("DVC", "DOC", "SEC")}
    t0 = time.perf_counter()
    if parallel:
        done = run_in_children({f"{label}_{s}": fn for s, fn in fns.items()}, timeout_s)
        done = {s: done[f"{label}_{s}"] for s in fns}
    else:
        done = {s: run_in_child(f"{label}_{s}", fn, timeout_s) for s, fn in fns.items()}
    wall = time.perf_counter() - t0
    how = "song song / at once" if parallel else "lần lượt / one after the other"
    if label == "sync":
        for source, r in done.items():
            via = "HTTP" if urls and source != "DOC" else ("SQL" if source == "DOC" else "in-process")
            record(StageResult(f"sync_{source.lower()}", r["rows"], r["wall_s"], r["peak_rss_mb"], cpu_s=r["cpu_s"],
                               in_e2e=False, note=f"{note} ({via}) + GX; {how}"))
    whole = StageResult(label, sum(r["rows"] for r in done.values()), wall,
                        max(r["peak_rss_mb"] for r in done.values()), cpu_s=sum(r["cpu_s"] for r in done.values()),
                        note=f"{note}: DVC, DOC, SEC {how}")
    if label == "sync":
        record(whole)
    return whole


def _batch_records(url: str, source: str) -> int:
    import sqlalchemy as sa

    from dti.warehouse.db import get_engine
    from dti.warehouse.models import SyncBatch

    with get_engine(url).connect() as conn:
        return int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(SyncBatch.records), 0))
                                .where(SyncBatch.source == source, SyncBatch.status == "ok")).scalar_one())


def _period_stage(url: str, out_dir: Path, name: str) -> dict:
    from assets.reports import council_reports
    from assets.resources import WarehouseResource
    from assets.verification import claim_ledger, objective_metrics, verified_scores
    from dti.warehouse.models import ClaimLedgerRow, ObjectiveMetric, UnitScore

    # Reports go under the bench's own folder so a bench never overwrites the demo's out/ files.
    os.environ["DTI_OUT_DIR"] = str(out_dir)
    asset, model = {"metrics": (objective_metrics, ObjectiveMetric), "ledger": (claim_ledger, ClaimLedgerRow),
                    "scores": (verified_scores, UnitScore), "reports": (council_reports, ClaimLedgerRow)}[name]
    _materialize([asset], PERIOD, {"warehouse": WarehouseResource(url=url)})
    return {"rows": _count(url, model, period=PERIOD)}


HISTORY_TABLES = ("raw_dossiers", "raw_documents", "raw_incidents")
REPLICA_MARK = "~h"


def stage_history(url: str, multiplier: int) -> dict:
    """Copy the history tables' rows `multiplier - 1` times under new ids, as if years had gone by.

    Real records stay; replicas carry REPLICA_MARK in their id, are kept when already at this
    multiplier and replaced otherwise, so compute stages can be measured at M-sized history
    without an M-sized sync.
    """
    import sqlalchemy as sa

    from dti.warehouse.db import get_engine
    from dti.warehouse.models import Base

    added = removed = 0
    with get_engine(url).begin() as conn:
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


def stage_floor(url: str) -> dict:
    from application.bench.floor import compare_with_warehouse, floor_metrics, load_raw

    db, load_s = _timed(lambda: load_raw(url, PERIOD))
    c0 = time.process_time()
    rows, query_s = _timed(lambda: floor_metrics(db))
    query_cpu_s = time.process_time() - c0  # DuckDB's threads included
    mismatches, compared = compare_with_warehouse(rows, url, PERIOD)
    return {"rows": len(rows), "load_s": load_s, "query_s": query_s, "query_cpu_s": query_cpu_s,
            "mismatches": mismatches, "compared": compared}


# --- orchestration -----------------------------------------------------------------------------------


def _data_root(scale: str, seed: int) -> Path:
    # Under data/sim/, which git ignores with the demo's generated provinces.
    return get_settings().data_dir / "sim" / "bench" / f"{scale}-{seed}"


def _generated(root: Path, scale: str, seed: int) -> bool:
    meta = root / "meta.json"
    if not meta.is_file():
        return False
    data = json.loads(meta.read_text(encoding="utf-8"))
    return data.get("seed") == seed and data.get("scale", {}).get("name") == scale


def _copy_sources(src: Path, dst: Path) -> None:
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for item in sorted(src.iterdir()):
        if item.is_file():
            shutil.copy2(item, dst / item.name)


def _machine() -> dict:
    mem_kb = 0
    with open("/proc/meminfo", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    # Other work on the machine skews wall times; the load average says how much there was.
    return {"cpus": os.cpu_count(), "cpu_model": cpu, "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(), "platform": platform.platform()}


def run_bench(scale: str = "S", *, stages: list[str] | None = None, seed: int = SEED, url: str | None = None,
              out_dir: Path | None = None, regenerate: bool = False, http: bool | None = None, history: int = 1,
              timeout_s: float = 6 * 3600, log: Callable[[str], None] | None = None,
              parallel_sync: bool = True) -> dict:
    """Run the bench and write out/bench.json. Returns the same dict it writes.

    `parallel_sync`: the three sources sync at once, as the nightly_sync job's steps do on Dagster's
    multiprocess executor; False syncs them one after the other."""
    from simulators.generator import SCALES

    if scale not in SCALES:
        raise ValueError(f"quy mô '{scale}' không có / unknown scale '{scale}': {', '.join(SCALES)}")
    wanted = list(STAGES) if not stages else list(stages)
    unknown = [s for s in wanted if s not in STAGES]
    if unknown:
        raise ValueError(f"giai đoạn không có / unknown stage(s): {', '.join(unknown)}; "
                         f"có / available: {', '.join(STAGES)}")
    log = log or (lambda text: print(text, flush=True))
    settings = get_settings()
    out_dir = out_dir or settings.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    root = _data_root(scale, seed)
    pristine, work = root / "generated", root / "work"
    url = url or f"sqlite:///{root / 'warehouse.db'}"
    http = http_available() if http is None else http
    if "generate" not in wanted and not _generated(pristine, scale, seed):
        raise BenchError(f"chưa có dữ liệu quy mô {scale} tại {pristine}: thêm giai đoạn 'generate' / "
                         f"no generated data at that path: include the 'generate' stage")
    import_s = _preimport()
    results: list[StageResult] = []

    def record(res: StageResult) -> StageResult:
        results.append(res)
        log(_format_row(res.row()))
        return res

    log(_format_header())
    record(StageResult("imports", 0, import_s, _vm_kb("VmHWM") / 1024,
                       note="nạp thư viện một lần / importing the pipeline once (Dagster, GX, pandas)"))
    if "generate" in wanted and (regenerate or not _generated(pristine, scale, seed)):
        r = run_in_child("generate", lambda: stage_generate(pristine, scale, seed), timeout_s)
        record(StageResult("generate", r["rows"], r["wall_s"], r["peak_rss_mb"], cpu_s=r["cpu_s"], in_e2e=False,
                           note="tạo dữ liệu, ngoài tổng / data generation, not in the total"))
    # Every run starts from the pristine sources and an empty warehouse: the incremental night
    # changes the sources, and a warm warehouse would turn the full sync into a no-op.
    syncing = "sync" in wanted
    if syncing or not work.exists():
        _copy_sources(pristine, work)
    if syncing and url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    elif not syncing and url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        raise BenchError(f"chưa có kho dữ liệu thử {url}: thêm giai đoạn 'sync' / no bench warehouse yet: "
                         f"include the 'sync' stage")
    reports_dir = out_dir / "bench-reports" / scale
    urls_ctx = LoopbackSimulators(work) if http and (syncing or "ingest_http" in wanted) else None
    try:
        urls = urls_ctx.__enter__().urls if urls_ctx else None
        if "load" in wanted or syncing:
            r = run_in_child("load", lambda: stage_load(work, url), timeout_s)
            record(StageResult("load", r["rows"], r["wall_s"], r["peak_rss_mb"], cpu_s=r["cpu_s"], in_e2e=False,
                               note="chuẩn bị: đơn vị + tự đánh giá từ bộ sinh / setup: generated units + "
                                    "self-reports, not in the total"))
        if "ingest_http" in wanted and urls:
            r = run_in_child("ingest_http", lambda: stage_ingest_http(urls), timeout_s)
            record(StageResult("ingest_http", r["rows"], r["wall_s"], r["peak_rss_mb"], cpu_s=r["cpu_s"], in_e2e=False,
                               note="chỉ đọc HTTP DVC, không ghi / DVC over HTTP, fetch only"))
        full_sync_s = 0.0
        if "sync" in wanted:
            full_sync_s = _record_sync(record, "sync", work, url, urls, timeout_s, parallel_sync,
                                       note="đồng bộ đầy đủ / full sync").wall_s
        # Without a new sync the warehouse may hold an earlier run's replicas: set them to `history`.
        r = run_in_child("history", lambda: stage_history(url, history), timeout_s) if not syncing else None
        if r and (history > 1 or r["removed"]):
            record(StageResult("history", r["rows"], r["wall_s"], r["peak_rss_mb"], cpu_s=r["cpu_s"], in_e2e=False,
                               note=f"lịch sử nhân ×{history} trong kho / warehouse history replicated ×{history}"))
        metrics_res = None
        for name in ("metrics", "ledger", "scores", "reports"):
            if name in wanted:
                r = run_in_child(name, lambda n=name: _period_stage(url, reports_dir, n), timeout_s)
                res = record(StageResult(name, r["rows"], r["wall_s"], r["peak_rss_mb"], cpu_s=r["cpu_s"]))
                if name == "metrics":
                    metrics_res = res
            if name == "metrics" and "floor" in wanted:
                r = run_in_child("floor", lambda: stage_floor(url), timeout_s)
                note = (f"DuckDB: nạp / load {r['load_s']:.2f} s, truy vấn / query {r['query_s']:.2f} s; "
                        f"khớp / matches {r['compared'] - r['mismatches']}/{r['compared']}")
                record(StageResult("floor_metrics", r["rows"], r["query_s"], r["peak_rss_mb"], cpu_s=r["query_cpu_s"],
                                   in_e2e=False,
                                   note=note, extra={"load_s": r["load_s"], "mismatches": r["mismatches"],
                                                     "compared": r["compared"]}))
                if metrics_res is not None:
                    metrics_res.floor_s = r["query_s"]
                    metrics_res.note = f"so với sàn / vs floor: {r['mismatches']} lệch / mismatches"
                    log(f"  ↳ metrics / floor = {metrics_res.ratio}×")
        incremental = None
        if "incremental" in wanted and "sync" in wanted:
            from simulators.changes import mutate

            touched = mutate(work, fraction=NIGHT_SHARE / 3, seed=seed)
            n_touched = sum(len(v[k]) for v in touched.values() if isinstance(v, dict)
                            for k in ("new", "changed", "deleted"))
            night = _record_sync(record, "incremental_sync", work, url, urls, timeout_s, parallel_sync,
                                 note=f"{n_touched} bản ghi đổi / records touched")
            share = night.wall_s / full_sync_s if full_sync_s else None
            incremental = {"touched": n_touched, "records": night.rows, "wall_s": night.wall_s,
                           "full_sync_s": full_sync_s, "share_of_full": share}
            night.in_e2e = False
            night.note += f"; {(share or 0) * 100:.1f}% thời gian đồng bộ đầy đủ / of the full sync"
            record(night)
    finally:
        if urls_ctx:
            urls_ctx.__exit__(None, None, None)
    report = _report(scale, seed, url, http, results, incremental)
    report["history_multiplier"] = history
    _write_json(out_dir / "bench.json", report)
    # A copy per scale, so the S and M figures of one sitting both stay on disk.
    _write_json(out_dir / "bench-runs" / f"bench-{scale}{f'-history{history}' if history > 1 else ''}.json",
                report)
    # Again in full: the compute rows' floor ratios are known only once the floor has run.
    log("")
    log(_format_header())
    for row in report["stages"]:
        log(_format_row(row))
    log(_format_summary(report))
    return report


def _preimport() -> float:
    """Import the pipeline once in the parent so forked stages do not pay (or time) the imports.

    A Dagster run process pays them once, not once per asset; the time is reported as its own row.
    That includes what a run imports on its way (the instance's storage, which brings in Alembic; the
    connectors; openpyxl for the reports): ≈0.9 s that every forked stage otherwise paid again.
    """
    t0 = time.perf_counter()
    import dagster
    import great_expectations  # noqa: F401
    import openpyxl  # noqa: F401
    import pandas  # noqa: F401

    import application.demo  # noqa: F401 - the quiet run config every stage materializes with
    import assets.reports  # noqa: F401
    import assets.resources  # noqa: F401
    import assets.sources  # noqa: F401
    import assets.verification  # noqa: F401
    import connectors.doc.client  # noqa: F401

    http_available()  # imports the HTTP clients and the simulators, where they are installed
    dagster.DagsterInstance.ephemeral().dispose()  # its storage modules, imported on first use

    return time.perf_counter() - t0


def _report(scale: str, seed: int, url: str, http: bool, results: list[StageResult], incremental: dict | None
            ) -> dict:
    from simulators.generator import SCALES

    e2e = [r for r in results if r.in_e2e]
    total = sum(r.wall_s for r in e2e)
    peak = max((r.peak_rss_mb for r in results), default=0.0)
    factor = NATIONAL_PROVINCES if scale == "N" else 1
    summary = {
        "end_to_end_s": round(total, 2),
        "end_to_end_rows": sum(r.rows for r in e2e),
        "peak_rss_mb": round(peak, 1),
        "ingestion": ("http" if http else "in-process") if any(r.stage.startswith("sync_") for r in results)
        else "none",
    }
    if factor > 1:
        summary["extrapolated_end_to_end_s"] = round(total * factor, 1)
    ingest = next((r for r in results if r.stage == "ingest_http"), None)
    metrics = next((r for r in results if r.stage == "metrics"), None)
    checks = {"peak_rss_mb": {"value": summary["peak_rss_mb"], "target": TARGETS["peak_rss_mb"],
                              "met": peak <= TARGETS["peak_rss_mb"]}}
    synced = any(r.stage.startswith("sync_") for r in results)
    if scale == "S" and synced:  # the target is for the whole pipeline, not a subset of stages
        checks["end_to_end_s"] = {"value": summary["end_to_end_s"], "target": TARGETS["end_to_end_s"],
                                  "met": total <= TARGETS["end_to_end_s"]}
    if metrics is not None and metrics.ratio is not None:
        checks["floor_ratio"] = {"value": metrics.ratio, "target": TARGETS["floor_ratio"],
                                 "met": metrics.ratio <= TARGETS["floor_ratio"]}
    if incremental and incremental["share_of_full"] is not None:
        share = round(incremental["share_of_full"], 4)
        checks["incremental_share"] = {"value": share, "target": TARGETS["incremental_share"],
                                       "met": share <= TARGETS["incremental_share"]}
    if ingest is not None and ingest.rows_per_s is not None:
        checks["http_records_per_s"] = {"value": ingest.rows_per_s, "target": TARGETS["http_records_per_s"],
                                        "met": ingest.rows_per_s >= TARGETS["http_records_per_s"]}
    return {
        "scale": scale, "scale_definition": asdict(SCALES[scale]), "seed": seed, "period": PERIOD,
        "note": SCALE_NOTES.get(scale, ""), "extrapolation_factor": factor,
        "warehouse": url.split(":", 1)[0], "machine": _machine(),
        "columns": list(COLUMNS), "stages": [r.row() for r in results],
        "incremental": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in (incremental or {}).items()},
        "summary": summary, "targets": checks,
    }


def _write_json(path: Path, report: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


WIDTHS = (18, 10, 9, 9, 11, 12, 8, 7, 5)


def _cell(value, width: int) -> str:
    if value is None:
        text = "–"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float):
        text = f"{value:,.2f}" if value < 1000 else f"{value:,.0f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return text.rjust(width) if not isinstance(value, str) else text.ljust(width)


def _format_header() -> str:
    return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(COLUMNS, WIDTHS, strict=False))
                     ) + "  note"


def _format_row(row: dict) -> str:
    cells = [_cell(row[c], w) for c, w in zip(COLUMNS, WIDTHS, strict=False)]
    return "  ".join(cells) + "  " + row["note"]


def _format_summary(report: dict) -> str:
    s = report["summary"]
    lines = [f"Tổng đầu-cuối / end to end (không gồm tạo dữ liệu / excl. generation): {s['end_to_end_s']:.2f} s, "
             f"RSS đỉnh / peak RSS {s['peak_rss_mb']:.0f} MB, nạp / ingestion: {s['ingestion']}"]
    if "extrapolated_end_to_end_s" in s:
        lines.append(f"Ngoại suy toàn quốc / national extrapolation ×{report['extrapolation_factor']}: "
                     f"{s['extrapolated_end_to_end_s']:.0f} s")
    for name, check in sorted(report["targets"].items()):
        mark = "ĐẠT / met" if check["met"] else "CHƯA ĐẠT / missed"
        lines.append(f"  {name}: {check['value']} (mục tiêu / target {check['target']}) — {mark}")
    return "\n".join(lines)
