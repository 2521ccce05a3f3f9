"""The bundled SEC simulator read in-process (no HTTP): the offline implementation of SecuritySource."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from connectors.base import SecuritySource
from connectors.simfile import iter_sim_records


class SecuritySimulator(SecuritySource):
    db_path: str  # sec.db written by dti.simulate.generator

    def fetch(self, entity: str, since: dt.datetime | None = None) -> Iterator[dict]:
        self.check_entity(entity)
        yield from iter_sim_records(self.system, self.db_path, entity, since)
