"""Several provinces from one deployment: DTI_PROVINCES lists the codes and each province has its own
warehouse, output folder and systems of record (DTI_<CODE>_* variables, read when a run starts).

The province is then a partition dimension of every asset (assets.partitions): a run syncs or
verifies one province (or, for a backfill, a range of its nights), so provinces run side by side as
separate runs — locally in parallel processes, each on the multiprocess executor; on a cluster as
Kubernetes jobs or Celery tasks (docs/operations.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assets.partitions import ProvinceError, province_codes
from connectors.doc.client import DocumentDb
from connectors.dvc.client import DossierApi
from connectors.sec.client import SecurityApi
from dti.settings import get_settings, province_setting, read
from simulators.in_process import in_process_sources

__all__ = ["ProvinceConfig", "ProvinceError", "province_codes", "warehouses"]


@dataclass(frozen=True)
class ProvinceConfig:
    code: str
    database_url: str
    out_dir: Path
    sim_root: str | None

    @classmethod
    def from_env(cls, code: str, environ=None) -> ProvinceConfig:
        code = code.strip().upper()
        listed = province_codes(environ)
        if code not in listed:
            raise ProvinceError(f"Tỉnh {code} không có trong DTI_PROVINCES / province {code} is not listed in "
                                f"DTI_PROVINCES ({', '.join(listed) or 'trống / empty'})")
        url = province_setting(code, "DATABASE_URL", environ)
        if not url:
            raise ProvinceError(f"Thiếu DTI_{code}_DATABASE_URL / DTI_{code}_DATABASE_URL is not set: each province "
                                "needs its own warehouse")
        base_out = Path(read("DTI_OUT_DIR", environ) or "out")
        out = Path(province_setting(code, "OUT_DIR", environ) or base_out / code)
        return cls(code, url, out, province_setting(code, "SIM_ROOT", environ) or None)

    def connectors(self, environ=None) -> dict:
        """One fetcher per source: the bundled simulators when DTI_<CODE>_SIM_ROOT is set, else the real
        clients from DTI_<CODE>_DVC_BASE_URL/_DVC_TOKEN, _DOC_DATABASE_URL, _SEC_BASE_URL/_SEC_TOKEN."""
        if self.sim_root:
            res = in_process_sources(self.sim_root)
            return {"DVC": res["dvc"], "DOC": res["doc"], "SEC": res["sec"]}
        def need(name: str) -> str:
            value = province_setting(self.code, name, environ)
            if not value:
                raise ProvinceError(f"Thiếu / missing DTI_{self.code}_{name} for province {self.code}")
            return value

        return {"DVC": DossierApi(base_url=need("DVC_BASE_URL"), token=need("DVC_TOKEN")),
                "DOC": DocumentDb(url=need("DOC_DATABASE_URL")),
                "SEC": SecurityApi(base_url=need("SEC_BASE_URL"), token=need("SEC_TOKEN"))}


def warehouses(default_url: str) -> list[tuple[str | None, str | None, str]]:
    """(province, url, problem) for every warehouse this deployment writes: the one default warehouse,
    or one per province in DTI_PROVINCES (url None and the problem named when its settings are missing)."""
    codes = province_codes()
    if not codes:
        return [(None, default_url, "")]
    out: list[tuple[str | None, str | None, str]] = []
    for code in codes:
        try:
            out.append((code, ProvinceConfig.from_env(code).database_url, ""))
        except ProvinceError as exc:
            out.append((code, None, str(exc)))
    return out


def inboxes() -> list[tuple[str | None, Path, str | None]]:
    """(province, folder, warehouse url) for every inbox: DTI_INBOX_DIR itself for one province, or
    one sub-folder per province (DTI_INBOX_DIR/HN, …) importing into that province's warehouse."""
    root = get_settings().inbox_dir
    return [(None, root, None)] if not province_codes() else \
        [(code, root / code, url) for code, url, _problem in warehouses("")]
