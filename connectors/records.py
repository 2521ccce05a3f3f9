"""Turning a source's row into a canonical record, with the field checks that catch schema drift."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

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


def _checked(system: str, entity: str, row: Mapping) -> dict:
    """The field-by-field reading of a row: slow, but it names the first field that is wrong."""
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


# --- precompiled readers -----------------------------------------------------------------------
# The same conversions as _convert, one function per kind, so a record costs one call per field
# and no kind-string parsing. A value they cannot read makes them raise; the reader then runs the
# checked path above, which raises the SchemaDriftError naming the field (tests/connectors/test_records.py
# holds the two paths to the same results).

TRUE_TEXT = frozenset(("1", "true", "t", "yes", "y", "có"))


def _empty() -> None:
    raise ValueError("trống / empty")


def _str(v):
    if type(v) is str:
        return v if v else _empty()
    return _empty() if v is None or v == "" else str(v)


def _str_opt(v):
    if type(v) is str:
        return v if v else None
    return None if v is None or v == "" else str(v)


def _int(v):
    if type(v) is int:
        return v
    return _empty() if v is None or v == "" else int(v)


def _int_opt(v):
    if type(v) is int:
        return v
    return None if v is None or v == "" else int(v)


def _bool(v):
    if v is True or v is False:
        return v
    if v is None or v == "":
        return False
    if isinstance(v, str):
        return v.strip().lower() in TRUE_TEXT
    return bool(v)


def _bool_opt(v):
    if v is None or v == "":
        return None
    return _bool(v)


_fromisoformat = dt.datetime.fromisoformat


def _ts(v):
    if type(v) is str and v:  # parse_ts, inlined for the usual case
        ts = _fromisoformat(v.replace("Z", "+00:00"))
        return ts if ts.tzinfo is not None else ts.replace(tzinfo=TZ)
    if v is None or v == "":
        return _empty()
    return parse_ts(v)


def _ts_opt(v):
    if type(v) is str and v:
        ts = _fromisoformat(v.replace("Z", "+00:00"))
        return ts if ts.tzinfo is not None else ts.replace(tzinfo=TZ)
    return parse_ts(v)  # None for None and ""


def _date(v):
    if v is None or v == "":
        return _empty()
    return parse_date(v)


def _date_opt(v):
    return parse_date(v)


# When a value needs no conversion, by kind: a non-empty str, an int (not a bool), a bool.
INLINE = {"str": "{v}.__class__ is str and {v}", "int": "{v}.__class__ is int", "bool": "{v}.__class__ is bool"}
READERS = {"str": _str, "str?": _str_opt, "int": _int, "int?": _int_opt, "bool": _bool, "bool?": _bool_opt,
           "ts": _ts, "ts?": _ts_opt, "date": _date, "date?": _date_opt}


class RecordReader:
    """Reads one entity's rows into canonical records, compiled once per source and entity.

    `names` maps each canonical field to the source's name for it (default: the same name);
    `values` maps a canonical field to {source code: canonical value}. `checked(row)` is the slow
    path run when the fast one fails: it raises the SchemaDriftError naming the field.

    The fast path is one generated function per reader (as dataclasses generate __init__): a dict
    display with one lookup and one reader call per field, no loop and no per-field branching.
    Only repr()'d names and this module's functions go into its source.
    """

    def __init__(self, system: str, entity: str, names: Mapping[str, str] | None = None,
                 values: Mapping[str, Mapping] | None = None, checked: Callable[[Mapping], dict] | None = None):
        names, values = names or {}, values or {}
        self.plan = tuple((name, names.get(name, name), values[name] if name in values else None, kind)
                          for name, kind in {**COMMON, **FIELDS[entity]}.items())
        self.slow = checked or (lambda row: _checked(system, entity, row))
        env: dict = {}
        lines, fields = [], []
        for i, (name, key, codes, kind) in enumerate(self.plan):
            env[f"read{i}"] = READERS[kind]
            lines.append(f"    v{i} = row[{key!r}]\n")
            if codes is not None:
                env[f"codes{i}"] = codes
                lines.append(f"    if v{i} is not None:\n        v{i} = codes{i}[v{i}]\n")
            # The usual case inline (a value already of its kind), the reader function otherwise.
            fast = INLINE.get(kind.rstrip("?"))
            value = f"v{i} if {fast.format(v=f'v{i}')} else read{i}(v{i})" if fast else f"read{i}(v{i})"
            fields.append(f"        {name!r}: {value},\n")
        self.source = f"def read(row):\n{''.join(lines)}    return {{\n{''.join(fields)}    }}\n"
        exec(compile(self.source, f"<RecordReader {system} {entity}>", "exec"), env)  # noqa: S102
        self._read = env["read"]

    def __call__(self, row) -> dict:
        try:
            return self._read(row)
        except Exception:
            self.slow(row)  # raises the precise SchemaDriftError
            raise  # the checked path found nothing wrong: show the original error, never hide it


_readers: dict[tuple[str, str], RecordReader] = {}


def canonical(system: str, entity: str, row: Mapping) -> dict:
    """Check and convert one source row; a missing or unreadable field raises SchemaDriftError naming it."""
    reader = _readers.get((system, entity))
    if reader is None:
        reader = _readers[(system, entity)] = RecordReader(system, entity)
    return reader(row)
