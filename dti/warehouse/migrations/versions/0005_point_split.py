"""point split: how verified each unit's verified total is, and the value it is ranked on

Revision ID: 0005
Revises: 0004

Each unit score records its verified points measured from records, confirmed by checked evidence and
provisional, the share checked (coverage), the DTI value the framework's ranking policy ranks it on, and
whether its rank rests on provisional points.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = ("measured_points", "evidence_points", "provisional_points")


def upgrade() -> None:
    with op.batch_alter_table("unit_scores") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Numeric(12, 4), nullable=False, server_default="0"))
        batch.add_column(sa.Column("coverage", sa.Numeric(8, 6), nullable=False, server_default="1"))
        batch.add_column(sa.Column("ranking_dti", sa.Numeric(8, 6), nullable=True))
        batch.add_column(sa.Column("rank_on_provisional", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("unit_scores") as batch:
        for name in ("rank_on_provisional", "ranking_dti", "coverage", *reversed(COLUMNS)):
            batch.drop_column(name)
