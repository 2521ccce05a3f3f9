"""One Vietnamese way of writing numbers, percentages, times and ages for every page, report and sheet:
`1.234,56`, `31,8 %`, `dd/mm/yyyy HH:MM` (Asia/Ho_Chi_Minh), "3 giờ trước"."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from dti.settings import TZ

DASH = "—"


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def number(value, places: int = 2) -> str:
    """1234.5 → "1.234,50": a dot between thousands, a comma before the decimals; None → "—"."""
    if value is None:
        return DASH
    q = _decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if q == 0:
        q = abs(q)  # no "-0,00"
    text = f"{q:,.{places}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def integer(value) -> str:
    """1386 → "1.386"."""
    return number(value, 0)


def points(value) -> str:
    """Points always with two decimals: "619,69"."""
    return number(value, 2)


def signed_points(value) -> str:
    """ "+12,50" / "−3,00" (a true minus sign), "0,00" for nothing."""
    if value is None:
        return DASH
    d = _decimal(value)
    text = points(abs(d))
    if d > 0 and text != "0,00":
        return "+" + text
    if d < 0 and text != "0,00":
        return "−" + text
    return text


def percent(fraction, places: int = 1) -> str:
    """A fraction as a percentage: 0.318 → "31,8 %"."""
    if fraction is None:
        return DASH
    return f"{number(_decimal(fraction) * 100, places)} %"


def value(v, measure: str | None) -> str:
    """An indicator value as people read it: rates as percentages, counts as numbers without useless zeros."""
    if v is None:
        return DASH
    if measure == "rate":
        return percent(v)
    d = _decimal(v)
    if d == d.to_integral_value():
        return integer(d)
    return number(d, 2)


def date_vn(day: dt.date | None) -> str:
    """dd/mm/yyyy."""
    return DASH if day is None else day.strftime("%d/%m/%Y")


def datetime_vn(ts: dt.datetime | None) -> str:
    """dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh (a naive time is taken as UTC, as the warehouse stores it)."""
    if ts is None:
        return DASH
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.UTC)
    return ts.astimezone(TZ).strftime("%d/%m/%Y %H:%M")


def age(hours: float | None) -> tuple[str, str]:
    """How long ago, in words (Vietnamese, English): "vừa xong" under a minute, then minutes, hours, days."""
    if hours is None:
        return "chưa bao giờ", "never"
    minutes = int(hours * 60)
    if minutes < 1:
        return "vừa xong", "just now"
    if minutes < 60:
        return f"{minutes} phút trước", f"{minutes} minute{'s' if minutes > 1 else ''} ago"
    if hours < 72:  # "48 giờ trước" reads better against a 48-hour limit than "2 ngày trước"
        h = int(hours)
        return f"{h} giờ trước", f"{h} hour{'s' if h > 1 else ''} ago"
    days = int(hours // 24)
    return f"{days} ngày trước", f"{days} days ago"


def duration(hours: float) -> tuple[str, str]:
    """A span of time in words (Vietnamese, English): "12 giờ", "3 ngày 4 giờ"."""
    h = int(hours)
    if h < 48:
        return f"{h} giờ", f"{h} hour{'s' if h != 1 else ''}"
    days, rest = divmod(h, 24)
    vi = f"{days} ngày" + (f" {rest} giờ" if rest else "")
    en = f"{days} days" + (f" {rest} h" if rest else "")
    return vi, en
