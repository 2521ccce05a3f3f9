"""What stands behind a claim's objective value: the system-of-record rows it was computed from and
the document citations the unit gave, with how each citation checked out."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from dti.appraisal.claims import framework, leaf_of
from dti.framework import Period
from dti.framework.metric_catalogue import METRICS, MetricDef
from dti.metrics.records import Record, RecordCounts, all_records, record_counts, record_page, rule_for
from dti.settings import TZ
from dti.tabular import TabularMetric, tabular_metrics
from dti.vocabulary import DossierChannel, DossierStatus, Measure, RecordRole
from dti.warehouse.models import (
    ClaimLedgerRow,
    EvidenceCitation,
    RawDocument,
    RawDossier,
    RawIncident,
    RawInventory,
    RawProcedure,
    RawStaff,
    RawTabularRow,
    SelfReport,
)

# Records a claim page shows at a time; it pages through the rest and exports them all.
MAX_RECORDS = 100
CSV_BOM = "\ufeff"
# What a council member needs to see of each kind of source record behind an objective value.
RECORD_FIELDS = {
    RawDossier: (
        "Hồ sơ DVC",
        ("dossier_code", "procedure_code", "channel", "received_at", "due_at", "finished_at", "status"),
    ),
    RawDocument: (
        "Văn bản",
        ("direction", "number", "notation", "issue_date", "digitally_signed", "via_axis", "confidential"),
    ),
    RawIncident: ("Sự cố ATTT", ("detected_at", "severity", "category", "resolved_at", "sla_hours")),
    RawInventory: (
        "Kiểm kê ATTT",
        ("as_of", "workstations", "managed_endpoints", "systems", "monitored_systems"),
    ),
    RawStaff: ("Cán bộ ký số", ("eligible_signer", "personal_certificate")),
    RawProcedure: ("Thủ tục hành chính", ("procedure_code", "name_vi", "service_level")),
    RawTabularRow: ("Bản ghi nguồn dạng bảng", ("row_id", "row_date", "fields", "origin")),
}
# The fields' names as the claim page prints them (the CSV keeps the column names).
FIELD_LABELS = {
    "dossier_code": "mã hồ sơ", "procedure_code": "mã TTHC", "channel": "kênh nộp", "received_at": "tiếp nhận",
    "due_at": "hẹn trả", "finished_at": "hoàn thành", "status": "trạng thái", "direction": "chiều",
    "number": "số", "notation": "ký hiệu", "issue_date": "ngày ban hành", "digitally_signed": "ký số",
    "via_axis": "qua trục liên thông", "confidential": "mật", "detected_at": "phát hiện", "severity": "mức độ",
    "category": "loại", "resolved_at": "xử lý xong", "sla_hours": "thời hạn xử lý (giờ)", "as_of": "ngày kiểm kê",
    "workstations": "máy trạm", "managed_endpoints": "máy có phòng chống mã độc", "systems": "hệ thống",
    "monitored_systems": "hệ thống được giám sát", "eligible_signer": "thuộc diện ký số",
    "personal_certificate": "có chứng thư cá nhân", "name_vi": "tên", "service_level": "mức độ trực tuyến",
    "row_id": "mã bản ghi", "row_date": "ngày", "fields": "các trường", "origin": "tệp, dòng",
}
# Codes shown by their Vietnamese label.
FIELD_TERMS = {"channel": DossierChannel, "status": DossierStatus}
DIRECTIONS = {"in": "đến", "out": "đi"}
SERVICE_LEVELS = {"full": "toàn trình", "partial": "một phần", "info": "cung cấp thông tin"}


def field_text(name: str, value):
    """A record field as the claim page prints it: yes/no in words, codes by their label; times and dates are
    left to the page's own format."""
    if value is None:
        return "—"
    if isinstance(value, dict):  # a tabular row's mapped fields
        return "; ".join(f"{k}: {field_text(k, v) if isinstance(v, bool) else ('—' if v is None else v)}"
                         for k, v in value.items())
    if isinstance(value, bool):
        return "có" if value else "không"
    if name in FIELD_TERMS:
        return FIELD_TERMS[name].label(str(value), default=str(value))
    if name == "direction":
        return DIRECTIONS.get(value, value)
    if name == "service_level":
        return SERVICE_LEVELS.get(value, value)
    return value


# How a citation checked out against the document system.
CITATION_STATUSES = {"found": "Tìm thấy", "not_found": "Không tìm thấy", "date_mismatch": "Sai ngày"}


def source_records(session: Session, row: ClaimLedgerRow) -> list[dict]:
    """The claim's source records (the first MAX_RECORDS ids), each with the fields worth reading."""
    ids = sorted(row.record_ids or [])[:MAX_RECORDS]
    out: list[dict] = []
    if not ids:
        return out
    for model, (label, fields) in RECORD_FIELDS.items():
        found = session.execute(
            select(model).where(model.source_id.in_(ids), model.unit_code == row.unit_code)
        ).scalars()
        for rec in sorted(found, key=lambda r: r.source_id):
            out.append(
                {
                    "kind": label,
                    "source_id": rec.source_id,
                    "fields": [(f, getattr(rec, f)) for f in fields],
                    "deleted": rec.deleted,
                }
            )
    return out


def citations_for(session: Session, row: ClaimLedgerRow) -> list[dict]:
    """The ledger's checked citations, then any of the self-report's citations not among them."""
    out = [dict(c) for c in (row.citations or []) if isinstance(c, dict)]
    report_ids = select(SelfReport.id).where(
        SelfReport.unit_code == row.unit_code,
        SelfReport.period == row.period,
        SelfReport.indicator_code == row.indicator_code,
    )
    seen = {(c.get("raw"), c.get("status")) for c in out}
    for c in session.execute(
        select(EvidenceCitation).where(EvidenceCitation.self_report_id.in_(report_ids))
    ).scalars():
        if (c.raw, c.check_status) not in seen:
            out.append({"raw": c.raw, "status": c.check_status, "document_id": c.matched_document_id})
    return out


@dataclass
class DrillDown:
    """One page of the records behind a claim's objective value, with the true totals."""

    metric: MetricDef | None
    counts: RecordCounts | None  # None: no metric rule (evidence-only claims); the ledger's ids are shown
    records: list[dict] = field(default_factory=list)
    page: int = 1
    per_page: int = MAX_RECORDS

    @property
    def total(self) -> int:
        return self.counts.total if self.counts else len(self.records)

    @property
    def pages(self) -> int:
        return max(math.ceil(self.total / self.per_page), 1)

    @property
    def first(self) -> int:
        """The position (from 1) of the page's first record."""
        return (self.page - 1) * self.per_page + 1 if self.records else 0

    @property
    def last(self) -> int:
        return self.first + len(self.records) - 1 if self.records else 0


def _metric_window(row: ClaimLedgerRow) -> tuple[str | None, tuple[dt.date, dt.date] | None]:
    leaf = leaf_of(row)
    if leaf is None or not leaf.metric or rule_for(leaf.metric) is None:
        return None, None
    return leaf.metric, Period.parse(row.period).window(framework(row.framework_id))


def metric_def(metric: str) -> MetricDef | TabularMetric:
    """A built-in metric by id, or a tabular source's declarative one."""
    return METRICS[metric] if metric in METRICS else tabular_metrics()[metric]


def role_of(metric: str, rec: Record) -> RecordRole:
    if rec.in_numerator is None:
        return RecordRole.SOURCE
    if metric_def(metric).measure == Measure.COUNT:
        return RecordRole.COUNTED if rec.in_numerator else RecordRole.NOT_COUNTED
    return RecordRole.NUMERATOR if rec.in_numerator else RecordRole.DENOMINATOR_ONLY


def _described(metric: str, rec: Record) -> dict:
    label, fields = RECORD_FIELDS[type(rec.row)]
    role = role_of(metric, rec)
    return {"kind": label, "source_id": rec.row.source_id, "deleted": rec.row.deleted,
            "fields": [(FIELD_LABELS.get(f, f), field_text(f, getattr(rec.row, f))) for f in fields],
            "role": role.value, "role_label": role.vi}


def drill_down(session: Session, row: ClaimLedgerRow, page: int = 1,
               per_page: int = MAX_RECORDS) -> DrillDown:
    """Page `page` of every record behind the claim's value, read by the metric's own rule, each marked
    numerator or denominator-only, with the true counts. A claim without a metric rule shows the ledger's
    ids."""
    metric, window = _metric_window(row)
    if metric is None:
        return DrillDown(None, None, source_records(session, row))
    counts = record_counts(session, metric, row.unit_code, window)
    pages = max(math.ceil(counts.total / per_page), 1)
    page = min(max(page, 1), pages)
    found = record_page(session, metric, row.unit_code, window, page, per_page)
    return DrillDown(metric_def(metric), counts, [_described(metric, r) for r in found], page, per_page)


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(TZ).isoformat()
    if isinstance(value, dict):  # a tabular row's mapped fields
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def records_csv(session: Session, row: ClaimLedgerRow) -> Iterator[str]:
    """Every record behind the claim's value as CSV text chunks: a UTF-8 BOM (Excel on Windows reads the
    Vietnamese right), a header, one line per record in source-id order with its role (numerator /
    denominator-only) and the fields worth reading."""
    metric, window = _metric_window(row)
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")

    def flush() -> str:
        text = buf.getvalue()
        buf.seek(0)
        buf.truncate()
        return text

    columns: list[str] = []
    if metric is not None:
        columns = list(RECORD_FIELDS[rule_for(metric).model][1])
    out.writerow(["loai_ban_ghi", "ma_ban_ghi", "vai_tro", "vai_tro_ten", *columns])
    yield CSV_BOM + flush()
    if metric is None:
        return
    for n, rec in enumerate(all_records(session, metric, row.unit_code, window), start=1):
        role = role_of(metric, rec)
        out.writerow([RECORD_FIELDS[type(rec.row)][0], rec.row.source_id, role.value, role.vi,
                      *(_csv_value(getattr(rec.row, f)) for f in columns)])
        if n % 1000 == 0:
            yield flush()
    yield flush()
