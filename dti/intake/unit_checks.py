"""Which unit, period and framework each row of a self-assessment file belongs to, checked against the
unit registry (old codes of merged units resolve to the unit answering for them)."""

from __future__ import annotations

import datetime as dt

from dti.framework import load_all
from dti.intake import registry
from dti.intake.mappings import Mapping
from dti.intake.records import Record
from dti.intake.validate import UnitContext, resolve_period


def fill_unit_period(records: list[Record], mapping: Mapping, unit: str | None, period: str | None) -> None:
    for rec in records:
        for fld, given in (("unit_code", unit), ("period", period)):
            if not rec.fields.get(fld):
                fallback = given or mapping.defaults.get(fld)
                if fld == "unit_code" and not fallback and mapping.external_unit:
                    fallback = mapping.external_unit.code
                rec.fields[fld] = fallback
                if fallback:
                    rec.columns.setdefault(fld, f"--{fld.split('_')[0]}" if given else f"mapping:{fld}")


def native_contexts(session, records: list[Record]) -> dict[tuple, UnitContext]:
    frameworks = load_all()
    contexts: dict[tuple, UnitContext] = {}
    declared: dict[tuple, set[str]] = {}
    for rec in records:
        key = (rec.fields.get("unit_code"), rec.fields.get("period"))
        declared.setdefault(key, set())
        if rec.fields.get("framework_id"):
            declared[key].add(rec.fields["framework_id"])
    for key in sorted(declared, key=lambda k: (str(k[0]), str(k[1]))):
        unit_code, period_text = key
        ctx = UnitContext(unit_code=unit_code, period=period_text)
        contexts[key] = ctx
        if not unit_code:
            ctx.problems.append(("unit_code", None, "missing_unit",
                                 "thiếu mã đơn vị (ô B3 của phiếu hoặc cột 'Mã đơn vị')",
                                 "the unit code is missing (cell B3 of the form or a 'Mã đơn vị' column)"))
        period_obj, period_error = resolve_period(period_text)
        # the unit answering for the code at the end of the assessment year (mergers take effect mid-year)
        on = dt.date(period_obj.year, 12, 31) if period_obj else None
        info, unit_problem = registry.resolve_unit(session, unit_code, on) if unit_code else (None, None)
        if unit_problem:
            ctx.problems.append(("unit_code", unit_code, "ambiguous_unit", unit_problem.split(" / ")[0],
                                 unit_problem.split(" / ")[-1]))
        elif unit_code and info is None:
            ctx.problems.append(("unit_code", unit_code, "unknown_unit",
                                 "mã đơn vị không có trong danh mục đơn vị", "no such unit code in the unit registry"))
        if info is not None and info.code != unit_code:
            ctx.resolved_code = info.code
            contexts[(info.code, period_text)] = ctx
        if not period_text:
            ctx.problems.append(("period", None, "missing_period", "thiếu kỳ đánh giá (dạng NĂM-R<đợt>, ví dụ 2025-R3)",
                                 "the period is missing (YEAR-R<round>, e.g. 2025-R3)"))
        elif period_obj is None:
            ctx.problems.append(("period", period_text, "invalid_period", "kỳ đánh giá cần dạng NĂM-R<đợt>, ví dụ 2025-R3",
                                 "the period must look like YEAR-R<round>, e.g. 2025-R3"))
        if info is None:
            continue
        ctx.unit_type = info.unit_type
        fw = registry.framework_for(info, frameworks, period_obj.year if period_obj else None)
        if fw is None or not any(ut.type == info.unit_type for ut in fw.unit_types):
            ctx.problems.append(("unit_code", unit_code, "wrong_framework",
                                 f"không có bộ chỉ số nào áp dụng cho loại đơn vị '{info.unit_type}'",
                                 f"no framework applies to unit type '{info.unit_type}'"))
            continue
        for fw_id in sorted(declared[key]):
            if fw_id != fw.id:
                ctx.problems.append(("framework_id", fw_id, "wrong_framework",
                                     f"phiếu dùng bộ chỉ số '{fw_id}' nhưng đơn vị {unit_code} (loại "
                                     f"'{info.unit_type}') phải dùng bộ chỉ số '{fw.id}'",
                                     f"the form uses framework '{fw_id}' but unit {unit_code} (type "
                                     f"'{info.unit_type}') must use framework '{fw.id}'"))
        ctx.framework = fw
        if period_obj is not None and not any(r.round == period_obj.round for r in fw.rounds):
            rounds = ", ".join(str(r.round) for r in fw.rounds)
            ctx.problems.append(("period", period_text, "invalid_period",
                                 f"bộ chỉ số '{fw.id}' không có đợt {period_obj.round} (có các đợt: {rounds})",
                                 f"framework '{fw.id}' has no round {period_obj.round} (rounds: {rounds})"))
    return contexts


def check_sheet_units(session, records: list[Record], mapping: Mapping, submitted_at: dt.datetime) -> None:
    """Foreign sheets: the mapping's external unit is created on first use; any other must exist."""
    created: set[str] = set()
    for rec in records:
        code = rec.fields.get("unit_code")
        period_text = rec.fields.get("period")
        if not code:
            rec.problem("unit_code", None, "missing_unit", "thiếu mã đơn vị (dùng --unit)",
                        "the unit code is missing (use --unit)")
        elif mapping.external_unit and code == mapping.external_unit.code:
            if code not in created:
                year = resolve_period(period_text)[0]
                start = dt.date(year.year, 1, 1) if year else submitted_at.date()
                ext = mapping.external_unit
                registry.ensure_external_unit(session, code, ext.name_vi, ext.unit_type, ext.province_code,
                                              f"sheet:{mapping.id}", start)
                created.add(code)
        elif not registry.unit_exists(session, code):
            rec.problem("unit_code", code, "unknown_unit", "mã đơn vị không có trong danh mục đơn vị",
                        "no such unit code in the unit registry")
        if resolve_period(period_text)[0] is None:
            rec.problem("period", period_text, "invalid_period", "kỳ đánh giá cần dạng NĂM-R<đợt>, ví dụ 2025-R3",
                        "the period must look like YEAR-R<round>, e.g. 2025-R3")
