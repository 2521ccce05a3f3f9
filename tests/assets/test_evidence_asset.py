"""The evidence_reads asset: a period's uploads read and checked in one run, only new ones the next night,
with what it did in its metadata; it runs in the verify_period job after each sync."""

from __future__ import annotations

import dagster as dg

from assets.evidence import evidence_reads
from assets.resources import WarehouseResource
from dti.evidence.store import period_verdicts
from dti.warehouse import Warehouse
from tests.evidence_fixtures import PERIOD, Filing, file_evidence, seed_evidence_world

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _materialize(url: str):
    result = dg.materialize([evidence_reads], partition_key=PERIOD, resources={"warehouse": WarehouseResource(url=url)},
                            instance=dg.DagsterInstance.ephemeral(), run_config=QUIET)
    assert result.success
    mat = result.asset_materializations_for_node("evidence_reads")[0]
    checks = result.get_asset_check_evaluations()
    return {k: v.value for k, v in mat.metadata.items()}, checks


def test_the_asset_reads_each_upload_once_and_checks_every_filing(warehouse):
    seed_evidence_world(warehouse)
    file_evidence(warehouse, [Filing("decision-scan.pdf", "D01", "A1"), Filing("province-plan.pdf", "D02", "B1"),
                              Filing("notice-form.pdf", "D03", "A2")])
    meta, checks = _materialize(warehouse)
    assert (meta["filings"], meta["files_read"], meta["cache_hits"], meta["ocr_pages"]) == (3, 3, 0, 1)
    assert meta["dagster/row_count"] == 3 and meta["unreadable"] == 0 and meta["deferred"] == 0
    assert (meta["verdict_evidence_ok"], meta["verdict_evidence_blank_template"]) == (2, 1)
    assert "Mẫu trống, chưa điền (evidence_blank_template) | 1" in meta["verdicts"]
    assert [(c.check_name, c.passed) for c in checks] == [("every_filing_read", True)]

    file_evidence(warehouse, [Filing("province-plan-scan.pdf", "D03", "B1")])  # tonight's upload
    meta, _ = _materialize(warehouse)
    assert (meta["filings"], meta["files_read"], meta["cache_hits"]) == (4, 1, 3)
    assert meta["verdict_evidence_shared"] == 2  # the new scan and the plan D02 filed earlier
    with Warehouse(warehouse).session() as s:
        assert all(f.verdict is not None for files in period_verdicts(s, PERIOD).values() for f in files)


def test_the_asset_runs_in_the_period_job_after_the_document_sync():
    from pipelines.definitions import defs

    repo = defs.get_repository_def()
    job = repo.get_job("verify_period")
    selected = job.asset_layer.executable_asset_keys
    assert dg.AssetKey("evidence_reads") in selected and dg.AssetKey("doc_records") not in selected
    deps = repo.asset_graph.get(dg.AssetKey("evidence_reads")).parent_keys
    assert deps == {dg.AssetKey("doc_records")}
