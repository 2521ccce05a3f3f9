"""unit revisions: what a unit was before a re-import of the province's unit list changed it

Revision ID: 0009
Revises: 0007

`dti units import` updates units by code; the values a re-import replaces are kept in unit_revisions,
so a unit's name, type and validity can be read as they stood before.
"""

import sqlalchemy as sa
from alembic import op

from dti.warehouse.models.base import UTCDateTime

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_revisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_vi", sa.String(length=255), nullable=False),
        sa.Column("unit_type", sa.String(length=32), nullable=False),
        sa.Column("province_code", sa.String(length=16), nullable=False),
        sa.Column("parent_code", sa.String(length=64), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("framework_id", sa.String(length=64), nullable=True),
        sa.Column("replaced_at", UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(length=512), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_revisions")),
    )
    op.create_index(op.f("ix_unit_revisions_code"), "unit_revisions", ["code"])


def downgrade() -> None:
    op.drop_index("ix_unit_revisions_code", table_name="unit_revisions")
    op.drop_table("unit_revisions")
