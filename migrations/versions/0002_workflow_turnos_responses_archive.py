"""workflow: turnos, responses, archive; seeds the archival series catalog

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 03:19:34.203627
"""

from alembic import op
import sqlalchemy as sa

from migrations.frozen import UTCDateTime

# the catalog as this migration seeded it (models.catalogs.SEED_ARCHIVE_SERIES then), frozen here
SEED_ARCHIVE_SERIES = [
    ("1C", "Legislación"),
    ("2C", "Asuntos Jurídicos"),
    ("3C", "Programación, Organización y Presupuestación"),
    ("4C", "Recursos Humanos"),
    ("5C", "Recursos Financieros"),
    ("6C", "Recursos Materiales y Obra Pública"),
    ("7C", "Servicios Generales"),
    ("8C", "Tecnologías y Servicios de la Información"),
    ("9C", "Comunicación Social"),
    ("10C", "Control y Auditoría de Actividades Públicas"),
    ("11C", "Planeación, Información, Evaluación y Políticas"),
    ("12C", "Vivienda"),
]


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "archive_series",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_archive_series")),
    )
    op.create_table(
        "archive_records",
        sa.Column("document_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("series", sa.String(length=40), nullable=False),
        sa.Column("file_number", sa.String(length=60), nullable=False),
        sa.Column("archived_at", UTCDateTime(), nullable=False),
        sa.Column("archived_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(["archived_by_id"], ["users.id"], name=op.f("fk_archive_records_archived_by_id_users")),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_archive_records_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["series"], ["archive_series.code"], name=op.f("fk_archive_records_series_archive_series")
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_archive_records")),
    )
    op.create_table(
        "turnos",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("document_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("from_unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sent_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("to_unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("instruction", sa.String(length=20), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("due_business_days", sa.Integer(), nullable=True),
        sa.Column("due_counted_from", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("concluded_at", UTCDateTime(), nullable=True),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.Column("answered_on_time", sa.Boolean(), nullable=True),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("accepted_at_first_answer", sa.Boolean(), nullable=True),
        sa.Column("near_notified_for", sa.Date(), nullable=True),
        sa.Column("passed_notified_for", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_turnos_document_id_documents")),
        sa.ForeignKeyConstraint(["from_unit_id"], ["org_units.id"], name=op.f("fk_turnos_from_unit_id_org_units")),
        sa.ForeignKeyConstraint(["parent_id"], ["turnos.id"], name=op.f("fk_turnos_parent_id_turnos")),
        sa.ForeignKeyConstraint(["sent_by_id"], ["users.id"], name=op.f("fk_turnos_sent_by_id_users")),
        sa.ForeignKeyConstraint(["to_unit_id"], ["org_units.id"], name=op.f("fk_turnos_to_unit_id_org_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_turnos")),
    )
    with op.batch_alter_table("turnos", schema=None) as batch_op:
        batch_op.create_index("ix_turnos_document_id", ["document_id"], unique=False)
        batch_op.create_index("ix_turnos_from_unit_id_sent_at", ["from_unit_id", "sent_at", "id"], unique=False)
        batch_op.create_index("ix_turnos_parent_id", ["parent_id"], unique=False)
        batch_op.create_index("ix_turnos_sent_at_id", ["sent_at", "id"], unique=False)
        batch_op.create_index("ix_turnos_status_due_date", ["status", "due_date"], unique=False)
        batch_op.create_index("ix_turnos_to_unit_id_sent_at", ["to_unit_id", "sent_at", "id"], unique=False)

    op.create_table(
        "responses",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("turno_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=True),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("evaluated_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("evaluated_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_responses_author_id_users")),
        sa.ForeignKeyConstraint(["evaluated_by_id"], ["users.id"], name=op.f("fk_responses_evaluated_by_id_users")),
        sa.ForeignKeyConstraint(["turno_id"], ["turnos.id"], name=op.f("fk_responses_turno_id_turnos")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responses")),
    )
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_responses_turno_id"), ["turno_id"], unique=False)

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("concluded_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("turno_count", sa.Integer(), nullable=False, server_default="0"))

    archive_series = sa.table("archive_series", sa.column("code"), sa.column("name"), sa.column("active"))
    op.bulk_insert(archive_series, [{"code": c, "name": n, "active": True} for c, n in SEED_ARCHIVE_SERIES])


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("turno_count")
        batch_op.drop_column("concluded_at")

    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_responses_turno_id"))

    op.drop_table("responses")
    with op.batch_alter_table("turnos", schema=None) as batch_op:
        batch_op.drop_index("ix_turnos_to_unit_id_sent_at")
        batch_op.drop_index("ix_turnos_status_due_date")
        batch_op.drop_index("ix_turnos_sent_at_id")
        batch_op.drop_index("ix_turnos_parent_id")
        batch_op.drop_index("ix_turnos_from_unit_id_sent_at")
        batch_op.drop_index("ix_turnos_document_id")

    op.drop_table("turnos")
    op.drop_table("archive_records")
    op.drop_table("archive_series")
