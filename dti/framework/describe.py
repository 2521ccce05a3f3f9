"""Plain, JSON-ready views of a framework: its tree with totals per unit type, and version diffs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from dti.framework.model import Framework, Leaf
from dti.text import code_key

ZERO = Decimal("0")
LEAF_FIELDS = ("name_vi", "name_en", "max_points", "method", "measure", "source", "metric", "tolerance",
               "applies_to", "evidence_vi", "evidence_keywords", "co_verifier")


def num(value: Decimal | None) -> str | None:
    """Exact decimal text without exponent or trailing zeros: 20.0 → '20', 0.50 → '0.5'."""
    if value is None:
        return None
    text = format(Decimal(value).normalize(), "f")
    return text


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return num(value)
    if hasattr(value, "model_dump"):
        return _jsonable(value.model_dump(exclude_none=True))
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _max_by_type(fw: Framework, leaves: list[Leaf]) -> dict[str, str]:
    return {
        ut.type: num(sum((lf.max_points for lf in leaves if fw.applies(lf, ut.type)), ZERO)) for ut in fw.unit_types
    }


def _leaf_node(fw: Framework, leaf: Leaf, level: str) -> dict:
    node = {"level": level, "code": leaf.code, "name_vi": leaf.name_vi, "name_en": leaf.name_en,
            "max": _max_by_type(fw, [leaf]), "max_points": num(leaf.max_points),
            "method": _jsonable(leaf.method), "measure": leaf.measure, "source": leaf.source,
            "metric": leaf.metric, "applies_to": leaf.applies_to}
    if leaf.evidence_vi:
        node["evidence_vi"] = leaf.evidence_vi
    if leaf.evidence_keywords:
        node["evidence_keywords"] = leaf.evidence_keywords
    return node


def framework_tree(fw: Framework) -> dict:
    """The whole framework as plain data: metadata, unit types with totals, and the tree in natural
    code order with the maximum of every node for every unit type."""
    pillars = []
    for pillar in sorted(fw.pillars, key=lambda p: code_key(p.code)):
        mains = []
        for main in sorted(pillar.main_indices, key=lambda m: code_key(m.code)):
            comps = []
            for comp in sorted(main.components, key=lambda c: code_key(c.code)):
                if comp.criteria:
                    crits = [_leaf_node(fw, k, "criterion") for k in sorted(comp.criteria, key=lambda k: code_key(k.code))]
                    comps.append({"level": "component", "code": comp.code, "name_vi": comp.name_vi,
                                  "name_en": comp.name_en, "max": _max_by_type(fw, list(comp.criteria)),
                                  "children": crits})
                else:
                    comps.append(_leaf_node(fw, comp, "component"))
            leaves = [lf for c in main.components for lf in (c.criteria or [c])]
            mains.append({"level": "main_index", "code": main.code, "name_vi": main.name_vi, "name_en": main.name_en,
                          "max": _max_by_type(fw, leaves), "children": comps})
        leaves = [lf for m in pillar.main_indices for c in m.components for lf in (c.criteria or [c])]
        pillars.append({"level": "pillar", "code": pillar.code, "name_vi": pillar.name_vi, "name_en": pillar.name_en,
                        "max": _max_by_type(fw, leaves), "children": mains})
    all_leaves = fw.leaves()
    return {
        "id": fw.id,
        "version": fw.version,
        "name_vi": fw.name_vi,
        "name_en": fw.name_en,
        "province": fw.province,
        "legal_basis": _jsonable(fw.legal_basis),
        "valid_from": fw.valid_from.isoformat(),
        "valid_to": fw.valid_to.isoformat() if fw.valid_to else None,
        "policy": _jsonable(fw.policy),
        "rounds": _jsonable(sorted(fw.rounds, key=lambda r: r.round)),
        "unit_types": [
            {"type": ut.type, "name_vi": ut.name_vi, "scale": num(ut.scale),
             "applicable_max": _max_by_type(fw, all_leaves)[ut.type],
             "leaves": sum(1 for lf in all_leaves if fw.applies(lf, ut.type))}
            for ut in fw.unit_types
        ],
        "leaves": len(all_leaves),
        "tree": pillars,
    }


def framework_summary(fw: Framework) -> dict:
    return {
        "id": fw.id,
        "version": fw.version,
        "name_vi": fw.name_vi,
        "name_en": fw.name_en,
        "legal_basis": fw.legal_basis.number,
        "valid_from": fw.valid_from.isoformat(),
        "valid_to": fw.valid_to.isoformat() if fw.valid_to else None,
        "unit_types": {ut.type: num(ut.scale) for ut in fw.unit_types},
        "leaves": len(fw.leaves()),
        "not_applicable": fw.policy.not_applicable,
        "replaces": fw.replaces,
    }


def _leaf_view(fw: Framework, leaf: Leaf) -> dict:
    view = {f: _jsonable(getattr(leaf, f)) for f in LEAF_FIELDS}
    view["main_index"] = fw.main_index_of(leaf.code).code
    component = fw.component_of(leaf.code)
    view["component"] = component.code if component.code != leaf.code else None
    return view


def diff_frameworks(a: Framework, b: Framework) -> dict:
    """What changed from framework `a` to `b`: metadata, unit types, leaves (field by field), totals."""
    meta = []
    for field in ("id", "version", "name_vi", "name_en", "province", "legal_basis", "valid_from", "valid_to",
                  "replaces", "policy", "rounds"):
        va, vb = _jsonable(getattr(a, field)), _jsonable(getattr(b, field))
        if va != vb:
            meta.append({"field": field, "a": va, "b": vb})
    leaves_a = {lf.code: lf for lf in a.leaves()}
    leaves_b = {lf.code: lf for lf in b.leaves()}
    added = [{"code": c, "name_vi": leaves_b[c].name_vi, "max_points": num(leaves_b[c].max_points)}
             for c in sorted(set(leaves_b) - set(leaves_a), key=code_key)]
    removed = [{"code": c, "name_vi": leaves_a[c].name_vi, "max_points": num(leaves_a[c].max_points)}
               for c in sorted(set(leaves_a) - set(leaves_b), key=code_key)]
    changed = []
    for code in sorted(set(leaves_a) & set(leaves_b), key=code_key):
        va, vb = _leaf_view(a, leaves_a[code]), _leaf_view(b, leaves_b[code])
        fields = [{"field": f, "a": va[f], "b": vb[f]} for f in va if va[f] != vb[f]]
        if fields:
            changed.append({"code": code, "name_vi": leaves_b[code].name_vi, "changes": fields})
    types = sorted({ut.type for ut in a.unit_types} | {ut.type for ut in b.unit_types})
    scale_a = {ut.type: num(ut.scale) for ut in a.unit_types}
    scale_b = {ut.type: num(ut.scale) for ut in b.unit_types}
    max_a = _max_by_type(a, a.leaves())
    max_b = _max_by_type(b, b.leaves())
    totals = [{"unit_type": t, "scale_a": scale_a.get(t), "scale_b": scale_b.get(t),
               "max_a": max_a.get(t), "max_b": max_b.get(t)} for t in types]
    return {
        "a": {"id": a.id, "version": a.version},
        "b": {"id": b.id, "version": b.version},
        "metadata": meta,
        "added": added,
        "removed": removed,
        "changed": changed,
        "totals": totals,
        "identical": not (meta or added or removed or changed) and all(
            t["scale_a"] == t["scale_b"] and t["max_a"] == t["max_b"] for t in totals),
    }
