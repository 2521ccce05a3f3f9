"""Copy the simulated document system (doc.db) into a real database — MariaDB, PostgreSQL or SQLite —
with proper column types and, optionally, another vendor's table/column names (a DOC mapping)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import sqlalchemy as sa

from connectors.doc.mapping import MAPPINGS, VENDOR_VN
from dti.settings import TZ

# Column kinds of the simulator's vendor schema (simulators.synthetic.doc.DOC_SCHEMA).
TS = {"ngay_cap_nhat"}
DATES = {"ngay_bh"}
BOOLS = {
    "da_xoa",
    "chu_de_cds",
    "ky_so",
    "lien_co_quan",
    "qua_truc",
    "do_mat",
    "la_hscv",
    "hscv_truc_tuyen",
    "thuoc_dien_ky",
    "co_cts_ca_nhan",
}
TEXT = {"trich_yeu"}


def _column_type(source_column: str, dialect: str) -> sa.types.TypeEngine:
    if source_column in TS:
        # PostgreSQL systems usually keep a zone; MariaDB DATETIME has none and holds local time.
        return sa.DateTime(timezone=dialect == "postgresql")
    if source_column in DATES:
        return sa.Date()
    if source_column in BOOLS:
        return sa.Boolean()
    if source_column in TEXT:
        return sa.Text()
    return sa.String(128)


def _convert(source_column: str, value, dialect: str):
    if value is None:
        return None
    if source_column in TS:
        ts = dt.datetime.fromisoformat(value).astimezone(TZ)
        return ts if dialect == "postgresql" else ts.replace(tzinfo=None)
    if source_column in DATES:
        return dt.date.fromisoformat(value[:10])
    if source_column in BOOLS:
        return bool(value)
    return value


def copy_doc_db(src: str | Path, url: str, mapping: str = "qlvb-vn", batch: int = 2000) -> dict[str, int]:
    """(Re)create the mapping's tables at `url` and fill them from doc.db. Returns rows per table."""
    if mapping not in MAPPINGS:
        raise ValueError(f"không có ánh xạ '{mapping}' / unknown mapping; có: {sorted(MAPPINGS)}")
    target = MAPPINGS[mapping]
    engine = sa.create_engine(url)
    dialect = engine.dialect.name
    metadata = sa.MetaData()
    plans = []
    for entity in ("documents", "staff"):
        src_tm, dst_tm = getattr(VENDOR_VN, entity), getattr(target, entity)
        # source column -> (target column, value map source value -> target value)
        plan = {}
        for field, src_col in src_tm.columns.items():
            to_canonical = src_tm.values.get(field, {})
            from_canonical = {v: k for k, v in dst_tm.values.get(field, {}).items()}
            value_map = {s: from_canonical.get(c, c) for s, c in to_canonical.items()}
            plan[src_col] = (dst_tm.columns[field], value_map)
        columns = [
            sa.Column(dst, _column_type(src_col, dialect), primary_key=(src_col == "id"))
            for src_col, (dst, _vm) in plan.items()
        ]
        table = sa.Table(dst_tm.table, metadata, *columns)
        sa.Index(
            f"ix_{dst_tm.table}_updated",
            table.c[dst_tm.columns["updated_at"]],
            table.c[dst_tm.columns["source_id"]],
        )
        plans.append((src_tm.table, table, plan))
    metadata.drop_all(engine, checkfirst=True)
    metadata.create_all(engine)
    counts = {}
    conn_src = sqlite3.connect(f"file:{Path(src)}?mode=ro", uri=True)
    conn_src.row_factory = sqlite3.Row
    try:
        with engine.begin() as conn:
            for src_table, table, plan in plans:
                rows, n = [], 0
                for row in conn_src.execute(f"SELECT * FROM {src_table} ORDER BY id"):
                    out = {}
                    for src_col, (dst, value_map) in plan.items():
                        value = row[src_col]
                        out[dst] = _convert(src_col, value_map.get(value, value), dialect)
                    rows.append(out)
                    if len(rows) >= batch:
                        conn.execute(sa.insert(table), rows)
                        n += len(rows)
                        rows = []
                if rows:
                    conn.execute(sa.insert(table), rows)
                    n += len(rows)
                counts[table.name] = n
    finally:
        conn_src.close()
        engine.dispose()
    return counts
