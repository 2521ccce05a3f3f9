"""Jobs: the nightly sync of the systems of record, and the verification of one assessment period."""

from __future__ import annotations

import dagster as dg

# With run_retries enabled on the instance (dagster.postgres.yaml), the daemon re-runs a failed run once,
# starting from the step that failed.
RETRY_FROM_FAILURE = {"dagster/max_retries": "1", "dagster/retry_strategy": "FROM_FAILURE"}

sync_job = dg.define_asset_job("nightly_sync", selection=dg.AssetSelection.groups("sources"),
                               tags={**RETRY_FROM_FAILURE, "dti/sync": "warehouse"},
                               description="Đồng bộ dữ liệu từ các hệ thống nguồn / sync the systems of record")
verify_job = dg.define_asset_job(
    "verify_period", selection=dg.AssetSelection.groups("verification", "reports"), tags=RETRY_FROM_FAILURE,
    description="Đối chiếu, chấm điểm, báo cáo một kỳ / reconcile, score and report one period")


@dg.op(description="Nhập các tệp tự đánh giá trong hộp thư đến / import the self-report files waiting in the inbox",
       tags={"kind": "intake"}, out=dg.Out(int))
def import_inbox(context):
    from dti.intake.service import scan_inbox
    from dti.settings import get_settings

    inbox = get_settings().inbox_dir
    waiting = sorted(p.name for p in inbox.iterdir() if p.is_file() and not p.name.startswith(".")) \
        if inbox.is_dir() else []
    results = scan_inbox(inbox)
    by_status: dict[str, int] = {}
    for r in results:
        by_status[r.status] = by_status.get(r.status, 0) + 1
        context.log.info(f"{r.filename}: {r.status} ({r.rows_accepted}/{r.rows_read})")
    # scan_inbox moves a refused file to rejected/ without a result: count it so nothing goes unreported.
    refused = len(waiting) - len(results)
    return dg.Output(len(results), metadata={
        "inbox": str(inbox), "files_waiting": len(waiting), "files_refused": refused,
        **{f"files_{k}": v for k, v in sorted(by_status.items())},
        "rows_accepted": sum(r.rows_accepted for r in results), "rows_read": sum(r.rows_read for r in results)})


@dg.job(name="intake_inbox", description="Nhập tệp tự đánh giá mới / import new self-report files")
def intake_job():
    import_inbox()
