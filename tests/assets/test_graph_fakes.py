"""The asset graph on small hand-written fakes (no generated province): three documents and two dossiers
of one unit go through the sync assets and the period assets, and the claims come out as a person would
work them out by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import dagster as dg
import sqlalchemy as sa

from assets.reports import council_reports
from assets.resources import WarehouseResource
from assets.sources import doc_records, dvc_records, sec_records
from assets.verification import claim_ledger, objective_metrics, self_reports, verified_scores
from connectors.base import DocumentSource, DossierSource, SecuritySource
from dti.intake.store import add_submission
from dti.settings import TZ
from dti.units import Unit, UnitRegistry, save_registry
from dti.warehouse import Warehouse
from dti.warehouse.models import ClaimLedgerRow, SelfReport, UnitScore

PERIOD = "2025-R3"
UNIT = "000.00.77.H99"
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
STAMP = "2025-06-01T09:00:00+07:00"


def _doc(i: int, signed: bool, confidential: bool = False) -> dict:
    return {"source_id": f"VB-{i}", "unit_code": UNIT, "updated_at": dt.datetime.fromisoformat(STAMP),
            "deleted": False, "direction": "out", "number": str(i), "notation": "KH-UBND",
            "issue_date": dt.date(2025, 3, i), "doc_type": "KH", "topic_dx": False, "signer_role": "head",
            "digitally_signed": signed, "inter_agency": False, "via_axis": False, "axis_status": None,
            "confidential": confidential, "work_file": False, "work_file_online": False, "summary": None}


class FakeDocuments(DocumentSource):
    """Three outgoing documents, two signed, and a confidential one that no ratio counts."""

    def fetch(self, entity: str, since: dt.datetime | None = None) -> Iterator[dict]:
        if entity == "documents":
            yield from (_doc(1, True), _doc(2, True), _doc(3, False), _doc(4, False, confidential=True))


class NoDossiers(DossierSource):
    def fetch(self, entity: str, since: dt.datetime | None = None) -> Iterator[dict]:
        yield from ()


class NoIncidents(SecuritySource):
    def fetch(self, entity: str, since: dt.datetime | None = None) -> Iterator[dict]:
        yield from ()


def _province(url: str) -> None:
    wh = Warehouse(url).migrate()
    with wh.transaction() as s:
        save_registry(s, UnitRegistry([Unit(code=UNIT, name_vi="Sở Thử nghiệm", unit_type="dept_tthc",
                                            province_code="H99", valid_from=dt.date(2020, 1, 1))]))
        sub = add_submission(s, unit_code=UNIT, period=PERIOD, framework_id="default-dept-2025", file_sha256=None,
                             submitted_at=dt.datetime(2025, 11, 1, tzinfo=TZ), deadline=None, is_late=False,
                             source="test")
        for code, value in (("F12", "0.95"), ("D3", "0.5")):  # F12 claims 95 % signed; the records say 2 of 3
            s.add(SelfReport(submission_id=sub.id, unit_code=UNIT, period=PERIOD, indicator_code=code,
                             value=Decimal(value)))


def test_the_graph_on_hand_written_fakes(sqlite_url):
    _province(sqlite_url)
    warehouse = WarehouseResource(url=sqlite_url)
    instance = dg.DagsterInstance.ephemeral()
    synced = dg.materialize([dvc_records, doc_records, sec_records], partition_key="2026-01-05", instance=instance,
                            resources={"warehouse": warehouse, "dvc": NoDossiers(), "doc": FakeDocuments(),
                                       "sec": NoIncidents()}, run_config=QUIET)
    assert synced.success
    verified = dg.materialize([objective_metrics, self_reports, claim_ledger, verified_scores, council_reports],
                              partition_key=PERIOD, instance=instance, resources={"warehouse": warehouse},
                              run_config={**QUIET, "ops": {"objective_metrics": {"config": {
                                  "as_of": "2026-01-05T08:00:00+07:00"}}}})
    assert verified.success
    with Warehouse(sqlite_url).session() as s:
        f12 = s.get(ClaimLedgerRow, (UNIT, PERIOD, "F12"))
        f5 = s.get(ClaimLedgerRow, (UNIT, PERIOD, "F5"))
        score = s.scalar(sa.select(UnitScore).where(UnitScore.unit_code == UNIT))
    # 2 signed of 3 outgoing non-confidential documents; the unit said 95 %
    assert (f12.objective_numerator, f12.objective_denominator) == (Decimal(2), Decimal(3))
    assert f12.objective_value.quantize(Decimal("0.0001")) == Decimal("0.6667")
    assert f12.outcome == "discrepancy" and f12.direction == "over"
    assert f5.outcome == "missing_self_report"  # the unit said nothing, and the DVC has no dossier of it
    assert score.verified_total <= score.self_total
