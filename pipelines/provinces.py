"""Several provinces from one deployment: DTI_PROVINCES lists the codes and each province has its own
warehouse, output folder and systems of record (DTI_<CODE>_* variables, read at run time). The
`verify_provinces` job fans out one sync → verify branch per province, so the multiprocess executor
(locally) or the Kubernetes/Celery executors (in production) run the provinces side by side."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from pipelines.partitions import period_partitions

_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
SOURCES = ("DVC", "DOC", "SEC")


class ProvinceError(ValueError):
    """A province code or its settings are missing or malformed."""


def province_codes(environ=None) -> list[str]:
    env = os.environ if environ is None else environ
    codes = [c.strip().upper() for c in env.get("DTI_PROVINCES", "").split(",") if c.strip()]
    bad = [c for c in codes if not _CODE.match(c)]
    if bad:
        raise ProvinceError(f"DTI_PROVINCES: mã tỉnh không hợp lệ / invalid province code(s) {', '.join(bad)}; "
                            "cần chữ in hoa và số, ví dụ HN,LC / expected letters and digits such as HN,LC")
    return sorted(set(codes))


@dataclass(frozen=True)
class ProvinceConfig:
    code: str
    database_url: str
    out_dir: Path
    sim_root: str | None

    @classmethod
    def from_env(cls, code: str, environ=None) -> ProvinceConfig:
        env = os.environ if environ is None else environ
        code = code.strip().upper()
        listed = province_codes(env)
        if code not in listed:
            raise ProvinceError(f"Tỉnh {code} không có trong DTI_PROVINCES / province {code} is not listed in "
                                f"DTI_PROVINCES ({', '.join(listed) or 'trống / empty'})")
        url = env.get(f"DTI_{code}_DATABASE_URL", "").strip()
        if not url:
            raise ProvinceError(f"Thiếu DTI_{code}_DATABASE_URL / DTI_{code}_DATABASE_URL is not set: each province "
                                "needs its own warehouse")
        base_out = Path(env.get("DTI_OUT_DIR") or "out")
        out = Path(env.get(f"DTI_{code}_OUT_DIR") or base_out / code)
        return cls(code, url, out, env.get(f"DTI_{code}_SIM_ROOT") or None)

    def connectors(self, environ=None) -> dict:
        """One fetcher per source: the bundled simulators when DTI_<CODE>_SIM_ROOT is set, else the real
        clients from DTI_<CODE>_DVC_BASE_URL/_DVC_TOKEN, _DOC_DATABASE_URL, _SEC_BASE_URL/_SEC_TOKEN."""
        env = os.environ if environ is None else environ
        if self.sim_root:
            from pipelines.resources import simulator_resources

            res = simulator_resources(self.sim_root, url=self.database_url)
            return {"DVC": res["dvc"], "DOC": res["doc"], "SEC": res["sec"]}
        from connectors.doc.client import DocumentDb
        from connectors.dvc.client import DossierApi
        from connectors.sec.client import SecurityApi

        def need(name: str) -> str:
            value = env.get(f"DTI_{self.code}_{name}", "").strip()
            if not value:
                raise ProvinceError(f"Thiếu / missing DTI_{self.code}_{name} for province {self.code}")
            return value

        return {"DVC": DossierApi(base_url=need("DVC_BASE_URL"), token=need("DVC_TOKEN")),
                "DOC": DocumentDb(url=need("DOC_DATABASE_URL")),
                "SEC": SecurityApi(base_url=need("SEC_BASE_URL"), token=need("SEC_TOKEN"))}


def apply_province_env(code: str) -> ProvinceConfig:
    """Point this process's warehouse and output folder at one province (the CLI runs one at a time)."""
    cfg = ProvinceConfig.from_env(code)
    os.environ["DTI_DATABASE_URL"] = cfg.database_url
    os.environ["DTI_OUT_DIR"] = str(cfg.out_dir)
    return cfg


def _config_or_failure(code: str) -> ProvinceConfig:
    try:
        return ProvinceConfig.from_env(code)
    except ProvinceError as exc:
        # A missing setting will not fix itself: fail the step now instead of retrying it.
        raise dg.Failure(description=str(exc), allow_retries=False) from exc


@dg.op(out=dg.DynamicOut(str), description="Các tỉnh trong DTI_PROVINCES / the provinces in DTI_PROVINCES")
def provinces_to_run(context):
    codes = province_codes()
    if not codes:
        raise ProvinceError("DTI_PROVINCES trống / DTI_PROVINCES is empty: nothing to run")
    context.log.info(f"Tỉnh / provinces: {', '.join(codes)}")
    for code in codes:
        yield dg.DynamicOutput(code, mapping_key=code)


@dg.op(retry_policy=dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL,
                                   jitter=dg.Jitter.PLUS_MINUS),
       description="Đồng bộ ba hệ thống nguồn của một tỉnh / sync one province's systems of record")
def sync_province(context, code: str) -> str:
    from dti.settings import TZ
    from dti.sync import sync_source
    from dti.warehouse import init_db

    cfg = _config_or_failure(code)
    init_db(cfg.database_url)
    now = dt.datetime.now(TZ)
    prefix = f"{now.date().isoformat()}-{context.run_id[:8]}-{code}"
    failed = []
    for source, fetcher in sorted(cfg.connectors().items()):
        try:
            results = sync_source(source, fetcher, url=cfg.database_url, batch_prefix=prefix, fetched_at=now)
            context.log.info(f"{code} {source}: {sum(r.records for r in results)} bản ghi / records")
        except Exception as exc:  # noqa: BLE001 - recorded in source_status; its claims become unverifiable
            failed.append(source)
            context.log.error(f"{code} {source}: đồng bộ thất bại / sync failed: {type(exc).__name__}: {exc}")
    context.add_output_metadata({"province": code, "failed_sources": ", ".join(failed) or "—"})
    return code


def _gate(context, outcome, *, code: str, asset: str, url: str, period: str) -> None:
    """The same Great Expectations suites the period assets run as checks: kept in check history, and
    an ERROR-level failure stops this province before the next stage, as a blocking check would."""
    from expectations.adapter import ERROR
    from expectations.common import record_history

    record_history(outcome, asset=asset, partition=period, run_id=context.run_id, url=url)
    failed = [r for r in outcome.results if not r.success]
    for r in failed:
        context.log.warning(f"{code} {asset}.{r.name}: {r.failing_count} dòng lỗi / failing rows ({r.severity})")
    blocking = sorted(r.name for r in failed if r.severity == ERROR)
    if blocking:
        raise dg.Failure(description=f"{code}: {asset} không qua kiểm tra / failed blocking checks: "
                                     f"{', '.join(blocking)}", allow_retries=False)


@dg.op(description="Đối chiếu, chấm điểm, báo cáo kỳ của một tỉnh / verify, score and report one province's period")
def verify_province(context, code: str) -> dict:
    from sqlalchemy.orm import Session

    from dti.reports.publish import write_period_outputs
    from dti.settings import TZ
    from dti.verify import (
        build_period_ledger,
        compute_period,
        load_ledger,
        period_units,
        score_period,
        self_report_rows,
        store_ledger,
        store_metrics,
        store_scores,
    )
    from dti.warehouse.db import get_engine
    from expectations import ledger as ledger_suite
    from expectations import scores as scores_suite
    from expectations import self_reports as self_report_suite

    cfg = _config_or_failure(code)
    url, period = cfg.database_url, context.partition_key
    # Same stages, in the same order, as the period assets (objective_metrics, self_reports, claim_ledger,
    # verified_scores, council_reports), with the same blocking checks between them.
    _units, metrics = compute_period(period, url=url, as_of=dt.datetime.now(TZ))
    store_metrics(period, metrics, url=url)
    with Session(get_engine(url)) as s:
        rows = self_report_rows(s, period)
    _gate(context, self_report_suite.check_self_reports(rows), code=code, asset="self_reports", url=url,
          period=period)
    _units, claims, _info = build_period_ledger(period, url=url)
    store_ledger(period, claims, url=url)
    _gate(context, ledger_suite.validate_ledger(claims), code=code, asset="claim_ledger", url=url, period=period)
    with Session(get_engine(url)) as s:
        units = period_units(s, period)
        stored = load_ledger(s, period)
    scores = score_period(period, stored, units)
    store_scores(period, scores, url=url)
    _gate(context, scores_suite.validate_scores(scores, [u[0] for u in units]), code=code, asset="verified_scores",
          url=url, period=period)
    with Session(get_engine(url)) as s:
        written = write_period_outputs(s, period, cfg.out_dir)
    summary = {"province": code, "units": len(scores), "claims": len(claims),
               "discrepancies": sum(1 for c in claims if c.outcome == "discrepancy"),
               "report": str(written["files"].get("report.html", ""))}
    context.add_output_metadata(summary)
    return summary


def build_provinces_job(executor_def: dg.ExecutorDefinition = dg.multiprocess_executor) -> dg.JobDefinition:
    """The multi-province job on a given executor: multiprocess locally; in a cluster pass
    dagster_k8s.k8s_job_executor or dagster_celery.celery_executor (see docs/operations.md)."""

    @dg.job(name="verify_provinces", partitions_def=period_partitions, executor_def=executor_def,
            tags={"dti/scope": "multi-province", "dagster/max_retries": "1", "dagster/retry_strategy": "FROM_FAILURE"},
            description="Đồng bộ và thẩm định mọi tỉnh trong DTI_PROVINCES song song / sync and verify every province "
                        "in DTI_PROVINCES side by side")
    def verify_provinces():
        provinces_to_run().map(lambda code: verify_province(sync_province(code)))

    return verify_provinces


verify_provinces = build_provinces_job()


def local_provinces_job() -> dg.JobDefinition:
    """The multiprocess job, for `dg.reconstructable` (its step processes rebuild the job by this name)."""
    return verify_provinces
