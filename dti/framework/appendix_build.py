"""From the appendix's placed rows to a framework: each leaf's method read from its text, a metric binding
proposed (never bound), the sheets merged by code into one tree with `applies_to`, the legal basis read from
the title block, validated; then the YAML with its reviewer comments and the --json summary."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import yaml

from dti.framework.appendix import (
    MAX_BYTES,
    ZERO,
    AppendixError,
    Node,
    SheetTree,
    _sum,
    build_tree,
    check_totals,
    read_rows,
    sheet_scale_and_type,
)
from dti.framework.loader import FrameworkError, parse_framework
from dti.framework.metric_catalogue import METRICS
from dti.intake.readers import FileRejected, Grid, read_file
from dti.text import code_key, fold

NEEDS_TRANSLATION = "(chưa dịch / to translate) "


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


def _row_problem(node: Node, reason: str) -> dict:
    return {"sheet": node.sheet, "row": node.row, "stt": node.label or node.code, "name": node.name,
            "points": None if node.points is None else str(node.points), "reason": reason}


class _Merge:
    """The sheets' trees merged by code: a node in every sheet applies to all their types, otherwise
    `applies_to` names them; a code with other content in another sheet is not merged but named."""

    def __init__(self, sheets: list[SheetTree]):
        self.nodes: dict[str, Node] = {}
        self.parent_of: dict[str, str | None] = {}
        self.types_of: dict[str, list[str]] = {}
        self.order: list[Node] = []
        self.unplaced = [u for s in sheets for u in s.unplaced]
        self.all_types = sorted({s.unit_type for s in sheets})
        for sheet in sheets:
            for p in sheet.pillars:
                self.walk(p, None, sheet.unit_type)

    def walk(self, node: Node, parent: str | None, unit_type: str) -> None:
        first = self.nodes.get(node.code)
        if first is None:
            copy = Node(node.level, node.code, node.name, node.points, node.method, node.evidence, node.label,
                        node.sheet, node.row)
            self.nodes[node.code], self.parent_of[node.code], self.types_of[node.code] = copy, parent, [unit_type]
            (self.order if parent is None else self.nodes[parent].children).append(copy)
        elif (first.name, first.level, self.parent_of[node.code]) != (node.name, node.level, parent) or (
                node.level in ("component", "criterion") and first.points != node.points):
            # pillars and main indices may weigh differently per unit type; what is scored may not
            self.unplaced.append(_row_problem(node, (
                f"mã {node.code} đã có ở trang '{first.sheet}' (dòng {first.row}) với nội dung/điểm khác: nhập "
                f"riêng từng trang bằng --sheet / code {node.code} is in sheet '{first.sheet}' with other "
                f"content: import the sheets separately with --sheet")))
            return
        else:
            self.types_of[node.code].append(unit_type)
        for child in node.children:
            self.walk(child, node.code, unit_type)

    def applies_to(self, code: str) -> list[str] | None:
        types = sorted(set(self.types_of[code]))
        return None if types == self.all_types else types


class _Tree:
    """The merged tree as framework YAML data, each leaf's method and proposal noted for the reviewer."""

    def __init__(self, merge: _Merge):
        self.merge = merge
        self.proposals: dict[str, dict] = {}
        self.methods: dict[str, str] = {}
        self.labels: dict[str, str] = {}

    def leaf(self, node: Node) -> dict:
        method, measure, why = propose_method(node.points or ZERO, node.method, node.name)
        self.methods[node.code] = why
        if node.label:
            self.labels[node.code] = node.label
        proposal = propose_metric(node.name, node.method, measure)
        if proposal:
            self.proposals[node.code] = proposal
        out = {"code": node.code, "name_vi": node.name, "name_en": NEEDS_TRANSLATION + node.name,
               "max_points": _num(node.points or ZERO), "method": method, "measure": measure, "source": "EVD"}
        return self._extras(out, node)

    def _extras(self, out: dict, node: Node) -> dict:
        if self.merge.applies_to(node.code):
            out["applies_to"] = self.merge.applies_to(node.code)
        if node.evidence:
            out["evidence_vi"] = node.evidence
        return out

    def component(self, c: Node) -> dict:
        if not c.children:
            return self.leaf(c)
        return self._extras({"code": c.code, "name_vi": c.name, "name_en": NEEDS_TRANSLATION + c.name,
                             "max_points": _num(_sum(c.children)), "criteria": [self.leaf(k) for k in c.children]}, c)

    def pillars(self) -> list[dict]:
        out = []
        for p in self.merge.order:
            mains = []
            for m in p.children:
                if not m.children:
                    self.merge.unplaced.append(_row_problem(m, "chỉ số chính không có chỉ số thành phần (1.1…) / "
                                                               "a main index without components (1.1…)"))
                    continue
                mains.append({"code": m.code, "name_vi": m.name, "name_en": NEEDS_TRANSLATION + m.name,
                              "components": [self.component(c) for c in m.children]})
            if mains:
                out.append({"code": p.code, "name_vi": p.name, "name_en": NEEDS_TRANSLATION + p.name,
                            "main_indices": mains})
        return out


def _framework_data(sheets: list[SheetTree], pillars: list[dict], meta: dict) -> dict:
    fw = {"id": meta["framework_id"], "version": meta["version"], "name_vi": meta["name_vi"], "province": None,
          "legal_basis": {"number": meta["decision"], "date": meta["decision_date"].isoformat(),
                          "issuer": meta["issuer"]},
          "valid_from": meta["valid_from"].isoformat(), "valid_to": None}
    if meta.get("replaces"):
        fw["replaces"] = meta["replaces"]
    unit_types = [{"type": s.unit_type, "scale": _num(s.scale if s.scale is not None else _sum(s.pillars)),
                   "name_vi": s.sheet} for s in sheets]
    fw.update({"unit_types": unit_types,
               "rounds": [{"round": 1, "name_vi": "Cả năm / whole year", "data_from": "01-01", "data_to": "12-31",
                           "deadlines": {"*": "+1:01-31"}}],
               "policy": {"not_applicable": "shrink"}, **(meta.get("extra") or {}), "pillars": pillars})
    return fw


def _assemble(sheets: list[SheetTree], **meta) -> AppendixImport:
    merge = _Merge(sheets)
    tree = _Tree(merge)
    fw = _framework_data(sheets, tree.pillars(), meta)
    try:
        parse_framework(fw, f"{meta['framework_id']}@{meta['version']}")
        validation: list[str] = []
    except FrameworkError as exc:
        validation = exc.messages()
    totals = [t for s in sheets for t in s.totals]
    unplaced = sorted(merge.unplaced, key=lambda u: (u["sheet"], u["row"]))
    return AppendixImport(fw, sheets, unplaced, totals, tree.proposals, tree.methods, tree.labels, validation)


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
