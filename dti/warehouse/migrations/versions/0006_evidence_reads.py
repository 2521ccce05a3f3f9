"""evidence reads: the text of each evidence file (read once per sha256) and the verdicts of each filing

Revision ID: 0006
Revises: 0005

evidence_texts caches what the reader (dti.evidence) got out of one file content: its text, the
fields the document states about itself, its text fingerprint and why it could not be read, if so;
evidence_verdicts keeps the checks on each filing of evidence_files and its overall verdict.
"""

import sqlalchemy as sa
from alembic import op

from dti.warehouse.models.base import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence_texts",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("reader", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=True),
        sa.Column("problem", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("transient", sa.Boolean(), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("pages_read", sa.Integer(), nullable=False),
        sa.Column("ocr_pages", sa.Integer(), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("letters", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=True),
        sa.Column("content", sa.JSON(), nullable=True),
        sa.Column("text_sha", sa.String(length=64), nullable=True),
        sa.Column("signature", sa.String(length=512), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_evidence_texts")),
    )
    op.create_index(op.f("ix_evidence_texts_text_sha"), "evidence_texts", ["text_sha"])
    op.create_table(
        "evidence_verdicts",
        sa.Column("evidence_file_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=True),
        sa.Column("indicator_code", sa.String(length=32), nullable=True),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("relevance_basis", sa.String(length=64), nullable=True),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["evidence_file_id"], ["evidence_files.id"],
                                name=op.f("fk_evidence_verdicts_evidence_file_id_evidence_files")),
        sa.PrimaryKeyConstraint("evidence_file_id", name=op.f("pk_evidence_verdicts")),
    )
    op.create_index(op.f("ix_evidence_verdicts_period"), "evidence_verdicts", ["period"])
    op.create_index(op.f("ix_evidence_verdicts_verdict"), "evidence_verdicts", ["verdict"])


def downgrade() -> None:
    op.drop_index(op.f("ix_evidence_verdicts_verdict"), table_name="evidence_verdicts")
    op.drop_index(op.f("ix_evidence_verdicts_period"), table_name="evidence_verdicts")
    op.drop_table("evidence_verdicts")
    op.drop_index(op.f("ix_evidence_texts_text_sha"), table_name="evidence_texts")
    op.drop_table("evidence_texts")
