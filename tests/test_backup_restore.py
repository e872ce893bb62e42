"""docs/operations.md's backup and restore, done as written: the database first (pg_dump, or
SQLite's online backup), then the files' store (tar); restored elsewhere, `mcs fsck` finds
every row's file intact and the restored server serves the files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from datetime import datetime, timezone

import httpx
import pytest

from mcs.app import build_services, create_app
from core.settings import Settings
from models.clock import FrozenClock
from tests.conftest import PG_ADMIN_URL
from tests.samples import pdf_with_text, png
from tests.helpers import register_with

LETTER = pdf_with_text("Oficio respaldado", "debe volver íntegro tras restaurar")


def run(*command, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)
    assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
    return result


def libpq(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def test_backup_then_restore_elsewhere_and_fsck_agrees(api, world, services, tmp_path):
    registered = [
        await register_with(api, world, [("oficio.pdf", LETTER, "application/pdf")]),
        await register_with(api, world, [("foto.png", png(), "image/png")]),
    ]
    assert all(r["errors"] == [] for r in registered)
    settings = services.settings
    backup = tmp_path / "respaldo"
    backup.mkdir()
    restored_files = tmp_path / "restaurado" / "files"
    restored_files.mkdir(parents=True)

    # 1. the database (first: files are only ever added, so a later copy of them covers every row)
    if settings.is_sqlite:
        source = settings.database_url.split("///", 1)[1]
        run(
            sys.executable,
            "-c",
            "import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))",
            source,
            str(backup / "mcs.sqlite3"),
        )
        restored_db = tmp_path / "restaurado" / "mcs.sqlite3"
        shutil.copy(backup / "mcs.sqlite3", restored_db)
        restored_url = f"sqlite+aiosqlite:///{restored_db}"
    else:
        if not shutil.which("pg_dump"):
            pytest.skip("pg_dump is not installed")
        run("pg_dump", "--format=custom", f"--file={backup / 'mcs.dump'}", libpq(settings.database_url))
        name = f"mcs_restore_{uuid.uuid4().hex[:8]}"
        admin = libpq(PG_ADMIN_URL)
        run("psql", admin, "-c", f'CREATE DATABASE "{name}"')
        run("pg_restore", "--no-owner", f"--dbname={admin.rsplit('/', 1)[0]}/{name}", str(backup / "mcs.dump"))
        restored_url = f"{settings.database_url.rsplit('/', 1)[0]}/{name}"
    # 2. the files' store, staged uploads left out
    run("tar", "-C", str(settings.files_dir), "--exclude=./tmp", "-czf", str(backup / "files.tar.gz"), ".")
    run("tar", "-C", str(restored_files), "-xzf", str(backup / "files.tar.gz"))

    try:
        env = {
            **os.environ,
            "MCS_DATABASE_URL": restored_url,
            "MCS_FILES_DIR": str(restored_files),
            "MCS_SECRET_KEY": settings.secret_key,
        }
        check = run(sys.executable, "-m", "mcs.cli", "fsck", env=env)
        assert "Archivos nombrados por la base de datos: 2; archivos guardados: 2." in check.stdout, check.stdout
        assert "Correcto" in check.stdout

        # the restored instance serves the same file under the same link
        restored = build_services(
            Settings.from_env(
                database_url=restored_url,
                redis_url=None,
                files_dir=restored_files,
                deadline_watch_seconds=0,
                text_extraction_seconds=0,
                secret_key=settings.secret_key,
                debug=False,
            ),
            clock=FrozenClock(datetime(2026, 3, 2, 16, 0, tzinfo=timezone.utc)),
        )
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=create_app(services=restored)), base_url="http://testserver"
            ) as client:
                url = registered[0]["document"]["attachments"][0]["url"]
                download = await client.get(url)
                assert download.status_code == 200 and download.content == LETTER
        finally:
            await restored.hub.close()
            await restored.db.dispose()
    finally:
        if not settings.is_sqlite:
            run("psql", libpq(PG_ADMIN_URL), "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
