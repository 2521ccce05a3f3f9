"""Reviewer-facing outputs for a period: the HTML report, the council workbook and CSV exports."""


import dagster as dg

from assets.partitions import period_partitions
from assets.resources import WarehouseResource
from assets.scope import period_scope
from dti.reports.publish import write_period_outputs


def build_report_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """council_reports on periods, or periods × provinces (each province writes to its own folder)."""

    @dg.asset(group_name="reports", partitions_def=partitions_def, deps=["verified_scores"],
              kinds={"html", "excel", "csv"}, owners=["team:dti-staff"],
              description="Báo cáo đối chiếu, bảng Excel của Hội đồng, tệp CSV / reports for the council")
    def council_reports(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        scope = period_scope(context, warehouse)
        with scope.warehouse.session() as s:
            written = write_period_outputs(s, scope.key, scope.out_dir)
        return dg.MaterializeResult(metadata={
            "dagster/row_count": written["claims"],
            **{name: dg.MetadataValue.path(str(path)) for name, path in sorted(written["files"].items())},
        })

    return [council_reports]


(council_reports,) = build_report_assets(period_partitions)
