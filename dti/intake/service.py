"""The one way in for self-assessment files, used by the CLI, the inbox sensor and the review app:
read, map, validate, store the original, write accepted rows and quarantine the rest."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dti.intake.extract import Extracted, extract, find_header
from dti.intake.mappings import NATIVE_MAPPING, Mapping, MappingError, get_mapping, load_mappings
from dti.intake.readers import FileRejected, Workbook, read_file
from dti.intake.results import ImportResult, IntakeError, RowChecks
from dti.intake.saving import save_records
from dti.intake.store import sha256_of, store_bytes
from dti.settings import TZ, get_settings
from dti.warehouse import Warehouse
from dti.warehouse.models import IntakeFile, QuarantineRow, Submission

__all__ = ["ImportResult", "IntakeError", "RowChecks", "choose_mapping", "import_file", "scan_inbox"]


def _now() -> dt.datetime:
    return dt.datetime.now(TZ)


def choose_mapping(workbook: Workbook, filename: str) -> Mapping:
    """The mapping whose required headers a sheet carries; the native form wins ties."""
    mappings = load_mappings()
    order = sorted(mappings, key=lambda m: (m != NATIVE_MAPPING, m))
    for mid in order:
        mapping = mappings[mid]
        for grid in workbook.grids:
            if (mapping.sheet is None or grid.sheet == mapping.sheet) and find_header(grid, mapping) is not None:
                return mapping
    tried = ", ".join(order) or "(không có / none)"
    raise FileRejected(
        "headers_not_found",
        f"tệp '{filename}' không khớp ánh xạ nào ({tried}); hãy dùng mẫu `dti intake template` "
        "hoặc chỉ rõ --mapping",
        f"'{filename}' matches no mapping ({tried}); use the form from `dti intake template` or pass --mapping",
    )


def import_file(path: str | Path, mapping: str | None = None, *, wh: Warehouse, row_checks: RowChecks,
                submitted_at: dt.datetime | None = None, uploaded_by: str | None = None,
                unit: str | None = None, period: str | None = None,
                filename: str | None = None, replace_all: bool = False) -> ImportResult:
    """Import one self-assessment file. Re-importing the same bytes reports the earlier result.

    `unit` and `period` fill in what the file does not say itself (foreign sheets); the file's own
    header cells and columns take precedence. `filename` is the name the unit gave the file when
    `path` is a temporary copy (web uploads); messages and the store use it. A new version of a unit's
    submission keeps the earlier version's rows it does not contain, unless `replace_all`.
    """
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
    wh.migrate()

    with wh.transaction() as session:
        earlier = session.get(IntakeFile, sha)
        if earlier is not None and not (earlier.summary or {}).get("error"):
            return _earlier_result(session, earlier)

    stored = store_bytes(data, sha, named.suffix)
    base = {"file_id": sha, "filename": named.name, "size": len(data), "stored_path": str(stored),
            "uploaded_by": uploaded_by, "submitted_at": submitted_at.astimezone(TZ).isoformat()}
    try:
        workbook, chosen, extracted = _read(named, data, sha, chosen, settings.max_upload_bytes)
    except FileRejected as exc:
        return _refused(wh, exc, base, chosen)

    try:
        with wh.transaction() as session:
            result = save_records(session, extracted, chosen, workbook, base, sha, str(stored),
                                  submitted_at, unit, period, row_checks, replace_all)
    except IntegrityError:
        # Another process imported the same bytes at the same moment: theirs is the import.
        with wh.transaction() as session:
            earlier = session.get(IntakeFile, sha)
            if earlier is None:
                raise
            return _earlier_result(session, earlier)
    return result


def _read(named: Path, data: bytes, sha: str, chosen: Mapping | None, max_bytes: int
          ) -> tuple[Workbook, Mapping, Extracted]:
    """The file's sheets, the mapping that reads them and the rows it finds; any failure is a refusal."""
    try:
        workbook = read_file(named, data, max_bytes=max_bytes)
        chosen = chosen or choose_mapping(workbook, named.name)
        extracted = extract(workbook, chosen, named.name)
        if not extracted.records:
            raise FileRejected(
                "empty_file",
                f"tệp '{named.name}' không có dòng số liệu nào (chỉ có tiêu đề); cần ít nhất một dòng chỉ số với "
                "mã chỉ số và giá trị tự đánh giá",
                f"'{named.name}' has no data rows (only its headers); at least one indicator row with its code "
                "and self-assessed value is expected")
        return workbook, chosen, extracted
    except FileRejected:
        raise
    except Exception as exc:  # noqa: BLE001 - a hostile file must give an answer, not a traceback
        logging.getLogger(__name__).exception("unreadable intake file %s (%s)", named.name, sha)
        raise FileRejected(
            "unreadable_file",
            f"không đọc được tệp '{named.name}': {type(exc).__name__}: {exc}",
            f"cannot read '{named.name}': {type(exc).__name__}: {exc}",
        ) from None


def _refused(wh: Warehouse, exc: FileRejected, base: dict, chosen: Mapping | None) -> ImportResult:
    """A whole file refused: kept (it is already in the store) and recorded with the reason."""
    sha, name = base["file_id"], base["filename"]
    summary = {**base, "mapping": chosen.id if chosen else None, "status": "rejected",
               "rows_read": 0, "rows_accepted": 0, "rows_rejected": 0,
               "error": {"code": exc.code, "message_vi": exc.message_vi, "message_en": exc.message_en}}
    with wh.transaction() as session:
        row = session.get(IntakeFile, sha)
        if row is None:
            row = IntakeFile(sha256=sha)
            session.add(row)
        row.filename, row.size, row.stored_path = name, base["size"], base["stored_path"]
        row.mapping, row.received_at, row.status = summary["mapping"], _now(), "rejected"
        row.rows_read = row.rows_accepted = row.rows_rejected = 0
        row.summary = summary
    return ImportResult(sha, name, "rejected", summary)


def _earlier_result(session, earlier: IntakeFile) -> ImportResult:
    """The stored result of an earlier import, with today's view of which submissions are current."""
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


def scan_inbox(directory: str | Path | None = None, *, wh: Warehouse, row_checks: RowChecks,
               settle_seconds: float = 0.0) -> list[ImportResult]:
    """Import every file waiting in the inbox, oldest first, then move it to processed/ or rejected/.

    Files are moved, never deleted; a refused file gets a `<name>.error.txt` note beside it. The
    submission time is the file's arrival time (its modification time), not the time of the scan.
    Files changed less than `settle_seconds` ago are left for the next scan: they may still be copying.
    """
    inbox = Path(directory) if directory else get_settings().inbox_dir
    inbox.mkdir(parents=True, exist_ok=True)
    results: list[ImportResult] = []
    cutoff = time.time() - settle_seconds
    waiting = [p for p in inbox.iterdir()
               if p.is_file() and not p.name.startswith(".") and p.stat().st_mtime <= cutoff]
    for path in sorted(waiting, key=lambda p: (p.stat().st_mtime, p.name)):
        arrived = dt.datetime.fromtimestamp(path.stat().st_mtime, TZ)
        try:
            result = import_file(path, wh=wh, row_checks=row_checks, submitted_at=arrived)
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
