"""covering indexes for the objective metrics (SQLite only)

Revision ID: 0002
Revises: 0001

The metrics read raw dossiers and documents unit by unit in source-id order (dti.metrics). On SQLite an
index holding every column they read lets them do so without touching the table; PostgreSQL and MariaDB
do without (see dti.warehouse.models._metrics_index). The column lists are written out here, as they were
when this revision was made, so that the migration does not change when the models do.
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = {
    "raw_dossiers": ("received_at", "finished_at", "due_at", "status", "channel", "service_level", "fee_applies",
                     "paid_online", "has_digitised", "synced_portal", "vneid", "e_result", "satisfaction",
                     "components_total", "components_reused", "procedure_code"),
    "raw_documents": ("issue_date", "direction", "doc_type", "topic_dx", "signer_role", "digitally_signed",
                      "inter_agency", "via_axis", "axis_status", "confidential", "work_file", "work_file_online"),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in INDEXES.items():
        op.create_index(f"ix_{table}_metrics", table, ["unit_code", "source_id", "deleted", *columns])


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in INDEXES:
        op.drop_index(f"ix_{table}_metrics", table_name=table)
