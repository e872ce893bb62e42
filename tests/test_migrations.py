"""The ORM models and the migrated database agree: Alembic's autogenerate finds nothing to do
(a migration that forgot a column, or a model that drifted, fails here on both backends)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from migrations.autogenerate import include_object
from models.base import Base


async def test_models_and_migrations_agree(database_url):
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True, "include_object": include_object}),
                    Base.metadata,
                )
            )
    finally:
        await engine.dispose()
    assert differences == []
