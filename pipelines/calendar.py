"""Which assessment period is open on a given day, and how far its deadline is — from the frameworks'
rounds (data window and deadlines), so schedules never hard-code dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dti.framework import Framework, Period, load_all


@dataclass(frozen=True)
class PeriodDates:
    period: str
    window_from: dt.date
    deadlines: tuple[dt.date, ...]  # every unit type's deadline in every framework that defines the round

    def next_deadline(self, today: dt.date) -> dt.date | None:
        return min((d for d in self.deadlines if d >= today), default=None)


def _valid_at(fw: Framework, day: dt.date) -> bool:
    return fw.valid_from <= day and (fw.valid_to is None or fw.valid_to >= day)


def period_calendar(period_keys: list[str], frameworks: dict[str, Framework] | None = None) -> list[PeriodDates]:
    """The data start and deadlines of each period, from the frameworks in force when its data window ends
    (all frameworks that define the round, if none is in force — e.g. a year before the first one)."""
    frameworks = frameworks if frameworks is not None else load_all()
    out = []
    for key in period_keys:
        per = Period.parse(key)
        having = [fw for fw in sorted(frameworks.values(), key=lambda f: f.id)
                  if any(r.round == per.round for r in fw.rounds)]
        in_force = [fw for fw in having if _valid_at(fw, per.window(fw)[1])] or having
        if not in_force:
            continue
        deadlines = sorted({per.deadline(fw, ut) for fw in in_force for ut in fw.round(per.round).deadlines})
        out.append(PeriodDates(key, min(per.window(fw)[0] for fw in in_force), tuple(deadlines)))
    return out


def open_periods(today: dt.date, period_keys: list[str], frameworks: dict[str, Framework] | None = None
                 ) -> list[tuple[PeriodDates, dt.date]]:
    """(period, its next deadline) for periods whose data window has started and that still have a
    deadline ahead, nearest deadline first."""
    found = []
    for p in period_calendar(period_keys, frameworks):
        nxt = p.next_deadline(today)
        if p.window_from <= today and nxt is not None:
            found.append((p, nxt))
    return sorted(found, key=lambda pn: (pn[1], pn[0].period))
