"""What stands behind a claim's objective value: the system-of-record rows it was computed from and
the document citations the unit gave, with how each citation checked out."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dti.warehouse.models import (
    ClaimLedgerRow,
    EvidenceCitation,
    RawDocument,
    RawDossier,
    RawIncident,
    RawInventory,
    RawStaff,
    SelfReport,
)

# The first records (by id) a claim page shows; the page says how many more there are.
MAX_RECORDS = 100
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
}
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
