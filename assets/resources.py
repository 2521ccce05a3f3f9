"""Resources: the warehouse and one connector per system of record, configured at run time."""

from __future__ import annotations

import dagster as dg

from connectors.resources import source_resources
from dti.settings import get_settings


class Warehouse(dg.ConfigurableResource):
    """The warehouse the pipeline writes to. Empty url: DTI_DATABASE_URL, else the SQLite default."""

    url: str = ""

    def resolved_url(self) -> str:
        return self.url or get_settings().database_url

    def out_dir(self):
        return get_settings().out_dir


def default_resources() -> dict:
    """Real systems of record: URLs and tokens as dg.EnvVar (resolved when a run starts), tuning from
    the environment (connectors.resources.source_resources)."""
    return {"warehouse": Warehouse(), **source_resources()}
