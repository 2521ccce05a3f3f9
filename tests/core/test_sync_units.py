"""Old unit codes through the sync: each record is kept under the unit the registry (dti.units) makes
responsible on the day of the sync; a unit split between successors is never guessed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dti.settings import TZ
from dti.sync import sync_source
from dti.units import load_registry_file, save_registry
from dti.warehouse import session_scope
from dti.warehouse.db import get_engine
from dti.warehouse.models import RawDossier
from tests.raw_records import DOSSIER_FIELDS

NIGHT1 = dt.datetime(2026, 1, 6, 1, 0, tzinfo=TZ)

SAMPLE_UNITS = Path(__file__).resolve().parents[1] / "data" / "units-sample.yaml"


def _dossier(source_id: str, unit: str) -> dict:
    """A dossier as a source delivers it, under the unit code the source wrote."""
    at = dt.datetime(2025, 9, 1, 8, 0, tzinfo=TZ)
    return dict(
        DOSSIER_FIELDS,
        source_id=source_id,
        unit_code=unit,
        dossier_code=source_id,
        procedure_code="p",
        received_at=at,
        due_at=at + dt.timedelta(days=5),
        finished_at=None,
        status="processing",
        e_result=False,
        satisfaction=None,
        updated_at=at,
        deleted=False,
    )


class _HandMadeDvc:
    """A DVC source holding one dossier per unit code; remembers the codes each per-unit read asked for."""

    def __init__(self, codes: list[str]):
        self.codes, self.asked = codes, []

    def fetch(self, entity, since, unit=None):
        if unit is not None:
            self.asked.append((entity, list(unit)))
        if entity != "dossiers":
            return iter(())
        return iter(_dossier(f"D-{code}", code) for code in self.codes if unit is None or code in unit)


@pytest.fixture
def sample_units(warehouse):
    """A warehouse holding the sample registry: 2020 and 2025 mergers, a district abolished, a commune split."""
    with session_scope(warehouse) as session:
        save_registry(session, load_registry_file(SAMPLE_UNITS))
    return warehouse


def _kept_under(url) -> dict[str, str]:
    with Session(get_engine(url)) as s:
        return dict(s.execute(sa.select(RawDossier.source_unit_code, RawDossier.unit_code)).all())


def test_records_under_old_codes_land_on_the_successor_and_a_split_unit_is_not_guessed(sample_units):
    codes = ["X-BXA-01", "X-BXA-02", "X-VYE-01", "X-VYE-03", "H-BXA", "X-LCA-2025-31", "X-ZZZ-99"]
    result = sync_source("DVC", _HandMadeDvc(codes), url=sample_units, batch_prefix="n1", fetched_at=NIGHT1)[
        1
    ]
    assert _kept_under(sample_units) == {
        "X-BXA-01": "X-LCA-2025-07",
        "X-BXA-02": "X-LCA-2025-07",
        "X-VYE-01": "X-LCA-2025-31",
        "X-VYE-03": "X-VYE-03",  # split between X-LCA-2025-31 and -32: kept and reported, for a person to map
        "H-BXA": "H-BXA",
        "X-LCA-2025-31": "X-LCA-2025-31",
        "X-ZZZ-99": "X-ZZZ-99",
    }
    assert (result.records, result.remapped_units) == (7, 3)
    assert (result.unmapped_units, result.unmapped_codes) == (1, ("X-VYE-03",))


def test_a_sync_before_a_merger_takes_effect_keeps_the_old_code(sample_units):
    eve = dt.datetime(2025, 6, 30, 23, 0, tzinfo=TZ)  # the communes merge on 1 July
    result = sync_source(
        "DVC",
        _HandMadeDvc(["X-BXA-01", "X-BXA-02", "X-VYE-03", "S-TTTT-LCA"]),
        url=sample_units,
        batch_prefix="n0",
        fetched_at=eve,
    )[1]
    assert _kept_under(sample_units) == {
        "X-BXA-01": "X-BXA-02",
        "X-BXA-02": "X-BXA-02",
        "X-VYE-03": "X-VYE-03",
        "S-TTTT-LCA": "S-KHCN-LCA",
    }
    assert result.unmapped_units == 0  # not split yet


def test_a_unit_synced_on_its_own_reads_its_predecessors_and_the_split_unit(sample_units):
    dvc = _HandMadeDvc(["X-VYE-01", "X-VYE-02", "X-VYE-03", "X-LCA-2025-31", "X-LCA-2025-32"])
    results = sync_source(
        "DVC", dvc, url=sample_units, batch_prefix="u1", fetched_at=NIGHT1, units=["X-LCA-2025-31"]
    )
    read = ["X-LCA-2025-31", "X-VYE-01", "X-VYE-03"]
    assert dvc.asked == [("procedures", read), ("dossiers", read)]
    assert _kept_under(sample_units) == {
        "X-LCA-2025-31": "X-LCA-2025-31",
        "X-VYE-01": "X-LCA-2025-31",
        "X-VYE-03": "X-VYE-03",
    }
    assert results[1].unmapped_codes == ("X-VYE-03",)
