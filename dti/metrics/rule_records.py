"""The metric rules' building blocks: the vocabulary the raw records use, the province's policy choices, the
data window, and each rule's test of one record (dti.metrics.rules puts them together with the rules' words).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from dti.settings import TZ, read_bool

# The vocabulary the raw records use, shared by the SQL metrics and the reference.
ONLINE_CHANNEL = 2
FULL_LEVEL = "full"
ONLINE_LEVELS = ("full", "partial")
DONE = "done"
OPEN_STATUSES = ("processing", "paused")
OUTGOING = "out"
MEETING_TYPE = "TB"
DIRECTIVE_TYPES = ("KH", "CT", "QĐ")
HEAD = "head"
AXIS_FAILED = "fail"
BOTNET = "botnet_ip"

# Province policy: read through dti.settings (documented there and in docs/frameworks.md).
OPEN_PAST_DUE_SETTING = "DTI_METRIC_OPEN_PAST_DUE_LATE"
BOTNET_SETTING = "DTI_METRIC_BOTNET_AS_INCIDENT"


@dataclass(frozen=True)
class Policy:
    """The choices a province may make about the rules; the defaults are the domain brief's."""

    open_past_due_late: bool = True  # F5: unfinished at period end and past its due day → late
    botnet_as_incident: bool = True  # E5: a botnet IP still listed past its SLA is a late incident

    @classmethod
    def from_settings(cls) -> Policy:
        return cls(read_bool(OPEN_PAST_DUE_SETTING), read_bool(BOTNET_SETTING))


@dataclass(frozen=True)
class Window:
    """The data window of a period: first and last local day, inclusive."""

    first: dt.date
    last: dt.date

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time(0, 0), TZ)

    @property
    def end(self) -> dt.datetime:
        """The window's last instant (23:59:59.999999 local on its last day)."""
        return dt.datetime.combine(self.last, dt.time(23, 59, 59, 999999), TZ)

    def holds(self, day: dt.date) -> bool:
        return self.first <= day <= self.last


def local_day(ts: dt.datetime | None) -> dt.date | None:
    return ts.astimezone(TZ).date() if ts is not None else None


def value_of(record, name: str):
    return record[name] if isinstance(record, dict) else getattr(record, name)


@dataclass(frozen=True)
class Words:
    vi: str
    en: str


@dataclass(frozen=True)
class MetricRule:
    metric: str
    records: (
        str  # the raw record kind it reads: dossiers, procedures, documents, staff, incidents, inventories
    )
    numerator: Words
    denominator: Words | None  # None: a count
    exclusions: Words
    window: Words
    # Where the data cannot carry the framework's written rule: what is computed instead, and why.
    proxy: Words | None = None
    # (record, window, policy) → (numerator part, denominator part), or None when the record is out of scope.
    count: Callable | None = None


# --- dossiers -----------------------------------------------------------------------------------------------


def received_in(d, w: Window) -> bool:
    return w.holds(local_day(value_of(d, "received_at")))


def finished_in(d, w: Window) -> bool:
    fin = value_of(d, "finished_at")
    return value_of(d, "status") == DONE and fin is not None and w.holds(local_day(fin))


def is_online(d) -> bool:
    return value_of(d, "channel") == ONLINE_CHANNEL


def per_received(test: Callable, scope: Callable | None = None) -> Callable:
    def count(d, w: Window, _p: Policy):
        if not received_in(d, w) or (scope is not None and not scope(d)):
            return None
        return int(bool(test(d))), 1

    return count


def per_finished(test: Callable, scope: Callable | None = None) -> Callable:
    def count(d, w: Window, _p: Policy):
        if not finished_in(d, w) or (scope is not None and not scope(d)):
            return None
        return int(bool(test(d))), 1

    return count


def on_time(d, w: Window, policy: Policy = Policy()):
    """F5, record by record: (1, 1) on time, (0, 1) late, None not counted this period."""
    status, fin, due = value_of(d, "status"), value_of(d, "finished_at"), value_of(d, "due_at")
    if local_day(value_of(d, "received_at")) > w.last:
        return None
    if finished_in(d, w):  # without a due date it cannot be shown on time: late
        return int(due is not None and local_day(fin) <= local_day(due)), 1
    if due is None:
        return None  # unfinished with no due date: never past due
    # Not finished by the period's end: still open (or reopened), or done after the last day.
    unfinished = status in OPEN_STATUSES or (status == DONE and fin is not None and local_day(fin) > w.last)
    if unfinished and policy.open_past_due_late and local_day(due) <= w.last:
        return 0, 1  # whatever day it finishes on is after its due day: late
    return None  # finished before the period, rejected, or not yet due: carried over


def reuse(d, w: Window, _p: Policy):
    if not received_in(d, w):
        return None
    return int(value_of(d, "components_reused") or 0), int(value_of(d, "components_total") or 0)


def satisfied(d, w: Window, _p: Policy):
    sat = value_of(d, "satisfaction")
    if not finished_in(d, w) or sat is None:
        return None
    return int(sat == 1), 1


# --- documents and staff ------------------------------------------------------------------------------------


def doc_in(r, w: Window) -> bool:
    return w.holds(value_of(r, "issue_date"))


def outgoing(r) -> bool:
    return value_of(r, "direction") == OUTGOING


def public(r) -> bool:
    return outgoing(r) and not value_of(r, "confidential")


def directive(r) -> bool:
    return bool(value_of(r, "topic_dx")) and outgoing(r) and value_of(r, "doc_type") in DIRECTIVE_TYPES


def per_doc(scope: Callable, test: Callable) -> Callable:
    def count(r, w: Window, _p: Policy):
        if not doc_in(r, w) or not scope(r):
            return None
        return int(bool(test(r))), 1

    return count


def meeting(r, w: Window, _p: Policy):
    if not doc_in(r, w):
        return None
    hit = (
        bool(value_of(r, "topic_dx"))
        and value_of(r, "doc_type") == MEETING_TYPE
        and outgoing(r)
        and value_of(r, "signer_role") == HEAD
    )
    return int(hit), 0


def axis_ok(r) -> bool:
    return bool(value_of(r, "via_axis")) and (value_of(r, "axis_status") or "") != AXIS_FAILED


def signer(s, _w: Window, _p: Policy):
    if not value_of(s, "eligible_signer"):
        return None
    return int(bool(value_of(s, "personal_certificate"))), 1


# --- security -----------------------------------------------------------------------------------------------


def late_incident(i, w: Window, policy: Policy = Policy()):
    """E5, record by record: (1, 0) late, (0, 0) in the period and not late, None outside the period."""
    det, res = value_of(i, "detected_at"), value_of(i, "resolved_at")
    if det > w.end or (res is not None and res < w.start):
        return None
    if value_of(i, "category") == BOTNET and not policy.botnet_as_incident:
        return None
    deadline = det + dt.timedelta(hours=int(value_of(i, "sla_hours")))
    resolved_in = res is not None and res <= w.end
    late = (resolved_in and res > deadline) or (not resolved_in and deadline < w.end)
    return int(late), 0
