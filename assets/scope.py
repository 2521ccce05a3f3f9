"""Where a run's partition lives: which night or period, which province, which warehouse and output folder.

A single-province deployment partitions raw syncs by night and the period assets by period, and reads
the warehouse resource. A multi-province deployment (DTI_PROVINCES set) adds a `province` dimension to
both; each province then has its own warehouse, output folder and systems of record, read from its
DTI_<CODE>_* settings when the run starts (assets.provinces.ProvinceConfig).
"""


from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from assets.partitions import PROVINCE
from assets.provinces import ProvinceConfig, ProvinceError
from assets.resources import WarehouseResource
from dti.warehouse import Warehouse

_MIGRATED: set[str] = set()


@dataclass(frozen=True)
class Scope:
    key: str  # the night ("2025-03-01", or "first..last" for a backfill run) or the period ("2025-R3")
    province: str | None
    warehouse: Warehouse
    out_dir: Path
    config: ProvinceConfig | None = None

    def label(self) -> str:
        return f"{self.province} {self.key}" if self.province else self.key


def province_config(code: str) -> ProvinceConfig:
    try:
        return ProvinceConfig.from_env(code)
    except ProvinceError as exc:
        # A missing setting will not fix itself: fail the step now instead of retrying it.
        raise dg.Failure(description=str(exc), allow_retries=False) from exc


def _in_province(key: str, code: str | None, warehouse: WarehouseResource) -> Scope:
    if code is None:
        return Scope(key, None, warehouse.open(), Path(warehouse.out_dir()))
    cfg = province_config(code)
    province_wh = Warehouse(cfg.database_url)
    if cfg.database_url not in _MIGRATED:  # a province added to DTI_PROVINCES gets its tables on its first run
        province_wh.migrate()
        _MIGRATED.add(cfg.database_url)  # once per process, not once per asset of the run
    return Scope(key, code, province_wh, cfg.out_dir, cfg)


def period_scope(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> Scope:
    """The one period (and province) a period asset's run computes."""
    key = context.partition_key
    if isinstance(key, dg.MultiPartitionKey):
        dims = key.keys_by_dimension
        return _in_province(dims["period"], dims[PROVINCE], warehouse)
    return _in_province(key, None, warehouse)


def _span(nights: list[str]) -> str:
    nights = sorted(nights)
    return nights[0] if nights[0] == nights[-1] else f"{nights[0]}..{nights[-1]}"


def night_scopes(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> list[Scope]:
    """The nights a sync run covers, per province: a single-run backfill covers a range of nights (and,
    across provinces, several provinces, each synced once)."""
    if not isinstance(context.assets_def.partitions_def, dg.MultiPartitionsDefinition):
        nights = context.partition_key_range  # partition_key would raise for a backfill range
        return [_in_province(_span([nights.start, nights.end]), None, warehouse)]
    partitions = context.assets_def.partitions_def
    by_province: dict[str, list[str]] = defaultdict(list)
    for key in context.partition_keys:
        if not isinstance(key, dg.MultiPartitionKey):
            key = partitions.get_partition_key_from_str(key)
        by_province[key.keys_by_dimension[PROVINCE]].append(key.keys_by_dimension["night"])
    return [_in_province(_span(nights), code, warehouse) for code, nights in sorted(by_province.items())]
