"""Period assets: self-reports checked, objective metrics, the claim ledger and verified scores.

Thin by design: each runs one step of dti.verification.steps (whose order is written there once)
and records metadata.
Partitioned by period, or by period × province in a multi-province deployment (assets.scope).
"""


import collections
import datetime as dt

import dagster as dg

from assets.checks import check_results, specs
from assets.partitions import period_partitions, source_deps
from assets.resources import WarehouseResource
from assets.scope import period_scope
from dti.publication import PeriodFrozen
from dti.settings import TZ
from dti.verification.steps import PeriodRun, measure, reconcile, score
from dti.verification.store import self_report_rows
from dti.vocabulary import Outcome
from expectations import ledger as ledger_suite
from expectations import scores as scores_suite
from expectations import self_reports as self_report_suite


class PeriodConfig(dg.Config):
    """`as_of`: ISO time freshness is judged at (default: now). The demo pins it for repeatable output."""

    as_of: str = ""


def _as_of(config: PeriodConfig) -> dt.datetime:
    return dt.datetime.fromisoformat(config.as_of) if config.as_of else dt.datetime.now(TZ)


def run_step(step, scope, **kwargs) -> PeriodRun:
    """Run one step of the period; a published period is refused with the reason, and never retried."""
    try:
        return step(scope.warehouse, PeriodRun(scope.key), **kwargs)
    except PeriodFrozen as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc


def _table(rows: list[tuple], header: tuple) -> dg.MetadataValue:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return dg.MetadataValue.md("\n".join(lines))


def build_verification_assets(partitions_def: dg.PartitionsDefinition, provinces: list[str]
                              ) -> list[dg.AssetsDefinition]:
    """objective_metrics, self_reports, claim_ledger, verified_scores on periods or periods × provinces."""

    @dg.asset(group_name="verification", partitions_def=partitions_def, deps=source_deps(provinces), kinds={"python", "pandas"},
              owners=["team:data-engineering"],
              description="Số liệu khách quan theo đơn vị × chỉ số / objective metrics per unit and indicator")
    def objective_metrics(context: dg.AssetExecutionContext, config: PeriodConfig, warehouse: WarehouseResource):
        scope = period_scope(context, warehouse)
        run = run_step(measure, scope, as_of=_as_of(config))
        units, metrics = run.units, run.metrics
        status = collections.Counter(m.status for m in metrics)
        return dg.MaterializeResult(metadata={
            "dagster/row_count": len(metrics), "units": len(units),
            **{f"status_{k}": v for k, v in sorted(status.items())},
            "preview": _table(sorted(status.items()), ("trạng thái / status", "số chỉ số / count")),
            # each tabular source read before the metrics (dti.tabular): rows accepted and refused, or why not
            **{f"tabular_{t.tabular_source}": (f"nhận / accepted {t.accepted}, từ chối / rejected {t.rejected}"
                                               if t.ok else f"không nạp được / not loaded: {t.error}")
               for t in run.info.get("tabular_loads", [])},
        })


    @dg.asset(group_name="verification", partitions_def=partitions_def, kinds={"python"},
              owners=["team:dti-staff"], check_specs=specs("self_reports", self_report_suite.self_report_checks()),
              description="Phiếu tự đánh giá hiện hành của kỳ / the period's current self-assessments, checked")
    def self_reports(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        scope = period_scope(context, warehouse)
        with scope.warehouse.session() as s:
            rows = self_report_rows(s, scope.key)
        outcome = self_report_suite.check_self_reports(rows)
        yield dg.MaterializeResult(metadata={"dagster/row_count": len(rows),
                                             "units": len({r["unit_code"] for r in rows})})
        yield from check_results(outcome, asset="self_reports", context=context, wh=scope.warehouse,
                                 partition=scope.key)


    # The evidence verdicts (assets.evidence) feed the ledger's evidence-only claims.
    @dg.asset(group_name="verification", partitions_def=partitions_def,
              deps=[objective_metrics, self_reports, dg.AssetKey("evidence_reads")],
              kinds={"python"}, owners=["team:dti-staff"],
              check_specs=specs("claim_ledger", ledger_suite.CHECKS),
              description="Sổ đối chiếu tự đánh giá với số liệu hệ thống / the claim ledger")
    def claim_ledger(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        scope = period_scope(context, warehouse)
        run = run_step(reconcile, scope)
        units, claims, info = run.units, run.claims, run.info
        outcome = ledger_suite.validate_ledger(claims)
        counts = collections.Counter(c.outcome for c in claims)
        severities = collections.Counter(c.severity for c in claims if c.outcome == Outcome.DISCREPANCY)
        yield dg.MaterializeResult(metadata={
            "dagster/row_count": len(claims), "units": len(units), "decisions_applied": info["decisions_applied"],
            **{f"outcome_{k}": v for k, v in sorted(counts.items())},
            **{f"citations_{k}": v for k, v in sorted(info["citations"].items())},
            "discrepancies_by_severity": _table(sorted(severities.items()), ("mức độ / severity", "số / count")),
        })
        yield from check_results(outcome, asset="claim_ledger", context=context, wh=scope.warehouse,
                                 partition=scope.key)


    @dg.asset(group_name="verification", partitions_def=partitions_def, deps=[claim_ledger], kinds={"python"},
              owners=["team:dti-staff"], check_specs=specs("verified_scores", scores_suite.CHECKS),
              description="Điểm đã thẩm định và xếp hạng / verified scores and rankings")
    def verified_scores(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        scope = period_scope(context, warehouse)
        run = run_step(score, scope)
        scores = run.scores
        outcome = scores_suite.validate_scores(scores, [u[0] for u in run.units])
        top = sorted(scores, key=lambda r: (r.verified_rank, r.unit_code))[:10]
        yield dg.MaterializeResult(metadata={
            "dagster/row_count": len(scores),
            "rank_changes": sum(1 for r in scores if r.rank_change),
            "ranking": _table([(r.verified_rank, r.unit_code, f"{r.verified_total:.2f}", f"{r.self_total:.2f}",
                                r.rank_change) for r in top],
                              ("hạng", "đơn vị", "điểm thẩm định", "điểm tự chấm", "thay đổi hạng")),
        })
        yield from check_results(outcome, asset="verified_scores", context=context, wh=scope.warehouse,
                                 partition=scope.key)

    return [objective_metrics, self_reports, claim_ledger, verified_scores]


objective_metrics, self_reports, claim_ledger, verified_scores = build_verification_assets(period_partitions, [])
