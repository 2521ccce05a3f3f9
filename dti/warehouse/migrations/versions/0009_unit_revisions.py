"""unit revisions, framework versions side by side, grading bands on unit scores

What a unit was before a re-import of the province's unit list changed it

Revision ID: 0009
Revises: 0008

`dti units import` updates units by code; the values a re-import replaces are kept in unit_revisions,
so a unit's name, type and validity can be read as they stood before.

The frameworks table is keyed by (id, version): two versions of one index set coexist (Lào Cai's decision
3019 replacing 2644), each period scored on the one in force. The table is rebuilt under the new key (the
portable way to change a primary key on SQLite, PostgreSQL and MariaDB alike).

unit_scores gains self_grade / verified_grade: the framework's grading band (xếp loại) each DTI value reaches.
"""

import sqlalchemy as sa
from alembic import op

from dti.warehouse.models.base import UTCDateTime

revision = "0009"
down_revision = "0008"
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
    _rekey_frameworks(["id", "version"])
    with op.batch_alter_table("unit_scores") as batch:
        batch.add_column(sa.Column("self_grade", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("verified_grade", sa.String(length=64), nullable=True))


def _frameworks_table(name: str, key: list[str] | None):
    columns = [
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("loaded_at", UTCDateTime(), nullable=False),
    ]
    if key:
        columns.append(sa.PrimaryKeyConstraint(*key, name=op.f("pk_frameworks")))
    op.create_table(name, *columns)


def _rekey_frameworks(key: list[str]) -> None:
    """Copy aside, drop, recreate under the new key (constraint name kept: pk_frameworks), copy back."""
    fields = "id, version, checksum, content, loaded_at"
    _frameworks_table("frameworks_copy", None)
    op.execute(f"INSERT INTO frameworks_copy ({fields}) SELECT {fields} FROM frameworks")
    op.drop_table("frameworks")
    _frameworks_table("frameworks", key)
    op.execute(f"INSERT INTO frameworks ({fields}) SELECT {fields} FROM frameworks_copy")
    op.drop_table("frameworks_copy")


def downgrade() -> None:
    with op.batch_alter_table("unit_scores") as batch:
        batch.drop_column("verified_grade")
        batch.drop_column("self_grade")
    _rekey_frameworks(["id"])  # fails if two versions of one id are stored: keep one first
    op.drop_index("ix_unit_revisions_code", table_name="unit_revisions")
    op.drop_table("unit_revisions")
