"""The one way in for each system of record: an abstract Dagster resource per system.

Every implementation yields *canonical records*: dicts whose keys are the columns of the matching
raw table in dti.warehouse.models (source_id, unit_code as the source wrote it, updated_at, deleted,
and the entity's fields) with Python values (aware datetimes, dates, bools, ints, strings).
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import ClassVar

import dagster as dg

from dti.sync.errors import SourceCutShort


class SourceError(RuntimeError):
    """A system of record could not be read. The message is for a data engineer: what, where, why."""

    def __init__(self, system: str, message: str):
        self.system = system
        super().__init__(f"[{system}] {message}")


class SchemaDriftError(SourceError):
    """A record lacks a field we rely on, or a field changed name/type."""

    def __init__(self, system: str, entity: str, field: str, detail: str = ""):
        self.entity = entity
        self.field = field
        super().__init__(system, f"trường '{field}' của '{entity}' bị thiếu hoặc đổi tên / field '{field}' of "
                                 f"'{entity}' is missing or renamed{': ' + detail if detail else ''}")


class SourceIncomplete(SourceError, SourceCutShort):
    """A pull that ended without everything the source holds for the window: a cursor that did not move
    on, records served again under a new cursor, a page or time limit, a count that falls short. What
    arrived may be upserted, but the sync moves no watermark and the source's claims stay unverifiable."""

    def __init__(self, system: str, entity: str, reason: str, message: str):
        self.entity = entity
        self.reason = reason  # a short code: cursor_stalled, records_repeated, page_limit, time_limit, …
        super().__init__(system, f"{entity}: {message}")


class SystemOfRecord(dg.ConfigurableResource, ABC):
    """Common shape: `fetch(entity, since)` streams canonical records updated at or after `since`."""

    system: ClassVar[str] = ""
    entities: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def fetch(self, entity: str, since: dt.datetime | None = None) -> Iterator[dict]:
        """Records of `entity` with updated_at >= since (all when since is None), oldest first."""

    def expected_count(self) -> int | None:
        """How many records the last pull's source said it held for the window (None: it did not say).
        The sync checks what arrived against it."""
        return None

    def check_entity(self, entity: str) -> None:
        if entity not in self.entities:
            raise SourceError(self.system, f"không có loại bản ghi '{entity}' / unknown entity; có: {self.entities}")


class DossierSource(SystemOfRecord, ABC):
    """DVC: the public-service dossier system (procedures and dossiers)."""

    system: ClassVar[str] = "DVC"
    entities: ClassVar[tuple[str, ...]] = ("procedures", "dossiers")


class DocumentSource(SystemOfRecord, ABC):
    """DOC: the document management system (documents and the staff who sign them)."""

    system: ClassVar[str] = "DOC"
    entities: ClassVar[tuple[str, ...]] = ("documents", "staff")


class SecuritySource(SystemOfRecord, ABC):
    """SEC: security monitoring (incidents and inventories)."""

    system: ClassVar[str] = "SEC"
    entities: ClassVar[tuple[str, ...]] = ("incidents", "inventories")
