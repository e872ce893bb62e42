"""what people's daily work needed: cancel reasons, single-token logout, the user directory's search

- turnos.cancel_reason: why a turno was cancelled (cancelTurno's optional reason).
- revoked_tokens: tokens ended by `logout` before their expiry, by their `jti` claim.
- users.search_text: username, full name and e-mail folded (lower case, no accents), filled for
  the users already there, for `users(search:)`.
- events: a cascaded TURNO_CANCELLED said `cascadeFrom`; every id in `data` now sits under a key
  ending in Id (`cascadeFromId`).

Revision ID: 0009
Revises: 0008
"""

import unicodedata

from alembic import op
import sqlalchemy as sa

from migrations.frozen import UTCDateTime


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def user_search_text(username: str, full_name: str, email: str | None) -> str:
    """As models.users.user_search_text did at this revision (frozen here: a migration must not
    change meaning when the application does)."""
    text = " ".join(filter(None, (username, full_name, email)))
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def upgrade() -> None:
    with op.batch_alter_table("turnos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.String(length=600), nullable=True))
    op.create_table(
        "revoked_tokens",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_revoked_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_revoked_tokens")),
    )
    with op.batch_alter_table("revoked_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_revoked_tokens_expires_at"), ["expires_at"], unique=False)

    bind = op.get_bind()
    users = sa.table(
        "users",
        sa.column("id"),
        sa.column("username"),
        sa.column("full_name"),
        sa.column("email"),
        sa.column("search_text"),
    )
    for row in bind.execute(sa.select(users.c.id, users.c.username, users.c.full_name, users.c.email)).all():
        bind.execute(
            users.update()
            .where(users.c.id == row.id)
            .values(search_text=user_search_text(row.username, row.full_name, row.email))
        )

    if bind.dialect.name == "postgresql":
        op.execute(
            "UPDATE events SET data = (data - 'cascadeFrom') || jsonb_build_object('cascadeFromId', data->'cascadeFrom') "
            "WHERE data ? 'cascadeFrom'"
        )
    else:
        op.execute(
            "UPDATE events SET data = json_remove(json_set(data, '$.cascadeFromId', json_extract(data, '$.cascadeFrom')), "
            "'$.cascadeFrom') WHERE json_extract(data, '$.cascadeFrom') IS NOT NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("revoked_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_revoked_tokens_expires_at"))
    op.drop_table("revoked_tokens")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("search_text")
    with op.batch_alter_table("turnos", schema=None) as batch_op:
        batch_op.drop_column("cancel_reason")
