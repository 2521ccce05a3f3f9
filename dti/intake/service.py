"""The one way in for self-assessment files, used by the CLI, the inbox sensor and the review app:
read, map, validate, store the original, write accepted rows and quarantine the rest."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from dti.intake import registry
from dti.intake.citations import parse_citations
from dti.intake.mappings import NATIVE_MAPPING, Mapping, MappingError, get_mapping, load_mappings
from dti.intake.readers import FileRejected, Workbook, read_file
from dti.intake.store import add_submission, json_number, sha256_of, store_bytes
from dti.intake.validate import (
    Extracted,
    Record,
    UnitContext,
    criteria_tree,
    extract,
    resolve_period,
    validate_external,
    validate_native,
)
from dti.settings import TZ, get_settings
from dti.warehouse.models import CheckResult, EvidenceCitation, IntakeFile, QuarantineRow, SelfReport


class IntakeError(Exception):
    """The file was refused before anything was stored (missing, too large, unknown mapping)."""


@dataclass
class ImportResult:
    file_id: str
    filename: str
    status: str  # imported / partial / rejected
    summary: dict[str, Any]
    already_imported: bool = False
    rejected_rows: list[dict] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return self.summary.get("rows_read", 0)

    @property
    def rows_accepted(self) -> int:
        return self.summary.get("rows_accepted", 0)

    @property
    def rows_rejected(self) -> int:
        return self.summary.get("rows_rejected", 0)

    @property
    def error(self) -> dict | None:
        return self.summary.get("error")

    def to_dict(self) -> dict:
        return {**self.summary, "already_imported": self.already_imported}


def _now() -> dt.datetime:
    return dt.datetime.now(TZ)


def _choose_mapping(workbook: Workbook, filename: str) -> Mapping:
    """The mapping whose required headers a sheet carries; the native form wins ties."""
    from dti.intake.validate import _find_header

    mappings = load_mappings()
    order = sorted(mappings, key=lambda m: (m != NATIVE_MAPPING, m))
    for mid in order:
        mapping = mappings[mid]
        for grid in workbook.grids:
            if (mapping.sheet is None or grid.sheet == mapping.sheet) and _find_header(grid, mapping) is not None:
                return mapping
    tried = ", ".join(order) or "(không có / none)"
    raise FileRejected(
        "headers_not_found",
        f"tệp '{filename}' không khớp ánh xạ nào ({tried}); hãy dùng mẫu `dti intake template` "
        "hoặc chỉ rõ --mapping",
        f"'{filename}' matches no mapping ({tried}); use the form from `dti intake template` or pass --mapping",
    )


def import_file(path: str | Path, mapping: str | None = None, *, url: str | None = None,
                submitted_at: dt.datetime | None = None, uploaded_by: str | None = None,
                unit: str | None = None, period: str | None = None,
                filename: str | None = None) -> ImportResult:
    """Import one self-assessment file. Re-importing the same bytes reports the earlier result.

    `unit` and `period` fill in what the file does not say itself (foreign sheets); the file's own
    header cells and columns take precedence. `filename` is the name the unit gave the file when
    `path` is a temporary copy (web uploads); messages and the store use it.
    """
    from dti.warehouse import init_db, session_scope

    settings = get_settings()
    path = Path(path)
    if not path.is_file():
        raise IntakeError(f"không tìm thấy tệp '{path}' / file not found: '{path}'")
    named = Path(Path(filename).name) if filename else Path(path.name)
    size = path.stat().st_size
    if size > settings.max_upload_bytes:
        raise IntakeError(
            f"tệp '{named.name}' có dung lượng {size:,} byte, vượt giới hạn {settings.max_upload_bytes:,} byte "
            f"(DTI_MAX_UPLOAD_BYTES) / '{named.name}' is {size:,} bytes, over the "
            f"{settings.max_upload_bytes:,}-byte limit (DTI_MAX_UPLOAD_BYTES)"
        )
    chosen = None
    if mapping:
        try:
            chosen = get_mapping(mapping)
        except MappingError as exc:
            raise IntakeError(str(exc)) from None
    data = path.read_bytes()
    sha = sha256_of(data)
    submitted_at = submitted_at or _now()
    if submitted_at.tzinfo is None:
        submitted_at = submitted_at.replace(tzinfo=TZ)
    init_db(url)

    with session_scope(url) as session:
        earlier = session.get(IntakeFile, sha)
        if earlier is not None and not (earlier.summary or {}).get("error"):
            return _earlier_result(session, earlier)

    stored = store_bytes(data, sha, named.suffix)
    base = {"file_id": sha, "filename": named.name, "size": len(data), "stored_path": str(stored),
            "uploaded_by": uploaded_by, "submitted_at": submitted_at.astimezone(TZ).isoformat()}
    try:
        try:
            workbook = read_file(named, data, max_bytes=settings.max_upload_bytes)
            chosen = chosen or _choose_mapping(workbook, named.name)
            extracted = extract(workbook, chosen, named.name)
        except FileRejected:
            raise
        except Exception as exc:  # noqa: BLE001 - a hostile file must give an answer, not a traceback
            logging.getLogger(__name__).exception("unreadable intake file %s (%s)", named.name, sha)
            raise FileRejected(
                "unreadable_file",
                f"không đọc được tệp '{named.name}': {type(exc).__name__}: {exc}",
                f"cannot read '{named.name}': {type(exc).__name__}: {exc}",
            ) from None
    except FileRejected as exc:
        summary = {**base, "mapping": chosen.id if chosen else None, "status": "rejected",
                   "rows_read": 0, "rows_accepted": 0, "rows_rejected": 0,
                   "error": {"code": exc.code, "message_vi": exc.message_vi, "message_en": exc.message_en}}
        with session_scope(url) as session:
            row = session.get(IntakeFile, sha)
            if row is None:
                row = IntakeFile(sha256=sha)
                session.add(row)
            row.filename, row.size, row.stored_path = named.name, len(data), str(stored)
            row.mapping, row.received_at, row.status = summary["mapping"], _now(), "rejected"
            row.rows_read = row.rows_accepted = row.rows_rejected = 0
            row.summary = summary
        return ImportResult(sha, named.name, "rejected", summary)

    try:
        with session_scope(url) as session:
            result = _import_records(session, extracted, chosen, workbook, base, sha, str(stored),
                                     submitted_at, unit, period)
    except IntegrityError:
        # Another process imported the same bytes at the same moment: theirs is the import.
        with session_scope(url) as session:
            earlier = session.get(IntakeFile, sha)
            if earlier is None:
                raise
            return _earlier_result(session, earlier)
    return result


def _earlier_result(session, earlier: IntakeFile) -> ImportResult:
    """The stored result of an earlier import, with today's view of which submissions are current."""
    from sqlalchemy import select

    from dti.warehouse.models import Submission

    summary = dict(earlier.summary or {})
    subs = []
    for info in summary.get("submissions", []):
        row = session.get(Submission, info["id"])
        subs.append({**info, "is_current": row.is_current, "superseded_by": row.superseded_by} if row else info)
    summary["submissions"] = subs
    quarantined = session.scalars(select(QuarantineRow).where(QuarantineRow.file_sha256 == earlier.sha256)
                                  .order_by(QuarantineRow.sheet, QuarantineRow.row_number, QuarantineRow.id)).all()
    rejected = [{"sheet": q.sheet, "row": q.row_number, "reasons": q.reasons} for q in quarantined]
    return ImportResult(earlier.sha256, earlier.filename, earlier.status, summary, already_imported=True,
                        rejected_rows=rejected)


def _fill_unit_period(records: list[Record], mapping: Mapping, unit: str | None, period: str | None) -> None:
    for rec in records:
        for fld, given in (("unit_code", unit), ("period", period)):
            if not rec.fields.get(fld):
                fallback = given or mapping.defaults.get(fld)
                if fld == "unit_code" and not fallback and mapping.external_unit:
                    fallback = mapping.external_unit.code
                rec.fields[fld] = fallback
                if fallback:
                    rec.columns.setdefault(fld, f"--{fld.split('_')[0]}" if given else f"mapping:{fld}")


def _contexts_native(session, records: list[Record]) -> dict[tuple, UnitContext]:
    from dti.framework import loader

    frameworks = loader.load_all()
    contexts: dict[tuple, UnitContext] = {}
    declared: dict[tuple, set[str]] = {}
    for rec in records:
        key = (rec.fields.get("unit_code"), rec.fields.get("period"))
        declared.setdefault(key, set())
        if rec.fields.get("framework_id"):
            declared[key].add(rec.fields["framework_id"])
    for key in sorted(declared, key=lambda k: (str(k[0]), str(k[1]))):
        unit_code, period_text = key
        ctx = UnitContext(unit_code=unit_code, period=period_text)
        contexts[key] = ctx
        if not unit_code:
            ctx.problems.append(("unit_code", None, "missing_unit",
                                 "thiếu mã đơn vị (ô B3 của phiếu hoặc cột 'Mã đơn vị')",
                                 "the unit code is missing (cell B3 of the form or a 'Mã đơn vị' column)"))
        period_obj, period_error = resolve_period(period_text)
        # the unit answering for the code at the end of the assessment year (mergers take effect mid-year)
        on = dt.date(period_obj.year, 12, 31) if period_obj else None
        info, unit_problem = registry.resolve_unit(session, unit_code, on) if unit_code else (None, None)
        if unit_problem:
            ctx.problems.append(("unit_code", unit_code, "ambiguous_unit", unit_problem.split(" / ")[0],
                                 unit_problem.split(" / ")[-1]))
        elif unit_code and info is None:
            ctx.problems.append(("unit_code", unit_code, "unknown_unit",
                                 "mã đơn vị không có trong danh mục đơn vị", "no such unit code in the unit registry"))
        if info is not None and info.code != unit_code:
            ctx.resolved_code = info.code
            contexts[(info.code, period_text)] = ctx
        if not period_text:
            ctx.problems.append(("period", None, "missing_period", "thiếu kỳ đánh giá (dạng NĂM-R<đợt>, ví dụ 2025-R3)",
                                 "the period is missing (YEAR-R<round>, e.g. 2025-R3)"))
        elif period_obj is None:
            ctx.problems.append(("period", period_text, "invalid_period", "kỳ đánh giá cần dạng NĂM-R<đợt>, ví dụ 2025-R3",
                                 "the period must look like YEAR-R<round>, e.g. 2025-R3"))
        if info is None:
            continue
        ctx.unit_type = info.unit_type
        fw = registry.framework_for(info, frameworks)
        if fw is None or not any(ut.type == info.unit_type for ut in fw.unit_types):
            ctx.problems.append(("unit_code", unit_code, "wrong_framework",
                                 f"không có bộ chỉ số nào áp dụng cho loại đơn vị '{info.unit_type}'",
                                 f"no framework applies to unit type '{info.unit_type}'"))
            continue
        for fw_id in sorted(declared[key]):
            if fw_id != fw.id:
                ctx.problems.append(("framework_id", fw_id, "wrong_framework",
                                     f"phiếu dùng bộ chỉ số '{fw_id}' nhưng đơn vị {unit_code} (loại "
                                     f"'{info.unit_type}') phải dùng bộ chỉ số '{fw.id}'",
                                     f"the form uses framework '{fw_id}' but unit {unit_code} (type "
                                     f"'{info.unit_type}') must use framework '{fw.id}'"))
        ctx.framework = fw
        if period_obj is not None and not any(r.round == period_obj.round for r in fw.rounds):
            rounds = ", ".join(str(r.round) for r in fw.rounds)
            ctx.problems.append(("period", period_text, "invalid_period",
                                 f"bộ chỉ số '{fw.id}' không có đợt {period_obj.round} (có các đợt: {rounds})",
                                 f"framework '{fw.id}' has no round {period_obj.round} (rounds: {rounds})"))
    return contexts


def _quality_gate(records: list[Record], sha: str, checked_at: dt.datetime, session) -> dict[str, int]:
    """Run the GX suite over accepted rows; a failure the domain rules missed rejects the row."""
    from expectations.self_reports import check_self_reports

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
    outcome = check_self_reports(rows)
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


def _import_records(session, extracted: Extracted, mapping: Mapping, workbook: Workbook, base: dict,
                    sha: str, stored: str, submitted_at: dt.datetime, unit: str | None,
                    period: str | None) -> ImportResult:
    from dti.framework.periods import Period

    records = extracted.records
    received_at = _now()
    _fill_unit_period(records, mapping, unit, period)
    contexts: dict[tuple, UnitContext] = {}
    if mapping.framework == "unit":
        contexts = _contexts_native(session, records)
        validate_native(records, contexts, mapping)
    else:
        _check_sheet_units(session, records, mapping, submitted_at)
        validate_external(records, mapping)
    quality = _quality_gate(records, sha, received_at, session)

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
    framework_label = f"sheet:{mapping.id}"
    for (unit_code, period_text), group in sorted(groups.items()):
        deadline, is_late, framework_id = None, False, framework_label
        if mapping.framework == "unit":
            ctx = contexts[(unit_code, period_text)]
            framework_id = ctx.framework.id
            deadline = Period.parse(period_text).deadline(ctx.framework, ctx.unit_type)
            is_late = deadline is not None and submitted_at.astimezone(TZ).date() > deadline
        sub = add_submission(session, unit_code=unit_code, period=period_text, framework_id=framework_id,
                             file_sha256=sha, submitted_at=submitted_at, deadline=deadline, is_late=is_late,
                             source=mapping.source_label)
        pending: list[tuple[SelfReport, list]] = []
        for rec in group:
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
            report = SelfReport(
                submission_id=sub.id, unit_code=unit_code, period=period_text,
                indicator_code=rec.fields["indicator_code"], value=rec.fields.get("value"),
                numerator=rec.fields.get("numerator"), denominator=rec.fields.get("denominator"),
                self_points=rec.fields.get("self_points"), council_points=rec.fields.get("council_points"),
                evidence_text=rec.fields.get("evidence_text"), source_sheet=rec.sheet,
                source_row=rec.row_number, extra=extra,
            )
            pending.append((report, cites))
        # one flush for the whole group: row-by-row flushes make large sheets slow
        session.add_all([report for report, _ in pending])
        session.flush()
        for report, cites in pending:
            session.add_all([EvidenceCitation(self_report_id=report.id, raw=c.raw, number=c.number,
                                              notation=c.notation, issuer=c.issuer, doc_date=c.doc_date,
                                              check_status=None, matched_document_id=None) for c in cites])
            citations_found += len(cites)
        submissions.append({
            "id": sub.id, "unit_code": unit_code, "period": period_text, "framework_id": framework_id,
            "rows": len(group), "deadline": deadline.isoformat() if deadline else None, "is_late": is_late,
            "is_current": sub.is_current, "superseded_by": sub.superseded_by,
        })

    rejected = [r for r in records if not r.accepted]
    for rec in rejected:
        session.add(QuarantineRow(file_sha256=sha, sheet=rec.sheet, row_number=rec.row_number,
                                  raw={"fields_by_column": rec.raw, "unit_code": rec.fields.get("unit_code"),
                                       "period": rec.fields.get("period")},
                                  reasons=[r.to_dict() for r in rec.reasons]))

    summary = _summary(base, mapping, workbook, extracted, records, submissions, citations_found, quality)
    row.status = summary["status"]
    row.rows_read, row.rows_accepted, row.rows_rejected = (summary["rows_read"], summary["rows_accepted"],
                                                           summary["rows_rejected"])
    row.summary = summary
    return ImportResult(sha, base["filename"], summary["status"], summary,
                        rejected_rows=[{"sheet": r.sheet, "row": r.row_number,
                                        "reasons": [x.to_dict() for x in r.reasons]} for r in rejected])


def _check_sheet_units(session, records: list[Record], mapping: Mapping, submitted_at: dt.datetime) -> None:
    """Foreign sheets: the mapping's external unit is created on first use; any other must exist."""
    created: set[str] = set()
    for rec in records:
        code = rec.fields.get("unit_code")
        period_text = rec.fields.get("period")
        if not code:
            rec.problem("unit_code", None, "missing_unit", "thiếu mã đơn vị (dùng --unit)",
                        "the unit code is missing (use --unit)")
        elif mapping.external_unit and code == mapping.external_unit.code:
            if code not in created:
                year = resolve_period(period_text)[0]
                start = dt.date(year.year, 1, 1) if year else submitted_at.date()
                ext = mapping.external_unit
                registry.ensure_external_unit(session, code, ext.name_vi, ext.unit_type, ext.province_code,
                                              f"sheet:{mapping.id}", start)
                created.add(code)
        elif not registry.unit_exists(session, code):
            rec.problem("unit_code", code, "unknown_unit", "mã đơn vị không có trong danh mục đơn vị",
                        "no such unit code in the unit registry")
        if resolve_period(period_text)[0] is None:
            rec.problem("period", period_text, "invalid_period", "kỳ đánh giá cần dạng NĂM-R<đợt>, ví dụ 2025-R3",
                        "the period must look like YEAR-R<round>, e.g. 2025-R3")


def _summary(base: dict, mapping: Mapping, workbook: Workbook, extracted: Extracted, records: list[Record],
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
    }
    if mapping.framework == "from_sheet":
        summary["criteria_tree"] = criteria_tree(records)
    return summary


def scan_inbox(directory: str | Path | None = None, *, url: str | None = None,
               settle_seconds: float = 0.0) -> list[ImportResult]:
    """Import every file waiting in the inbox, oldest first, then move it to processed/ or rejected/.

    Files are moved, never deleted; a refused file gets a `<name>.error.txt` note beside it. The
    submission time is the file's arrival time (its modification time), not the time of the scan.
    Files changed less than `settle_seconds` ago are left for the next scan: they may still be copying.
    """
    import time

    inbox = Path(directory) if directory else get_settings().inbox_dir
    inbox.mkdir(parents=True, exist_ok=True)
    results: list[ImportResult] = []
    cutoff = time.time() - settle_seconds
    waiting = [p for p in inbox.iterdir()
               if p.is_file() and not p.name.startswith(".") and p.stat().st_mtime <= cutoff]
    for path in sorted(waiting, key=lambda p: (p.stat().st_mtime, p.name)):
        arrived = dt.datetime.fromtimestamp(path.stat().st_mtime, TZ)
        try:
            result = import_file(path, url=url, submitted_at=arrived)
        except IntakeError as exc:
            target = _move(path, inbox / "rejected")
            target.with_name(target.name + ".error.txt").write_text(str(exc) + "\n", encoding="utf-8")
            continue
        if result.status == "rejected" and result.error:
            target = _move(path, inbox / "rejected")
            err = result.error
            target.with_name(target.name + ".error.txt").write_text(
                f"{err['message_vi']}\n{err['message_en']}\n", encoding="utf-8")
        else:
            _move(path, inbox / "processed")
        results.append(result)
    return results


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    counter = 1
    while target.exists():  # never overwrite an earlier file of the same name
        target = folder / f"{path.stem}.{counter}{path.suffix}"
        counter += 1
    shutil.move(str(path), target)
    return target
