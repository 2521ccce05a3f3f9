"""The sync's fast paths store exactly what the SQLAlchemy paths they replace store: the SQLite
upsert through the driver (values bound by dti.sync.writers.sqlite_value), the checksum, and the dossier
predicates the raw-record suite now gets from SQL."""

from __future__ import annotations

import datetime as dt
import sqlite3
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from connectors.doc.client import DocumentDb
from dti import sync
from dti.settings import TZ
from dti.sync import engine, writers
from dti.warehouse import init_db
from dti.warehouse.db import get_engine
from dti.warehouse.models import RawDocument, RawDossier
from expectations.raw_sources import dossier_flags
from simulators.generator import generate
from simulators.in_process import DossierSimulator
from simulators.load import load_units

SQLITE = sa.create_engine("sqlite://").dialect
ZONES = st.sampled_from(
    [dt.UTC, TZ, ZoneInfo("America/New_York"), dt.timezone(dt.timedelta(hours=-3, minutes=-30))]
)


@pytest.mark.parametrize(
    "column",
    [c for m in (RawDossier, RawDocument) for c in m.__table__.columns],
    ids=lambda c: f"{c.table.name}.{c.name}",
)
def test_each_fast_bind_gives_what_sqlalchemy_binds(column):
    fast = writers.sqlite_value(column, SQLITE)
    process = column.type.dialect_impl(SQLITE).bind_processor(SQLITE)
    assert (fast is None) == (process is None)
    if fast is None:
        return
    if isinstance(column.type, sa.DateTime):
        values = st.one_of(st.none(), st.datetimes(min_value=dt.datetime(1900, 1, 1), timezones=ZONES))
    elif isinstance(column.type, sa.Date):
        values = st.one_of(st.none(), st.dates())
    elif isinstance(column.type, sa.Boolean):
        values = st.sampled_from([None, True, False, 0, 1])
    else:
        values = st.none()

    @settings(max_examples=200, deadline=None, derandomize=True)
    @given(values)
    def same(value):
        assert fast(value) == process(value)

    same()


def test_the_fast_binds_refuse_what_sqlalchemy_refuses():
    utc = writers.sqlite_value(RawDossier.__table__.c.received_at, SQLITE)
    with pytest.raises(ValueError, match="naive datetime"):
        utc(dt.datetime(2025, 1, 1, 8, 0))
    flag = writers.sqlite_value(RawDossier.__table__.c.deleted, SQLITE)
    with pytest.raises(TypeError):
        flag("yes")


def _table(url: str, name: str) -> list[tuple]:
    path = url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path)
    try:
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({name})")]
        typed = ", ".join(f"{c}, typeof({c})" for c in cols)
        return conn.execute(f"SELECT {typed} FROM {name} ORDER BY source_id").fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    root = tmp_path_factory.mktemp("fast-sync")
    generate(root, seed=13, scale="tiny")
    return root


def _synced(tmp_path, province, name: str, url: str | None = None, migrate: bool = True) -> str:
    url = url or f"sqlite:///{tmp_path / name}"
    if migrate:
        init_db(url)
        load_units(province, url)
    at = dt.datetime(2026, 1, 6, 1, 0, tzinfo=TZ)
    sync.sync_source(
        "DVC", DossierSimulator(db_path=str(province / "dvc.db")), url=url, batch_prefix="n1", fetched_at=at
    )
    sync.sync_source(
        "DOC", DocumentDb(url=f"sqlite:///{province / 'doc.db'}"), url=url, batch_prefix="n1", fetched_at=at
    )
    return url


def test_the_driver_upsert_stores_what_sqlalchemy_stores(tmp_path, province, monkeypatch):
    fast = _synced(tmp_path, province, "fast.db")
    _sqlalchemy_writer(monkeypatch)
    slow = _synced(tmp_path, province, "slow.db")
    for table in ("raw_procedures", "raw_dossiers", "raw_documents", "raw_staff"):
        rows = _table(fast, table)
        assert rows and rows == _table(slow, table), table


def test_a_rerun_updates_in_place_and_puts_the_cache_back(tmp_path, province):
    url = _synced(tmp_path, province, "twice.db")
    query = "SELECT source_id, batch_id, checksum FROM raw_dossiers ORDER BY source_id"
    with get_engine(url).connect() as conn:
        before = conn.exec_driver_sql(query).all()
        cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    sync.sync_source(
        "DVC",
        DossierSimulator(db_path=str(province / "dvc.db")),
        url=url,
        batch_prefix="n2",
        fetched_at=dt.datetime(2026, 1, 7, 1, 0, tzinfo=TZ),
        full=True,
    )
    with get_engine(url).connect() as conn:
        after = conn.exec_driver_sql(query).all()
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == cache != -writers.SQLITE_SYNC_CACHE_KIB
    assert [r[0] for r in after] == [r[0] for r in before]  # updated in place, nothing added
    assert {r[1] for r in after} == {"n2-DVC-dossiers"}
    assert [r[2] for r in after] == [r[2] for r in before]  # same records, same checksums


def test_checksum_is_deterministic_and_follows_the_record():
    record = {
        "source_id": "D-1",
        "updated_at": dt.datetime(2025, 7, 24, 8, 0, tzinfo=TZ),
        "deleted": False,
        "due_at": None,
        "issue_date": dt.date(2025, 7, 24),
        "channel": 2,
        "status": "done",
    }
    same_instant = dict(
        record, updated_at=dt.datetime(2025, 7, 24, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    )
    reordered = dict(reversed(list(record.items())))
    assert (
        sync.record_checksum(record) == sync.record_checksum(same_instant) == sync.record_checksum(reordered)
    )
    assert len(sync.record_checksum(record)) == 64
    for change in (
        {"status": "processing"},
        {"deleted": True},
        {"due_at": record["updated_at"]},
        {"updated_at": record["updated_at"] + dt.timedelta(microseconds=1)},
    ):
        assert sync.record_checksum({**record, **change}) != sync.record_checksum(record), change
    assert sync.record_checksum({**record, "big": 2**70}) == sync.record_checksum({**record, "big": 2**70})


def test_dossier_flags_from_sql_match_the_pandas_predicates(tmp_path, province):
    url = _synced(tmp_path, province, "flags.db")
    with get_engine(url).begin() as conn:  # plant every case: before, equal, after, missing
        conn.execute(sa.text("UPDATE raw_dossiers SET due_at = received_at WHERE rowid % 7 = 0"))
        conn.execute(sa.text("UPDATE raw_dossiers SET finished_at = NULL WHERE rowid % 5 = 0"))
        conn.execute(sa.text("UPDATE raw_dossiers SET due_at = NULL WHERE rowid % 11 = 0"))
        d = RawDossier
        df = pd.DataFrame(
            conn.execute(sa.select(d.received_at, d.due_at, d.finished_at, *dossier_flags())).all()
        )
    received = pd.to_datetime(df["received_at"], utc=True)
    due = (pd.to_datetime(df["due_at"], utc=True) >= received) | df["due_at"].isna()
    finished = (pd.to_datetime(df["finished_at"], utc=True) >= received) | df["finished_at"].isna()
    assert 0 < (~finished).sum() < len(df) and (df["due_at"] == df["received_at"]).any()
    assert (df["due_after_received"].astype(bool) == due).all()
    assert (df["finished_after_received"].astype(bool) == finished).all()


RAW_TABLES = ("raw_procedures", "raw_dossiers", "raw_documents", "raw_staff")


def _stored(url: str, table: str) -> list[tuple]:
    with get_engine(url).connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY source_id")]


def _sqlalchemy_writer(monkeypatch):
    monkeypatch.setattr(
        engine, "writer_for", lambda session, model: lambda rows: writers.upsert(session, model, rows)
    )


@pytest.mark.postgres
def test_the_postgres_copy_upsert_stores_what_sqlalchemy_stores(tmp_path, province, pg_url, monkeypatch):
    """The same records synced through COPY and through SQLAlchemy's INSERT … ON CONFLICT: the same rows,
    first into empty tables (no conflicts) and again over them (every row a conflict)."""
    _synced(tmp_path, province, "", url=pg_url)
    copied = {t: _stored(pg_url, t) for t in RAW_TABLES}
    assert all(copied.values())
    _synced(tmp_path, province, "", url=pg_url, migrate=False)  # over the rows already there
    assert {t: _stored(pg_url, t) for t in RAW_TABLES} == copied
    with get_engine(pg_url).begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {', '.join(RAW_TABLES)}, sync_watermarks")
    _sqlalchemy_writer(monkeypatch)
    _synced(tmp_path, province, "", url=pg_url, migrate=False)
    assert {t: _stored(pg_url, t) for t in RAW_TABLES} == copied


@pytest.mark.postgres
def test_the_postgres_copy_keeps_awkward_text_exact_and_refuses_naive_times(pg_url, monkeypatch):
    """Quotes, commas, line breaks, an empty string beside NULL, Vietnamese text: COPY's CSV must bring
    each back exactly as SQLAlchemy's bound parameters do."""
    init_db(pg_url)
    at = dt.datetime(2025, 7, 1, 8, 30, 15, 123456, tzinfo=TZ)
    awkward = ['Số 12/KH-UBND, "khẩn"', "", None, "dòng một\ndòng hai", "a\\b;c\tđ", " "]

    def rows(prefix: str) -> list[dict]:
        return [
            {
                "source_id": f"{prefix}-{i}",
                "unit_code": "U1",
                "source_unit_code": "U1",
                "direction": "out",
                "number": text,
                "notation": text,
                "summary": text,
                "issue_date": dt.date(2025, 7, 1),
                "doc_type": "KH",
                "topic_dx": i % 2 == 0,
                "signer_role": None,
                "digitally_signed": True,
                "inter_agency": False,
                "via_axis": False,
                "axis_status": text and text[:16],
                "confidential": False,
                "work_file": False,
                "work_file_online": False,
                "updated_at": at,
                "deleted": False,
                "checksum": "c" * 64,
                "batch_id": "b",
                "fetched_at": at,
            }
            for i, text in enumerate(awkward)
        ]

    columns = {c.name for c in RawDocument.__table__.columns}
    assert set(rows("x")[0]) == columns  # every column given, none left to a default
    with Session(get_engine(pg_url)) as session:
        writers.writer_for(session, RawDocument)(rows("copy"))
        writers.upsert(session, RawDocument, rows("bound"))
        session.commit()
        with pytest.raises(ValueError, match="naive datetime"):
            writers.writer_for(session, RawDocument)(
                [dict(rows("naive")[0], updated_at=at.replace(tzinfo=None))]
            )
    with get_engine(pg_url).connect() as conn:
        stored = conn.exec_driver_sql("SELECT * FROM raw_documents ORDER BY source_id").mappings().all()
    copied = [
        {k: v for k, v in r.items() if k != "source_id"} for r in stored if r["source_id"].startswith("copy-")
    ]
    bound = [
        {k: v for k, v in r.items() if k != "source_id"}
        for r in stored
        if r["source_id"].startswith("bound-")
    ]
    assert len(copied) == len(awkward) and copied == bound
    assert [r["notation"] for r in copied] == awkward


@pytest.mark.postgres
def test_a_first_postgres_sync_leaves_planner_statistics(tmp_path, province, pg_url):
    """A table filled from empty is analysed at the end of its first sync, so the metrics that follow are
    planned for the rows it holds, not for an empty table, without waiting for autovacuum."""
    _synced(tmp_path, province, "", url=pg_url)
    with get_engine(pg_url).connect() as conn:
        analysed = dict(
            conn.exec_driver_sql(
                "SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables "
                "WHERE relname IN ('raw_dossiers', 'raw_documents', 'raw_procedures')"
            ).all()
        )
        columns = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_stats WHERE tablename = 'raw_dossiers'"
        ).scalar_one()
    assert analysed == {"raw_dossiers": True, "raw_documents": True, "raw_procedures": True}
    assert columns > 10
    # Vacuumed too (an index-only scan needs the visibility map), and the metrics' covering index rebuilt after
    # the load, in the order the metrics number a unit's records: unit, source id, byte by byte.
    with get_engine(pg_url).connect() as conn:
        vacuumed = dict(conn.exec_driver_sql(
            "SELECT relname, last_vacuum IS NOT NULL FROM pg_stat_user_tables "
            "WHERE relname IN ('raw_dossiers', 'raw_documents')").all())
        indexes = dict(conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname "
            "IN ('ix_raw_documents_metrics_pg', 'ix_raw_dossiers_metrics_pg')").all())
    assert vacuumed == {"raw_dossiers": True, "raw_documents": True}
    assert sorted(indexes) == ["ix_raw_documents_metrics_pg", "ix_raw_dossiers_metrics_pg"]
    assert '(unit_code COLLATE "C", source_id COLLATE "C") INCLUDE (deleted, received_at' in \
        indexes["ix_raw_dossiers_metrics_pg"]
