"""The real clients pointed at the bundled HTTP simulators, with settings sized for the demo: short
timeouts and a wait cap of a few seconds, so a fault profile shows its effect quickly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from connectors.doc.client import DocumentDb
from connectors.dvc.client import DossierApi
from connectors.sec.client import SecurityApi
from simulators.server import SimulatorServer

# The simulator's slow fault holds a response 1.5 s: a 1 s read timeout turns it into a timeout.
DEMO_HTTP = dict(
    connect_timeout=1.0,
    read_timeout=1.0,
    max_retries=6,
    max_total_wait_s=5.0,
    backoff_base_s=0.05,
    backoff_max_s=1.0,
    max_response_s=10.0,
)


@contextmanager
def http_simulator_resources(root: str | Path, *, faults: str = "none", seed: int = 0) -> Iterator[dict]:
    """{"dvc", "doc", "sec"} resources reading the generated province in `root` over loopback HTTP
    (DOC: its SQLite file).

    DVC pages of 500 and SEC pages of 50, so even a small province makes enough requests for the
    flaky profile's faults to land on both systems.
    """
    with SimulatorServer(root, faults=faults, seed=seed) as server:
        yield {
            "dvc": DossierApi(
                base_url=server.dvc_url, token=server.token, page_size=500, jitter_seed=seed, **DEMO_HTTP
            ),
            "sec": SecurityApi(
                base_url=server.sec_url, token=server.token, page_size=50, jitter_seed=seed, **DEMO_HTTP
            ),
            "doc": DocumentDb(url=server.doc_url),
        }
