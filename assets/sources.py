"""Raw records from the three systems of record, synced incrementally each night.

A failed source does not fail the run: its status is recorded, the `source_synced` check warns,
and the indicators it feeds become unverifiable downstream.
"""


import datetime as dt

import dagster as dg

from assets.checks import check_results, specs
from connectors.base import DocumentSource, DossierSource, SecuritySource, SystemOfRecord
from dti.settings import TZ
from dti.sync import sync_source
from expectations.raw_sources import SUITES, validate_source
from pipelines.partitions import nightly_partitions
from pipelines.resources import Warehouse

RETRY = dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


def _checks(asset: str, source: str) -> list[dg.AssetCheckSpec]:
    raw = [c for _e, _b, checks in SUITES[source] for c in checks]
    return [dg.AssetCheckSpec("source_synced", asset=asset, description="WARN: the last sync succeeded"),
            *specs(asset, raw)]


def run_sync(context: dg.AssetExecutionContext, warehouse: Warehouse, source: str, fetcher: SystemOfRecord,
             asset: str):
    url = warehouse.resolved_url()
    # A single-run backfill covers a range of nights; partition_key would raise for it.
    nights = context.partition_key_range
    night = nights.start if nights.start == nights.end else f"{nights.start}..{nights.end}"
    prefix = f"{night}-{context.run_id[:8]}"
    fetched_at = dt.datetime.now(TZ)
    error = None
    results = []
    try:
        results = sync_source(source, fetcher, url=url, batch_prefix=prefix, fetched_at=fetched_at)
    except Exception as exc:  # noqa: BLE001 - any failure of a source makes its claims unverifiable
        error = f"{type(exc).__name__}: {exc}"
        context.log.error(f"Đồng bộ {source} thất bại / sync failed: {error}")
    metadata = {"source": source, "status": "failed" if error else "ok", "batch_prefix": prefix,
                "dagster/row_count": sum(r.records for r in results)}
    for r in results:
        metadata[f"{r.entity}_records"] = r.records
        metadata[f"{r.entity}_tombstones"] = r.tombstones
        metadata[f"{r.entity}_remapped_units"] = r.remapped_units
    if error:
        metadata["error"] = error
    outcome = validate_source(source, batch_prefix=prefix if not error else "none", url=url)
    yield dg.MaterializeResult(asset_key=asset, metadata=metadata)
    yield dg.AssetCheckResult(asset_key=asset, check_name="source_synced", passed=error is None,
                              severity=dg.AssetCheckSeverity.WARN, metadata={"error": error or ""})
    yield from check_results(outcome, asset=asset, context=context, url=url)


_COMMON = dict(group_name="sources", partitions_def=nightly_partitions,
               backfill_policy=dg.BackfillPolicy.single_run(), retry_policy=RETRY, owners=["team:data-engineering"])
_DESC = {
    "DVC": "Hồ sơ và TTHC từ Hệ thống giải quyết TTHC / dossiers and procedures from the DVC system",
    "DOC": "Văn bản và người ký từ Hệ thống QLVB&ĐH / documents and signers from the document system",
    "SEC": "Sự cố và thống kê thiết bị từ hệ thống giám sát ATTT / incidents and inventories from SEC",
}


@dg.asset(kinds={"python", "api"}, description=_DESC["DVC"], check_specs=_checks("dvc_records", "DVC"), **_COMMON)
def dvc_records(context: dg.AssetExecutionContext, warehouse: Warehouse, dvc: DossierSource):
    yield from run_sync(context, warehouse, "DVC", dvc, "dvc_records")


@dg.asset(kinds={"python", "sql"}, description=_DESC["DOC"], check_specs=_checks("doc_records", "DOC"), **_COMMON)
def doc_records(context: dg.AssetExecutionContext, warehouse: Warehouse, doc: DocumentSource):
    yield from run_sync(context, warehouse, "DOC", doc, "doc_records")


@dg.asset(kinds={"python", "api"}, description=_DESC["SEC"], check_specs=_checks("sec_records", "SEC"), **_COMMON)
def sec_records(context: dg.AssetExecutionContext, warehouse: Warehouse, sec: SecuritySource):
    yield from run_sync(context, warehouse, "SEC", sec, "sec_records")
