"""Units and their frameworks as intake needs them: codes resolved through the shared unit registry
(dti.units, merger links followed), with a plain read of the `units` table as the fallback."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dti.framework.loader import framework_for_type, pick
from dti.framework.model import Framework
from dti.units import RegistryError, UnitError, load_registry
from dti.warehouse.models import Unit


@dataclass(frozen=True)
class UnitInfo:
    code: str
    name_vi: str
    unit_type: str
    province_code: str
    framework_id: str | None
    valid_from: dt.date
    valid_to: dt.date | None


def find_unit(session: Session, code: str, on: dt.date | None = None) -> UnitInfo | None:
    """The unit with this code, valid on `on` when given (codes are reused after mergers)."""
    rows = session.scalars(select(Unit).where(Unit.code == code)).all()
    for row in rows:
        if on is None or (row.valid_from <= on and (row.valid_to is None or on <= row.valid_to)):
            return UnitInfo(row.code, row.name_vi, row.unit_type, row.province_code, row.framework_id,
                            row.valid_from, row.valid_to)
    return None


def resolve_unit(session: Session, code: str, on: dt.date | None) -> tuple[UnitInfo | None, str | None]:
    """The unit responsible for `code` on `on` (an old code after a merger gives its successor).

    Returns (unit, problem): problem is set when the code was split between several successors,
    which only a person can settle.
    """
    try:
        reg = load_registry(session)
    except RegistryError:  # an inconsistent registry must not stop intake: read the table itself
        return find_unit(session, code), None
    if code not in reg:
        return None, None
    try:
        # chain() and not resolve(): a unit abolished later still answers for the rounds it existed in
        unit = reg.chain(code, on)[-1]
    except UnitError as exc:
        return None, str(exc)
    return UnitInfo(unit.code, unit.name_vi, unit.unit_type, unit.province_code, unit.framework_id,
                    unit.valid_from, unit.valid_to), None


def unit_exists(session: Session, code: str) -> bool:
    return session.get(Unit, code) is not None


def framework_for(unit: UnitInfo, frameworks: dict[str, Framework], year: int | None = None) -> Framework | None:
    """The unit's own framework, else the one (first by id) whose unit types include the unit's type; in
    the version in force in `year` when given (a period's year), else the newest."""
    if unit.framework_id:
        return pick(frameworks, unit.framework_id, year)
    return framework_for_type(frameworks, unit.unit_type, year)


def ensure_external_unit(session: Session, code: str, name_vi: str, unit_type: str, province_code: str,
                         framework_id: str, valid_from: dt.date) -> None:
    """File a foreign sheet under a unit record marked external (province code) if it is missing."""
    if session.get(Unit, code) is None:
        session.add(Unit(code=code, name_vi=name_vi, unit_type=unit_type, province_code=province_code,
                         parent_code=None, valid_from=valid_from, valid_to=None, framework_id=framework_id))
        session.flush()
