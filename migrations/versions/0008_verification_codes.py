"""verification codes of the printed acuses and volantes (models/verification.py)

One row per printed paper, made on its first print: the random code its QR carries and that
the public page /verificar/{code} looks up. An acuse is unique per document (a partial unique
index: its turno_id is null, and nulls never conflict), a volante per turno.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from migrations.frozen import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ACUSE_ONE_PER_DOCUMENT = "kind = 'ACUSE'"


def upgrade() -> None:
    op.create_table(
        "verification_codes",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("document_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("turno_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'ACUSE' AND turno_id IS NULL) OR (kind = 'VOLANTE' AND turno_id IS NOT NULL)",
            name=op.f("ck_verification_codes_kind_matches_turno"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_verification_codes_document_id_documents")
        ),
        sa.ForeignKeyConstraint(["turno_id"], ["turnos.id"], name=op.f("fk_verification_codes_turno_id_turnos")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_verification_codes")),
    )
    with op.batch_alter_table("verification_codes", schema=None) as batch_op:
        batch_op.create_index(
            "uq_verification_codes_acuse_document_id",
            ["document_id"],
            unique=True,
            sqlite_where=sa.text(ACUSE_ONE_PER_DOCUMENT),
            postgresql_where=sa.text(ACUSE_ONE_PER_DOCUMENT),
        )
        batch_op.create_index("uq_verification_codes_turno_id", ["turno_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("verification_codes", schema=None) as batch_op:
        batch_op.drop_index("uq_verification_codes_turno_id")
        batch_op.drop_index("uq_verification_codes_acuse_document_id")

    op.drop_table("verification_codes")
