"""Jobs: the nightly sync of the systems of record, and the verification of one assessment period."""

from __future__ import annotations

import dagster as dg

from assets.provinces import inboxes
from dti.intake.service import scan_inbox
from dti.warehouse import Warehouse
from expectations.self_reports import check_self_reports

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
    by_status: dict[str, int] = {}
    metadata: dict = {}
    imported = refused = accepted = read = 0
    blocked = []
    for code, inbox, url in inboxes():
        waiting = sorted(p.name for p in inbox.iterdir() if p.is_file() and not p.name.startswith(".")) \
            if inbox.is_dir() else []
        if code and url is None:
            if waiting:  # left where they are, untouched, until the province's settings are fixed
                blocked.append(f"{code}: {len(waiting)} tệp chờ / files waiting; thiếu cấu hình / not configured")
            continue
        results = scan_inbox(inbox, wh=Warehouse(url), row_checks=check_self_reports)
        for r in results:
            by_status[r.status] = by_status.get(r.status, 0) + 1
            context.log.info(f"{code + ' ' if code else ''}{r.filename}: {r.status} ({r.rows_accepted}/{r.rows_read})")
        # scan_inbox moves a refused file to rejected/ without a result: count it so nothing goes unreported.
        refused += len(waiting) - len(results)
        imported += len(results)
        accepted += sum(r.rows_accepted for r in results)
        read += sum(r.rows_read for r in results)
        metadata[f"inbox_{code}" if code else "inbox"] = str(inbox)
    if blocked:
        raise dg.Failure(description="Hộp thư của tỉnh chưa cấu hình / a province's inbox cannot be imported: "
                                     + "; ".join(blocked), allow_retries=False)
    return dg.Output(imported, metadata={
        **metadata, "files_waiting": imported + refused, "files_refused": refused,
        **{f"files_{k}": v for k, v in sorted(by_status.items())}, "rows_accepted": accepted, "rows_read": read})


@dg.job(name="intake_inbox", description="Nhập tệp tự đánh giá mới / import new self-report files")
def intake_job():
    import_inbox()
