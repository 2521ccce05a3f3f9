"""What `dti sync` and `dti run` do: the nightly sync and a period's verification from a terminal, on
the same Dagster jobs the schedules launch, with one progress line per step; non-zero exit on any
failure."""

from __future__ import annotations

import datetime as dt
import os

import dagster as dg
import sqlalchemy as sa

from application.cli import CliError
from application.cli.progress import on_terminal
from assets.partitions import ProvinceError, partition_key, period_keys, province_codes
from assets.provinces import ProvinceConfig
from assets.resources import WarehouseResource
from dti.framework import Period
from dti.settings import TZ, read
from dti.vocabulary import Outcome
from dti.warehouse import Warehouse
from dti.warehouse.models import SyncWatermark
from pipelines.runner import run_job, run_provinces
from simulators.in_process import in_process_sources

SOURCE_SETTINGS = ("DTI_DVC_BASE_URL", "DTI_DVC_TOKEN", "DTI_DOC_DATABASE_URL", "DTI_SEC_BASE_URL", "DTI_SEC_TOKEN")


def _night(text: str | None) -> str:

    if not text:
        return dt.datetime.now(TZ).date().isoformat()
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise CliError(f"--night '{text}' không phải ngày dạng YYYY-MM-DD / is not a date like 2025-12-31") from None


def _finish(summary, what: str) -> int:
    print()
    if summary.success and not summary.failures:
        rows = ", ".join(f"{k} {v}" for k, v in sorted(summary.rows.items()) if v is not None)
        print(f"Xong / done: {what} (run {summary.run_id})" + (f" — {rows}" if rows else ""))
    else:
        print(f"THẤT BẠI / FAILED: {what} (run {summary.run_id})")
        for f in summary.failures:
            print(f"  - {f}")
    for w in summary.warnings:
        print(f"  cảnh báo / warning: {w}")
    failed_source = any(".source_synced" in w for w in summary.warnings)
    if failed_source:
        print(f"  Một hệ thống nguồn đồng bộ lỗi; chỉ số của nó sẽ «{Outcome.UNVERIFIABLE.vi}» / a source "
              "failed to sync; its indicators will be unverifiable")
    return 0 if summary.success and not summary.failures and not failed_source else 1


def _provinces(chosen: str | None) -> list[str]:
    """The provinces a command runs for: [] for a single-province deployment."""
    try:
        codes = province_codes()
        if chosen is None:
            return codes
        return [ProvinceConfig.from_env(chosen).code]  # names the missing setting before anything runs
    except ProvinceError as exc:
        raise CliError(str(exc)) from None


def sync(args) -> int:

    night = _night(args.night)
    provinces = _provinces(args.province)
    resources = None
    if provinces:
        if args.sim:
            raise CliError("--sim chỉ dùng khi một tỉnh; khi có DTI_PROVINCES, đặt DTI_<MÃ>_SIM_ROOT / --sim is for "
                           "single-province deployments; with DTI_PROVINCES set DTI_<CODE>_SIM_ROOT instead")
    elif args.sim:
        if not os.path.isdir(args.sim):
            raise CliError(f"--sim '{args.sim}': không có thư mục / no such folder")
        resources = {"warehouse": WarehouseResource(), **in_process_sources(os.path.abspath(args.sim))}
    else:
        missing = [name for name in SOURCE_SETTINGS if not read(name)]
        if missing:
            raise CliError(f"Chưa cấu hình hệ thống nguồn, thiếu / the systems of record are not configured, missing: "
                           f"{', '.join(missing)} (xem / see .env.example, docs/connectors.md; "
                           f"chạy thử với / try it with --sim DIR)")
    if not provinces:
        Warehouse().migrate()
    if args.full:
        cleared = sum(clear_watermarks(Warehouse(url)) for url in _warehouse_urls(provinces))
        print(f"• Đọc lại toàn bộ: xoá {cleared} mốc đồng bộ / full re-read: cleared {cleared} watermarks")
    print(f"• Đồng bộ đêm {night} / syncing night {night}" + _where(provinces))
    return _launch("nightly_sync", night, "night", provinces, resources=resources, tags={"dti/trigger": "cli"})


def _warehouse_urls(provinces: list[str]) -> list[str | None]:

    if not provinces:
        return [None]
    urls = []
    for code in provinces:
        try:
            urls.append(ProvinceConfig.from_env(code).database_url)
        except ValueError as exc:
            raise CliError(str(exc)) from None
    return urls


def _where(provinces: list[str]) -> str:
    return f", tỉnh / provinces {', '.join(provinces)}" if provinces else ""


def _launch(job: str, key: str, dimension: str, provinces: list[str], **kwargs) -> int:
    """Run `job` for `key` in the one warehouse, or for every listed province side by side."""


    what = f"{job} {key}"
    try:
        if not provinces:
            with on_terminal():
                summary = run_job(job, key, **kwargs)
            return _finish(summary, what)
        if len(provinces) == 1:
            code = provinces[0]
            with on_terminal():
                summary = run_job(job, partition_key(key, code, dimension=dimension), **kwargs)
            return _finish(summary, f"{what} {code}")
        done = run_provinces(job, {code: partition_key(key, code, dimension=dimension) for code in provinces},
                             **kwargs)
    except dg.DagsterError as exc:  # configuration refused before any step ran
        raise CliError(f"Không khởi chạy được {job} / could not start {job}: {exc}") from None
    codes = [_finish(summary, f"{what} {code}") for code, summary in done.items()]
    return max(codes)


def clear_watermarks(wh: Warehouse) -> int:
    """Forget every sync watermark, so the next sync reads each source from its beginning (upserts
    keep the re-read idempotent)."""


    with wh.transaction() as s:
        return s.execute(sa.delete(SyncWatermark)).rowcount or 0


def run(args) -> int:

    try:
        period = str(Period.parse(args.period))
    except ValueError as exc:
        raise CliError(str(exc)) from None
    keys = period_keys()
    if period not in keys:
        raise CliError(f"Kỳ {period} không có trong các kỳ đã khai báo / period {period} is not a known partition "
                       f"(có / known: {keys[0]} … {keys[-1]})")
    if args.as_of:
        try:
            as_of = dt.datetime.fromisoformat(args.as_of)
        except ValueError:
            raise CliError(f"--as-of '{args.as_of}' không phải thời điểm ISO / is not an ISO time") from None
        if as_of.tzinfo is None:
            raise CliError(f"--as-of '{args.as_of}' cần múi giờ, ví dụ +07:00 / needs a time zone such as +07:00")
    run_config = {"ops": {"objective_metrics": {"config": {"as_of": args.as_of}}}} if args.as_of else None
    provinces = _provinces(args.province)
    if not provinces:

        Warehouse().migrate()
    print(f"• Đối chiếu và chấm điểm kỳ {period} / verifying period {period}" + _where(provinces))
    return _launch("verify_period", period, "period", provinces, run_config=run_config, tags={"dti/trigger": "cli"})
