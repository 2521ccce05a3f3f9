"""Objective metrics equal the generator's record-by-record truth, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dti.intake.service import import_file
from dti.metrics import compute_metrics
from dti.reports.exports import ledger_csv, scores_csv
from dti.settings import TZ
from dti.verification.units import period_units
from dti.warehouse import Warehouse
from dti.warehouse.models import RawDossier, SourceStatus
from expectations.self_reports import check_self_reports
from simulators.generator import true_values
from tests.conftest import EXTERNAL_SHEET
from tests.pipeline_helpers import PERIOD, verified_province
from tests.raw_records import DOSSIER_FIELDS


def _compare(root, metrics):
    data = json.loads((root / "units.json").read_text(encoding="utf-8"))
    links = {link["predecessor_code"]: link["successor_code"] for link in data["links"]}
    truth = true_values(root, links, (dt.date(2025, 1, 1), dt.date(2025, 12, 31)))
    mismatches = []
    for m in metrics:
        t = truth.get((m.unit_code, m.metric))
        if (t is None) != (m.value is None) or (t is not None and abs(t - m.value) > Decimal("1e-12")):
            mismatches.append((m.unit_code, m.indicator_code, t, m.value, m.status))
    return mismatches


def test_metrics_match_record_by_record_truth(tmp_path, sqlite_url):
    root = tmp_path / "sim"
    _gen, result = verified_province(root, sqlite_url, seed=11, scale="demo")
    metrics = result["metrics"]
    assert len(metrics) > 200
    assert {m.status for m in metrics} == {"ok"}
    assert _compare(root, metrics) == []


def test_pre_merger_codes_count_for_the_successor(tmp_path, sqlite_url):
    """Records still carrying a merged department's old code are counted for its successor."""
    root = tmp_path / "sim"
    verified_province(root, sqlite_url, seed=3, scale="demo")
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:
        remapped = conn.execute(
            sa.select(sa.func.count())
            .select_from(RawDossier)
            .where(RawDossier.unit_code != RawDossier.source_unit_code)
        ).scalar()
        old_codes_left = conn.execute(
            sa.select(sa.func.count()).select_from(RawDossier).where(RawDossier.unit_code.like("000.00.9%"))
        ).scalar()
    assert remapped > 0
    assert old_codes_left == 0


def _due_day_dossiers(unit: str) -> list[RawDossier]:
    """Dossiers due at 17:00 on 10 May: finished that evening, the next day, still open, and a tombstone."""
    base = dict(
        DOSSIER_FIELDS,
        unit_code=unit,
        source_unit_code=unit,
        procedure_code="p",
        deleted=False,
        batch_id="x",
        checksum="x",
        fetched_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    due = dt.datetime(2025, 5, 10, 17, 0, tzinfo=TZ)
    return [
        RawDossier(
            source_id="on-time-late-evening",
            dossier_code="a",
            received_at=due - dt.timedelta(days=5),
            due_at=due,
            finished_at=due.replace(hour=21),
            status="done",
            updated_at=due,
            **base,
        ),
        RawDossier(
            source_id="late-next-day",
            dossier_code="b",
            received_at=due - dt.timedelta(days=5),
            due_at=due,
            finished_at=due + dt.timedelta(days=1),
            status="done",
            updated_at=due,
            **base,
        ),
        RawDossier(
            source_id="still-open",
            dossier_code="c",
            received_at=due - dt.timedelta(days=5),
            due_at=due,
            finished_at=None,
            status="processing",
            updated_at=due,
            **base,
        ),
        RawDossier(
            source_id="tombstone",
            dossier_code="d",
            received_at=due - dt.timedelta(days=5),
            due_at=due,
            finished_at=due + dt.timedelta(days=9),
            status="done",
            updated_at=due,
            **{**base, "deleted": True},
        ),
    ]


def test_on_time_is_compared_by_day_and_open_late_dossiers_count(tmp_path, sqlite_url):
    """A dossier finished at 21:00 on its due day is on time; one still open past its due date is late."""
    root = tmp_path / "sim"
    verified_province(root, sqlite_url, seed=5, scale="tiny")
    with Session(sa.create_engine(sqlite_url)) as s, s.begin():
        units = period_units(s, PERIOD)
        unit = next(u for u in units if u[1] == "dept_tthc")[0]
        s.execute(sa.delete(RawDossier).where(RawDossier.unit_code == unit))
        s.add_all(_due_day_dossiers(unit))
        assert s.get(SourceStatus, "DVC").ok
    metrics = {
        m.indicator_code: m
        for m in compute_metrics(
            PERIOD,
            [u for u in units if u[0] == unit],
            url=sqlite_url,
            as_of=dt.datetime(2026, 1, 6, tzinfo=TZ),
        )
    }
    f5 = metrics["F5"]
    assert (f5.numerator, f5.denominator) == (1, 3)
    assert f5.record_ids == ["late-next-day", "still-open"]


@pytest.mark.postgres
def test_postgres_warehouse_gives_the_same_ledger_as_sqlite(tmp_path, sqlite_url, pg_url):
    _g, on_sqlite = verified_province(tmp_path / "a", sqlite_url, seed=21, scale="tiny")
    _g, on_pg = verified_province(tmp_path / "b", pg_url, seed=21, scale="tiny")
    assert ledger_csv(on_pg["claims"]) == ledger_csv(on_sqlite["claims"])
    assert scores_csv(on_pg["scores"]) == scores_csv(on_sqlite["scores"])
    assert any(c.outcome == "discrepancy" for c in on_pg["claims"])


def test_units_filed_under_a_foreign_index_set_are_not_scored(tmp_path, sqlite_url):
    """The external commune sheet's unit keeps its own criteria; the pipeline does not score it as ours."""
    verified_province(tmp_path / "sim", sqlite_url, seed=4, scale="tiny")
    result = import_file(EXTERNAL_SHEET, "commune-sheet-2025", wh=Warehouse(sqlite_url), row_checks=check_self_reports,
                         period=PERIOD)
    assert result.summary["rows_accepted"] == 62
    with Session(sa.create_engine(sqlite_url)) as s:
        codes = {code for code, _t, _fw in period_units(s, PERIOD)}
    assert len(codes) == 5 and not any(code.startswith("EXT") for code in codes)
