"""Tabular sources read from a SQL query and an Excel export, their declarative count and rate values, and the
YAML a province writes checked with the file and the field named (dti.tabular)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa
import yaml

from dti.metrics import SourceHealth
from dti.tabular import TabularError, load_sources
from dti.tabular import metrics as tabular
from dti.tabular.load import load_all
from dti.warehouse import Warehouse, init_db
from dti.warehouse.models import TabularLoad, TabularReject

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


@pytest.fixture(params=["sqlite_url", "pg_url", "mariadb_url"])
def any_warehouse(request, monkeypatch):
    """A migrated warehouse on SQLite, PostgreSQL and MariaDB: the rows, marks and values read alike."""
    url = request.getfixturevalue(request.param)
    monkeypatch.setenv("DTI_DATABASE_URL", url)
    init_db(url)
    return url


def _write(folder, name, spec):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")


def _values(wh, metric_id, units, folder):
    [metric] = [m for s in load_sources(folder) for m in s.metrics if m.id == metric_id]
    with wh.engine.connect() as conn:
        return tabular.values(conn, metric, units, YEAR)


def test_a_sql_query_counts_payments_per_unit(tmp_path, any_warehouse):
    warehouse = any_warehouse
    lgsp = f"sqlite:///{tmp_path / 'thanh-toan.db'}"
    engine = sa.create_engine(lgsp)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE gd (ma TEXT, don_vi TEXT, ngay TEXT, kenh TEXT, so_tien NUMERIC)"))
        conn.execute(
            sa.text(
                "INSERT INTO gd VALUES ('1','A','2025-02-01','ONLINE',120000), "
                "('2','A','2025-03-01','QUAY',50000), ('3','A','2024-12-31','ONLINE',9), "
                "('4','B','2025-05-05','ONLINE',10), ('5','B','2025-05-06','ONLINE',2000000)"
            )
        )
    engine.dispose()
    folder = tmp_path / "tabular"
    _write(
        folder,
        "thanh-toan.yaml",
        {
            "id": "thanh-toan",
            "sql": {"url": lgsp, "query": "SELECT ma, don_vi, ngay, kenh, so_tien FROM gd"},
            "row_id": "ma",
            "unit": "don_vi",
            "date": "ngay",
            "fields": {
                "channel": {
                    "column": "kenh",
                    "type": "code",
                    "values": {"online": ["ONLINE"], "desk": ["QUAY"]},
                },
                "amount": {"column": "so_tien", "type": "number"},
            },
            "metrics": [
                {
                    "id": "tab_online_payments",
                    "measure": "count",
                    "numerator": [{"field": "channel", "eq": "online"}, {"field": "amount", "ge": 100}],
                }
            ],
        },
    )
    wh = Warehouse(warehouse)
    [load] = load_all(wh, folder)
    assert (load.ok, load.accepted, load.rejected) == (True, 5, 0)
    got = _values(wh, "tab_online_payments", ["A", "B", "C"], folder)
    # A: one online payment in 2025 of at least 100 (the 2024 one is outside the window); B: one; C: no rows
    assert {u: v[0] for u, v in got.items()} == {"A": Decimal(1), "B": Decimal(1)}
    assert got["A"][4] == ["thanh-toan:1"]


def test_an_excel_export_under_a_title_block_gives_a_rate(tmp_path, any_warehouse):
    warehouse = any_warehouse
    folder = tmp_path / "tabular"
    folder.mkdir()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["HỆ THỐNG BÁO CÁO — TỔNG HỢP BÁO CÁO ĐỊNH KỲ"])
    ws.append(["Mã báo cáo", "Mã đơn vị", "Hạn nộp", "Gửi đúng hạn"])
    ws.append(["R1", "A", dt.datetime(2025, 3, 31), "Đạt"])
    ws.append(["R2", "A", dt.datetime(2025, 6, 30), "Không đạt"])
    ws.append(["R3", "A", dt.datetime(2025, 9, 30), "Đạt"])
    ws.append(["R4", "A", dt.datetime(2025, 12, 31), "Có lẽ"])  # not a yes/no: refused
    wb.save(folder / "bao-cao.xlsx")
    _write(
        folder,
        "bao-cao.yaml",
        {
            "id": "bao-cao",
            "file": "bao-cao.xlsx",
            "row_id": "Mã báo cáo",
            "unit": "Mã đơn vị",
            "date": "Hạn nộp",
            "fields": {"on_time": {"column": "Gửi đúng hạn", "type": "bool"}},
            "metrics": [{"id": "tab_reports_on_time_rate", "numerator": [{"field": "on_time", "eq": True}]}],
        },
    )
    wh = Warehouse(warehouse)
    [load] = load_all(wh, folder)
    assert (load.ok, load.accepted, load.rejected) == (True, 3, 1)
    with wh.session() as s:
        [bad] = s.query(TabularReject).all()
    assert bad.origin == "bao-cao.xlsx:6" and bad.field == "on_time" and "not a yes/no value" in bad.reason
    [(value, num, den, rows, _ids)] = _values(wh, "tab_reports_on_time_rate", ["A"], folder).values()
    assert (num, den, rows) == (2, 3, 3) and value == Decimal(2) / Decimal(3)


def test_a_source_read_again_replaces_its_rows_and_a_failed_read_keeps_them_unused(tmp_path, warehouse):
    folder = tmp_path / "tabular"
    folder.mkdir()
    export = folder / "x.csv"
    export.write_text("id;unit;day\n1;A;2025-01-02\n1;A;2025-01-03\n", encoding="cp1258")  # duplicate id
    _write(
        folder,
        "x.yaml",
        {
            "id": "x",
            "file": "x.csv",
            "row_id": "id",
            "unit": "unit",
            "date": "day",
            "metrics": [{"id": "tab_x_count", "measure": "count"}],
        },
    )
    wh = Warehouse(warehouse)
    [load] = load_all(wh, folder)
    assert (load.accepted, load.rejected) == (1, 1)
    export.unlink()
    [load] = load_all(wh, folder)
    assert load.ok is False and "x.csv: không tìm thấy tệp / file not found" in load.error
    with wh.engine.connect() as conn:
        assert tabular.health(conn, "x", SourceHealth).ok is False
    with wh.session() as s:
        assert s.get(TabularLoad, "x").accepted == 1  # the last good load's figures stay for the record


def test_an_unreadable_yaml_fails_its_own_source_only(tmp_path, warehouse):
    folder = tmp_path / "tabular"
    folder.mkdir()
    (folder / "a.csv").write_text("unit,day\nA,2025-01-02\n", encoding="utf-8")
    _write(
        folder,
        "a.yaml",
        {
            "id": "a",
            "file": "a.csv",
            "unit": "unit",
            "date": "day",
            "metrics": [{"id": "tab_a", "measure": "count"}],
        },
    )
    (folder / "b.yaml").write_text("id: b\nunit: [unclosed\n", encoding="utf-8")
    loads = {x.tabular_source: x for x in load_all(Warehouse(warehouse), folder)}
    assert loads["a"].ok and loads["a"].accepted == 1
    assert not loads["b"].ok and loads["b"].error.startswith("b.yaml: YAML: không đọc được")
    with pytest.raises(TabularError):
        load_sources(folder)  # what `dti tabular load` and `dti framework validate` say


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda s: s["metrics"][0].update(id="dvc_on_time_rate"), "starts with 'tab_'"),
        (
            lambda s: s["metrics"][0].update(numerator=[{"field": "nope", "eq": 1}]),
            "field 'nope' is not declared",
        ),
        (lambda s: s["metrics"][0].update(measure="mean"), "metrics[0].measure"),
        (lambda s: s.update(sql={"url": "sqlite://", "query": "select 1"}), "exactly one of 'file'"),
        (lambda s: s["fields"]["on_time"].update(type="boolean"), "fields.on_time.type"),
    ],
)
def test_a_bad_source_yaml_is_refused_with_the_file_and_the_field(tmp_path, change, named):
    spec = {
        "id": "x",
        "file": "x.csv",
        "unit": "u",
        "date": "d",
        "fields": {"on_time": {"column": "c", "type": "bool"}},
        "metrics": [{"id": "tab_x", "numerator": [{"field": "on_time", "eq": True}]}],
    }
    change(spec)
    _write(tmp_path, "x.yaml", spec)
    with pytest.raises(TabularError) as err:
        load_sources(tmp_path)
    assert str(err.value).startswith("x.yaml: ") and named in str(err.value)
