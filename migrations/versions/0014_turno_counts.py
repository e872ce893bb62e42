"""turno_counts: how many turnos each unit received and sent, by status (PostgreSQL)

An inbox's totalCount without a filter was a count of every matching row: 250,000 rows and
~170 ms of PostgreSQL CPU for the head of a 25-unit subtree on a million turnos
(bench/INBOX.md). This table (models/turno_counts.py TurnoCount) keeps, per unit, box ("in":
addressed to it, "out": sent by it) and status, how many turnos there are, so that count is a
sum over the units in scope. Created on both databases; only PostgreSQL fills it, with
triggers deferred to the commit like stats_daily's (migration 0007): the workflow's
transactions hold the event-log lock by then, so their upserts never wait on each other's rows
nor deadlock. SQLite counts from the rows (one writer, an institution's size).

`SELECT mcs_turno_counts_rebuild()` recomputes it from the rows (after a bulk load without
triggers).

The open turnos get two partial indexes, by recipient and by sender, that hold what the inbox's
"open & late" filters and counters read (status, deadline), so those are index-only scans.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

OPEN_STATUSES = "('ANSWERED', 'RECEIVED', 'RETURNED', 'SENT')"  # models.workflow.OPEN_TURNO, frozen here

PG_FUNCTIONS = [
    """CREATE OR REPLACE FUNCTION mcs_turno_counts_add(p_unit bigint, p_box text, p_status text, p_n int)
       RETURNS void LANGUAGE sql AS $$
        INSERT INTO turno_counts (unit_id, box, status, n) VALUES (p_unit, p_box, p_status, p_n)
        ON CONFLICT (unit_id, box, status) DO UPDATE SET n = turno_counts.n + EXCLUDED.n
    $$""",
    """CREATE OR REPLACE FUNCTION mcs_turno_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- deferred: the row may have changed again since; count what this event changed
        IF TG_OP = 'UPDATE' OR TG_OP = 'DELETE' THEN
            PERFORM mcs_turno_counts_add(OLD.to_unit_id, 'in', OLD.status, -1);
            PERFORM mcs_turno_counts_add(OLD.from_unit_id, 'out', OLD.status, -1);
        END IF;
        IF TG_OP = 'UPDATE' OR TG_OP = 'INSERT' THEN
            PERFORM mcs_turno_counts_add(NEW.to_unit_id, 'in', NEW.status, 1);
            PERFORM mcs_turno_counts_add(NEW.from_unit_id, 'out', NEW.status, 1);
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION mcs_turno_counts_rebuild() RETURNS void LANGUAGE sql VOLATILE AS $$
        TRUNCATE turno_counts;
        INSERT INTO turno_counts (unit_id, box, status, n)
        SELECT to_unit_id, 'in', status, count(*) FROM turnos GROUP BY 1, 3
        UNION ALL
        SELECT from_unit_id, 'out', status, count(*) FROM turnos GROUP BY 1, 3
    $$""",
]

# a deferred trigger sees OLD and NEW of each row event: chained updates in one transaction add
# their -1/+1 pairs in order, and the sum is the same as one change
PG_TRIGGERS = {
    "turno_counts_insert": "AFTER INSERT ON turnos",
    "turno_counts_update": (
        "AFTER UPDATE OF status, to_unit_id, from_unit_id ON turnos",
        "OLD.status IS DISTINCT FROM NEW.status OR OLD.to_unit_id IS DISTINCT FROM NEW.to_unit_id "
        "OR OLD.from_unit_id IS DISTINCT FROM NEW.from_unit_id",
    ),
    "turno_counts_delete": "AFTER DELETE ON turnos",
}

PG_INDEXES = [
    f"CREATE INDEX IF NOT EXISTS ix_turnos_open_to_unit_id ON turnos (to_unit_id, sent_at, id) "
    f"INCLUDE (status, due_date, answered_on_time) WHERE status IN {OPEN_STATUSES}",
    f"CREATE INDEX IF NOT EXISTS ix_turnos_open_from_unit_id ON turnos (from_unit_id, sent_at, id) "
    f"INCLUDE (status, due_date, answered_on_time) WHERE status IN {OPEN_STATUSES}",
]


def _run(statement: str) -> None:
    op.execute(sa.text(statement.replace(":", "\\:")))


def upgrade() -> None:
    op.create_table(
        "turno_counts",
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("box", sa.String(3), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("unit_id", "box", "status", name=op.f("pk_turno_counts")),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in PG_FUNCTIONS:
        _run(statement)
    for name, spec in PG_TRIGGERS.items():
        event, when = spec if isinstance(spec, tuple) else (spec, None)
        _run(
            f"CREATE CONSTRAINT TRIGGER {name} {event} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            f"{f'WHEN ({when}) ' if when else ''}EXECUTE FUNCTION mcs_turno_counts_track()"
        )
    for statement in PG_INDEXES:
        _run(statement)
    _run("SELECT mcs_turno_counts_rebuild()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in PG_TRIGGERS:
            _run(f"DROP TRIGGER IF EXISTS {name} ON turnos")
        for name in (
            "mcs_turno_counts_rebuild()",
            "mcs_turno_counts_track()",
            "mcs_turno_counts_add(bigint, text, text, int)",
        ):
            _run(f"DROP FUNCTION IF EXISTS {name}")
        _run("DROP INDEX IF EXISTS ix_turnos_open_from_unit_id")
        _run("DROP INDEX IF EXISTS ix_turnos_open_to_unit_id")
    op.drop_table("turno_counts")
