"""Turn an uploaded file (.xlsx or .csv) into plain grids of cells, refusing what is unsafe:
oversized files, zip bombs, macro workbooks, malformed workbooks. Formulas are never evaluated."""

from __future__ import annotations

import csv
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from dti.archives import ArchiveRefused, open_checked
from dti.intake.parsing import ValueProblem, decode_bytes
from dti.text import nfc

MAX_ROWS = 100_000
MAX_COLUMNS = 256
# openpyxl holds a whole workbook in memory, so what it unpacks to is capped relative to the upload limit
MAX_UNPACKED_FACTOR = 10
MACRO_SUFFIXES = {".xlsm", ".xltm", ".xlsb", ".xlam"}
LEGACY_SUFFIXES = {".xls", ".ods"}


class FileRejected(Exception):
    """The whole file cannot be read. Messages are Vietnamese first, English alongside."""

    def __init__(self, code: str, message_vi: str, message_en: str):
        super().__init__(f"{message_vi} / {message_en}")
        self.code = code
        self.message_vi = message_vi
        self.message_en = message_en


@dataclass
class Grid:
    """One sheet as rows of values. `row_numbers[i]` is the row a user sees in Excel (1-based)."""

    sheet: str | None
    rows: list[list[Any]]
    row_numbers: list[int]
    hidden: bool = False
    # (row number, column index) -> formula text, for formula cells without a cached value
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    # merged ranges as (first row, first column, last row, last column), rows as in Excel, columns 0-based
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)

    def cell(self, address: str) -> Any:
        letters, row = coordinate_from_string(address)
        col = column_index_from_string(letters) - 1
        for number, values in zip(self.row_numbers, self.rows, strict=True):
            if number == row:
                return values[col] if col < len(values) else None
        return None


@dataclass
class Workbook:
    kind: str  # xlsx / csv
    grids: list[Grid]
    encoding: str | None = None
    delimiter: str | None = None


def detect_kind(path: Path, data: bytes) -> str:
    suffix = path.suffix.lower()
    if suffix in MACRO_SUFFIXES:
        raise FileRejected(
            "macro_workbook",
            f"tệp '{path.name}' là sổ tính có macro ({suffix}); hãy lưu lại dạng .xlsx không macro",
            f"'{path.name}' is a macro-enabled workbook ({suffix}); save it as a plain .xlsx",
        )
    if suffix in LEGACY_SUFFIXES:
        raise FileRejected(
            "unsupported_format",
            f"định dạng {suffix} của tệp '{path.name}' không được hỗ trợ; hãy lưu lại dạng .xlsx hoặc .csv",
            f"the {suffix} format of '{path.name}' is not supported; save it as .xlsx or .csv",
        )
    if data[:4] == b"PK\x03\x04" or suffix in {".xlsx", ".xltx"}:
        return "xlsx"
    if suffix in {".csv", ".txt", ".tsv"} or not suffix:
        return "csv"
    raise FileRejected(
        "unsupported_format",
        f"tệp '{path.name}' không phải .xlsx hoặc .csv",
        f"'{path.name}' is neither .xlsx nor .csv",
    )


def read_file(path: Path, data: bytes, *, max_bytes: int) -> Workbook:
    """Read `data` (the bytes of `path`) into grids, or raise FileRejected."""
    if len(data) > max_bytes:
        raise FileRejected(
            "file_too_large",
            f"tệp '{path.name}' có dung lượng {len(data):,} byte, vượt giới hạn {max_bytes:,} byte",
            f"'{path.name}' is {len(data):,} bytes, over the {max_bytes:,}-byte limit",
        )
    if not data.strip():
        raise FileRejected("empty_file", f"tệp '{path.name}' rỗng", f"'{path.name}' is empty")
    kind = detect_kind(path, data)
    if kind == "xlsx":
        return _read_xlsx(path, data, max_bytes)
    return _read_csv(path, data)


def _check_zip(path: Path, data: bytes, max_bytes: int) -> None:
    try:
        archive = open_checked(data, path.name, max_bytes * MAX_UNPACKED_FACTOR)
    except ArchiveRefused as exc:
        if exc.code == "malformed_archive":
            raise FileRejected("malformed_workbook",
                               f"tệp '{path.name}' không phải sổ tính .xlsx hợp lệ ({exc.message_vi})",
                               f"'{path.name}' is not a valid .xlsx workbook ({exc.message_en})") from None
        raise FileRejected(exc.code, exc.message_vi, exc.message_en) from None
    names = set(archive.namelist())
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise FileRejected(
            "macro_workbook",
            f"tệp '{path.name}' chứa macro (vbaProject.bin); hãy lưu lại dạng .xlsx không macro",
            f"'{path.name}' contains macros (vbaProject.bin); save it as a plain .xlsx",
        )
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise FileRejected(
            "malformed_workbook",
            f"tệp '{path.name}' là tệp nén nhưng không phải sổ tính .xlsx",
            f"'{path.name}' is a zip archive but not an .xlsx workbook",
        )


def _read_xlsx(path: Path, data: bytes, max_bytes: int) -> Workbook:
    _check_zip(path, data, max_bytes)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about data-validation extensions and similar; they do not matter here
            warnings.simplefilter("ignore")
            formulas = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
            cached = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # openpyxl raises many types (KeyError, XML errors) on broken parts
        raise FileRejected(
            "malformed_workbook",
            f"không mở được sổ tính '{path.name}': {type(exc).__name__}: {exc}",
            f"cannot open workbook '{path.name}': {type(exc).__name__}: {exc}",
        ) from None
    grids = []
    for ws in formulas.worksheets:
        values_ws = cached[ws.title]
        if ws.max_row > MAX_ROWS or ws.max_column > MAX_COLUMNS:
            raise FileRejected(
                "sheet_too_large",
                f"trang '{ws.title}' của '{path.name}' có {ws.max_row} dòng × {ws.max_column} cột, "
                f"vượt giới hạn {MAX_ROWS} × {MAX_COLUMNS}",
                f"sheet '{ws.title}' of '{path.name}' has {ws.max_row} rows × {ws.max_column} columns, "
                f"over the {MAX_ROWS} × {MAX_COLUMNS} limit",
            )
        grid = Grid(sheet=nfc(ws.title), rows=[], row_numbers=[], hidden=ws.sheet_state != "visible",
                    merged=sorted((m.min_row, m.min_col - 1, m.max_row, m.max_col - 1)
                                  for m in ws.merged_cells.ranges))
        for f_row, v_row in zip(ws.iter_rows(), values_ws.iter_rows(values_only=True), strict=False):
            if not f_row:
                continue
            number = f_row[0].row
            values = []
            for idx, cell in enumerate(f_row):
                value = v_row[idx] if idx < len(v_row) else None
                if cell.data_type == "f":
                    # Use the value Excel saved with the file; never compute the formula ourselves.
                    if value is None:
                        grid.formulas[(number, idx)] = str(cell.value)
                elif value is None:
                    value = cell.value
                values.append(nfc(value))
            grid.rows.append(values)
            grid.row_numbers.append(number)
        grids.append(grid)
    return Workbook(kind="xlsx", grids=grids)


def _read_csv(path: Path, data: bytes) -> Workbook:
    try:
        text, encoding = decode_bytes(data)
    except ValueProblem as exc:
        raise FileRejected(exc.code, exc.message_vi, exc.message_en) from None
    text = nfc(text).removeprefix("\ufeff")
    sample = text[:20_000]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    rows: list[list[Any]] = []
    numbers: list[int] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for idx, row in enumerate(reader, start=1):
            if idx > MAX_ROWS:
                raise FileRejected(
                    "sheet_too_large",
                    f"tệp '{path.name}' có hơn {MAX_ROWS} dòng",
                    f"'{path.name}' has more than {MAX_ROWS} rows",
                )
            rows.append([cell if cell != "" else None for cell in row[:MAX_COLUMNS]])
            numbers.append(idx)
    except csv.Error as exc:
        raise FileRejected(
            "malformed_csv",
            f"tệp CSV '{path.name}' bị lỗi cấu trúc ở bản ghi {len(rows) + 1}: {exc}",
            f"CSV file '{path.name}' is malformed at record {len(rows) + 1}: {exc}",
        ) from None
    return Workbook(
        kind="csv",
        grids=[Grid(sheet=None, rows=rows, row_numbers=numbers)],
        encoding=encoding,
        delimiter=delimiter,
    )
