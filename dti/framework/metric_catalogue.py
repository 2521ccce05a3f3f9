"""The objective metrics a system of record can prove, by id. Framework leaves point at these ids."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricDef:
    id: str
    source: str  # DVC / DOC / SEC
    measure: str  # rate / count
    name_vi: str
    name_en: str
    numerator_vi: str = ""
    denominator_vi: str = ""


_DEFS = [
    MetricDef(
        "dvc_online_procedures_rate",
        "DVC",
        "rate",
        "TTHC cung cấp trực tuyến / TTHC đủ điều kiện",
        "procedures offered online ÷ eligible procedures",
        "TTHC trực tuyến",
        "TTHC đủ điều kiện",
    ),
    MetricDef(
        "dvc_online_services_used_rate",
        "DVC",
        "rate",
        "DVCTT có phát sinh hồ sơ trực tuyến / DVCTT",
        "online services with ≥1 online dossier ÷ online services",
        "DVCTT có hồ sơ",
        "DVCTT",
    ),
    MetricDef(
        "dvc_online_submission_rate",
        "DVC",
        "rate",
        "Hồ sơ nộp trực tuyến / hồ sơ tiếp nhận",
        "dossiers submitted online ÷ received",
        "hồ sơ trực tuyến",
        "hồ sơ tiếp nhận",
    ),
    MetricDef(
        "dvc_full_online_rate",
        "DVC",
        "rate",
        "Hồ sơ trực tuyến toàn trình / hồ sơ tiếp nhận",
        "full-process online dossiers ÷ received",
        "hồ sơ toàn trình",
        "hồ sơ tiếp nhận",
    ),
    MetricDef(
        "dvc_on_time_rate",
        "DVC",
        "rate",
        "Hồ sơ giải quyết đúng hạn / hồ sơ đã giải quyết",
        "dossiers finished on or before the due date ÷ finished",
        "hồ sơ đúng hạn",
        "hồ sơ đã giải quyết",
    ),
    MetricDef(
        "dvc_online_payment_rate",
        "DVC",
        "rate",
        "Hồ sơ có phí thanh toán trực tuyến / hồ sơ có phí",
        "fee dossiers paid online ÷ fee dossiers",
        "hồ sơ thanh toán trực tuyến",
        "hồ sơ có phí",
    ),
    MetricDef(
        "dvc_digitised_rate",
        "DVC",
        "rate",
        "Hồ sơ có thành phần được số hoá / hồ sơ tiếp nhận",
        "dossiers with digitised components ÷ received",
        "hồ sơ số hoá",
        "hồ sơ tiếp nhận",
    ),
    MetricDef(
        "dvc_e_result_rate",
        "DVC",
        "rate",
        "Hồ sơ trả kết quả điện tử / hồ sơ đã giải quyết",
        "finished dossiers with an electronic result ÷ finished",
        "kết quả điện tử",
        "hồ sơ đã giải quyết",
    ),
    MetricDef(
        "dvc_reuse_rate",
        "DVC",
        "rate",
        "Thành phần số hoá được tái sử dụng / thành phần hồ sơ",
        "reused digitised components ÷ components",
        "thành phần tái sử dụng",
        "thành phần hồ sơ",
    ),
    MetricDef(
        "dvc_portal_sync_rate",
        "DVC",
        "rate",
        "Hồ sơ đồng bộ lên Cổng DVC quốc gia / hồ sơ tiếp nhận",
        "dossiers synced to the national portal ÷ received",
        "hồ sơ đồng bộ",
        "hồ sơ tiếp nhận",
    ),
    MetricDef(
        "dvc_satisfaction_rate",
        "DVC",
        "rate",
        "Hồ sơ được đánh giá hài lòng / hồ sơ được đánh giá",
        "satisfied ratings ÷ ratings",
        "đánh giá hài lòng",
        "lượt đánh giá",
    ),
    MetricDef(
        "dvc_vneid_rate",
        "DVC",
        "rate",
        "Hồ sơ trực tuyến xác thực VNeID / hồ sơ trực tuyến",
        "online dossiers authenticated with VNeID ÷ online dossiers",
        "hồ sơ VNeID",
        "hồ sơ trực tuyến",
    ),
    MetricDef(
        "doc_dx_meetings_count",
        "DOC",
        "count",
        "Số cuộc họp về CĐS do người đứng đầu chủ trì",
        "DX meetings chaired by the head (conclusion notices)",
    ),
    MetricDef(
        "doc_head_directives_rate",
        "DOC",
        "rate",
        "Văn bản chỉ đạo CĐS do người đứng đầu ký / văn bản chỉ đạo CĐS",
        "DX directives signed by the head ÷ DX directives",
        "do người đứng đầu ký",
        "văn bản chỉ đạo CĐS",
    ),
    MetricDef(
        "doc_personal_signature_rate",
        "DOC",
        "rate",
        "Cán bộ có chữ ký số cá nhân / cán bộ thuộc diện",
        "staff with a personal digital signature ÷ eligible staff",
        "có chữ ký số",
        "cán bộ thuộc diện",
    ),
    MetricDef(
        "doc_signed_rate",
        "DOC",
        "rate",
        "Văn bản đi được ký số / văn bản đi (không mật)",
        "outgoing documents digitally signed ÷ outgoing (non-confidential)",
        "văn bản ký số",
        "văn bản đi",
    ),
    MetricDef(
        "doc_axis_exchange_rate",
        "DOC",
        "rate",
        "Văn bản liên thông qua Trục / văn bản gửi cơ quan khác",
        "documents exchanged via the national axis ÷ inter-agency documents",
        "qua Trục",
        "văn bản liên thông",
    ),
    MetricDef(
        "doc_online_workfile_rate",
        "DOC",
        "rate",
        "Hồ sơ công việc xử lý trên môi trường mạng / hồ sơ công việc",
        "work files handled online ÷ work files",
        "hồ sơ xử lý trực tuyến",
        "hồ sơ công việc",
    ),
    MetricDef(
        "sec_antimalware_rate",
        "SEC",
        "rate",
        "Máy trạm có phòng chống mã độc tập trung / máy trạm",
        "workstations with central anti-malware ÷ workstations",
        "máy trạm được quản lý",
        "máy trạm",
    ),
    MetricDef(
        "sec_soc_monitored_rate",
        "SEC",
        "rate",
        "Hệ thống được SOC giám sát / hệ thống thông tin",
        "systems under SOC monitoring ÷ systems",
        "hệ thống được giám sát",
        "hệ thống",
    ),
    MetricDef(
        "sec_late_incidents",
        "SEC",
        "count",
        "Sự cố xử lý quá hạn và IP botnet chưa gỡ",
        "incidents resolved past SLA or still open past SLA (botnet IPs included)",
    ),
]

METRICS: dict[str, MetricDef] = {m.id: m for m in _DEFS}
