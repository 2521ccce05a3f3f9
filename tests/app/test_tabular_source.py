"""A leaf bound to a tabular source (issue 17): the province's 1022 hotline export (CSV) declared in YAML with
a declarative on-time rate, loaded with its bad rows refused and reported, verified end to end through the
ledger, the claim page's records and the report; a missing export makes the claims unverifiable, never wrong."""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal

import pytest
import yaml

from application.cli import main
from dti.appraisal.records import drill_down, records_csv
from dti.reports.publish import write_period_outputs
from dti.verification.steps import run_period
from dti.verification.store import load_ledger
from dti.warehouse import Warehouse
from dti.warehouse.models import (
    ClaimLedgerRow,
    ObjectiveMetric,
    RawTabularRow,
    TabularLoad,
    TabularReject,
    User,
)
from review import create_app
from tests.app.test_second_province import COMMUNE, DEPT, _sheet
from tests.app.test_second_province import folder as province_folder  # noqa: F401  (the fixture)
from tests.review_fixtures import Browser, password_hash

HOTLINE = {
    "id": "tong-dai-1022",
    "name_vi": "Tổng đài 1022 — phản ánh, kiến nghị",
    "name_en": "1022 hotline — citizen reports",
    "file": "exports/1022.csv",
    "row_id": "MA_PHAN_ANH",
    "unit": "MA_DON_VI",
    "date": "NGAY_TIEP_NHAN",
    "date_format": "%d/%m/%Y",
    "fields": {
        "status": {
            "column": "TRANG_THAI",
            "type": "code",
            "values": {"done": ["Đã xử lý", "Hoàn thành"], "open": ["Đang xử lý"]},
        },
        "on_time": {"column": "DUNG_HAN", "type": "bool"},
    },
    "metrics": [
        {
            "id": "tab_1022_on_time_rate",
            "name_vi": "Phản ánh 1022 xử lý đúng hạn / phản ánh đã xử lý",
            "name_en": "1022 reports handled on time ÷ handled",
            "measure": "rate",
            "denominator": [{"field": "status", "eq": "done"}],
            "numerator": [{"field": "on_time", "eq": True}],
            "numerator_vi": "xử lý đúng hạn",
            "denominator_vi": "đã xử lý",
        }
    ],
}


def _hotline_rows():
    rows = []
    # S01 (claims 95%): 20 handled, 19 on time → verified
    rows += [(f"S01-{i:02}", "S01", "15/03/2025", "Đã xử lý", "Không" if i == 0 else "Có") for i in range(20)]
    # X10 (its old code X01 claims 85%): 10 handled, 6 on time → a discrepancy; one still open; one of 2024
    # (the export still writes three of them under X01, merged into X10 on 1/7/2025: they count for X10)
    rows += [
        (f"X10-{i:02}", "X01" if i < 3 else "X10", "02/04/2025", "Hoàn thành", "Có" if i < 6 else "Không")
        for i in range(10)
    ]
    rows += [
        ("X10-open", "X10", "05/04/2025", "Đang xử lý", "Không"),
        ("X10-old", "X10", "20/12/2024", "Đã xử lý", "Có"),
    ]
    # bad rows, kept and reported: a date that does not exist, a status outside the list (units not assessed)
    rows += [
        ("S02-01", "S02", "31/02/2025", "Đã xử lý", "Có"),
        ("S02-02", "S02", "01/03/2025", "Treo", "Có"),
        ("Z99-01", "Z99", "01/03/2025", "Đã xử lý", "Có"),
    ]  # a unit the registry does not know
    return rows


def _bind(frameworks_dir, leaf_code: str, metric: str):
    """The officer confirms a binding: the appendix's leaf `leaf_code` is measured by the tabular metric."""
    [path] = sorted(frameworks_dir.glob("*.yaml"))
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))

    def walk(node):
        if isinstance(node, dict):
            if node.get("code") == leaf_code and "max_points" in node:
                node.update(source="TAB", metric=metric)
            node = list(node.values())
        if isinstance(node, list):
            for child in node:
                walk(child)

    walk(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def province(province_folder, tmp_path, capsys):  # noqa: F811
    """The second fixture province, its province.yaml naming a tabular source: the 1022 hotline's CSV export."""
    (province_folder / "exports").mkdir()
    (province_folder / "tong-dai-1022.yaml").write_text(
        yaml.safe_dump(HOTLINE, allow_unicode=True), encoding="utf-8"
    )
    export = province_folder / "exports" / "1022.csv"
    with export.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["BÁO CÁO PHẢN ÁNH KIẾN NGHỊ QUA TỔNG ĐÀI 1022"])  # a title block above the header
        w.writerow([])
        w.writerow(["MA_PHAN_ANH", "MA_DON_VI", "NGAY_TIEP_NHAN", "TRANG_THAI", "DUNG_HAN"])
        w.writerows(_hotline_rows())
    spec = yaml.safe_load((province_folder / "province.yaml").read_text(encoding="utf-8"))
    spec["tabular"] = ["tong-dai-1022.yaml"]
    (province_folder / "province.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    assert main(["province", "init", str(province_folder), "--json"]) == 0
    [loaded] = json.loads(capsys.readouterr().out)["tabular"]
    assert (loaded["id"], loaded["metrics"]) == ("tong-dai-1022", ["tab_1022_on_time_rate"])
    fw_path = _bind(tmp_path / "frameworks", "2.1", "tab_1022_on_time_rate")
    for unit, rows in (("X01", COMMUNE), ("S01", DEPT)):
        sheet = _sheet(tmp_path / f"{unit}.csv", unit, rows)
        assert main(["intake", "import", str(sheet), "--mapping", "phieu-nha-cung-cap", "--json"]) == 0
        json.loads(capsys.readouterr().out)
    return {"export": export, "framework": fw_path}


def _ledger(wh):
    with wh.session() as s:
        return {(c.unit_code, c.indicator_code): c for c in load_ledger(s, "2025-R1")}


def test_a_leaf_bound_to_a_tabular_source_is_verified_end_to_end(province, warehouse, tmp_path):
    assert main(["framework", "validate", str(province["framework"])]) == 0  # the binding is accepted
    wh = Warehouse(warehouse)
    run_period(wh, "2025-R1")
    ledger = _ledger(wh)
    s01, x10 = ledger[("S01", "2.1")], ledger[("X10", "2.1")]
    assert (s01.outcome, s01.objective_value) == ("verified", Decimal("0.95"))
    assert (x10.outcome, x10.objective_value) == ("discrepancy", Decimal("0.6"))

    with wh.session() as s:
        load = s.get(TabularLoad, "tong-dai-1022")
        assert (load.ok, load.accepted, load.rejected) == (True, 32, 3)
        rejects = sorted((r.origin, r.field, r.reason) for r in s.query(TabularReject))
        metric = s.get(ObjectiveMetric, ("X10", "2025-R1", "2.1"))
        assert (metric.source, metric.numerator, metric.denominator) == ("TAB", 6, 10)
        row = s.get(ClaimLedgerRow, ("X10", "2025-R1", "2.1"))
        page = drill_down(s, row)
        exported = "".join(records_csv(s, row))
        assert s.query(RawTabularRow).count() == 32
        moved = s.get(RawTabularRow, "tong-dai-1022:X10-00")
        assert (moved.source_unit_code, moved.unit_code) == ("X01", "X10")
    # each refused row named by file, row and field, in both languages
    assert rejects[0][0] == "1022.csv:36" and rejects[0][1] == "NGAY_TIEP_NHAN"
    assert "không đọc được" in rejects[0][2] and "unreadable date" in rejects[0][2]
    assert rejects[1][:2] == ("1022.csv:37", "status") and "accepted spellings" in rejects[1][2]
    # the claim page lists the ten handled reports of the window, six of them in the numerator
    assert (page.counts.total, page.counts.numerator) == (10, 6)
    ids = [r["source_id"] for r in page.records]
    assert ids == [f"tong-dai-1022:X10-{i:02}" for i in range(10)]
    assert [r["role"] for r in page.records].count("numerator") == 6
    lines = exported.lstrip("\ufeff").splitlines()
    assert len(lines) == 11 and '"{""on_time"": true, ""status"": ""done""}"' in lines[1], lines[:2]

    # the council's claim page lists the rows, each marked numerator or denominator only
    with wh.transaction() as s:
        s.add(
            User(
                username="hoidong1",
                full_name="Hội đồng",
                password_hash=password_hash(),
                role="council",
                active=True,
                created_at=dt.datetime(2026, 1, 10, tzinfo=dt.UTC),
            )
        )
    browser = Browser(create_app(url=warehouse), "hoidong1")
    page_html = browser.get("/chi-tieu/2025-R1/X10/2.1").get_data(as_text=True)
    assert "tong-dai-1022:X10-00" in page_html and "tong-dai-1022:X10-09" in page_html
    assert "tong-dai-1022:X10-open" not in page_html and "tong-dai-1022:X10-old" not in page_html
    assert "Bản ghi nguồn dạng bảng" in page_html and "1022.csv:" in page_html
    assert page_html.count(">Tử số<") == 6 and page_html.count(">Chỉ mẫu số<") == 4

    out = tmp_path / "out"
    with wh.session() as s:
        write_period_outputs(s, "2025-R1", out)
    report = (out / "report.html").read_text(encoding="utf-8")
    data = json.loads(
        report.split('<script type="application/json" id="report-data">')[1].split("</script>")[0]
    )
    claims = [c for c in _claims(data) if c.get("u") == "X10" and c.get("k", "").endswith("|2.1")]
    assert claims and claims[0]["src"] == "TAB" and claims[0]["o"] == "discrepancy"
    assert claims[0]["srcl"].startswith("Nguồn dữ liệu dạng bảng")
    # the source table names the export's load: 35 rows received, 32 stored, 3 refused
    table = report.split('id="freshness"')[1].split("</table>")[0]
    assert "TAB:tong-dai-1022" in table and all(f">{n}<" in table for n in (35, 32, 3))


def _claims(node):
    """Every claim row in the report's data, wherever it sits."""
    if isinstance(node, dict):
        if "src" in node and "u" in node:
            yield node
        node = list(node.values())
    if isinstance(node, list):
        for child in node:
            yield from _claims(child)


def test_dti_tabular_load_reports_each_refused_row(province, warehouse, capsys):
    assert main(["tabular", "load", "--json"]) == 2  # rows were refused: the rest is loaded, nothing lost
    [src] = json.loads(capsys.readouterr().out)["sources"]
    assert (src["source"], src["ok"], src["accepted"], src["rejected"]) == ("tong-dai-1022", True, 32, 3)
    assert [(r["origin"], r["unit_code"], r["field"]) for r in src["refused"]] == [
        ("1022.csv:36", "S02", "NGAY_TIEP_NHAN"),
        ("1022.csv:37", "S02", "status"),
        ("1022.csv:38", "Z99", "MA_DON_VI"),
    ]
    assert "mã đơn vị 'Z99' không có trong danh mục / unknown unit code" in src["refused"][2]["reason"]
    assert src["refused"][0]["reason"].startswith(
        "1022.csv, dòng/row 36, cột/column NGAY_TIEP_NHAN: ngày '31/02/2025' không đọc được"
    )
    assert "TRANG_THAI: giá trị 'Treo' không có trong danh mục" in src["refused"][1]["reason"]
    with Warehouse(warehouse).session() as s:
        kept = s.query(TabularReject).order_by(TabularReject.id).first()
    assert kept.record["TRANG_THAI"] == "Đã xử lý" and kept.record["MA_PHAN_ANH"] == "S02-01"  # kept whole


def test_a_missing_export_makes_its_claims_unverifiable(province, warehouse):
    province["export"].unlink()
    wh = Warehouse(warehouse)
    run_period(wh, "2025-R1")
    ledger = _ledger(wh)
    assert ledger[("S01", "2.1")].outcome == "unverifiable"
    assert ledger[("X10", "2.1")].outcome == "unverifiable"
    with wh.session() as s:
        load = s.get(TabularLoad, "tong-dai-1022")
        metric = s.get(ObjectiveMetric, ("S01", "2025-R1", "2.1"))
    assert load.ok is False and "không tìm thấy tệp / file not found" in load.error
    assert metric.status == "unavailable" and "1022.csv" in metric.reason
