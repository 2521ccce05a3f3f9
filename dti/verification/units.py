"""Which units a period assesses, each with the framework it is scored on."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dti.framework import Framework, Period, framework_for_type, load_all
from dti.framework.loader import pick
from dti.units import load_registry
from dti.warehouse.models import Unit

UnitSpec = tuple[str, str, Framework]  # (unit code, unit type, framework)


def period_units(session: Session, period: str, frameworks: dict[str, Framework] | None = None) -> list[UnitSpec]:
    """Units assessed in `period`: current during the period's window, each with its framework."""
    frameworks = frameworks or load_all()
    per = Period.parse(period)
    registry = load_registry(session)
    out: list[UnitSpec] = []
    for unit in session.scalars(sa.select(Unit).order_by(Unit.code)):
        if unit.framework_id and unit.framework_id not in frameworks:
            continue  # filed under a foreign index set (e.g. an external sheet, "sheet:…"): not ours to score
        fw = pick(frameworks, unit.framework_id, per.year)  # the version in force that year
        if fw is None:
            fw = framework_for_type(frameworks, unit.unit_type, per.year)
        if fw is None:
            continue
        if not registry.is_assessed(unit.code, per.window(fw)):
            continue  # a predecessor merged away before the period closed: its records belong to the successor
        out.append((unit.code, unit.unit_type, fw))
    return out
