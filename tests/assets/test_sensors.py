"""Sensors: new inbox files, the open period's recompute after a sync, and failure alerts that reach a
loopback SMTP server and webhook from a real failed run."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dti.settings import get_settings
from dti.warehouse.db import get_engine
from dti.warehouse.models import Alert, Publication
from pipelines.sensors import alert_on_run_failure, inbox_sensor, recompute_open_period
from tests.ops_receivers import SmtpReceiver, WebhookReceiver


def test_inbox_sensor_requests_one_intake_per_new_set_of_files(tmp_path):
    inbox = get_settings().inbox_dir
    ctx = dg.build_sensor_context()
    assert inbox_sensor(ctx).skip_message.startswith("Hộp thư trống / the inbox is empty")
    inbox.mkdir(parents=True)
    (inbox / ".partial").write_text("uploading")
    assert isinstance(inbox_sensor(ctx), dg.SkipReason)  # hidden files are still being written
    (inbox / "xa-an-binh.xlsx").write_bytes(b"v1")
    first = inbox_sensor(ctx)
    assert first.run_key.startswith("inbox-") and first.tags["dti/files"] == "1"
    assert inbox_sensor(ctx).run_key == first.run_key  # the same files are not imported twice
    (inbox / "xa-an-binh.xlsx").write_bytes(b"v2 corrected")
    assert inbox_sensor(ctx).run_key != first.run_key


def test_intake_job_moves_a_refused_file_and_reports_it(warehouse):
    from pipelines.jobs import intake_job

    inbox = get_settings().inbox_dir
    inbox.mkdir(parents=True)
    (inbox / "khong-phai-bang.csv").write_text("hello,world\n1,2\n", encoding="utf-8")
    result = intake_job.execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    assert not (inbox / "khong-phai-bang.csv").exists()
    assert (inbox / "rejected" / "khong-phai-bang.csv").exists()
    meta = result.output_for_node("import_inbox")
    assert meta in (0, 1)
    [mat] = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    md = mat.event_specific_data.metadata
    assert md["files_waiting"].value == 1
    assert md["files_refused"].value + md.get("files_rejected", dg.IntMetadataValue(0)).value == 1


def _finished(job_name: str, succeed: bool, tags: dict):
    @dg.op(name="sync_step")
    def step():
        if not succeed:
            raise RuntimeError("DVC trả về 503 / DVC answered 503")

    @dg.job(name=job_name)
    def job():
        step()

    instance = dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(instance=instance, raise_on_error=False, tags=tags)
    kind = "RUN_SUCCESS" if succeed else "RUN_FAILURE"
    event = next(e for e in result.all_events if e.event_type_value in (kind, f"PIPELINE_{kind[4:]}"))
    return instance, result.dagster_run, event


def test_successful_sync_recomputes_the_open_period():
    instance, run, event = _finished("nightly_sync", True, {"dagster/partition": "2025-06-10"})
    ctx = dg.build_run_status_sensor_context(sensor_name="recompute_open_period", dagster_event=event,
                                             dagster_instance=instance, dagster_run=run)
    [req] = recompute_open_period(ctx)
    assert req.partition_key == "2025-R1" and req.run_key == f"recompute-{run.run_id}"
    assert req.tags["dti/trigger"] == "after-nightly_sync"


def test_a_published_open_period_is_not_recomputed_every_night(warehouse):
    """A published period refuses every step: requesting its recompute after each sync would only fail, and
    raise a failure alert, night after night."""
    with Session(get_engine(warehouse)) as s, s.begin():
        s.add(Publication(period="2025-R1", version=1, decision_number="12/QĐ-UBND", signed_on=dt.date(2025, 6, 9),
                          published_by="quantri", published_at=dt.datetime(2025, 6, 9, 3, tzinfo=dt.UTC),
                          snapshot=b"{}", snapshot_sha256="0" * 64, audit_seq=1, audit_mac="0" * 64))
    instance, run, event = _finished("nightly_sync", True, {"dagster/partition": "2025-06-10"})
    ctx = dg.build_run_status_sensor_context(sensor_name="recompute_open_period", dagster_event=event,
                                             dagster_instance=instance, dagster_run=run)
    skipped = recompute_open_period(ctx)
    assert isinstance(skipped, dg.SkipReason) and "2025-R1 đã công bố" in skipped.skip_message


def test_with_provinces_a_sync_recomputes_its_own_province_and_an_intake_each_province_it_fed(monkeypatch):
    monkeypatch.setenv("DTI_PROVINCES", "HN,LC")
    instance, run, event = _finished("nightly_sync", True, {
        "dagster/partition": "2025-06-10|LC", "dagster/partition/night": "2025-06-10",
        "dagster/partition/province": "LC"})
    ctx = dg.build_run_status_sensor_context(sensor_name="recompute_open_period", dagster_event=event,
                                             dagster_instance=instance, dagster_run=run)
    [req] = recompute_open_period(ctx)
    assert (req.partition_key, req.run_key, req.tags["dti/province"]) == \
        ("2025-R1|LC", f"recompute-{run.run_id}-LC", "LC")

    instance, run, event = _finished("intake_inbox", True, {"dti/provinces": "HN"})
    ctx = dg.build_run_status_sensor_context(sensor_name="recompute_open_period", dagster_event=event,
                                             dagster_instance=instance, dagster_run=run)
    assert [r.tags["dti/province"] for r in recompute_open_period(ctx)] == ["HN"]


def test_with_provinces_each_province_has_its_own_inbox_and_nothing_waits_unreported(tmp_path, monkeypatch):
    from pipelines.jobs import intake_job

    monkeypatch.setenv("DTI_PROVINCES", "HN,LC")
    monkeypatch.setenv("DTI_HN_DATABASE_URL", f"sqlite:///{tmp_path}/hn.db")
    monkeypatch.delenv("DTI_LC_DATABASE_URL", raising=False)
    inbox = get_settings().inbox_dir
    (inbox / "HN").mkdir(parents=True)
    (inbox / "HN" / "khong-phai-bang.csv").write_text("hello,world\n1,2\n", encoding="utf-8")
    req = inbox_sensor(dg.build_sensor_context())
    assert req.tags["dti/provinces"] == "HN" and req.tags["dti/files"] == "1"

    from dti.warehouse import init_db

    init_db(f"sqlite:///{tmp_path}/hn.db")
    result = intake_job.execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    assert (inbox / "HN" / "rejected" / "khong-phai-bang.csv").exists()  # imported from HN's folder

    (inbox / "LC").mkdir()
    (inbox / "LC" / "xa-a.xlsx").write_bytes(b"v1")
    result = intake_job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "LC: 1 tệp chờ / files waiting" in failure.step_failure_data.user_failure_data.description
    assert (inbox / "LC" / "xa-a.xlsx").exists()  # left in place until LC's warehouse is configured


def test_failed_run_raises_an_alert_that_reaches_mail_and_webhook(warehouse, monkeypatch):
    from pipelines.jobs import verify_job  # noqa: F401 - the sensor watches the code location's jobs

    instance, run, event = _finished("nightly_sync", False, {"dagster/partition": "2025-06-10"})
    with SmtpReceiver() as smtp, WebhookReceiver() as hook:
        monkeypatch.setenv("DTI_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("DTI_SMTP_PORT", str(smtp.port))
        monkeypatch.setenv("DTI_SMTP_TO", "ops@example.vn")
        monkeypatch.setenv("DTI_ALERT_WEBHOOK_URL", hook.url)
        ctx = dg.build_run_status_sensor_context(sensor_name="alert_on_run_failure", dagster_event=event,
                                                 dagster_instance=instance, dagster_run=run).for_run_failure()
        alert_on_run_failure(ctx)
        mails = smtp.wait(1)
    assert mails[0]["subject"] == "[DTI] Lỗi chạy nightly_sync (2025-06-10) / run failed: nightly_sync 2025-06-10"
    assert f"Mã lần chạy / run id: {run.run_id}" in mails[0]["body"]
    assert "- sync_step: RuntimeError: DVC trả về 503 / DVC answered 503" in mails[0]["body"]
    assert hook.posts[0]["kind"] == "run_failure" and hook.posts[0]["details"]["run_id"] == run.run_id
    with Session(get_engine(warehouse)) as s:
        [row] = s.scalars(sa.select(Alert))
    assert row.delivered and row.channel == "smtp,webhook" and "sync_step" in row.body


def test_a_stale_source_is_alerted_once_a_day(warehouse, monkeypatch):
    import datetime as dt

    from dti.settings import TZ
    from dti.warehouse.models import SourceStatus
    from pipelines.sensors import alert_on_stale_source

    now = dt.datetime.now(TZ)
    with Session(get_engine(warehouse)) as s, s.begin():
        for source, hours in (("DVC", 2), ("DOC", 3), ("SEC", 60)):
            s.add(SourceStatus(source=source, last_success_at=now - dt.timedelta(hours=hours, minutes=5),
                               last_attempt_at=now, ok=source != "SEC", error="HTTP 503" if source == "SEC" else None))
    with WebhookReceiver() as hook:
        monkeypatch.delenv("DTI_SMTP_HOST", raising=False)
        monkeypatch.setenv("DTI_ALERT_WEBHOOK_URL", hook.url)
        ctx = dg.build_sensor_context()
        first = alert_on_stale_source(ctx)
        second = alert_on_stale_source(dg.build_sensor_context(cursor=ctx.cursor))
    assert first.skip_message == "Đã cảnh báo / alerted: SEC"
    assert second.skip_message.startswith("Mọi nguồn trong hạn hoặc đã cảnh báo hôm nay")
    [post] = hook.posts
    assert post["kind"] == "source_stale" and post["details"] == {"source": "SEC", "overdue_hours": 12}
    assert "SEC is out of date by 12 hours (limit 48 h" in post["body"]
    assert "the last sync failed: HTTP 503" in post["body"]
