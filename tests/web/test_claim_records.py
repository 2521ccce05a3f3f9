"""Every record behind a claim's value is reachable from its claim page (issue 19): the true totals ("1–100 of
282"), paging through all of them, each marked numerator or denominator-only, and a CSV (UTF-8 BOM) of all of
them — read from the warehouse by the metric's own rule, with counts equal to the metric's numerator and
denominator."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa

from dti.appraisal.records import MAX_RECORDS, _metric_window
from dti.framework.metric_catalogue import METRICS
from dti.metrics import MAX_RECORD_IDS
from dti.metrics.records import RULES, all_records, record_counts
from dti.warehouse.db import session_scope
from dti.warehouse.models import ClaimLedgerRow, User
from review import create_app
from tests.pipeline_helpers import PERIOD, verified_province
from tests.review_fixtures import Browser, password_hash

ROW_ID = re.compile(r'<tr data-role="(\w+)">.*?<code>([^<]+)</code>', re.S)


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    work = tmp_path_factory.mktemp("records")
    url = f"sqlite:///{work / 'warehouse.db'}"
    verified_province(work / "sim", url)
    with session_scope(url) as s:
        at = dt.datetime(2026, 1, 6, tzinfo=dt.UTC)
        for name, role, unit in (("hoidong", "council", None), ("donvi", "submitter", "000.00.01.H33")):
            s.add(
                User(
                    username=name,
                    full_name=name,
                    password_hash=password_hash(),
                    role=role,
                    unit_code=unit,
                    active=True,
                    created_at=at,
                )
            )
    return url


def _counts_records(row) -> bool:
    """The claim's numerator is a count of its records (not a sum of components or an inventory's figures)."""
    metric, _window = _metric_window(row)
    return metric is not None and RULES[metric].numerator is not None


@pytest.fixture(params=["most records", "most records, numerator a count of them"])
def biggest(province, request):
    """The claim with the most records behind its value (of those whose numerator counts records)."""
    with session_scope(province) as s:
        rows = list(s.scalars(sa.select(ClaimLedgerRow).where(ClaimLedgerRow.period == PERIOD)))
        if request.param != "most records":
            rows = [r for r in rows if _counts_records(r)]
        row = max(rows, key=lambda r: (r.record_count or 0, r.unit_code, r.indicator_code))
        s.expunge(row)
    assert (
        row.record_count > MAX_RECORD_IDS and row.record_count > MAX_RECORDS
    )  # the ledger alone cannot list them
    return row


def _url(row, suffix=""):
    return f"/chi-tieu/{row.period}/{row.unit_code}/{row.indicator_code}{suffix}"


def test_every_metric_has_a_record_rule():
    assert set(RULES) == set(METRICS)


def _check_counts(url: str) -> dict[tuple[str, str], list[str]]:
    """Every claim's record counts against its ledger row; returns each claim's record ids, in order."""
    ids = {}
    with session_scope(url) as s:
        for row in s.scalars(sa.select(ClaimLedgerRow).where(ClaimLedgerRow.period == PERIOD)):
            metric, window = _metric_window(row)
            if metric is None or row.objective_value is None:
                continue
            counts = record_counts(s, metric, row.unit_code, window)
            key = (row.unit_code, row.indicator_code)
            assert counts.total == row.record_count, key
            if counts.numerator is not None and row.objective_numerator is not None:
                assert counts.numerator == row.objective_numerator, key
            if METRICS[metric].measure == "rate" and counts.numerator is not None:
                assert counts.total == row.objective_denominator, key
            ids[key] = [r.row.source_id for r in all_records(s, metric, row.unit_code, window)]
            assert len(ids[key]) == counts.total, key
    assert len(ids) > 50
    return ids


def test_record_counts_equal_the_metrics_numerator_and_denominator(province):
    _check_counts(province)


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend",
    [
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ],
)
def test_every_backend_lists_the_same_records(backend, request, tmp_path, province):
    url = request.getfixturevalue("pg_url" if backend == "postgres" else "mariadb_url")
    verified_province(tmp_path / "sim", url)
    assert _check_counts(url) == _check_counts(province)


def test_the_claim_page_pages_through_every_record(province, biggest):
    b = Browser(create_app(url=province), "hoidong")
    first = b.get(_url(biggest)).get_data(as_text=True)
    total = biggest.record_count
    pages = -(-total // MAX_RECORDS)
    shown = f"{total:,}".replace(",", ".")
    assert f"<strong>1–100</strong> trên <strong>{shown}</strong>" in first
    assert f'Trang <span class="en">/ page</span> 1 / {pages}' in first
    seen: list[tuple[str, str]] = []
    for page in range(1, pages + 1):
        html = b.get(_url(biggest, f"?trang={page}")).get_data(as_text=True)
        rows = ROW_ID.findall(html)
        assert len(rows) == min(MAX_RECORDS, total - (page - 1) * MAX_RECORDS)
        seen += rows
    ids = [i for _role, i in seen]
    assert len(set(ids)) == total == len(ids)
    with session_scope(province) as s:
        metric, window = _metric_window(
            s.get(ClaimLedgerRow, (biggest.unit_code, PERIOD, biggest.indicator_code))
        )
        expected = [r.row.source_id for r in all_records(s, metric, biggest.unit_code, window)]
    assert ids == expected  # every record, in source-id order
    if _counts_records(biggest):
        numerator = sum(1 for role, _i in seen if role == "numerator")
        assert numerator == biggest.objective_numerator
        assert {role for role, _i in seen} == {"numerator", "denominator_only"}
    else:
        assert {role for role, _i in seen} == {"source"}
    # the English name of the parameter pages too; a page past the end shows the last one
    assert ROW_ID.findall(b.get(_url(biggest, "?page=2")).get_data(as_text=True)) == seen[100:200]
    assert (
        ROW_ID.findall(b.get(_url(biggest, f"?trang={pages + 5}")).get_data(as_text=True))
        == seen[(pages - 1) * MAX_RECORDS :]
    )


def test_the_csv_has_every_record_with_a_bom_and_its_role(province, biggest):
    b = Browser(create_app(url=province), "hoidong")
    page = b.get(_url(biggest)).get_data(as_text=True)
    assert f'href="{_url(biggest, "/ban-ghi.csv")}"' in page
    r = b.get(_url(biggest, "/ban-ghi.csv"))
    assert r.status_code == 200 and r.mimetype == "text/csv"
    raw = r.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == biggest.record_count
    assert len({row["ma_ban_ghi"] for row in rows}) == biggest.record_count
    if _counts_records(biggest):
        assert sum(row["vai_tro"] == "numerator" for row in rows) == biggest.objective_numerator
        assert {row["vai_tro_ten"] for row in rows} == {"Tử số", "Chỉ mẫu số"}
    assert rows[0]["loai_ban_ghi"] == "Hồ sơ DVC" and rows[0]["received_at"].endswith("+07:00")


def test_another_units_submitter_cannot_download_the_records(province, biggest):
    other = biggest if biggest.unit_code != "000.00.01.H33" else None
    assert other is not None
    b = Browser(create_app(url=province), "donvi")
    assert b.get(_url(other, "/ban-ghi.csv")).status_code == 403


def test_a_count_metric_marks_the_records_it_counts(province):
    with session_scope(province) as s:
        row = s.scalars(
            sa.select(ClaimLedgerRow)
            .where(
                ClaimLedgerRow.period == PERIOD,
                ClaimLedgerRow.record_count > 0,
                ClaimLedgerRow.source == "SEC",
                ClaimLedgerRow.measure == "count",
            )
            .order_by(ClaimLedgerRow.unit_code)
            .limit(1)
        ).first()
        assert row is not None
        s.expunge(row)
    b = Browser(create_app(url=province), "hoidong")
    rows = list(csv.DictReader(io.StringIO(b.get(_url(row, "/ban-ghi.csv")).get_data().decode("utf-8-sig"))))
    assert len(rows) == row.record_count  # every incident in the window …
    assert sum(r["vai_tro"] == "counted" for r in rows) == row.objective_value  # … and the late ones counted
    assert {r["vai_tro"] for r in rows} <= {"counted", "not_counted"}
    assert "Được đếm" in b.get(_url(row)).get_data(as_text=True) or row.objective_value == 0


def test_a_claim_no_system_measures_says_so_and_exports_an_empty_list(province):
    with session_scope(province) as s:
        row = s.scalars(
            sa.select(ClaimLedgerRow)
            .where(ClaimLedgerRow.period == PERIOD, ClaimLedgerRow.source == "EVD")
            .order_by(ClaimLedgerRow.unit_code, ClaimLedgerRow.indicator_code)
            .limit(1)
        ).first()
        s.expunge(row)
    b = Browser(create_app(url=province), "hoidong")
    html = b.get(_url(row)).get_data(as_text=True)
    assert "Chỉ tiêu không tính từ hệ thống nguồn" in html and 'id="records-csv"' not in html
    text = b.get(_url(row, "/ban-ghi.csv")).get_data().decode("utf-8-sig")
    assert text.splitlines() == ["loai_ban_ghi,ma_ban_ghi,vai_tro,vai_tro_ten"]
