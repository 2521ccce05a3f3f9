"""trust: the keyed audit log, publications and reopenings, server-side sessions, decisions' points

Revision ID: 0004
Revises: 0003

A published period keeps a frozen copy of what was published; corrections after publication are
reopenings a second person approves; the audit log's entries are MACed with a key kept outside the
warehouse; review log-ins are server-side sessions that log-out revokes.
"""

import sqlalchemy as sa
from alembic import op

from dti.warehouse.models.base import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("points_before", sa.Numeric(12, 4), nullable=True))
        batch.add_column(sa.Column("points_after", sa.Numeric(12, 4), nullable=True))
    op.create_table(
        "audit_entries",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_mac", sa.String(length=64), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_entries")),
        sa.UniqueConstraint("mac", name=op.f("uq_audit_entries_mac")),
    )
    op.create_index(op.f("ix_audit_entries_subject"), "audit_entries", ["subject"])
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("decision_number", sa.String(length=128), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("signer", sa.String(length=255), nullable=True),
        sa.Column("published_by", sa.String(length=128), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.Column("snapshot", sa.LargeBinary(), nullable=False),
        sa.Column("snapshot_sha256", sa.String(length=64), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.Column("audit_mac", sa.String(length=64), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publications")),
    )
    op.create_index(op.f("ix_publications_period"), "publications", ["period"])
    op.create_table(
        "period_reopenings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=128), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("approved_by", sa.String(length=128), nullable=True),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period_reopenings")),
    )
    op.create_index(op.f("ix_period_reopenings_period"), "period_reopenings", ["period"])
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
    )
    op.create_index(op.f("ix_web_sessions_user_id"), "web_sessions", ["user_id"])


def downgrade() -> None:
    for table, index in (("web_sessions", "user_id"), ("period_reopenings", "period"), ("publications", "period"),
                         ("audit_entries", "subject")):
        op.drop_index(op.f(f"ix_{table}_{index}"), table_name=table)
        op.drop_table(table)
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("points_after")
        batch.drop_column("points_before")
