"""The Dagster code location: `dagster dev` and `dagster definitions validate` load this module."""

from __future__ import annotations

import dagster as dg

from assets.reports import council_reports
from assets.sources import doc_records, dvc_records, sec_records
from assets.verification import claim_ledger, objective_metrics, self_reports, verified_scores
from pipelines.freshness import FRESHNESS_CHECKS, with_freshness_policy
from pipelines.jobs import intake_job, sync_job, verify_job
from pipelines.provinces import build_provinces_job, verify_provinces
from pipelines.resources import default_resources
from pipelines.schedules import SCHEDULES
from pipelines.sensors import SENSORS

ASSETS = [dvc_records, doc_records, sec_records, objective_metrics, self_reports, claim_ledger, verified_scores, council_reports]

def build_definitions(provinces_executor: dg.ExecutorDefinition | None = None) -> dg.Definitions:
    """The code location; a cluster deployment passes its executor (k8s_job_executor, celery_executor)
    for the multi-province job, which runs on the multiprocess executor otherwise."""
    provinces = build_provinces_job(provinces_executor) if provinces_executor else verify_provinces
    return dg.Definitions(
        assets=with_freshness_policy(ASSETS),
        asset_checks=FRESHNESS_CHECKS,
        jobs=[sync_job, verify_job, intake_job, provinces],
        schedules=SCHEDULES,
        sensors=SENSORS,
        resources=default_resources(),
    )


defs = build_definitions()
