"""sync completeness: counts per batch, the source's state, quarantined records

Revision ID: 0003
Revises: 0002

Every sync ends with a count check (expected from the source, received, stored, quarantined); a source
whose last sync was incomplete or failed says so in source_status.state; records set aside by a sync (a
time beyond now plus the allowed clock skew) are kept whole in quarantined_records.
"""

import sqlalchemy as sa
from alembic import op

from dti.warehouse.models.base import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_batches") as batch:
        batch.add_column(sa.Column("expected", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("received", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("quarantined", sa.Integer(), nullable=True))
    with op.batch_alter_table("source_status") as batch:
        batch.add_column(sa.Column("state", sa.String(length=16), nullable=True))
    op.create_table(
        "quarantined_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("batch_id", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("quarantined_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantined_records")),
    )
    op.create_index(op.f("ix_quarantined_records_source"), "quarantined_records", ["source"])
    op.create_index(op.f("ix_quarantined_records_batch_id"), "quarantined_records", ["batch_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_quarantined_records_batch_id"), table_name="quarantined_records")
    op.drop_index(op.f("ix_quarantined_records_source"), table_name="quarantined_records")
    op.drop_table("quarantined_records")
    with op.batch_alter_table("source_status") as batch:
        batch.drop_column("state")
    with op.batch_alter_table("sync_batches") as batch:
        batch.drop_column("quarantined")
        batch.drop_column("received")
        batch.drop_column("expected")
