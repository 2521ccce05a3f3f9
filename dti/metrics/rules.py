"""Every objective metric's rule as an executable spec: what it counts (numerator), out of what (denominator),
what it leaves out, and which records its time window takes — in words (Vietnamese, English) and in code.

The words are what docs/frameworks.md prints (dti.metrics.reference.rules_markdown; a test keeps the two
equal). The code is a plain-Python reading of the same words over raw records (the `count` of each rule,
summed by dti.metrics.reference.reference_values): record by record, no SQL, no shortcut. The warehouse
metrics (dvc.py, doc.py, sec.py) count the same things in SQL with the vocabulary below (statuses, channels,
document types); the boundary tests run both on the same records and check each
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

from dti.metrics.rule_records import (  # noqa: F401  (the rules' vocabulary, used by the SQL metrics)
    AXIS_FAILED,
    BOTNET,
    BOTNET_SETTING,
    DIRECTIVE_TYPES,
    DONE,
    FULL_LEVEL,
    HEAD,
    MEETING_TYPE,
    ONLINE_CHANNEL,
    ONLINE_LEVELS,
    OPEN_PAST_DUE_SETTING,
    OPEN_STATUSES,
    OUTGOING,
    MetricRule,
    Policy,
    Window,
    Words,
    axis_ok,
    directive,
    is_online,
    late_incident,
    local_day,
    meeting,
    on_time,
    outgoing,
    per_doc,
    per_finished,
    per_received,
    public,
    received_in,
    reuse,
    satisfied,
    signer,
    value_of,
)

# --- the rules ----------------------------------------------------------------------------------------------

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


_RULES = [
    MetricRule(
        "dvc_online_procedures_rate",
        "procedures",
        Words(
            "TTHC có mức độ DVC trực tuyến toàn trình hoặc một phần",
            "procedures offered fully or partly online",
        ),
        Words("TTHC của đơn vị trong danh mục", "the unit's procedures in the catalogue"),
        Words("TTHC đã xoá", "deleted procedures"),
        Words("danh mục TTHC tại thời điểm đồng bộ (không theo kỳ)", "the catalogue as synced (no period)"),
        count=lambda p, _w, _p: (int(value_of(p, "service_level") in ONLINE_LEVELS), 1),
    ),
    MetricRule(
        "dvc_online_services_used_rate",
        "procedures",
        Words(
            "DVCTT có ít nhất một hồ sơ nộp trực tuyến tiếp nhận trong kỳ",
            "online services with at least one online dossier received in the period",
        ),
        Words(
            "mã TTHC khác nhau cung cấp trực tuyến (toàn trình/một phần)",
            "distinct procedure codes offered online (full or partial)",
        ),
        Words("TTHC và hồ sơ đã xoá", "deleted procedures and dossiers"),
        Words("hồ sơ trực tuyến tiếp nhận trong kỳ", "online dossiers received in the period"),
    ),
    MetricRule(
        "dvc_online_submission_rate",
        "dossiers",
        Words("hồ sơ nộp trực tuyến (kênh 2)", "dossiers submitted online (channel 2)"),
        _RECEIVED,
        _DELETED,
        _RECEIVED,
        count=per_received(is_online),
    ),
    MetricRule(
        "dvc_full_online_rate",
        "dossiers",
        Words("hồ sơ trực tuyến của TTHC toàn trình", "online dossiers of full-process procedures"),
        _RECEIVED,
        _DELETED,
        _RECEIVED,
        count=per_received(lambda d: is_online(d) and value_of(d, "service_level") == FULL_LEVEL),
    ),
    MetricRule(
        "dvc_on_time_rate",
        "dossiers",
        Words(
            "hồ sơ giải quyết xong trong kỳ, ngày hoàn thành không sau ngày hẹn trả (so theo ngày)",
            "dossiers done in the period on or before their due day (compared by local day)",
        ),
        Words(
            "hồ sơ giải quyết xong trong kỳ, cộng hồ sơ chưa xong đến hết kỳ mà hạn trả không sau ngày "
            "cuối kỳ (kể cả hồ sơ xong sau ngày 31/12, hồ sơ mở lại, hồ sơ chuyển từ kỳ trước): các hồ sơ "
            "này là trễ hạn",
            "dossiers done in the period, plus dossiers not done by the period's end whose due day is on or "
            "before its last day (finished after 31/12, reopened, carried over alike): those are late",
        ),
        Words(
            "hồ sơ đã xoá; hồ sơ bị từ chối; hồ sơ đã xong trước kỳ; hồ sơ chưa đến hạn cuối kỳ (chuyển kỳ "
            "sau). Hồ sơ đã xong mà không có ngày hẹn trả tính là trễ hạn (không chứng minh được đúng hạn)",
            "deleted and rejected dossiers; dossiers done before the period; dossiers not yet due at the "
            "period's end (carried over). A dossier done without a due date counts as late (it cannot be "
            "shown on time)",
        ),
        Words(
            "hồ sơ tiếp nhận đến hết ngày cuối kỳ; trạng thái theo lần đồng bộ; một hồ sơ mở lại tính là "
            "chưa xong",
            "dossiers received by the period's last day; status as synced; a reopened dossier counts as "
            "not done",
        ),
        count=on_time,
    ),
    MetricRule(
        "dvc_online_payment_rate",
        "dossiers",
        Words("hồ sơ có phí đã thanh toán trực tuyến", "fee dossiers paid online"),
        Words("hồ sơ có phí tiếp nhận trong kỳ", "fee dossiers received in the period"),
        _DELETED,
        _RECEIVED,
        count=per_received(lambda d: value_of(d, "paid_online"), scope=lambda d: value_of(d, "fee_applies")),
    ),
    MetricRule(
        "dvc_digitised_rate",
        "dossiers",
        Words("hồ sơ có thành phần được số hoá", "dossiers with digitised components"),
        _RECEIVED,
        _DELETED,
        _RECEIVED,
        count=per_received(lambda d: value_of(d, "has_digitised")),
    ),
    MetricRule(
        "dvc_e_result_rate",
        "dossiers",
        Words("hồ sơ giải quyết xong có trả kết quả điện tử", "finished dossiers with an electronic result"),
        _FINISHED,
        Words("hồ sơ đã xoá; hồ sơ bị từ chối", "deleted and rejected dossiers"),
        _FINISHED,
        count=per_finished(lambda d: value_of(d, "e_result")),
    ),
    MetricRule(
        "dvc_reuse_rate",
        "dossiers",
        Words("tổng thành phần số hoá được tái sử dụng", "sum of reused digitised components"),
        Words(
            "tổng thành phần của hồ sơ tiếp nhận trong kỳ",
            "sum of components of dossiers received in the period",
        ),
        _DELETED,
        _RECEIVED,
        count=reuse,
    ),
    MetricRule(
        "dvc_portal_sync_rate",
        "dossiers",
        Words("hồ sơ đã đồng bộ lên Cổng DVC quốc gia", "dossiers synced to the national portal"),
        _RECEIVED,
        _DELETED,
        _RECEIVED,
        count=per_received(lambda d: value_of(d, "synced_portal")),
    ),
    MetricRule(
        "dvc_satisfaction_rate",
        "dossiers",
        Words("lượt đánh giá «hài lòng»", "ratings 'satisfied'"),
        Words("hồ sơ giải quyết xong trong kỳ có đánh giá", "dossiers done in the period that were rated"),
        Words("hồ sơ đã xoá, bị từ chối, chưa được đánh giá", "deleted, rejected and unrated dossiers"),
        _FINISHED,
        proxy=Words(
            "Quyết định 766 tính trung bình ba tỉ lệ hài lòng (tiếp nhận, giải quyết, trả kết quả); hệ thống "
            "DVC chỉ ghi một cờ hài lòng cho mỗi hồ sơ, nên chỉ số dùng tỉ lệ hồ sơ hài lòng / hồ sơ được "
            "đánh giá làm giá trị thay thế.",
            "Decision 766 averages three satisfaction ratios (receipt, handling, result); the DVC data "
            "holds one satisfaction flag per dossier, so the metric is the proxy satisfied ÷ rated "
            "dossiers.",
        ),
        count=satisfied,
    ),
    MetricRule(
        "dvc_vneid_rate",
        "dossiers",
        Words("hồ sơ trực tuyến xác thực bằng VNeID", "online dossiers authenticated with VNeID"),
        Words("hồ sơ trực tuyến tiếp nhận trong kỳ", "online dossiers received in the period"),
        _DELETED,
        _RECEIVED,
        count=per_received(lambda d: value_of(d, "vneid"), scope=is_online),
    ),
    MetricRule(
        "doc_dx_meetings_count",
        "documents",
        Words(
            "thông báo kết luận (TB) về CĐS do người đứng đầu ký, văn bản đi",
            "outgoing conclusion notices (TB) on digital transformation signed by the head",
        ),
        None,
        _DOC_EXCL,
        _DOC_WINDOW,
        count=meeting,
    ),
    MetricRule(
        "doc_head_directives_rate",
        "documents",
        Words(
            "văn bản chỉ đạo CĐS (KH, CT, QĐ) do người đứng đầu ký",
            "DX directives (KH, CT, QĐ) signed by the head",
        ),
        Words(
            "văn bản chỉ đạo CĐS (KH, CT, QĐ) đi, đã ban hành", "outgoing DX directives (KH, CT, QĐ) issued"
        ),
        _DOC_EXCL,
        _DOC_WINDOW,
        proxy=Words(
            "Bộ chỉ số chia cho số văn bản chỉ đạo phải ban hành; không hệ thống nào ghi số phải ban hành, "
            "nên mẫu số là số văn bản chỉ đạo CĐS đã ban hành.",
            "The framework divides by the directives required; no system records what is required, so "
            "the denominator is the DX directives issued.",
        ),
        count=per_doc(
            lambda r: directive(r) and not value_of(r, "confidential"),
            lambda r: value_of(r, "signer_role") == HEAD,
        ),
    ),
    MetricRule(
        "doc_personal_signature_rate",
        "staff",
        Words(
            "cán bộ thuộc diện ký có chứng thư số cá nhân", "eligible signers holding a personal certificate"
        ),
        Words("cán bộ thuộc diện ký số", "staff eligible to sign"),
        Words("tài khoản đã xoá", "deleted accounts"),
        Words(
            "danh sách người dùng tại thời điểm đồng bộ (không theo kỳ)",
            "the user list as synced (no period)",
        ),
        count=signer,
    ),
    MetricRule(
        "doc_signed_rate",
        "documents",
        Words("văn bản đi không mật được ký số", "non-confidential outgoing documents digitally signed"),
        Words("văn bản đi không mật", "non-confidential outgoing documents"),
        _DOC_EXCL,
        _DOC_WINDOW,
        count=per_doc(public, lambda r: value_of(r, "digitally_signed")),
    ),
    MetricRule(
        "doc_axis_exchange_rate",
        "documents",
        Words(
            "văn bản gửi qua Trục liên thông, trạng thái không phải «lỗi»",
            "documents sent via the national axis whose status is not 'fail'",
        ),
        Words("văn bản đi không mật gửi liên cơ quan", "non-confidential outgoing inter-agency documents"),
        _DOC_EXCL,
        _DOC_WINDOW,
        count=per_doc(lambda r: public(r) and value_of(r, "inter_agency"), axis_ok),
    ),
    MetricRule(
        "doc_online_workfile_rate",
        "documents",
        Words("hồ sơ công việc xử lý trên môi trường mạng", "work files handled online"),
        Words("hồ sơ công việc không mật", "non-confidential work files"),
        _DOC_EXCL,
        _DOC_WINDOW,
        count=per_doc(
            lambda r: value_of(r, "work_file") and not value_of(r, "confidential"),
            lambda r: value_of(r, "work_file_online"),
        ),
    ),
    MetricRule(
        "sec_antimalware_rate",
        "inventories",
        Words(
            "máy trạm được quản lý phòng chống mã độc tập trung",
            "workstations with centrally managed anti-malware",
        ),
        Words("máy trạm", "workstations"),
        Words("ảnh chụp kiểm kê đã xoá", "deleted inventory snapshots"),
        _INVENTORY,
    ),
    MetricRule(
        "sec_soc_monitored_rate",
        "inventories",
        Words("hệ thống được SOC giám sát", "systems monitored by the SOC"),
        Words("hệ thống thông tin", "information systems"),
        Words("ảnh chụp kiểm kê đã xoá", "deleted inventory snapshots"),
        _INVENTORY,
    ),
    MetricRule(
        "sec_late_incidents",
        "incidents",
        Words(
            "sự cố (kể cả IP botnet) xử lý xong sau hạn SLA trong kỳ, hoặc chưa xử lý xong đến hết kỳ mà "
            "đã quá hạn SLA; mỗi sự cố trừ điểm theo bộ chỉ số (5 điểm)",
            "incidents (botnet IPs included) resolved in the period after their SLA deadline, or not "
            "resolved by the period's end with the deadline passed; each costs the framework's penalty "
            "(5 points)",
        ),
        None,
        Words(
            "sự cố đã xoá; sự cố đã xử lý trước kỳ", "deleted incidents; incidents resolved before the period"
        ),
        Words(
            "sự cố phát hiện đến hết kỳ; hạn SLA = thời điểm phát hiện + số giờ SLA (so theo thời điểm)",
            "incidents detected by the period's end; deadline = detected at + SLA hours (compared as "
            "instants)",
        ),
        count=late_incident,
    ),
]

RULES: dict[str, MetricRule] = {r.metric: r for r in _RULES}
