"""Resources: the warehouse and one connector per system of record, configured at run time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from dti.settings import get_settings


class Warehouse(dg.ConfigurableResource):
    """The warehouse the pipeline writes to. Empty url: DTI_DATABASE_URL, else the SQLite default."""

    url: str = ""

    def resolved_url(self) -> str:
        return self.url or get_settings().database_url

    def out_dir(self):
        return get_settings().out_dir


def simulator_resources(root: str, *, url: str = "") -> dict:
    """The bundled simulators read in-process (tests and offline runs)."""
    from connectors.doc.client import DocumentDb
    from connectors.dvc.simulator import DossierSimulator
    from connectors.sec.simulator import SecuritySimulator

    return {
        "warehouse": Warehouse(url=url),
        "dvc": DossierSimulator(db_path=f"{root}/dvc.db"),
        "doc": DocumentDb(url=f"sqlite:///{root}/doc.db"),
        "sec": SecuritySimulator(db_path=f"{root}/sec.db"),
    }


def default_resources() -> dict:
    """Real systems of record: URLs and tokens as dg.EnvVar (resolved when a run starts), tuning from
    the environment (connectors.resources.source_resources)."""
    from connectors.resources import source_resources

    return {"warehouse": Warehouse(), **source_resources()}


@contextmanager
def connector_resources(sim_root: Path, *, faults: str = "none", seed: int = 0) -> Iterator[dict]:
    """The real clients (DVC and SEC over HTTP, DOC over SQL) pointed at the bundled simulators,
    served on loopback for as long as the block runs, with an optional fault profile."""
    from connectors.simulated import http_simulator_resources

    with http_simulator_resources(sim_root, faults=faults, seed=seed) as resources:
        yield resources
