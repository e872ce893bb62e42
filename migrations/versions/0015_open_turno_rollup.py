"""open_turno_rollup: the open turnos of each unit and of each subtree, by status and deadline
(PostgreSQL)

The inbox's counters (inboxSummary) count the open turnos of the units in scope by light, which
depends on today: on a state's 9,000,000 turnos the head of a 913-unit subtree has 33,000 open
turnos to read, 34 ms of PostgreSQL per request (bench/STATE.md). This table keeps, per box
("in": to the unit, "out": from it), unit and whether it holds the unit alone or its whole
subtree, how many open turnos there are per (status, due_date, answered_on_time): what the light
rule reads (models/traffic_light.py), so the light clause runs over a few hundred rows of the
subtree's root instead of over its turnos. Filled like turno_counts (migration 0014): triggers
deferred to the commit, when the workflow holds the event-log lock. A unit that moves in the
tree changes its ancestors: a trigger on org_units.path rebuilds the table.

`SELECT mcs_open_rollup_rebuild()` recomputes it from the rows.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

OPEN_STATUSES = "('ANSWERED', 'RECEIVED', 'RETURNED', 'SENT')"  # models.workflow.OPEN_TURNO, frozen here

PG_FUNCTIONS = [
    # the unit itself (subtree false) and every unit on its path, itself included (subtree true)
    """CREATE OR REPLACE FUNCTION mcs_open_rollup_add(p_box text, p_unit bigint, p_status text, p_due date,
                                                      p_on_time boolean, p_n int) RETURNS void LANGUAGE sql AS $$
        INSERT INTO open_turno_rollup (box, unit_id, subtree, status, due_date, answered_on_time, n)
        SELECT p_box, p_unit, false, p_status, p_due, p_on_time, p_n
        UNION ALL
        SELECT p_box, a::bigint, true, p_status, p_due, p_on_time, p_n
          FROM org_units u, unnest(string_to_array(trim(both '/' from u.path), '/')) AS a
         WHERE u.id = p_unit
        ON CONFLICT (box, unit_id, subtree, status, due_date, answered_on_time)
        DO UPDATE SET n = open_turno_rollup.n + EXCLUDED.n
    $$""",
    f"""CREATE OR REPLACE FUNCTION mcs_open_rollup_track() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF (TG_OP = 'UPDATE' OR TG_OP = 'DELETE') AND OLD.status IN {OPEN_STATUSES} THEN
            PERFORM mcs_open_rollup_add('in', OLD.to_unit_id, OLD.status, OLD.due_date, OLD.answered_on_time, -1);
            PERFORM mcs_open_rollup_add('out', OLD.from_unit_id, OLD.status, OLD.due_date, OLD.answered_on_time, -1);
        END IF;
        IF (TG_OP = 'UPDATE' OR TG_OP = 'INSERT') AND NEW.status IN {OPEN_STATUSES} THEN
            PERFORM mcs_open_rollup_add('in', NEW.to_unit_id, NEW.status, NEW.due_date, NEW.answered_on_time, 1);
            PERFORM mcs_open_rollup_add('out', NEW.from_unit_id, NEW.status, NEW.due_date, NEW.answered_on_time, 1);
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION mcs_open_rollup_rebuild() RETURNS void LANGUAGE sql VOLATILE AS $$
        TRUNCATE open_turno_rollup;
        WITH open_turnos AS (
            SELECT 'in' AS box, to_unit_id AS unit_id, status, due_date, answered_on_time, count(*) AS n
              FROM turnos WHERE status IN {OPEN_STATUSES} GROUP BY 2, 3, 4, 5
            UNION ALL
            SELECT 'out', from_unit_id, status, due_date, answered_on_time, count(*)
              FROM turnos WHERE status IN {OPEN_STATUSES} GROUP BY 2, 3, 4, 5)
        INSERT INTO open_turno_rollup (box, unit_id, subtree, status, due_date, answered_on_time, n)
        SELECT box, unit_id, false, status, due_date, answered_on_time, n FROM open_turnos
        UNION ALL
        SELECT o.box, a::bigint, true, o.status, o.due_date, o.answered_on_time, sum(o.n)
          FROM open_turnos o JOIN org_units u ON u.id = o.unit_id,
               unnest(string_to_array(trim(both '/' from u.path), '/')) AS a
         GROUP BY 1, 2, 4, 5, 6
    $$""",
    # a new unit gets its path right after its insert (models/org.py create_unit): not a move
    """CREATE OR REPLACE FUNCTION mcs_open_rollup_units_moved() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM old_units o JOIN new_units n ON n.id = o.id
                    WHERE o.path <> '' AND o.path IS DISTINCT FROM n.path) THEN
            PERFORM mcs_open_rollup_rebuild();
        END IF;
        RETURN NULL;
    END $$""",
]

PG_TRIGGERS = {
    "open_rollup_insert": "AFTER INSERT ON turnos",
    "open_rollup_update": (
        "AFTER UPDATE OF status, due_date, answered_on_time, to_unit_id, from_unit_id ON turnos",
        "OLD.status IS DISTINCT FROM NEW.status OR OLD.due_date IS DISTINCT FROM NEW.due_date "
        "OR OLD.answered_on_time IS DISTINCT FROM NEW.answered_on_time "
        "OR OLD.to_unit_id IS DISTINCT FROM NEW.to_unit_id "
        "OR OLD.from_unit_id IS DISTINCT FROM NEW.from_unit_id",
    ),
    "open_rollup_delete": "AFTER DELETE ON turnos",
}


def _run(statement: str) -> None:
    op.execute(sa.text(statement.replace(":", "\\:")))


def upgrade() -> None:
    op.create_table(
        "open_turno_rollup",
        sa.Column("box", sa.String(3), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subtree", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("answered_on_time", sa.Boolean(), nullable=True),
        sa.Column("n", sa.BigInteger(), nullable=False),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    _run(
        "CREATE UNIQUE INDEX ux_open_turno_rollup ON open_turno_rollup "
        "(box, unit_id, subtree, status, due_date, answered_on_time) NULLS NOT DISTINCT"
    )
    for statement in PG_FUNCTIONS:
        _run(statement)
    for name, spec in PG_TRIGGERS.items():
        event, when = spec if isinstance(spec, tuple) else (spec, None)
        _run(
            f"CREATE CONSTRAINT TRIGGER {name} {event} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            f"{f'WHEN ({when}) ' if when else ''}EXECUTE FUNCTION mcs_open_rollup_track()"
        )
    # once per statement: moving a unit rewrites the paths of its whole subtree in one UPDATE
    _run(
        "CREATE TRIGGER open_rollup_units_moved AFTER UPDATE ON org_units "
        "REFERENCING OLD TABLE AS old_units NEW TABLE AS new_units "
        "FOR EACH STATEMENT EXECUTE FUNCTION mcs_open_rollup_units_moved()"
    )
    _run("SELECT mcs_open_rollup_rebuild()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _run("DROP TRIGGER IF EXISTS open_rollup_units_moved ON org_units")
        for name in PG_TRIGGERS:
            _run(f"DROP TRIGGER IF EXISTS {name} ON turnos")
        for name in (
            "mcs_open_rollup_units_moved()",
            "mcs_open_rollup_rebuild()",
            "mcs_open_rollup_track()",
            "mcs_open_rollup_add(text, bigint, text, date, boolean, int)",
        ):
            _run(f"DROP FUNCTION IF EXISTS {name}")
    op.drop_table("open_turno_rollup")
