"""Reviewer-facing outputs for a period: the HTML report, the council workbook and CSV exports."""


import dagster as dg
from sqlalchemy.orm import Session

from assets.verification import verified_scores
from dti.reports.publish import write_period_outputs
from dti.warehouse.db import get_engine
from pipelines.partitions import period_partitions
from pipelines.resources import Warehouse


@dg.asset(group_name="reports", partitions_def=period_partitions, deps=[verified_scores],
          kinds={"html", "excel", "csv"}, owners=["team:dti-staff"],
          description="Báo cáo đối chiếu, bảng Excel của Hội đồng, tệp CSV / reports for the council")
def council_reports(context: dg.AssetExecutionContext, warehouse: Warehouse):
    with Session(get_engine(warehouse.resolved_url())) as s:
        written = write_period_outputs(s, context.partition_key, warehouse.out_dir())
    return dg.MaterializeResult(metadata={
        "dagster/row_count": written["claims"],
        **{name: dg.MetadataValue.path(str(path)) for name, path in sorted(written["files"].items())},
    })
