"""The small adapter that runs a Great Expectations (GX Core 1.x) suite on a DataFrame.

`dagster-ge` does not support GX 1.x, so this module turns a validation into a `SuiteOutcome` that
asset checks, intake and the warehouse history can all use. GX is imported lazily (≈3 s) and runs
in an ephemeral context with its progress bars off.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

_lock = threading.Lock()
_context = None
ERROR = "ERROR"
WARN = "WARN"


@dataclass
class ExpectationOutcome:
    name: str  # the check's predicate name, e.g. rates_between_0_and_1
    expectation: str  # the GX expectation type
    column: str | None
    severity: str
    success: bool
    failing_count: int
    failing_rows: list[dict[str, Any]] = field(default_factory=list)  # business keys + value


@dataclass
class SuiteOutcome:
    suite: str
    row_count: int
    results: list[ExpectationOutcome]

    @property
    def success(self) -> bool:
        return all(r.success for r in self.results)

    def failed(self, severity: str | None = None) -> list[ExpectationOutcome]:
        return [r for r in self.results if not r.success and (severity is None or r.severity == severity)]


# check name → (Vietnamese, English): what passing means, as people read it (filled as suites are defined).
CHECK_WORDS: dict[str, tuple[str, str]] = {}


@dataclass
class Check:
    """One named expectation with its severity and what passing means in both languages. The name is a
    predicate that holds when the check passes. `build` returns a GX expectation instance."""

    name: str
    severity: str
    build: Callable[[Any], Any]  # receives the `great_expectations.expectations` module
    vi: str = ""
    en: str = ""

    def __post_init__(self) -> None:
        if not (self.vi and self.en):
            raise ValueError(f"check {self.name}: cần mô tả hai thứ tiếng / needs a Vietnamese and English "
                             "description")
        CHECK_WORDS[self.name] = (self.vi, self.en)


def check_words(name: str) -> tuple[str, str]:
    """(Vietnamese, English) description of a check; its name for both when none is registered."""
    return CHECK_WORDS.get(name, (name, name))


def _gx_context():
    global _context
    with _lock:
        if _context is None:
            # lazy: Great Expectations takes ~3 s to import; only runs that validate pay for it.
            import great_expectations as gx  # noqa: PLC0415
            from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: PLC0415

            ctx = gx.get_context(mode="ephemeral")
            ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            _context = ctx
        return _context


def _json_safe(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def run_suite(df: pd.DataFrame, suite_name: str, checks: Sequence[Check],
              key_columns: Sequence[str]) -> SuiteOutcome:
    """Validate `df` against `checks`; failing rows come back with their business keys."""
    import great_expectations as gx  # noqa: PLC0415 - lazy: ~3 s to import, paid only when validating

    ctx = _gx_context()
    frame = df.reset_index(drop=True)
    with _lock:
        # Names are reused across runs; a fresh data source each time keeps runs independent.
        source_name = f"ds_{suite_name}"
        try:
            ctx.data_sources.delete(source_name)
        except Exception:  # noqa: BLE001 - absent on the first run
            pass
        asset = ctx.data_sources.add_pandas(source_name).add_dataframe_asset("frame")
        batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
            batch_parameters={"dataframe": frame}
        )
    suite = gx.ExpectationSuite(name=suite_name)
    by_id: dict[int, Check] = {}
    for check in checks:
        exp = check.build(gx.expectations)
        exp.meta = {"check": check.name, "severity": check.severity}
        suite.add_expectation(exp)
        by_id[id(exp)] = check
    keys = [k for k in key_columns if k in frame.columns]
    fmt: dict[str, Any] = {"result_format": "COMPLETE"}
    if keys:
        fmt["unexpected_index_column_names"] = list(keys)
    if len(frame) == 0:
        results = [ExpectationOutcome(c.name, "", None, c.severity, True, 0) for c in checks]
        return SuiteOutcome(suite_name, 0, results)
    try:
        validation = batch.validate(suite, result_format=fmt)
    finally:
        # GX keeps the batch in reference cycles, which only a full garbage collection frees; emptied
        # here, the frame's columns go at once, so validating chunk after chunk stays within one chunk's
        # memory (a 5 M-dossier batch: 430 MB instead of 1 GB, without a 3.7 s gc.collect() per batch).
        frame.drop(columns=list(frame.columns), inplace=True)
    outcomes: list[ExpectationOutcome] = []
    for res in validation.results:
        cfg = res.expectation_config
        meta = cfg.meta or {}
        column = cfg.kwargs.get("column")
        result = res.result or {}
        failing: list[dict[str, Any]] = []
        for item in result.get("unexpected_index_list") or []:
            if isinstance(item, dict):
                failing.append({k: _json_safe(v) for k, v in item.items()})
            else:  # a positional index when no key columns were given
                failing.append({"row": _json_safe(item)})
        count = result.get("unexpected_count")
        if count is None:
            count = 0 if res.success else max(1, len(failing))
        failing.sort(key=lambda r: tuple(str(r.get(k)) for k in keys) if keys else str(r))
        outcomes.append(ExpectationOutcome(
            name=meta.get("check", cfg.type), expectation=cfg.type, column=column,
            severity=meta.get("severity", ERROR), success=bool(res.success),
            failing_count=int(count), failing_rows=failing[:200],
        ))
    outcomes.sort(key=lambda o: o.name)
    return SuiteOutcome(suite_name, len(frame), outcomes)
