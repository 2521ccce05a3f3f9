"""From sheet grids to records: find the header row through the mapping and parse each cell."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from dti.intake.mappings import DATE_FIELDS, NUMERIC_FIELDS, Mapping
from dti.intake.parsing import ValueProblem, parse_date, parse_number
from dti.intake.readers import FileRejected, Grid, Workbook
from dti.intake.records import Record, json_value
from dti.text import clean

TEXT_FIELDS = ("unit_code", "period", "framework_id", "indicator_code", "indicator_name", "group", "measure",
               "evidence_text", "evidence_summary", "status", "note", "owner")

@dataclass
class Extracted:
    sheet: str | None
    header_row: int
    records: list[Record]
    header_values: dict[str, Any]  # fields read from header cells (unit, period, framework)
    unmapped_columns: list[str]


def find_header(grid: Grid, mapping: Mapping) -> int | None:
    for idx, row in enumerate(grid.rows[: mapping.header_search_rows]):
        if mapping.matches(row):
            return idx
    return None


def extract(workbook: Workbook, mapping: Mapping, filename: str) -> Extracted:
    """Locate the table through `mapping` and turn every non-blank row into a Record."""
    grids = [g for g in workbook.grids if mapping.sheet is None or g.sheet == mapping.sheet]
    if mapping.sheet is None:
        grids = [g for g in grids if not g.hidden] or grids
    chosen = None
    for grid in grids:
        header_idx = find_header(grid, mapping)
        if header_idx is not None:
            chosen = (grid, header_idx)
            break
    if chosen is None:
        wanted = "; ".join(f"{f}: {' | '.join(mapping.columns.get(f, [f]))}" for f in mapping.required)
        sheets = ", ".join(f"'{g.sheet}'" for g in workbook.grids if g.sheet) or "(CSV)"
        raise FileRejected(
            "headers_not_found",
            f"không tìm thấy dòng tiêu đề của ánh xạ '{mapping.id}' trong tệp '{filename}' (trang {sheets}); "
            f"cần các cột: {wanted}",
            f"no header row for mapping '{mapping.id}' in '{filename}' (sheets {sheets}); "
            f"expected columns: {wanted}",
        )
    grid, header_idx = chosen
    headers = grid.rows[header_idx]
    labels: list[str] = []
    for idx, cell in enumerate(headers):
        text = clean(str(cell)) if cell is not None else None
        label = (text or f"Cột {idx + 1}").replace("\n", " ")
        labels.append(label if label not in labels else f"{label} ({idx + 1})")
    index = mapping.header_index(headers)
    mapped_idx = set(index.values())
    unmapped = [labels[i] for i in range(len(labels)) if i not in mapped_idx and headers[i] is not None]

    header_values: dict[str, Any] = {}
    header_columns: dict[str, str] = {}
    if workbook.kind == "xlsx":
        for fld, address in mapping.header_cells.items():
            value = clean(str(grid.cell(address))) if grid.cell(address) is not None else None
            if value:
                header_values[fld] = value
                header_columns[fld] = address

    records: list[Record] = []
    for values, number in zip(grid.rows[header_idx + 1:], grid.row_numbers[header_idx + 1:], strict=True):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        raw = {labels[i]: json_value(values[i]) for i in range(min(len(values), len(labels)))
               if values[i] is not None}
        for i in range(len(labels), len(values)):  # cells beyond the header row are kept too
            if values[i] is not None:
                raw[f"Cột {i + 1}"] = json_value(values[i])
        rec = Record(filename=filename, sheet=grid.sheet, row_number=number, raw=raw,
                     columns={f: labels[i] for f, i in index.items()} | {
                         f: a for f, a in header_columns.items() if f not in index})
        for fld, i in index.items():
            value = values[i] if i < len(values) else None
            if (number, i) in grid.formulas:
                rec.problem(fld, grid.formulas[(number, i)], "formula_without_value",
                            "ô chứa công thức nhưng không có giá trị đã tính (hệ thống không tự tính công "
                            "thức); hãy mở tệp bằng Excel, lưu lại, hoặc nhập giá trị trực tiếp",
                            "the cell holds a formula without a saved result (formulas are never computed "
                            "here); open and save the file in Excel, or type the value")
                continue
            rec.fields[fld] = _parse_cell(rec, fld, value, mapping)
        for fld, value in header_values.items():
            rec.fields.setdefault(fld, value)
            if rec.fields[fld] is None:
                rec.fields[fld] = value
        rec.extra["unmapped"] = {k: raw[k] for k in unmapped if k in raw}
        records.append(rec)
    return Extracted(sheet=grid.sheet, header_row=grid.row_numbers[header_idx], records=records,
                     header_values=header_values, unmapped_columns=unmapped)


def _parse_cell(rec: Record, fld: str, value: Any, mapping: Mapping) -> Any:
    if fld in TEXT_FIELDS:
        if value is None:
            return None
        if fld == "indicator_code" and isinstance(value, float):
            # 4.10 typed into a number cell comes back as 4.1: the code may have lost a digit
            rec.problem(fld, value, "code_was_number",
                        "mã chỉ số được lưu dạng số nên có thể đã mất chữ số 0 ở cuối; hãy định dạng cột là Văn bản",
                        "the code was stored as a number and may have lost a trailing zero; format the "
                        "column as Text", warning=True)
            value = repr(value)
        if isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        text = clean(str(value))
        if text and fld == "indicator_code":
            text = text.rstrip(".")
        return text
    if fld in DATE_FIELDS:
        try:
            return parse_date(value)
        except ValueProblem as exc:
            rec.problem(fld, value, exc.code, exc.message_vi, exc.message_en)
            return None
    if fld in NUMERIC_FIELDS and fld != "value":
        try:
            return parse_number(value, decimal=mapping.decimal, allow_percent=False)
        except ValueProblem as exc:
            rec.problem(fld, value, exc.code, exc.message_vi, exc.message_en)
            return None
    return value  # `value` is read later, once the indicator's measure is known


# --- domain rules ---------------------------------------------------------------------------
