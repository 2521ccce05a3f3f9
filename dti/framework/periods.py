"""Assessment periods: a year and a round of a framework, written `2025-R3`."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from dti.framework.model import Framework

_PERIOD = re.compile(r"^(\d{4})-R(\d+)$")


@dataclass(frozen=True, order=True)
class Period:
    year: int
    round: int

    @classmethod
    def parse(cls, text: str) -> Period:
        m = _PERIOD.match(text.strip())
        if not m:
            raise ValueError(
                f"Kỳ đánh giá '{text}' không hợp lệ, cần dạng NĂM-R<đợt>, ví dụ 2025-R3 "
                f"/ period '{text}' is invalid, expected YEAR-R<round> such as 2025-R3"
            )
        return cls(int(m.group(1)), int(m.group(2)))

    def __str__(self) -> str:
        return f"{self.year}-R{self.round}"

    def _date(self, mmdd: str) -> dt.date:
        year = self.year
        if mmdd.startswith("+1:"):
            year, mmdd = year + 1, mmdd[3:]
        month, day = (int(x) for x in mmdd.split("-"))
        return dt.date(year, month, day)

    def window(self, framework: Framework) -> tuple[dt.date, dt.date]:
        """First and last day (inclusive) of the data the round covers."""
        r = framework.round(self.round)
        return self._date(r.data_from), self._date(r.data_to)

    def deadline(self, framework: Framework, unit_type: str) -> dt.date | None:
        r = framework.round(self.round)
        mmdd = r.deadlines.get(unit_type) or r.deadlines.get("*")
        return self._date(mmdd) if mmdd else None
