"""Partitions: nights for raw syncs; assessment periods (year and round, from the frameworks) for
metrics, ledger, scores and reports; and, in a multi-province deployment (DTI_PROVINCES set), the
province as a second dimension of both."""

from __future__ import annotations

import datetime as dt
import re

import dagster as dg

from dti.framework import load_all
from dti.settings import TZ, read, read_int

PROVINCE = "province"
_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")


class ProvinceError(ValueError):
    """A province code or its settings are missing or malformed."""


def province_codes(environ=None) -> list[str]:
    """DTI_PROVINCES, e.g. "HN,LC": empty for a single-province deployment."""
    codes = [c.strip().upper() for c in read("DTI_PROVINCES", environ).split(",") if c.strip()]
    bad = [c for c in codes if not _CODE.match(c)]
    if bad:
        raise ProvinceError(f"DTI_PROVINCES: mã tỉnh không hợp lệ / invalid province code(s) {', '.join(bad)}; "
                            "cần chữ in hoa và số, ví dụ HN,LC / expected letters and digits such as HN,LC")
    return sorted(set(codes))


def period_years(environ=None, today: dt.date | None = None) -> tuple[int, int]:
    """(first, last) year of the assessment periods: DTI_FIRST_PERIOD_YEAR, and DTI_LAST_PERIOD_YEAR or,
    unset, next year (or the year the newest framework version takes effect, if later): periods never
    stop at a fixed year."""
    first = read_int("DTI_FIRST_PERIOD_YEAR", environ, default=2024)
    today = today or dt.datetime.now(TZ).date()
    newest = max((fw.valid_from.year for fw in load_all().all_versions()), default=today.year)
    last = read_int("DTI_LAST_PERIOD_YEAR", environ) or max(today.year + 1, newest)
    return first, max(first, last)


def period_keys(environ=None, today: dt.date | None = None) -> list[str]:
    first, last = period_years(environ, today)
    rounds = sorted({r.round for fw in load_all().all_versions() for r in fw.rounds})
    return [f"{year}-R{r}" for year in range(first, last + 1) for r in rounds]


FIRST_YEAR, LAST_YEAR = period_years()
nightly_partitions = dg.DailyPartitionsDefinition(start_date=f"{FIRST_YEAR}-01-01", timezone="Asia/Ho_Chi_Minh",
                                                  end_offset=1)
period_partitions = dg.StaticPartitionsDefinition(period_keys())


def source_partitions(provinces: list[str]) -> dg.PartitionsDefinition:
    """Nights, or nights × provinces."""
    if not provinces:
        return nightly_partitions
    return dg.MultiPartitionsDefinition({"night": nightly_partitions,
                                         PROVINCE: dg.StaticPartitionsDefinition(provinces)})


def verification_partitions(provinces: list[str]) -> dg.PartitionsDefinition:
    """Periods, or periods × provinces."""
    if not provinces:
        return period_partitions
    return dg.MultiPartitionsDefinition({"period": period_partitions,
                                         PROVINCE: dg.StaticPartitionsDefinition(provinces)})


def partition_key(key: str, province: str | None, *, dimension: str) -> str:
    """The partition key of `key` (a night or a period) in a province, or `key` itself without one."""
    if province is None:
        return key
    return dg.MultiPartitionKey({dimension: key, PROVINCE: province})


def province_run(run_key: str, key: str, province: str | None, *, dimension: str, tags: dict,
                 sync: bool = False) -> dg.RunRequest:
    """One run request for `key` (a night or a period) in a province, or in the one warehouse: the
    province goes into the run key, the partition key and the `dti/province` tag (and, for a sync, the
    `dti/sync` tag the run coordinator limits to one run per warehouse)."""
    if province:
        run_key = f"{run_key}-{province}"
        tags = {**tags, "dti/province": province, **({"dti/sync": province} if sync else {})}
    return dg.RunRequest(run_key=run_key, partition_key=partition_key(key, province, dimension=dimension), tags=tags)


def source_deps(provinces: list[str]) -> list[dg.AssetDep]:
    """The period assets read every night's raw records — of their own province when there are several."""
    mapping: dg.PartitionMapping = dg.AllPartitionMapping()
    if provinces:
        mapping = dg.MultiPartitionMapping({PROVINCE: dg.DimensionPartitionMapping(
            dimension_name=PROVINCE, partition_mapping=dg.IdentityPartitionMapping())})
    return [dg.AssetDep(k, partition_mapping=mapping) for k in ("dvc_records", "doc_records", "sec_records")]
