"""The code location: `dagster dev` and `dagster definitions validate` load this module.

With DTI_PROVINCES unset (one province) the sync assets are partitioned by night and the period
assets by period; with it set, both gain a `province` dimension (assets.partitions)."""

from __future__ import annotations

import dagster as dg

from assets.evidence import build_evidence_assets
from assets.partitions import province_codes, source_partitions, verification_partitions
from assets.reports import build_report_assets
from assets.resources import default_resources
from assets.sources import build_source_assets
from assets.verification import build_verification_assets
from pipelines.celery import configured_executor
from pipelines.freshness import FRESHNESS_CHECKS, with_freshness_policy
from pipelines.jobs import intake_job, sync_job, verify_job
from pipelines.schedules import SCHEDULES
from pipelines.sensors import SENSORS


def build_assets(provinces: list[str]) -> list[dg.AssetsDefinition]:
    periods = verification_partitions(provinces)
    return [*build_source_assets(source_partitions(provinces)),
            *build_verification_assets(periods, provinces), *build_evidence_assets(periods, provinces),
            *build_report_assets(periods)]


def build_definitions(provinces: list[str] | None = None,
                      executor: dg.ExecutorDefinition | None = None) -> dg.Definitions:
    """`provinces`: default DTI_PROVINCES. `executor`: default the one DTI_EXECUTOR names — Dagster's
    multiprocess executor, or Celery workers (pipelines.celery; docs/operations.md)."""
    codes = province_codes() if provinces is None else provinces
    executor = executor if executor is not None else configured_executor()
    return dg.Definitions(
        assets=with_freshness_policy(build_assets(codes)),
        asset_checks=FRESHNESS_CHECKS,
        jobs=[sync_job, verify_job, intake_job],
        schedules=SCHEDULES,
        sensors=SENSORS,
        resources=default_resources(),
        executor=executor,
    )


defs = build_definitions()


def _job(name: str) -> dg.JobDefinition:
    # Rebuilt from the environment in every process, so a step subprocess sees the same provinces.
    return build_definitions().resolve_job_def(name)


def nightly_sync_job() -> dg.JobDefinition:
    """For dg.reconstructable: the multiprocess executor's step processes rebuild the job by this name."""
    return _job("nightly_sync")


def verify_period_job() -> dg.JobDefinition:
    return _job("verify_period")
