"""Hand-written source records for the tests that need a few rows, not a generated province: the dossier
fields every such test leaves at a plain value (a test states the ones it is about)."""

from __future__ import annotations

# An online, fully served dossier with one component, digitised, signed in with VNeID, on the national portal.
DOSSIER_FIELDS = dict(
    channel=2,
    service_level="full",
    has_digitised=True,
    e_result=True,
    paid_online=False,
    fee_applies=False,
    vneid=True,
    synced_portal=True,
    components_total=1,
    components_reused=0,
)
