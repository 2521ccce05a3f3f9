"""One Vietnamese way of writing numbers, percentages, times and ages (dti.formatting)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dti import formatting as f
from dti.settings import TZ


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1234.56"), "1.234,56"),
        (Decimal("619.685"), "619,69"),
        (Decimal("0"), "0,00"),
        (Decimal("-0.001"), "0,00"),
        (Decimal("-1234567.5"), "-1.234.567,50"),
        (12.5, "12,50"),
        (None, "—"),
    ],
)
def test_points(value, text):
    assert f.points(value) == text


@pytest.mark.parametrize(
    ("value", "measure", "text"),
    [
        (Decimal("0.318"), "rate", "31,8 %"),
        (Decimal("0.8489"), "rate", "84,9 %"),
        (Decimal("1"), "rate", "100,0 %"),
        (Decimal("1386"), "count", "1.386"),
        (Decimal("2.50"), "count", "2,50"),
        (None, "rate", "—"),
    ],
)
def test_values_as_people_read_them(value, measure, text):
    assert f.value(value, measure) == text


def test_signed_points_use_a_true_minus_and_no_sign_for_nothing():
    assert (
        f.signed_points(Decimal("12.5")),
        f.signed_points(Decimal("-3")),
        f.signed_points(Decimal("0.001")),
    ) == ("+12,50", "−3,00", "0,00")


def test_times_are_local_day_month_year():
    assert f.datetime_vn(dt.datetime(2026, 12, 4, 10, 35, tzinfo=dt.UTC)) == "04/12/2026 17:35"
    assert f.datetime_vn(dt.datetime(2026, 12, 4, 10, 35)) == "04/12/2026 17:35"  # naive: UTC, as stored
    assert f.datetime_vn(dt.datetime(2026, 12, 4, 17, 35, tzinfo=TZ)) == "04/12/2026 17:35"
    assert f.date_vn(dt.date(2026, 3, 5)) == "05/03/2026"


@pytest.mark.parametrize(
    ("hours", "vi", "en"),
    [
        (0.0, "vừa xong", "just now"),
        (0.2, "12 phút trước", "12 minutes ago"),
        (1 / 60, "1 phút trước", "1 minute ago"),
        (5.9, "5 giờ trước", "5 hours ago"),
        (48, "48 giờ trước", "48 hours ago"),
        (80, "3 ngày trước", "3 days ago"),
        (None, "chưa bao giờ", "never"),
    ],
)
def test_ages_read_as_words_never_zero_hours(hours, vi, en):
    assert f.age(hours) == (vi, en)
