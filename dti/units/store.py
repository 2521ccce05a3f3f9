"""The unit registry in the warehouse tables `units` and `unit_links`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from dti.units.registry import Unit, UnitLink, UnitRegistry
from dti.warehouse import models


def load_registry(session) -> UnitRegistry:
    """Read the registry from the warehouse tables `units` and `unit_links`."""
    units = [
        Unit(
            code=r.code,
            name_vi=r.name_vi,
            unit_type=r.unit_type,
            province_code=r.province_code,
            valid_from=r.valid_from,
            valid_to=r.valid_to,
            parent_code=r.parent_code,
            framework_id=r.framework_id,
        )
        for r in session.scalars(select(models.Unit))
    ]
    links = [
        UnitLink(
            predecessor=r.predecessor_code, successor=r.successor_code, effective=r.effective, reason=r.reason
        )
        for r in session.scalars(select(models.UnitLink))
    ]
    return UnitRegistry(units, links, source="warehouse")


def save_registry(session, registry: UnitRegistry) -> dict[str, int]:
    """Upsert units by code and add links not yet stored. Stored links are never deleted.

    Returns counts of units inserted/updated and links added, so a rerun reports zero changes.
    """
    counts = {"units_inserted": 0, "units_updated": 0, "links_added": 0}
    existing = {r.code: r for r in session.scalars(select(models.Unit))}
    fields = (
        "name_vi",
        "unit_type",
        "province_code",
        "valid_from",
        "valid_to",
        "parent_code",
        "framework_id",
    )
    for unit in registry.units:
        row = existing.get(unit.code)
        if row is None:
            session.add(models.Unit(code=unit.code, **{f: getattr(unit, f) for f in fields}))
            counts["units_inserted"] += 1
        elif any(getattr(row, f) != getattr(unit, f) for f in fields):
            for f in fields:
                setattr(row, f, getattr(unit, f))
            counts["units_updated"] += 1
    stored = {
        (r.predecessor_code, r.successor_code, r.effective) for r in session.scalars(select(models.UnitLink))
    }
    for link in registry.links:
        if (link.predecessor, link.successor, link.effective) not in stored:
            session.add(
                models.UnitLink(
                    predecessor_code=link.predecessor,
                    successor_code=link.successor,
                    effective=link.effective,
                    reason=link.reason,
                )
            )
            counts["links_added"] += 1
    session.flush()
    return counts


def save_import(session, registry: UnitRegistry, source: str, now: dt.datetime) -> dict[str, int]:
    """Store an imported registry (save_registry), first keeping each unit a re-import changes as it
    stood in `unit_revisions`, so its history by code survives the update."""
    fields = ("name_vi", "unit_type", "province_code", "valid_from", "valid_to", "parent_code", "framework_id")
    incoming = {u.code: u for u in registry.units}
    revised = 0
    for row in session.scalars(select(models.Unit).order_by(models.Unit.code)):
        unit = incoming.get(row.code)
        if unit is not None and any(getattr(row, f) != getattr(unit, f) for f in fields):
            session.add(models.UnitRevision(code=row.code, replaced_at=now, source=source,
                                            **{f: getattr(row, f) for f in fields}))
            revised += 1
    counts = save_registry(session, registry)
    counts["revisions_kept"] = revised
    return counts


def unit_history(session, code: str) -> list[models.UnitRevision]:
    """The earlier states of a unit, oldest first."""
    return list(session.scalars(select(models.UnitRevision).where(models.UnitRevision.code == code)
                                .order_by(models.UnitRevision.id)))
