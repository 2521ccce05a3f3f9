"""The unit registry: units with validity dates and merger links, so old codes map to current units.

Provinces went from 63 to 34 on 1/7/2025, districts were abolished and communes merged; records in
systems of record still carry old codes. `UnitRegistry.resolve(code, on)` follows predecessor →
successor links (several hops if needed) to the unit responsible on that day.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from dti.text import clean, code_key

_NONE = "(trống / missing)"


class UnitError(LookupError):
    """A unit code cannot be resolved (unknown, abolished without successor, or split)."""


class RegistryError(ValueError):
    """A registry (file or data) is inconsistent. `problems` lists (where, value, expected)."""

    def __init__(self, source: str, problems: list[tuple[str, object, str]]):
        self.source = source
        self.problems = problems
        lines = [f"Danh mục đơn vị không hợp lệ / invalid unit registry: {source} ({len(problems)} lỗi / problems)"]
        for where, value, expected in problems:
            shown = _NONE if value is None else f"'{value}'"
            lines.append(f"  {where}: giá trị / value {shown} — {expected}")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Unit:
    code: str
    name_vi: str
    unit_type: str
    province_code: str
    valid_from: dt.date
    valid_to: dt.date | None = None
    parent_code: str | None = None
    framework_id: str | None = None

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class UnitLink:
    """From `effective` on, whatever `predecessor` was responsible for belongs to `successor`."""

    predecessor: str
    successor: str
    effective: dt.date
    reason: str | None = None


class UnitRegistry:
    """Units and their merger links, checked for consistency when built."""

    def __init__(self, units: Iterable[Unit], links: Iterable[UnitLink] = (), source: str = "<registry>"):
        units = list(units)
        links = list(links)
        problems: list[tuple[str, object, str]] = []
        self._units: dict[str, Unit] = {}
        for i, unit in enumerate(units):
            where = f"units[{i}] ({unit.code})"
            if unit.code in self._units:
                problems.append((f"{where}.code", unit.code, "mã đơn vị bị trùng / duplicate unit code"))
                continue
            if unit.valid_to is not None and unit.valid_to < unit.valid_from:
                problems.append((f"{where}.valid_to", unit.valid_to.isoformat(),
                                 f"phải từ {unit.valid_from.isoformat()} trở đi / must not be before valid_from"))
            self._units[unit.code] = unit
        for i, unit in enumerate(units):
            if unit.parent_code and unit.parent_code not in self._units:
                problems.append((f"units[{i}] ({unit.code}).parent_code", unit.parent_code,
                                 "đơn vị cấp trên không có trong danh mục / parent unit not in the registry"))
        self._out: dict[str, list[UnitLink]] = defaultdict(list)
        self._in: dict[str, list[UnitLink]] = defaultdict(list)
        seen_links: set[tuple[str, str, dt.date]] = set()
        for i, link in enumerate(links):
            where = f"links[{i}] ({link.predecessor} → {link.successor})"
            bad = False
            for role in ("predecessor", "successor"):
                code = getattr(link, role)
                if code not in self._units:
                    problems.append((f"{where}.{role}", code, "mã đơn vị không có trong danh mục / unknown unit code"))
                    bad = True
            if bad:
                continue
            if link.predecessor == link.successor:
                problems.append((f"{where}.successor", link.successor,
                                 "đơn vị kế thừa phải khác đơn vị cũ / successor must differ from predecessor"))
                continue
            key = (link.predecessor, link.successor, link.effective)
            if key in seen_links:
                problems.append((where, link.effective.isoformat(), "liên kết bị trùng / duplicate link"))
                continue
            seen_links.add(key)
            successor = self._units[link.successor]
            if not successor.valid_on(link.effective):
                problems.append((f"{where}.effective", link.effective.isoformat(),
                                 f"đơn vị kế thừa {successor.code} chưa/không còn hiệu lực ngày này "
                                 f"(hiệu lực {successor.valid_from.isoformat()}–"
                                 f"{successor.valid_to.isoformat() if successor.valid_to else ''}) "
                                 f"/ the successor is not valid on the effective date"))
            predecessor = self._units[link.predecessor]
            if predecessor.valid_from >= link.effective:
                problems.append((f"{where}.effective", link.effective.isoformat(),
                                 f"đơn vị cũ {predecessor.code} chỉ có hiệu lực từ {predecessor.valid_from.isoformat()} "
                                 f"/ the predecessor did not exist before the effective date"))
            elif predecessor.valid_on(link.effective):
                problems.append((f"{where}.effective", link.effective.isoformat(),
                                 f"đơn vị cũ {predecessor.code} vẫn còn hiệu lực ngày này; đặt valid_to trước ngày "
                                 f"sáp nhập / the predecessor is still valid on the effective date; end it the day before"))
            self._out[link.predecessor].append(link)
            self._in[link.successor].append(link)
        if problems:
            raise RegistryError(source, problems)
        for bucket in (self._out, self._in):
            for code in bucket:
                bucket[code].sort(key=lambda lk: (lk.effective, code_key(lk.successor), code_key(lk.predecessor)))

    # ---- reading ------------------------------------------------------------------------------
    @property
    def units(self) -> list[Unit]:
        return sorted(self._units.values(), key=lambda u: code_key(u.code))

    @property
    def links(self) -> list[UnitLink]:
        every = [lk for bucket in self._out.values() for lk in bucket]
        return sorted(every, key=lambda lk: (lk.effective, code_key(lk.predecessor), code_key(lk.successor)))

    def __contains__(self, code: str) -> bool:
        return code in self._units

    def __len__(self) -> int:
        return len(self._units)

    def get(self, code: str) -> Unit:
        key = clean(code) or ""
        if key not in self._units:
            raise UnitError(f"Không có đơn vị mã '{code}' trong danh mục / unknown unit code '{code}'")
        return self._units[key]

    def successors(self, code: str) -> list[UnitLink]:
        return list(self._out.get(code, []))

    def predecessors(self, code: str) -> list[UnitLink]:
        """Links into `code`: the units merged into it (one hop)."""
        return list(self._in.get(code, []))

    def chain(self, code: str, on: dt.date | None = None) -> list[Unit]:
        """The unit and each successor in turn, following links effective on or before `on`.

        Without `on`, every link is followed (the latest successor). A unit whose parts went to
        different successors on the same day is ambiguous: the caller must map it by hand.
        """
        unit = self.get(code)
        path = [unit]
        # The date rules checked in __init__ make a cycle impossible; the bound is a second guard.
        for _ in range(len(self._units)):
            due = [lk for lk in self._out.get(unit.code, []) if on is None or lk.effective <= on]
            if not due:
                break
            first = due[0].effective
            same_day = [lk for lk in due if lk.effective == first]
            if len(same_day) > 1:
                targets = ", ".join(lk.successor for lk in same_day)
                raise UnitError(
                    f"Đơn vị '{unit.code}' ({unit.name_vi}) được chia cho nhiều đơn vị từ {first.isoformat()}: "
                    f"{targets}; cần xác định thủ công / unit was split between several successors, map it by hand"
                )
            unit = self._units[same_day[0].successor]
            path.append(unit)
        return path

    def resolve(self, code: str, on: dt.date | None = None) -> Unit:
        """The unit responsible on day `on` for records carrying `code` (old or current)."""
        path = self.chain(code, on)
        unit = path[-1]
        if on is not None and not unit.valid_on(on):
            via = f" → {unit.code}" if len(path) > 1 else ""
            until = unit.valid_to.isoformat() if unit.valid_to else ""
            raise UnitError(
                f"Đơn vị '{code}'{via} ({unit.name_vi}) không có hiệu lực ngày {on.isoformat()} (hiệu lực "
                f"{unit.valid_from.isoformat()}–{until}) và không có đơn vị kế thừa "
                f"/ unit is not valid on {on.isoformat()} and has no successor by then"
            )
        return unit

    def current_units(self, on: dt.date, unit_type: str | None = None) -> list[Unit]:
        return [u for u in self.units if u.valid_on(on) and (unit_type is None or u.unit_type == unit_type)]


# ---- warehouse ------------------------------------------------------------------------------------


def load_registry(session) -> UnitRegistry:
    """Read the registry from the warehouse tables `units` and `unit_links`."""
    from sqlalchemy import select

    from dti.warehouse import models

    units = [
        Unit(code=r.code, name_vi=r.name_vi, unit_type=r.unit_type, province_code=r.province_code,
             valid_from=r.valid_from, valid_to=r.valid_to, parent_code=r.parent_code, framework_id=r.framework_id)
        for r in session.scalars(select(models.Unit))
    ]
    links = [
        UnitLink(predecessor=r.predecessor_code, successor=r.successor_code, effective=r.effective, reason=r.reason)
        for r in session.scalars(select(models.UnitLink))
    ]
    return UnitRegistry(units, links, source="warehouse")


def save_registry(session, registry: UnitRegistry) -> dict[str, int]:
    """Upsert units by code and add links not yet stored. Stored links are never deleted.

    Returns counts of units inserted/updated and links added, so a rerun reports zero changes.
    """
    from sqlalchemy import select

    from dti.warehouse import models

    counts = {"units_inserted": 0, "units_updated": 0, "links_added": 0}
    existing = {r.code: r for r in session.scalars(select(models.Unit))}
    fields = ("name_vi", "unit_type", "province_code", "valid_from", "valid_to", "parent_code", "framework_id")
    for unit in registry.units:
        row = existing.get(unit.code)
        if row is None:
            session.add(models.Unit(code=unit.code, **{f: getattr(unit, f) for f in fields}))
            counts["units_inserted"] += 1
        elif any(getattr(row, f) != getattr(unit, f) for f in fields):
            for f in fields:
                setattr(row, f, getattr(unit, f))
            counts["units_updated"] += 1
    stored = {(r.predecessor_code, r.successor_code, r.effective) for r in session.scalars(select(models.UnitLink))}
    for link in registry.links:
        if (link.predecessor, link.successor, link.effective) not in stored:
            session.add(models.UnitLink(predecessor_code=link.predecessor, successor_code=link.successor,
                                        effective=link.effective, reason=link.reason))
            counts["links_added"] += 1
    session.flush()
    return counts


# ---- files ----------------------------------------------------------------------------------------

UNIT_FIELDS = ("code", "name_vi", "unit_type", "province_code", "valid_from", "valid_to", "parent_code",
               "framework_id")
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
        problems.append((f"{where}.{key}", record[key], f"cột/trường không được phép / unknown field; có / known: "
                                                       f"{', '.join(UNIT_FIELDS)}"))
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
            problems.append((f"{where}.{key}", record[key], "trường không được phép / unknown field; có / known: "
                                                           "predecessor, successor, effective, reason"))
            ok = False
    for key, value in (("predecessor", pred), ("successor", succ)):
        if not value:
            problems.append((f"{where}.{key if predecessor is None else 'successor_code'}", None,
                             "thiếu trường bắt buộc / required field is missing"))
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
    units: list[Unit] = []
    links: list[UnitLink] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RegistryError(str(path), [("(tệp / file)", None, "không tìm thấy tệp / file not found")]) from None
    except UnicodeDecodeError as exc:
        raise RegistryError(str(path), [("(tệp / file)", None, f"tệp phải mã hoá UTF-8 (byte lỗi ở vị trí "
                                                              f"{exc.start}) / the file must be UTF-8")]) from None
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        missing = [c for c in REQUIRED_UNIT_FIELDS if c not in (reader.fieldnames or [])]
        if missing:
            raise RegistryError(str(path), [("dòng / row 1 (tiêu đề / header)", ", ".join(reader.fieldnames or []),
                                             f"thiếu cột / missing columns: {', '.join(missing)}")])
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
    else:
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"dòng / line {mark.line + 1}, cột / column {mark.column + 1}" if mark else "(tệp / file)"
            raise RegistryError(str(path), [(where, None, f"YAML sai cú pháp / YAML syntax error: "
                                                          f"{getattr(exc, 'problem', exc)}")]) from None
        if not isinstance(data, dict) or not isinstance(data.get("units"), list):
            raise RegistryError(str(path), [("units", None, "cần danh sách 'units:' / expected a 'units:' list")])
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
    if problems:
        raise RegistryError(str(path), problems)
    return UnitRegistry(units, links, source=str(path))
