"""The production connector resources, configured from the settings (dti.settings): URLs and secrets
through dg.EnvVar (resolved by Dagster at run time), tuning knobs read when this function is called."""

from __future__ import annotations

import dagster as dg

from connectors.doc.client import DocumentDb
from connectors.dvc.client import DossierApi
from connectors.sec.client import SecurityApi, SecurityCsvExport, SecurityFiles
from dti.settings import read, read_float, read_int, read_switch


def source_resources(env: dict[str, str] | None = None) -> dict[str, dg.ConfigurableResource]:
    """{"dvc", "doc", "sec"} resources for a Definitions object (keys match the assets' parameters)."""
    http = dict(
        connect_timeout=read_float("DTI_HTTP_CONNECT_TIMEOUT", env),
        read_timeout=read_float("DTI_HTTP_READ_TIMEOUT", env),
        max_retries=read_int("DTI_HTTP_MAX_RETRIES", env),
        max_total_wait_s=read_float("DTI_SOURCE_MAX_WAIT_S", env),
        max_response_s=read_float("DTI_HTTP_MAX_RESPONSE_S", env),
        max_body_bytes=read_int("DTI_HTTP_MAX_BODY_BYTES", env),
        page_size=read_int("DTI_HTTP_PAGE_SIZE", env),
        max_pages=read_int("DTI_SOURCE_MAX_PAGES", env),
        max_pull_s=read_float("DTI_SOURCE_MAX_PULL_S", env),
        gzip=read_switch("DTI_HTTP_GZIP", env),
    )
    mode = read("DTI_SEC_MODE", env).lower()
    if mode == "file":
        sec = SecurityFiles(path=read("DTI_SEC_PATH", env), mapping=read("DTI_SEC_MAPPING", env))
    else:
        sec_cls = SecurityCsvExport if mode == "csv" else SecurityApi
        sec = sec_cls(base_url=dg.EnvVar("DTI_SEC_BASE_URL"), token=dg.EnvVar("DTI_SEC_TOKEN"),
                      mapping=read("DTI_SEC_MAPPING", env), **http)
    return {
        "dvc": DossierApi(base_url=dg.EnvVar("DTI_DVC_BASE_URL"), token=dg.EnvVar("DTI_DVC_TOKEN"),
                          mapping=read("DTI_DVC_MAPPING", env), **http),
        "sec": sec,
        "doc": DocumentDb(url=dg.EnvVar("DTI_DOC_DATABASE_URL"), mapping=read("DTI_DOC_MAPPING", env)),
    }
