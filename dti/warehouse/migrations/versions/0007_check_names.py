"""check names say what passing means: no_critical_discrepancies → every_discrepancy_below_critical

Revision ID: 0007
Revises: 0006

The warning check on the claim ledger was named as if it fired when its name held; it is renamed after
what passing means. Its rows in the check history are renamed too, so the history reads as one check.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

RENAMED = {"no_critical_discrepancies": "every_discrepancy_below_critical"}


def _rename(pairs: dict[str, str]) -> None:
    table = sa.table("check_results", sa.column("check_name", sa.String))
    for old, new in pairs.items():
        op.execute(table.update().where(table.c.check_name == old).values(check_name=new))


def upgrade() -> None:
    _rename(RENAMED)


def downgrade() -> None:
    _rename({new: old for old, new in RENAMED.items()})
