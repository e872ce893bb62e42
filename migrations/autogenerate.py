"""What Alembic's autogenerate compares: the migrations make a few objects the ORM models do not
describe. Used by env.py and by tests/test_migrations.py (models and migrations agree)."""

from typing import Callable, TypedDict

MIGRATION_ONLY_TABLES = (
    "document_search",
    "response_file_search",
    "stats_settings",
)  # and FTS5's shadow tables on SQLite
MIGRATION_ONLY_INDEXES = (  # partial (0007, 0014) or NULLS NOT DISTINCT (0015)
    "ix_turnos_open_sent_at",
    "ix_turnos_open_to_unit_id",
    "ix_turnos_open_from_unit_id",
    "ux_open_turno_rollup",
)


def include_object(obj, name, type_, reflected, compare_to):
    """What migrations make that the ORM models do not describe (the full-text indexes of 0005
    and 0011, the statistics settings and partial index of 0007): autogenerate leaves it alone."""
    if type_ == "table":
        return not name.startswith(MIGRATION_ONLY_TABLES)
    if type_ == "index":
        return name not in MIGRATION_ONLY_INDEXES
    return True


class CompareOptions(TypedDict):
    """Keyword arguments of Alembic's context.configure and compare_metadata options."""

    compare_type: bool
    include_object: Callable[..., bool]


# what env.py gives Alembic's comparison, and the test too: both compare the same way
COMPARE_OPTIONS: CompareOptions = {"compare_type": True, "include_object": include_object}
