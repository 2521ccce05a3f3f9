"""Versions of one framework coexist (ID@VERSION): a period is assessed on the version in force for it, a
decision replacing another is recorded and shown, and a version a published period used cannot change."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from application.cli import main
from dti.framework import load_all
from dti.framework.loader import FrameworkError
from dti.publication import snapshot_of
from dti.verification.store import record_frameworks
from dti.verification.units import period_units
from dti.warehouse import Warehouse
from dti.warehouse.models import FrameworkVersion, Publication, UnitScore
from tests.appendix_fixtures import DEPT_ROWS, appendix

V2_ROWS = [r if r[0] != "1.1" else ["1.1", "Ban hành kế hoạch chuyển đổi số và bố trí kinh phí", *r[2:]]
           for r in DEPT_ROWS]


@pytest.fixture
def two_versions(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "frameworks"
    folder.mkdir()
    monkeypatch.setenv("DTI_FRAMEWORKS_DIR", str(folder))
    v1 = appendix(tmp_path / "2644.xlsx", [("Sở có TTHC (100 điểm)", DEPT_ROWS)])
    v2 = appendix(tmp_path / "3019.xlsx", [("Sở có TTHC (100 điểm)", V2_ROWS)])
    assert main(["framework", "import", str(v1), "--id", "thu-nghiem", "--version", "1.0", "--valid-from",
                 "2022-01-01", "--decision", "2644/QĐ-UBND", "--decision-date", "2021-12-20"]) == 0
    assert main(["framework", "import", str(v2), "--id", "thu-nghiem", "--version", "2.0", "--valid-from",
                 "2024-01-01", "--replaces", "thu-nghiem@1.0"]) == 0
    capsys.readouterr()
    return folder


def test_versions_coexist_listed_with_what_they_replace(two_versions, capsys):
    frameworks = load_all()
    assert frameworks["thu-nghiem"].version == "2.0"  # by id: the newest
    assert frameworks["thu-nghiem@1.0"].legal_basis.number == "2644/QĐ-UBND"
    assert frameworks.pick("thu-nghiem", 2023).version == "1.0"
    assert frameworks.pick("thu-nghiem", 2024).version == "2.0"
    assert frameworks.pick("thu-nghiem", 2021) is None  # nothing in force yet
    assert main(["framework", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["version"], r["replaces"]) for r in rows] == [
        ("thu-nghiem", "1.0", None), ("thu-nghiem", "2.0", "thu-nghiem@1.0")]
    assert main(["framework", "list"]) == 0
    assert "thay thế / replaces thu-nghiem@1.0" in capsys.readouterr().out
    assert main(["framework", "show", "thu-nghiem@1.0"]) == 0
    assert "phiên bản / version 1.0" in capsys.readouterr().out


def test_diff_across_versions(two_versions, capsys):
    assert main(["framework", "diff", "thu-nghiem@1.0", "thu-nghiem@2.0", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    fields = {m["field"]: (m["a"], m["b"]) for m in d["metadata"]}
    assert fields["version"] == ("1.0", "2.0")
    assert fields["replaces"] == (None, "thu-nghiem@1.0")
    assert [c["code"] for c in d["changed"]] == ["1.1"]
    assert main(["framework", "diff", "thu-nghiem@1.0", "thu-nghiem@2.0"]) == 0
    assert "~ 1.1" in capsys.readouterr().out


def test_a_period_is_assessed_on_the_version_in_force(two_versions, warehouse, tmp_path, capsys):
    units = tmp_path / "units.csv"
    units.write_text("Mã,Tên đơn vị,Loại,Mã tỉnh,Hiệu lực từ,Bộ chỉ số\n"
                     "S01,Sở Tài chính,dept_tthc,99,01/01/2020,thu-nghiem\n", encoding="utf-8")
    assert main(["units", "import", str(units)]) == 0
    with Warehouse(warehouse).session() as s:
        assert [(c, fw.version) for c, _t, fw in period_units(s, "2023-R1")] == [("S01", "1.0")]
        assert [(c, fw.version) for c, _t, fw in period_units(s, "2025-R1")] == [("S01", "2.0")]


def test_a_published_version_cannot_be_edited(two_versions, warehouse, capsys):
    frameworks = load_all()
    wh = Warehouse(warehouse)
    with wh.transaction() as s:
        record_frameworks(s, frameworks.all_versions())
        assert sorted(s.scalars(select(FrameworkVersion.version))) == ["1.0", "2.0"]
        s.add(UnitScore(**_score("2023-R1")))
        s.flush()
        snapshot = snapshot_of(s, "2023-R1")
        assert snapshot["frameworks"]["thu-nghiem"]["version"] == "1.0"  # the version 2023 was scored on
        s.add(Publication(period="2023-R1", version=1, decision_number="99/QĐ-UBND", signed_on=dt.date(2024, 2, 1),
                          published_by="admin", published_at=dt.datetime(2024, 2, 1, tzinfo=dt.UTC),
                          snapshot=json.dumps(snapshot, default=str).encode(), snapshot_sha256="0" * 64,
                          audit_seq=0, audit_mac="0" * 64))
    edited = frameworks["thu-nghiem@1.0"].model_copy(update={"name_vi": "Sửa sau khi công bố"})
    with wh.transaction() as s, pytest.raises(FrameworkError) as info:
        record_frameworks(s, [edited])
    assert "không được sửa" in str(info.value) and "cannot be edited" in str(info.value)
    with wh.transaction() as s:
        record_frameworks(s, [frameworks["thu-nghiem@1.0"]])  # unchanged: fine
    code = main(["framework", "import", str(two_versions.parent / "2644.xlsx"), "--id", "thu-nghiem",
                 "--version", "1.0", "--valid-from", "2022-01-01"])
    assert code == 2
    assert "thu-nghiem@1.0 đã dùng cho kỳ đã công bố" in capsys.readouterr().err


def _score(period: str) -> dict:
    zero = Decimal(0)
    return dict(unit_code="S01", period=period, framework_id="thu-nghiem", unit_type="dept_tthc",
                max_points=Decimal(100), self_total=zero, verified_total=zero, self_dti=zero, verified_dti=zero,
                self_rank=1, verified_rank=1, rank_change=0)


@pytest.mark.parametrize("backend", [
    "sqlite", pytest.param("postgres", marks=pytest.mark.postgres), pytest.param("mariadb", marks=pytest.mark.mariadb)])
def test_stored_frameworks_keep_their_rows_when_rekeyed_by_version(backend, request):
    """Migration 0009 rebuilds `frameworks` under (id, version) on every backend, rows kept, both ways."""
    from alembic import command

    from dti.warehouse.db import alembic_config

    url = request.getfixturevalue({"sqlite": "sqlite_url", "postgres": "pg_url", "mariadb": "mariadb_url"}[backend])
    cfg = alembic_config(url)
    command.upgrade(cfg, "0007")
    wh = Warehouse(url)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with wh.engine.begin() as conn:
        conn.execute(FrameworkVersion.__table__.insert(), [dict(id="x", version="1.0", checksum="a", content={},
                                                                loaded_at=now)])
    command.upgrade(cfg, "head")
    with wh.transaction() as s:
        s.add(FrameworkVersion(id="x", version="2.0", checksum="b", content={}, loaded_at=now))
    with wh.session() as s:
        assert sorted(s.scalars(select(FrameworkVersion.version))) == ["1.0", "2.0"]
    wh.engine.dispose()
