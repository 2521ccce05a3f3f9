"""tabular sources: their rows, the marks of their declarative metrics, their loads and refused rows

Revision ID: 0011
Revises: 0010

Issue 17: a province binds leaves to further systems of record (the 1022 hotline, LGSP, payments, the reporting
system) through a CSV/Excel export or a SQL query declared in YAML (dti.tabular). Accepted rows go to
raw_tabular_rows keyed by source id + row id; tabular_marks says which rows each declarative metric counts;
tabular_loads keeps each source's latest load (a failed one makes its claims unverifiable) and tabular_rejects
the rows it refused, with the reason.
"""

import sqlalchemy as sa
from alembic import op

from dti.warehouse.models.base import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "raw_tabular_rows",
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("tabular_source", sa.String(length=64), nullable=False),
        sa.Column("row_id", sa.String(length=128), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("source_unit_code", sa.String(length=64), nullable=False),
        sa.Column("row_date", sa.Date(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("fetched_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source_id", name=op.f("pk_raw_tabular_rows")),
    )
    op.create_index(op.f("ix_raw_tabular_rows_tabular_source"), "raw_tabular_rows", ["tabular_source"])
    op.create_index(op.f("ix_raw_tabular_rows_unit_code"), "raw_tabular_rows", ["unit_code"])
    op.create_table(
        "tabular_marks",
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("in_denominator", sa.Boolean(), nullable=False),
        sa.Column("in_numerator", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("metric", "source_id", name=op.f("pk_tabular_marks")),
    )
    op.create_table(
        "tabular_loads",
        sa.Column("tabular_source", sa.String(length=64), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("attempted_at", UTCDateTime(), nullable=False),
        sa.Column("loaded_at", UTCDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("tabular_source", name=op.f("pk_tabular_loads")),
    )
    op.create_table(
        "tabular_rejects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tabular_source", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=True),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tabular_rejects")),
    )
    op.create_index(op.f("ix_tabular_rejects_tabular_source"), "tabular_rejects", ["tabular_source"])


def downgrade() -> None:
    op.drop_index(op.f("ix_tabular_rejects_tabular_source"), table_name="tabular_rejects")
    op.drop_table("tabular_rejects")
    op.drop_table("tabular_loads")
    op.drop_table("tabular_marks")
    op.drop_index(op.f("ix_raw_tabular_rows_unit_code"), table_name="raw_tabular_rows")
    op.drop_index(op.f("ix_raw_tabular_rows_tabular_source"), table_name="raw_tabular_rows")
    op.drop_table("raw_tabular_rows")
