"""`dti bench`: time the real pipeline stage by stage at a named scale, beside a DuckDB floor.

Each stage runs in its own forked process so its peak RSS (VmHWM) is its own; the parent only
orchestrates. The table goes to stdout and, with the same columns, to out/bench.json.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from application.bench.evidence import stage_evidence
from application.bench.processes import (
    BenchError,
    LoopbackSimulators,
    run_in_child,
    run_in_children,
    time_fresh_interpreter,
)
from application.bench.report import (
    StageResult,
    build_report,
    format_accuracy,
    format_header,
    format_row,
    format_summary,
    write_json,
)
from application.bench.stages import (
    IMPORT_PROBE,
    PERIOD,
    PERIOD_STAGES,
    SEED,
    SOURCES,
    STAGES,
    change_one_night,
    import_instance_storage,
    stage_floor,
    stage_generate,
    stage_history,
    stage_ingest_http,
    stage_load,
    stage_period,
    stage_sync,
    stage_sync_floor,
)
from dti.accuracy import accuracy
from dti.settings import get_settings
from dti.verification.store import load_ledger
from dti.warehouse import Warehouse
from simulators.generator import SCALES


@dataclass
class Sitting:
    """One run of the bench: what was asked for, where it works, and the rows recorded so far."""

    scale: str
    seed: int
    wanted: list[str]
    wh: Warehouse
    work: Path  # the sources the sync reads: a copy of the generated ones, which the incremental night edits
    reports_dir: Path
    timeout_s: float
    parallel_sync: bool
    history: int
    log: Callable[[str], None]
    results: list[StageResult] = field(default_factory=list)
    accuracy: dict | None = None  # detection accuracy against the generator's answer key, once the ledger ran

    def record(self, res: StageResult) -> StageResult:
        self.results.append(res)
        self.log(format_row(res.row()))
        return res

    def child(self, name: str, fn: Callable[[], dict]) -> dict:
        return run_in_child(name, fn, self.timeout_s)


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


def _wanted_stages(scale: str, stages: list[str] | None) -> list[str]:
    if scale not in SCALES:
        raise ValueError(f"quy mô '{scale}' không có / unknown scale '{scale}': {', '.join(SCALES)}")
    wanted = list(STAGES) if not stages else list(stages)
    unknown = [s for s in wanted if s not in STAGES]
    if unknown:
        raise ValueError(f"giai đoạn không có / unknown stage(s): {', '.join(unknown)}; "
                         f"có / available: {', '.join(STAGES)}")
    return wanted


def _prepare_sources(sitting: Sitting, pristine: Path) -> None:
    """Every run starts from the pristine sources and an empty warehouse: the incremental night
    changes the sources, and a warm warehouse would turn the full sync into a no-op."""
    syncing, url = "sync" in sitting.wanted, sitting.wh.url
    if syncing or not sitting.work.exists():
        _copy_sources(pristine, sitting.work)
    if syncing and url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    elif not syncing and url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        raise BenchError(f"chưa có kho dữ liệu thử {url}: thêm giai đoạn 'sync' / no bench warehouse yet: "
                         f"include the 'sync' stage")


def _sync(sitting: Sitting, label: str, urls: dict | None, note: str) -> StageResult:
    """The three sync assets, at once or one by one: a row per source (not in the total) and one row
    for the whole sync (in the total, its wall the time until the last source finished)."""
    fns = {source: (lambda s=source: stage_sync(sitting.work, sitting.wh, urls, s)) for source in SOURCES}
    t0 = time.perf_counter()
    if sitting.parallel_sync:
        done = run_in_children({f"{label}_{s}": fn for s, fn in fns.items()}, sitting.timeout_s)
        done = {s: done[f"{label}_{s}"] for s in fns}
    else:
        done = {s: sitting.child(f"{label}_{s}", fn) for s, fn in fns.items()}
    wall = time.perf_counter() - t0
    how = "song song / at once" if sitting.parallel_sync else "lần lượt / one after the other"
    if label == "sync":
        for source, r in done.items():
            via = "HTTP" if urls and source != "DOC" else ("SQL" if source == "DOC" else "in-process")
            sitting.record(StageResult.measured(f"sync_{source.lower()}", r, in_e2e=False,
                                                note=f"{note} ({via}) + GX; {how}"))
    whole = StageResult(label, sum(r["rows"] for r in done.values()), wall,
                        max(r["peak_rss_mb"] for r in done.values()),
                        cpu_s=sum(r["cpu_s"] for r in done.values()), note=f"{note}: DVC, DOC, SEC {how}")
    if label == "sync":
        sitting.record(whole)
    return whole


def _sync_floor(sitting: Sitting, urls: dict | None, sync: StageResult | None) -> None:
    """The sync's floor, run the way the sync ran (three sources at once or one by one), and its ratio set
    on the sync's row."""
    fns = {f"sync_floor_{s}": (lambda s=s: stage_sync_floor(sitting.work, sitting.wh, urls, s)) for s in SOURCES}
    t0 = time.perf_counter()
    if sitting.parallel_sync:
        done = run_in_children(fns, sitting.timeout_s)
    else:
        done = {name: sitting.child(name, fn) for name, fn in fns.items()}
    wall = time.perf_counter() - t0
    rows = sum(r["rows"] for r in done.values())
    sitting.record(StageResult("sync_floor", rows, wall, max(r["peak_rss_mb"] for r in done.values()),
                               cpu_s=sum(r["cpu_s"] for r in done.values()), in_e2e=False,
                               note="sàn: cùng trang, chỉ nạp hàng loạt / floor: same pages, bulk insert only"))
    if sync is not None:
        sync.floor_s = wall
        sitting.log(f"  ↳ sync / floor = {sync.ratio}×")


def _floor(sitting: Sitting, metrics: StageResult | None) -> None:
    """The DuckDB floor's row, and its ratio beside the metrics stage it is compared with."""
    r = sitting.child("floor", lambda: stage_floor(sitting.wh))
    note = (f"DuckDB: nạp / load {r['load_s']:.2f} s, truy vấn / query {r['query_s']:.2f} s; "
            f"khớp / matches {r['compared'] - r['mismatches']}/{r['compared']}")
    extra = {"load_s": r["load_s"], "mismatches": r["mismatches"], "compared": r["compared"]}
    sitting.record(StageResult("floor_metrics", r["rows"], r["query_s"], r["peak_rss_mb"],
                               cpu_s=r["query_cpu_s"], in_e2e=False, note=note, extra=extra))
    if metrics is not None:
        metrics.floor_s = r["query_s"]
        metrics.note = f"so với sàn / vs floor: {r['mismatches']} lệch / mismatches"
        sitting.log(f"  ↳ metrics / floor = {metrics.ratio}×")


def _period(sitting: Sitting) -> None:
    """The period's stages in the order dti.verification.steps runs them, the floor after the metrics."""
    metrics = None
    for name in PERIOD_STAGES:
        if name in sitting.wanted:
            r = sitting.child(name, lambda n=name: stage_period(sitting.wh, sitting.reports_dir, n))
            res = sitting.record(StageResult.measured(name, r))
            if name == "metrics":
                metrics = res
        if name == "metrics" and "floor" in sitting.wanted:
            _floor(sitting, metrics)
        if name == "evidence" and name in sitting.wanted:
            _evidence_reading(sitting)


def _evidence_reading(sitting: Sitting) -> None:
    """Evidence reading's own throughput on generated documents (the bench's world files none): text PDFs
    and scans through OCR read cold, then the same filings again (all cache hits). Not in the total."""
    r = sitting.child("evidence_reading", lambda: stage_evidence(sitting.work / "evidence", sitting.scale))
    text, ocr, rerun = r["text_pdf"], r["ocr"], r["rerun"]
    sitting.record(StageResult("evidence_text_pdf", text["pages"], text["seconds"], r["peak_rss_mb"], in_e2e=False,
                               note=f"{text['files']} tệp PDF có lớp chữ / text PDFs: trang/giây / pages per s",
                               extra=text))
    sitting.record(StageResult("evidence_ocr", ocr["pages"], ocr["seconds"], r["peak_rss_mb"], in_e2e=False,
                               note=f"{ocr['files']} bản quét qua Tesseract / scans through OCR", extra=ocr))
    sitting.record(StageResult("evidence_rerun", rerun["cache_hits"], rerun["seconds"], r["peak_rss_mb"],
                               in_e2e=False, extra=rerun,
                               note=f"đọc lại: {rerun['cache_hits']} lần trúng bộ đệm, nhanh {rerun['speedup']}× / "
                                    f"re-run: cache hits, {rerun['speedup']}× faster than cold"))


def _incremental(sitting: Sitting, urls: dict | None, full_sync_s: float) -> dict:
    """One night's changes synced the same way as the full sync, measured against it."""
    touched = change_one_night(sitting.work, sitting.seed)
    night = _sync(sitting, "incremental_sync", urls, note=f"{touched} bản ghi đổi / records touched")
    share = night.wall_s / full_sync_s if full_sync_s else None
    night.in_e2e = False
    night.note += f"; {(share or 0) * 100:.1f}% thời gian đồng bộ đầy đủ / of the full sync"
    sitting.record(night)
    return {"touched": touched, "records": night.rows, "wall_s": night.wall_s, "full_sync_s": full_sync_s,
            "share_of_full": share}


def _run_stages(sitting: Sitting, urls: dict | None) -> dict | None:
    """Every stage after generation, in order; returns the incremental night's figures when it ran."""
    syncing = "sync" in sitting.wanted
    if "load" in sitting.wanted or syncing:
        r = sitting.child("load", lambda: stage_load(sitting.work, sitting.wh))
        sitting.record(StageResult.measured(
            "load", r, in_e2e=False,
            note="chuẩn bị: đơn vị + tự đánh giá từ bộ sinh / setup: generated units + "
                 "self-reports, not in the total"))
    if "ingest_http" in sitting.wanted and urls:
        r = sitting.child("ingest_http", lambda: stage_ingest_http(urls))
        sitting.record(StageResult.measured("ingest_http", r, in_e2e=False,
                                            note="chỉ đọc HTTP DVC, không ghi / DVC over HTTP, fetch only"))
    full_sync_s = 0.0
    sync = None
    if syncing:
        sync = _sync(sitting, "sync", urls, note="đồng bộ đầy đủ / full sync")
        full_sync_s = sync.wall_s
    if "sync_floor" in sitting.wanted:
        _sync_floor(sitting, urls, sync)
    else:
        # Without a new sync the warehouse may hold an earlier run's replicas: set them to `history`.
        r = sitting.child("history", lambda: stage_history(sitting.wh, sitting.history))
        if sitting.history > 1 or r["removed"]:
            times = sitting.history
            sitting.record(StageResult.measured(
                "history", r, in_e2e=False,
                note=f"lịch sử nhân ×{times} trong kho / warehouse history replicated ×{times}"))
    _period(sitting)
    if "ledger" in sitting.wanted:
        sitting.accuracy = _accuracy(sitting)
    if "incremental" in sitting.wanted and syncing:
        return _incremental(sitting, urls, full_sync_s)
    return None


def _accuracy(sitting: Sitting) -> dict | None:
    """The ledger's recall and false-positive rate against the answer key, by distance from the tolerance."""
    truth = sitting.work / "truth.json"
    if not truth.is_file():
        return None
    with sitting.wh.session() as s:
        claims = load_ledger(s, PERIOD)
    acc = accuracy(claims, truth)
    sitting.log(format_accuracy(acc))
    return acc


def _write(sitting: Sitting, out_dir: Path, report: dict) -> None:
    write_json(out_dir / "bench.json", report)
    # A copy per scale, so the S and M figures of one sitting both stay on disk.
    suffix = f"-history{sitting.history}" if sitting.history > 1 else ""
    write_json(out_dir / "bench-runs" / f"bench-{sitting.scale}{suffix}.json", report)
    # Again in full: the compute rows' floor ratios are known only once the floor has run.
    sitting.log("")
    sitting.log(format_header())
    for row in report["stages"]:
        sitting.log(format_row(row))
    sitting.log(format_summary(report))


def _imports_row(timeout_s: float) -> StageResult:
    """What importing the pipeline costs, measured in a fresh interpreter; then paid once here, so that
    no forked stage pays (or times) it.

    The parent imported the pipeline with this module, as a Dagster run process does once, not once per
    asset. Creating a Dagster instance imports its storage (and Alembic), which every fork would otherwise
    import again.
    """
    probe = time_fresh_interpreter(IMPORT_PROBE, timeout_s)
    import_instance_storage()
    return StageResult("imports", 0, probe["probe_wall_s"], probe["probe_rss_mb"],
                       note="nạp thư viện một lần / importing the pipeline once (Dagster, GX, pandas)")


def run_bench(scale: str = "S", *, stages: list[str] | None = None, seed: int = SEED, url: str | None = None,
              out_dir: Path | None = None, regenerate: bool = False, http: bool = True, history: int = 1,
              timeout_s: float = 6 * 3600, log: Callable[[str], None] | None = None,
              parallel_sync: bool = True) -> dict:
    """Run the bench and write out/bench.json. Returns the same dict it writes.

    `http`: sync from the simulators over loopback HTTP (False: read their files in-process).
    `parallel_sync`: the three sources sync at once, as the nightly_sync job's steps do on Dagster's
    multiprocess executor; False syncs them one after the other."""
    wanted = _wanted_stages(scale, stages)
    out_dir = out_dir or get_settings().out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    root = _data_root(scale, seed)
    pristine = root / "generated"
    url = url or f"sqlite:///{root / 'warehouse.db'}"
    if "generate" not in wanted and not _generated(pristine, scale, seed):
        raise BenchError(f"chưa có dữ liệu quy mô {scale} tại {pristine}: thêm giai đoạn 'generate' / "
                         f"no generated data at that path: include the 'generate' stage")
    sitting = Sitting(scale, seed, wanted, Warehouse(url), work=root / "work",
                      reports_dir=out_dir / "bench-reports" / scale, timeout_s=timeout_s,
                      parallel_sync=parallel_sync, history=history,
                      log=log or (lambda text: print(text, flush=True)))
    imports = _imports_row(timeout_s)
    sitting.log(format_header())
    sitting.record(imports)
    if "generate" in wanted and (regenerate or not _generated(pristine, scale, seed)):
        r = sitting.child("generate", lambda: stage_generate(pristine, scale, seed))
        sitting.record(StageResult.measured("generate", r, in_e2e=False,
                                            note="tạo dữ liệu, ngoài tổng / data generation, not in the total"))
    _prepare_sources(sitting, pristine)
    serving = http and ("sync" in wanted or "sync_floor" in wanted or "ingest_http" in wanted)
    with (LoopbackSimulators(sitting.work) if serving else contextlib.nullcontext()) as sims:
        incremental = _run_stages(sitting, sims.urls if sims else None)
    report = build_report(scale, seed, PERIOD, url, http, sitting.results, incremental)
    report["history_multiplier"] = history
    if sitting.accuracy is not None:
        report["accuracy"] = sitting.accuracy
    _write(sitting, out_dir, report)
    return report
