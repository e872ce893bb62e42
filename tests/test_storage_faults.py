"""The files' disk under faults, for real: a small tmpfs the test fills, a write lock the test
holds while a request waits, and `mcs fsck` over a store the test damages."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select, text

from models.db import EVENT_APPEND_LOCK
from models.documents import Document
from tests.faults import SmallFilesystem
from tests.samples import pdf_with_text
from tests.helpers import register_with, staged_leftovers, stored_objects

LETTER = pdf_with_text("Oficio con anexo", "recibido cuando el disco se llenó")
OTHER = pdf_with_text("Otro oficio", "para la revisión del almacén")


@pytest.fixture
def small_disk(services):
    disk = SmallFilesystem(services.settings.files_dir).mount()
    yield disk
    disk.unmount()


async def documents(services) -> int:
    async with services.db.session() as session:
        return (await session.execute(select(func.count()).select_from(Document))).scalar_one()


async def test_a_full_disk_refuses_the_upload_as_storage_full(api, world, services, small_disk, caplog):
    small_disk.fill()
    with caplog.at_level(logging.ERROR, logger="mcs.files"):
        result = await register_with(api, world, [("oficio.pdf", LETTER, "application/pdf")])
    assert result["document"] is None
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("STORAGE_FULL", "files.0")]
    assert "No hay espacio" in result["errors"][0]["message"]
    alerts = [r for r in caplog.records if r.levelno == logging.ERROR and "STORAGE_FULL" in r.getMessage()]
    assert len(alerts) == 1, [r.getMessage() for r in caplog.records]
    assert staged_leftovers(services) == [] and stored_objects(services) == []
    assert await documents(services) == 0
    # with room again the same registration takes the first folio: none was used by the refusal
    small_disk.free()
    again = await register_with(api, world, [("oficio.pdf", LETTER, "application/pdf")])
    assert again["errors"] == [] and again["document"]["folio"].endswith("/000001")


class WriteLock:
    """Holds the database's write path the way a long transaction of someone else would."""

    def __init__(self, services):
        self.services = services
        self.sqlite: sqlite3.Connection | None = None
        self.pg = None

    async def __aenter__(self):
        if self.services.settings.is_sqlite:
            path = self.services.settings.database_url.split("///", 1)[1]
            self.sqlite = sqlite3.connect(path, isolation_level=None)
            self.sqlite.execute("BEGIN IMMEDIATE")
        else:
            self.pg = await self.services.db.engine.connect()
            await self.pg.execute(text("SELECT pg_advisory_lock(:key)"), {"key": EVENT_APPEND_LOCK})
        return self

    async def release(self):
        if self.sqlite is not None:
            self.sqlite.execute("ROLLBACK")
            self.sqlite.close()
            self.sqlite = None
        if self.pg is not None:
            await self.pg.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": EVENT_APPEND_LOCK})
            await self.pg.close()
            self.pg = None

    async def __aexit__(self, *exc):
        await self.release()


async def test_a_disk_full_after_receiving_never_leaves_a_row_without_its_file(api, world, services, small_disk):
    """The upload is received; while its transaction waits for the write lock the disk fills up
    (bytes and inodes); then it commits. The file must be in place: placing it needs no space."""
    async with WriteLock(services) as lock:
        request = asyncio.create_task(register_with(api, world, [("oficio.pdf", LETTER, "application/pdf")]))
        deadline = time.monotonic() + 10
        while not any(p.stat().st_size == len(LETTER) for p in staged_leftovers(services)):
            assert time.monotonic() < deadline and not request.done(), "the upload was never staged"
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)  # staged; its transaction now waits for the lock
        assert not request.done()
        small_disk.fill()
        await lock.release()
        result = await asyncio.wait_for(request, 30)
    assert result["errors"] == [], result
    (attachment,) = result["document"]["attachments"]
    download = await api.client.get(attachment["url"])
    assert download.status_code == 200 and download.content == LETTER
    assert staged_leftovers(services) == []


async def test_the_periodic_sweep_removes_abandoned_staged_uploads(services):
    from mcs.jobs import sweep_staged_uploads

    storage = services.storage
    storage.tmp.mkdir(parents=True, exist_ok=True)
    old, fresh = storage.tmp / "abandonado", storage.tmp / "en-curso"
    old.write_bytes(b"medio archivo")
    fresh.write_bytes(b"llegando")
    age = services.settings.staging_sweep_seconds + 60
    os.utime(old, (time.time() - age, time.time() - age))
    assert await sweep_staged_uploads(services) == 1
    assert not old.exists() and fresh.exists()


def fsck(services, *args) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "MCS_DATABASE_URL": services.settings.database_url,
        "MCS_FILES_DIR": str(services.settings.files_dir),
        "MCS_SECRET_KEY": "x" * 40,
    }
    return subprocess.run(
        [sys.executable, "-m", "mcs.cli", "fsck", *args], env=env, capture_output=True, text=True, timeout=120
    )


async def test_fsck_finds_missing_damaged_and_orphan_files(api, world, services):
    first = await register_with(api, world, [("oficio.pdf", LETTER, "application/pdf")])
    second = await register_with(api, world, [("otro.pdf", OTHER, "application/pdf")])
    assert first["errors"] == second["errors"] == []
    clean = fsck(services)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Correcto" in clean.stdout

    missing = first["document"]["attachments"][0]["sha256"]
    damaged = second["document"]["attachments"][0]["sha256"]
    services.storage.path_of(missing).unlink()
    services.storage.path_of(damaged).write_bytes(OTHER[:-10] + b"0123456789")  # same size, other content
    orphan_content = b"%PDF-1.4 sin registro"
    import hashlib

    orphan = hashlib.sha256(orphan_content).hexdigest()
    services.storage.path_of(orphan).parent.mkdir(parents=True, exist_ok=True)
    services.storage.path_of(orphan).write_bytes(orphan_content)

    broken = fsck(services)
    assert broken.returncode == 1
    lines = broken.stdout.splitlines()
    assert any(line.startswith("FALTA") and missing in line for line in lines), broken.stdout
    assert any(line.startswith("DAÑADO") and damaged in line for line in lines), broken.stdout
    assert any(line.startswith("HUÉRFANO") and orphan in line for line in lines), broken.stdout
    # --quick compares sizes only: the same-size damage goes unseen, the missing file does not
    quick = fsck(services, "--quick")
    assert quick.returncode == 1 and damaged not in quick.stdout and missing in quick.stdout
    # an orphan younger than an hour may be a transaction's in flight: kept; older ones go
    fsck(services, "--delete-orphans")
    assert services.storage.path_of(orphan).exists()
    os.utime(services.storage.path_of(orphan), (time.time() - 7200, time.time() - 7200))
    fsck(services, "--delete-orphans")
    assert not services.storage.path_of(orphan).exists()
