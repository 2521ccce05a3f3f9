"""Incremental sync through the real clients and the HTTP simulators: provenance, idempotent reruns,
late updates and tombstones, per-unit watermarks, and failures that leave earlier data untouched.
(Old unit codes through the unit registry: tests/core/test_sync_units.py.)"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.base import SourceError
from connectors.doc.client import DocumentDb
from connectors.dvc.client import DossierApi
from connectors.sec.client import SecurityApi, SecurityCsvExport
from dti.settings import TZ
from dti.sync import loading, sync_entity, sync_source
from dti.sync.engine import OVERLAP
from dti.warehouse import init_db
from dti.warehouse.db import get_engine
from dti.warehouse.models import (
    RawDocument,
    RawDossier,
    RawIncident,
    RawProcedure,
    SourceStatus,
    SyncWatermark,
)
from simulators.changes import mutate
from simulators.generator import generate
from simulators.in_process import DossierSimulator
from simulators.load import load_units
from simulators.server import SimulatorServer

FAST = dict(
    connect_timeout=0.5,
    read_timeout=0.3,
    backoff_base_s=0.01,
    backoff_max_s=0.2,
    jitter_seed=7,
    max_total_wait_s=5.0,
)
NIGHT1 = dt.datetime(2026, 1, 6, 1, 0, tzinfo=TZ)
NIGHT2 = dt.datetime(2026, 1, 7, 1, 0, tzinfo=TZ)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp("province")
    generate(root, seed=11, scale="tiny")
    return root


@pytest.fixture
def province(generated, tmp_path):
    """A private copy: some tests apply a night of changes to it."""
    root = tmp_path / "province"
    shutil.copytree(generated, root)
    return root


@pytest.fixture
def wh(warehouse, province):
    load_units(province, warehouse)
    return warehouse


def _rows(url, model):
    with Session(get_engine(url)) as s:
        return [
            dict(r)
            for r in s.execute(sa.select(model.__table__).order_by(model.__table__.c.source_id)).mappings()
        ]


def _overlap(url, source, entity, model) -> set[str]:
    """Ids the next run re-reads anyway: those in the watermark's last second (see dti.sync.engine.OVERLAP)."""
    with Session(get_engine(url)) as s:
        wm = s.get(SyncWatermark, (source, entity, "*")).watermark
        return set(s.scalars(sa.select(model.source_id).where(model.updated_at >= wm - OVERLAP)))


def _sim_count(root, db, table, where="1=1"):
    conn = sqlite3.connect(root / db)
    try:
        return conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}").fetchone()[0]
    finally:
        conn.close()


def test_full_sync_keeps_provenance_and_maps_old_unit_codes(wh, province):
    with SimulatorServer(province) as sims:
        api = DossierApi(base_url=sims.dvc_url, token=sims.token, page_size=200, **FAST)
        results = sync_source("DVC", api, url=wh, batch_prefix="n1", fetched_at=NIGHT1)
    assert [r.entity for r in results] == ["procedures", "dossiers"]
    assert results[1].records == _sim_count(province, "dvc.db", "dossiers")
    assert results[1].tombstones == _sim_count(province, "dvc.db", "dossiers", "deleted = 1") > 0
    with Session(get_engine(wh)) as s:
        rows = s.scalars(sa.select(RawDossier)).all()
        assert len(rows) == results[1].records
        assert {r.batch_id for r in rows} == {"n1-DVC-dossiers"}
        assert all(r.fetched_at == NIGHT1 and len(r.checksum) == 64 for r in rows)
        remapped = [r for r in rows if r.source_unit_code != r.unit_code]
        assert remapped and results[1].remapped_units == len(remapped)
        links = json.loads((province / "units.json").read_text(encoding="utf-8"))["links"]
        successor = {link["predecessor_code"]: link["successor_code"] for link in links}
        assert all(successor[r.source_unit_code] == r.unit_code for r in remapped)
        status = s.get(SourceStatus, "DVC")
        assert status.ok and status.last_success_at == NIGHT1
        assert s.get(SyncWatermark, ("DVC", "dossiers", "*")).watermark == max(r.updated_at for r in rows)


def test_rerun_is_idempotent(wh, province):
    with SimulatorServer(province) as sims:
        api = DossierApi(base_url=sims.dvc_url, token=sims.token, page_size=200, **FAST)
        sync_source("DVC", api, url=wh, batch_prefix="n1", fetched_at=NIGHT1)
        first = _rows(wh, RawDossier)
        overlap = _overlap(wh, "DVC", "dossiers", RawDossier)
        again = sync_source("DVC", api, url=wh, batch_prefix="n1", fetched_at=NIGHT1)
        assert _rows(wh, RawDossier) == first  # same night again: exactly the same rows
        later = sync_source("DVC", api, url=wh, batch_prefix="n2", fetched_at=NIGHT2)
    assert again[1].records == len(overlap) < 20  # only the watermark's last second is re-read
    now = _rows(wh, RawDossier)
    assert later[1].records == len(overlap)
    assert len(now) == len(first)
    strip = ("batch_id", "fetched_at")
    assert [{k: v for k, v in r.items() if k not in strip} for r in now] == [
        {k: v for k, v in r.items() if k not in strip} for r in first
    ]  # nothing changed in the source


def test_night_of_changes_late_updates_and_tombstones(wh, province):
    with SimulatorServer(province) as sims:
        api = DossierApi(base_url=sims.dvc_url, token=sims.token, page_size=200, **FAST)
        sync_source("DVC", api, url=wh, batch_prefix="n1", fetched_at=NIGHT1)
        before = {r["source_id"]: r for r in _rows(wh, RawDossier)}
        overlap = _overlap(wh, "DVC", "dossiers", RawDossier)
        changes = mutate(province, fraction=0.02, seed=3)["dossiers"]
        result = sync_source("DVC", api, url=wh, batch_prefix="n2", fetched_at=NIGHT2)[1]
    touched = set(changes["new"]) | set(changes["changed"]) | set(changes["deleted"])
    assert len(touched) == 90
    assert result.records == len(touched | overlap)
    assert result.tombstones == len(changes["deleted"])
    with Session(get_engine(wh)) as s:
        rows = {r.source_id: r for r in s.scalars(sa.select(RawDossier))}
    assert len(rows) == len(before) + len(changes["new"])
    for sid in changes["deleted"]:
        assert rows[sid].deleted and rows[sid].batch_id == "n2-DVC-dossiers"  # tombstone kept, not dropped
    for sid in changes["changed"]:  # a late update to an old record replaces the stored copy
        assert rows[sid].synced_portal != before[sid]["synced_portal"]
        assert rows[sid].checksum != before[sid]["checksum"]
        assert rows[sid].batch_id == "n2-DVC-dossiers"
    for sid in changes["new"]:
        assert rows[sid].fetched_at == NIGHT2
    untouched = set(before) - touched - overlap
    assert all(rows[sid].batch_id == "n1-DVC-dossiers" for sid in untouched)


@pytest.mark.slow
def test_flaky_run_gives_exactly_the_rows_of_a_clean_run(tmp_path, province, monkeypatch):
    dumps = {}
    for profile in ("none", "flaky"):
        url = f"sqlite:///{tmp_path / f'{profile}.db'}"
        init_db(url)
        load_units(province, url)
        with SimulatorServer(province, faults=profile, seed=9, retry_after=0, slow_seconds=0.8) as sims:
            dvc = DossierApi(base_url=sims.dvc_url, token=sims.token, page_size=50, **FAST)
            sec = SecurityApi(base_url=sims.sec_url, token=sims.token, page_size=3, **FAST)
            sync_source("DVC", dvc, url=url, batch_prefix="n1", fetched_at=NIGHT1)
            sync_source("SEC", sec, url=url, batch_prefix="n1", fetched_at=NIGHT1)
            injected = sims.injector.injected()
        dumps[profile] = [_rows(url, m) for m in (RawProcedure, RawDossier, RawIncident)]
        assert bool(injected) == (profile == "flaky")
    assert dumps["flaky"] == dumps["none"]


def test_source_down_fails_fast_and_keeps_earlier_data(wh, province):
    with SimulatorServer(province) as sims:
        api = DossierApi(base_url=sims.dvc_url, token=sims.token, page_size=200, **FAST)
        sync_source("DVC", api, url=wh, batch_prefix="n1", fetched_at=NIGHT1)
    before = _rows(wh, RawDossier)
    mutate(province, fraction=0.05, seed=1)
    with SimulatorServer(province, faults="dvc-down", retry_after=1) as sims:
        api = DossierApi(
            base_url=sims.dvc_url, token=sims.token, page_size=200, **{**FAST, "max_total_wait_s": 2}
        )
        with pytest.raises(SourceError, match="503"):
            sync_source("DVC", api, url=wh, batch_prefix="n2", fetched_at=NIGHT2)
    assert _rows(wh, RawDossier) == before
    with Session(get_engine(wh)) as s:
        status = s.get(SourceStatus, "DVC")
        assert not status.ok and "503" in status.error and status.last_success_at == NIGHT1
        assert status.last_attempt_at == NIGHT2
        assert s.get(SyncWatermark, ("DVC", "dossiers", "*")).updated_at == NIGHT1


def test_failure_within_the_first_chunk_writes_nothing(wh, province):
    def broken(since):
        for i, record in enumerate(
            DossierSimulator(db_path=str(province / "dvc.db")).fetch("dossiers", since)
        ):
            if i == 700:
                raise SourceError("DVC", "mất kết nối giữa chừng / connection lost mid-stream")
            yield record

    with pytest.raises(SourceError):
        sync_entity("DVC", "dossiers", broken, url=wh, batch_id="b1", fetched_at=NIGHT1)
    assert _rows(wh, RawDossier) == []
    with Session(get_engine(wh)) as s:
        assert s.get(SyncWatermark, ("DVC", "dossiers", "*")) is None


def _dossiers_then(province, at: int, action):
    """The simulator's dossiers, calling `action()` when the stream reaches record `at`."""

    def fetch(since):
        for i, record in enumerate(
            DossierSimulator(db_path=str(province / "dvc.db")).fetch("dossiers", since)
        ):
            if i == at:
                action()
            yield record

    return fetch


def test_a_sync_holds_the_warehouse_write_lock_one_chunk_at_a_time(wh, province, monkeypatch):
    """SQLite has one writer at a time: another writer (a second source's sync, check history, the
    review app) must get its turn between chunks, not wait for a whole sync."""
    monkeypatch.setattr(loading, "CHUNK", 200)
    path = wh.removeprefix("sqlite:///")

    def other_writer():
        con = sqlite3.connect(path, timeout=1)  # "database is locked" after 1 s if the sync held the lock
        try:
            con.execute("UPDATE units SET code = code WHERE code = (SELECT min(code) FROM units)")
            con.commit()
        finally:
            con.close()

    result = sync_entity(
        "DVC",
        "dossiers",
        _dossiers_then(province, 450, other_writer),
        url=wh,
        batch_id="b1",
        fetched_at=NIGHT1,
    )
    assert result.records == len(_rows(wh, RawDossier)) > 450


def test_a_failure_after_some_chunks_keeps_them_but_not_the_watermark(wh, province, monkeypatch):
    monkeypatch.setattr(loading, "CHUNK", 200)

    def lost():
        raise SourceError("DVC", "mất kết nối giữa chừng / connection lost mid-stream")

    with pytest.raises(SourceError):
        sync_entity(
            "DVC", "dossiers", _dossiers_then(province, 450, lost), url=wh, batch_id="b1", fetched_at=NIGHT1
        )
    assert len(_rows(wh, RawDossier)) == 400  # two whole chunks were committed
    with Session(get_engine(wh)) as s:
        assert s.get(SyncWatermark, ("DVC", "dossiers", "*")) is None  # so the next sync reads them again
    again = sync_entity(
        "DVC",
        "dossiers",
        _dossiers_then(province, -1, lambda: None),
        url=wh,
        batch_id="b2",
        fetched_at=NIGHT2,
    )
    assert len(_rows(wh, RawDossier)) == again.records == _sim_count(province, "dvc.db", "dossiers")


def test_per_unit_watermarks_include_predecessor_codes(wh, province):
    units = json.loads((province / "units.json").read_text(encoding="utf-8"))
    links = units["links"]
    successor = links[0]["successor_code"]
    other = next(u["code"] for u in units["units"] if u["valid_to"] is None and u["code"] != successor)
    with SimulatorServer(province) as sims:
        api = DossierApi(base_url=sims.dvc_url, token=sims.token, page_size=200, **FAST)
        results = sync_source(
            "DVC", api, url=wh, batch_prefix="u1", fetched_at=NIGHT1, units=[successor, other]
        )
        with Session(get_engine(wh)) as s:
            marks = {(w.entity, w.unit_code) for w in s.scalars(sa.select(SyncWatermark))}
            rows = s.scalars(sa.select(RawDossier)).all()
        assert marks == {(e, u) for e in ("procedures", "dossiers") for u in (successor, other)}
        assert {r.unit_code for r in rows} == {successor, other}
        expected = _sim_count(
            province,
            "dvc.db",
            "dossiers",
            f"unit_code IN ('{successor}', '{other}', '{links[0]['predecessor_code']}')",
        )
        assert len(rows) == expected
        assert any(r.source_unit_code == links[0]["predecessor_code"] for r in rows)
        assert len(results) == 4
        again = sync_source(
            "DVC", api, url=wh, batch_prefix="u2", fetched_at=NIGHT2, units=[successor, other]
        )
    assert all(r.since is not None for r in again)


def test_per_unit_needs_a_unit_filter(wh, province):
    with pytest.raises(ValueError, match="unit"):
        sync_source(
            "DOC",
            DocumentDb(url=f"sqlite:///{province / 'doc.db'}"),
            url=wh,
            batch_prefix="x",
            fetched_at=NIGHT1,
            units=["u"],
        )


def test_doc_and_sec_csv_incremental(wh, province):
    doc = DocumentDb(url=f"sqlite:///{province / 'doc.db'}", chunk_size=200)
    sync_source("DOC", doc, url=wh, batch_prefix="n1", fetched_at=NIGHT1)
    with SimulatorServer(province) as sims:
        sec = SecurityCsvExport(base_url=sims.sec_url, token=sims.token, **FAST)
        sync_source("SEC", sec, url=wh, batch_prefix="n1", fetched_at=NIGHT1)
        doc_overlap = _overlap(wh, "DOC", "documents", RawDocument)
        inc_overlap = _overlap(wh, "SEC", "incidents", RawIncident)
        changes = mutate(province, fraction=0.02, seed=4)
        docs = sync_source("DOC", doc, url=wh, batch_prefix="n2", fetched_at=NIGHT2)[0]
        incidents = sync_source("SEC", sec, url=wh, batch_prefix="n2", fetched_at=NIGHT2)[0]
    # the watermark is stored in UTC; the readers must still compare it correctly with local times
    assert docs.records == len(set().union(*changes["vb_van_ban"].values()) | doc_overlap)
    assert incidents.records == len(set().union(*changes["incidents"].values()) | inc_overlap)
    assert docs.records < 100  # incremental, not the whole history again
    with Session(get_engine(wh)) as s:
        for sid in changes["vb_van_ban"]["deleted"]:
            assert s.get(RawDocument, sid).deleted
        assert s.scalar(sa.select(sa.func.count()).select_from(RawDocument)) == (
            _sim_count(province, "doc.db", "vb_van_ban")
        )


def _indexes(url: str, table: str) -> set[str]:
    return {ix["name"] for ix in sa.inspect(get_engine(url)).get_indexes(table)}


@pytest.mark.parametrize("fails", [False, True], ids=["succeeds", "fails part-way"])
def test_a_first_load_builds_the_secondary_indexes_at_the_end_whatever_happens(
    wh, province, monkeypatch, fails
):
    """Into an empty table the rows go in without the secondary indexes (built once at the end), so the
    table must have every one of them afterwards, also when the sync failed after committing some chunks."""
    monkeypatch.setattr(loading, "CHUNK", 200)
    wanted = {ix.name for ix in RawDossier.__table__.indexes}
    assert wanted and _indexes(wh, "raw_dossiers") == wanted
    dropped = []
    real_drop = sa.Index.drop
    monkeypatch.setattr(
        sa.Index, "drop", lambda self, *a, **k: (dropped.append(self.name), real_drop(self, *a, **k))
    )

    def lost():
        raise SourceError("DVC", "mất kết nối giữa chừng / connection lost mid-stream")

    fetch = _dossiers_then(province, 450 if fails else -1, lost if fails else (lambda: None))
    if fails:
        with pytest.raises(SourceError):
            sync_entity("DVC", "dossiers", fetch, url=wh, batch_id="b1", fetched_at=NIGHT1)
        assert len(_rows(wh, RawDossier)) == 400
    else:
        sync_entity("DVC", "dossiers", fetch, url=wh, batch_id="b1", fetched_at=NIGHT1)
    assert _indexes(wh, "raw_dossiers") == wanted
    assert sorted(dropped) == sorted(wanted)  # left out for the load, and built again


def test_a_sync_puts_back_an_index_an_interrupted_load_left_out(wh, province):
    sync_entity(
        "DVC",
        "dossiers",
        _dossiers_then(province, -1, lambda: None),
        url=wh,
        batch_id="b1",
        fetched_at=NIGHT1,
    )
    with get_engine(wh).begin() as conn:  # as a sync killed while loading would leave it
        conn.exec_driver_sql("DROP INDEX ix_raw_dossiers_unit_code")
    assert "ix_raw_dossiers_unit_code" not in _indexes(wh, "raw_dossiers")
    sync_entity(
        "DVC",
        "dossiers",
        _dossiers_then(province, -1, lambda: None),
        url=wh,
        batch_id="b2",
        fetched_at=NIGHT2,
    )
    assert _indexes(wh, "raw_dossiers") == {ix.name for ix in RawDossier.__table__.indexes}
