"""Writing a read file to the warehouse: accepted rows become submissions (one per unit and period)
with their self-reports and citations, refused rows are quarantined with their reasons, and the
file's summary is kept."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from sqlalchemy import select

from dti.framework.periods import Period
from dti.intake.citations import parse_citations
from dti.intake.extract import Extracted
from dti.intake.mappings import Mapping
from dti.intake.readers import Workbook
from dti.intake.records import Record
from dti.intake.results import ImportResult, RowChecks
from dti.intake.store import add_submission, json_number
from dti.intake.unit_checks import check_sheet_units, fill_unit_period, native_contexts
from dti.intake.validate import (
    UnitContext,
    adopt_unit_framework,
    criteria_tree,
    validate_external,
    validate_native,
)
from dti.publication import current as current_publication
from dti.settings import TZ
from dti.warehouse.models import (
    CheckResult,
    EvidenceCitation,
    IntakeFile,
    QuarantineRow,
    SelfReport,
    Submission,
)


def quality_gate(records: list[Record], sha: str, checked_at: dt.datetime, session, row_checks: RowChecks
                 ) -> dict[str, int]:
    """Run the declarative row checks (the Great Expectations suite, passed in by the caller) over the
    accepted rows; a failure the domain rules missed rejects the row."""
    accepted = [r for r in records if r.accepted]
    rows = [{
        "row_key": r.key, "unit_code": r.fields.get("unit_code"), "period": r.fields.get("period"),
        "indicator_code": r.fields.get("indicator_code"),
        "rate_value": r.fields.get("value") if r.extra.get("measure") == "rate" else None,
        "numerator": r.fields.get("numerator"), "denominator": r.fields.get("denominator"),
        "self_points": r.fields.get("self_points"), "council_points": r.fields.get("council_points"),
        "max_points": r.fields.get("max_points") if r.fields.get("max_points") is not None
        else (Decimal(str(r.extra["max_points"])) if r.extra.get("max_points") is not None else None),
    } for r in accepted]
    outcome = row_checks(rows)
    by_key = {r.key: r for r in accepted}
    failing: dict[str, int] = {}
    for res in outcome.results:
        failing[res.name] = res.failing_count
        session.add(CheckResult(run_id=sha, asset="self_reports", check_name=res.name, partition=None,
                                severity=res.severity, success=res.success, failing_count=res.failing_count,
                                failing_rows=res.failing_rows, checked_at=checked_at))
        for item in res.failing_rows:
            rec = by_key.get(item.get("row_key"))
            if rec is not None and rec.accepted:
                fld = {"rate_value": "value", None: "indicator_code"}.get(res.column, res.column)
                rec.problem(fld, rec.fields.get(fld),
                            f"quality_{res.name}",
                            f"không đạt kiểm tra chất lượng dữ liệu '{res.name}'",
                            f"fails the data-quality check '{res.name}'")
    return failing


def refuse_published(session, records: list[Record]) -> None:
    """Rows for a published period are refused (kept in quarantine with the reason), never written."""
    published: dict[str, object] = {}
    for rec in records:
        period = rec.fields.get("period")
        if not rec.accepted or not period:
            continue
        if period not in published:
            published[period] = current_publication(session, str(period))
        pub = published[period]
        if pub is not None:
            rec.problem("period", period, "period_published",
                        f"kỳ {period} đã công bố theo Quyết định {pub.decision_number} ngày {pub.signed_on:%d/%m/%Y}; "
                        "không nhận thêm số liệu",
                        f"period {period} was published by decision {pub.decision_number} of "
                        f"{pub.signed_on.isoformat()}; it takes no more data")


def save_records(session, extracted: Extracted, mapping: Mapping, workbook: Workbook, base: dict, sha: str,
                 stored: str, submitted_at: dt.datetime, unit: str | None, period: str | None,
                 row_checks: RowChecks, replace_all: bool = False) -> ImportResult:
    """Check the extracted rows, then write the accepted ones as submissions (one per unit and period)
    and quarantine the rest with their reasons; the file's summary is stored beside it."""
    records = extracted.records
    received_at = dt.datetime.now(TZ)
    fill_unit_period(records, mapping, unit, period)
    contexts: dict[tuple, UnitContext] = {}
    if mapping.framework == "unit":
        contexts = native_contexts(session, records)
        validate_native(records, contexts, mapping)
    else:
        check_sheet_units(session, records, mapping, submitted_at)
        validate_external(records, mapping)
        if unit and not (mapping.external_unit and unit == mapping.external_unit.code):
            # a foreign sheet for a unit of ours (--unit): filed and scored on that unit's framework
            contexts = native_contexts(session, records)
            adopt_unit_framework(records, contexts)
    quality = quality_gate(records, sha, received_at, session, row_checks)
    refuse_published(session, records)

    row = session.get(IntakeFile, sha)  # present when an earlier attempt refused the whole file
    if row is None:
        row = IntakeFile(sha256=sha)
        session.add(row)
    row.filename, row.size, row.stored_path = base["filename"], base["size"], stored
    row.mapping, row.received_at, row.status = mapping.id, received_at, "imported"
    row.rows_read = row.rows_accepted = row.rows_rejected = 0
    row.summary = None
    session.flush()

    groups: dict[tuple, list[Record]] = {}
    for rec in records:
        if rec.accepted:
            groups.setdefault((rec.fields["unit_code"], rec.fields["period"]), []).append(rec)
    submissions = []
    citations_found = 0
    for (unit_code, period_text), group in sorted(groups.items()):
        info, cites = _write_group(session, mapping, contexts, sha, submitted_at, unit_code, period_text, group,
                                   replace_all)
        submissions.append(info)
        citations_found += cites

    rejected = [r for r in records if not r.accepted]
    for rec in rejected:
        session.add(QuarantineRow(file_sha256=sha, sheet=rec.sheet, row_number=rec.row_number,
                                  raw={"fields_by_column": rec.raw, "unit_code": rec.fields.get("unit_code"),
                                       "period": rec.fields.get("period")},
                                  reasons=[r.to_dict() for r in rec.reasons]))

    summary = summarise(base, mapping, workbook, extracted, records, submissions, citations_found, quality)
    row.status = summary["status"]
    row.rows_read, row.rows_accepted, row.rows_rejected = (summary["rows_read"], summary["rows_accepted"],
                                                           summary["rows_rejected"])
    row.summary = summary
    return ImportResult(sha, base["filename"], summary["status"], summary,
                        rejected_rows=[{"sheet": r.sheet, "row": r.row_number,
                                        "reasons": [x.to_dict() for x in r.reasons]} for r in rejected])


def _write_group(session, mapping: Mapping, contexts: dict, sha: str, submitted_at: dt.datetime, unit_code: str,
                 period_text: str, group: list[Record], replace_all: bool = False) -> tuple[dict, int]:
    """One submission: its self-report rows and the evidence citations parsed from them, and — unless the
    unit replaces everything — the earlier version's rows this file does not contain, carried forward."""
    deadline, is_late, framework_id = None, False, f"sheet:{mapping.id}"
    ctx = contexts.get((unit_code, period_text))
    if mapping.framework == "unit" or (ctx is not None and ctx.framework is not None):
        framework_id = ctx.framework.id
        deadline = Period.parse(period_text).deadline(ctx.framework, ctx.unit_type)
        is_late = deadline is not None and submitted_at.astimezone(TZ).date() > deadline
    sub = add_submission(session, unit_code=unit_code, period=period_text, framework_id=framework_id,
                         file_sha256=sha, submitted_at=submitted_at, deadline=deadline, is_late=is_late,
                         source=mapping.source_label)
    pending = [(_self_report(sub, unit_code, period_text, rec), parse_citations(rec.fields.get("evidence_text")))
               for rec in group]
    # one flush for the whole group: row-by-row flushes make large sheets slow
    session.add_all([report for report, _ in pending])
    session.flush()
    found = 0
    for report, cites in pending:
        session.add_all([EvidenceCitation(self_report_id=report.id, raw=c.raw, number=c.number,
                                          notation=c.notation, issuer=c.issuer, doc_date=c.doc_date,
                                          check_status=None, matched_document_id=None) for c in cites])
        found += len(cites)
    written = {rec.fields["indicator_code"] for rec in group}
    previous = _previous(session, sub)
    earlier = set(session.scalars(select(SelfReport.indicator_code).where(SelfReport.submission_id == previous.id))
                  ) if previous is not None else set()
    carried = 0 if replace_all or previous is None else _carry_forward(session, sub, previous, written)
    info = {
        "id": sub.id, "unit_code": unit_code, "period": period_text, "framework_id": framework_id,
        "rows": len(group), "deadline": deadline.isoformat() if deadline else None, "is_late": is_late,
        "is_current": sub.is_current, "superseded_by": sub.superseded_by,
        "replaces": previous.id if previous is not None else None, "replace_all": replace_all,
        "rows_added": len(written - earlier), "rows_replaced": len(written & earlier), "rows_carried": carried,
    }
    return info, found


def _self_report(sub, unit_code: str, period_text: str, rec: Record) -> SelfReport:
    cites = parse_citations(rec.fields.get("evidence_text"))
    extra = {**rec.extra, "raw": rec.raw}
    if rec.warnings:
        extra["warnings"] = [w.to_dict() for w in rec.warnings]
    if cites:
        extra["citations"] = [c.to_dict() for c in cites]
    for fld in ("indicator_name", "group", "status", "max_points", "difference", "evidence_summary", "note",
                "owner", "due_date", "evidence_date"):
        value = rec.fields.get(fld)
        if isinstance(value, Decimal):
            value = json_number(value)
        elif isinstance(value, dt.date):
            value = value.isoformat()
        if value is not None:
            extra[fld] = value
    return SelfReport(
        submission_id=sub.id, unit_code=unit_code, period=period_text,
        indicator_code=rec.fields["indicator_code"], value=rec.fields.get("value"),
        numerator=rec.fields.get("numerator"), denominator=rec.fields.get("denominator"),
        self_points=rec.fields.get("self_points"), council_points=rec.fields.get("council_points"),
        evidence_text=rec.fields.get("evidence_text"), source_sheet=rec.sheet,
        source_row=rec.row_number, extra=extra,
    )


def _previous(session, sub: Submission) -> Submission | None:
    """The version this one follows: the unit's latest earlier submission for the period."""
    return session.scalars(
        select(Submission).where(Submission.unit_code == sub.unit_code, Submission.period == sub.period,
                                 Submission.id != sub.id, Submission.submitted_at <= sub.submitted_at)
        .order_by(Submission.submitted_at.desc(), Submission.id.desc()).limit(1)).first()


def _carry_forward(session, sub: Submission, previous: Submission, written: set[str]) -> int:
    """Copy the earlier version's rows (and their citations) for the indicators this file leaves out."""
    kept = session.scalars(select(SelfReport).where(SelfReport.submission_id == previous.id,
                                                    SelfReport.indicator_code.not_in(sorted(written)))
                           .order_by(SelfReport.id)).all()
    copies = []
    for old in kept:
        columns = {c.key: getattr(old, c.key) for c in SelfReport.__table__.columns if c.key not in ("id",)}
        columns.update(submission_id=sub.id, extra={**(old.extra or {}), "carried_from_submission": previous.id})
        copies.append((old, SelfReport(**columns)))
    session.add_all([new for _old, new in copies])
    session.flush()
    for old, new in copies:
        for c in session.scalars(select(EvidenceCitation).where(EvidenceCitation.self_report_id == old.id)):
            session.add(EvidenceCitation(self_report_id=new.id, raw=c.raw, number=c.number, notation=c.notation,
                                         issuer=c.issuer, doc_date=c.doc_date, check_status=None,
                                         matched_document_id=None))
    return len(copies)


def summarise(base: dict, mapping: Mapping, workbook: Workbook, extracted: Extracted, records: list[Record],
             submissions: list[dict], citations_found: int, quality: dict[str, int]) -> dict:
    accepted = [r for r in records if r.accepted]
    codes = {r.fields.get("indicator_code") for r in accepted}
    # A row whose code has children in the sheet is a heading; adding it would count its points twice.
    parents = {".".join(c.split(".")[:i]) for c in codes if c for i in range(1, c.count(".") + 1)}
    leaves = [r for r in accepted if r.fields.get("indicator_code") not in parents]

    def total(fld: str) -> Decimal | None:
        values = [r.fields.get(fld) if fld != "max_points" or r.fields.get(fld) is not None
                  else (Decimal(str(r.extra["max_points"])) if r.extra.get("max_points") is not None else None)
                  for r in leaves]
        values = [v for v in values if v is not None]
        return sum(values, Decimal(0)) if values else None

    tmax, tself, tcouncil = total("max_points"), total("self_points"), total("council_points")
    errors = Counter(reason.code for r in records for reason in r.reasons)
    n_rows = len(records)
    status = "imported" if not errors else ("rejected" if not accepted else "partial")
    summary = {
        **base,
        "mapping": mapping.id,
        "format": workbook.kind,
        "encoding": workbook.encoding,
        "sheet": extracted.sheet,
        "header_row": extracted.header_row,
        "status": status,
        "rows_read": n_rows,
        "rows_accepted": len(accepted),
        "rows_rejected": n_rows - len(accepted),
        "rows_with_warnings": sum(1 for r in accepted if r.warnings),
        "total_max_points": json_number(tmax),
        "total_self_points": json_number(tself),
        "total_council_points": json_number(tcouncil),
        "self_ratio": json_number(round(tself / tmax, 4)) if tself is not None and tmax else None,
        "council_ratio": json_number(round(tcouncil / tmax, 4)) if tcouncil is not None and tmax else None,
        "criteria_changed_by_council": sum(
            1 for r in leaves if r.fields.get("council_points") is not None
            and r.fields.get("self_points") is not None and r.fields["council_points"] != r.fields["self_points"]
        ) if tcouncil is not None else None,
        "errors_by_code": dict(sorted(errors.items())),
        "warnings_by_code": dict(sorted(Counter(w.code for r in records for w in r.warnings).items())),
        "citations_found": citations_found,
        "unmapped_columns": extracted.unmapped_columns,
        "quality_checks_failing": {k: v for k, v in sorted(quality.items()) if v},
        "submissions": submissions,
        "rows_added": sum(s["rows_added"] for s in submissions),
        "rows_replaced": sum(s["rows_replaced"] for s in submissions),
        "rows_carried": sum(s["rows_carried"] for s in submissions),
    }
    if mapping.framework == "from_sheet":
        summary["criteria_tree"] = criteria_tree(records)
    return summary
