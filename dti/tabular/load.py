"""Loading a tabular source into the warehouse: every row read (CSV in UTF-8 or Windows-1258, XLSX, or a SQL
query), typed by the source's field mapping, marked for each of its metrics, and stored in raw_tabular_rows;
a row that cannot be read is kept in tabular_rejects with a bilingual reason naming file, row and field. A
source that cannot be read at all is recorded as failed in tabular_loads (its claims become unverifiable);
the rows of its last good load stay for the record but are not used."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import sqlalchemy as sa

from dti.settings import TZ
from dti.tabular.spec import (
    TabularError,
    TabularSource,
    matches,
    nfc,
    parse_date,
    parse_value,
    readable_sources,
)
from dti.units import SplitUnitError, UnitRegistry, load_registry
from dti.warehouse.db import Warehouse
from dti.warehouse.models import RawTabularRow, TabularLoad, TabularMark, TabularReject

EXTENSIONS = (".csv", ".xlsx")


def _csv_rows(path: Path) -> list[list]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1258"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    head = text[:4096]
    delimiter = max(",;\t", key=head.count)  # Excel in a Vietnamese locale writes ';'
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _xlsx_rows(path: Path) -> list[list]:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()


def _files(src: TabularSource) -> list[Path]:
    path = src.path
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in EXTENSIONS)
        if not found:
            raise TabularError(
                f"{path}: thư mục không có tệp CSV/XLSX / the folder holds no CSV or XLSX file"
            )
        return found
    if not path.is_file():
        raise TabularError(f"{path}: không tìm thấy tệp / file not found")
    return [path]


def _table_rows(src: TabularSource) -> Iterator[tuple[str, dict]]:
    """(origin "file:row", {column: cell}) for every data row; the header is the first row naming the unit and
    date columns (a title block above it is skipped)."""
    if src.sql_url:
        engine = sa.create_engine(src.sql_url)
        try:
            with engine.connect() as conn:
                result = conn.execute(sa.text(src.sql_query))
                columns = [nfc(c) for c in result.keys()]
                for i, row in enumerate(result, start=1):
                    yield f"sql:{i}", dict(zip(columns, row, strict=True))
        finally:
            engine.dispose()
        return
    for path in _files(src):
        rows = _csv_rows(path) if path.suffix.lower() == ".csv" else _xlsx_rows(path)
        header_at = next(
            (i for i, r in enumerate(rows) if {src.unit, src.date} <= {nfc(c) for c in r if c is not None}),
            None,
        )
        if header_at is None:
            raise TabularError(
                f"{path.name}: không thấy dòng tiêu đề có cột '{src.unit}' và '{src.date}' "
                f"/ no header row naming the columns '{src.unit}' and '{src.date}'"
            )
        header = [nfc(c) if c is not None else "" for c in rows[header_at]]
        missing = [f.column for f in src.fields if f.column not in header]
        if missing:
            raise TabularError(
                f"{path.name}: thiếu cột {', '.join(missing)} / missing columns {', '.join(missing)}"
            )
        for i, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in row):
                continue
            yield f"{path.name}:{i}", dict(zip(header, row, strict=False))


def _read_row(
    src: TabularSource, origin: str, cells: dict, registry: UnitRegistry, day_of_load: dt.date
) -> tuple[dict | None, tuple | None]:
    """(the typed row, None) or (None, (unit, field, reason))."""
    unit = nfc(cells.get(src.unit) or "")
    file, _, line = origin.rpartition(":")
    where = f"{file}, dòng/row {line}"
    if not unit:
        return None, (None, src.unit, f"{where}, cột/column {src.unit}: thiếu mã đơn vị / unit code missing")
    written = unit
    if len(registry) and unit not in registry:
        return None, (
            unit,
            src.unit,
            f"{where}, cột/column {src.unit}: mã đơn vị '{unit}' không có trong danh mục / unknown unit code",
        )
    try:  # a merged unit's former code: the row belongs to its successor, as the sync maps records
        unit = registry.owner(unit, day_of_load) if len(registry) else unit
    except SplitUnitError:
        return None, (
            unit,
            src.unit,
            f"{where}, cột/column {src.unit}: đơn vị '{unit}' đã chia tách, cần ánh xạ "
            f"thủ công / the unit was split: map the row by hand",
        )
    try:
        day = (
            parse_date(cells.get(src.date), src.date_format)
            if cells.get(src.date) not in (None, "")
            else None
        )
    except TabularError as exc:
        return None, (unit, src.date, f"{where}, cột/column {src.date}: {exc}")
    if day is None:
        return None, (unit, src.date, f"{where}, cột/column {src.date}: thiếu ngày / date missing")
    values = {}
    for f in src.fields:
        try:
            values[f.name] = parse_value(f, cells.get(f.column), src.date_format)
        except TabularError as exc:
            return None, (unit, f.name, f"{where}, cột/column {f.column}: {exc}")
        if f.required and values[f.name] is None:
            return None, (unit, f.name, f"{where}, cột/column {f.column}: thiếu giá trị / value missing")
    row_id = nfc(cells.get(src.row_id) or "") if src.row_id else origin
    if not row_id:
        return None, (
            unit,
            src.row_id,
            f"{where}, cột/column {src.row_id}: thiếu mã bản ghi / row id missing",
        )
    return {
        "row_id": row_id,
        "unit_code": unit,
        "source_unit_code": written,
        "row_date": day,
        "fields": values,
        "origin": origin,
    }, None


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value if value is None or isinstance(value, (bool, int, float)) else str(value)


def load_source(wh: Warehouse, src: TabularSource, *, now: dt.datetime | None = None) -> TabularLoad:
    """Read one source and replace its rows, marks and rejects in the warehouse; returns its load record."""
    now = now or dt.datetime.now(TZ)
    with wh.session() as s:
        registry = load_registry(s)
    try:
        read = list(_table_rows(src))
    except (TabularError, OSError, ValueError, KeyError, csv.Error, sa.exc.SQLAlchemyError) as exc:
        reason = (
            str(exc)
            if isinstance(exc, TabularError)
            else f"{src.id}: nguồn không đọc được / unreadable: {exc}"
        )
        with wh.transaction() as s:
            load = s.get(TabularLoad, src.id) or TabularLoad(tabular_source=src.id, accepted=0, rejected=0)
            load.ok, load.attempted_at, load.error = False, now, reason
            s.add(load)
        return load
    accepted: dict[str, dict] = {}
    rejects = []
    for origin, cells in read:
        row, bad = _read_row(src, origin, cells, registry, now.astimezone(TZ).date())
        if row is not None and row["row_id"] in accepted:
            row, bad = (
                None,
                (
                    row["unit_code"],
                    src.row_id,
                    f"{origin}: mã bản ghi '{row['row_id']}' trùng / duplicate row id",
                ),
            )
        if bad is not None:
            rejects.append(
                TabularReject(
                    tabular_source=src.id,
                    origin=origin,
                    unit_code=bad[0],
                    field=bad[1],
                    reason=bad[2],
                    record={k: _plain(v) for k, v in cells.items()},
                )
            )
            continue
        accepted[row["row_id"]] = row
    digest = hashlib.sha256(
        json.dumps(
            [
                [r["row_id"], r["unit_code"], r["row_date"].isoformat(), r["fields"]]
                for r in accepted.values()
            ],
            sort_keys=True,
            ensure_ascii=False,
        ).encode()
    ).hexdigest()
    with wh.transaction() as s:
        old = sa.select(RawTabularRow.source_id).where(RawTabularRow.tabular_source == src.id)
        s.execute(sa.delete(TabularMark).where(TabularMark.source_id.in_(old)))
        s.execute(sa.delete(RawTabularRow).where(RawTabularRow.tabular_source == src.id))
        s.execute(sa.delete(TabularReject).where(TabularReject.tabular_source == src.id))
        for r in accepted.values():
            sid = f"{src.id}:{r['row_id']}"
            s.add(RawTabularRow(source_id=sid, tabular_source=src.id, deleted=False, fetched_at=now, **r))
            for m in src.metrics:
                in_den = matches(m.denominator, r["fields"]) if m.measure == "rate" else True
                s.add(
                    TabularMark(
                        metric=m.id,
                        source_id=sid,
                        in_denominator=in_den,
                        in_numerator=in_den and matches(m.numerator, r["fields"]),
                    )
                )
        s.add_all(rejects)
        load = s.get(TabularLoad, src.id) or TabularLoad(tabular_source=src.id)
        load.ok, load.attempted_at, load.loaded_at, load.error = True, now, now, None
        load.accepted, load.rejected, load.checksum = len(accepted), len(rejects), digest
        s.add(load)
    return load


def load_all(
    wh: Warehouse, folder: Path | None = None, *, now: dt.datetime | None = None
) -> list[TabularLoad]:
    """Every declared tabular source loaded, in id order; a YAML that cannot be read is recorded as a failed
    load under its file name (the others still load)."""
    now = now or dt.datetime.now(TZ)
    good, bad = readable_sources(folder)
    loads = [load_source(wh, src, now=now) for src in good]
    with wh.transaction() as s:
        for stem, why in sorted(bad.items()):
            load = s.get(TabularLoad, stem) or TabularLoad(tabular_source=stem, accepted=0, rejected=0)
            load.ok, load.attempted_at, load.error = False, now, why
            loads.append(s.merge(load))
    return sorted(loads, key=lambda x: x.tabular_source)
