"""Objective metrics are counted by SQL in the warehouse: the same values and sample ids on SQLite,
PostgreSQL and MariaDB, equal to the generator's record-by-record truth, with the day and deadline
rules exact at the boundaries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dti import metrics
from dti.metrics import MAX_RECORD_IDS, dvc, sec
from dti.metrics.compute import Queries
from dti.metrics.counting import first_ids_by_walk, first_ids_by_window
from dti.metrics.sql import Reading, local_day, plus_hours, reading_for
from dti.settings import TZ
from dti.verification.units import period_units
from dti.warehouse import init_db
from dti.warehouse.db import get_engine
from dti.warehouse.models import Base, RawDossier, RawIncident, RawInventory
from tests.core.test_metrics import _compare
from tests.pipeline_helpers import NOW, PERIOD, verified_province
from tests.raw_records import DOSSIER_FIELDS

UTC = dt.UTC


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ]
)
def any_url(request, sqlite_url):
    """A fresh, empty warehouse URL on each backend the product supports."""
    if request.param == "sqlite":
        return sqlite_url
    return request.getfixturevalue("pg_url" if request.param == "postgres" else "mariadb_url")


def _comparable(metrics):
    # When a sync ran is the only thing allowed to differ between two warehouses.
    return [dataclasses.replace(m, freshness_at=None) for m in metrics]


@pytest.fixture(scope="module")
def sqlite_reference(tmp_path_factory):
    root = tmp_path_factory.mktemp("reference")
    _gen, result = verified_province(
        root / "sim", f"sqlite:///{root / 'warehouse.db'}", seed=21, scale="tiny"
    )
    return root / "sim", result["metrics"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend",
    [
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ],
)
def test_every_backend_gives_the_same_metrics_and_sample_ids(backend, request, tmp_path, sqlite_reference):
    root, reference = sqlite_reference
    url = request.getfixturevalue("pg_url" if backend == "postgres" else "mariadb_url")
    _gen, result = verified_province(tmp_path / "sim", url, seed=21, scale="tiny")
    assert _comparable(result["metrics"]) == _comparable(reference)
    assert _compare(root, result["metrics"]) == []
    assert sum(len(m.record_ids) for m in reference) > 500  # the sample ids were really compared


def _dossier(source_id, unit, **kw):
    base = dict(
        DOSSIER_FIELDS,
        source_id=source_id,
        unit_code=unit,
        source_unit_code=unit,
        dossier_code=source_id,
        procedure_code="p",
        status="done",
        deleted=False,
        batch_id="x",
        checksum="x",
        fetched_at=NOW,
        updated_at=NOW,
    )
    return {**base, **kw}


def _boundary_dossiers(unit: str) -> list[dict]:
    """Dossiers at the day boundaries: due at 23:59:59.999999 local on 10 May, received on the window's edges."""
    due = dt.datetime(2025, 5, 10, 16, 59, 59, 999999, tzinfo=UTC)  # 23:59:59.999999 local, 10 May
    return [
        _dossier(
            "a-late",
            unit,
            received_at=due - dt.timedelta(days=3),
            due_at=due,
            finished_at=due + dt.timedelta(microseconds=1),
        ),  # 00:00 local on 11 May: a day late
        _dossier("B-on-time", unit, received_at=due - dt.timedelta(days=3), due_at=due, finished_at=due),
        _dossier("C-no-due", unit, received_at=due - dt.timedelta(days=3), due_at=None, finished_at=due),
        _dossier(
            "D-open",
            unit,
            received_at=due - dt.timedelta(days=3),
            due_at=due,
            finished_at=None,
            status="processing",
        ),
        # Received 00:00:00 local on 1 January (inside) and 23:59:59.999999 local on 31 December (inside).
        _dossier(
            "E-first",
            unit,
            received_at=dt.datetime(2024, 12, 31, 17, 0, tzinfo=UTC),
            due_at=None,
            finished_at=None,
            status="rejected",
        ),
        _dossier(
            "F-last",
            unit,
            received_at=dt.datetime(2025, 12, 31, 16, 59, 59, 999999, tzinfo=UTC),
            due_at=None,
            finished_at=None,
            status="rejected",
            channel=1,
        ),
        _dossier(
            "G-outside",
            unit,
            received_at=dt.datetime(2025, 12, 31, 17, 0, tzinfo=UTC),
            due_at=None,
            finished_at=None,
            status="rejected",
        ),
    ]


def _boundary_incidents(unit: str) -> tuple[list[dict], dict]:
    """Incidents resolved at, after and never by their deadline, and an inventory snapshot."""
    detected = dt.datetime(2025, 3, 1, 2, 30, 15, 250000, tzinfo=UTC)
    prov = dict(
        unit_code=unit,
        source_unit_code=unit,
        deleted=False,
        batch_id="x",
        checksum="x",
        fetched_at=NOW,
        updated_at=NOW,
        severity="high",
        category="malware",
    )
    incidents = [
        dict(
            source_id="i-at-deadline",
            detected_at=detected,
            resolved_at=detected + dt.timedelta(hours=4),
            sla_hours=4,
            **prov,
        ),
        dict(
            source_id="i-after",
            detected_at=detected,
            resolved_at=detected + dt.timedelta(hours=4, seconds=1),
            sla_hours=4,
            **prov,
        ),
        dict(source_id="i-open", detected_at=detected, resolved_at=None, sla_hours=4, **prov),
    ]
    inventory = dict(
        source_id="inv",
        as_of=dt.date(2025, 6, 30),
        workstations=10,
        managed_endpoints=9,
        systems=4,
        monitored_systems=3,
        **{k: v for k, v in prov.items() if k not in ("severity", "category")},
    )
    return incidents, inventory


def test_day_and_deadline_rules_are_exact_at_the_boundaries(any_url):
    """Local days change at 17:00 UTC to the microsecond; an incident resolved exactly at its deadline is
    not late; a missing due date is late; sample ids are in byte order ('B' before 'a') on every backend."""
    init_db(any_url)
    unit = "U1"
    window = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    incidents, inventory = _boundary_incidents(unit)
    engine = get_engine(any_url)
    with engine.begin() as conn:
        conn.execute(sa.insert(RawDossier), _boundary_dossiers(unit))
        conn.execute(sa.insert(RawIncident), incidents)
        conn.execute(sa.insert(RawInventory), [inventory])
    with engine.connect() as conn:
        days = dict(conn.execute(sa.select(RawDossier.source_id, local_day(RawDossier.finished_at))).all())
        deadlines = dict(
            conn.execute(
                sa.select(
                    RawIncident.source_id,
                    RawIncident.resolved_at > plus_hours(RawIncident.detected_at, RawIncident.sla_hours),
                )
            ).all()
        )
        with ThreadPoolExecutor(2) as pool:
            run = Queries(engine, pool, conn)
            dvc_values = dvc.submit(run, [unit], window, reading_for(conn, [unit]))()[unit]
            sec_values = sec.submit(run, [unit], window, reading_for(conn, [unit]))()[unit]
    assert {
        k: (v if v is None or isinstance(v, dt.date) else dt.date.fromisoformat(v)) for k, v in days.items()
    } == {
        "a-late": dt.date(2025, 5, 11),
        "B-on-time": dt.date(2025, 5, 10),
        "C-no-due": dt.date(2025, 5, 10),
        "D-open": None,
        "E-first": None,
        "F-last": None,
        "G-outside": None,
    }
    assert {k: bool(v) if v is not None else None for k, v in deadlines.items()} == {
        "i-at-deadline": False,
        "i-after": True,
        "i-open": None,
    }
    on_time = dvc_values["dvc_on_time_rate"]
    assert on_time[1:4] == (1, 4, 4) and on_time[4] == ["C-no-due", "D-open", "a-late"]
    submission = dvc_values["dvc_online_submission_rate"]
    assert submission[1:4] == (5, 6, 6) and submission[4] == ["F-last"]  # G-outside is after the window
    assert dvc_values["dvc_e_result_rate"][3] == 3
    late = sec_values["sec_late_incidents"]
    assert late[0] == 2 and late[3] == 3 and late[4] == ["i-after", "i-open"]
    assert sec_values["sec_antimalware_rate"][4] == ["inv"]


def test_a_subset_of_units_read_by_index_gives_what_the_full_scan_gives(tmp_path, sqlite_url):
    """On SQLite a whole province is read front to back and a few units through the unit index; both
    give the same metrics."""
    verified_province(tmp_path / "sim", sqlite_url, seed=5, scale="tiny")
    with Session(sa.create_engine(sqlite_url)) as s:
        units = period_units(s, PERIOD)
    as_of = dt.datetime(2026, 1, 6, 9, 0, tzinfo=TZ)
    with sa.create_engine(sqlite_url).connect() as conn:
        assert reading_for(conn, [u[0] for u in units]).full_scan
        assert not reading_for(conn, [units[0][0]]).full_scan
    whole = metrics.compute_metrics(PERIOD, units, url=sqlite_url, as_of=as_of)
    one_by_one = [
        m for spec in units for m in metrics.compute_metrics(PERIOD, [spec], url=sqlite_url, as_of=as_of)
    ]
    assert len(units) >= 4 and sum(1 for m in whole if m.status == "ok") > 50
    assert sorted(one_by_one, key=lambda m: (m.unit_code, m.indicator_code)) == whole


def test_without_its_metrics_indexes_a_sqlite_warehouse_gives_the_same_metrics(tmp_path, sqlite_url):
    """A warehouse whose metrics indexes are missing (a first sync killed before it rebuilt them) is read
    from the tables, by the window query: more slowly, with the same values and sample ids."""
    verified_province(tmp_path / "sim", sqlite_url, seed=5, scale="tiny")
    with Session(sa.create_engine(sqlite_url)) as s:
        units = period_units(s, PERIOD)
    as_of = dt.datetime(2026, 1, 6, 9, 0, tzinfo=TZ)
    indexed = metrics.compute_metrics(PERIOD, units, url=sqlite_url, as_of=as_of)
    with sa.create_engine(sqlite_url).begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_raw_dossiers_metrics")
        conn.exec_driver_sql("DROP INDEX ix_raw_documents_metrics")
        assert reading_for(conn, [u[0] for u in units]).indexes == frozenset()
    assert metrics.compute_metrics(PERIOD, units, url=sqlite_url, as_of=as_of) == indexed
    assert sum(len(m.record_ids) for m in indexed) > 500


def test_an_in_memory_warehouse_is_read_on_its_one_connection(tmp_path, sqlite_url):
    """The queries run two at a time on their own connections, except on an in-memory SQLite database,
    which exists on one connection only."""
    on_file = verified_province(tmp_path / "a", sqlite_url, seed=9, scale="tiny")[1]["metrics"]
    in_memory = verified_province(tmp_path / "b", "sqlite://", seed=9, scale="tiny")[1]["metrics"]
    assert sum(1 for m in in_memory if m.status == "ok") > 50
    assert _comparable(in_memory) == _comparable(on_file)


def test_sqlite_walks_its_metrics_index_to_the_same_first_ids_the_window_finds(sqlite_url):
    """On SQLite the first failing ids of each unit come from walking the metrics index in source-id order and
    stopping at the hundredth; they are the ids the window query of the other warehouses picks: more than 100
    failing rows, fewer, none, a NULL condition, ids whose byte order is not their alphabetical order."""
    init_db(sqlite_url)
    rng = random.Random(3)
    units = ["U-many", "U-few", "U-none"]
    rows = []
    for n in range(900):
        unit = units[n % 3]
        rows.append(
            _dossier(
                rng.choice(["a", "B", "Ă", "z"]) + f"{rng.randrange(10**6):06d}-{n}",
                unit,
                received_at=NOW - dt.timedelta(days=30),
                due_at=NOW,
                finished_at=None,
                status="processing",
                channel=1 if unit == "U-many" or n % 50 == 1 else 2,
                satisfaction=rng.choice([None, 0, 1]),
                deleted=n % 7 == 0,
            )
        )
    engine = get_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(sa.insert(RawDossier), rows)
    d = Reading(indexes=frozenset({"ix_raw_dossiers_metrics"})).table(RawDossier)
    where = d.c.deleted.is_(False)
    samples = {
        "not_online": d.c.channel != 2,
        "unrated_or_unhappy": d.c.satisfaction != 1,
        "never": d.c.channel == 9,
    }
    with engine.connect() as conn:
        walked = first_ids_by_walk(conn, d, units, where, samples)
        windowed = first_ids_by_window(conn, d, units, where, samples)
        plan = " ".join(
            r[3]
            for r in conn.execute(
                sa.text(
                    "EXPLAIN QUERY PLAN SELECT source_id FROM raw_dossiers INDEXED BY ix_raw_dossiers_metrics "
                    "WHERE unit_code = 'U-few' AND deleted IS 0 AND channel != 2 ORDER BY source_id LIMIT 100"
                )
            )
        )
    for found in (walked, windowed):
        for lists in found.values():
            for sample in lists.values():
                sample.sort()
    expected = {
        u: {
            name: sorted(
                r["source_id"] for r in rows if r["unit_code"] == u and not r["deleted"] and test(r)
            )[:MAX_RECORD_IDS]
            for name, test in {
                "not_online": lambda r: r["channel"] != 2,
                "unrated_or_unhappy": lambda r: r["satisfaction"] == 0,  # NULL is not "!= 1"
                "never": lambda r: False,
            }.items()
        }
        for u in units
    }
    assert (
        len(expected["U-many"]["not_online"]) == MAX_RECORD_IDS
        and 0 < len(expected["U-few"]["not_online"]) < 10
    )
    assert walked == expected
    assert {u: {n: ids for n, ids in lists.items() if ids} for u, lists in windowed.items()} == {
        u: {n: ids for n, ids in lists.items() if ids} for u, lists in expected.items() if any(lists.values())
    }
    assert "COVERING INDEX ix_raw_dossiers_metrics" in plan and "TEMP B-TREE" not in plan


def test_the_metrics_indexes_exist_on_sqlite_only(any_url):
    """SQLite gets the covering metrics indexes (by migration and by create_all alike); PostgreSQL and MariaDB
    plan the same queries without them and are not made to keep them up to date."""
    init_db(any_url)
    names = {
        ix["name"]
        for table in ("raw_dossiers", "raw_documents")
        for ix in sa.inspect(get_engine(any_url)).get_indexes(table)
    }
    sqlite = get_engine(any_url).dialect.name == "sqlite"
    assert ({"ix_raw_dossiers_metrics", "ix_raw_documents_metrics"} <= names) is sqlite
    if sqlite:
        fresh = sa.create_engine("sqlite://")
        Base.metadata.create_all(fresh)
        assert "ix_raw_dossiers_metrics" in {
            ix["name"] for ix in sa.inspect(fresh).get_indexes("raw_dossiers")
        }
    else:
        assert not {"ix_raw_dossiers_metrics", "ix_raw_documents_metrics"} & names
