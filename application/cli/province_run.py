"""What `dti province init DIR` does: read DIR/province.yaml, import the units file(s), turn each index-set
appendix into a framework (with its grading bands), copy the intake column mappings, and say what loaded."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import yaml

from application.cli import CliError
from application.cli.framework_import import import_framework
from application.cli.units_run import load_units_file
from dti.intake.mappings import MappingError, load_mapping_file
from dti.settings import get_settings
from dti.tabular import TabularError
from dti.tabular.spec import parse_source

EXAMPLE = """units: don-vi.xlsx
frameworks:
  - file: phu-luc-bo-chi-so.xlsx
    id: thu-nghiem-2025
    version: "1.0"
    valid_from: 2025-07-01"""
FRAMEWORK_KEYS = {"file", "id", "version", "valid_from", "replaces", "name", "issuer", "decision", "decision_date",
                  "sheets", "unit_type", "grades"}


def _problem(where: str, expected: str) -> CliError:
    return CliError(f"province.yaml, {where}: {expected}")


def _read(folder: Path) -> dict:
    path = folder / "province.yaml"
    if not path.is_file():
        raise CliError(f"không thấy {path} / no {path}; ví dụ / for example:\n{EXAMPLE}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise CliError(f"{path}: YAML sai cú pháp / YAML syntax error: {exc}") from None
    if not isinstance(data, dict) or not data.get("units"):
        raise _problem("units", "cần tệp danh mục đơn vị (units: don-vi.xlsx) / a units file is required")
    unknown = sorted(set(data) - {"name_vi", "units", "frameworks", "mappings", "tabular"})
    if unknown:
        raise _problem(", ".join(unknown), "khoá không dùng / unknown key; có / known: name_vi, units, frameworks, "
                                           "mappings, tabular")
    return data


def _date(value, where: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _problem(where, f"'{value}': cần ngày YYYY-MM-DD / expected a date YYYY-MM-DD") from None


def _tabular(path: Path, target: Path) -> dict:
    """A tabular source's YAML checked and copied into <DTI_MAPPINGS_DIR>/tabular, its file or folder named by an
    absolute path so the copy still finds the export next to province.yaml."""
    try:
        src = parse_source(path)
    except TabularError as exc:
        raise CliError(str(exc)) from None
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if src.path is not None:
        data["file"] = str(src.path)
    target.mkdir(parents=True, exist_ok=True)
    written = target / path.name
    written.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return {"file": path.name, "id": src.id, "metrics": [m.id for m in src.metrics], "written": str(written)}


def init(args) -> int:
    folder = Path(args.folder)
    data = _read(folder)
    report: dict = {"province": data.get("name_vi"), "units": [], "frameworks": [], "mappings": [],
                    "tabular": []}
    ok = True
    units = data["units"] if isinstance(data["units"], list) else [data["units"]]
    for name in units:
        out = load_units_file(folder / name)
        ok &= not out["rejected"]
        report["units"].append({"file": name, "counts": out["counts"], "stored": out["stored"],
                                "rejected": out["rejected"], "splits": out["splits"]})
    for i, spec in enumerate(data.get("frameworks") or []):
        where = f"frameworks[{i}]"
        if not isinstance(spec, dict) or not {"file", "id", "version"} <= set(spec):
            raise _problem(where, "cần file, id, version / needs file, id and version")
        if set(spec) - FRAMEWORK_KEYS:
            raise _problem(where, f"khoá không dùng / unknown key(s): {', '.join(sorted(set(spec) - FRAMEWORK_KEYS))}")
        out = import_framework(
            folder / spec["file"], framework_id=str(spec["id"]), version=str(spec["version"]),
            valid_from=_date(spec.get("valid_from"), f"{where}.valid_from"), replaces=spec.get("replaces"),
            name=spec.get("name"), issuer=spec.get("issuer"), decision=spec.get("decision"),
            decision_date=_date(spec.get("decision_date"), f"{where}.decision_date"), sheets=spec.get("sheets"),
            unit_type=spec.get("unit_type"), extra={"grades": spec["grades"]} if spec.get("grades") else None)
        ok &= out["ok"]
        report["frameworks"].append({"file": spec["file"], "id": out["id"], "version": out["version"],
                                     "unit_types": out["unit_types"], "leaves": len(out["leaves"]),
                                     "unplaced": out["unplaced"], "totals": out["totals"],
                                     "validation": out["validation"], "written": out["written"], "ok": out["ok"]})
    target_dir = get_settings().mappings_dir
    for name in data.get("mappings") or []:
        try:
            mapping = load_mapping_file(folder / name)
        except MappingError as exc:
            raise CliError(str(exc)) from None
        target_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / name, target_dir / Path(name).name)
        report["mappings"].append({"file": name, "id": mapping.id, "written": str(target_dir / Path(name).name)})
    for name in data.get("tabular") or []:
        report["tabular"].append(_tabular(folder / name, target_dir / "tabular"))
    report["ok"] = ok
    if args.json:
        print(json.dumps(report, ensure_ascii=False, sort_keys=True, indent=2))
    else:
        _print(report)
    return 0 if ok else 2


def _print(report: dict) -> None:
    print(f"Tỉnh / province: {report['province'] or '(không ghi / not named)'}")
    for u in report["units"]:
        c = u["counts"]
        print(f"Danh mục đơn vị / units {u['file']}: nhận / accepted {c['accepted']}, từ chối / rejected "
              f"{c['rejected']}, liên kết / links {c['links']}, cần ánh xạ thủ công / manual mapping {c['splits']}")
    for f in report["frameworks"]:
        scales = ", ".join(f"{t['type']} {t['scale']}" for t in f["unit_types"])
        state = "hợp lệ / valid" if f["ok"] else "bản nháp, cần sửa / draft, needs fixing"
        print(f"Bộ chỉ số / framework {f['id']}@{f['version']} ({f['file']}): {f['leaves']} chỉ số lá / leaves; "
              f"{scales}; {state} → {f['written']}")
    for m in report["mappings"]:
        print(f"Ánh xạ cột / column mapping {m['id']} → {m['written']}")
    for t in report["tabular"]:
        print(f"Nguồn dạng bảng / tabular source {t['id']} ({', '.join(t['metrics'])}) → {t['written']}")
    if not report["ok"]:
        print("Có dòng bị từ chối hoặc bộ chỉ số chưa hợp lệ: xem --json / some rows were rejected or a framework is "
              "not valid: see --json")
