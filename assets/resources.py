"""Resources: the warehouse and one connector per system of record, configured at run time."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from connectors.resources import source_resources
from dti.settings import get_settings
from dti.warehouse import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse the pipeline writes to. Empty url: DTI_DATABASE_URL, else the SQLite default."""

    url: str = ""

    def open(self) -> Warehouse:
        return Warehouse(self.url or None)

    def out_dir(self) -> Path:
        return get_settings().out_dir


def default_resources() -> dict:
    """Real systems of record: URLs and tokens as dg.EnvVar (resolved when a run starts), tuning from
    the environment (connectors.resources.source_resources)."""
    return {"warehouse": WarehouseResource(), **source_resources()}
