"""A province's index set read from the appendix table of its decision — "STT | Chỉ số / Tiêu chí | Điểm tối
đa | Phương thức đánh giá / Cách tính điểm | Tài liệu kiểm chứng", one sheet per unit type with the scale in
the sheet title — into a framework the engine validates. The hierarchy comes from the numbering (I, II…
pillars; 1 main indices; 1.1 components; 1.1.1 or a), b) criteria); points are checked at every level; a
row that cannot be placed is named, never dropped. Metric bindings are only proposed: every leaf is
written as evidence-only (EVD) until an officer confirms a proposal and sets its source and metric. This
module reads and places the rows; appendix_build makes the framework of them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from dti.intake.readers import Grid
from dti.text import clean, fold
from dti.units.importer import known_type

MAX_BYTES = 20_000_000
HEADER_SCAN_ROWS = 30
ZERO = Decimal("0")

HEADERS: dict[str, tuple[str, ...]] = {
    "stt": ("stt", "tt", "số thứ tự", "mã", "mã chỉ số"),
    "name": ("chỉ số / tiêu chí", "chỉ số/tiêu chí", "chỉ số, tiêu chí", "chỉ số", "tiêu chí", "nội dung",
             "tên chỉ số", "chỉ tiêu", "nội dung đánh giá", "chỉ số đánh giá"),
    "points": ("điểm tối đa", "điểm", "thang điểm", "điểm chuẩn", "điểm tối đa đạt được"),
    "method": ("phương thức đánh giá / cách tính điểm", "phương thức đánh giá/cách tính điểm",
               "phương thức đánh giá", "cách tính điểm", "phương pháp đánh giá", "cách thức đánh giá",
               "phương pháp tính điểm", "cách chấm điểm"),
    "evidence": ("tài liệu kiểm chứng", "minh chứng", "tài liệu minh chứng", "hồ sơ minh chứng"),
    "group": ("nhóm", "nhóm chỉ số", "lĩnh vực", "group"),
}
_HEADER_INDEX = {fold(alias): key for key, aliases in HEADERS.items() for alias in aliases}
_ROMAN = re.compile(r"^(?=[IVXLC]+$)M{0,3}(C[MD]|D?C{0,3})(X[CL]|L?X{0,3})(I[XV]|V?I{0,3})$")
_NUMBERING = re.compile(r"^\s*((?:[IVXLC]+|\d+(?:\.\d+){0,2}|[a-zđ]))\s*[.)]?\s+(\S.*)$")
_LETTERS = "abcdđeghiklmnopqrstuvxy"


class AppendixError(ValueError):
    """The workbook as a whole cannot be read (not found, not a workbook, no sheet with the header)."""


@dataclass
class Row:
    sheet: str
    row: int
    stt: str | None
    name: str | None
    points: Decimal | None
    method: str | None
    evidence: str | None
    group: str | None = None  # a flat export's group column: the name of the main index the row is under


@dataclass
class Node:
    level: str  # pillar / main / component / criterion
    code: str
    name: str
    points: Decimal | None
    method: str | None = None
    evidence: str | None = None
    label: str | None = None  # the numbering as printed ("a)"), when the code was derived from it
    sheet: str = ""
    row: int = 0
    children: list[Node] = field(default_factory=list)


@dataclass
class SheetTree:
    sheet: str
    unit_type: str
    unit_type_known: bool
    scale: Decimal | None
    pillars: list[Node]
    unplaced: list[dict]
    totals: list[dict]


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value)).normalize() if value != int(value) else Decimal(int(value))
    text = str(value).strip().lower().replace("điểm", "").strip().replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return Decimal(int(number)) if number == int(number) else number.normalize()


def _text(value) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean(None if value is None else str(value).replace("\r\n", "\n"))


def _multiline(value) -> str | None:
    if value is None:
        return None
    lines = [clean(line) for line in str(value).replace("\r\n", "\n").split("\n")]
    return "\n".join(line for line in lines if line) or None


def sheet_scale_and_type(title: str, extra_types: set[str]) -> tuple[str, bool, Decimal | None]:
    """'Sở có TTHC (1000 điểm)' → ('dept_tthc', True, 1000): the scale is the number in the title."""
    numbers = re.findall(r"(\d[\d.]*)\s*(?:điểm|đ\b)", title) or re.findall(r"(\d{2,5})", title)
    scale = _decimal(numbers[-1].replace(".", "")) if numbers else None
    bare = re.sub(r"[-–(]?\s*(?:thang điểm\s*)?\d[\d.]*\s*(?:điểm)?\s*\)?", " ", title)
    bare = clean(bare.replace("_", " ")) or title
    unit_type = known_type(bare, extra_types) or known_type(clean(title), extra_types)
    if unit_type:
        return unit_type, True, scale
    slug = fold(bare).replace(" ", "_").replace(",", "").replace("/", "_") or "unit"
    return slug, False, scale


def _merged_lookup(grid: Grid) -> dict[tuple[int, int], tuple[int, int]]:
    """(row, col) inside a merged range → the range's top-left cell."""
    out = {}
    for r1, c1, r2, c2 in grid.merged:
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                if (r, c) != (r1, c1):
                    out[(r, c)] = (r1, c1)
    return out


def _find_header(grid: Grid) -> tuple[int, dict[str, int]] | None:
    for i, row in enumerate(grid.rows[:HEADER_SCAN_ROWS]):
        columns: dict[str, int] = {}
        for col, cell in enumerate(row):
            key = _HEADER_INDEX.get(fold(cell))
            if key and key not in columns:
                columns[key] = col
        if "name" in columns and "points" in columns:
            return i, columns
    return None


def read_rows(grid: Grid) -> tuple[list[Row], list[str]] | None:
    """The table rows of a sheet (None when it has no header), and its title block's lines."""
    found = _find_header(grid)
    if found is None:
        return None
    head, cols = found
    merged = _merged_lookup(grid)
    by_number = {n: vals for n, vals in zip(grid.row_numbers, grid.rows, strict=True)}

    def cell(number: int, key: str):
        col = cols.get(key)
        if col is None:
            return None
        r, c = merged.get((number, col), (number, col))
        if (r, c) != (number, col) and key in ("stt", "name", "points"):
            return "\0merged"  # the rest of a cell merged down: part of the row above, not a row
        vals = by_number.get(r, [])
        return vals[c] if c < len(vals) else None

    title = [t for vals in grid.rows[:head] for t in (_text(v) for v in vals) if t]
    rows = []
    # a numbered sub-header under the header ("(1) (2) (3)…") is skipped
    for number in grid.row_numbers[head + 1:]:
        stt, name, points = cell(number, "stt"), cell(number, "name"), cell(number, "points")
        if "\0merged" in (stt, name) and points in (None, "\0merged"):
            continue
        stt = None if stt == "\0merged" else stt
        name = None if name == "\0merged" else name
        points = None if points == "\0merged" else points
        method, evidence = cell(number, "method"), cell(number, "evidence")
        if all(v in (None, "") for v in (stt, name, points, method, evidence)):
            continue
        if re.fullmatch(r"\(?\d+\)?", str(stt or "").strip()) and re.fullmatch(r"\(\d+\)", str(name or "").strip()):
            continue
        rows.append(Row(grid.sheet or "", number, _text(stt), _text(name), _decimal(points),
                        _multiline(method), _multiline(evidence), _text(cell(number, "group"))))
    return rows, title


def _classify(stt: str | None, name: str | None) -> tuple[str | None, str | None, str | None]:
    """(level, numbering, name): the level the numbering says, reading it from the name if STT is empty."""
    numbering = (stt or "").strip().rstrip(".)").strip()
    if not numbering and name:
        m = _NUMBERING.match(name)
        if m:
            numbering, name = m.group(1), m.group(2)
    if re.fullmatch(r"(?:chỉ số|tiêu chí)\s+\S+", numbering, flags=re.I):
        numbering = numbering.split()[-1]
    if not numbering:
        return None, None, name
    if _ROMAN.match(numbering):
        return "pillar", numbering, name
    if re.fullmatch(r"\d+", numbering):
        return "main", str(int(numbering)), name
    if re.fullmatch(r"\d+\.\d+", numbering):
        return "component", numbering, name
    if re.fullmatch(r"\d+\.\d+\.\d+", numbering):
        return "criterion", numbering, name
    if re.fullmatch(r"[a-zđ]", numbering.lower()):
        return "letter", numbering.lower(), name
    return None, numbering, name


SYNTHESIZED = "(không có dòng riêng trong bảng / no row of its own)"


class _Placer:
    """Places rows by their numbering, one level at a time, remembering the open pillar, main index and
    component; what cannot be placed goes to `unplaced` with the reason."""

    def __init__(self, rows: list[Row], sheet: str):
        levels = {_classify(r.stt, r.name)[0] for r in rows}
        self.flat = "main" not in levels  # a flat export: main indices come from the numbering
        self.pillars: list[Node] = []
        self.unplaced: list[dict] = []
        self.pillar = self.main = self.comp = None
        self.seen: set[str] = set()
        if "pillar" not in levels:
            self.pillar = Node("pillar", "DTI", "Bộ chỉ số / index set", None, sheet=sheet)
            self.pillars.append(self.pillar)

    def reject(self, r: Row, why: str) -> None:
        self.unplaced.append({"sheet": r.sheet, "row": r.row, "stt": r.stt, "name": r.name,
                              "points": None if r.points is None else str(r.points), "reason": why})

    def place(self, r: Row) -> None:
        level, numbering, name = _classify(r.stt, r.name)
        if level is None:
            if not numbering and not r.points and self.comp is not None and (r.method or r.evidence or r.name):
                self._continue(r)
            else:
                self.reject(r, f"không đọc được số thứ tự '{numbering or ''}' (cần I, 1, 1.1, 1.1.1 hoặc a)) / "
                               f"numbering not understood (expected I, 1, 1.1, 1.1.1 or a))")
            return
        if not name:
            self.reject(r, "thiếu tên chỉ số / the indicator has no name")
            return
        code, label = numbering, None
        if level == "letter":
            if self.comp is None:
                self.reject(r, "tiêu chí a), b)… không nằm dưới chỉ số thành phần nào / a lettered criterion "
                               "outside any component")
                return
            code, label, level = f"{self.comp.code}.{len(self.comp.children) + 1}", f"{numbering})", "criterion"
        if code in self.seen:
            self.reject(r, f"mã {code} bị trùng trong trang / duplicate number {code} in the sheet")
            return
        node = Node(level, code, name, r.points, r.method, r.evidence, label, r.sheet, r.row)
        if getattr(self, f"_{level}")(node, r):
            self.seen.add(code)  # a leaf without points is reported with the totals (check_totals)

    def _continue(self, r: Row) -> None:
        """An unnumbered line under a component continues its text (a wrapped cell, a note)."""
        target = self.comp.children[-1] if self.comp.children else self.comp
        for text in (r.name, r.method):
            if text:
                target.method = "\n".join(x for x in (target.method, text) if x)
        if r.evidence:
            target.evidence = "\n".join(x for x in (target.evidence, r.evidence) if x)

    def _pillar(self, node: Node, r: Row) -> bool:
        self.pillar, self.main, self.comp = node, None, None
        self.pillars.append(node)
        return True

    def _main(self, node: Node, r: Row) -> bool:
        if self.pillar is None:
            self.reject(r, "chỉ số chính nằm trước trụ cột (I, II…) đầu tiên / a main index before the first "
                           "pillar (I, II…)")
            return False
        self.pillar.children.append(node)
        self.main, self.comp = node, None
        return True

    def _component(self, node: Node, r: Row) -> bool:
        number = node.code.split(".")[0]
        if self.flat and self.pillar is not None and (self.main is None or number != self.main.code) \
                and number not in self.seen:
            self.main = Node("main", number, r.group or f"Chỉ số chính {number} {SYNTHESIZED}", None,
                             sheet=r.sheet, row=r.row)
            self.pillar.children.append(self.main)
            self.seen.add(number)
        if self.main is None or number != self.main.code:
            self.reject(r, f"không có chỉ số chính {number} ngay phía trên / no main index {number} above it")
            return False
        self.main.children.append(node)
        self.comp = node
        return True

    def _criterion(self, node: Node, r: Row) -> bool:
        parent = ".".join(node.code.split(".")[:2])
        if (self.comp is None or self.comp.code != parent) and parent not in self.seen and self.main is not None \
                and parent.split(".")[0] == self.main.code:
            self.comp = Node("component", parent, f"Chỉ số {parent} {SYNTHESIZED}", None, sheet=r.sheet, row=r.row)
            self.main.children.append(self.comp)
            self.seen.add(parent)
        if self.comp is None or self.comp.code != parent:
            self.reject(r, f"không có chỉ số thành phần {parent} ngay phía trên / no component {parent} above it")
            return False
        self.comp.children.append(node)
        return True


def build_tree(rows: list[Row], sheet: str) -> tuple[list[Node], list[dict]]:
    """Place each row by its numbering; a row that cannot be placed is returned with the reason.

    A flat export (no main index rows at all, as systems export a scoring sheet) gets its main indices from
    the numbering, named by its group column; a criterion 4.22.1 whose component 4.22 has no row of its own
    gets that component. Both are marked as made up (SYNTHESIZED in the name)."""
    placer = _Placer(rows, sheet)
    for r in rows:
        placer.place(r)
    return [p for p in placer.pillars if p.children or p.code != "DTI"], placer.unplaced


def _sum(nodes: list[Node]) -> Decimal:
    return sum(((n.points if n.points is not None else _sum(n.children)) for n in nodes), ZERO)


def check_totals(pillars: list[Node], scale: Decimal | None, sheet: str) -> list[dict]:
    """Points must add up at every level: children to their parent, pillars to the sheet's scale."""
    out = []

    def check(node: Node) -> None:
        if node.children:
            total = _sum(node.children)
            if node.points is not None and node.points != total:
                out.append({"sheet": sheet, "row": node.row, "code": node.code, "points": str(node.points),
                            "children_total": str(total),
                            "problem": f"điểm tối đa {node.points} khác tổng các mục con {total} / maximum "
                                       f"{node.points} differs from its children's total {total}"})
            for child in node.children:
                check(child)
        elif node.points is None:
            out.append({"sheet": sheet, "row": node.row, "code": node.code, "points": None, "children_total": None,
                        "problem": "chỉ số lá không có điểm tối đa / a scoring leaf without a maximum"})

    for p in pillars:
        check(p)
    total = _sum(pillars)
    if scale is not None and total != scale:
        out.append({"sheet": sheet, "row": None, "code": None, "points": str(scale), "children_total": str(total),
                    "problem": f"thang điểm {scale} trong tên trang khác tổng điểm {total} / the scale {scale} in "
                               f"the sheet title differs from the total {total}"})
    return out
