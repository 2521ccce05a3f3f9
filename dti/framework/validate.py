"""Consistency rules a framework must satisfy beyond its field types.

Each rule yields (path inside the file, offending value, what was expected) — Vietnamese first.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from decimal import Decimal

from dti.framework.metric_catalogue import METRICS
from dti.framework.model import Component, Framework, Leaf
from dti.tabular.spec import sources_dir, tabular_metrics
from dti.text import code_key

ZERO = Decimal("0")
Problem = tuple[str, object, str]

_REQUIRED = {
    "target": ("target",),
    "pass_mark": ("threshold",),
    "steps": ("steps",),
    "tiers": ("tiers",),
    "deduction": ("penalty",),
    "capped_sum": ("per_item", "cap"),
}
_PARAMS = ("target", "threshold", "steps", "tiers", "penalty", "per_item", "cap")
# A method kind implies what is measured; a mismatch is almost always a copy-paste slip.
_MEASURE_OF_KIND = {"tiers": {"tier"}, "binary": {"bool"}, "deduction": {"count"}, "capped_sum": {"count"},
                    "steps": {"count", "rate"}, "ratio": {"rate"}, "target": {"rate", "count"},
                    "pass_mark": {"rate"}, "relative_to_best": {"rate", "count"}}

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_PILLAR = re.compile(r"^[A-Z][A-Z0-9]{0,7}$")
_MAIN = re.compile(r"^(?:[A-Z]{1,3}|[1-9]\d?)$")
_MMDD = re.compile(r"^(\+1:)?(\d{2})-(\d{2})$")


def _leaf_paths(fw: Framework):
    for pi, pillar in enumerate(fw.pillars):
        for mi, main in enumerate(pillar.main_indices):
            for ci, comp in enumerate(main.components):
                base = f"pillars[{pi}].main_indices[{mi}].components[{ci}]"
                if comp.criteria:
                    for ki, crit in enumerate(comp.criteria):
                        yield f"{base}.criteria[{ki}]", crit, comp
                else:
                    yield base, comp, None


def _component_code_ok(main_code: str, code: str) -> bool:
    if main_code.isdigit():
        return re.fullmatch(re.escape(main_code) + r"\.[1-9]\d?", code) is not None
    return re.fullmatch(re.escape(main_code) + r"[1-9]\d?", code) is not None


def check_consistency(fw: Framework, data: dict | None = None) -> list[Problem]:
    problems: list[Problem] = []
    types = [ut.type for ut in fw.unit_types]

    if not _ID.match(fw.id):
        problems.append(("id", fw.id, "mã bộ chỉ số chỉ gồm chữ thường, số, '.', '-', '_' (ví dụ default-dept-2025) "
                                      "/ framework id must be lower-case letters, digits, '.', '-', '_'"))
    if fw.valid_to is not None and fw.valid_to < fw.valid_from:
        problems.append(("valid_to", fw.valid_to.isoformat(),
                         f"phải từ {fw.valid_from.isoformat()} trở đi / must not be before valid_from"))
    seen_types: set[str] = set()
    for ui, ut in enumerate(fw.unit_types):
        if ut.type in seen_types:
            problems.append((f"unit_types[{ui}].type", ut.type, "loại đơn vị bị trùng / duplicate unit type"))
        seen_types.add(ut.type)
        if ut.scale <= 0:
            problems.append((f"unit_types[{ui}].scale", ut.scale, "thang điểm phải > 0 / scale must be > 0"))

    problems.extend(_check_rounds(fw, set(types)))
    problems.extend(_check_grades(fw))
    problems.extend(_check_codes(fw))

    for path, leaf, _parent in _leaf_paths(fw):
        problems.extend(_check_leaf(leaf, path, types))

    full = sum((lf.max_points for _p, lf, _c in _leaf_paths(fw)), ZERO)
    for ui, ut in enumerate(fw.unit_types):
        applicable = sum((lf.max_points for _p, lf, _c in _leaf_paths(fw) if fw.applies(lf, ut.type)), ZERO)
        if fw.policy.not_applicable == "renormalise":
            # Scores of a unit with fewer applicable leaves are scaled up to the scale, so the
            # scale is the full tree's total.
            if full != ut.scale:
                problems.append((f"unit_types[{ui}].scale", ut.scale,
                                 f"chính sách renormalise: thang điểm phải bằng tổng điểm tối đa toàn bộ chỉ số "
                                 f"({full}) / with renormalise the scale must equal the total of all leaves ({full})"))
            if applicable == 0:
                problems.append((f"unit_types[{ui}].type", ut.type,
                                 "không có chỉ số nào áp dụng / no leaf applies to this unit type"))
        elif applicable != ut.scale:
            problems.append((f"unit_types[{ui}].scale", ut.scale,
                             f"tổng điểm tối đa các chỉ số áp dụng cho '{ut.type}' là {applicable}, không khớp "
                             f"thang điểm {ut.scale} / leaf maxima applicable to '{ut.type}' add up to {applicable}, "
                             f"not the declared scale {ut.scale}"))
    return problems


def _check_rounds(fw: Framework, types: set[str]) -> list[Problem]:
    out: list[Problem] = []
    seen: set[int] = set()
    for ri, rnd in enumerate(fw.rounds):
        if rnd.round in seen:
            out.append((f"rounds[{ri}].round", rnd.round, "số đợt bị trùng / duplicate round number"))
        seen.add(rnd.round)
        for field in ("data_from", "data_to"):
            value = getattr(rnd, field)
            if not _mmdd_ok(value, allow_next_year=False):
                out.append((f"rounds[{ri}].{field}", value,
                            "cần ngày dạng MM-DD trong năm đánh giá, ví dụ 05-31 / expected MM-DD such as 05-31"))
        for unit_type, value in sorted(rnd.deadlines.items()):
            if unit_type != "*" and unit_type not in types:
                out.append((f"rounds[{ri}].deadlines.{unit_type}", unit_type,
                            f"loại đơn vị không có trong unit_types ({', '.join(sorted(types))}) "
                            f"/ unknown unit type, expected one of unit_types or '*'"))
            if not _mmdd_ok(value, allow_next_year=True):
                out.append((f"rounds[{ri}].deadlines.{unit_type}", value,
                            "cần hạn dạng MM-DD hoặc +1:MM-DD (năm sau), ví dụ +1:03-15 "
                            "/ expected MM-DD or +1:MM-DD (next year)"))
    return out


def _check_grades(fw: Framework) -> list[Problem]:
    out: list[Problem] = []
    codes: set[str] = set()
    thresholds: dict[Decimal, int] = {}
    for gi, grade in enumerate(fw.grades):
        if grade.code in codes:
            out.append((f"grades[{gi}].code", grade.code, "mã xếp loại bị trùng / duplicate grade code"))
        codes.add(grade.code)
        if grade.at_least in thresholds:
            out.append((f"grades[{gi}].at_least", grade.at_least,
                        f"ngưỡng trùng với grades[{thresholds[grade.at_least]}] / same threshold as "
                        f"grades[{thresholds[grade.at_least]}]"))
        thresholds.setdefault(grade.at_least, gi)
    return out


def _mmdd_ok(value: str, allow_next_year: bool) -> bool:
    m = _MMDD.match(value or "")
    if not m or (m.group(1) and not allow_next_year):
        return False
    try:
        dt.date(2024, int(m.group(2)), int(m.group(3)))  # a leap year, so 02-29 is accepted
    except ValueError:
        return False
    return True


def _check_codes(fw: Framework) -> list[Problem]:
    out: list[Problem] = []
    seen: dict[str, str] = {}

    def code_seen(code: str, path: str) -> None:
        key = code.casefold()
        if key in seen:
            out.append((f"{path}.code", code, f"mã bị trùng với {seen[key]} / duplicate code, first used at {seen[key]}"))
        else:
            seen[key] = path

    for pi, pillar in enumerate(fw.pillars):
        ppath = f"pillars[{pi}]"
        code_seen(pillar.code, ppath)
        if not _PILLAR.match(pillar.code):
            out.append((f"{ppath}.code", pillar.code,
                        "mã trụ cột là chữ in hoa và số, tối đa 8 ký tự (ví dụ CQS) "
                        "/ pillar code must be upper-case letters and digits, at most 8 (e.g. CQS)"))
        for mi, main in enumerate(pillar.main_indices):
            mpath = f"{ppath}.main_indices[{mi}]"
            code_seen(main.code, mpath)
            main_ok = bool(_MAIN.match(main.code))
            if not main_ok:
                out.append((f"{mpath}.code", main.code,
                            "mã chỉ số chính là 1–3 chữ in hoa hoặc số 1–99 (ví dụ F, 4) "
                            "/ main index code must be 1–3 upper-case letters or a number 1–99 (e.g. F, 4)"))
            for ci, comp in enumerate(main.components):
                cpath = f"{mpath}.components[{ci}]"
                code_seen(comp.code, cpath)
                if main_ok and not _component_code_ok(main.code, comp.code):
                    example = f"{main.code}.1" if main.code.isdigit() else f"{main.code}1"
                    out.append((f"{cpath}.code", comp.code,
                                f"mã chỉ số thành phần phải có dạng {example} (mã chỉ số chính '{main.code}' + số thứ tự) "
                                f"/ component code must look like {example} (main index code + number)"))
                if comp.criteria:
                    out.extend(_check_parent(comp, cpath))
                for ki, crit in enumerate(comp.criteria):
                    kpath = f"{cpath}.criteria[{ki}]"
                    code_seen(crit.code, kpath)
                    if not re.fullmatch(re.escape(comp.code) + r"\.[1-9]\d?", crit.code):
                        out.append((f"{kpath}.code", crit.code,
                                    f"mã tiêu chí phải có dạng {comp.code}.1 (mã chỉ số thành phần + '.' + số) "
                                    f"/ criterion code must look like {comp.code}.1 (component code + '.' + number)"))
    return out


def _check_parent(comp: Component, path: str) -> list[Problem]:
    out: list[Problem] = []
    total = sum((k.max_points for k in comp.criteria), ZERO)
    if total != comp.max_points:
        out.append((f"{path}.max_points", comp.max_points,
                    f"phải bằng tổng điểm các tiêu chí ({total}) / must equal the criteria total ({total})"))
    if comp.method is not None:
        out.append((f"{path}.method", comp.method.kind,
                    "chỉ số có tiêu chí không tự chấm điểm; đặt cách tính ở từng tiêu chí "
                    "/ a component with criteria is scored through its criteria, not itself"))
    return out


def _check_leaf(leaf: Leaf, path: str, types: list[str]) -> list[Problem]:
    out: list[Problem] = []
    if not leaf.name_en:
        out.append((f"{path}.name_en", None, "cần tên tiếng Anh / English name required"))
    if leaf.method is None:
        out.append((f"{path}.method", None, "chỉ số lá cần cách tính điểm / a scoring leaf needs a method"))
    else:
        out.extend(_check_method(leaf, path))
    if leaf.measure is None:
        out.append((f"{path}.measure", None,
                    "cần loại đo: rate, count, bool hoặc tier / measure required: rate, count, bool or tier"))
    elif leaf.method is not None and leaf.measure not in _MEASURE_OF_KIND[leaf.method.kind]:
        allowed = ", ".join(sorted(_MEASURE_OF_KIND[leaf.method.kind]))
        out.append((f"{path}.measure", leaf.measure,
                    f"phương pháp '{leaf.method.kind}' cần loại đo {allowed} "
                    f"/ method '{leaf.method.kind}' expects measure {allowed}"))
    if leaf.source is None:
        out.append((f"{path}.source", None,
                    "cần nguồn xác minh: DVC, DOC, SEC, EVD hoặc TAB / source required: DVC, DOC, SEC, EVD or TAB"))
    elif leaf.source != "EVD" and not leaf.metric:
        out.append((f"{path}.metric", None,
                    f"nguồn {leaf.source} cần chỉ rõ số liệu khách quan (metric) "
                    f"/ a {leaf.source} leaf needs an objective metric id"))
    elif leaf.source == "EVD" and leaf.metric:
        out.append((f"{path}.metric", leaf.metric,
                    "nguồn EVD (chỉ có tài liệu kiểm chứng) không gắn số liệu khách quan; đổi nguồn hoặc bỏ metric "
                    "/ an EVD (evidence-only) leaf has no objective metric; change the source or drop the metric"))
    metric = None  # the leaf's metric once found (and from the leaf's own source): its measure is checked
    if leaf.metric and leaf.source == "TAB":
        catalogue = tabular_metrics()
        metric = catalogue.get(leaf.metric)
        if metric is None:
            out.append((f"{path}.metric", leaf.metric,
                        f"số liệu không có trong các nguồn dạng bảng ({sources_dir()}) / unknown tabular metric; "
                        f"declared: {', '.join(sorted(catalogue)) or '—'}"))
    elif leaf.metric and leaf.source != "EVD":
        metric = METRICS.get(leaf.metric)
        if metric is None:
            close = difflib.get_close_matches(leaf.metric, sorted(METRICS), n=1)
            same_source = sorted(m for m in METRICS if METRICS[m].source == leaf.source)
            hint = (f"có phải / did you mean '{close[0]}'?" if close
                    else f"số liệu nguồn {leaf.source} / {leaf.source} metrics: {', '.join(same_source)}")
            out.append((f"{path}.metric", leaf.metric,
                        f"số liệu không có trong danh mục (dti/framework/metric_catalogue.py) / unknown metric id; {hint}"))
        elif metric.source != leaf.source:
            out.append((f"{path}.source", leaf.source,
                        f"số liệu '{leaf.metric}' do hệ thống {metric.source} cung cấp, không phải {leaf.source} "
                        f"/ metric '{leaf.metric}' comes from {metric.source}, not {leaf.source}"))
            metric = None
    if metric is not None and leaf.measure in ("rate", "count") and metric.measure != leaf.measure:
        out.append((f"{path}.measure", leaf.measure,
                    f"số liệu '{leaf.metric}' là loại {metric.measure} / metric '{leaf.metric}' is a {metric.measure}"))
    for ti, unit_type in enumerate(leaf.applies_to or []):
        if unit_type not in types:
            out.append((f"{path}.applies_to[{ti}]", unit_type,
                        f"loại đơn vị không có trong unit_types ({', '.join(sorted(types))}) "
                        f"/ unknown unit type, expected one of unit_types"))
    if leaf.applies_to is not None and not leaf.applies_to:
        out.append((f"{path}.applies_to", [], "danh sách rỗng: bỏ trường này nếu áp dụng cho mọi loại đơn vị "
                                              "/ empty list: omit the field to apply to every unit type"))
    return out


def _check_method(leaf: Leaf, path: str) -> list[Problem]:
    m = leaf.method
    out: list[Problem] = []
    mpath = f"{path}.method"
    needed = _REQUIRED.get(m.kind, ())
    for param in needed:
        if getattr(m, param) in (None, []):
            out.append((f"{mpath}.{param}", None,
                        f"phương pháp '{m.kind}' cần tham số '{param}' / method '{m.kind}' needs '{param}'"))
    for param in _PARAMS:
        if param not in needed and getattr(m, param) is not None:
            out.append((f"{mpath}.{param}", _plain(getattr(m, param)),
                        f"tham số '{param}' không dùng cho phương pháp '{m.kind}' "
                        f"/ '{param}' is not a parameter of method '{m.kind}'"))
    if m.kind == "target" and m.target is not None and m.target <= 0:
        out.append((f"{mpath}.target", m.target, "mục tiêu phải > 0 / target must be > 0"))
    if m.kind == "pass_mark" and m.threshold is not None and not (ZERO < m.threshold <= 1):
        out.append((f"{mpath}.threshold", m.threshold,
                    "ngưỡng đạt là tỷ lệ trong (0, 1], ví dụ 0.8 / threshold must be a fraction in (0, 1], e.g. 0.8"))
    if m.kind == "deduction" and m.penalty is not None and m.penalty <= 0:
        out.append((f"{mpath}.penalty", m.penalty, "điểm trừ mỗi lần phải > 0 / penalty must be > 0"))
    if m.kind == "capped_sum":
        if m.per_item is not None and m.per_item <= 0:
            out.append((f"{mpath}.per_item", m.per_item, "điểm mỗi mục phải > 0 / per_item must be > 0"))
        if m.cap is not None and not (ZERO < m.cap <= leaf.max_points):
            out.append((f"{mpath}.cap", m.cap,
                        f"mức trần phải > 0 và ≤ điểm tối đa {leaf.max_points} / cap must be in (0, {leaf.max_points}]"))
    if m.kind == "steps" and m.steps:
        ordered = sorted(enumerate(m.steps), key=lambda s: s[1].at_least)
        prev = None
        for si, step in ordered:
            if not (ZERO <= step.points <= leaf.max_points):
                out.append((f"{mpath}.steps[{si}].points", step.points,
                            f"điểm của bậc phải trong [0, {leaf.max_points}] / step points must be within [0, max]"))
            if prev is not None and step.at_least == prev.at_least:
                out.append((f"{mpath}.steps[{si}].at_least", step.at_least,
                            "ngưỡng bậc bị trùng / duplicate step threshold"))
            elif prev is not None and step.points < prev.points:
                out.append((f"{mpath}.steps[{si}].points", step.points,
                            f"bậc cao hơn không được ít điểm hơn bậc thấp ({prev.points}) "
                            f"/ a higher step must not give fewer points than a lower one ({prev.points})"))
            prev = step
    if m.kind == "tiers" and m.tiers:
        levels: dict[int, int] = {}
        for ti, tier in enumerate(m.tiers):
            if tier.level in levels:
                out.append((f"{mpath}.tiers[{ti}].level", tier.level,
                            f"mức bị trùng với tiers[{levels[tier.level]}] / duplicate tier level"))
            else:
                levels[tier.level] = ti
    return out


def _plain(value):
    if isinstance(value, list):
        return [v.model_dump(mode="json") if hasattr(v, "model_dump") else str(v) for v in value]
    return str(value)


def sorted_problems(problems: list[Problem]) -> list[Problem]:
    """File order: paths compared naturally so pillars[0]…components[2] precedes …components[10]."""
    return sorted(problems, key=lambda p: code_key(p[0]))


__all__ = ["Component", "check_consistency", "sorted_problems"]
