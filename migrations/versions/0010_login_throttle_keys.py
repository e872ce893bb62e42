"""login_throttle counts failed sign-ins per key, not only per username

- login_throttle: `key` ("user:<username>", "ip:<address>", "known:<username>|ip:<address>",
  "known:<username>|dev:<device>", "global:<minute>") replaces `username`; `last_failure_at`
  may be empty; `last_success_at` says when a known client last signed in. The counts already
  there carry over as "user:<username>".

Revision ID: 0010
Revises: 0009
"""

from alembic import op
import sqlalchemy as sa


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# frozen here (not models.base.UTCDateTime): a migration must not change when the application does;
# the rows are copied as the database returns them, so no conversion is needed
TIMESTAMP = sa.DateTime(timezone=True)


def _untyped(columns: list[str]) -> sa.TableClause:
    return sa.table("login_throttle", *(sa.column(c) for c in columns))


def _copy_out(columns: list[str]) -> list[dict]:
    return [dict(row._mapping) for row in op.get_bind().execute(sa.select(_untyped(columns))).all()]


def upgrade() -> None:
    rows = _copy_out(["username", "failures", "last_failure_at"])
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", TIMESTAMP, nullable=True),
        sa.Column("last_success_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    if rows:
        op.bulk_insert(
            _untyped(["key", "failures", "last_failure_at", "last_success_at"]),
            [
                {
                    "key": f"user:{r['username']}"[:200],
                    "failures": r["failures"],
                    "last_failure_at": r["last_failure_at"],
                    "last_success_at": None,
                }
                for r in rows
            ],
        )


def downgrade() -> None:
    rows = [
        r
        for r in _copy_out(["key", "failures", "last_failure_at"])
        if r["key"].startswith("user:") and r["last_failure_at"] is not None
    ]
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_login_throttle")),
    )
    if rows:
        op.bulk_insert(
            _untyped(["username", "failures", "last_failure_at"]),
            [
                {
                    "username": r["key"][len("user:") :][:80],
                    "failures": r["failures"],
                    "last_failure_at": r["last_failure_at"],
                }
                for r in rows
            ],
        )
