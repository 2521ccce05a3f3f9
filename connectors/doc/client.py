"""DOC connector: reads a document-management database through SQLAlchemy with bound parameters,
streaming with a server-side cursor in keyset order so memory stays flat however large the history
is, and resuming from the last record read if the connection drops mid-read."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator

import sqlalchemy as sa
from pydantic import PrivateAttr

from connectors.base import DocumentSource, SchemaDriftError, SourceError
from connectors.doc.mapping import MAPPINGS, DocMapping, find_mapping
from connectors.mappings import MappingFileError
from connectors.records import COMMON, FIELDS, RecordReader, canonical
from dti.settings import TZ

log = logging.getLogger("connectors.doc")


def bind_value(column: sa.Column, value: dt.datetime | dt.date):
    """A Python value comparable with `column` on this database: vendor schemas keep times as real
    DATETIME/TIMESTAMP columns (naive local time or with a zone) or as ISO text."""
    ctype = column.type
    if isinstance(value, dt.datetime):
        if isinstance(ctype, sa.DateTime):
            local = value.astimezone(TZ)
            return local if ctype.timezone else local.replace(tzinfo=None)
        if isinstance(ctype, sa.Date):
            return value.astimezone(TZ).date()
        return value.astimezone(TZ).isoformat(timespec="seconds")  # ISO text in local time sorts correctly
    if isinstance(ctype, sa.Date | sa.DateTime):
        return value
    return value.isoformat()


def truthy(column: sa.Column):
    """`column` is true, whether the vendor stores a BOOLEAN or a 0/1 integer."""
    if isinstance(column.type, sa.Boolean):
        return column.is_(sa.true())
    return column == 1


class DocumentDb(DocumentSource):
    url: str  # SQLAlchemy URL of the document system (read-only account recommended)
    mapping: str = "qlvb-vn"  # a source mapping id (mappings/sources/, DTI_SOURCE_MAPPINGS_DIR) or YAML path
    chunk_size: int = 5000  # rows per round trip of the server-side cursor
    max_reconnects: int = 3  # per pull: a dropped connection resumes from the last record read
    reconnect_wait_s: float = 0.5

    _engine: sa.Engine | None = PrivateAttr(default=None)
    _reconnects: int = PrivateAttr(default=0)
    _expected: int | None = PrivateAttr(default=None)

    def expected_count(self) -> int | None:
        """The rows the table held for the window when the last pull began (count(*), asked first)."""
        return self._expected

    @property
    def reconnects(self) -> int:
        """Dropped connections the last pull recovered from."""
        return self._reconnects

    def _mapping(self) -> DocMapping:
        if self.mapping in MAPPINGS:
            return MAPPINGS[self.mapping]
        try:
            return find_mapping(self.mapping)
        except MappingFileError as exc:
            raise SourceError(self.system, str(exc)) from None

    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = sa.create_engine(self.url, pool_pre_ping=True)
        return self._engine

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def _table(self, entity: str) -> tuple[sa.Table, dict[str, str], dict]:
        tm = getattr(self._mapping(), entity)
        try:
            table = sa.Table(tm.table, sa.MetaData(), autoload_with=self.engine())
        except sa.exc.NoSuchTableError:
            raise SourceError(self.system, f"không có bảng '{tm.table}' / table not found") from None
        except sa.exc.OperationalError as exc:
            raise SourceError(self.system, f"không kết nối được / cannot connect: {exc.orig}") from None
        for field, column in tm.columns.items():
            if column not in table.c:
                raise SchemaDriftError(self.system, entity, field, f"cột '{column}' không có trong bảng '{tm.table}' / "
                                                                   f"column not in table")
        return table, tm.columns, tm.values

    def _reader(self, entity: str, columns: dict[str, str], values: dict) -> RecordReader | None:
        """A compiled reader of the query's rows (tuples in the order of `columns`); None when the
        mapping does not name every canonical field (the checked path then says which is missing)."""
        fields = list(columns)
        if set(fields) != set(COMMON) | set(FIELDS[entity]):
            return None

        def checked(row):
            return self._record(entity, columns, values, dict(zip(fields, row, strict=True)))

        return RecordReader(self.system, entity, names={f: i for i, f in enumerate(fields)},
                            values={f: codes for f, codes in values.items() if f in columns}, checked=checked)

    def _record(self, entity: str, columns: dict[str, str], values: dict, rec: dict) -> dict:
        """The field-by-field path: value codes checked with a message naming the column, then canonical."""
        for field, table_map in values.items():
            value = rec.get(field)
            if value is None:
                continue
            if not isinstance(value, str | int) or isinstance(value, bool) or value not in table_map:
                # a new code would otherwise pass unnoticed
                raise SchemaDriftError(self.system, entity, field,
                                       f"cột '{columns[field]}' có giá trị lạ / unknown value "
                                       f"{value!r} ở bản ghi {rec.get('source_id')}; cần / "
                                       f"expected one of {sorted(table_map)}")
            rec[field] = table_map[value]
        return canonical(self.system, entity, rec)

    def fetch(self, entity: str, since: dt.datetime | None = None) -> Iterator[dict]:
        self.check_entity(entity)
        table, columns, values = self._table(entity)
        upd, sid = table.c[columns["updated_at"]], table.c[columns["source_id"]]
        cols = [table.c[c].label(f) for f, c in columns.items()]
        fields = list(columns)
        at_upd, at_sid = fields.index("updated_at"), fields.index("source_id")
        read = self._reader(entity, columns, values) or (
            lambda row: self._record(entity, columns, values, dict(zip(fields, row, strict=True))))
        last: tuple | None = None  # keyset of the last record handed out, as the database holds it
        self._reconnects = 0
        self._expected = self._count(table, upd, since)
        while True:
            query = sa.select(*cols).order_by(upd, sid)
            if since is not None:
                query = query.where(upd >= bind_value(upd, since))
            if last is not None:
                query = query.where(sa.or_(upd > last[0], sa.and_(upd == last[0], sid > last[1])))
            try:
                with self.engine().connect() as conn:
                    result = conn.execution_options(stream_results=True, yield_per=self.chunk_size).execute(query)
                    for row in result:
                        record = read(row)
                        last = (row[at_upd], row[at_sid])
                        yield record
                return
            except sa.exc.DBAPIError as exc:
                dropped = exc.connection_invalidated or isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError)
                if not dropped or self._reconnects >= self.max_reconnects:
                    raise SourceError(self.system, f"lỗi đọc cơ sở dữ liệu / database read failed "
                                                   f"(sau {self._reconnects} lần nối lại / after "
                                                   f"{self._reconnects} reconnects): {exc.orig}") from None
                self._reconnects += 1
                log.warning("[DOC] connection lost reading %s (%s); resuming after %s", entity, exc.orig, last)
                time.sleep(self.reconnect_wait_s)

    def _count(self, table: sa.Table, upd: sa.Column, since: dt.datetime | None) -> int:
        """Asked before the rows are read: rows written meanwhile can only add to what arrives."""
        query = sa.select(sa.func.count()).select_from(table)
        if since is not None:
            query = query.where(upd >= bind_value(upd, since))
        try:
            with self.engine().connect() as conn:
                return int(conn.execute(query).scalar_one())
        except sa.exc.DBAPIError as exc:
            raise SourceError(self.system, f"không đếm được bản ghi / cannot count rows: {exc.orig}") from None

    def count_by_unit(self, start: dt.date, end: dt.date) -> dict[str, dict[str, int]]:
        """Per source unit code, outgoing non-confidential live documents issued in [start, end] and how
        many of them were digitally signed — counted by the database, not in Python."""
        table, columns, values = self._table("documents")
        c = {f: table.c[col] for f, col in columns.items()}
        outgoing = [k for k, v in values.get("direction", {}).items() if v == "out"] or ["out"]
        signed = sa.func.sum(sa.case((truthy(c["digitally_signed"]), 1), else_=0))
        query = (sa.select(c["unit_code"], sa.func.count().label("outgoing"), signed.label("signed"))
                 .where(c["direction"].in_(outgoing), sa.not_(truthy(c["confidential"])),
                        sa.not_(truthy(c["deleted"])),
                        c["issue_date"] >= bind_value(c["issue_date"], start),
                        c["issue_date"] <= bind_value(c["issue_date"], end))
                 .group_by(c["unit_code"]).order_by(c["unit_code"]))
        try:
            with self.engine().connect() as conn:
                rows = conn.execute(query).all()
        except sa.exc.DBAPIError as exc:
            raise SourceError(self.system, f"lỗi đọc cơ sở dữ liệu / database read failed: {exc.orig}") from None
        return {unit: {"outgoing": int(n), "signed": int(s or 0)} for unit, n, s in rows}
