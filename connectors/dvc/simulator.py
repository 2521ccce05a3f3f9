"""The bundled DVC simulator read in-process (no HTTP): the offline implementation of DossierSource."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from connectors.base import DossierSource
from connectors.simfile import iter_sim_records


class DossierSimulator(DossierSource):
    db_path: str  # dvc.db written by dti.simulate.generator

    def fetch(self, entity: str, since: dt.datetime | None = None) -> Iterator[dict]:
        self.check_entity(entity)
        yield from iter_sim_records(self.system, self.db_path, entity, since)
