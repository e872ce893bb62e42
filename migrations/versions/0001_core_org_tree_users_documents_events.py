"""core: org tree, users, documents, events; seeds the document type catalog

Revision ID: 0001
Revises:
Create Date: 2026-11-24 03:10:15.593753
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from migrations.frozen import UTCDateTime

# the catalog as this migration seeded it (models.catalogs.SEED_DOCUMENT_TYPES then), frozen here
SEED_DOCUMENT_TYPES = [
    ("OFICIO", "Oficio"),
    ("MEMORANDUM", "Memorándum"),
    ("CIRCULAR", "Circular"),
    ("TARJETA_INFORMATIVA", "Tarjeta informativa"),
    ("SOLICITUD_CIUDADANA", "Solicitud ciudadana"),
    ("INVITACION", "Invitación"),
    ("OTRO", "Otro"),
]

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_types",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_document_types")),
    )
    op.create_table(
        "institution_holidays",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_institution_holidays")),
    )
    op.create_table(
        "login_throttle",
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_login_throttle")),
    )
    op.create_table(
        "org_units",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("acronym", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["org_units.id"], name=op.f("fk_org_units_parent_id_org_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_units")),
        sa.UniqueConstraint("acronym", name=op.f("uq_org_units_acronym")),
        sa.UniqueConstraint("code", name=op.f("uq_org_units_code")),
    )
    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_org_units_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index("ix_org_units_path", ["path"], unique=False, postgresql_ops={"path": "text_pattern_ops"})

    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("folio", sa.String(length=60), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("document_type", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=True),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("sender_level", sa.String(length=20), nullable=False),
        sa.Column("sender_name", sa.String(length=300), nullable=False),
        sa.Column("sender_position", sa.String(length=300), nullable=True),
        sa.Column("sender_organization", sa.String(length=300), nullable=True),
        sa.Column("sender_email", sa.String(length=200), nullable=True),
        sa.Column("sender_phone", sa.String(length=60), nullable=True),
        sa.Column("sender_address", sa.String(length=500), nullable=True),
        sa.Column("addressee", sa.String(length=300), nullable=True),
        sa.Column("document_date", sa.Date(), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("registered_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("duplicate_key", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_type"], ["document_types.code"], name=op.f("fk_documents_document_type_document_types")
        ),
        sa.ForeignKeyConstraint(["registered_by_id"], ["users.id"], name=op.f("fk_documents_registered_by_id_users")),
        sa.ForeignKeyConstraint(["unit_id"], ["org_units.id"], name=op.f("fk_documents_unit_id_org_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("unit_id", "year", "number", name="uq_documents_unit_year_number"),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index("ix_documents_duplicate_key", ["duplicate_key", "received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_folio"), ["folio"], unique=False)
        batch_op.create_index("ix_documents_received_at_id", ["received_at", "id"], unique=False)
        batch_op.create_index("ix_documents_unit_id_received_at", ["unit_id", "received_at"], unique=False)

    op.create_table(
        "folio_counters",
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["org_units.id"], name=op.f("fk_folio_counters_unit_id_org_units")),
        sa.PrimaryKeyConstraint("unit_id", "year", name=op.f("pk_folio_counters")),
    )
    op.create_table(
        "memberships",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["org_units.id"], name=op.f("fk_memberships_unit_id_org_units")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_memberships_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("user_id", "unit_id", "role", name="uq_memberships_user_unit_role"),
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_memberships_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_memberships_user_id"), ["user_id"], unique=False)

    op.create_table(
        "document_units",
        sa.Column("document_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_document_units_document_id_documents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["org_units.id"], name=op.f("fk_document_units_unit_id_org_units")),
        sa.PrimaryKeyConstraint("document_id", "unit_id", name=op.f("pk_document_units")),
    )
    with op.batch_alter_table("document_units", schema=None) as batch_op:
        batch_op.create_index("ix_document_units_unit_id", ["unit_id", "document_id"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("document_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("turno_id", sa.BigInteger(), nullable=True),
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_events_actor_id_users")),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_events_document_id_documents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_document_id", ["document_id", "id"], unique=False)
        batch_op.create_index("ix_events_turno_id", ["turno_id", "id"], unique=False)

    op.create_table(
        "event_audience",
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_audience_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["org_units.id"], name=op.f("fk_event_audience_unit_id_org_units")),
        sa.PrimaryKeyConstraint("event_id", "unit_id", name=op.f("pk_event_audience")),
    )
    with op.batch_alter_table("event_audience", schema=None) as batch_op:
        batch_op.create_index("ix_event_audience_unit_id", ["unit_id", "event_id"], unique=False)

    document_types = sa.table("document_types", sa.column("code"), sa.column("name"), sa.column("active"))
    op.bulk_insert(document_types, [{"code": c, "name": n, "active": True} for c, n in SEED_DOCUMENT_TYPES])


def downgrade() -> None:
    with op.batch_alter_table("event_audience", schema=None) as batch_op:
        batch_op.drop_index("ix_event_audience_unit_id")

    op.drop_table("event_audience")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_turno_id")
        batch_op.drop_index("ix_events_document_id")

    op.drop_table("events")
    with op.batch_alter_table("document_units", schema=None) as batch_op:
        batch_op.drop_index("ix_document_units_unit_id")

    op.drop_table("document_units")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memberships_user_id"))
        batch_op.drop_index(batch_op.f("ix_memberships_unit_id"))

    op.drop_table("memberships")
    op.drop_table("folio_counters")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_unit_id_received_at")
        batch_op.drop_index("ix_documents_received_at_id")
        batch_op.drop_index(batch_op.f("ix_documents_folio"))
        batch_op.drop_index("ix_documents_duplicate_key")

    op.drop_table("documents")
    op.drop_table("users")
    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.drop_index("ix_org_units_path", postgresql_ops={"path": "text_pattern_ops"})
        batch_op.drop_index(batch_op.f("ix_org_units_parent_id"))

    op.drop_table("org_units")
    op.drop_table("login_throttle")
    op.drop_table("institution_holidays")
    op.drop_table("document_types")
