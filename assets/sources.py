"""Raw records from the three systems of record, synced incrementally each night.

A failed source does not fail the run: its status is recorded, the `source_synced` check warns,
and the indicators it feeds become unverifiable downstream. In a multi-province deployment the
nights are also partitioned by province, and each province is synced from its own systems into its
own warehouse.
"""


import datetime as dt

import dagster as dg

from assets.checks import check_results, merge_outcomes, spec_text, specs
from assets.partitions import nightly_partitions
from assets.scope import Scope, night_scopes
from dti.settings import TZ
from dti.sync import SyncIncomplete, SyncResult, sync_source
from dti.vocabulary import SyncVerdict
from expectations.adapter import WARN
from expectations.common import record_history
from expectations.raw_sources import SUITES, validate_source

RETRY = dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
SOURCES = {  # asset → (system, resource key, kinds, description)
    "dvc_records": ("DVC", "dvc", {"python", "api"},
                    "Hồ sơ và TTHC từ Hệ thống giải quyết TTHC / dossiers and procedures from the DVC system"),
    "doc_records": ("DOC", "doc", {"python", "sql"},
                    "Văn bản và người ký từ Hệ thống QLVB&ĐH / documents and signers from the document system"),
    "sec_records": ("SEC", "sec", {"python", "api"},
                    "Sự cố và thống kê thiết bị từ hệ thống giám sát ATTT / incidents and inventories from SEC"),
}


def _checks(asset: str, source: str) -> list[dg.AssetCheckSpec]:
    raw = [c for _e, _b, checks in SUITES[source] for c in checks]
    synced = spec_text("Lần đồng bộ gần nhất thành công", "the last sync succeeded", WARN)
    return [dg.AssetCheckSpec("source_synced", asset=asset, description=synced),
            *specs(asset, raw)]


def _sync_one(context: dg.AssetExecutionContext, scope: Scope, source: str, fetcher, asset: str):
    """Sync one province (or the only warehouse) and validate what arrived: (metadata, error, outcome)."""
    prefix = f"{scope.key}-{context.run_id[:8]}" + (f"-{scope.province}" if scope.province else "")
    error = None
    results = []
    try:
        results = sync_source(source, fetcher, url=scope.warehouse.url, batch_prefix=prefix,
                              fetched_at=dt.datetime.now(TZ))
    except SyncIncomplete as exc:  # what arrived is kept, but the claims stay unverifiable
        results = exc.results
        error = f"{SyncVerdict.INCOMPLETE.vi} / incomplete: {exc}"
        context.log.error(f"Đồng bộ {source} {scope.label()} không đầy đủ / sync incomplete: {exc}")
    except Exception as exc:  # noqa: BLE001 - any failure of a source makes its claims unverifiable
        error = f"{type(exc).__name__}: {exc}"
        context.log.error(f"Đồng bộ {source} {scope.label()} thất bại / sync failed: {error}")
    metadata = {"batch_prefix": prefix, "records": sum(r.records for r in results)}
    for r in results:
        metadata.update({f"{r.entity}_{k}": v for k, v in sync_counts(r).items()})
        metadata[f"{r.entity}_records"] = r.records
        metadata[f"{r.entity}_tombstones"] = r.tombstones
        metadata[f"{r.entity}_remapped_units"] = r.remapped_units
        metadata[f"{r.entity}_unmapped_units"] = r.unmapped_units
    outcome = validate_source(scope.warehouse, source, batch_prefix=prefix if not error else "none")
    record_history(scope.warehouse, outcome, asset=asset, partition=scope.key, run_id=context.run_id)
    return metadata, error, outcome


def sync_counts(result: SyncResult) -> dict:
    """The count check of one entity as metadata: expected (-1: the source does not say), received,
    stored, quarantined, and the verdict."""
    return {"expected": result.expected if result.expected is not None else -1, "received": result.received,
            "stored": result.stored, "quarantined": result.quarantined, "verdict": str(result.verdict)}


def run_sync(context: dg.AssetExecutionContext, source: str, resource_key: str, asset: str):
    warehouse = context.resources.warehouse
    done = []
    for scope in night_scopes(context, warehouse):
        fetcher = scope.config.connectors()[source] if scope.config else getattr(context.resources, resource_key)
        done.append((scope, *_sync_one(context, scope, source, fetcher, asset)))
    errors = [f"{scope.province}: {error}" if scope.province else error for scope, _m, error, _o in done if error]
    metadata = {"source": source, "status": "failed" if errors else "ok",
                "dagster/row_count": sum(m["records"] for _s, m, _e, _o in done)}
    for scope, meta, _error, _outcome in done:
        prefix = f"{scope.province}_" if len(done) > 1 else ""
        metadata.update({f"{prefix}{k}": v for k, v in meta.items() if k != "records"})
        if scope.province:
            metadata[f"{prefix}province"] = scope.province
    if errors:
        metadata["error"] = "; ".join(errors)
    yield dg.MaterializeResult(asset_key=asset, metadata=metadata)
    said = ("Đạt: lần đồng bộ gần nhất thành công / passed: the last sync succeeded" if not errors else
            f"Đồng bộ lỗi, chỉ số của {source} sẽ 'không xác minh được' / the sync failed, {source}'s "
            f"indicators will be unverifiable: {'; '.join(errors)}")
    yield dg.AssetCheckResult(asset_key=asset, check_name="source_synced", passed=not errors,
                              description=said,
                              severity=dg.AssetCheckSeverity.WARN, metadata={"error": "; ".join(errors)})
    outcome = merge_outcomes([(scope.province, o) for scope, _m, _e, o in done])
    yield from check_results(outcome, asset=asset, context=context, wh=None)


def build_source_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """The three sync assets on nights (one warehouse) or nights × provinces."""

    per_province = isinstance(partitions_def, dg.MultiPartitionsDefinition)

    def make(asset: str) -> dg.AssetsDefinition:
        source, key, kinds, description = SOURCES[asset]
        # With provinces, each province's connectors come from its own settings, not from a resource.
        needs = {"warehouse"} if per_province else {"warehouse", key}

        @dg.asset(name=asset, group_name="sources", partitions_def=partitions_def, kinds=kinds,
                  description=description, check_specs=_checks(asset, source), required_resource_keys=needs,
                  backfill_policy=dg.BackfillPolicy.single_run(), retry_policy=RETRY, owners=["team:data-engineering"])
        def _sync(context: dg.AssetExecutionContext):
            yield from run_sync(context, source, key, asset)

        return _sync

    return [make(asset) for asset in SOURCES]


dvc_records, doc_records, sec_records = build_source_assets(nightly_partitions)
