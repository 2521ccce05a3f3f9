"""What an import of one self-assessment file gives back, and the declarative row checks intake runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


class CheckOutcome(Protocol):
    """One declarative check over the rows (the shape of a Great Expectations result)."""

    name: str
    severity: str
    success: bool
    column: str | None
    failing_count: int
    failing_rows: list[dict]


class ChecksOutcome(Protocol):
    results: list[CheckOutcome]


# The declarative checks run over the rows the domain rules accepted, keyed by `row_key`. The core does
# not run Great Expectations itself: the caller passes expectations.self_reports.check_self_reports in.
RowChecks = Callable[[list[dict]], ChecksOutcome]


class IntakeError(Exception):
    """The file was refused before anything was stored (missing, too large, unknown mapping)."""


@dataclass
class ImportResult:
    file_id: str
    filename: str
    status: str  # imported / partial / rejected
    summary: dict[str, Any]
    already_imported: bool = False
    rejected_rows: list[dict] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return self.summary.get("rows_read", 0)

    @property
    def rows_accepted(self) -> int:
        return self.summary.get("rows_accepted", 0)

    @property
    def rows_rejected(self) -> int:
        return self.summary.get("rows_rejected", 0)

    @property
    def error(self) -> dict | None:
        return self.summary.get("error")

    def to_dict(self) -> dict:
        return {**self.summary, "already_imported": self.already_imported}
