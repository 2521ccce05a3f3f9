"""The unit registry: units with validity dates and merger links, so old codes map to current units.

Provinces went from 63 to 34 on 1/7/2025, districts were abolished and communes merged; records in
systems of record still carry old codes. `UnitRegistry.resolve(code, on)` follows predecessor →
successor links (several hops if needed) to the unit responsible on that day. The registry is the one
resolver: the sync keeps a record under `owner(code, day)` and reads a unit's records under
`record_codes(day)`; a period assesses the units `assessed_units` gives.
"""

from dti.units.files import load_registry_file
from dti.units.registry import (
    RegistryError,
    SplitUnitError,
    Unit,
    UnitError,
    UnitLink,
    UnitRegistry,
    assessed_units,
)
from dti.units.store import load_registry, save_registry

__all__ = [
    "RegistryError",
    "SplitUnitError",
    "Unit",
    "UnitError",
    "UnitLink",
    "UnitRegistry",
    "assessed_units",
    "load_registry",
    "load_registry_file",
    "save_registry",
]
