"""Turning a source's row into a canonical record, with the field checks that catch schema drift."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from connectors.base import SchemaDriftError
from dti.settings import TZ

# Canonical fields per entity and their kinds; every one must be present in a source row.
FIELDS: dict[str, dict[str, str]] = {
    "procedures": {"procedure_code": "str", "name_vi": "str?", "service_level": "str", "fee_applies": "bool"},
    "dossiers": {
        "dossier_code": "str", "procedure_code": "str", "channel": "int", "service_level": "str",
        "received_at": "ts", "due_at": "ts?", "finished_at": "ts?", "status": "str", "has_digitised": "bool",
        "e_result": "bool", "paid_online": "bool", "fee_applies": "bool", "vneid": "bool",
        "synced_portal": "bool", "components_total": "int", "components_reused": "int", "satisfaction": "int?",
    },
    "documents": {
        "direction": "str", "number": "str?", "notation": "str?", "issue_date": "date", "doc_type": "str",
        "topic_dx": "bool", "signer_role": "str?", "digitally_signed": "bool", "inter_agency": "bool",
        "via_axis": "bool", "axis_status": "str?", "confidential": "bool", "work_file": "bool",
        "work_file_online": "bool", "summary": "str?",
    },
    "staff": {"eligible_signer": "bool", "personal_certificate": "bool"},
    "incidents": {"detected_at": "ts", "severity": "str", "category": "str", "resolved_at": "ts?", "sla_hours": "int"},
    "inventories": {"as_of": "date", "workstations": "int", "managed_endpoints": "int", "systems": "int",
                    "monitored_systems": "int"},
}
COMMON = {"source_id": "str", "unit_code": "str", "updated_at": "ts", "deleted": "bool"}


def parse_ts(value) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        ts = value
    else:
        ts = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if ts.tzinfo is None:  # sources without an offset write local (Asia/Ho_Chi_Minh) time
        ts = ts.replace(tzinfo=TZ)
    return ts


def parse_date(value) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(TZ).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _convert(kind: str, value):
    optional = kind.endswith("?")
    kind = kind.rstrip("?")
    if value is None or value == "":
        if optional or kind == "bool":
            return False if kind == "bool" and not optional else None
        raise ValueError("trống / empty")
    if kind == "str":
        return str(value)
    if kind == "int":
        return int(value)
    if kind == "bool":
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "t", "yes", "y", "có")
        return bool(value)
    if kind == "ts":
        return parse_ts(value)
    if kind == "date":
        return parse_date(value)
    raise AssertionError(kind)


def canonical(system: str, entity: str, row: Mapping) -> dict:
    """Check and convert one source row; a missing or unreadable field raises SchemaDriftError naming it."""
    out = {}
    for name, kind in {**COMMON, **FIELDS[entity]}.items():
        if name not in row:
            raise SchemaDriftError(system, entity, name, f"bản ghi {row.get('source_id', '?')}")
        try:
            out[name] = _convert(kind, row[name])
        except (TypeError, ValueError) as exc:
            raise SchemaDriftError(system, entity, name,
                                   f"giá trị {row[name]!r} không đọc được ({exc}) ở bản ghi {row.get('source_id', '?')}"
                                   ) from None
    return out
