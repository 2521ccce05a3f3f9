"""A province's own unit list read from a spreadsheet (.xlsx, or .csv in UTF-8 or Windows-1258): headers
found in Vietnamese or English even under a title block, each row checked on its own (duplicate code,
unknown type, dates reversed, unknown predecessor), rejected rows kept with their reasons, merger lineage
(many → one) taken from a predecessor column and a split flagged for a person to map, never guessed."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from dti.intake.readers import FileRejected, Grid, read_file
from dti.text import clean, code_key, fold
from dti.units.registry import RegistryError, Unit, UnitLink, UnitRegistry
from dti.vocabulary import UnitType

# Bundled unit lists, by the name `dti units import` accepts instead of a path.
DATA_DIR = Path(__file__).resolve().parents[2] / "data"
BUNDLED = {"provinces-2025": DATA_DIR / "provinces-2025.csv"}
MAX_BYTES = 20_000_000
HEADER_SCAN_ROWS = 30

# Field → the header spellings accepted (compared without accents, case or punctuation).
HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("mã", "mã đơn vị", "mã định danh", "mã đvhc", "mã số", "code", "unit code"),
    "name_vi": ("tên", "tên đơn vị", "tên đvhc", "tên gọi", "name", "name_vi", "unit name"),
    "unit_type": ("loại", "loại đơn vị", "cấp", "cấp hành chính", "unit_type", "type", "unit type"),
    "province_code": ("mã tỉnh", "mã tỉnh thành phố", "province_code", "province"),
    "parent_code": ("mã đơn vị cấp trên", "đơn vị cấp trên", "mã cấp trên", "parent_code", "parent"),
    "valid_from": ("hiệu lực từ", "hiệu lực từ ngày", "từ ngày", "ngày hiệu lực", "valid_from", "valid from"),
    "valid_to": ("hiệu lực đến", "hiệu lực đến ngày", "đến ngày", "ngày hết hiệu lực", "valid_to", "valid to"),
    "predecessors": ("mã đơn vị tiền thân", "đơn vị tiền thân", "tiền thân", "sáp nhập từ", "hợp nhất từ",
                     "mã đơn vị cũ", "predecessors", "predecessor codes"),
    "merged_on": ("ngày sáp nhập", "ngày hợp nhất", "ngày sắp xếp", "merged_on", "merged on"),
    "framework_id": ("bộ chỉ số", "mã bộ chỉ số", "framework_id", "framework"),
}
REQUIRED = ("code", "name_vi", "unit_type", "valid_from")

# Unit type as people write it → the code the engine uses.
TYPE_ALIASES = {
    "tỉnh": "province", "thành phố trực thuộc trung ương": "province", "tỉnh, thành phố": "province",
    "tỉnh/thành phố": "province", "province": "province",
    "xã": "commune", "phường": "commune", "đặc khu": "commune", "thị trấn": "commune", "cấp xã": "commune",
    "xã, phường, thị trấn": "commune", "xã, phường, đặc khu": "commune", "cấp huyện": "district",
    "sở có tthc": "dept_tthc", "sở, ban, ngành có tthc": "dept_tthc",
    "sở không có tthc": "dept_no_tthc", "sở, ban, ngành không có tthc": "dept_no_tthc",
    "huyện": "district", "quận": "district", "thị xã": "district",
}
MANUAL_MAPPING = ("đơn vị bị chia cho nhiều đơn vị kế thừa: cần xác định thủ công hồ sơ thuộc đơn vị nào "
                  "/ split between several successors: a person must map its records")


class UnitsFileError(ValueError):
    """The whole file cannot be read (not found, unreadable, no header row)."""


_fold = fold


_HEADER_INDEX = {_fold(alias): key for key, aliases in HEADERS.items() for alias in aliases}


@dataclass
class Problem:
    field: str
    value: object
    expected: str

    def as_dict(self) -> dict:
        return {"field": self.field, "value": self.value, "expected": self.expected}


@dataclass
class RowResult:
    row: int
    sheet: str | None
    raw: dict
    problems: list[Problem] = field(default_factory=list)


@dataclass
class UnitsImport:
    """What a units file holds: accepted units and links, rejected rows with reasons, flagged splits."""

    source: str
    accepted: list[Unit]
    links: list[UnitLink]
    rejected: list[RowResult]
    splits: list[dict]
    rows: dict[str, int]  # unit code → row number in the file

    def as_json(self) -> dict:
        return {
            "source": self.source,
            "accepted": [_unit_json(u, self.rows.get(u.code)) for u in self.accepted],
            "rejected": [{"row": r.row, "sheet": r.sheet, "values": r.raw,
                          "reasons": [p.as_dict() for p in r.problems]} for r in self.rejected],
            "links": [{"predecessor": lk.predecessor, "successor": lk.successor,
                       "effective": lk.effective.isoformat(), "reason": lk.reason} for lk in self.links],
            "splits": self.splits,
            "counts": {"accepted": len(self.accepted), "rejected": len(self.rejected),
                       "links": len(self.links), "splits": len(self.splits)},
        }


def _unit_json(unit: Unit, row: int | None) -> dict:
    return {"row": row, "code": unit.code, "name_vi": unit.name_vi, "unit_type": unit.unit_type,
            "province_code": unit.province_code, "parent_code": unit.parent_code,
            "valid_from": unit.valid_from.isoformat(),
            "valid_to": unit.valid_to.isoformat() if unit.valid_to else None,
            "framework_id": unit.framework_id}


def resolve_source(ref: str) -> Path:
    """A path, or the name of a bundled list (`provinces-2025`)."""
    if ref in BUNDLED and not Path(ref).exists():
        return BUNDLED[ref]
    return Path(ref)


def _decode_csv(data: bytes) -> bytes:
    """UTF-8 as is; otherwise Windows-1258 (Vietnamese Windows exports), handed on as UTF-8."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1258")
    except UnicodeDecodeError:
        return data  # the reader's detector has the last word (and the error if it fails)
    return unicodedata.normalize("NFC", text).encode("utf-8")


def read_grids(path: Path) -> list[Grid]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UnitsFileError(f"không tìm thấy tệp / file not found: {path}") from None
    if path.suffix.lower() != ".xlsx":
        data = _decode_csv(data)
    try:
        return read_file(path, data, max_bytes=MAX_BYTES).grids
    except FileRejected as exc:
        raise UnitsFileError(f"{path}: {exc}") from None


def find_header(grid: Grid) -> tuple[int, dict[str, int]] | None:
    """(index of the header row, {field: column}) — the first row within the top rows naming a code and a
    name column; rows above it (a title block) are skipped."""
    for i, row in enumerate(grid.rows[:HEADER_SCAN_ROWS]):
        columns: dict[str, int] = {}
        for col, cell in enumerate(row):
            key = _HEADER_INDEX.get(_fold(cell))
            if key and key not in columns:
                columns[key] = col
        if "code" in columns and "name_vi" in columns:
            return i, columns
    return None


def _parse_date(value) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


_DATE_EXPECTED = "cần ngày dạng DD/MM/YYYY hoặc YYYY-MM-DD / expected a date DD/MM/YYYY or YYYY-MM-DD"
_PRED = re.compile(r"^\s*([^\s:()@]+)\s*(?:[:@(]\s*([0-9./-]+)\s*\)?)?\s*$")


def _cell_text(value) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean(None if value is None else str(value))


def known_type(value: str | None, extra_types: set[str]) -> str | None:
    if value is None:
        return None
    if value in extra_types or value in {t.value for t in UnitType}:
        return value
    folded = _fold(value)
    for t in UnitType:
        if folded in (_fold(t.value), _fold(t.vi), _fold(t.en)):
            return t.value
    for alias, code in TYPE_ALIASES.items():
        if folded == _fold(alias):
            return code
    for t in extra_types:
        if folded == _fold(t):
            return t
    return None


def _predecessors(text: str | None, default: dt.date | None, where: list[Problem]) -> list[tuple[str, dt.date]]:
    """`01; 02:2025-07-01; 03 (01/07/2025)` → [(code, effective)]; a code without a date takes `default`."""
    out = []
    for part in re.split(r"[;,\n]+", text or ""):
        if not part.strip():
            continue
        m = _PRED.match(part)
        if not m:
            where.append(Problem("predecessors", part.strip(),
                                 "cần mã đơn vị, có thể kèm ngày, ví dụ '02' hoặc '02:2025-07-01' "
                                 "/ expected a unit code, optionally with a date, e.g. '02' or '02:2025-07-01'"))
            continue
        code, date_text = m.group(1), m.group(2)
        try:
            effective = _parse_date(date_text) if date_text else default
        except ValueError:
            where.append(Problem("predecessors", part.strip(), _DATE_EXPECTED))
            continue
        if effective is None:
            where.append(Problem("merged_on", None, "thiếu ngày sáp nhập cho đơn vị tiền thân "
                                                    f"{code} / the merger date of predecessor {code} is missing"))
            continue
        out.append((clean(code), effective))
    return out


def read_units(path: Path, existing: UnitRegistry | None = None, extra_types: set[str] | None = None) -> UnitsImport:
    """Read and check a units file against itself and the units already stored (`existing`)."""
    extra_types = set(extra_types or ())
    grids = [g for g in read_grids(path) if not g.hidden]
    parsed: list[tuple[RowResult, dict]] = []
    header_found = False
    for grid in grids:
        found = find_header(grid)
        if found is None:
            continue
        header_found = True
        head, columns = found
        for values, number in zip(grid.rows[head + 1:], grid.row_numbers[head + 1:], strict=True):
            raw = {key: _cell_text(values[col]) if col < len(values) else None for key, col in columns.items()}
            if not any(raw.values()):
                continue
            parsed.append((RowResult(number, grid.sheet, raw), {}))
    if not header_found:
        wanted = ", ".join(f"{HEADERS[k][1]} ({k})" for k in ("code", "name_vi"))
        raise UnitsFileError(f"{path}: không tìm thấy dòng tiêu đề có cột {wanted} trong {HEADER_SCAN_ROWS} "
                             f"dòng đầu / no header row naming the code and name columns")
    return _check_rows(str(path), parsed, existing, extra_types)


def _check_rows(source: str, parsed: list[tuple[RowResult, dict]], existing: UnitRegistry | None,
                extra_types: set[str]) -> UnitsImport:
    counts: dict[str, int] = defaultdict(int)
    for row, _ in parsed:
        if row.raw.get("code"):
            counts[row.raw["code"]] += 1
    in_file = {row.raw["code"]: row for row, _ in parsed if row.raw.get("code")}
    candidates: dict[str, tuple[Unit, RowResult, list]] = {}
    for row, _ in parsed:
        raw, problems = row.raw, row.problems
        for key in REQUIRED:
            if not raw.get(key):
                problems.append(Problem(key, None, "thiếu giá trị bắt buộc / required value is missing"))
        code = raw.get("code")
        if code and counts[code] > 1:
            others = [r.row for r, _ in parsed if r.raw.get("code") == code and r is not row]
            problems.append(Problem("code", code, "mã đơn vị bị trùng với dòng "
                                    f"{', '.join(map(str, others))} / duplicate unit code (also on row(s) "
                                    f"{', '.join(map(str, others))})"))
        unit_type = known_type(raw.get("unit_type"), extra_types)
        if raw.get("unit_type") and unit_type is None:
            known = ", ".join(sorted({t.value for t in UnitType} | extra_types))
            problems.append(Problem("unit_type", raw["unit_type"],
                                    f"loại đơn vị không có trong danh mục; có / unknown unit type; known: {known}"))
        dates = {}
        for key in ("valid_from", "valid_to", "merged_on"):
            try:
                dates[key] = _parse_date(raw.get(key))
            except ValueError:
                problems.append(Problem(key, raw.get(key), _DATE_EXPECTED))
        if dates.get("valid_from") and dates.get("valid_to") and dates["valid_to"] < dates["valid_from"]:
            problems.append(Problem("valid_to", raw["valid_to"],
                                    f"ngày hết hiệu lực trước ngày hiệu lực ({raw['valid_from']}) "
                                    f"/ dates reversed: ends before it starts"))
        province = raw.get("province_code")
        if not province and unit_type == "province":
            province = code
        if not province and raw.get("parent_code"):
            parent = in_file.get(raw["parent_code"])
            province = (parent.raw.get("province_code") if parent else None) or (
                existing.get(raw["parent_code"]).province_code
                if existing is not None and raw["parent_code"] in existing else None)
        if not province and unit_type and unit_type != "province":
            problems.append(Problem("province_code", None, "thiếu mã tỉnh (cột 'Mã tỉnh' hoặc đơn vị cấp trên) "
                                                           "/ province code missing (column or parent unit)"))
        preds = _predecessors(raw.get("predecessors"), dates.get("merged_on") or dates.get("valid_from"), problems)
        if problems:
            continue
        unit = Unit(code=code, name_vi=raw["name_vi"], unit_type=unit_type, province_code=province,
                    valid_from=dates["valid_from"], valid_to=dates.get("valid_to"),
                    parent_code=raw.get("parent_code"), framework_id=raw.get("framework_id"))
        candidates[code] = (unit, row, preds)
    return _check_lineage(source, parsed, candidates, existing)


def _check_lineage(source: str, parsed, candidates: dict, existing: UnitRegistry | None) -> UnitsImport:
    """Predecessors must be known (in the file or stored) and hand over on a day they no longer exist."""
    known: dict[str, Unit] = {u.code: u for u in existing.units} if existing is not None else {}
    changed = True
    accepted: dict[str, tuple[Unit, RowResult, list]] = dict(candidates)
    while changed:  # a rejected predecessor row makes its successors' links unknown in turn
        changed = False
        pool = {**known, **{code: unit for code, (unit, _, _) in accepted.items()}}
        for code, (unit, row, preds) in list(accepted.items()):
            for pred, effective in preds:
                target = pool.get(pred)
                if pred == code:
                    row.problems.append(Problem("predecessors", pred, "đơn vị không thể là tiền thân của chính "
                                                                      "nó / a unit cannot precede itself"))
                elif target is None:
                    rejected_too = pred in candidates or any(r.raw.get("code") == pred for r, _ in parsed)
                    why = ("dòng của đơn vị tiền thân bị từ chối / the predecessor's own row was rejected"
                           if rejected_too else "không có trong tệp hay danh mục đã lưu / not in the file or "
                                                "the stored registry")
                    row.problems.append(Problem("predecessors", pred, f"đơn vị tiền thân không xác định: {why} "
                                                                      f"/ unknown predecessor"))
                elif target.valid_to is None or target.valid_to >= effective:
                    row.problems.append(Problem(
                        "predecessors", pred,
                        f"đơn vị tiền thân {pred} vẫn còn hiệu lực ngày sáp nhập {effective.isoformat()}; ghi ngày "
                        f"hết hiệu lực trước ngày đó / predecessor still valid on the merger date"))
                elif not unit.valid_on(effective):
                    row.problems.append(Problem(
                        "merged_on", effective.isoformat(),
                        f"đơn vị {code} chưa/không còn hiệu lực ngày sáp nhập / the unit is not valid on the "
                        f"merger date"))
            if row.problems:
                del accepted[code]
                changed = True
    links = sorted({UnitLink(pred, code, eff, "sáp nhập / merger")
                    for code, (_, _, preds) in accepted.items() for pred, eff in preds},
                   key=lambda lk: (lk.effective, code_key(lk.predecessor), code_key(lk.successor)))
    splits = _splits(links, existing)
    rejected = sorted((r for r, _ in parsed if r.problems), key=lambda r: (r.sheet or "", r.row))
    units = sorted((u for u, _, _ in accepted.values()), key=lambda u: code_key(u.code))
    rows = {code: row.row for code, (_, row, _) in accepted.items()}
    return UnitsImport(source, units, links, rejected, splits, rows)


def _splits(links: list[UnitLink], existing: UnitRegistry | None) -> list[dict]:
    """A predecessor handing over to several successors on one day: recorded, flagged for manual mapping."""
    out: dict[tuple[str, dt.date], set[str]] = defaultdict(set)
    for lk in list(existing.links if existing is not None else []) + links:
        out[(lk.predecessor, lk.effective)].add(lk.successor)
    return [{"predecessor": pred, "effective": eff.isoformat(), "successors": sorted(succ, key=code_key),
             "manual_mapping": True, "note": MANUAL_MAPPING}
            for (pred, eff), succ in sorted(out.items(), key=lambda kv: (kv[0][1], code_key(kv[0][0])))
            if len(succ) > 1]


def merged_registry(result: UnitsImport, existing: UnitRegistry | None) -> UnitRegistry:
    """The stored registry with the file's units replacing theirs by code and its links added; raises
    RegistryError (nothing to store) when the whole no longer holds together."""
    units = {u.code: u for u in (existing.units if existing is not None else [])}
    units.update({u.code: u for u in result.accepted})
    links = {(lk.predecessor, lk.successor, lk.effective): lk
             for lk in (existing.links if existing is not None else [])}
    for lk in result.links:
        links.setdefault((lk.predecessor, lk.successor, lk.effective), lk)
    return UnitRegistry(units.values(), links.values(), source=result.source)


__all__ = ["BUNDLED", "RegistryError", "UnitsFileError", "UnitsImport", "merged_registry", "read_units",
           "resolve_source"]
