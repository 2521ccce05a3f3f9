"""A province's index set read from the appendix table of its decision — "STT | Chỉ số / Tiêu chí | Điểm tối
đa | Phương thức đánh giá / Cách tính điểm | Tài liệu kiểm chứng", one sheet per unit type with the scale in
the sheet title — into a framework the engine validates. The hierarchy comes from the numbering (I, II…
pillars; 1 main indices; 1.1 components; 1.1.1 or a), b) criteria); points are checked at every level; a
row that cannot be placed is named, never dropped. Metric bindings are only proposed: every leaf is
written as evidence-only (EVD) until an officer confirms a proposal and sets its source and metric."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from dti.framework.loader import FrameworkError, parse_framework
from dti.framework.metric_catalogue import METRICS
from dti.intake.readers import FileRejected, Grid, read_file
from dti.text import clean, code_key, fold
from dti.units.importer import known_type

MAX_BYTES = 20_000_000
HEADER_SCAN_ROWS = 30
ZERO = Decimal("0")
NEEDS_TRANSLATION = "(chưa dịch / to translate) "

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


def build_tree(rows: list[Row], sheet: str) -> tuple[list[Node], list[dict]]:
    """Place each row by its numbering; a row that cannot be placed is returned with the reason.

    A flat export (no main index rows at all, as systems export a scoring sheet) gets its main indices from
    the numbering, named by its group column; a criterion 4.22.1 whose component 4.22 has no row of its own
    gets that component. Both are marked as made up (SYNTHESIZED in the name)."""
    pillars: list[Node] = []
    unplaced: list[dict] = []
    pillar = main = comp = None
    has_roman = any(_classify(r.stt, r.name)[0] == "pillar" for r in rows)
    flat = not any(_classify(r.stt, r.name)[0] == "main" for r in rows)
    if not has_roman:
        pillar = Node("pillar", "DTI", "Bộ chỉ số / index set", None, sheet=sheet)
        pillars.append(pillar)
    seen: set[str] = set()

    def reject(r: Row, why: str) -> None:
        unplaced.append({"sheet": r.sheet, "row": r.row, "stt": r.stt, "name": r.name,
                         "points": None if r.points is None else str(r.points), "reason": why})

    for r in rows:
        level, numbering, name = _classify(r.stt, r.name)
        if level is None:
            if not numbering and not r.points and comp is not None and (r.method or r.evidence or r.name):
                # an unnumbered line under a component continues its text (a wrapped cell, a note)
                target = comp.children[-1] if comp.children else comp
                if r.name:
                    target.method = "\n".join(x for x in (target.method, r.name) if x)
                if r.method:
                    target.method = "\n".join(x for x in (target.method, r.method) if x)
                if r.evidence:
                    target.evidence = "\n".join(x for x in (target.evidence, r.evidence) if x)
                continue
            reject(r, f"không đọc được số thứ tự '{numbering or ''}' (cần I, 1, 1.1, 1.1.1 hoặc a)) / "
                      f"numbering not understood (expected I, 1, 1.1, 1.1.1 or a))")
            continue
        if not name:
            reject(r, "thiếu tên chỉ số / the indicator has no name")
            continue
        if level == "letter":
            if comp is None:
                reject(r, "tiêu chí a), b)… không nằm dưới chỉ số thành phần nào / a lettered criterion "
                          "outside any component")
                continue
            code = f"{comp.code}.{len(comp.children) + 1}"
            label = f"{numbering})"
            level = "criterion"
        else:
            code, label = numbering, None
        if code in seen:
            reject(r, f"mã {code} bị trùng trong trang / duplicate number {code} in the sheet")
            continue
        node = Node(level, code, name, r.points, r.method, r.evidence, label, r.sheet, r.row)
        if level == "pillar":
            pillar, main, comp = node, None, None
            pillars.append(node)
        elif level == "main":
            if pillar is None:
                reject(r, "chỉ số chính nằm trước trụ cột (I, II…) đầu tiên / a main index before the first "
                          "pillar (I, II…)")
                continue
            pillar.children.append(node)
            main, comp = node, None
        elif level == "component":
            if flat and pillar is not None and (main is None or code.split(".")[0] != main.code) \
                    and code.split(".")[0] not in seen:
                main = Node("main", code.split(".")[0], r.group or f"Chỉ số chính {code.split('.')[0]} {SYNTHESIZED}",
                            None, sheet=r.sheet, row=r.row)
                pillar.children.append(main)
                seen.add(main.code)
            if main is None or code.split(".")[0] != main.code:
                reject(r, f"không có chỉ số chính {code.split('.')[0]} ngay phía trên / no main index "
                          f"{code.split('.')[0]} above it")
                continue
            main.children.append(node)
            comp = node
        else:  # criterion
            parent = ".".join(code.split(".")[:2])
            if (comp is None or comp.code != parent) and parent not in seen and main is not None \
                    and parent.split(".")[0] == main.code:
                comp = Node("component", parent, f"Chỉ số {parent} {SYNTHESIZED}", None, sheet=r.sheet, row=r.row)
                main.children.append(comp)
                seen.add(parent)
            if comp is None or comp.code != parent:
                reject(r, f"không có chỉ số thành phần {parent} ngay phía trên / no component {parent} above it")
                continue
            comp.children.append(node)
        seen.add(code)  # a leaf without points is reported with the totals (check_totals)
    return [p for p in pillars if p.children or p.code != "DTI"], unplaced


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


# ---- methods and metric proposals ------------------------------------------------------------------
_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s*%")
_POINTS_EACH = re.compile(r"mỗi\s+[^;.,\n]*?(?:được|cộng|tính)\s*(\d+(?:[.,]\d+)?)\s*điểm", re.I)
_PENALTY = re.compile(r"(?:mỗi|01|1)\s+[^;.\n]*?trừ\s*(\d+(?:[.,]\d+)?)\s*điểm", re.I)


def propose_method(leaf_points: Decimal, method_text: str | None, name: str) -> tuple[dict, str, str]:
    """(method, measure, why) read from the method text; binary (yes/no) when it says nothing clearer.
    A proposal: the officer reads it against the decision before the framework is used."""
    text = " ".join(x for x in (method_text, name) if x)
    low = text.lower()
    m = _PENALTY.search(text)
    if m:
        return {"kind": "deduction", "penalty": _num(m.group(1))}, "count", "trừ điểm mỗi lần / points off per event"
    m = _POINTS_EACH.search(text)
    if m:
        return ({"kind": "capped_sum", "per_item": _num(m.group(1)), "cap": _num(leaf_points)}, "count",
                "điểm theo số lượng, tối đa điểm của chỉ số / points per item up to the maximum")
    if "tỷ lệ" in low or "ty le" in fold(low) or "%" in low:
        pct = _PERCENT.findall(text)
        if pct and ("trở lên" in low or "≥" in text or ">=" in text or "từ" in low) and len(set(pct)) == 1:
            threshold = Decimal(pct[0].replace(",", ".")) / 100
            if ZERO < threshold <= 1:
                return ({"kind": "pass_mark", "threshold": _num(threshold)}, "rate",
                        f"đạt từ {pct[0]}% được điểm tối đa / full marks from {pct[0]}%")
        return {"kind": "ratio"}, "rate", "điểm = tỷ lệ × điểm tối đa / points = rate × maximum"
    return {"kind": "binary"}, "bool", "có/không / yes or no"


def _num(value) -> int | str:
    d = Decimal(str(value).replace(",", "."))
    return int(d) if d == int(d) else str(d.normalize())


def propose_metric(name: str, method_text: str | None, measure: str) -> dict | None:
    """The catalogue metric whose words best match the leaf's, for an officer to confirm; None when
    nothing shares enough words. Never bound by itself."""
    words = set(fold(" ".join(x for x in (name, method_text) if x)).split())
    best, best_score = None, 0.0
    for metric in METRICS.values():
        if measure in ("rate", "count") and metric.measure != measure:
            continue
        theirs = set(fold(" ".join((metric.name_vi, metric.numerator_vi, metric.denominator_vi))).split())
        if not theirs:
            continue
        score = len(words & theirs) / len(theirs)
        if score > best_score:
            best, best_score = metric, score
    if best is None or best_score < 0.5:
        return None
    return {"source": best.source, "metric": best.id, "name_vi": best.name_vi, "match": round(best_score, 2),
            "confirmed": False}


# ---- the whole workbook --------------------------------------------------------------------------
@dataclass
class AppendixImport:
    framework: dict  # the framework as YAML data
    sheets: list[SheetTree]
    unplaced: list[dict]
    totals: list[dict]
    proposals: dict[str, dict]  # leaf code → proposed binding
    methods: dict[str, str]  # leaf code → why that method
    labels: dict[str, str]  # leaf code → numbering as printed ("a)")
    validation: list[str]

    @property
    def ok(self) -> bool:
        return not (self.unplaced or self.totals or self.validation)


def read_workbook(path: Path) -> list[Grid]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise AppendixError(f"không tìm thấy tệp / file not found: {path}") from None
    try:
        return [g for g in read_file(path, data, max_bytes=MAX_BYTES).grids if not g.hidden]
    except FileRejected as exc:
        raise AppendixError(f"{path}: {exc}") from None


_DECISION = re.compile(r"(?:quyết định|qđ)\s*(?:số)?\s*:?\s*(\d+\s*/\s*[A-ZĐa-zđ-]+(?:/[A-ZĐa-zđ-]+)?)", re.I)
_DATE_WORDS = re.compile(r"ngày\s+(\d{1,2})\s*(?:/|tháng)\s*(\d{1,2})\s*(?:/|năm)\s*(\d{4})", re.I)


def _title(lines: list[str]) -> str | None:
    """The index set's name from the title block: the line naming the index set, else the first that is
    not a bare "PHỤ LỤC" heading."""
    named = [line for line in lines if "bo chi so" in fold(line)]
    rest = [line for line in lines if not re.match(r"^phu luc\b", fold(line))]
    return (named or rest or [None])[0]


def _legal_basis(title_lines: list[str]) -> tuple[str | None, dt.date | None]:
    text = " ".join(title_lines)
    number = _DECISION.search(text)
    date = _DATE_WORDS.search(text)
    day = None
    if date:
        try:
            day = dt.date(int(date.group(3)), int(date.group(2)), int(date.group(1)))
        except ValueError:
            day = None
    return (re.sub(r"\s+", "", number.group(1)) if number else None), day


def import_appendix(path: Path, *, framework_id: str, version: str, valid_from: dt.date | None = None,
                    replaces: str | None = None, name_vi: str | None = None, issuer: str | None = None,
                    decision: str | None = None, decision_date: dt.date | None = None,
                    extra_types: set[str] | None = None, sheets_wanted: list[str] | None = None,
                    unit_type_override: str | None = None, extra: dict | None = None) -> AppendixImport:
    grids = read_workbook(path)
    if sheets_wanted:
        missing = sorted(set(sheets_wanted) - {g.sheet for g in grids})
        if missing:
            raise AppendixError(f"{path}: không có trang / no sheet named {', '.join(missing)}; có / there are: "
                                f"{', '.join(g.sheet or '' for g in grids)}")
        grids = [g for g in grids if g.sheet in sheets_wanted]
    sheets: list[SheetTree] = []
    titles: list[str] = []
    for grid in grids:
        read = read_rows(grid)
        if read is None:
            continue
        rows, title = read
        titles.extend(title)
        unit_type, known, scale = sheet_scale_and_type(grid.sheet or path.stem, set(extra_types or ()))
        if grid.sheet is None:
            scale = None  # a CSV has no sheet title; its file name's digits are not a scale
        if unit_type_override:
            unit_type, known = unit_type_override, True
        pillars, unplaced = build_tree(rows, grid.sheet or path.stem)
        totals = check_totals(pillars, scale, grid.sheet or "")
        sheets.append(SheetTree(grid.sheet or path.stem, unit_type, known, scale, pillars, unplaced, totals))
    if not sheets:
        raise AppendixError(f"{path}: không trang nào có dòng tiêu đề 'STT | Chỉ số / Tiêu chí | Điểm tối đa' "
                            f"/ no sheet has the header row 'STT | Chỉ số / Tiêu chí | Điểm tối đa'")
    number, date = _legal_basis(titles)
    decision = decision or number
    decision_date = decision_date or date or valid_from
    valid_from = valid_from or decision_date
    if valid_from is None:
        raise AppendixError("không thấy ngày quyết định trong tiêu đề: cần --valid-from / no decision date in the "
                            "title block: give --valid-from")
    return _assemble(sheets, framework_id=framework_id, version=version, valid_from=valid_from,
                     replaces=replaces, name_vi=name_vi or _title(titles) or framework_id,
                     issuer=issuer or "UBND tỉnh", decision=decision or "(chưa ghi / not given)",
                     decision_date=decision_date or valid_from, extra=extra)


def _assemble(sheets: list[SheetTree], **meta) -> AppendixImport:
    """Merge the sheets' trees by code (a node in every sheet applies to all types; otherwise `applies_to`
    names them); a code with other content in another sheet is not merged but named."""
    merged: dict[str, Node] = {}
    order: list[Node] = []
    types_of: dict[str, list[str]] = {}
    unplaced = [u for s in sheets for u in s.unplaced]
    parent_of: dict[str, str | None] = {}

    def walk(node: Node, parent: str | None, sheet: SheetTree) -> None:
        first = merged.get(node.code)
        if first is None:
            copy = Node(node.level, node.code, node.name, node.points, node.method, node.evidence, node.label,
                        node.sheet, node.row)
            merged[node.code] = copy
            parent_of[node.code] = parent
            if parent is None:
                order.append(copy)
            else:
                merged[parent].children.append(copy)
            types_of[node.code] = [sheet.unit_type]
        elif (first.name, first.level, parent_of[node.code]) != (node.name, node.level, parent) or (
                node.level in ("component", "criterion") and first.points != node.points):
            # pillars and main indices may weigh differently per unit type; what is scored may not
            unplaced.append({"sheet": node.sheet, "row": node.row, "stt": node.label or node.code, "name": node.name,
                             "points": None if node.points is None else str(node.points),
                             "reason": f"mã {node.code} đã có ở trang '{first.sheet}' (dòng {first.row}) với nội "
                                       f"dung/điểm khác: nhập riêng từng trang bằng --sheet / code {node.code} "
                                       f"is in sheet '{first.sheet}' with other content: import the sheets "
                                       f"separately with --sheet"})
            return
        else:
            types_of[node.code].append(sheet.unit_type)
        for child in node.children:
            walk(child, node.code, sheet)

    for sheet in sheets:
        for p in sheet.pillars:
            walk(p, None, sheet)
    all_types = [s.unit_type for s in sheets]
    proposals: dict[str, dict] = {}
    methods: dict[str, str] = {}
    labels: dict[str, str] = {}

    def leaf_data(node: Node) -> dict:
        method, measure, why = propose_method(node.points or ZERO, node.method, node.name)
        methods[node.code] = why
        if node.label:
            labels[node.code] = node.label
        proposal = propose_metric(node.name, node.method, measure)
        if proposal:
            proposals[node.code] = proposal
        out = {"code": node.code, "name_vi": node.name, "name_en": NEEDS_TRANSLATION + node.name,
               "max_points": _num(node.points or ZERO), "method": method, "measure": measure, "source": "EVD"}
        if sorted(set(types_of[node.code])) != sorted(set(all_types)):
            out["applies_to"] = sorted(set(types_of[node.code]))
        if node.evidence:
            out["evidence_vi"] = node.evidence
        return out

    pillars = []
    for p in order:
        mains = []
        for m in p.children:
            comps = []
            for c in m.children:
                if c.children:
                    comp = {"code": c.code, "name_vi": c.name, "name_en": NEEDS_TRANSLATION + c.name,
                            "max_points": _num(_sum(c.children)),
                            "criteria": [leaf_data(k) for k in c.children]}
                    if c.evidence:
                        comp["evidence_vi"] = c.evidence
                    if sorted(set(types_of[c.code])) != sorted(set(all_types)):
                        comp["applies_to"] = sorted(set(types_of[c.code]))
                else:
                    comp = leaf_data(c)
                comps.append(comp)
            if comps:
                mains.append({"code": m.code, "name_vi": m.name, "name_en": NEEDS_TRANSLATION + m.name,
                              "components": comps})
            else:
                unplaced.append({"sheet": m.sheet, "row": m.row, "stt": m.code, "name": m.name,
                                 "points": None if m.points is None else str(m.points),
                                 "reason": "chỉ số chính không có chỉ số thành phần (1.1…) / a main index without "
                                           "components (1.1…)"})
        if mains:
            pillars.append({"code": p.code, "name_vi": p.name, "name_en": NEEDS_TRANSLATION + p.name,
                            "main_indices": mains})
    unit_types = []
    for s in sheets:
        scale = s.scale if s.scale is not None else _sum(s.pillars)
        unit_types.append({"type": s.unit_type, "scale": _num(scale), "name_vi": s.sheet})
    fw = {"id": meta["framework_id"], "version": meta["version"], "name_vi": meta["name_vi"],
          "province": None,
          "legal_basis": {"number": meta["decision"], "date": meta["decision_date"].isoformat(),
                          "issuer": meta["issuer"]},
          "valid_from": meta["valid_from"].isoformat(), "valid_to": None}
    if meta.get("replaces"):
        fw["replaces"] = meta["replaces"]
    fw.update({"unit_types": unit_types,
               "rounds": [{"round": 1, "name_vi": "Cả năm / whole year", "data_from": "01-01", "data_to": "12-31",
                           "deadlines": {"*": "+1:01-31"}}],
               "policy": {"not_applicable": "shrink"}, **(meta.get("extra") or {}), "pillars": pillars})
    try:
        parse_framework(fw, f"{meta['framework_id']}@{meta['version']}")
        validation: list[str] = []
    except FrameworkError as exc:
        validation = exc.messages()
    totals = [t for s in sheets for t in s.totals]
    unplaced.sort(key=lambda u: (u["sheet"], u["row"]))
    return AppendixImport(fw, sheets, unplaced, totals, proposals, methods, labels, validation)


def to_yaml(result: AppendixImport, source: str) -> str:
    """The framework YAML, with a comment over each leaf saying how its method was read and which metric
    is proposed: the officer confirms a proposal by setting `source` and `metric` themselves."""
    head = [
        f"# Nhập từ phụ lục / imported from the appendix: {source}",
        "# Mọi chỉ số lá để nguồn EVD (chỉ minh chứng) cho tới khi cán bộ xác nhận số liệu đề xuất bên dưới;",
        "# tên tiếng Anh cần dịch. / Every leaf is EVD (evidence only) until an officer confirms the proposed",
        "# metric below by setting source and metric; English names need translating.",
    ]
    text = yaml.safe_dump(result.framework, allow_unicode=True, sort_keys=False, width=100)
    lines = text.splitlines()
    out = head[:]
    for line in lines:
        m = re.match(r"^(\s*)- code: '?([^']+?)'?$", line)
        if m and m.group(2) in result.methods:
            pad, code = m.group(1), m.group(2)
            note = f"{pad}# {code}"
            if code in result.labels:
                note += f" (in trong phụ lục / printed as {result.labels[code]})"
            note += f": cách tính đọc được / method read: {result.methods[code]}"
            out.append(note)
            proposal = result.proposals.get(code)
            if proposal:
                out.append(f"{pad}# ĐỀ XUẤT, CHƯA XÁC NHẬN / PROPOSED, NOT CONFIRMED: source: {proposal['source']}, "
                           f"metric: {proposal['metric']} ({proposal['name_vi']})")
        out.append(line)
    return "\n".join(out) + "\n"


def summary(result: AppendixImport) -> dict:
    fw = result.framework
    leaves = []
    for p in fw["pillars"]:
        for m in p["main_indices"]:
            for c in m["components"]:
                for leaf in c.get("criteria") or [c]:
                    leaves.append({"code": leaf["code"], "name_vi": leaf["name_vi"], "max_points": leaf["max_points"],
                                   "method": leaf["method"], "measure": leaf["measure"],
                                   "applies_to": leaf.get("applies_to"),
                                   "printed_as": result.labels.get(leaf["code"]),
                                   "proposed_binding": result.proposals.get(leaf["code"])})
    return {
        "id": fw["id"], "version": fw["version"], "replaces": fw.get("replaces"),
        "valid_from": fw["valid_from"], "legal_basis": fw["legal_basis"],
        # the scale the sheet title states, else (scale_stated false) the sheet's total
        "unit_types": [{"type": s.unit_type, "known": s.unit_type_known, "sheet": s.sheet,
                        "scale": _num(s.scale if s.scale is not None else _sum(s.pillars)),
                        "scale_stated": s.scale is not None,
                        "total": _num(_sum(s.pillars))} for s in result.sheets],
        "pillars": [{"code": p["code"], "name_vi": p["name_vi"]} for p in fw["pillars"]],
        "main_indices": [{"code": m["code"], "name_vi": m["name_vi"], "pillar": p["code"],
                          "components": len(m["components"])} for p in fw["pillars"] for m in p["main_indices"]],
        "leaves": sorted(leaves, key=lambda leaf: code_key(leaf["code"])),
        "unplaced": result.unplaced, "totals": result.totals, "validation": result.validation,
        "ok": result.ok,
    }
