"""The error report sent back to a unit: every rejected row of one imported file with its reasons,
and the row as it was sent, as an .xlsx the unit can correct from."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from sqlalchemy import select

from dti.cells import put
from dti.intake.store import as_utc
from dti.intake.xlsx import save_deterministic
from dti.settings import TZ, get_settings
from dti.warehouse import Warehouse
from dti.warehouse.models import IntakeFile, QuarantineRow

ERROR_HEADERS = [("Tệp / File", 28), ("Trang / Sheet", 16), ("Dòng / Row", 8), ("Cột / Column", 22),
                 ("Giá trị / Value", 20), ("Mã lỗi / Code", 22), ("Nội dung lỗi", 70), ("Error", 70)]


class ReportError(ValueError):
    pass


def find_file(session, file_id: str) -> IntakeFile:
    """An intake file by its sha256 or an unambiguous prefix of at least 6 characters."""
    file_id = file_id.strip().lower()
    row = session.get(IntakeFile, file_id)
    if row is not None:
        return row
    if len(file_id) >= 6:
        matches = session.scalars(select(IntakeFile).where(IntakeFile.sha256.startswith(file_id))).all()
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ReportError(f"mã tệp '{file_id}' khớp {len(matches)} tệp; hãy ghi dài hơn / "
                              f"file id '{file_id}' matches {len(matches)} files; give more characters")
    raise ReportError(f"không có tệp đã nhập với mã '{file_id}' / no imported file with id '{file_id}'")


def write_errors_report(wh: Warehouse, file_id: str, *, out: Path | None = None) -> tuple[Path, int]:
    """Write the report; returns its path and the number of rejected rows in it."""
    wh.migrate()
    with wh.transaction() as session:
        f = find_file(session, file_id)
        rows = session.scalars(select(QuarantineRow).where(QuarantineRow.file_sha256 == f.sha256)).all()
        rows = sorted(rows, key=lambda r: (r.sheet or "", r.row_number, r.id))
        info = {"sha256": f.sha256, "filename": f.filename, "status": f.status, "summary": f.summary or {},
                "received_at": as_utc(f.received_at), "rows_read": f.rows_read,
                "rows_accepted": f.rows_accepted, "rows_rejected": f.rows_rejected}
        quarantined = [(r.sheet, r.row_number, r.raw, r.reasons) for r in rows]

    wb = Workbook()
    ws = wb.active
    ws.title = "Lỗi"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="F8CBAD")
    ws["A1"] = f"BÁO CÁO LỖI NHẬP PHIẾU TỰ ĐÁNH GIÁ — {info['filename']}"
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = (f"Mã tệp / file id: {info['sha256']} — đọc {info['rows_read']} dòng, nhận {info['rows_accepted']}, "
                f"từ chối {info['rows_rejected']} / read {info['rows_read']}, accepted {info['rows_accepted']}, "
                f"rejected {info['rows_rejected']}")
    error = info["summary"].get("error")
    start = 4
    if error:
        ws["A3"] = f"Tệp bị từ chối / file refused: {error['message_vi']} / {error['message_en']}"
        ws["A3"].font = Font(bold=True, color="C00000")
    for idx, (name, width) in enumerate(ERROR_HEADERS, start=1):
        cell = ws.cell(row=start, column=idx, value=name)
        cell.font, cell.fill = bold, fill
        ws.column_dimensions[cell.column_letter].width = width
    r = start
    for sheet, row_number, _raw, reasons in quarantined:
        for reason in reasons:
            r += 1
            value = reason.get("value")
            for idx, v in enumerate([info["filename"], sheet or "", row_number, reason.get("column"),
                                     value if isinstance(value, (int, float)) or value is None else str(value),
                                     reason.get("code"), reason.get("message_vi"), reason.get("message_en")],
                                    start=1):
                put(ws, r, idx, v).alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = ws.cell(row=start + 1, column=1)

    raw_ws = wb.create_sheet("Dữ liệu gốc")
    columns: list[str] = []
    for _, _, raw, _ in quarantined:
        for key in (raw.get("fields_by_column") or {}):
            if key not in columns:
                columns.append(key)
    for idx, name in enumerate(["Trang / Sheet", "Dòng / Row", *columns], start=1):
        put(raw_ws, 1, idx, name).font = bold
    for r, (sheet, row_number, raw, _) in enumerate(quarantined, start=2):
        cells = raw.get("fields_by_column") or {}
        values = [sheet or "", row_number, *[
            v if isinstance(v, (int, float, str)) or v is None else json.dumps(v, ensure_ascii=False)
            for v in (cells.get(c) for c in columns)]]
        for idx, v in enumerate(values, start=1):
            put(raw_ws, r, idx, v)
    path = out or get_settings().out_dir / "intake" / "errors" / f"errors-{info['sha256'][:12]}.xlsx"
    save_deterministic(wb, Path(path), info["received_at"].astimezone(TZ))
    return Path(path), len(quarantined)
