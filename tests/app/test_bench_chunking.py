"""The memory fix the bench led to gives exactly the results it replaced: chunked raw-record validation.
(Objective metrics are counted by SQL in the warehouse: tests/core/test_metrics_sql.py.)"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from dti.settings import TZ
from dti.sync import sync_source
from dti.warehouse import Warehouse, init_db
from dti.warehouse.db import get_engine
from expectations import raw_sources
from simulators.generator import generate
from simulators.in_process import DossierSimulator
from simulators.load import load_units


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """A tiny province synced in-process into its own SQLite warehouse, with planted bad rows."""
    root = tmp_path_factory.mktemp("chunking")
    generate(root / "sim", seed=5, scale="tiny")
    url = f"sqlite:///{root / 'warehouse.db'}"
    init_db(url)
    load_units(root / "sim", url)
    sync_source(
        "DVC",
        DossierSimulator(db_path=str(root / "sim" / "dvc.db")),
        url=url,
        batch_prefix="night",
        fetched_at=dt.datetime(2026, 1, 5, 6, 0, tzinfo=TZ),
    )
    with get_engine(url).begin() as conn:
        # Rows that break an ERROR check, spread across the table so several chunks hold some.
        conn.execute(
            sa.text(
                "UPDATE raw_dossiers SET components_reused = components_total + 1 "
                "WHERE source_id IN (SELECT source_id FROM raw_dossiers ORDER BY source_id DESC "
                "LIMIT 7) OR source_id IN (SELECT source_id FROM raw_dossiers ORDER BY source_id "
                "LIMIT 5)"
            )
        )
    return url


@pytest.mark.slow
def test_chunked_validation_reports_what_one_pass_reports(synced, monkeypatch):
    whole = raw_sources.validate_source(Warehouse(synced), "DVC", batch_prefix="night")
    monkeypatch.setattr(raw_sources, "CHUNK_ROWS", 400)
    chunked = raw_sources.validate_source(Warehouse(synced), "DVC", batch_prefix="night")

    assert whole.row_count > 400 * 2  # the small chunk really splits the batch
    assert chunked == whole
    reused = next(r for r in chunked.results if r.name == "reused_components_within_total")
    assert not reused.success and reused.failing_count == 12
    assert len(reused.failing_rows) == 12
    assert reused.failing_rows == sorted(reused.failing_rows, key=lambda r: (r["source_id"], r["unit_code"]))


def test_chunked_validation_of_an_empty_batch_passes_with_no_rows(synced):
    outcome = raw_sources.validate_source(Warehouse(synced), "DVC", batch_prefix="no-such-night")
    assert outcome.row_count == 0 and outcome.success
    # every check still reports (the asset checks need one result each)
    assert {r.name for r in outcome.results} == {c.name for c in raw_sources.SUITES["DVC"][0][2]}
