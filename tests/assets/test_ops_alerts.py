"""Alerts (recorded, then mailed and posted to loopback receivers) and per-source freshness."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dti.freshness import describe, source_freshness
from dti.notify import SmtpNotifier, WebhookNotifier, notifiers_from_env, record_alert
from dti.settings import TZ
from dti.warehouse.db import get_engine
from dti.warehouse.models import Alert, SourceStatus
from tests.ops_receivers import SmtpReceiver, WebhookReceiver, free_port

AT = dt.datetime(2025, 12, 1, 1, 30, tzinfo=TZ)


def _alerts(url):
    with Session(get_engine(url)) as s:
        return list(s.scalars(sa.select(Alert).order_by(Alert.id)))


def test_alert_is_recorded_and_reaches_smtp_and_webhook(warehouse, monkeypatch):
    with SmtpReceiver() as smtp, WebhookReceiver() as hook:
        monkeypatch.setenv("DTI_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("DTI_SMTP_PORT", str(smtp.port))
        monkeypatch.setenv("DTI_SMTP_FROM", "dti@so-khcn.example.vn")
        monkeypatch.setenv("DTI_SMTP_TO", "ops@example.vn, lead@example.vn")
        monkeypatch.setenv("DTI_ALERT_WEBHOOK_URL", hook.url)
        outcome = record_alert("run_failure", "Lỗi chạy nightly_sync", "Đồng bộ DVC thất bại", raised_at=AT)
        mails = smtp.wait(1)
    assert outcome.delivered and outcome.channels == ["smtp", "webhook"] and outcome.errors == []
    assert mails[0]["subject"] == "[DTI] Lỗi chạy nightly_sync"
    assert mails[0]["to"] == ["ops@example.vn", "lead@example.vn"]
    assert "Đồng bộ DVC thất bại" in mails[0]["body"]
    assert hook.posts == [{"kind": "run_failure", "subject": "Lỗi chạy nightly_sync", "body": "Đồng bộ DVC thất bại",
                           "raised_at": "2025-12-01T01:30:00+07:00", "details": {},
                           "text": "Lỗi chạy nightly_sync\nĐồng bộ DVC thất bại"}]
    [row] = _alerts(warehouse)
    assert (row.kind, row.delivered, row.channel) == ("run_failure", True, "smtp,webhook")
    assert row.raised_at == AT


def test_undeliverable_alert_is_kept_with_the_reason(warehouse):
    dead = SmtpNotifier(host="127.0.0.1", port=free_port(), recipients=("ops@example.vn",), timeout=2)
    with WebhookReceiver(status=500) as hook:
        outcome = record_alert("run_failure", "subject", "body", notifiers=[dead, WebhookNotifier(hook.url)])
    assert not outcome.delivered
    assert outcome.errors[0].startswith("smtp: Không gửi được thư qua / could not send mail via 127.0.0.1:")
    assert "webhook answered HTTP 500" in outcome.errors[1]
    [row] = _alerts(warehouse)
    assert row.delivered is False and row.channel is None
    assert "gửi thất bại / delivery failed" in row.body and "HTTP 500" in row.body


def test_no_notifier_configured_still_records(warehouse, monkeypatch):
    for name in ("DTI_SMTP_HOST", "DTI_ALERT_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    assert notifiers_from_env() == []
    outcome = record_alert("source_stale", "DVC cũ", "chậm 3 giờ")
    assert not outcome.delivered and [a.subject for a in _alerts(warehouse)] == ["DVC cũ"]


def test_smtp_without_recipient_is_a_clear_error(warehouse):
    outcome = record_alert("x", "s", "b", notifiers=notifiers_from_env({"DTI_SMTP_HOST": "127.0.0.1"}))
    assert outcome.errors == ["smtp: DTI_SMTP_TO trống / DTI_SMTP_TO is empty: no recipient for the alert"]


@pytest.mark.parametrize(("hours_ago", "fresh", "overdue", "text"), [
    (5, True, 0, "DVC synced 5 hours ago"),
    (48, True, 0, "DVC synced 48 hours ago"),
    (60.5, False, 12, "DVC is out of date by 12 hours (limit 48 h; last successful sync 28/11/2025 13:00)"),
])
def test_describe_says_how_late(hours_ago, fresh, overdue, text):
    row = describe("DVC", AT - dt.timedelta(hours=hours_ago), AT, 48)
    assert (row["fresh"], row["overdue_hours"]) == (fresh, overdue)
    assert text in row["message"]
    if not fresh:
        assert row["message"].startswith("DVC chậm 12 giờ so với hạn 48 giờ")


def test_source_freshness_reads_source_status(warehouse):
    with Session(get_engine(warehouse)) as s, s.begin():
        s.add(SourceStatus(source="DVC", last_success_at=AT - dt.timedelta(hours=3), last_attempt_at=AT, ok=True))
        s.add(SourceStatus(source="SEC", last_success_at=AT - dt.timedelta(hours=75), ok=False,
                           last_attempt_at=AT - dt.timedelta(hours=1), error="ConnectionError: refused"))
    with Session(get_engine(warehouse)) as s:
        rows = source_freshness(s, AT)
    by = {r["source"]: r for r in rows}
    assert [r["source"] for r in rows] == ["DOC", "DVC", "SEC"]
    assert by["DVC"]["fresh"] and by["DVC"]["age_hours"] == 3.0
    assert by["DOC"]["last_success_at"] is None and "has never synced successfully" in by["DOC"]["message"]
    assert not by["SEC"]["fresh"] and by["SEC"]["overdue_hours"] == 27
    assert "the last sync failed: ConnectionError: refused" in by["SEC"]["message"]
    with pytest.raises(ValueError, match="must carry a time zone"):
        source_freshness(s, AT.replace(tzinfo=None))
