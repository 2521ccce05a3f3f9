"""Every objective metric's rule as an executable spec: what it counts (numerator), out of what (denominator),
what it leaves out, and which records its time window takes — in words (Vietnamese, English) and in code.

The words are what docs/frameworks.md prints (`rules_markdown`, and a test keeps the two equal). The code is a
plain-Python reading of the same words over raw records (`reference_values`): record by record, no SQL, no
shortcut. The warehouse metrics (dvc.py, doc.py, sec.py) count the same things in SQL with the vocabulary
below (statuses, channels, document types); the boundary tests run both on the same records and check each
against the value the rule's words give, and the demo's objective values are recomputed from the raw records
with this module (tests/independent_metrics.py).

Rules common to all metrics (domain brief §4):
- days are local days in Asia/Ho_Chi_Minh: 31/12 23:59:59+07:00 is still in the period, 16:59:59Z on 31/12
  is 23:59:59 local and in it too, 17:00:00Z is 1/1 local and out;
- deleted records (tombstones from the source) never count;
- a record still carrying a merged unit's former code counts for its successor (the sync maps it);
- confidential documents are left out of every document ratio.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from dti.settings import GROUPS, TZ, read_bool

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


def _get(record, name: str):
    return record[name] if isinstance(record, dict) else getattr(record, name)


@dataclass(frozen=True)
class Words:
    vi: str
    en: str


@dataclass(frozen=True)
class MetricRule:
    metric: str
    records: str  # the raw record kind it reads: dossiers, procedures, documents, staff, incidents, inventories
    numerator: Words
    denominator: Words | None  # None: a count
    exclusions: Words
    window: Words
    # Where the data cannot carry the framework's written rule: what is computed instead, and why.
    proxy: Words | None = None
    # (record, window, policy) → (numerator part, denominator part), or None when the record is out of scope.
    count: Callable | None = None


# --- dossiers -------------------------------------------------------------------------------------------------


def _received_in(d, w: Window) -> bool:
    return w.holds(local_day(_get(d, "received_at")))


def _finished_in(d, w: Window) -> bool:
    fin = _get(d, "finished_at")
    return _get(d, "status") == DONE and fin is not None and w.holds(local_day(fin))


def _online(d) -> bool:
    return _get(d, "channel") == ONLINE_CHANNEL


def _per_received(test: Callable, scope: Callable | None = None) -> Callable:
    def count(d, w: Window, _p: Policy):
        if not _received_in(d, w) or (scope is not None and not scope(d)):
            return None
        return int(bool(test(d))), 1

    return count


def _per_finished(test: Callable, scope: Callable | None = None) -> Callable:
    def count(d, w: Window, _p: Policy):
        if not _finished_in(d, w) or (scope is not None and not scope(d)):
            return None
        return int(bool(test(d))), 1

    return count


def on_time(d, w: Window, policy: Policy = Policy()):
    """F5, record by record: (1, 1) on time, (0, 1) late, None not counted this period."""
    status, fin, due = _get(d, "status"), _get(d, "finished_at"), _get(d, "due_at")
    if local_day(_get(d, "received_at")) > w.last:
        return None
    if _finished_in(d, w):  # without a due date it cannot be shown on time: late
        return int(due is not None and local_day(fin) <= local_day(due)), 1
    if due is None:
        return None  # unfinished with no due date: never past due
    # Not finished by the period's end: still open (or reopened), or done after the last day.
    unfinished = status in OPEN_STATUSES or (status == DONE and fin is not None and local_day(fin) > w.last)
    if unfinished and policy.open_past_due_late and local_day(due) <= w.last:
        return 0, 1  # whatever day it finishes on is after its due day: late
    return None  # finished before the period, rejected, or not yet due: carried over


def _reuse(d, w: Window, _p: Policy):
    if not _received_in(d, w):
        return None
    return int(_get(d, "components_reused") or 0), int(_get(d, "components_total") or 0)


def _satisfied(d, w: Window, _p: Policy):
    sat = _get(d, "satisfaction")
    if not _finished_in(d, w) or sat is None:
        return None
    return int(sat == 1), 1


# --- documents and staff --------------------------------------------------------------------------------------


def _doc_in(r, w: Window) -> bool:
    return w.holds(_get(r, "issue_date"))


def _outgoing(r) -> bool:
    return _get(r, "direction") == OUTGOING


def _public(r) -> bool:
    return _outgoing(r) and not _get(r, "confidential")


def _directive(r) -> bool:
    return bool(_get(r, "topic_dx")) and _outgoing(r) and _get(r, "doc_type") in DIRECTIVE_TYPES


def _per_doc(scope: Callable, test: Callable) -> Callable:
    def count(r, w: Window, _p: Policy):
        if not _doc_in(r, w) or not scope(r):
            return None
        return int(bool(test(r))), 1

    return count


def _meeting(r, w: Window, _p: Policy):
    if not _doc_in(r, w):
        return None
    hit = (
        bool(_get(r, "topic_dx"))
        and _get(r, "doc_type") == MEETING_TYPE
        and _outgoing(r)
        and _get(r, "signer_role") == HEAD
    )
    return int(hit), 0


def _axis_ok(r) -> bool:
    return bool(_get(r, "via_axis")) and (_get(r, "axis_status") or "") != AXIS_FAILED


def _signer(s, _w: Window, _p: Policy):
    if not _get(s, "eligible_signer"):
        return None
    return int(bool(_get(s, "personal_certificate"))), 1


# --- security -------------------------------------------------------------------------------------------------


def late_incident(i, w: Window, policy: Policy = Policy()):
    """E5, record by record: (1, 0) late, (0, 0) in the period and not late, None outside the period."""
    det, res = _get(i, "detected_at"), _get(i, "resolved_at")
    if det > w.end or (res is not None and res < w.start):
        return None
    if _get(i, "category") == BOTNET and not policy.botnet_as_incident:
        return None
    deadline = det + dt.timedelta(hours=int(_get(i, "sla_hours")))
    resolved_in = res is not None and res <= w.end
    late = (resolved_in and res > deadline) or (not resolved_in and deadline < w.end)
    return int(late), 0


# --- the rules ------------------------------------------------------------------------------------------------

_RECEIVED = Words(
    "hồ sơ tiếp nhận trong kỳ (theo ngày tiếp nhận, giờ Việt Nam)",
    "dossiers received in the period (by local day of receipt)",
)
_FINISHED = Words(
    "hồ sơ giải quyết xong (trạng thái «đã giải quyết») trong kỳ, theo ngày hoàn thành",
    "dossiers done in the period (status done), by local day finished",
)
_DELETED = Words("hồ sơ đã xoá ở nguồn", "dossiers deleted at the source")
_DOC_WINDOW = Words("văn bản có ngày ban hành trong kỳ", "documents issued in the period (issue date)")
_DOC_EXCL = Words(
    "văn bản đã xoá; văn bản mật (không tính vào mọi tỉ lệ văn bản)",
    "deleted documents; confidential documents (left out of every document ratio)",
)
_INVENTORY = Words(
    "ảnh chụp kiểm kê mới nhất có ngày không sau ngày cuối kỳ (bằng ngày: mã bản ghi lớn hơn)",
    "the newest inventory snapshot dated on or before the period's last day (a tie: the greater record id)",
)


def _rules() -> list[MetricRule]:
    def w(vi, en):
        return Words(vi, en)

    dossier_excl = _DELETED
    return [
        MetricRule(
            "dvc_online_procedures_rate", "procedures",
            w("TTHC có mức độ DVC trực tuyến toàn trình hoặc một phần", "procedures offered fully or partly online"),
            w("TTHC của đơn vị trong danh mục", "the unit's procedures in the catalogue"),
            w("TTHC đã xoá", "deleted procedures"),
            w("danh mục TTHC tại thời điểm đồng bộ (không theo kỳ)", "the catalogue as synced (no period)"),
            count=lambda p, _w, _p: (int(_get(p, "service_level") in ONLINE_LEVELS), 1),
        ),
        MetricRule(
            "dvc_online_services_used_rate", "procedures",
            w("DVCTT có ít nhất một hồ sơ nộp trực tuyến tiếp nhận trong kỳ",
              "online services with at least one online dossier received in the period"),
            w("mã TTHC khác nhau cung cấp trực tuyến (toàn trình/một phần)",
              "distinct procedure codes offered online (full or partial)"),
            w("TTHC và hồ sơ đã xoá", "deleted procedures and dossiers"),
            w("hồ sơ trực tuyến tiếp nhận trong kỳ", "online dossiers received in the period"),
        ),
        MetricRule(
            "dvc_online_submission_rate", "dossiers",
            w("hồ sơ nộp trực tuyến (kênh 2)", "dossiers submitted online (channel 2)"),
            _RECEIVED, dossier_excl, _RECEIVED,
            count=_per_received(_online),
        ),
        MetricRule(
            "dvc_full_online_rate", "dossiers",
            w("hồ sơ trực tuyến của TTHC toàn trình", "online dossiers of full-process procedures"),
            _RECEIVED, dossier_excl, _RECEIVED,
            count=_per_received(lambda d: _online(d) and _get(d, "service_level") == FULL_LEVEL),
        ),
        MetricRule(
            "dvc_on_time_rate", "dossiers",
            w("hồ sơ giải quyết xong trong kỳ, ngày hoàn thành không sau ngày hẹn trả (so theo ngày)",
              "dossiers done in the period on or before their due day (compared by local day)"),
            w("hồ sơ giải quyết xong trong kỳ, cộng hồ sơ chưa xong đến hết kỳ mà hạn trả không sau ngày cuối kỳ "
              "(kể cả hồ sơ xong sau ngày 31/12, hồ sơ mở lại, hồ sơ chuyển từ kỳ trước): các hồ sơ này là trễ hạn",
              "dossiers done in the period, plus dossiers not done by the period's end whose due day is on or "
              "before its last day (finished after 31/12, reopened, carried over alike): those are late"),
            w("hồ sơ đã xoá; hồ sơ bị từ chối; hồ sơ đã xong trước kỳ; hồ sơ chưa đến hạn cuối kỳ (chuyển kỳ "
              "sau). Hồ sơ đã xong mà không có ngày hẹn trả tính là trễ hạn (không chứng minh được đúng hạn)",
              "deleted and rejected dossiers; dossiers done before the period; dossiers not yet due at the "
              "period's end (carried over). A dossier done without a due date counts as late (it cannot be "
              "shown on time)"),
            w("hồ sơ tiếp nhận đến hết ngày cuối kỳ; trạng thái theo lần đồng bộ; một hồ sơ mở lại tính là chưa xong",
              "dossiers received by the period's last day; status as synced; a reopened dossier counts as "
              "not done"),
            count=on_time,
        ),
        MetricRule(
            "dvc_online_payment_rate", "dossiers",
            w("hồ sơ có phí đã thanh toán trực tuyến", "fee dossiers paid online"),
            w("hồ sơ có phí tiếp nhận trong kỳ", "fee dossiers received in the period"),
            dossier_excl, _RECEIVED,
            count=_per_received(lambda d: _get(d, "paid_online"), scope=lambda d: _get(d, "fee_applies")),
        ),
        MetricRule(
            "dvc_digitised_rate", "dossiers",
            w("hồ sơ có thành phần được số hoá", "dossiers with digitised components"),
            _RECEIVED, dossier_excl, _RECEIVED,
            count=_per_received(lambda d: _get(d, "has_digitised")),
        ),
        MetricRule(
            "dvc_e_result_rate", "dossiers",
            w("hồ sơ giải quyết xong có trả kết quả điện tử", "finished dossiers with an electronic result"),
            _FINISHED, w("hồ sơ đã xoá; hồ sơ bị từ chối", "deleted and rejected dossiers"), _FINISHED,
            count=_per_finished(lambda d: _get(d, "e_result")),
        ),
        MetricRule(
            "dvc_reuse_rate", "dossiers",
            w("tổng thành phần số hoá được tái sử dụng", "sum of reused digitised components"),
            w("tổng thành phần của hồ sơ tiếp nhận trong kỳ", "sum of components of dossiers received in the period"),
            dossier_excl, _RECEIVED,
            count=_reuse,
        ),
        MetricRule(
            "dvc_portal_sync_rate", "dossiers",
            w("hồ sơ đã đồng bộ lên Cổng DVC quốc gia", "dossiers synced to the national portal"),
            _RECEIVED, dossier_excl, _RECEIVED,
            count=_per_received(lambda d: _get(d, "synced_portal")),
        ),
        MetricRule(
            "dvc_satisfaction_rate", "dossiers",
            w("lượt đánh giá «hài lòng»", "ratings 'satisfied'"),
            w("hồ sơ giải quyết xong trong kỳ có đánh giá", "dossiers done in the period that were rated"),
            w("hồ sơ đã xoá, bị từ chối, chưa được đánh giá", "deleted, rejected and unrated dossiers"),
            _FINISHED,
            proxy=w("Quyết định 766 tính trung bình ba tỉ lệ hài lòng (tiếp nhận, giải quyết, trả kết quả); hệ thống "
                    "DVC chỉ ghi một cờ hài lòng cho mỗi hồ sơ, nên chỉ số dùng tỉ lệ hồ sơ hài lòng / hồ sơ được "
                    "đánh giá làm giá trị thay thế.",
                    "Decision 766 averages three satisfaction ratios (receipt, handling, result); the DVC data "
                    "holds one satisfaction flag per dossier, so the metric is the proxy satisfied ÷ rated "
                    "dossiers."),
            count=_satisfied,
        ),
        MetricRule(
            "dvc_vneid_rate", "dossiers",
            w("hồ sơ trực tuyến xác thực bằng VNeID", "online dossiers authenticated with VNeID"),
            w("hồ sơ trực tuyến tiếp nhận trong kỳ", "online dossiers received in the period"),
            dossier_excl, _RECEIVED,
            count=_per_received(lambda d: _get(d, "vneid"), scope=_online),
        ),
        MetricRule(
            "doc_dx_meetings_count", "documents",
            w("thông báo kết luận (TB) về CĐS do người đứng đầu ký, văn bản đi",
              "outgoing conclusion notices (TB) on digital transformation signed by the head"),
            None, _DOC_EXCL, _DOC_WINDOW,
            count=_meeting,
        ),
        MetricRule(
            "doc_head_directives_rate", "documents",
            w("văn bản chỉ đạo CĐS (KH, CT, QĐ) do người đứng đầu ký", "DX directives (KH, CT, QĐ) signed by the head"),
            w("văn bản chỉ đạo CĐS (KH, CT, QĐ) đi, đã ban hành", "outgoing DX directives (KH, CT, QĐ) issued"),
            _DOC_EXCL, _DOC_WINDOW,
            proxy=w("Bộ chỉ số chia cho số văn bản chỉ đạo phải ban hành; không hệ thống nào ghi số phải ban hành, "
                    "nên mẫu số là số văn bản chỉ đạo CĐS đã ban hành.",
                    "The framework divides by the directives required; no system records what is required, so "
                    "the denominator is the DX directives issued."),
            count=_per_doc(lambda r: _directive(r) and not _get(r, "confidential"), lambda r: _get(r, "signer_role") == HEAD),
        ),
        MetricRule(
            "doc_personal_signature_rate", "staff",
            w("cán bộ thuộc diện ký có chứng thư số cá nhân", "eligible signers holding a personal certificate"),
            w("cán bộ thuộc diện ký số", "staff eligible to sign"),
            w("tài khoản đã xoá", "deleted accounts"),
            w("danh sách người dùng tại thời điểm đồng bộ (không theo kỳ)", "the user list as synced (no period)"),
            count=_signer,
        ),
        MetricRule(
            "doc_signed_rate", "documents",
            w("văn bản đi không mật được ký số", "non-confidential outgoing documents digitally signed"),
            w("văn bản đi không mật", "non-confidential outgoing documents"),
            _DOC_EXCL, _DOC_WINDOW,
            count=_per_doc(_public, lambda r: _get(r, "digitally_signed")),
        ),
        MetricRule(
            "doc_axis_exchange_rate", "documents",
            w("văn bản gửi qua Trục liên thông, trạng thái không phải «lỗi»",
              "documents sent via the national axis whose status is not 'fail'"),
            w("văn bản đi không mật gửi liên cơ quan", "non-confidential outgoing inter-agency documents"),
            _DOC_EXCL, _DOC_WINDOW,
            count=_per_doc(lambda r: _public(r) and _get(r, "inter_agency"), _axis_ok),
        ),
        MetricRule(
            "doc_online_workfile_rate", "documents",
            w("hồ sơ công việc xử lý trên môi trường mạng", "work files handled online"),
            w("hồ sơ công việc không mật", "non-confidential work files"),
            _DOC_EXCL, _DOC_WINDOW,
            count=_per_doc(lambda r: _get(r, "work_file") and not _get(r, "confidential"),
                           lambda r: _get(r, "work_file_online")),
        ),
        MetricRule(
            "sec_antimalware_rate", "inventories",
            w("máy trạm được quản lý phòng chống mã độc tập trung", "workstations with centrally managed anti-malware"),
            w("máy trạm", "workstations"),
            w("ảnh chụp kiểm kê đã xoá", "deleted inventory snapshots"), _INVENTORY,
        ),
        MetricRule(
            "sec_soc_monitored_rate", "inventories",
            w("hệ thống được SOC giám sát", "systems monitored by the SOC"),
            w("hệ thống thông tin", "information systems"),
            w("ảnh chụp kiểm kê đã xoá", "deleted inventory snapshots"), _INVENTORY,
        ),
        MetricRule(
            "sec_late_incidents", "incidents",
            w("sự cố (kể cả IP botnet) xử lý xong sau hạn SLA trong kỳ, hoặc chưa xử lý xong đến hết kỳ mà đã quá "
              "hạn SLA; mỗi sự cố trừ điểm theo bộ chỉ số (5 điểm)",
              "incidents (botnet IPs included) resolved in the period after their SLA deadline, or not resolved "
              "by the period's end with the deadline passed; each costs the framework's penalty (5 points)"),
            None,
            w("sự cố đã xoá; sự cố đã xử lý trước kỳ", "deleted incidents; incidents resolved before the period"),
            w("sự cố phát hiện đến hết kỳ; hạn SLA = thời điểm phát hiện + số giờ SLA (so theo thời điểm)",
              "incidents detected by the period's end; deadline = detected at + SLA hours (compared as instants)"),
            count=late_incident,
        ),
    ]


RULES: dict[str, MetricRule] = {r.metric: r for r in _rules()}


# --- the reference: the rules applied record by record --------------------------------------------------------


def _tally(records: Iterable, rule: MetricRule, w: Window, policy: Policy) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for r in records:
        if _get(r, "deleted"):
            continue
        got = rule.count(r, w, policy)
        if got is None:
            continue
        slot = out.setdefault(_get(r, "unit_code"), [0, 0])
        slot[0] += got[0]
        slot[1] += got[1]
    return out


def _value(metric: str, num: int, den: int) -> tuple:
    if RULES[metric].denominator is None:
        return Decimal(num), None, None
    return ((Decimal(num) / Decimal(den)) if den else None), Decimal(num), Decimal(den)


def reference_values(records: dict[str, list], window: Window, policy: Policy = Policy()) -> dict:
    """{(unit, metric): (value, numerator, denominator)} for every unit with records, by the rules' words.

    `records` maps a record kind (dossiers, procedures, documents, staff, incidents, inventories) to its
    records (dicts or rows with the warehouse's column names, times time-zone aware, unit codes current)."""
    out: dict[tuple[str, str], tuple] = {}
    for rule in RULES.values():
        if rule.count is None:
            continue
        for unit, (num, den) in _tally(records.get(rule.records, []), rule, window, policy).items():
            out[(unit, rule.metric)] = _value(rule.metric, num, den)
    _services_used(records, window, out)
    _inventories(records.get("inventories", []), window, out)
    units_with_sec = {_get(r, "unit_code") for r in records.get("inventories", []) if not _get(r, "deleted")}
    for unit in units_with_sec:  # a unit with an inventory and no incident has none late, not no data
        out.setdefault((unit, "sec_late_incidents"), (Decimal(0), None, None))
    # A unit's rates without any record in scope: no value (the SQL metrics give none either).
    return {k: v for k, v in out.items() if v[0] is not None or RULES[k[1]].denominator is None}


def _services_used(records: dict[str, list], w: Window, out: dict) -> None:
    offered: dict[str, set] = {}
    for p in records.get("procedures", []):
        if not _get(p, "deleted") and _get(p, "service_level") in ONLINE_LEVELS:
            offered.setdefault(_get(p, "unit_code"), set()).add(_get(p, "procedure_code"))
    used: dict[str, set] = {}
    dossier_units = set()
    for d in records.get("dossiers", []):
        if _get(d, "deleted"):
            continue
        dossier_units.add(_get(d, "unit_code"))
        if _online(d) and _received_in(d, w):
            used.setdefault(_get(d, "unit_code"), set()).add(_get(d, "procedure_code"))
    for unit, codes in offered.items():
        if unit in dossier_units:
            n = len(codes & used.get(unit, set()))
            out[(unit, "dvc_online_services_used_rate")] = _value("dvc_online_services_used_rate", n, len(codes))


def _inventories(rows: list, w: Window, out: dict) -> None:
    newest: dict[str, object] = {}
    for v in rows:
        if _get(v, "deleted") or _get(v, "as_of") > w.last:
            continue
        unit = _get(v, "unit_code")
        best = newest.get(unit)
        if best is None or (_get(v, "as_of"), _get(v, "source_id")) > (_get(best, "as_of"), _get(best, "source_id")):
            newest[unit] = v
    for unit, v in newest.items():
        out[(unit, "sec_antimalware_rate")] = _value(
            "sec_antimalware_rate", _get(v, "managed_endpoints"), _get(v, "workstations"))
        out[(unit, "sec_soc_monitored_rate")] = _value(
            "sec_soc_monitored_rate", _get(v, "monitored_systems"), _get(v, "systems"))


# --- the words, for docs/frameworks.md ------------------------------------------------------------------------


def rules_markdown(leaves_by_metric: dict[str, list[str]] | None = None) -> str:
    """The rules as docs/frameworks.md prints them (one section per metric)."""
    lines = []
    for rule in RULES.values():
        codes = ", ".join((leaves_by_metric or {}).get(rule.metric, []))
        lines.append(f"#### `{rule.metric}`" + (f" ({codes})" if codes else ""))
        lines.append("")
        parts = [("Tử số / numerator", rule.numerator)]
        if rule.denominator is not None:
            parts.append(("Mẫu số / denominator", rule.denominator))
        else:
            parts.append(("Mẫu số / denominator", Words("không có: giá trị là số đếm", "none: the value is a count")))
        parts += [("Loại trừ / exclusions", rule.exclusions), ("Thời gian / window", rule.window)]
        if rule.proxy is not None:
            parts.append(("Dữ liệu không đủ cho quy tắc gốc / proxy", rule.proxy))
        for label, words in parts:
            lines.append(f"- **{label}**: {words.vi} — *{words.en}*")
        lines.append("")
    return "\n".join(lines)


def policy_markdown() -> str:
    """The province policy settings of the metrics (dti.settings group "metrics"), with their defaults."""
    lines = ["| setting | default | meaning |", "|---|---|---|"]
    for setting in GROUPS["metrics"]:
        lines.append(f"| `{setting.name}` | `{setting.default}` | {setting.help} |")
    return "\n".join(lines) + "\n"


DOC_BEGIN = "<!-- metric rules: generated by scripts/metric_rules_doc.py from dti/metrics/rules.py -->"
DOC_END = "<!-- end of metric rules -->"


def docs_section(leaves_by_metric: dict[str, list[str]]) -> str:
    """The generated block of docs/frameworks.md, markers included."""
    return "\n".join([DOC_BEGIN, "", policy_markdown(), rules_markdown(leaves_by_metric).rstrip(), "", DOC_END])
