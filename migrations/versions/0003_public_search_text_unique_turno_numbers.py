"""public search text (what a confidential document shows to all who see it); unique turno numbers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 04:03:46.677691
"""

from alembic import op
import sqlalchemy as sa

from migrations.frozen import fold


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_search_text", sa.Text(), server_default="", nullable=False))

    # fill it for the documents already registered: folio, reference and addressee, folded
    documents = sa.table(
        "documents",
        sa.column("id"),
        sa.column("folio"),
        sa.column("reference"),
        sa.column("addressee"),
        sa.column("public_search_text"),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(documents.c.id, documents.c.folio, documents.c.reference, documents.c.addressee)
    )
    for row in rows.fetchall():
        text = " ".join(fold(v) for v in (row.folio, row.reference, row.addressee) if v)
        connection.execute(documents.update().where(documents.c.id == row.id).values(public_search_text=text))

    with op.batch_alter_table("turnos", schema=None) as batch_op:
        batch_op.drop_index("ix_turnos_document_id")
        batch_op.create_unique_constraint("uq_turnos_document_id_number", ["document_id", "number"])


def downgrade() -> None:
    with op.batch_alter_table("turnos", schema=None) as batch_op:
        batch_op.drop_constraint("uq_turnos_document_id_number", type_="unique")
        batch_op.create_index("ix_turnos_document_id", ["document_id"], unique=False)

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("public_search_text")
