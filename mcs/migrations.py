"""Running Alembic from code: `mcs migrate`, the test fixtures and the demo all use this."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import migrations


def alembic_config(database_url: str) -> Config:
    config = Config()
    # __path__, not __file__: an editable install may expose the folder as a namespace package
    config.set_main_option("script_location", str(Path(list(migrations.__path__)[0])))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migrate(database_url: str) -> None:
    """Upgrade to the newest revision; running it again does nothing."""
    if database_url.startswith("sqlite"):
        path = database_url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url), "head")
