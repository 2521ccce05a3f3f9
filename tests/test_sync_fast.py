"""The sync's fast paths store exactly what the SQLAlchemy paths they replace store: the SQLite
upsert through the driver (values bound by dti.sync.sqlite_value), the checksum, and the dossier
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

from dti import sync
from dti.settings import TZ
from dti.warehouse.models import RawDocument, RawDossier

SQLITE = sa.create_engine("sqlite://").dialect
ZONES = st.sampled_from([dt.UTC, TZ, ZoneInfo("America/New_York"), dt.timezone(dt.timedelta(hours=-3, minutes=-30))])


@pytest.mark.parametrize("column", [c for m in (RawDossier, RawDocument) for c in m.__table__.columns],
                         ids=lambda c: f"{c.table.name}.{c.name}")
def test_each_fast_bind_gives_what_sqlalchemy_binds(column):
    fast = sync.sqlite_value(column, SQLITE)
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
    utc = sync.sqlite_value(RawDossier.__table__.c.received_at, SQLITE)
    with pytest.raises(ValueError, match="naive datetime"):
        utc(dt.datetime(2025, 1, 1, 8, 0))
    flag = sync.sqlite_value(RawDossier.__table__.c.deleted, SQLITE)
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
    from dti.simulate.generator import generate

    root = tmp_path_factory.mktemp("fast-sync")
    generate(root, seed=13, scale="tiny")
    return root


def _synced(tmp_path, province, name: str) -> str:
    from connectors.doc.client import DocumentDb
    from connectors.dvc.simulator import DossierSimulator
    from dti.simulate.load import load_units
    from dti.warehouse import init_db

    url = f"sqlite:///{tmp_path / name}"
    init_db(url)
    load_units(province, url)
    at = dt.datetime(2026, 1, 6, 1, 0, tzinfo=TZ)
    sync.sync_source("DVC", DossierSimulator(db_path=str(province / "dvc.db")), url=url, batch_prefix="n1",
                     fetched_at=at)
    sync.sync_source("DOC", DocumentDb(url=f"sqlite:///{province / 'doc.db'}"), url=url, batch_prefix="n1",
                     fetched_at=at)
    return url


def test_the_driver_upsert_stores_what_sqlalchemy_stores(tmp_path, province, monkeypatch):
    fast = _synced(tmp_path, province, "fast.db")
    monkeypatch.setattr(sync, "_writer", lambda session, model: lambda rows: sync._upsert(session, model, rows))
    slow = _synced(tmp_path, province, "slow.db")
    for table in ("raw_procedures", "raw_dossiers", "raw_documents", "raw_staff"):
        rows = _table(fast, table)
        assert rows and rows == _table(slow, table), table


def test_a_rerun_updates_in_place_and_puts_the_cache_back(tmp_path, province):
    from connectors.dvc.simulator import DossierSimulator
    from dti.warehouse.db import get_engine

    url = _synced(tmp_path, province, "twice.db")
    query = "SELECT source_id, batch_id, checksum FROM raw_dossiers ORDER BY source_id"
    with get_engine(url).connect() as conn:
        before = conn.exec_driver_sql(query).all()
        cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    sync.sync_source("DVC", DossierSimulator(db_path=str(province / "dvc.db")), url=url, batch_prefix="n2",
                     fetched_at=dt.datetime(2026, 1, 7, 1, 0, tzinfo=TZ), full=True)
    with get_engine(url).connect() as conn:
        after = conn.exec_driver_sql(query).all()
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == cache != -sync.SQLITE_SYNC_CACHE_KIB
    assert [r[0] for r in after] == [r[0] for r in before]  # updated in place, nothing added
    assert {r[1] for r in after} == {"n2-DVC-dossiers"}
    assert [r[2] for r in after] == [r[2] for r in before]  # same records, same checksums


def test_checksum_is_deterministic_and_follows_the_record():
    record = {"source_id": "D-1", "updated_at": dt.datetime(2025, 7, 24, 8, 0, tzinfo=TZ), "deleted": False,
              "due_at": None, "issue_date": dt.date(2025, 7, 24), "channel": 2, "status": "done"}
    same_instant = dict(record, updated_at=dt.datetime(2025, 7, 24, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))))
    reordered = dict(reversed(list(record.items())))
    assert sync.record_checksum(record) == sync.record_checksum(same_instant) == sync.record_checksum(reordered)
    assert len(sync.record_checksum(record)) == 64
    for change in ({"status": "processing"}, {"deleted": True}, {"due_at": record["updated_at"]},
                   {"updated_at": record["updated_at"] + dt.timedelta(microseconds=1)}):
        assert sync.record_checksum({**record, **change}) != sync.record_checksum(record), change
    assert sync.record_checksum({**record, "big": 2 ** 70}) == sync.record_checksum({**record, "big": 2 ** 70})


def test_dossier_flags_from_sql_match_the_pandas_predicates(tmp_path, province):
    from dti.warehouse.db import get_engine
    from expectations.raw_sources import dossier_flags

    url = _synced(tmp_path, province, "flags.db")
    with get_engine(url).begin() as conn:  # plant every case: before, equal, after, missing
        conn.execute(sa.text("UPDATE raw_dossiers SET due_at = received_at WHERE rowid % 7 = 0"))
        conn.execute(sa.text("UPDATE raw_dossiers SET finished_at = NULL WHERE rowid % 5 = 0"))
        conn.execute(sa.text("UPDATE raw_dossiers SET due_at = NULL WHERE rowid % 11 = 0"))
        d = RawDossier
        df = pd.DataFrame(conn.execute(sa.select(d.received_at, d.due_at, d.finished_at, *dossier_flags())).all())
    received = pd.to_datetime(df["received_at"], utc=True)
    due = (pd.to_datetime(df["due_at"], utc=True) >= received) | df["due_at"].isna()
    finished = (pd.to_datetime(df["finished_at"], utc=True) >= received) | df["finished_at"].isna()
    assert 0 < (~finished).sum() < len(df) and (df["due_at"] == df["received_at"]).any()
    assert (df["due_after_received"].astype(bool) == due).all()
    assert (df["finished_after_received"].astype(bool) == finished).all()
