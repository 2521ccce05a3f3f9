"""DOC connector: the same canonical records from SQLite, MariaDB and PostgreSQL, under two vendor
mappings; aggregation in SQL; a connection dropped mid-read loses and repeats nothing."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
import sqlalchemy as sa

from connectors.base import SchemaDriftError, SourceError
from connectors.doc.client import DocumentDb
from simulators.docdb import copy_doc_db

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    from simulators.generator import generate

    root = tmp_path_factory.mktemp("province")
    generate(root, seed=11, scale="tiny")
    return root


@pytest.fixture(scope="module")
def reference(province):
    db = DocumentDb(url=f"sqlite:///{province / 'doc.db'}", chunk_size=97)
    return {e: list(db.fetch(e)) for e in db.entities}


def _by_id(records):
    return {r["source_id"]: r for r in records}


def _python_counts(province):
    """Signed/outgoing per unit computed record by record, straight from the vendor table."""
    conn = sqlite3.connect(province / "doc.db")
    out: dict[str, dict[str, int]] = {}
    for unit, signed in conn.execute("SELECT ma_dv, ky_so FROM vb_van_ban WHERE huong = 'di' AND do_mat = 0 "
                                     "AND da_xoa = 0 AND ngay_bh BETWEEN '2025-01-01' AND '2025-12-31'"):
        slot = out.setdefault(unit, {"outgoing": 0, "signed": 0})
        slot["outgoing"] += 1
        slot["signed"] += signed
    conn.close()
    return out


def _check_same(url, mapping, province, reference):
    db = DocumentDb(url=url, mapping=mapping, chunk_size=97)
    try:
        for entity, expected in reference.items():
            got = list(db.fetch(entity))
            assert len(got) == len({r["source_id"] for r in got}) == len(expected)
            assert _by_id(got) == _by_id(expected)
            # oldest first, as the interface promises (ties in any order the database collates)
            assert [r["updated_at"] for r in got] == sorted(r["updated_at"] for r in got)
        docs = reference["documents"]
        since = docs[len(docs) // 2]["updated_at"]
        later = list(db.fetch("documents", since))
        assert _by_id(later) == {k: v for k, v in _by_id(docs).items() if v["updated_at"] >= since}
        # a UTC watermark (as the warehouse stores it) selects the same records as a local one
        assert len(list(db.fetch("documents", since.astimezone(dt.UTC)))) == len(later)
        assert db.count_by_unit(*YEAR) == _python_counts(province)
    finally:
        db.dispose()


def test_sqlite_vendor_schema_reads_canonical_records(reference):
    docs = reference["documents"]
    assert docs and {r["direction"] for r in docs} == {"out", "in"}
    assert isinstance(docs[0]["issue_date"], dt.date) and docs[0]["updated_at"].tzinfo is not None


@pytest.mark.parametrize("mapping", ["qlvb-vn", "docman-en"])
def test_sqlite_copy_with_either_mapping_gives_the_same_records(tmp_path, province, reference, mapping):
    url = f"sqlite:///{tmp_path / 'doc-copy.db'}"
    counts = copy_doc_db(province / "doc.db", url, mapping)
    assert sum(counts.values()) == sum(len(v) for v in reference.values())
    _check_same(url, mapping, province, reference)


def test_english_mapping_really_uses_english_names(tmp_path, province):
    url = f"sqlite:///{tmp_path / 'en.db'}"
    copy_doc_db(province / "doc.db", url, "docman-en")
    insp = sa.inspect(sa.create_engine(url))
    assert set(insp.get_table_names()) == {"documents", "users"}
    assert "is_e_signed" in {c["name"] for c in insp.get_columns("documents")}
    with pytest.raises(SourceError, match="table not found"):
        list(DocumentDb(url=url, mapping="qlvb-vn").fetch("documents"))


def test_missing_column_is_schema_drift_naming_it(tmp_path, province):
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    copy_doc_db(province / "doc.db", url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE vb_van_ban RENAME COLUMN ky_so TO ky_so_dien_tu"))
    engine.dispose()
    with pytest.raises(SchemaDriftError) as exc:
        list(DocumentDb(url=url).fetch("documents"))
    assert exc.value.field == "digitally_signed" and "ky_so" in str(exc.value)


def test_unknown_mapping_is_clear():
    with pytest.raises(SourceError, match="unknown mapping"):
        list(DocumentDb(url="sqlite://", mapping="nope").fetch("documents"))


@pytest.mark.postgres
@pytest.mark.parametrize("mapping", ["qlvb-vn", "docman-en"])
def test_postgres_gives_the_same_records(pg_url, province, reference, mapping):
    copy_doc_db(province / "doc.db", pg_url, mapping)
    engine = sa.create_engine(pg_url)
    table = "vb_van_ban" if mapping == "qlvb-vn" else "documents"
    types = {c["name"]: c["type"] for c in sa.inspect(engine).get_columns(table)}
    engine.dispose()
    upd = "ngay_cap_nhat" if mapping == "qlvb-vn" else "modified_at"
    assert isinstance(types[upd], sa.DateTime) and types[upd].timezone
    _check_same(pg_url, mapping, province, reference)


@pytest.mark.mariadb
@pytest.mark.parametrize("mapping", ["qlvb-vn", "docman-en"])
def test_mariadb_gives_the_same_records(mariadb_url, province, reference, mapping):
    copy_doc_db(province / "doc.db", mariadb_url, mapping)
    engine = sa.create_engine(mariadb_url)
    table = "vb_van_ban" if mapping == "qlvb-vn" else "documents"
    types = {c["name"]: c["type"] for c in sa.inspect(engine).get_columns(table)}
    engine.dispose()
    upd = "ngay_cap_nhat" if mapping == "qlvb-vn" else "modified_at"
    assert isinstance(types[upd], sa.DateTime) and not types[upd].timezone  # DATETIME, local time
    _check_same(mariadb_url, mapping, province, reference)


def _kill_readers(admin_url: str, database: str, kind: str) -> int:
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if kind == "postgres":
                return conn.execute(sa.text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                            "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": database}).scalar()
            ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM information_schema.processlist WHERE db = :d"),
                                              {"d": database})]
            for pid in ids:
                conn.execute(sa.text(f"KILL {int(pid)}"))
            return len(ids)
    finally:
        engine.dispose()


def _dropped_mid_read(url: str, admin_url: str, kind: str, province, reference):
    copy_doc_db(province / "doc.db", url)
    database = sa.engine.make_url(url).database
    db = DocumentDb(url=url, chunk_size=50, reconnect_wait_s=0.05)
    got = []
    killed = 0
    for i, record in enumerate(db.fetch("documents")):
        got.append(record)
        if i == 120:  # a few chunks in, with the server-side cursor open
            killed = _kill_readers(admin_url, database, kind)
    db.dispose()
    assert killed >= 1
    assert db.reconnects >= 1
    ids = [r["source_id"] for r in got]
    assert len(ids) == len(set(ids))  # nothing counted twice
    assert _by_id(got) == _by_id(reference["documents"])  # nothing lost


@pytest.mark.postgres
def test_postgres_connection_dropped_mid_read_resumes(pg_url, province, reference):
    from tests.conftest import PG_ADMIN_URL

    _dropped_mid_read(pg_url, PG_ADMIN_URL, "postgres", province, reference)


@pytest.mark.mariadb
def test_mariadb_connection_dropped_mid_read_resumes(mariadb_url, province, reference):
    from tests.conftest import MARIADB_ADMIN_URL

    _dropped_mid_read(mariadb_url, MARIADB_ADMIN_URL, "mysql", province, reference)


def test_reconnects_are_bounded(tmp_path, province, monkeypatch):
    """A database that keeps dropping the connection ends in a SourceError, not a loop."""
    url = f"sqlite:///{tmp_path / 'doc.db'}"
    copy_doc_db(province / "doc.db", url)
    db = DocumentDb(url=url, chunk_size=50, max_reconnects=2, reconnect_wait_s=0.0)
    calls = {"n": 0}
    real = sa.Connection.execution_options

    def dropping(self, *args, **kw):
        if kw.get("stream_results"):  # every streaming read fails, as if the server went away
            calls["n"] += 1
            raise sa.exc.OperationalError("SELECT", {}, Exception("server has gone away"))
        return real(self, *args, **kw)

    monkeypatch.setattr(sa.Connection, "execution_options", dropping)
    with pytest.raises(SourceError, match="after 2 reconnects"):
        list(db.fetch("documents"))
    assert calls["n"] == 3  # the first try and two reconnects


def test_in_process_simulators_accept_a_utc_watermark(province):
    from simulators.in_process import DossierSimulator

    sim = DossierSimulator(db_path=str(province / "dvc.db"))
    records = list(sim.fetch("dossiers"))
    since = records[len(records) // 2]["updated_at"]
    local = list(sim.fetch("dossiers", since))
    assert local == [r for r in records if r["updated_at"] >= since]
    assert list(sim.fetch("dossiers", since.astimezone(dt.UTC))) == local


def test_unknown_coded_value_is_drift(tmp_path, province):
    url = f"sqlite:///{tmp_path / 'codes.db'}"
    copy_doc_db(province / "doc.db", url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE vb_van_ban SET huong = 'DI' WHERE id = (SELECT MIN(id) FROM vb_van_ban)"))
    engine.dispose()
    with pytest.raises(SchemaDriftError) as exc:
        list(DocumentDb(url=url).fetch("documents"))
    assert exc.value.field == "direction" and "'DI'" in str(exc.value) and "huong" in str(exc.value)
