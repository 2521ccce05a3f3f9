"""Turning a source's row into a canonical record, with the field checks that catch schema drift."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Mapping

from connectors.base import SchemaDriftError, SourceError
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


class BadValueError(SchemaDriftError):
    """A field is present but its value does not fit the field's declared kind."""

    def __init__(self, system: str, entity: str, field: str, record_id, value, expected: str):
        self.value = value
        self.expected = expected
        SourceError.__init__(
            self, system,
            f"trường '{field}' của bản ghi '{record_id}' ({entity}) có giá trị {value!r}: cần {expected} / field "
            f"'{field}' of {entity} record '{record_id}' holds {value!r}: expected {EXPECTED_EN.get(expected, expected)}")
        self.entity = entity
        self.field = field


# Spellings a boolean may take, compared after NFC, trimming and case-folding. A mapping may give its own.
TRUE_WORDS = frozenset(("true", "1", "có"))
FALSE_WORDS = frozenset(("false", "0", "không"))
EXPECTED = {
    "str": "chuỗi ký tự", "int": "số nguyên", "bool": "true/false/1/0/có/không",
    "ts": "thời điểm ISO 8601 (có múi giờ hoặc giờ địa phương)", "date": "ngày YYYY-MM-DD",
}
EXPECTED_EN = {
    "chuỗi ký tự": "text", "số nguyên": "a whole number",
    "thời điểm ISO 8601 (có múi giờ hoặc giờ địa phương)": "an ISO 8601 time (with an offset, or local time)",
    "ngày YYYY-MM-DD": "a date YYYY-MM-DD",
}


class Unfit(ValueError):
    """The value does not fit the kind (the reader turns it into BadValueError)."""


def _words(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip().casefold()


def parse_ts(value) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        ts = value
    elif isinstance(value, str):
        try:
            ts = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise Unfit(value) from None
    else:
        raise Unfit(value)
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
    if not isinstance(value, str):
        raise Unfit(value)
    text = value.strip()
    try:
        if len(text) > 10:
            parse_ts(text)  # a time the source wrote for a date must still be a real time
        return dt.date.fromisoformat(text[:10])  # its date as written
    except ValueError:
        raise Unfit(value) from None


def _empty() -> None:
    raise Unfit("")


def _str(v):
    if type(v) is str:
        return v if v else _empty()
    if type(v) is int:  # a numeric code
        return str(v)
    raise Unfit(v)


def _str_opt(v):
    return None if v is None or v == "" else _str(v)


def _int(v):
    if type(v) is int:
        return v
    if type(v) is float and v.is_integer():
        return int(v)
    if type(v) is str and v.strip().lstrip("+-").isdigit():
        return int(v.strip())
    raise Unfit(v)  # 6.9, "abc", a bool, a list: never truncated or guessed


def _int_opt(v):
    return None if v is None or v == "" else _int(v)


def bool_reader(true_words=TRUE_WORDS, false_words=FALSE_WORDS) -> Callable:
    """A boolean reader accepting these spellings (and JSON true/false, 0/1); anything else is an error."""
    true_words = frozenset(_words(w) for w in true_words)
    false_words = frozenset(_words(w) for w in false_words)

    def read(v):
        if v is True or v is False:
            return v
        if type(v) is int and v in (0, 1):
            return v == 1
        if type(v) is str:
            word = _words(v)
            if word in true_words:
                return True
            if word in false_words:
                return False
        raise Unfit(v)

    return read


_bool = bool_reader()


def _optional(read: Callable) -> Callable:
    def read_opt(v):
        return None if v is None or v == "" else read(v)

    return read_opt


_bool_opt = _optional(_bool)
_fromisoformat = dt.datetime.fromisoformat


def _ts(v):
    if type(v) is str and v:  # parse_ts, inlined for the usual case
        try:
            ts = _fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            raise Unfit(v) from None
        return ts if ts.tzinfo is not None else ts.replace(tzinfo=TZ)
    if v is None or v == "":
        return _empty()
    return parse_ts(v)


def _ts_opt(v):
    return None if v is None or v == "" else _ts(v)


def _date(v):
    if v is None or v == "":
        return _empty()
    return parse_date(v)


def _date_opt(v):
    return parse_date(v)


def readers(booleans: tuple | None = None) -> dict[str, Callable]:
    """The reader of each kind; `booleans` = (true spellings, false spellings) of a mapping."""
    boolean = bool_reader(*booleans) if booleans else _bool
    return {"str": _str, "str?": _str_opt, "int": _int, "int?": _int_opt, "bool": boolean,
            "bool?": _optional(boolean), "ts": _ts, "ts?": _ts_opt, "date": _date, "date?": _date_opt}


READERS = readers()


def _checked(system: str, entity: str, row: Mapping, kinds_read: Mapping[str, Callable] = READERS) -> dict:
    """The field-by-field reading of a row: slow, but it names the first field that is wrong."""
    out = {}
    record_id = row.get("source_id", "?") if isinstance(row, Mapping) else "?"
    for name, kind in {**COMMON, **FIELDS[entity]}.items():
        if name not in row:
            raise SchemaDriftError(system, entity, name, f"bản ghi {record_id}")
        try:
            out[name] = kinds_read[kind](row[name])
        except (Unfit, TypeError, ValueError):
            raise BadValueError(system, entity, name, record_id, row[name], EXPECTED[kind.rstrip("?")]) from None
    return out


# When a value needs no conversion, by kind: a non-empty str, an int (not a bool), a bool.
INLINE = {"str": "{v}.__class__ is str and {v}", "int": "{v}.__class__ is int", "bool": "{v}.__class__ is bool"}


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
                 values: Mapping[str, Mapping] | None = None, checked: Callable[[Mapping], dict] | None = None,
                 booleans: tuple | None = None):
        names, values = names or {}, values or {}
        kinds_read = readers(booleans)
        self.plan = tuple((name, names.get(name, name), values[name] if name in values else None, kind)
                          for name, kind in {**COMMON, **FIELDS[entity]}.items())
        self.slow = checked or (lambda row: _checked(system, entity, row, kinds_read))
        env: dict = {}
        lines, fields = [], []
        for i, (name, key, codes, kind) in enumerate(self.plan):
            env[f"read{i}"] = kinds_read[kind]
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
