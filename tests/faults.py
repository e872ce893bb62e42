"""Real faults for the reliability tests: a TCP proxy that can lose the answer to COMMIT, and a
small filesystem (tmpfs) the test fills."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.conftest import IN_CI


class CommitAnswerLost:
    """Forwards PostgreSQL connections; once `armed`, the next connection that sends COMMIT has
    it delivered to the server, then is cut before the server's answer reaches the client (what a
    network failure or a restart at that moment does)."""

    def __init__(self, target_host: str = "127.0.0.1", target_port: int = 5432):
        self.target = (target_host, target_port)
        self.armed = False
        self.cuts = 0
        self.server: asyncio.base_events.Server | None = None

    @property
    def port(self) -> int:
        return self.server.sockets[0].getsockname()[1]

    async def start(self) -> "CommitAnswerLost":
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def close(self) -> None:
        self.server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.server.wait_closed(), 2)

    async def _handle(self, client_reader, client_writer) -> None:
        server_reader, server_writer = await asyncio.open_connection(*self.target)
        cut = asyncio.Event()

        async def upstream():  # client -> PostgreSQL
            while data := await client_reader.read(65536):
                server_writer.write(data)
                await server_writer.drain()
                # a simple-protocol Query message ('Q') whose text is COMMIT (asyncpg's commit; not
                # the "BEGIN ISOLATION LEVEL READ COMMITTED" of a connection that was in AUTOCOMMIT)
                if self.armed and data[:1] == b"Q" and data[5:].rstrip(b"\0; ").upper() == b"COMMIT":
                    self.armed = False
                    cut.set()  # from now on nothing goes back to the client
                    self.cuts += 1
                    await asyncio.sleep(0.3)  # PostgreSQL commits meanwhile; its answer is never relayed
                    return

        async def downstream():  # PostgreSQL -> client, until the cut
            while data := await server_reader.read(65536):
                if cut.is_set():
                    return
                client_writer.write(data)
                await client_writer.drain()

        tasks = [asyncio.create_task(upstream()), asyncio.create_task(downstream())]
        with contextlib.suppress(Exception):
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            task.cancel()
        for writer in (client_writer, server_writer):
            with contextlib.suppress(Exception):
                writer.transport.abort()


class SmallFilesystem:
    """A tmpfs of a few MB mounted for the test (root only); `fill()` leaves no byte and no inode."""

    def __init__(self, path: Path, size_mb: int = 8, inodes: int = 400):
        self.path = Path(path)
        self.size_mb, self.inodes = size_mb, inodes
        self.filler = self.path / f"filler-{uuid.uuid4().hex}"

    def mount(self) -> "SmallFilesystem":
        self.path.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={self.size_mb}m,nr_inodes={self.inodes}", "tmpfs", str(self.path)],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            message = f"cannot mount a small tmpfs ({result.stderr.strip() or result.returncode}): needs root"
            if IN_CI:
                pytest.fail(message + "; CI=true requires it", pytrace=False)
            pytest.skip(message)
        return self

    def fill(self) -> None:
        """Take every free byte, then every free inode."""
        self.filler.mkdir(exist_ok=True)
        fd = os.open(self.filler / "bytes", os.O_WRONLY | os.O_CREAT)
        try:
            for size in (256 * 1024, 4096, 512, 1):
                with contextlib.suppress(OSError):
                    while os.write(fd, b"\0" * size):
                        pass
        finally:
            os.close(fd)
        n = 0
        with contextlib.suppress(OSError):
            while True:
                (self.filler / f"i{n}").touch()
                n += 1

    def free(self) -> None:
        subprocess.run(["rm", "-rf", str(self.filler)], check=False)

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], check=False)
