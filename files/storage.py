"""Storage of digitized files, content-addressed by SHA-256.

An upload is streamed in chunks to a temporary name in `tmp/`, on the same filesystem as the
store (memory does not grow with its size), hashed on the way; its directory in the store is
made then too. Inside the database transaction, just before COMMIT, it is renamed into place:
a rename within one filesystem into a directory that exists needs no new space, so a full disk
can refuse an upload while it is received (STORAGE_FULL, nothing written) but can never leave a
committed row without its file. When the same content is already stored the copy is dropped
(one scan, stored once). A refused upload leaves no file behind; a transaction that fails after
the rename leaves a stored file no row names, which is harmless (content-addressed: a retry
finds it in place) and which `mcs fsck` reports. Staged files that nothing claimed (a process
killed mid-upload) are removed by `sweep_staging`.

`LocalStorage` is the local-disk implementation; an S3-compatible store would implement the
same methods (stage to a multipart upload, commit = copy to the content key) without touching
the use cases.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, Iterator, Protocol

import aiofiles
import aiofiles.os

CHUNK = 1024 * 1024
HEAD = 8192  # bytes kept for content sniffing


class TooLarge(Exception):
    pass


class StorageFull(Exception):
    """The files' filesystem (or its quota) has no room left."""


NO_SPACE = {errno.ENOSPC, errno.EDQUOT}


@dataclass
class StagedFile:
    """An upload written to a temporary place, not yet part of the store."""

    token: str
    sha256: str
    size: int
    head: bytes


class Readable(Protocol):
    async def read(self, size: int = -1) -> bytes: ...


class LocalStorage:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.tmp = self.root / "tmp"
        self.objects = self.root / "objects"

    def _ensure_dirs(self) -> None:
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.objects.mkdir(parents=True, exist_ok=True)

    def path_of(self, sha256: str) -> Path:
        return self.objects / sha256[:2] / sha256[2:4] / sha256

    def staged_path(self, staged: StagedFile) -> Path:
        return self.tmp / staged.token

    async def stage(self, source: Readable, max_size: int) -> StagedFile:
        """Copy `source` to a temporary file in chunks, hashing it; TooLarge past max_size."""
        token = uuid.uuid4().hex
        path = self.tmp / token
        digest, size, head = hashlib.sha256(), 0, b""
        try:
            self._ensure_dirs()
            async with aiofiles.open(path, "wb") as out:
                while chunk := await source.read(CHUNK):
                    size += len(chunk)
                    if size > max_size:
                        raise TooLarge()
                    if len(head) < HEAD:
                        head += chunk[: HEAD - len(head)]
                    digest.update(chunk)
                    await out.write(chunk)
                await out.flush()
                await asyncio.to_thread(os.fsync, out.fileno())  # ENOSPC of delayed writes shows here
            sha256 = digest.hexdigest()
            # the directory now, while a refusal is still harmless: placing needs no new space
            self.path_of(sha256).parent.mkdir(parents=True, exist_ok=True)
        except BaseException as error:
            await self._remove(path)
            if isinstance(error, OSError) and error.errno in NO_SPACE:
                raise StorageFull(str(error)) from error
            raise
        return StagedFile(token=token, sha256=sha256, size=size, head=head)

    def place(self, staged: StagedFile) -> None:
        """Rename a staged file into the store (inside its row's transaction, before COMMIT);
        drop it if the same content is already stored."""
        target = self.path_of(staged.sha256)
        source = self.staged_path(staged)
        if target.exists():
            source.unlink(missing_ok=True)
            return
        os.replace(source, target)  # atomic on one filesystem; the directory was made at staging

    async def discard(self, staged: StagedFile) -> None:
        await self._remove(self.staged_path(staged))

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).exists()

    def sweep_staging(self, max_age_seconds: float) -> int:
        """Remove staged files untouched for max_age_seconds (an upload being received is written
        to all the time; one older than that was abandoned by a killed process). Returns how many."""
        removed = 0
        limit = time.time() - max_age_seconds
        for entry in os.scandir(self.tmp) if self.tmp.is_dir() else ():
            try:
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < limit:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                pass
        return removed

    def stored(self) -> Iterator[tuple[str, Path]]:
        """Every stored file: (its name, which should be its sha256; its path)."""
        if not self.objects.is_dir():
            return
        for first in sorted(self.objects.iterdir()):
            for second in sorted(first.iterdir()) if first.is_dir() else ():
                for item in sorted(second.iterdir()) if second.is_dir() else ():
                    yield item.name, item

    @staticmethod
    def hash_file(path: Path) -> str:
        digest = hashlib.sha256()
        with open(path, "rb") as source:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    async def read_range(self, sha256: str, start: int, end: int) -> AsyncIterator[bytes]:
        """Bytes start..end (inclusive) of a stored file, in chunks."""
        remaining = end - start + 1
        async with aiofiles.open(self.path_of(sha256), "rb") as source:
            await source.seek(start)
            while remaining > 0:
                chunk = await source.read(min(CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                yield chunk

    @staticmethod
    async def _remove(path: Path) -> None:
        try:
            await aiofiles.os.remove(path)
        except FileNotFoundError:
            pass
