"""How the pages print times, values, points and percentages: Vietnamese style, decimal comma."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dti import formatting
from dti.settings import TZ


def vn_time(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(TZ).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def fmt_points(value) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value).quantize(Decimal('0.01'))}".replace(".", ",")


def fmt_pct(value) -> str:
    if value is None:
        return "—"
    return f"{(Decimal(value) * 100).quantize(Decimal('0.01'))}%".replace(".", ",")


def fmt_value(value, measure: str | None = None) -> str:
    if value is None:
        return "—"
    if measure == "rate":
        return fmt_pct(value)
    text = format(Decimal(value).normalize(), "f")
    return text.replace(".", ",")


FILTERS = {"int_vn": formatting.integer, "vn_time": vn_time, "value": fmt_value, "pts": fmt_points, "pct": fmt_pct}
