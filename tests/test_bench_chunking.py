"""The memory fixes the bench led to give exactly the results they replaced: chunked raw-record
validation and unit-batched objective metrics."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from dti.settings import TZ


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """A tiny province synced in-process into its own SQLite warehouse, with planted bad rows."""
    from connectors.dvc.simulator import DossierSimulator
    from dti.simulate.generator import generate
    from dti.simulate.load import load_units
    from dti.sync import sync_source
    from dti.warehouse import init_db
    from dti.warehouse.db import get_engine

    root = tmp_path_factory.mktemp("chunking")
    generate(root / "sim", seed=5, scale="tiny")
    url = f"sqlite:///{root / 'warehouse.db'}"
    init_db(url)
    load_units(root / "sim", url)
    sync_source("DVC", DossierSimulator(db_path=str(root / "sim" / "dvc.db")), url=url, batch_prefix="night",
                fetched_at=dt.datetime(2026, 1, 5, 6, 0, tzinfo=TZ))
    with get_engine(url).begin() as conn:
        # Rows that break an ERROR check, spread across the table so several chunks hold some.
        conn.execute(sa.text("UPDATE raw_dossiers SET components_reused = components_total + 1 "
                             "WHERE source_id IN (SELECT source_id FROM raw_dossiers ORDER BY source_id DESC "
                             "LIMIT 7) OR source_id IN (SELECT source_id FROM raw_dossiers ORDER BY source_id "
                             "LIMIT 5)"))
    return url


@pytest.mark.slow
def test_chunked_validation_reports_what_one_pass_reports(synced, monkeypatch):
    from expectations import raw_sources

    whole = raw_sources.validate_source("DVC", batch_prefix="night", url=synced)
    monkeypatch.setattr(raw_sources, "CHUNK_ROWS", 400)
    chunked = raw_sources.validate_source("DVC", batch_prefix="night", url=synced)

    assert whole.row_count > 400 * 2  # the small chunk really splits the batch
    assert chunked == whole
    reused = next(r for r in chunked.results if r.name == "reused_components_within_total")
    assert not reused.success and reused.failing_count == 12
    assert len(reused.failing_rows) == 12
    assert reused.failing_rows == sorted(reused.failing_rows, key=lambda r: (r["source_id"], r["unit_code"]))


def test_chunked_validation_of_an_empty_batch_passes_with_no_rows(synced):
    from expectations import raw_sources

    outcome = raw_sources.validate_source("DVC", batch_prefix="no-such-night", url=synced)
    assert outcome.row_count == 0 and outcome.success
    # every check still reports (the asset checks need one result each)
    assert {r.name for r in outcome.results} == {c.name for c in raw_sources.SUITES["DVC"][0][2]}


def test_unit_batches_give_the_same_metrics_as_one_read(synced, monkeypatch):
    from dti import metrics
    from dti.framework import load_all
    from dti.sync import _set_status
    from dti.warehouse.db import get_engine
    from dti.warehouse.models import Unit

    with get_engine(synced).connect() as conn:
        units = [(code, utype) for code, utype in conn.execute(
            sa.select(Unit.code, Unit.unit_type).where(Unit.valid_to.is_(None)).order_by(Unit.code))]
    frameworks = load_all()
    specs = []
    for code, utype in units:
        fw = next(f for f in sorted(frameworks.values(), key=lambda f: f.id)
                  if any(t.type == utype for t in f.unit_types) and f.valid_from.year <= 2025
                  and (f.valid_to is None or f.valid_to.year >= 2025))
        specs.append((code, utype, fw))
    for source in ("DOC", "SEC"):  # only DVC was synced: the others read as down, the same both ways
        _set_status(synced, source, False, dt.datetime(2026, 1, 5, 6, 0, tzinfo=TZ), "not synced in this test")
    as_of = dt.datetime(2026, 1, 5, 7, 0, tzinfo=TZ)

    one = metrics.compute_metrics("2025-R3", specs, url=synced, as_of=as_of)
    monkeypatch.setattr(metrics, "ROW_BUDGET", 400)  # tiny units hold ~300 dossiers: about one per batch
    cut = []
    real = metrics._unit_batches
    monkeypatch.setattr(metrics, "_unit_batches", lambda conn, codes: cut.append(real(conn, codes)) or cut[-1])
    batched = metrics.compute_metrics("2025-R3", specs, url=synced, as_of=as_of)
    assert len(cut[0]) >= 4 and [c for b in cut[0] for c in b] == sorted(c for c, _u, _f in specs)

    assert len(specs) >= 4
    assert batched == one
    assert sum(1 for m in one if m.source == "DVC" and m.status == "ok") > 10
