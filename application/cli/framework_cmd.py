"""`dti framework …`: list, show, validate and diff index sets (frameworks)."""

from __future__ import annotations

import json
from pathlib import Path

from application.cli import Action, CliError
from dti.framework.describe import diff_frameworks, framework_summary, framework_tree
from dti.framework.loader import FrameworkError, load_all, load_file
from dti.framework.model import Framework

NAME_WIDTH = 58


def register(sub) -> None:
    fw = sub.add_parser("framework", help="bộ chỉ số / index sets (frameworks)")
    fsub = fw.add_subparsers(dest="framework_command", metavar="ACTION")

    p = fsub.add_parser("list", help="liệt kê bộ chỉ số / list shipped frameworks")
    p.add_argument("--json", action="store_true", help="xuất JSON / JSON output")
    p.set_defaults(func=cmd_list)

    p = fsub.add_parser("show", help="cây chỉ số và tổng điểm / tree with totals")
    p.add_argument("framework", metavar="ID[@VERSION]|PATH")
    p.add_argument("--json", action="store_true", help="xuất JSON / JSON output")
    p.set_defaults(func=cmd_show)

    p = fsub.add_parser("validate", help="kiểm tra tệp bộ chỉ số / validate framework files")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.set_defaults(func=cmd_validate)

    p = fsub.add_parser("diff", help="so sánh hai phiên bản / what changed between two frameworks")
    p.add_argument("a", metavar="A", help="ID@VERSION, ID hoặc tệp / or a file")
    p.add_argument("b", metavar="B", help="ID@VERSION, ID hoặc tệp / or a file")
    p.add_argument("--json", action="store_true", help="xuất JSON / JSON output")
    p.set_defaults(func=cmd_diff)

    p = fsub.add_parser("import", help="đọc phụ lục bộ chỉ số (.xlsx) thành tệp YAML / read an appendix workbook")
    p.add_argument("file", metavar="FILE", help="phụ lục .xlsx: STT | Chỉ số / Tiêu chí | Điểm tối đa | …")
    p.add_argument("--id", required=True, dest="framework_id", help="mã bộ chỉ số / framework id, e.g. lao-cai-2023")
    p.add_argument("--version", required=True, help="phiên bản / version, e.g. 2.0")
    p.add_argument("--valid-from", metavar="YYYY-MM-DD", help="hiệu lực từ / valid from (default: decision date)")
    p.add_argument("--replaces", metavar="ID@VERSION", help="phiên bản bị thay thế / the version it supersedes")
    p.add_argument("--name", help="tên bộ chỉ số / name (default: the title block's first line)")
    p.add_argument("--decision", help="số quyết định / decision number (default: read from the title block)")
    p.add_argument("--decision-date", metavar="YYYY-MM-DD", help="ngày quyết định / decision date")
    p.add_argument("--issuer", help="cơ quan ban hành / issuer (default: UBND tỉnh)")
    p.add_argument("--sheet", action="append", help="chỉ đọc trang này (lặp lại được) / only this sheet (repeatable)")
    p.add_argument("--unit-type", help="loại đơn vị khi tệp chỉ có một bảng (.csv) / the unit type of a one-table file")
    p.add_argument("--out", metavar="PATH", help="tệp YAML ghi ra / YAML file to write "
                                                 "(default: DTI_FRAMEWORKS_DIR/ID-VERSION.yaml)")
    p.add_argument("--json", action="store_true", help="xuất JSON / JSON output")
    p.set_defaults(func=Action("application.cli.framework_import:run"))

    fw.set_defaults(func=lambda args: fw.print_help() or 2)


def _cli_error(message: str):
    return CliError(message)


def _dump(data) -> None:
    print(json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2))


def resolve_framework(ref: str) -> Framework:
    """A framework by id (its newest version), by ID@VERSION (from the frameworks folder) or by path to a
    YAML file."""
    path = Path(ref)
    try:
        if path.suffix.lower() in (".yaml", ".yml") or path.exists():
            return load_file(path)
        frameworks = load_all()
    except FrameworkError as exc:
        raise _cli_error(str(exc)) from None
    if ref not in frameworks:
        known = ", ".join(fw_id if len(frameworks.versions[fw_id]) == 1 else
                          ", ".join(f"{f.id}@{f.version}" for f in frameworks.versions[fw_id])
                          for fw_id in sorted(frameworks.versions)) or "(không có / none)"
        raise _cli_error(f"không có bộ chỉ số '{ref}' / unknown framework '{ref}'; có / known: {known}")
    return frameworks[ref]


def cmd_list(args) -> int:
    try:
        frameworks = load_all()
    except FrameworkError as exc:
        raise _cli_error(str(exc)) from None
    rows = [framework_summary(fw) for fw in frameworks.all_versions()]
    if args.json:
        _dump(rows)
        return 0
    if not rows:
        print("Không có bộ chỉ số nào / no frameworks found")
        return 0
    for row in rows:
        scales = ", ".join(f"{t} {s}" for t, s in row["unit_types"].items())
        valid = f"{row['valid_from']} → {row['valid_to'] or '…'}"
        replaces = f"  thay thế / replaces {row['replaces']}" if row["replaces"] else ""
        print(f"{row['id']}  v{row['version']}  {valid}  [{scales}]  {row['leaves']} chỉ số lá / leaves  "
              f"{row['legal_basis']}{replaces}")
        print(f"    {row['name_vi']}")
    return 0


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def cmd_show(args) -> int:
    fw = resolve_framework(args.framework)
    tree = framework_tree(fw)
    if args.json:
        _dump(tree)
        return 0
    types = [ut["type"] for ut in tree["unit_types"]]
    widths = [max(len(t), 6) for t in types]
    lb = tree["legal_basis"]
    print(f"{tree['id']} · phiên bản / version {tree['version']}")
    print(tree["name_vi"])
    if tree["name_en"]:
        print(tree["name_en"])
    print(f"Căn cứ / legal basis: {lb['number']} ngày / of {lb['date']} — {lb['issuer']}")
    print(f"Hiệu lực / valid: {tree['valid_from']} → {tree['valid_to'] or '(không thời hạn / open)'}")
    if fw.replaces:
        print(f"Thay thế / replaces: {fw.replaces}")
    print(f"Chỉ số không áp dụng / not applicable: {tree['policy']['not_applicable']}")
    for r in tree["rounds"]:
        deadlines = ", ".join(f"{k} {v}" for k, v in sorted(r["deadlines"].items()))
        print(f"Đợt / round {r['round']}: số liệu / data {r['data_from']} → {r['data_to']}; hạn / deadline {deadlines}")
    print()
    header = f"{'Mã / code':<14}{'Tên / name':<{NAME_WIDTH}}" + "".join(
        f"{t:>{w + 2}}" for t, w in zip(types, widths, strict=True))
    print(header)

    def line(node, depth):
        code = "  " * depth + node["code"]
        cells = "".join(f"{(node['max'][t] if node['max'][t] != '0' or node['level'] == 'pillar' else '—'):>{w + 2}}"
                        for t, w in zip(types, widths, strict=True))
        extra = ""
        if "method" in node:
            extra = f"  {node['method']['kind']} · {node['source']}" + (f" · {node['metric']}" if node["metric"] else "")
        print(f"{code:<14}{_cut(node['name_vi'], NAME_WIDTH - 2):<{NAME_WIDTH}}{cells}{extra}")
        for child in node.get("children", []):
            line(child, depth + 1)

    for pillar in tree["tree"]:
        line(pillar, 0)
    totals = "".join(f"{ut['applicable_max']:>{w + 2}}" for ut, w in zip(tree["unit_types"], widths, strict=True))
    print(f"{'Tổng / total':<{14 + NAME_WIDTH}}{totals}")
    scales = "".join(f"{ut['scale']:>{w + 2}}" for ut, w in zip(tree["unit_types"], widths, strict=True))
    print(f"{'Thang điểm / scale':<{14 + NAME_WIDTH}}{scales}")
    return 0


def cmd_validate(args) -> int:
    failures = []
    for ref in args.paths:
        try:
            fw = load_file(ref)
        except FrameworkError as exc:
            failures.append(str(exc))
            continue
        scales = ", ".join(f"{ut.type} {ut.scale}" for ut in fw.unit_types)
        print(f"hợp lệ / valid: {ref} ({fw.id} v{fw.version}; {len(fw.leaves())} chỉ số lá / leaves; {scales})")
    if failures:
        raise _cli_error("\n".join(failures))
    return 0


def _show(value) -> str:
    if value is None:
        return "(không có / none)"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def cmd_diff(args) -> int:
    a, b = resolve_framework(args.a), resolve_framework(args.b)
    d = diff_frameworks(a, b)
    if args.json:
        _dump(d)
        return 0
    print(f"So sánh / diff: {d['a']['id']} v{d['a']['version']} → {d['b']['id']} v{d['b']['version']}")
    if d["identical"]:
        print("Không có khác biệt / no differences")
        return 0
    if d["metadata"]:
        print("Thông tin chung / metadata:")
        for m in d["metadata"]:
            print(f"  {m['field']}: {_show(m['a'])} → {_show(m['b'])}")
    if d["added"]:
        print(f"Thêm / added ({len(d['added'])}):")
        for leaf in d["added"]:
            print(f"  + {leaf['code']}  {leaf['name_vi']} ({leaf['max_points']} điểm / points)")
    if d["removed"]:
        print(f"Bỏ / removed ({len(d['removed'])}):")
        for leaf in d["removed"]:
            print(f"  - {leaf['code']}  {leaf['name_vi']} ({leaf['max_points']} điểm / points)")
    if d["changed"]:
        print(f"Thay đổi / changed ({len(d['changed'])}):")
        for leaf in d["changed"]:
            print(f"  ~ {leaf['code']}  {leaf['name_vi']}")
            for ch in leaf["changes"]:
                print(f"      {ch['field']}: {_show(ch['a'])} → {_show(ch['b'])}")
    print("Tổng điểm / totals (tối đa áp dụng; thang điểm / applicable max; scale):")
    for t in d["totals"]:
        print(f"  {t['unit_type']}: {t['max_a'] or '—'} → {t['max_b'] or '—'}; "
              f"{t['scale_a'] or '—'} → {t['scale_b'] or '—'}")
    return 0
