"""business days each answer took; the daily indicators table (PostgreSQL)

responses.business_days_to_answer: business days from the turno's sent date to the answer's
submission date (both local dates of the institution's time zone, MCS_TIMEZONE), counted as
models.calendar.BusinessCalendar.business_days_between did then (frozen in migrations/frozen.py:
weekends, Mexico's official holidays and the institution's own days skipped). New answers get
it when they are submitted (resolvers/turnos.py respond_turno); this migration fills it for the
answers already there, in Python with that calendar, in batches. Index responses(submitted_at)
for counting by period.

stats_daily (models/stats.py StatsDaily): per local day and unit, what the indicators count that
does not depend on today. Created on both databases; only PostgreSQL fills it, with triggers:

- documents, on insert: documents_received of (day received, registering unit);
- turnos, on insert: turnos_sent of (day sent, sending unit) and turnos_received of (day sent,
  recipient unit); on insert and on every change of status, deadline or answered_on_time:
  concluded_on_time of (day sent, recipient unit) — CONCLUDED, with a deadline, answered on time
  (the traffic light's GREEN of a concluded turno, models/traffic_light.py);
- responses, on insert: responses_sent, business_days_sum and business_days_count of (day
  submitted, the turno's recipient), responses_received of (day submitted, the turno's sender);
  on a change of business_days_to_answer: its sum and count.

Dates, sent and submitted times and units never change after insert; nothing is deleted. The
triggers are deferred to the commit: the workflow's transactions hold the event-log lock
(models/events.py) by then, so their upserts never wait on each other's rows nor deadlock.
The local day is that of the time zone in stats_settings (MCS_TIMEZONE when migrating); the
application counts from the rows instead while it differs from its own setting.
`SELECT mcs_stats_set_timezone('America/Tijuana')` changes it and rebuilds the table;
`SELECT mcs_stats_rebuild()` recomputes it from the rows (after a bulk load without triggers).

The open turnos (what `pending` and `overdue` count, from the rows: they depend on today) get
the partial index ix_turnos_open_sent_at.

Revision ID: 0007
Revises: 0006
"""

import os
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa

from migrations.frozen import BusinessCalendar, UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 5000
DEFAULT_TIMEZONE = "America/Mexico_City"  # core.settings.Settings.timezone

turnos = sa.table("turnos", sa.column("id", sa.BigInteger), sa.column("sent_at", UTCDateTime))
responses = sa.table(
    "responses",
    sa.column("id", sa.BigInteger),
    sa.column("turno_id", sa.BigInteger),
    sa.column("submitted_at", UTCDateTime),
    sa.column("business_days_to_answer", sa.Integer),
)
holidays = sa.table("institution_holidays", sa.column("day", sa.Date), sa.column("description", sa.String))


def backfill(connection, tz_name: str | None = None) -> int:
    """Fill business_days_to_answer where it is null; returns how many rows it filled."""
    tz = ZoneInfo(tz_name or os.environ.get("MCS_TIMEZONE") or DEFAULT_TIMEZONE)
    calendar = BusinessCalendar(
        {day: description for day, description in connection.execute(sa.select(holidays.c.day, holidays.c.description))}
    )
    update = (
        responses.update()
        .where(responses.c.id == sa.bindparam("response_id"))
        .values(business_days_to_answer=sa.bindparam("days"))
    )
    filled, last_id = 0, None
    while True:
        query = (
            sa.select(responses.c.id, turnos.c.sent_at, responses.c.submitted_at)
            .join(turnos, turnos.c.id == responses.c.turno_id)
            .where(responses.c.business_days_to_answer.is_(None))
            .order_by(responses.c.id)
            .limit(BATCH)
        )
        if last_id is not None:
            query = query.where(responses.c.id > last_id)
        rows = connection.execute(query).all()
        if not rows:
            return filled
        connection.execute(
            update,
            [
                {
                    "response_id": response_id,
                    "days": calendar.business_days_between(
                        sent_at.astimezone(tz).date(), submitted_at.astimezone(tz).date()
                    ),
                }
                for response_id, sent_at, submitted_at in rows
            ],
        )
        filled += len(rows)
        last_id = rows[-1][0]


# --- PostgreSQL: stats_daily kept by triggers ------------------------------------------------

COUNTS = [
    "documents_received",
    "turnos_sent",
    "turnos_received",
    "responses_sent",
    "responses_received",
    "business_days_sum",
    "business_days_count",
    "concluded_on_time",
]
OPEN_STATUSES = "('ANSWERED', 'RECEIVED', 'RETURNED', 'SENT')"  # models.workflow.OPEN_TURNO


def _add(day: str, unit: str, **counts) -> str:
    """PERFORM of mcs_stats_add with the given counts (the others 0)."""
    return f"PERFORM mcs_stats_add({day}, {unit}, {', '.join(str(counts.get(c, 0)) for c in COUNTS)});"


PG_FUNCTIONS = [
    """CREATE TABLE IF NOT EXISTS stats_settings (timezone TEXT NOT NULL)""",
    # the local day of a timestamp, in the time zone of stats_settings
    """CREATE OR REPLACE FUNCTION mcs_stats_day(ts timestamptz) RETURNS date LANGUAGE sql STABLE AS $$
        SELECT (ts AT TIME ZONE (SELECT timezone FROM stats_settings LIMIT 1))::date
    $$""",
    # a turno that counts as concluded on time: 1, else 0
    """CREATE OR REPLACE FUNCTION mcs_stats_on_time(status text, due date, on_time boolean) RETURNS int
    LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE WHEN status = 'CONCLUDED' AND due IS NOT NULL AND on_time THEN 1 ELSE 0 END
    $$""",
    f"""CREATE OR REPLACE FUNCTION mcs_stats_add(d date, unit bigint, {", ".join(f"{c} bigint" for c in COUNTS)})
    RETURNS void LANGUAGE sql AS $$
        INSERT INTO stats_daily AS s (day, unit_id, {", ".join(COUNTS)})
        VALUES (d, unit, {", ".join(COUNTS)})
        ON CONFLICT (day, unit_id) DO UPDATE SET {", ".join(f"{c} = s.{c} + EXCLUDED.{c}" for c in COUNTS)}
    $$""",
    f"""CREATE OR REPLACE FUNCTION mcs_stats_documents() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_add("mcs_stats_day(NEW.received_at)", "NEW.unit_id", documents_received=1)}
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION mcs_stats_turnos() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        d date := mcs_stats_day(NEW.sent_at);
        on_time int := mcs_stats_on_time(NEW.status, NEW.due_date, NEW.answered_on_time);
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {_add("d", "NEW.from_unit_id", turnos_sent=1)}
            {_add("d", "NEW.to_unit_id", turnos_received=1, concluded_on_time="on_time")}
        ELSE
            {_add("d", "NEW.to_unit_id", concluded_on_time="on_time - mcs_stats_on_time(OLD.status, OLD.due_date, OLD.answered_on_time)")}
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION mcs_stats_responses() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        d date := mcs_stats_day(NEW.submitted_at);
        t record;
    BEGIN
        SELECT from_unit_id, to_unit_id INTO t FROM turnos WHERE id = NEW.turno_id;
        IF TG_OP = 'INSERT' THEN
            {
        _add(
            "d",
            "t.to_unit_id",
            responses_sent=1,
            business_days_sum="coalesce(NEW.business_days_to_answer, 0)",
            business_days_count="(NEW.business_days_to_answer IS NOT NULL)::int",
        )
    }
            {_add("d", "t.from_unit_id", responses_received=1)}
        ELSE
            {
        _add(
            "d",
            "t.to_unit_id",
            business_days_sum="coalesce(NEW.business_days_to_answer, 0) - coalesce(OLD.business_days_to_answer, 0)",
            business_days_count="(NEW.business_days_to_answer IS NOT NULL)::int - (OLD.business_days_to_answer IS NOT NULL)::int",
        )
    }
        END IF;
        RETURN NULL;
    END $$""",
    # from the rows: what the triggers would have added since the beginning
    f"""CREATE OR REPLACE FUNCTION mcs_stats_rebuild() RETURNS void LANGUAGE sql VOLATILE AS $$
        TRUNCATE stats_daily;
        INSERT INTO stats_daily (day, unit_id, {", ".join(COUNTS)})
        SELECT day, unit_id, {", ".join(f"sum({c})" for c in COUNTS)} FROM (
            SELECT mcs_stats_day(received_at) AS day, unit_id, 1 AS documents_received, 0 AS turnos_sent,
                   0 AS turnos_received, 0 AS responses_sent, 0 AS responses_received, 0 AS business_days_sum,
                   0 AS business_days_count, 0 AS concluded_on_time
                FROM documents
            UNION ALL
            SELECT mcs_stats_day(sent_at), from_unit_id, 0, 1, 0, 0, 0, 0, 0, 0 FROM turnos
            UNION ALL
            SELECT mcs_stats_day(sent_at), to_unit_id, 0, 0, 1, 0, 0, 0, 0,
                   mcs_stats_on_time(status, due_date, answered_on_time) FROM turnos
            UNION ALL
            SELECT mcs_stats_day(r.submitted_at), t.to_unit_id, 0, 0, 0, 1, 0, coalesce(r.business_days_to_answer, 0),
                   (r.business_days_to_answer IS NOT NULL)::int, 0
                FROM responses r JOIN turnos t ON t.id = r.turno_id
            UNION ALL
            SELECT mcs_stats_day(r.submitted_at), t.from_unit_id, 0, 0, 0, 0, 1, 0, 0, 0
                FROM responses r JOIN turnos t ON t.id = r.turno_id
        ) AS contributions GROUP BY day, unit_id
    $$""",
    """CREATE OR REPLACE FUNCTION mcs_stats_set_timezone(tz text) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM now() AT TIME ZONE tz;  -- refuses an unknown zone
        DELETE FROM stats_settings;
        INSERT INTO stats_settings (timezone) VALUES (tz);
        PERFORM mcs_stats_rebuild();
    END $$""",
]

# deferred to the commit (see the module docstring); the WHEN clauses skip changes that add nothing
PG_TRIGGERS = {
    ("stats_documents_insert", "documents"): "AFTER INSERT ON documents",
    ("stats_turnos_insert", "turnos"): "AFTER INSERT ON turnos",
    ("stats_turnos_update", "turnos"): (
        "AFTER UPDATE OF status, due_date, answered_on_time ON turnos",
        "mcs_stats_on_time(OLD.status, OLD.due_date, OLD.answered_on_time) "
        "<> mcs_stats_on_time(NEW.status, NEW.due_date, NEW.answered_on_time)",
    ),
    ("stats_responses_insert", "responses"): "AFTER INSERT ON responses",
    ("stats_responses_update", "responses"): (
        "AFTER UPDATE OF business_days_to_answer ON responses",
        "OLD.business_days_to_answer IS DISTINCT FROM NEW.business_days_to_answer",
    ),
}
TRIGGER_FUNCTIONS = {
    "documents": "mcs_stats_documents",
    "turnos": "mcs_stats_turnos",
    "responses": "mcs_stats_responses",
}

PG_OPEN_INDEX = (
    f"CREATE INDEX IF NOT EXISTS ix_turnos_open_sent_at ON turnos (sent_at) "
    f"INCLUDE (to_unit_id, status, due_date, answered_on_time) WHERE status IN {OPEN_STATUSES}"
)

PG_DROP = [
    *[f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in PG_TRIGGERS],
    "DROP FUNCTION IF EXISTS mcs_stats_set_timezone(text)",
    "DROP FUNCTION IF EXISTS mcs_stats_rebuild()",
    "DROP FUNCTION IF EXISTS mcs_stats_responses()",
    "DROP FUNCTION IF EXISTS mcs_stats_turnos()",
    "DROP FUNCTION IF EXISTS mcs_stats_documents()",
    f"DROP FUNCTION IF EXISTS mcs_stats_add(date, bigint, {', '.join('bigint' for _ in COUNTS)})",
    "DROP FUNCTION IF EXISTS mcs_stats_on_time(text, date, boolean)",
    "DROP FUNCTION IF EXISTS mcs_stats_day(timestamptz)",
    "DROP TABLE IF EXISTS stats_settings",
    "DROP INDEX IF EXISTS ix_turnos_open_sent_at",
]


def _run(statement: str, **params) -> None:
    """Raw DDL: colons are SQL (::date), not bind parameters (except the given ones)."""
    escaped = statement.replace(":", "\\:")
    for name in params:
        escaped = escaped.replace(f"\\:{name}", f":{name}")
    op.execute(sa.text(escaped).bindparams(**params) if params else sa.text(escaped))


def upgrade() -> None:
    op.add_column("responses", sa.Column("business_days_to_answer", sa.Integer(), nullable=True))
    op.create_index("ix_responses_submitted_at", "responses", ["submitted_at"])
    backfill(op.get_bind())

    op.create_table(
        "stats_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        *[sa.Column(c, sa.BigInteger() if c == "business_days_sum" else sa.Integer(), nullable=False) for c in COUNTS],
        sa.PrimaryKeyConstraint("day", "unit_id", name=op.f("pk_stats_daily")),
    )
    op.create_index("ix_stats_daily_unit_id_day", "stats_daily", ["unit_id", "day"])
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in PG_FUNCTIONS:
        _run(statement)
    if op.get_bind().execute(sa.text("SELECT count(*) FROM stats_settings")).scalar() == 0:
        _run(
            "INSERT INTO stats_settings (timezone) VALUES (:tz)", tz=os.environ.get("MCS_TIMEZONE") or DEFAULT_TIMEZONE
        )
    for (name, table), spec in PG_TRIGGERS.items():
        event, when = spec if isinstance(spec, tuple) else (spec, None)
        _run(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        _run(
            f"CREATE CONSTRAINT TRIGGER {name} {event} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            f"{f'WHEN ({when}) ' if when else ''}EXECUTE FUNCTION {TRIGGER_FUNCTIONS[table]}()"
        )
    _run(PG_OPEN_INDEX)
    _run("SELECT mcs_stats_rebuild()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_DROP:
            _run(statement)
    op.drop_index("ix_stats_daily_unit_id_day", table_name="stats_daily")
    op.drop_table("stats_daily")
    op.drop_index("ix_responses_submitted_at", table_name="responses")
    with op.batch_alter_table("responses") as batch:
        batch.drop_column("business_days_to_answer")
