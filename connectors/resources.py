"""The production connector resources, configured from the environment: URLs and secrets through
dg.EnvVar (resolved by Dagster at run time), tuning knobs read when this function is called."""

from __future__ import annotations

import os

import dagster as dg

from connectors.doc.client import DocumentDb
from connectors.dvc.client import DossierApi
from connectors.sec.client import SecurityApi, SecurityCsvExport


def _num(env: dict[str, str], name: str, default: float, kind=float):
    value = env.get(name)
    if value in (None, ""):
        return kind(default)
    try:
        return kind(value)
    except ValueError:
        raise ValueError(f"{name}={value!r}: cần một số / expected a number") from None


def _switch(env: dict[str, str], name: str) -> bool | None:
    """auto (or unset) → None; true/false in the usual spellings."""
    value = (env.get(name) or "auto").strip().lower()
    if value == "auto":
        return None
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name}={value!r}: cần auto, true hoặc false / expected auto, true or false")


def source_resources(env: dict[str, str] | None = None) -> dict[str, dg.ConfigurableResource]:
    """{"dvc", "doc", "sec"} resources for a Definitions object (keys match the assets' parameters)."""
    env = dict(os.environ if env is None else env)
    http = dict(
        connect_timeout=_num(env, "DTI_HTTP_CONNECT_TIMEOUT", 5.0),
        read_timeout=_num(env, "DTI_HTTP_READ_TIMEOUT", 30.0),
        max_retries=_num(env, "DTI_HTTP_MAX_RETRIES", 6, int),
        max_total_wait_s=_num(env, "DTI_SOURCE_MAX_WAIT_S", 120.0),
        max_response_s=_num(env, "DTI_HTTP_MAX_RESPONSE_S", 120.0),
        page_size=_num(env, "DTI_HTTP_PAGE_SIZE", 500, int),
        gzip=_switch(env, "DTI_HTTP_GZIP"),
    )
    sec_cls = SecurityCsvExport if env.get("DTI_SEC_MODE", "api").lower() == "csv" else SecurityApi
    return {
        "dvc": DossierApi(base_url=dg.EnvVar("DTI_DVC_BASE_URL"), token=dg.EnvVar("DTI_DVC_TOKEN"), **http),
        "sec": sec_cls(base_url=dg.EnvVar("DTI_SEC_BASE_URL"), token=dg.EnvVar("DTI_SEC_TOKEN"), **http),
        "doc": DocumentDb(url=dg.EnvVar("DTI_DOC_DATABASE_URL"), mapping=env.get("DTI_DOC_MAPPING", "qlvb-vn")),
    }
