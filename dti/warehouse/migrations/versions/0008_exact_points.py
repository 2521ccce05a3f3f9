"""exact points: points keep 12 decimals instead of 4

Revision ID: 0008
Revises: 0007

A leaf's points were stored at 4 decimals and the exports rounded that half to even, so 8.965015 points
printed 8.96; docs/frameworks.md promises half-up rounding of the exact value (8.97). Points now keep 12
decimals (and every decimal is rounded half up in Python before it is stored, the same on every backend).
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

POINT_COLUMNS = {
    "claim_ledger": ("max_points", "self_points", "points_at_stake", "verified_points"),
    "unit_scores": ("max_points", "self_total", "verified_total", "measured_points", "evidence_points",
                    "provisional_points"),
    "self_reports": ("self_points", "council_points"),
    "decisions": ("points_before", "points_after"),
}


def _retype(old: sa.Numeric, new: sa.Numeric) -> None:
    for table, columns in POINT_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=new, existing_type=old)


def upgrade() -> None:
    _retype(sa.Numeric(12, 4), sa.Numeric(24, 12))


def downgrade() -> None:
    _retype(sa.Numeric(24, 12), sa.Numeric(12, 4))
