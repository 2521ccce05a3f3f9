"""Period assets: self-reports checked, objective metrics, the claim ledger and verified scores.

Thin by design: the work is in dti.verification / dti.metrics / dti.reconciliation; these record metadata.
Partitioned by period, or by period × province in a multi-province deployment (assets.scope).
"""


import collections
import datetime as dt

import dagster as dg
from sqlalchemy.orm import Session

from assets.checks import check_results, specs
from assets.partitions import period_partitions, source_deps
from assets.resources import Warehouse
from assets.scope import period_scope
from dti.settings import TZ
from dti.verification import (
    build_period_ledger,
    compute_period,
    load_ledger,
    period_units,
    score_period,
    self_report_rows,
    store_ledger,
    store_metrics,
    store_scores,
)
from dti.warehouse.db import get_engine
from expectations import ledger as ledger_suite
from expectations import scores as scores_suite
from expectations import self_reports as self_report_suite


class PeriodConfig(dg.Config):
    """`as_of`: ISO time freshness is judged at (default: now). The demo pins it for repeatable output."""

    as_of: str = ""


def _as_of(config: PeriodConfig) -> dt.datetime:
    return dt.datetime.fromisoformat(config.as_of) if config.as_of else dt.datetime.now(TZ)


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
    def objective_metrics(context: dg.AssetExecutionContext, config: PeriodConfig, warehouse: Warehouse):
        scope = period_scope(context, warehouse)
        url, period = scope.url, scope.key
        units, metrics = compute_period(period, url=url, as_of=_as_of(config))
        store_metrics(period, metrics, url=url)
        status = collections.Counter(m.status for m in metrics)
        return dg.MaterializeResult(metadata={
            "dagster/row_count": len(metrics), "units": len(units),
            **{f"status_{k}": v for k, v in sorted(status.items())},
            "preview": _table(sorted(status.items()), ("trạng thái / status", "số chỉ số / count")),
        })


    @dg.asset(group_name="verification", partitions_def=partitions_def, kinds={"python"},
              owners=["team:dti-staff"], check_specs=specs("self_reports", self_report_suite.self_report_checks()),
              description="Phiếu tự đánh giá hiện hành của kỳ / the period's current self-assessments, checked")
    def self_reports(context: dg.AssetExecutionContext, warehouse: Warehouse):
        scope = period_scope(context, warehouse)
        url = scope.url
        with Session(get_engine(url)) as s:
            rows = self_report_rows(s, scope.key)
        outcome = self_report_suite.check_self_reports(rows)
        yield dg.MaterializeResult(metadata={"dagster/row_count": len(rows),
                                             "units": len({r["unit_code"] for r in rows})})
        yield from check_results(outcome, asset="self_reports", context=context, url=url, partition=scope.key)


    @dg.asset(group_name="verification", partitions_def=partitions_def, deps=[objective_metrics, self_reports],
              kinds={"python"}, owners=["team:dti-staff"],
              check_specs=specs("claim_ledger", ledger_suite.CHECKS),
              description="Sổ đối chiếu tự đánh giá với số liệu hệ thống / the claim ledger")
    def claim_ledger(context: dg.AssetExecutionContext, warehouse: Warehouse):
        scope = period_scope(context, warehouse)
        url, period = scope.url, scope.key
        units, claims, info = build_period_ledger(period, url=url)
        store_ledger(period, claims, url=url)
        outcome = ledger_suite.validate_ledger(claims)
        counts = collections.Counter(c.outcome for c in claims)
        severities = collections.Counter(c.severity for c in claims if c.outcome == "discrepancy")
        yield dg.MaterializeResult(metadata={
            "dagster/row_count": len(claims), "units": len(units), "decisions_applied": info["decisions_applied"],
            **{f"outcome_{k}": v for k, v in sorted(counts.items())},
            **{f"citations_{k}": v for k, v in sorted(info["citations"].items())},
            "discrepancies_by_severity": _table(sorted(severities.items()), ("mức độ / severity", "số / count")),
        })
        yield from check_results(outcome, asset="claim_ledger", context=context, url=url, partition=scope.key)


    @dg.asset(group_name="verification", partitions_def=partitions_def, deps=[claim_ledger], kinds={"python"},
              owners=["team:dti-staff"], check_specs=specs("verified_scores", scores_suite.CHECKS),
              description="Điểm đã thẩm định và xếp hạng / verified scores and rankings")
    def verified_scores(context: dg.AssetExecutionContext, warehouse: Warehouse):
        scope = period_scope(context, warehouse)
        url, period = scope.url, scope.key
        with Session(get_engine(url)) as s:
            units = period_units(s, period)
            claims = load_ledger(s, period)
        scores = score_period(period, claims, units)
        store_scores(period, scores, url=url)
        outcome = scores_suite.validate_scores(scores, [u[0] for u in units])
        top = sorted(scores, key=lambda r: (r.verified_rank, r.unit_code))[:10]
        yield dg.MaterializeResult(metadata={
            "dagster/row_count": len(scores),
            "rank_changes": sum(1 for r in scores if r.rank_change),
            "ranking": _table([(r.verified_rank, r.unit_code, f"{r.verified_total:.2f}", f"{r.self_total:.2f}",
                                r.rank_change) for r in top],
                              ("hạng", "đơn vị", "điểm thẩm định", "điểm tự chấm", "thay đổi hạng")),
        })
        yield from check_results(outcome, asset="verified_scores", context=context, url=url, partition=scope.key)

    return [objective_metrics, self_reports, claim_ledger, verified_scores]


objective_metrics, self_reports, claim_ledger, verified_scores = build_verification_assets(period_partitions, [])
