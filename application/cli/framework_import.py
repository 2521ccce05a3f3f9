"""What `dti framework import` does: read an appendix workbook, write the framework YAML (a draft beside
it when something does not add up or cannot be placed), and say what it found."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from application.cli import CliError
from dti.framework.appendix import AppendixError
from dti.framework.appendix_build import import_appendix, summary, to_yaml
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


def import_framework(file: Path, *, framework_id: str, version: str, valid_from: dt.date | None = None,
                     replaces: str | None = None, name: str | None = None, issuer: str | None = None,
                     decision: str | None = None, decision_date: dt.date | None = None,
                     sheets: list[str] | None = None, unit_type: str | None = None, out: Path | None = None,
                     extra: dict | None = None) -> dict:
    """Read one appendix and write its YAML (a .draft beside the frameworks when not valid): the --json
    summary with `written`. `extra` adds top-level keys (e.g. grades) before validation."""
    if replaces and "@" not in replaces:
        raise CliError(f"--replaces '{replaces}': cần dạng ID@VERSION / expected ID@VERSION")
    with Warehouse().migrate().session() as s:
        if (framework_id, version) in published_versions(s):
            raise CliError(f"phiên bản {framework_id}@{version} đã dùng cho kỳ đã công bố, không được sửa; "
                           f"nhập thành phiên bản mới với --replaces {framework_id}@{version} "
                           f"/ version {framework_id}@{version} was used by a published period and cannot "
                           f"be edited; import a new version with --replaces")
    try:
        result = import_appendix(
            Path(file), framework_id=framework_id, version=version, valid_from=valid_from, replaces=replaces,
            name_vi=name, issuer=issuer, decision=decision, decision_date=decision_date, extra_types=_types(),
            sheets_wanted=sheets, unit_type_override=unit_type, extra=extra)
    except AppendixError as exc:
        raise CliError(str(exc)) from None
    target = Path(out) if out else get_settings().frameworks_dir / f"{framework_id}-{version}.yaml"
    if not result.ok and not out:
        target = target.with_name(target.name + ".draft")  # not *.yaml: the engine does not load it
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(to_yaml(result, Path(file).name), encoding="utf-8")
    summary_ = summary(result)
    summary_["written"] = str(target)
    return summary_


def run(args) -> int:
    out = import_framework(
        Path(args.file), framework_id=args.framework_id, version=args.version,
        valid_from=_date(args.valid_from, "--valid-from"), replaces=args.replaces, name=args.name,
        issuer=args.issuer, decision=args.decision, decision_date=_date(args.decision_date, "--decision-date"),
        sheets=args.sheet, unit_type=args.unit_type, out=Path(args.out) if args.out else None)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, sort_keys=True, indent=2))
    else:
        print_summary(out)
    return 0 if out["ok"] else 2


def print_summary(out: dict) -> None:
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
