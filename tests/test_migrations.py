"""Migrations mean the same thing forever, and the ORM models agree with what they build.

- No migration imports the application: what it needs is frozen in migrations/ (frozen.py, or
  literal values in the migration), so a later change to models/ cannot change an old migration.
- Alembic's autogenerate finds nothing to do on a freshly migrated database, on both backends (a
  migration that forgot a column, or a model that drifted, fails here).
- The frozen code still fills what the data migrations fill, on a database with rows in it.
"""

import ast
import sqlite3
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

import models  # noqa: F401 - registers every table on Base.metadata, as env.py does
from mcs.migrations import alembic_config
from migrations.autogenerate import COMPARE_OPTIONS
from models.base import Base

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
APPLICATION_PACKAGES = {"core", "models", "resolvers", "schema", "mcs", "realtime", "files", "notifications"}


def imported_packages(path: Path) -> set[str]:
    """The top-level packages a Python file imports, anywhere in it (functions included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_migrations_import_no_application_code():
    # env.py is the exception: autogenerate needs the models' metadata, and it changes no schema
    files = sorted(MIGRATIONS.glob("versions/*.py")) + [MIGRATIONS / "frozen.py"]
    assert len(files) > 10
    offenders = {
        f"{path.relative_to(MIGRATIONS)}: {sorted(packages)}"
        for path in files
        if (packages := imported_packages(path) & APPLICATION_PACKAGES)
    }
    assert not offenders, "a migration imports the application; freeze what it needs in migrations/frozen.py"


async def test_models_and_migrations_agree(database_url):
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync, opts=COMPARE_OPTIONS), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert differences == []


def test_data_migrations_fill_rows_already_there(tmp_path):
    """0003 (fold), 0007 (business days, UTC timestamps read back on SQLite) and 0009 on rows
    written before them: the frozen copies run and fill what the originals filled."""
    path = tmp_path / "old.sqlite3"
    config = alembic_config(f"sqlite+aiosqlite:///{path}")
    command.upgrade(config, "0002")
    with sqlite3.connect(path) as db:
        db.executescript("""
            INSERT INTO org_units (id, code, acronym, name, kind, path, active)
                VALUES (1, '0', 'INST', 'Institución', 'INSTITUTION', '/1/', 1);
            INSERT INTO users (id, username, password_hash, full_name, email, active, token_version, created_at)
                VALUES (1, 'jefa', 'x', 'María Peña', 'Maria@Example.org', 1, 0, '2026-03-01 12:00:00.000000');
            INSERT INTO documents (id, folio, unit_id, year, number, origin, document_type, reference, subject,
                                   sender_level, sender_name, addressee, received_at, priority, confidential, status,
                                   registered_by_id, created_at, search_text, turno_count)
                VALUES (1, 'INST/2026/1', 1, 2026, 1, 'EXTERNAL', 'OFICIO', 'Oficio Núm. 7', 'Petición',
                        'CITIZEN', 'Pérez', 'Dirección Jurídica', '2026-03-13 16:00:00.000000', 'NORMAL', 0,
                        'IN_PROGRESS', 1, '2026-03-13 16:00:00.000000', '', 1);
            -- sent Friday 13 March 2026; answered Tuesday 17th: Monday 16th is an official holiday
            INSERT INTO turnos (id, document_id, number, from_unit_id, sent_by_id, to_unit_id, instruction, priority,
                                sent_at, status, rounds)
                VALUES (1, 1, '1', 1, 1, 1, 'ATTEND', 'NORMAL', '2026-03-13 16:00:00.000000', 'ANSWERED', 1);
            INSERT INTO responses (id, turno_id, round, author_id, body, submitted_at)
                VALUES (1, 1, 1, 1, 'Atendido', '2026-03-17 18:00:00.000000');
        """)
    command.upgrade(config, "0003")
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT public_search_text FROM documents").fetchone() == (
            "inst/2026/1 oficio num. 7 direccion juridica",
        )
    command.upgrade(config, "head")
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT business_days_to_answer FROM responses").fetchone() == (1,)
        assert db.execute("SELECT search_text FROM users").fetchone() == ("jefa maria pena maria@example.org",)
        seeded = (
            db.execute("SELECT count(*) FROM document_types").fetchone()[0],
            db.execute("SELECT count(*) FROM archive_series").fetchone()[0],
        )
        assert seeded == (7, 12)
