"""attachments

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 04:34:00.159542
"""

from alembic import op
import sqlalchemy as sa

from migrations.frozen import UTCDateTime


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("document_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("response_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("unreadable", sa.Boolean(), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.Column("uploaded_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("text_status", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_attachments_document_id_documents")),
        sa.ForeignKeyConstraint(["response_id"], ["responses.id"], name=op.f("fk_attachments_response_id_responses")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], name=op.f("fk_attachments_uploaded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index("ix_attachments_document_id", ["document_id"], unique=False)
        batch_op.create_index("ix_attachments_response_id", ["response_id"], unique=False)
        batch_op.create_index("ix_attachments_sha256", ["sha256"], unique=False)
        batch_op.create_index("ix_attachments_text_status", ["text_status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index("ix_attachments_text_status")
        batch_op.drop_index("ix_attachments_sha256")
        batch_op.drop_index("ix_attachments_response_id")
        batch_op.drop_index("ix_attachments_document_id")

    op.drop_table("attachments")
