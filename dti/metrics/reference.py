"""The metric rules (dti.metrics.rules) applied record by record in plain Python — the executable reading of
their words that the boundary tests and tests/independent_metrics.py hold the warehouse metrics against — and
the words as docs/frameworks.md prints them."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from dti.metrics.rules import (
    ONLINE_LEVELS,
    RULES,
    MetricRule,
    Policy,
    Window,
    Words,
    is_online,
    received_in,
    value_of,
)
from dti.settings import GROUPS


def _tally(records: Iterable, rule: MetricRule, w: Window, policy: Policy) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for r in records:
        if value_of(r, "deleted"):
            continue
        got = rule.count(r, w, policy)
        if got is None:
            continue
        slot = out.setdefault(value_of(r, "unit_code"), [0, 0])
        slot[0] += got[0]
        slot[1] += got[1]
    return out


def _value(metric: str, num: int, den: int) -> tuple:
    if RULES[metric].denominator is None:
        return Decimal(num), None, None
    return ((Decimal(num) / Decimal(den)) if den else None), Decimal(num), Decimal(den)


def reference_values(records: dict[str, list], window: Window, policy: Policy = Policy()) -> dict:
    """{(unit, metric): (value, numerator, denominator)} for every unit with records, by the rules' words.

    `records` maps a record kind (dossiers, procedures, documents, staff, incidents, inventories) to its
    records (dicts or rows with the warehouse's column names, times time-zone aware, unit codes current)."""
    out: dict[tuple[str, str], tuple] = {}
    for rule in RULES.values():
        if rule.count is None:
            continue
        for unit, (num, den) in _tally(records.get(rule.records, []), rule, window, policy).items():
            out[(unit, rule.metric)] = _value(rule.metric, num, den)
    _services_used(records, window, out)
    _inventories(records.get("inventories", []), window, out)
    units_with_sec = {
        value_of(r, "unit_code") for r in records.get("inventories", []) if not value_of(r, "deleted")
    }
    for unit in units_with_sec:  # a unit with an inventory and no incident has none late, not no data
        out.setdefault((unit, "sec_late_incidents"), (Decimal(0), None, None))
    # A unit's rates without any record in scope: no value (the SQL metrics give none either).
    return {k: v for k, v in out.items() if v[0] is not None or RULES[k[1]].denominator is None}


def _services_used(records: dict[str, list], w: Window, out: dict) -> None:
    offered: dict[str, set] = {}
    for p in records.get("procedures", []):
        if not value_of(p, "deleted") and value_of(p, "service_level") in ONLINE_LEVELS:
            offered.setdefault(value_of(p, "unit_code"), set()).add(value_of(p, "procedure_code"))
    used: dict[str, set] = {}
    dossier_units = set()
    for d in records.get("dossiers", []):
        if value_of(d, "deleted"):
            continue
        dossier_units.add(value_of(d, "unit_code"))
        if is_online(d) and received_in(d, w):
            used.setdefault(value_of(d, "unit_code"), set()).add(value_of(d, "procedure_code"))
    for unit, codes in offered.items():
        if unit in dossier_units:
            n = len(codes & used.get(unit, set()))
            out[(unit, "dvc_online_services_used_rate")] = _value(
                "dvc_online_services_used_rate", n, len(codes)
            )


def _inventories(rows: list, w: Window, out: dict) -> None:
    newest: dict[str, object] = {}
    for v in rows:
        if value_of(v, "deleted") or value_of(v, "as_of") > w.last:
            continue
        unit = value_of(v, "unit_code")
        best = newest.get(unit)
        if best is None or (value_of(v, "as_of"), value_of(v, "source_id")) > (
            value_of(best, "as_of"),
            value_of(best, "source_id"),
        ):
            newest[unit] = v
    for unit, v in newest.items():
        out[(unit, "sec_antimalware_rate")] = _value(
            "sec_antimalware_rate", value_of(v, "managed_endpoints"), value_of(v, "workstations")
        )
        out[(unit, "sec_soc_monitored_rate")] = _value(
            "sec_soc_monitored_rate", value_of(v, "monitored_systems"), value_of(v, "systems")
        )


# --- the words, for docs/frameworks.md ------------------------------------------------------------------------


def rules_markdown(leaves_by_metric: dict[str, list[str]] | None = None) -> str:
    """The rules as docs/frameworks.md prints them (one section per metric)."""
    lines = []
    for rule in RULES.values():
        codes = ", ".join((leaves_by_metric or {}).get(rule.metric, []))
        lines.append(f"#### `{rule.metric}`" + (f" ({codes})" if codes else ""))
        lines.append("")
        parts = [("Tử số / numerator", rule.numerator)]
        if rule.denominator is not None:
            parts.append(("Mẫu số / denominator", rule.denominator))
        else:
            parts.append(
                ("Mẫu số / denominator", Words("không có: giá trị là số đếm", "none: the value is a count"))
            )
        parts += [("Loại trừ / exclusions", rule.exclusions), ("Thời gian / window", rule.window)]
        if rule.proxy is not None:
            parts.append(("Dữ liệu không đủ cho quy tắc gốc / proxy", rule.proxy))
        for label, words in parts:
            lines.append(f"- **{label}**: {words.vi} — *{words.en}*")
        lines.append("")
    return "\n".join(lines)


def policy_markdown() -> str:
    """The province policy settings of the metrics (dti.settings group "metrics"), with their defaults."""
    lines = ["| setting | default | meaning |", "|---|---|---|"]
    for setting in GROUPS["metrics"]:
        lines.append(f"| `{setting.name}` | `{setting.default}` | {setting.help} |")
    return "\n".join(lines) + "\n"


DOC_BEGIN = "<!-- metric rules: generated by scripts/metric_rules_doc.py from dti/metrics/rules.py -->"
DOC_END = "<!-- end of metric rules -->"


def docs_section(leaves_by_metric: dict[str, list[str]]) -> str:
    """The generated block of docs/frameworks.md, markers included."""
    return "\n".join(
        [DOC_BEGIN, "", policy_markdown(), rules_markdown(leaves_by_metric).rstrip(), "", DOC_END]
    )
