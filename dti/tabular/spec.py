"""A tabular source as the province declares it in YAML (`<DTI_MAPPINGS_DIR>/tabular/<id>.yaml`): where its
rows come from (a CSV/XLSX file or folder next to the YAML, or a SQL query), which columns hold the unit code,
the date and the row id, its other fields with their types and accepted spellings, and its declarative metrics
(numerator and denominator filters over those fields, per unit and the period's window by the date column)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from dti.settings import get_settings
from dti.text import nfc as text_nfc

PREFIX = "tab_"  # every declarative metric id starts so: it never shadows a built-in (dvc_, doc_, sec_) one
SOURCE = "TAB"  # a leaf's `source` when its metric is a tabular source's
TYPES = ("text", "code", "bool", "int", "number", "date")
OPS = ("eq", "ne", "in", "not_in", "ge", "gt", "le", "lt")
MEASURES = ("rate", "count")
TRUE = ("true", "1", "có", "co", "x", "yes", "đúng", "đạt")
FALSE = ("false", "0", "không", "khong", "no", "sai", "không đạt", "")


class TabularError(ValueError):
    """A tabular source's YAML, file or row that cannot be read, with a bilingual message naming where."""


def nfc(value) -> str:
    """A cell or YAML value as NFC text without surrounding space."""
    return text_nfc(str(value)).strip()


@dataclass(frozen=True)
class FieldSpec:
    name: str
    column: str
    type: str = "text"
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)  # canonical code -> accepted spellings
    required: bool = False


@dataclass(frozen=True)
class Filter:
    field: str
    op: str
    value: object


@dataclass(frozen=True)
class TabularMetric:
    """A declarative metric; reads like dti.framework.metric_catalogue.MetricDef where the engine shows it."""

    id: str
    source: str  # always SOURCE ("TAB")
    tabular_source: str
    measure: str  # rate / count
    name_vi: str
    name_en: str
    numerator: tuple[Filter, ...] = ()
    denominator: tuple[Filter, ...] = ()
    numerator_vi: str = ""
    denominator_vi: str = ""


@dataclass(frozen=True)
class TabularSource:
    id: str
    name_vi: str
    name_en: str
    spec_file: Path
    unit: str  # column of the unit code
    date: str  # column of the row's date (the period's window is taken by it)
    row_id: str | None  # column of the row's own id; None: the file name and row number
    fields: tuple[FieldSpec, ...]
    metrics: tuple[TabularMetric, ...]
    path: Path | None = None  # a CSV/XLSX file or a folder of them
    sql_url: str | None = None
    sql_query: str | None = None
    date_format: str | None = None


def _fail(path: Path, where: str, vi: str, en: str) -> TabularError:
    return TabularError(f"{path.name}: {where}: {vi} / {en}")


def _filters(path: Path, where: str, raw, names: set[str]) -> tuple[Filter, ...]:
    out = []
    for i, item in enumerate(raw or []):
        spot = f"{where}[{i}]"
        if not isinstance(item, dict) or "field" not in item:
            raise _fail(
                path,
                spot,
                "bộ lọc cần 'field' và một phép so sánh",
                "a filter needs 'field' and one comparison",
            )
        ops = [k for k in item if k != "field"]
        if len(ops) != 1 or ops[0] not in OPS:
            raise _fail(
                path,
                spot,
                f"cần đúng một phép so sánh trong {', '.join(OPS)}",
                f"expected exactly one comparison of {', '.join(OPS)}",
            )
        if item["field"] not in names:
            raise _fail(
                path,
                spot,
                f"trường '{item['field']}' chưa được khai báo trong fields",
                f"field '{item['field']}' is not declared under fields",
            )
        out.append(Filter(item["field"], ops[0], item[ops[0]]))
    return tuple(out)


def _fields(path: Path, raw: dict) -> list[FieldSpec]:
    fields = []
    for name, spec in raw.items():
        spec = spec if isinstance(spec, dict) else {"column": spec}
        ftype = spec.get("type", "text")
        if ftype not in TYPES:
            raise _fail(
                path,
                f"fields.{name}.type",
                f"kiểu '{ftype}' không hợp lệ, cần một trong {', '.join(TYPES)}",
                f"unknown type, expected one of {', '.join(TYPES)}",
            )
        values = {
            str(k): tuple(nfc(s).casefold() for s in ([k, *(v or [])]))
            for k, v in (spec.get("values") or {}).items()
        }
        fields.append(
            FieldSpec(str(name), nfc(spec.get("column", name)), ftype, values, bool(spec.get("required")))
        )
    return fields


def _metrics(path: Path, sid: str, raw: list, names: set[str]) -> list[TabularMetric]:
    metrics = []
    for i, m in enumerate(raw):
        where = f"metrics[{i}]"
        if not isinstance(m, dict) or "id" not in m:
            raise _fail(path, where, "cần 'id'", "'id' required")
        if not str(m["id"]).startswith(PREFIX):
            raise _fail(
                path,
                f"{where}.id",
                f"mã số liệu cần bắt đầu bằng '{PREFIX}' (khác số liệu có sẵn)",
                f"a tabular metric id starts with '{PREFIX}' (apart from the built-in ones)",
            )
        measure = m.get("measure", "rate")
        if measure not in MEASURES:
            raise _fail(path, f"{where}.measure", "cần rate hoặc count", "expected rate or count")
        metrics.append(
            TabularMetric(
                str(m["id"]),
                SOURCE,
                sid,
                measure,
                nfc(m.get("name_vi", m["id"])),
                nfc(m.get("name_en", m["id"])),
                _filters(path, f"{where}.numerator", m.get("numerator"), names),
                _filters(path, f"{where}.denominator", m.get("denominator"), names),
                nfc(m.get("numerator_vi", "")),
                nfc(m.get("denominator_vi", "")),
            )
        )
    return metrics


def parse_source(path: Path) -> TabularSource:
    """One tabular source's YAML, checked: each filter names a declared field, each type and measure known."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise _fail(path, "YAML", f"không đọc được ({exc})", "cannot be read") from exc
    if not isinstance(raw, dict):
        raise _fail(path, "YAML", "cần một bảng khoá: giá trị", "expected a mapping")
    for key in ("id", "unit", "date", "metrics"):
        if key not in raw:
            raise _fail(path, key, "thiếu khoá bắt buộc", "required key missing")
    sid = str(raw["id"])
    fields = _fields(path, raw.get("fields") or {})
    metrics = _metrics(path, sid, raw["metrics"] or [], {f.name for f in fields})
    file, sql = raw.get("file"), raw.get("sql")
    if bool(file) == bool(sql):
        raise _fail(
            path,
            "file/sql",
            "cần đúng một trong 'file' (tệp/thư mục CSV, XLSX) hoặc 'sql' (url, query)",
            "exactly one of 'file' (a CSV/XLSX file or folder) or 'sql' (url, query) is required",
        )
    return TabularSource(
        sid,
        nfc(raw.get("name_vi", sid)),
        nfc(raw.get("name_en", sid)),
        path,
        nfc(raw["unit"]),
        nfc(raw["date"]),
        nfc(raw["row_id"]) if raw.get("row_id") else None,
        tuple(fields),
        tuple(metrics),
        path=(path.parent / file).resolve() if file else None,
        sql_url=sql.get("url") if sql else None,
        sql_query=sql.get("query") if sql else None,
        date_format=raw.get("date_format"),
    )


def sources_dir() -> Path:
    return get_settings().mappings_dir / "tabular"


def load_sources(folder: Path | None = None) -> list[TabularSource]:
    """Every tabular source declared in `folder` (default: <DTI_MAPPINGS_DIR>/tabular), by file name; a metric
    id declared twice is refused."""
    folder = folder or sources_dir()
    if not folder.is_dir():
        return []
    out = [parse_source(p) for p in sorted(folder.glob("*.y*ml"))]
    seen: dict[str, str] = {}
    for s in out:
        for m in s.metrics:
            if m.id in seen:
                raise _fail(
                    s.spec_file,
                    m.id,
                    f"số liệu đã khai báo ở nguồn '{seen[m.id]}'",
                    f"metric already declared by source '{seen[m.id]}'",
                )
            seen[m.id] = s.id
    return out


def readable_sources(folder: Path | None = None) -> tuple[list[TabularSource], dict[str, str]]:
    """(the sources whose YAML reads, {file stem: why the others do not}): the verification goes on with the
    sources it can read; a leaf bound to a metric of an unreadable one is unverifiable."""
    folder = folder or sources_dir()
    if not folder.is_dir():
        return [], {}
    good, bad = [], {}
    for p in sorted(folder.glob("*.y*ml")):
        try:
            good.append(parse_source(p))
        except TabularError as exc:
            bad[p.stem] = str(exc)
    return good, bad


def tabular_metrics(folder: Path | None = None) -> dict[str, TabularMetric]:
    """Every declarative metric of the readable sources, by id (the first source declaring an id wins; `dti
    framework validate` and `dti tabular load` refuse a duplicate)."""
    out: dict[str, TabularMetric] = {}
    for s in readable_sources(folder)[0]:
        for m in s.metrics:
            out.setdefault(m.id, m)
    return out


# --- reading a value ----------------------------------------------------------------------------------------


def parse_value(spec: FieldSpec, value, date_format: str | None = None):
    """The typed value of one cell, or TabularError saying what was expected (None for an empty cell)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if spec.type == "bool":
            return False
        return None
    if spec.type == "date":
        return parse_date(value, date_format).isoformat()
    if spec.type == "bool":
        if isinstance(value, bool):
            return value
        text = nfc(value).casefold()
        for canon, spellings in spec.values.items():  # the province's own spellings, e.g. {true: [Đạt]}
            if text in spellings:
                return canon.casefold() in TRUE
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise TabularError(f"'{value}' không phải có/không (true/false/1/0/có/không) / not a yes/no value")
    if spec.type in ("int", "number"):
        try:
            number = (
                Decimal(nfc(value).replace(",", "."))
                if not isinstance(value, (int, float))
                else Decimal(str(value))
            )
        except InvalidOperation as exc:
            raise TabularError(f"'{value}' không phải số / not a number") from exc
        if spec.type == "int":
            if number != number.to_integral_value():
                raise TabularError(f"'{value}' không phải số nguyên / not a whole number")
            return int(number)
        return str(number)
    text = nfc(value)
    if spec.type == "code" and spec.values:
        for canon, spellings in spec.values.items():
            if text.casefold() in spellings:
                return canon
        accepted = "; ".join(f"{k}: {', '.join(v)}" for k, v in spec.values.items())
        raise TabularError(
            f"giá trị '{text}' không có trong danh mục ({accepted}) / value not among the accepted spellings"
        )
    return text


def parse_date(value, date_format: str | None = None) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = nfc(value)
    formats = (
        [date_format]
        if date_format
        else ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M"]
    )
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise TabularError(
        f"ngày '{text}' không đọc được (cần {date_format or 'YYYY-MM-DD hoặc DD/MM/YYYY'}) "
        f"/ unreadable date (expected {date_format or 'YYYY-MM-DD or DD/MM/YYYY'})"
    )


def matches(filters: tuple[Filter, ...], values: dict) -> bool:
    """Whether a row's typed fields pass every filter (an empty field passes none but `ne`/`not_in`)."""
    for f in filters:
        have = values.get(f.field)
        want = f.value
        if f.op in ("in", "not_in"):
            inside = any(_equal(have, w) for w in (want or []))
            if inside != (f.op == "in"):
                return False
            continue
        if f.op in ("eq", "ne"):
            if _equal(have, want) != (f.op == "eq"):
                return False
            continue
        if have is None:
            return False
        a, b = _comparable(have), _comparable(want)
        if not {"ge": a >= b, "gt": a > b, "le": a <= b, "lt": a < b}[f.op]:
            return False
    return True


def _comparable(v):
    if isinstance(v, bool):
        return Decimal(int(v))
    if isinstance(v, (int, float, Decimal)):
        return Decimal(str(v))
    if isinstance(v, dt.date):
        return v.isoformat()
    try:
        return Decimal(str(v))
    except InvalidOperation:
        return str(v)


def _equal(have, want) -> bool:
    if isinstance(have, bool) or isinstance(want, bool):
        return have is not None and bool(have) == (
            want if isinstance(want, bool) else nfc(want).casefold() in TRUE
        )
    if have is None:
        return want is None
    return _comparable(have) == _comparable(nfc(want) if isinstance(want, str) else want)
