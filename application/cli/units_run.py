"""What `dti units import` does: read the file, check each row, store the accepted units (earlier states
kept) and the rejected rows with their reasons, and say what happened."""

from __future__ import annotations

import datetime as dt
import json

from application.cli import CliError
from dti.framework import load_all
from dti.framework.loader import FrameworkError
from dti.intake.store import sha256_of, store_bytes
from dti.units import RegistryError, load_registry
from dti.units.importer import UnitsFileError, merged_registry, read_units, resolve_source
from dti.units.store import save_import
from dti.warehouse import Warehouse
from dti.warehouse.models import IntakeFile, QuarantineRow

TZ = dt.timezone(dt.timedelta(hours=7))


def _framework_types() -> set[str]:
    try:
        return {ut.type for fw in load_all().values() for ut in fw.unit_types}
    except FrameworkError:
        return set()


def _keep_file(session, path, result, now) -> None:
    """The file itself and every rejected row, as intake keeps them (intake_files, quarantine_rows)."""
    data = path.read_bytes()
    sha = sha256_of(data)
    stored = store_bytes(data, sha, path.suffix or ".csv")
    row = session.get(IntakeFile, sha)
    if row is None:
        row = IntakeFile(sha256=sha)
        session.add(row)
    status = "imported" if not result.rejected else ("partial" if result.accepted else "rejected")
    row.filename, row.size, row.stored_path, row.mapping = path.name, len(data), str(stored), "units"
    row.received_at, row.status = now, status
    row.rows_read = len(result.accepted) + len(result.rejected)
    row.rows_accepted, row.rows_rejected = len(result.accepted), len(result.rejected)
    row.summary = {"links": len(result.links), "splits": len(result.splits)}
    session.query(QuarantineRow).filter(QuarantineRow.file_sha256 == sha).delete()
    for r in result.rejected:
        session.add(QuarantineRow(file_sha256=sha, sheet=r.sheet, row_number=r.row, raw=r.raw,
                                  reasons=[{"column": p.field, "value": p.value, "code": "unit_row",
                                            "message_vi": p.expected.split(" / ")[0],
                                            "message_en": p.expected.split(" / ")[-1]} for p in r.problems]))


def load_units_file(path) -> dict:
    """Import one units file into the warehouse: the --json summary, with what was stored."""
    now = dt.datetime.now(TZ)
    with Warehouse().migrate().transaction() as s:
        try:
            existing = load_registry(s)
        except RegistryError as exc:
            raise CliError(f"danh mục đã lưu không nhất quán / the stored registry is inconsistent:\n{exc}") from None
        try:
            result = read_units(path, existing, _framework_types())
            registry = merged_registry(result, existing)
        except UnitsFileError as exc:
            raise CliError(str(exc)) from None
        except RegistryError as exc:
            raise CliError(f"không lưu gì / nothing stored:\n{exc}") from None
        counts = save_import(s, registry, str(path), now)
        _keep_file(s, path, result, now)
    out = result.as_json()
    out["stored"] = counts
    return out


def import_units(args) -> int:
    out = load_units_file(resolve_source(args.file))
    if args.json:
        print(json.dumps(out, ensure_ascii=False, sort_keys=True, indent=2))
    else:
        print_summary(out)
    return 2 if out["rejected"] else 0


def print_summary(out: dict) -> None:
    c, stored = out["counts"], out["stored"]
    print(f"Tệp / file: {out['source']}")
    print(f"Nhận / accepted: {c['accepted']} đơn vị / units; từ chối / rejected: {c['rejected']} dòng / rows; "
          f"liên kết sáp nhập / merger links: {c['links']}")
    print(f"Lưu / stored: thêm / inserted {stored['units_inserted']}, cập nhật / updated {stored['units_updated']} "
          f"(lịch sử giữ lại / history kept: {stored['revisions_kept']}), liên kết mới / links added "
          f"{stored['links_added']}")
    for split in out["splits"]:
        print(f"CẦN ÁNH XẠ THỦ CÔNG / MANUAL MAPPING: {split['predecessor']} → {', '.join(split['successors'])} "
              f"({split['effective']})")
    for r in out["rejected"]:
        where = f"{r['sheet']}!" if r["sheet"] else ""
        for reason in r["reasons"]:
            value = "(trống / missing)" if reason["value"] is None else f"'{reason['value']}'"
            print(f"  dòng / row {where}{r['row']}, cột / field {reason['field']}: {value} — {reason['expected']}")
