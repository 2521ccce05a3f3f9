"""Units with validity dates and merger links, checked for consistency, and the rules that map a code to the
unit responsible for it on a day and say which units a period assesses."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from dti.text import clean, code_key

_NONE = "(trống / missing)"


class UnitError(LookupError):
    """A unit code cannot be resolved (unknown, abolished without successor, or split)."""


class SplitUnitError(UnitError):
    """A unit's parts went to several successors on the same day: only a person can say which one a
    record belongs to. `successors` are their codes."""

    def __init__(self, message: str, successors: list[str]):
        super().__init__(message)
        self.successors = successors


class RegistryError(ValueError):
    """A registry (file or data) is inconsistent. `problems` lists (where, value, expected)."""

    def __init__(self, source: str, problems: list[tuple[str, object, str]]):
        self.source = source
        self.problems = problems
        lines = [
            f"Danh mục đơn vị không hợp lệ / invalid unit registry: {source} ({len(problems)} lỗi / problems)"
        ]
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
        problems: list[tuple[str, object, str]] = []
        self._units: dict[str, Unit] = {}
        self._out: dict[str, list[UnitLink]] = defaultdict(list)
        self._in: dict[str, list[UnitLink]] = defaultdict(list)
        self._add_units(list(units), problems)
        self._add_links(list(links), problems)
        if problems:
            raise RegistryError(source, problems)
        for bucket in (self._out, self._in):
            for code in bucket:
                bucket[code].sort(
                    key=lambda lk: (lk.effective, code_key(lk.successor), code_key(lk.predecessor))
                )

    def _add_units(self, units: list[Unit], problems: list) -> None:
        for i, unit in enumerate(units):
            where = f"units[{i}] ({unit.code})"
            if unit.code in self._units:
                problems.append((f"{where}.code", unit.code, "mã đơn vị bị trùng / duplicate unit code"))
                continue
            if unit.valid_to is not None and unit.valid_to < unit.valid_from:
                problems.append(
                    (
                        f"{where}.valid_to",
                        unit.valid_to.isoformat(),
                        f"phải từ {unit.valid_from.isoformat()} trở đi / must not be before valid_from",
                    )
                )
            self._units[unit.code] = unit
        for i, unit in enumerate(units):
            if unit.parent_code and unit.parent_code not in self._units:
                problems.append(
                    (
                        f"units[{i}] ({unit.code}).parent_code",
                        unit.parent_code,
                        "đơn vị cấp trên không có trong danh mục / parent unit not in the registry",
                    )
                )

    def _add_links(self, links: list[UnitLink], problems: list) -> None:
        seen_links: set[tuple[str, str, dt.date]] = set()
        for i, link in enumerate(links):
            where = f"links[{i}] ({link.predecessor} → {link.successor})"
            unknown = [
                (f"{where}.{role}", code, "mã đơn vị không có trong danh mục / unknown unit code")
                for role, code in (("predecessor", link.predecessor), ("successor", link.successor))
                if code not in self._units
            ]
            if unknown:
                problems.extend(unknown)
                continue
            if link.predecessor == link.successor:
                problems.append(
                    (
                        f"{where}.successor",
                        link.successor,
                        "đơn vị kế thừa phải khác đơn vị cũ / successor must differ from predecessor",
                    )
                )
                continue
            key = (link.predecessor, link.successor, link.effective)
            if key in seen_links:
                problems.append((where, link.effective.isoformat(), "liên kết bị trùng / duplicate link"))
                continue
            seen_links.add(key)
            problems.extend(self._date_problems(where, link))
            self._out[link.predecessor].append(link)
            self._in[link.successor].append(link)

    def _date_problems(self, where: str, link: UnitLink) -> list[tuple[str, object, str]]:
        """A link must hand over on a day the successor exists and the predecessor no longer does."""
        problems: list[tuple[str, object, str]] = []
        successor = self._units[link.successor]
        if not successor.valid_on(link.effective):
            problems.append(
                (
                    f"{where}.effective",
                    link.effective.isoformat(),
                    f"đơn vị kế thừa {successor.code} chưa/không còn hiệu lực ngày này "
                    f"(hiệu lực {successor.valid_from.isoformat()}–"
                    f"{successor.valid_to.isoformat() if successor.valid_to else ''}) "
                    f"/ the successor is not valid on the effective date",
                )
            )
        predecessor = self._units[link.predecessor]
        if predecessor.valid_from >= link.effective:
            problems.append(
                (
                    f"{where}.effective",
                    link.effective.isoformat(),
                    f"đơn vị cũ {predecessor.code} chỉ có hiệu lực từ {predecessor.valid_from.isoformat()} "
                    f"/ the predecessor did not exist before the effective date",
                )
            )
        elif predecessor.valid_on(link.effective):
            problems.append(
                (
                    f"{where}.effective",
                    link.effective.isoformat(),
                    f"đơn vị cũ {predecessor.code} vẫn còn hiệu lực ngày này; đặt valid_to trước ngày "
                    f"sáp nhập / the predecessor is still valid on the effective date; end it the day before",
                )
            )
        return problems

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
            step = self._step(unit.code, on)
            if not step:
                break
            if len(step) > 1:
                targets = [lk.successor for lk in step]
                raise SplitUnitError(
                    f"Đơn vị '{unit.code}' ({unit.name_vi}) được chia cho nhiều đơn vị từ "
                    f"{step[0].effective.isoformat()}: {', '.join(targets)}; cần xác định thủ công "
                    f"/ unit was split between several successors, map it by hand",
                    targets,
                )
            unit = self._units[step[0].successor]
            path.append(unit)
        return path

    def _step(self, code: str, on: dt.date | None) -> list[UnitLink]:
        """The links `code` leaves by on day `on`: the first effective by then (several that day: a split)."""
        due = [lk for lk in self._out.get(code, []) if on is None or lk.effective <= on]
        return [lk for lk in due if lk.effective == due[0].effective]

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

    # ---- records and periods ------------------------------------------------------------------------
    def owner(self, code: str, on: dt.date | None = None) -> str:
        """The code a record written under `code` is kept under on day `on`: the successor responsible by
        then (links effective by `on` followed), else the code itself — a current unit, one abolished
        without successor, a code the registry does not know (taken exactly as written).

        Raises SplitUnitError when the unit, or one on the way, was split: the record is not guessed.
        """
        if code not in self._units:
            return code
        return self.chain(code, on)[-1].code

    def record_codes(self, on: dt.date | None = None) -> dict[str, list[str]]:
        """{unit: every code its records may carry on day `on`, itself included}, for the units that have
        predecessors: the units merged into it, and those split with a part going to it (their records are
        read with each successor's and kept under their own code, see owner)."""
        out: dict[str, set[str]] = {}
        for code in self._units:
            for owner in self._owners(code, on):
                if owner != code:
                    out.setdefault(owner, {owner}).add(code)
        return {unit: sorted(codes) for unit, codes in out.items()}

    def _owners(self, code: str, on: dt.date | None) -> set[str]:
        """The one owner of `code`'s records, or every unit a split may have given them to."""
        try:
            return {self.owner(code, on)}
        except SplitUnitError as split:
            return {owner for successor in split.successors for owner in self._owners(successor, on)}

    def is_assessed(self, code: str, window: tuple[dt.date, dt.date]) -> bool:
        """Whether the unit answers for a period with this data window: it is valid on the window's last day.
        A unit merged away before then is not: its records belong to its successor (owner), which answers
        for the whole window; a unit abolished without successor before then is not assessed either."""
        return self.get(code).valid_on(window[1])


def assessed_units(
    registry: UnitRegistry, window: tuple[dt.date, dt.date], unit_type: str | None = None
) -> list[Unit]:
    """The units assessed for a period with this data window (see UnitRegistry.is_assessed), by code."""
    return [
        u
        for u in registry.units
        if registry.is_assessed(u.code, window) and (unit_type is None or u.unit_type == unit_type)
    ]
