"""What `dti framework import` does: read an appendix workbook, write the framework YAML (a draft beside
it when something does not add up or cannot be placed), and say what it found."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from application.cli import CliError
from dti.framework.appendix import AppendixError, import_appendix, summary, to_yaml
from dti.framework.loader import FrameworkError, load_all
from dti.settings import get_settings
from dti.verification.store import published_versions
from dti.warehouse import Warehouse


def _date(text: str | None, option: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CliError(f"{option} '{text}': cần ngày dạng YYYY-MM-DD / expected a date YYYY-MM-DD") from None


def _types() -> set[str]:
    try:
        return {ut.type for fw in load_all().values() for ut in fw.unit_types}
    except FrameworkError:
        return set()


def run(args) -> int:
    if args.replaces and "@" not in args.replaces:
        raise CliError(f"--replaces '{args.replaces}': cần dạng ID@VERSION / expected ID@VERSION")
    with Warehouse().migrate().session() as s:
        if (args.framework_id, args.version) in published_versions(s):
            raise CliError(f"phiên bản {args.framework_id}@{args.version} đã dùng cho kỳ đã công bố, không được sửa; "
                           f"nhập thành phiên bản mới với --replaces {args.framework_id}@{args.version} "
                           f"/ version {args.framework_id}@{args.version} was used by a published period and cannot "
                           f"be edited; import a new version with --replaces")
    try:
        result = import_appendix(
            Path(args.file), framework_id=args.framework_id, version=args.version,
            valid_from=_date(args.valid_from, "--valid-from"), replaces=args.replaces, name_vi=args.name,
            issuer=args.issuer, decision=args.decision, decision_date=_date(args.decision_date, "--decision-date"),
            extra_types=_types(), sheets_wanted=args.sheet, unit_type_override=args.unit_type)
    except AppendixError as exc:
        raise CliError(str(exc)) from None
    target = Path(args.out) if args.out else get_settings().frameworks_dir / f"{args.framework_id}-{args.version}.yaml"
    if not result.ok and not args.out:
        target = target.with_name(target.name + ".draft")  # not *.yaml: the engine does not load it
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(to_yaml(result, Path(args.file).name), encoding="utf-8")
    out = summary(result)
    out["written"] = str(target)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, sort_keys=True, indent=2))
    else:
        _print(out)
    return 0 if result.ok else 2


def _print(out: dict) -> None:
    print(f"{out['id']} · phiên bản / version {out['version']}"
          + (f" · thay thế / replaces {out['replaces']}" if out["replaces"] else ""))
    for ut in out["unit_types"]:
        known = "" if ut["known"] else " (loại đơn vị mới / new unit type)"
        print(f"  trang / sheet '{ut['sheet']}': {ut['type']}{known}, thang điểm / scale {ut['scale']}, "
              f"tổng / total {ut['total']}")
    print(f"  {len(out['pillars'])} trụ cột / pillars, {len(out['main_indices'])} chỉ số chính / main indices, "
          f"{len(out['leaves'])} chỉ số lá / leaves, "
          f"{sum(1 for leaf in out['leaves'] if leaf['proposed_binding'])} đề xuất gắn số liệu (chưa xác nhận) "
          f"/ proposed metric bindings (not confirmed)")
    for u in out["unplaced"]:
        print(f"  KHÔNG XẾP ĐƯỢC / UNPLACED: trang / sheet '{u['sheet']}' dòng / row {u['row']} "
              f"({u['stt'] or ''} {u['name'] or ''}): {u['reason']}")
    for t in out["totals"]:
        where = f"dòng / row {t['row']} ({t['code']})" if t["row"] else "cả trang / whole sheet"
        print(f"  ĐIỂM KHÔNG KHỚP / POINTS DO NOT ADD UP: trang / sheet '{t['sheet']}' {where}: {t['problem']}")
    for line in out["validation"]:
        print(f"  CHƯA HỢP LỆ / NOT VALID: {line}")
    state = "hợp lệ / valid" if out["ok"] else "bản nháp, cần sửa / draft, needs fixing"
    print(f"Đã ghi / written: {out['written']} ({state})")
