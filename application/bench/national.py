"""`dti bench --provinces K`: the national picture run for real, not multiplied — K province partitions,
each with its own generated systems and its own PostgreSQL warehouse, synced and verified through the
Celery executor (two workers, RabbitMQ, the Dagster instance on PostgreSQL), first for 3 provinces and
then for all K on fresh workers, so the workers' peak memory at 3 and at K can be compared.

Each province is small (PROVINCE_SCALE) so that 34 fit this machine's disk and a bench's patience; the
report says how much smaller than a real province it is and what that makes the national figures.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from application.bench.processes import BenchError
from application.bench.report import machine, write_json
from assets.partitions import partition_key
from dti.settings import PROJECT_ROOT, TZ, get_settings
from dti.warehouse import Warehouse
from dti.warehouse.db import dispose_all
from pipelines import celery
from pipelines.runner import run_provinces
from simulators.generator import SCALES, Scale, generate
from simulators.load import load_self_reports, load_units

PERIOD = "2025-R3"
# One province at a small size: 12 units (8 departments, 4 communes) with 400 dossiers each.
PROVINCE_SCALE = Scale("N-small", departments=8, communes=4, dossiers_per_unit=400, documents_per_unit=200,
                       incidents_per_unit=6, procedures_per_unit=20)
FIRST = 3  # the small run memory is compared with
WORKERS = {"bench-w1": [celery.SHARED_QUEUE], "bench-w2": [celery.SHARED_QUEUE]}
PG_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
ORCHESTRATORS = 4  # runs orchestrated at once (each a process that submits steps and waits for them)


def _units(scale: Scale) -> int:
    return scale.departments + scale.communes


def province_codes(count: int) -> list[str]:
    return [f"P{i:02d}" for i in range(1, count + 1)]


def _generated(root: Path, codes: list[str], seed: int, log) -> dict[str, Path]:
    """Each province's systems of record, generated once per seed and kept under data/sim/bench."""
    sims = {}
    for i, code in enumerate(codes):
        sim = sims[code] = root / "sim" / code
        if not (sim / "meta.json").is_file():
            generate(sim, seed=seed + i, scale=PROVINCE_SCALE, period=PERIOD)
            log(f"  • tạo / generated {code}")
    return sims


def _admin_url(admin: str, name: str) -> str:
    return admin.rsplit("/", 1)[0] + "/" + name


def _fresh_databases(admin: str, names: list[str], template: str | None) -> None:
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for name in names:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(sa.text(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else "")))
    engine.dispose()


def _drop_databases(admin: str, names: list[str]) -> None:
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for name in names:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    engine.dispose()


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """os.environ with `values` for the runs (spawned orchestrators and workers inherit it), put back after."""
    before = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(before)


def _prepare(codes: list[str], sims: dict[str, Path], admin: str, prefix: str, work: Path) -> dict[str, str]:
    """A migrated PostgreSQL warehouse per province (copies of one migrated template), units and
    self-reports loaded; the Dagster instance's database fresh too. Returns the settings of the runs."""
    template = f"{prefix}_template"
    _fresh_databases(admin, [template], None)
    Warehouse(_admin_url(admin, template)).migrate()
    dispose_all()  # CREATE DATABASE … TEMPLATE needs the template without connections
    _fresh_databases(admin, [f"{prefix}_{c.lower()}" for c in codes], template)
    _fresh_databases(admin, [f"{prefix}_dagster"], None)
    home = work / "dagster_home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "dagster.postgres.yaml", home / "dagster.yaml")
    env = {"DAGSTER_HOME": str(home), "DAGSTER_PG_URL": _admin_url(admin, f"{prefix}_dagster"),
           "DTI_EXECUTOR": "celery", "DTI_CELERY_QUEUES": "shared", "DTI_PROVINCES": ",".join(codes),
           "DTI_PROVINCE_WORKERS": str(ORCHESTRATORS)}
    for code in codes:
        url = _admin_url(admin, f"{prefix}_{code.lower()}")
        load_units(sims[code], url)
        load_self_reports(sims[code], url)
        env |= {f"DTI_{code}_DATABASE_URL": url, f"DTI_{code}_SIM_ROOT": str(sims[code]),
                f"DTI_{code}_OUT_DIR": str(work / "out" / code)}
    dispose_all()
    return env


def _run_times(codes: list[str]) -> dict[str, float]:
    """Per province, the seconds its sync and verification runs took (start to end, from the instance)."""
    took: dict[str, float] = dict.fromkeys(codes, 0.0)
    with dg.DagsterInstance.get() as instance:
        for run in instance.get_runs():
            stats = instance.get_run_stats(run.run_id)
            if run.tags.get("dti/province") in took and stats.start_time and stats.end_time:
                took[run.tags["dti/province"]] += stats.end_time - stats.start_time
    return took


def _sitting(codes: list[str], sims: dict[str, Path], admin: str, work: Path, log) -> dict:
    """Sync then verify `codes` through Celery on fresh workers: wall, per-province spread, worker memory."""
    prefix = "dti_bench_n"
    env = _prepare(codes, sims, admin, prefix, work)
    night = dt.datetime.now(TZ).date().isoformat()
    failed: list[str] = []
    try:
        with _environment(env), celery.workers(WORKERS, log_dir=work / "logs") as started:
            t0 = time.perf_counter()
            for job, key, dim in (("nightly_sync", night, "night"), ("verify_period", PERIOD, "period")):
                done = run_provinces(job, {c: partition_key(key, c, dimension=dim) for c in codes},
                                     say=lambda _line: None)
                failed += [f"{job} {c}: {'; '.join(s.failures) or 'failed'}" for c, s in done.items()
                           if not s.success or s.failures]
                log(f"  • {job}: {len(codes)} tỉnh / provinces, {time.perf_counter() - t0:.1f} s")
            wall = time.perf_counter() - t0
            rss = started.peak_rss_mb()
            took = _run_times(codes)
    finally:
        _drop_databases(admin, [f"{prefix}_{c.lower()}" for c in codes] + [f"{prefix}_template"])
    if failed:
        raise BenchError("chạy toàn quốc thất bại / national runs failed:\n" + "\n".join(failed[:10]))
    times = sorted(took.values())
    return {"provinces": len(codes), "wall_s": round(wall, 2),
            "province_s": {"min": round(times[0], 2), "median": round(statistics.median(times), 2),
                           "max": round(times[-1], 2)},
            "worker_peak_rss_mb": rss, "dossiers": sum(_dossiers(sims[c]) for c in codes)}


def _dossiers(sim: Path) -> int:
    return json.loads((sim / "meta.json").read_text(encoding="utf-8"))["counts"]["dossiers"]


def run_national(provinces: int, *, scale: str = "N", seed: int = 20251231, admin_url: str = PG_ADMIN,
                 out_dir: Path | None = None, log: Callable[[str], None] | None = None) -> dict:
    """Run FIRST provinces, then `provinces`, through Celery; write out/bench-national.json and return it."""
    log = log or (lambda text: print(text, flush=True))
    if provinces < FIRST:
        raise BenchError(f"--provinces phải ≥ {FIRST} / must be at least {FIRST}, not {provinces}")
    out_dir = out_dir or get_settings().out_dir
    work = get_settings().data_dir / "sim" / "bench" / f"national-{seed}"
    codes = province_codes(provinces)
    log(f"Toàn quốc qua Celery / national through Celery: {provinces} tỉnh / provinces, "
        f"{_units(PROVINCE_SCALE)} đơn vị / units × {PROVINCE_SCALE.dossiers_per_unit} hồ sơ / dossiers mỗi tỉnh")
    sims = _generated(work, codes, seed, log)
    small = _sitting(codes[:FIRST], sims, admin_url, work, log)
    log(f"  {FIRST} tỉnh / provinces: {small['wall_s']} s, RSS worker {small['worker_peak_rss_mb']} MB")
    full = _sitting(codes, sims, admin_url, work, log)
    log(f"  {provinces} tỉnh / provinces: {full['wall_s']} s, RSS worker {full['worker_peak_rss_mb']} MB")
    real = SCALES[scale]
    real_dossiers = (real.departments + real.communes) * real.dossiers_per_unit
    per_province = full["dossiers"] / provinces
    growth = max(full["worker_peak_rss_mb"].values()) / max(max(small["worker_peak_rss_mb"].values()), 1.0)
    report = {
        "scale": scale, "seed": seed, "period": PERIOD, "executor": "celery", "broker": "rabbitmq",
        "instance": "postgresql", "warehouse": "postgresql", "workers": sorted(WORKERS),
        "province_scale": {"units": _units(PROVINCE_SCALE), "dossiers_per_unit": PROVINCE_SCALE.dossiers_per_unit,
                           "dossiers": round(per_province)},
        "real_province_dossiers": real_dossiers,
        "size_factor": round(real_dossiers / per_province, 1),
        "note": (f"mỗi tỉnh nhỏ hơn tỉnh thật {real_dossiers / per_province:.0f} lần; thời gian toàn quốc thật ≈ "
                 f"thời gian mỗi tỉnh × hệ số đó / each province is {real_dossiers / per_province:.0f}× smaller "
                 "than a real one (scale N); the national wall at full size is not measured here"),
        "runs": {str(FIRST): small, str(provinces): full},
        "memory_growth": round(growth, 3),
        "memory_flat": growth <= 1.10,
        "machine": machine(),
    }
    log(f"  RSS worker {FIRST} → {provinces} tỉnh / provinces: ×{report['memory_growth']} "
        f"({'phẳng / flat' if report['memory_flat'] else 'TĂNG / grows'})")
    write_json(out_dir / "bench-national.json", report)
    return report
