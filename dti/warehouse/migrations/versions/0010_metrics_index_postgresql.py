"""covering indexes for the objective metrics on PostgreSQL

Revision ID: 0010
Revises: 0009

The metrics number each unit's failing records in source-id order (dti.metrics, a window partitioned by
unit_code and ordered by source_id, both compared byte by byte: COLLATE "C"). Without an index in that order
PostgreSQL sorts ≈880 k dossiers at S, spilling to disk. This index is in that order (the "C" collation on
both keys) and INCLUDEs every column the metrics read, so a vacuumed table is read in order from the index
alone. The column lists are written out here, as they were when this revision was made.
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INCLUDED = {
    "raw_dossiers": ("deleted", "received_at", "finished_at", "due_at", "status", "channel", "service_level",
                     "fee_applies", "paid_online", "has_digitised", "synced_portal", "vneid", "e_result",
                     "satisfaction", "components_total", "components_reused", "procedure_code"),
    "raw_documents": ("deleted", "issue_date", "direction", "doc_type", "topic_dx", "signer_role",
                      "digitally_signed", "inter_agency", "via_axis", "axis_status", "confidential", "work_file",
                      "work_file_online"),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in INCLUDED.items():
        op.execute(f'CREATE INDEX IF NOT EXISTS ix_{table}_metrics_pg ON {table} '
                   f'(unit_code COLLATE "C", source_id COLLATE "C") INCLUDE ({", ".join(columns)})')


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in INCLUDED:
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_metrics_pg")
