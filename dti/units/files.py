"""The unit registry read from a file: YAML (`units:` and `links:` lists) or CSV (one unit per row), with every
problem named by row, field, value and what was expected."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import yaml

from dti.text import clean
from dti.units.registry import RegistryError, Unit, UnitLink, UnitRegistry

UNIT_FIELDS = (
    "code",
    "name_vi",
    "unit_type",
    "province_code",
    "valid_from",
    "valid_to",
    "parent_code",
    "framework_id",
)
REQUIRED_UNIT_FIELDS = ("code", "name_vi", "unit_type", "province_code", "valid_from")
CSV_LINK_FIELDS = ("successor_code", "effective", "reason")


def _parse_date(text) -> dt.date | None:
    if text is None or isinstance(text, dt.date):
        return text
    text = str(text).strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


_DATE_EXPECTED = "cần ngày dạng YYYY-MM-DD hoặc DD/MM/YYYY / expected a date YYYY-MM-DD or DD/MM/YYYY"


def _unit_from(record: dict, where: str, problems: list) -> Unit | None:
    values: dict = {}
    ok = True
    unknown = sorted(set(record) - set(UNIT_FIELDS))
    for key in unknown:
        problems.append(
            (
                f"{where}.{key}",
                record[key],
                f"cột/trường không được phép / unknown field; có / known: {', '.join(UNIT_FIELDS)}",
            )
        )
        ok = False
    for key in UNIT_FIELDS:
        raw = record.get(key)
        if key in ("valid_from", "valid_to"):
            try:
                values[key] = _parse_date(raw)
            except ValueError:
                problems.append((f"{where}.{key}", raw, _DATE_EXPECTED))
                ok = False
                continue
        else:
            values[key] = clean(None if raw is None else str(raw))
        if key in REQUIRED_UNIT_FIELDS and values[key] is None:
            problems.append((f"{where}.{key}", None, "thiếu trường bắt buộc / required field is missing"))
            ok = False
    return Unit(**values) if ok else None


def _link_from(record: dict, where: str, problems: list, predecessor: str | None = None) -> UnitLink | None:
    pred = predecessor if predecessor is not None else clean(str(record.get("predecessor") or ""))
    succ = clean(str(record.get("successor") or record.get("successor_code") or ""))
    ok = True
    if predecessor is None:
        for key in sorted(set(record) - {"predecessor", "successor", "effective", "reason"}):
            problems.append(
                (
                    f"{where}.{key}",
                    record[key],
                    "trường không được phép / unknown field; có / known: "
                    "predecessor, successor, effective, reason",
                )
            )
            ok = False
    for key, value in (("predecessor", pred), ("successor", succ)):
        if not value:
            problems.append(
                (
                    f"{where}.{key if predecessor is None else 'successor_code'}",
                    None,
                    "thiếu trường bắt buộc / required field is missing",
                )
            )
            ok = False
    try:
        effective = _parse_date(record.get("effective"))
    except ValueError:
        problems.append((f"{where}.effective", record.get("effective"), _DATE_EXPECTED))
        return None
    if effective is None:
        problems.append((f"{where}.effective", None, "thiếu ngày hiệu lực / effective date is missing"))
        ok = False
    if not ok:
        return None
    return UnitLink(predecessor=pred, successor=succ, effective=effective, reason=clean(record.get("reason")))


def load_registry_file(path: str | Path) -> UnitRegistry:
    """Read a registry from YAML (`units:` and `links:` lists) or CSV (one unit per row, with
    optional `successor_code`, `effective`, `reason` columns for the link out of that unit)."""
    path = Path(path)
    problems: list[tuple[str, object, str]] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RegistryError(
            str(path), [("(tệp / file)", None, "không tìm thấy tệp / file not found")]
        ) from None
    except UnicodeDecodeError as exc:
        raise RegistryError(
            str(path),
            [
                (
                    "(tệp / file)",
                    None,
                    f"tệp phải mã hoá UTF-8 (byte lỗi ở vị trí {exc.start}) / the file must be UTF-8",
                )
            ],
        ) from None
    read = _read_csv if path.suffix.lower() == ".csv" else _read_yaml
    units, links = read(text, str(path), problems)
    if problems:
        raise RegistryError(str(path), problems)
    return UnitRegistry(units, links, source=str(path))


def _read_csv(text: str, source: str, problems: list) -> tuple[list[Unit], list[UnitLink]]:
    units: list[Unit] = []
    links: list[UnitLink] = []
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in REQUIRED_UNIT_FIELDS if c not in (reader.fieldnames or [])]
    if missing:
        raise RegistryError(
            source,
            [
                (
                    "dòng / row 1 (tiêu đề / header)",
                    ", ".join(reader.fieldnames or []),
                    f"thiếu cột / missing columns: {', '.join(missing)}",
                )
            ],
        )
    for row_number, row in enumerate(reader, start=2):
        where = f"dòng / row {row_number}"
        record = {k: (v if v != "" else None) for k, v in row.items() if k is not None}
        unit = _unit_from({k: v for k, v in record.items() if k not in CSV_LINK_FIELDS}, where, problems)
        if unit is not None:
            units.append(unit)
        if record.get("successor_code") or record.get("effective"):
            link = _link_from(record, where, problems, predecessor=unit.code if unit else "?")
            if link is not None:
                links.append(link)
    return units, links


def _read_yaml(text: str, source: str, problems: list) -> tuple[list[Unit], list[UnitLink]]:
    units: list[Unit] = []
    links: list[UnitLink] = []
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"dòng / line {mark.line + 1}, cột / column {mark.column + 1}" if mark else "(tệp / file)"
        raise RegistryError(
            source, [(where, None, f"YAML sai cú pháp / YAML syntax error: {getattr(exc, 'problem', exc)}")]
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("units"), list):
        raise RegistryError(source, [("units", None, "cần danh sách 'units:' / expected a 'units:' list")])
    for i, record in enumerate(data["units"]):
        if not isinstance(record, dict):
            problems.append((f"units[{i}]", record, "cần một bảng (khoá: giá trị) / expected a mapping"))
            continue
        unit = _unit_from(record, f"units[{i}]", problems)
        if unit is not None:
            units.append(unit)
    for i, record in enumerate(data.get("links") or []):
        if not isinstance(record, dict):
            problems.append((f"links[{i}]", record, "cần một bảng (khoá: giá trị) / expected a mapping"))
            continue
        link = _link_from(record, f"links[{i}]", problems)
        if link is not None:
            links.append(link)
    return units, links
