"""Alerts for data engineers: recorded in the warehouse `alerts` table, then delivered through
pluggable notifiers (SMTP mail, an HTTP webhook) configured from DTI_SMTP_* / DTI_ALERT_WEBHOOK_URL."""

from __future__ import annotations

import datetime as dt
import json
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Protocol

import requests

from dti.settings import TZ, read, read_bool, read_int
from dti.text import nfc
from dti.warehouse.db import session_scope
from dti.warehouse.models import Alert


class DeliveryError(Exception):
    """A notifier could not hand the alert over; the alert stays recorded as undelivered."""


@dataclass(frozen=True)
class AlertMessage:
    kind: str  # e.g. run_failure, source_stale
    subject: str
    body: str
    raised_at: dt.datetime
    details: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"kind": self.kind, "subject": self.subject, "body": self.body,
                "raised_at": self.raised_at.astimezone(TZ).isoformat(timespec="seconds"),
                "details": self.details}


class Notifier(Protocol):
    channel: str

    def send(self, message: AlertMessage) -> None: ...


@dataclass
class SmtpNotifier:
    """Plain SMTP to the configured relay; STARTTLS and login only when configured."""

    host: str
    port: int = 25
    sender: str = "dti@localhost"
    recipients: tuple[str, ...] = ()
    username: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = 10.0
    channel: str = "smtp"

    def send(self, message: AlertMessage) -> None:
        if not self.recipients:
            raise DeliveryError("DTI_SMTP_TO trống / DTI_SMTP_TO is empty: no recipient for the alert")
        mail = EmailMessage()
        mail["Subject"] = f"[DTI] {message.subject}"
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.recipients)
        mail["Date"] = format_datetime(message.raised_at.astimezone(TZ))
        mail["Message-ID"] = make_msgid(domain="dti.local")
        mail.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"Không gửi được thư qua / could not send mail via {self.host}:{self.port}: "
                                f"{type(exc).__name__}: {exc}") from exc


@dataclass
class WebhookNotifier:
    """POST the alert as JSON (works with chat webhooks that accept a `text` field, too)."""

    url: str
    timeout: float = 10.0
    channel: str = "webhook"

    def send(self, message: AlertMessage) -> None:
        payload = {"text": f"{message.subject}\n{message.body}", **message.as_json()}
        try:
            response = requests.post(self.url, data=json.dumps(payload, ensure_ascii=False, sort_keys=True)
                                     .encode("utf-8"), headers={"Content-Type": "application/json; charset=utf-8"},
                                     timeout=self.timeout)
        except requests.RequestException as exc:
            raise DeliveryError(f"Không gọi được webhook / webhook unreachable ({self.url}): {exc}") from exc
        if response.status_code >= 300:
            raise DeliveryError(f"Webhook trả về / webhook answered HTTP {response.status_code} ({self.url}): "
                                f"{response.text[:200]}")


def notifiers_from_env(environ: dict | None = None) -> list[Notifier]:
    """Every notifier the environment configures, read when an alert is raised (never at import)."""
    env = environ
    found: list[Notifier] = []
    host = read("DTI_SMTP_HOST", env)
    if host:
        to = tuple(a.strip() for a in read("DTI_SMTP_TO", env).replace(";", ",").split(",") if a.strip())
        found.append(SmtpNotifier(host=host, port=read_int("DTI_SMTP_PORT", env),
                                  sender=read("DTI_SMTP_FROM", env), recipients=to,
                                  username=read("DTI_SMTP_USER", env), password=read("DTI_SMTP_PASSWORD", env),
                                  starttls=read_bool("DTI_SMTP_STARTTLS", env)))
    hook = read("DTI_ALERT_WEBHOOK_URL", env)
    if hook:
        found.append(WebhookNotifier(url=hook))
    return found


@dataclass
class AlertOutcome:
    alert_id: int
    delivered: bool
    channels: list[str]  # channels that accepted the alert
    errors: list[str]  # one line per channel that failed


def record_alert(kind: str, subject: str, body: str, *, url: str | None = None,
                 notifiers: list[Notifier] | None = None, raised_at: dt.datetime | None = None,
                 details: dict | None = None) -> AlertOutcome:
    """Write the alert to the warehouse first (so it is never lost), then deliver it.

    `notifiers=None` uses the environment's. A failed delivery does not raise: it is kept on the alert
    row (`delivered` false, the error appended to the body) for the next person who looks.
    """
    raised_at = raised_at or dt.datetime.now(TZ)
    message = AlertMessage(nfc(kind), nfc(subject)[:255], nfc(body), raised_at, details or {})
    with session_scope(url) as s:
        row = Alert(raised_at=raised_at, kind=message.kind[:32], subject=message.subject, body=message.body,
                    delivered=False, channel=None)
        s.add(row)
        s.flush()
        alert_id = row.id
    targets = notifiers_from_env() if notifiers is None else notifiers
    ok: list[str] = []
    errors: list[str] = []
    for n in targets:
        try:
            n.send(message)
            ok.append(n.channel)
        except DeliveryError as exc:
            errors.append(f"{n.channel}: {exc}")
    with session_scope(url) as s:
        row = s.get(Alert, alert_id)
        row.delivered = bool(ok)
        row.channel = ",".join(ok)[:32] or None
        if errors:
            row.body = message.body + "\n\n--- gửi thất bại / delivery failed ---\n" + "\n".join(errors)
    return AlertOutcome(alert_id, bool(ok), ok, errors)
