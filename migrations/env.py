"""Alembic environment: runs the migrations on the async engine of MCS_DATABASE_URL."""

import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import create_async_engine

import models  # noqa: F401 - registers every table on Base.metadata
from migrations.autogenerate import COMPARE_OPTIONS
from models.base import Base

target_metadata = Base.metadata


def do_run_migrations(connection):
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        **COMPARE_OPTIONS,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations(url: str):
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await engine.dispose()


def run_migrations_online():
    url = context.config.get_main_option("sqlalchemy.url")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
    else:
        if url is None:
            raise RuntimeError("no database to migrate: alembic's sqlalchemy.url is not set")
        asyncio.run(run_async_migrations(url))


run_migrations_online()
