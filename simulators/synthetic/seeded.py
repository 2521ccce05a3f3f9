"""Seeded randomness and the small value helpers the synthetic province's parts share.

Every stream is keyed by the seed and by what it is for (a unit, a system, a leaf), so drawing more
in one stream never shifts another: the same seed and scale give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from decimal import ROUND_HALF_EVEN, Decimal

from dti.settings import TZ


def rng_for(seed: int, *parts) -> random.Random:
    """The random stream for `parts` (e.g. "dvc", unit code) under `seed`."""
    digest = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def time_on(day: dt.date, rng: random.Random, start_h: int = 7, end_h: int = 17) -> dt.datetime:
    """A local time on `day` between start_h and end_h o'clock (office hours by default)."""
    return dt.datetime(
        day.year,
        day.month,
        day.day,
        rng.randint(start_h, end_h - 1),
        rng.randint(0, 59),
        rng.randint(0, 59),
        tzinfo=TZ,
    )


def local_iso(ts: dt.datetime) -> str:
    """How the systems of record store a timestamp: local ISO text to the second."""
    return ts.astimezone(TZ).isoformat(timespec="seconds")


def quantize(value: Decimal, places: str = "0.0001") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_EVEN)
