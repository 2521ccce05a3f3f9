"""The one vocabulary of the product: every code a person reads (outcomes, severities, directions,
phases, decisions, roles, reason codes, unit types, scoring methods) with its Vietnamese and English
label, in one place. Pages, reports, workbooks and logs read the labels here.

Each member is a `str` (a StrEnum), so `Outcome.VERIFIED == "verified"` and the codes stored in the
warehouse and written to the CSV exports stay what they always were.
"""

from __future__ import annotations

from enum import StrEnum


class Term(StrEnum):
    """A code with its Vietnamese label (`vi`) and English label (`en`)."""

    vi: str
    en: str

    def __new__(cls, value: str, vi: str = "", en: str = ""):
        member = str.__new__(cls, value)
        member._value_ = value
        member.vi = vi
        member.en = en
        return member

    @classmethod
    def label(cls, code: str | None, *, default: str = "") -> str:
        """The Vietnamese label of `code`, or `default` (the code itself when empty) for an unknown one."""
        if code is None:
            return default
        try:
            return cls(code).vi
        except ValueError:
            return default or code

    @classmethod
    def labels(cls) -> dict[str, str]:
        """{code: Vietnamese label}, in declaration order."""
        return {m.value: m.vi for m in cls}


class Outcome(Term):
    VERIFIED = "verified", "Khớp", "verified"
    DISCREPANCY = "discrepancy", "Chênh lệch", "discrepancy"
    UNVERIFIABLE = "unverifiable", "Không xác minh được", "unverifiable"
    EVIDENCE_ONLY = "evidence_only", "Chỉ có minh chứng", "evidence only"
    NOT_APPLICABLE = "not_applicable", "Không áp dụng", "not applicable"
    MISSING_SELF_REPORT = "missing_self_report", "Chưa tự đánh giá", "missing self-report"


# The outcomes a council member has something to decide on.
QUEUE_OUTCOMES = (Outcome.DISCREPANCY, Outcome.UNVERIFIABLE, Outcome.EVIDENCE_ONLY, Outcome.MISSING_SELF_REPORT)


class Severity(Term):
    CRITICAL = "critical", "Nghiêm trọng", "critical"
    HIGH = "high", "Cao", "high"
    MEDIUM = "medium", "Trung bình", "medium"
    LOW = "low", "Thấp", "low"

    @property
    def rank(self) -> int:
        """0 for the most severe."""
        return list(Severity).index(self)


class Direction(Term):
    OVER = "over", "Tự đánh giá cao hơn", "over-reported"
    UNDER = "under", "Tự đánh giá thấp hơn", "under-reported"


class Phase(Term):
    SELF_ASSESSMENT = "self_assessment", "Tự đánh giá", "self-assessment"
    SUBMITTED = "submitted", "Đã nộp", "submitted"
    APPRAISAL = "appraisal", "Thẩm định (khoá minh chứng)", "appraisal (evidence locked)"
    EXPLANATION = "explanation", "Giải trình", "explanation"
    FINAL = "final", "Chốt kết quả", "final"
    PUBLISHED = "published", "Công bố", "published"


class Action(Term):
    ACCEPT_OBJECTIVE = "accept_objective", "Chấp nhận giá trị khách quan", "accept the objective value"
    KEEP_CLAIM = "keep_claim", "Giữ giá trị tự đánh giá", "keep the claim"
    SET_VALUE = "set_value", "Ấn định giá trị khác", "set another value"
    REQUEST_EVIDENCE = "request_evidence", "Yêu cầu bổ sung minh chứng / giải trình", "request evidence"


class DecisionStatus(Term):
    EFFECTIVE = "effective", "Có hiệu lực", "effective"
    PENDING_APPROVAL = "pending_approval", "Chờ phê duyệt (bốn mắt)", "waiting for a second member"
    APPROVED = "approved", "Phê duyệt", "approved"
    REJECTED = "rejected", "Từ chối", "rejected"


class Role(Term):
    COUNCIL = "council", "Thành viên Hội đồng thẩm định", "appraisal council member"
    STAFF = "staff", "Cán bộ DTI", "DTI staff"
    SUBMITTER = "submitter", "Đơn vị tự đánh giá", "submitting unit"
    ADMIN = "admin", "Quản trị hệ thống", "administrator"


class Reason(Term):
    """Why a claim has its outcome. A stored reason may carry detail after a colon
    ("source_failed: timeout"); the code is the part before it."""

    WITHIN_TOLERANCE = ("within_tolerance", "Số liệu tự đánh giá khớp với hệ thống (trong ngưỡng sai lệch cho phép)",
                        "the claim agrees with the system of record within tolerance")
    OVER_REPORTED = "over_reported", "Tự đánh giá cao hơn số liệu hệ thống", "claimed more than the records show"
    UNDER_REPORTED = "under_reported", "Tự đánh giá thấp hơn số liệu hệ thống", "claimed less than the records show"
    SOURCE_FAILED = ("source_failed", "Không lấy được dữ liệu từ hệ thống nguồn",
                     "the system of record could not be read")
    SOURCE_INCOMPLETE = ("source_incomplete", "Hệ thống nguồn trả dữ liệu không đầy đủ (đồng bộ dở dang)",
                         "the system of record sent incomplete data (the sync did not complete)")
    RECORDS_QUARANTINED = ("records_quarantined", "Hệ thống nguồn gửi bản ghi bất thường của đơn vị (đã cách ly)",
                           "the system of record sent records of the unit that were set aside (quarantined)")
    SOURCE_STALE = "source_stale", "Dữ liệu hệ thống nguồn đã cũ", "the system of record's data is out of date"
    NO_RECORDS = ("no_records", "Hệ thống nguồn không có bản ghi của đơn vị trong kỳ",
                  "the system of record has no records of the unit in the period")
    COVERAGE_BELOW_MINIMUM = ("coverage_below_minimum", "Dữ liệu hệ thống nguồn chưa đủ cho cả kỳ",
                              "the system of record does not cover the whole period")
    NO_SYSTEM_OF_RECORD = ("no_system_of_record", "Không có hệ thống đo được; Hội đồng xem xét tài liệu kiểm chứng",
                           "no system measures it; the council reviews the evidence")
    NOT_APPLICABLE = "not_applicable", "Chỉ số không áp dụng cho loại đơn vị", "does not apply to the unit type"
    MISSING_SELF_REPORT = ("missing_self_report", "Đơn vị chưa tự đánh giá chỉ số này",
                           "the unit did not report this indicator")
    SELF_POINTS_MISCOMPUTED = ("self_points_miscomputed", "Điểm tự chấm không khớp cách tính của bộ chỉ số",
                               "the self-score does not follow the framework's scoring method")
    CITATION_NOT_FOUND = ("citation_not_found", "Văn bản trích dẫn không có trong hệ thống QLVB",
                          "the cited document is not in the document system")
    CITATION_DATE_MISMATCH = ("citation_date_mismatch", "Văn bản trích dẫn có ngày ban hành khác",
                              "the cited document has another issue date")
    COUNCIL_DECISION = "council_decision", "Đã có quyết định của Hội đồng", "decided by the council"
    METRIC_PROXY = ("metric_proxy",
                    "Dữ liệu hệ thống không đủ cho cách tính gốc; đối chiếu với giá trị thay thế "
                    "(xem ghi chú của chỉ số)",
                    "the systems' data cannot carry the written rule; checked against the documented proxy "
                    "(see the indicator's note)")

    @classmethod
    def describe(cls, reason: str) -> str:
        """The Vietnamese label of a stored reason ("code" or "code: detail"), an evidence verdict as
        "Minh chứng: …"; unknown codes as they are."""
        code = reason.split(":")[0]
        if code in EVIDENCE_VERDICTS:
            return f"Minh chứng: {EvidenceVerdict(code).vi.lower()}"
        return cls.label(code, default=reason)


class RiskSignal(Term):
    """Why a claim that no system measures looks worth a closer look (the council queue's risk reasons)."""

    JUMP = ("jump", "Điểm tự chấm tăng mạnh so với kỳ trước", "the self-score jumped against the previous period")
    PEER_OUTLIER = ("peer_outlier", "Cao bất thường so với các đơn vị cùng loại",
                    "unusually high against units of the same type")
    OVER_REPORTS_NEARBY = ("over_reports_nearby", "Đơn vị tự đánh giá cao hơn số liệu hệ thống ở chỉ số cùng nhóm",
                           "the unit over-reports measured indicators of the same main index")
    CITATION_PROBLEM = ("citation_problem", "Văn bản trích dẫn không có hoặc sai ngày trong hệ thống QLVB",
                        "a cited document is missing from the document system or has another date")
    NO_CITATION = ("no_citation", "Không trích dẫn tài liệu kiểm chứng nào", "no evidence document is cited")
    EVIDENCE_PROBLEM = ("evidence_problem", "Tệp minh chứng chưa đạt khi đọc tự động",
                        "the evidence file did not pass the automatic reading")


class UnitType(Term):
    DEPT_TTHC = "dept_tthc", "Sở, ban, ngành có TTHC", "department with administrative procedures"
    DEPT_NO_TTHC = "dept_no_tthc", "Sở, ban, ngành không có TTHC", "department without administrative procedures"
    COMMUNE = "commune", "Xã, phường, đặc khu", "commune, ward or special zone"
    DISTRICT = "district", "Huyện (trước 1/7/2025)", "district (before 1/7/2025)"
    PROVINCE = "province", "Tỉnh, thành phố trực thuộc trung ương", "province or centrally-run city"


class SyncVerdict(Term):
    """How a sync of one entity (and so the source) ended."""

    COMPLETE = "ok", "Đầy đủ", "complete"
    INCOMPLETE = "incomplete", "Không đầy đủ", "incomplete"
    FAILED = "failed", "Thất bại", "failed"


class QuarantineReason(Term):
    """Why the sync set a record aside instead of loading it."""

    TIME_IN_FUTURE = ("time_in_future", "Thời điểm cập nhật ở tương lai (vượt độ lệch đồng hồ cho phép)",
                      "updated in the future, beyond the allowed clock skew")


class EvidenceCheck(Term):
    """What is checked about an evidence file (dti.evidence.checks), in the order a council member reads it."""

    CONTENT = "content", "Nội dung đọc được", "readable content"
    CITATION = "citation", "Đúng văn bản được trích dẫn", "is the cited document"
    PERIOD = "period", "Ngày văn bản trong kỳ đánh giá", "dated within the period"
    REGISTERED = "registered", "Có trong hệ thống QLVB", "registered in the document system"
    RELEVANCE = "relevance", "Liên quan đến chỉ số", "concerns the indicator"
    SHARED = "shared", "Không trùng với tệp nộp nơi khác", "not filed elsewhere"


class EvidenceVerdict(Term):
    """A check's verdict on an evidence file, and a file's or a claim's overall verdict (its worst check).

    Declared from the most to the least serious: `rank` orders them for the council queue."""

    UNREADABLE = "evidence_unreadable", "Không đọc được tệp", "the file cannot be read"
    NO_TEXT = "evidence_no_text", "Tệp không có chữ", "the file carries no text"
    BLANK_TEMPLATE = "evidence_blank_template", "Mẫu trống, chưa điền", "a blank template"
    MISMATCH = "evidence_mismatch", "Không phải văn bản được trích dẫn", "not the cited document"
    DATE_MISMATCH = "evidence_date_mismatch", "Ngày văn bản không khớp", "the document's date disagrees"
    OUT_OF_PERIOD = "evidence_out_of_period", "Ngày văn bản ngoài kỳ đánh giá", "dated outside the period"
    NOT_REGISTERED = "evidence_not_registered", "Không có trong hệ thống QLVB", "not in the document system"
    UNRELATED = "evidence_unrelated", "Không thấy liên quan đến chỉ số", "nothing ties it to the indicator"
    SHARED = "evidence_shared", "Trùng tệp nộp ở đơn vị/chỉ số khác", "the same document filed elsewhere"
    MISSING = "evidence_missing", "Chưa nộp tệp minh chứng", "no evidence file filed"
    UNKNOWN = "evidence_unknown", "Không xác định được", "cannot tell"
    NOT_CHECKED = "evidence_not_checked", "Không kiểm tra", "not checked"
    OK = "evidence_ok", "Phù hợp", "in order"

    @property
    def rank(self) -> int:
        """0 for the most serious."""
        return list(EvidenceVerdict).index(self)


EVIDENCE_VERDICTS = frozenset(EvidenceVerdict)


class EvidenceProblem(Term):
    """Why an evidence file could not be read (its text is then unknown, never a pass)."""

    EMPTY = "empty", "Tệp rỗng", "the file is empty"
    MISSING = "missing", "Tệp không còn trong kho lưu trữ", "the stored file is missing"
    UNSUPPORTED = ("unsupported", "Loại tệp không đọc được (cần PDF, PNG, JPEG, DOCX, XLSX, ODT)",
                   "not a readable type (PDF, PNG, JPEG, DOCX, XLSX, ODT)")
    DAMAGED = "damaged", "Tệp hỏng, không mở được", "the file is damaged and cannot be opened"
    ENCRYPTED = "encrypted", "Tệp PDF có mật khẩu", "the PDF is password-protected"
    TOO_LARGE = ("too_large", "Tệp vượt giới hạn đọc (kích thước giải nén hoặc kích thước ảnh)",
                 "the file is over a reading limit (unpacked size or image size)")
    OCR_UNAVAILABLE = ("ocr_unavailable", "Máy chủ chưa cài Tesseract (tiếng Việt) để nhận dạng ảnh quét",
                       "Tesseract with its Vietnamese model is not installed to read scans")
    OCR_FAILED = "ocr_failed", "Nhận dạng chữ (OCR) thất bại", "text recognition (OCR) failed"
    TIME_BUDGET = "time_budget", "Hết thời gian cho phép để đọc tệp", "the time allowed for reading the file ran out"


class ScoringMethod(Term):
    """How a framework turns a measured value into points (Method.kind)."""

    RATIO = "ratio", "Tỷ lệ × điểm tối đa", "ratio × max points"
    TARGET = ("target", "Theo chỉ tiêu (đủ điểm khi đạt chỉ tiêu)",
              "against a target (full marks at the target)")
    PASS_MARK = "pass_mark", "Đạt ngưỡng thì đủ điểm", "full marks at the pass mark"
    STEPS = "steps", "Theo bậc (mức cao nhất đạt được)", "by steps (highest step reached)"
    TIERS = "tiers", "Theo mức đánh giá", "by tiers"
    BINARY = "binary", "Có / không", "yes or no"
    DEDUCTION = "deduction", "Trừ điểm theo số lần vi phạm", "points deducted per event"
    CAPPED_SUM = "capped_sum", "Cộng điểm theo mục, có mức trần", "points per item, capped"
    RELATIVE_TO_BEST = "relative_to_best", "So với đơn vị tốt nhất", "relative to the best unit"


class Source(Term):
    """The systems of record (and evidence) an indicator is verified against."""

    DVC = "DVC", "Cổng dịch vụ công (DVC)", "public-service portal (DVC)"
    DOC = "DOC", "Hệ thống quản lý văn bản (QLVB)", "document management system"
    SEC = "SEC", "Hệ thống giám sát an toàn thông tin", "security monitoring"
    EVD = "EVD", "Tài liệu kiểm chứng", "evidence documents"
    TAB = "TAB", "Nguồn dữ liệu dạng bảng (tệp xuất, truy vấn)", "tabular source (an export or a query)"


class Measure(Term):
    RATE = "rate", "Tỷ lệ", "rate"
    COUNT = "count", "Số lượng", "count"
    BOOL = "bool", "Có / không", "yes or no"
    TIER = "tier", "Mức", "tier"


class DossierChannel(Term):
    """How a DVC dossier was submitted (the portal's `channel` code)."""

    IN_PERSON = "1", "Trực tiếp", "in person"
    ONLINE = "2", "Trực tuyến", "online"
    POSTAL = "3", "Bưu chính công ích", "by post"


class RecordRole(Term):
    """What a source record is to the value it stands behind (the claim page's drill-down)."""

    NUMERATOR = "numerator", "Tử số", "numerator"
    DENOMINATOR_ONLY = "denominator_only", "Chỉ mẫu số", "denominator only"
    COUNTED = "counted", "Được đếm", "counted"
    NOT_COUNTED = "not_counted", "Trong phạm vi, không được đếm", "in scope, not counted"
    SOURCE = "source", "Bản ghi nguồn", "source record"


class DossierStatus(Term):
    PROCESSING = "processing", "Đang xử lý", "in process"
    PAUSED = "paused", "Tạm dừng, chờ bổ sung", "paused for supplements"
    DONE = "done", "Đã trả kết quả", "done"
    REJECTED = "rejected", "Từ chối", "rejected"


class CheckSeverity(Term):
    """What a failing data-quality check does to its asset."""

    ERROR = "ERROR", "Chặn (lỗi)", "blocking (error)"
    WARN = "WARN", "Cảnh báo", "warning"
