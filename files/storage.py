"""Storage of digitized files, content-addressed by SHA-256.

An upload is streamed in chunks to a temporary name (memory does not grow with its size),
hashed on the way; only after the database row commits is it moved into place, and when the
same content is already stored the copy is simply dropped (one scan, stored once). A failed
or refused upload leaves no file behind.

`LocalStorage` is the local-disk implementation; an S3-compatible store would implement the
same methods (stage to a multipart upload, commit = copy to the content key) without touching
the use cases.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, Protocol

import aiofiles
import aiofiles.os

CHUNK = 1024 * 1024
HEAD = 8192  # bytes kept for content sniffing


class TooLarge(Exception):
    pass


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
        self._ensure_dirs()
        token = uuid.uuid4().hex
        path = self.tmp / token
        digest, size, head = hashlib.sha256(), 0, b""
        try:
            async with aiofiles.open(path, "wb") as out:
                while chunk := await source.read(CHUNK):
                    size += len(chunk)
                    if size > max_size:
                        raise TooLarge()
                    if len(head) < HEAD:
                        head += chunk[: HEAD - len(head)]
                    digest.update(chunk)
                    await out.write(chunk)
        except BaseException:
            await self._remove(path)
            raise
        return StagedFile(token=token, sha256=digest.hexdigest(), size=size, head=head)

    async def commit(self, staged: StagedFile) -> None:
        """Move a staged file into place (after its row committed); drop it if already stored."""
        target = self.path_of(staged.sha256)
        source = self.staged_path(staged)
        if target.exists():
            await self._remove(source)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)  # atomic on one filesystem

    async def discard(self, staged: StagedFile) -> None:
        await self._remove(self.staged_path(staged))

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).exists()

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
