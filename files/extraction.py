"""Reading a stored file's text in a worker process, within limits.

pypdf can spend minutes and hundreds of MB on a PDF of a few KB, and OCR of one huge page
gigabytes (bench/FILES.md); neither may happen in the server. Each file gets its own worker
(`python -m files.extract_worker`) in its own process group: the worker limits its own address
space and CPU time, the tools it runs (pdftoppm, tesseract) inherit those limits, and here a wall
clock kills the whole group. The worker sends each page's text as soon as it has it, so whatever
was read before a kill is kept, and the reason it stopped is recorded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("mcs.files")

ROOT = Path(__file__).resolve().parents[1]
# what the worker inherits: no MCS_* (secrets, database URL) for code that parses hostile files
WORKER_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TESSDATA_PREFIX", "HOME")


@dataclass(frozen=True)
class Limits:
    timeout_seconds: float = 60.0  # wall clock for the whole file, OCR included; also its CPU limit
    memory_mb: int = 512  # address space of the worker, and of each tool it runs
    max_pages: int = 20  # pages (or image frames) read by OCR
    max_pixels: int = 25_000_000  # pixels of one page given to Tesseract
    max_chars: int = 2_000_000  # text kept per file


@dataclass
class Extracted:
    text: str  # each complete page ends with "\f" (as pdftotext writes them)
    pages_read: int
    cut: str | None  # why reading stopped early: TIME, MEMORY, PAGES, SIZE, TEXT, BROKEN
    pages: int | None  # the file's pages as the worker counted them
    pid: int  # the worker, leader of its process group; the group is gone when this is returned
    stderr: str = ""


@dataclass
class _Reading:
    """What the worker said so far."""

    max_chars: int
    done: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)
    chars: int = 0
    pages_read: int = 0
    pages: int | None = None
    cuts: list[str] = field(default_factory=list)
    ended: bool = False

    def take(self, line: bytes) -> None:
        try:
            message = json.loads(line)
        except ValueError:
            log.warning("text extraction worker wrote a line that is not JSON: %r", line[:200])
            return
        if "text" in message:
            text = str(message["text"])[: max(0, self.max_chars - self.chars)]  # a confused worker stays bounded
            self.current.append(text)
            self.chars += len(text)
        elif "page" in message:
            self.done.append("".join(self.current) + "\f")
            self.current = []
            self.pages_read += 1
        elif "pages" in message:
            self.pages = int(message["pages"])
        elif "cut" in message:
            self.cuts.append(str(message["cut"]))
        elif "restart" in message:
            self.done, self.current, self.chars, self.pages_read, self.cuts = [], [], 0, 0, []
        elif "end" in message:
            self.ended = True

    def text(self) -> str:
        return "".join(self.done) + "".join(self.current)


async def extract(path: Path, kind: str, limits: Limits, *, ocr: bool) -> Extracted:
    """The text of a stored file; kind is "pdf" (text layer, then OCR if it has none and `ocr`)
    or "image" (OCR)."""
    tmp = Path(tempfile.mkdtemp(prefix="mcs-extract-"))  # here, not in the worker: a kill leaves no files
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "files.extract_worker",
            str(path),
            "--kind",
            kind,
            *(["--ocr"] if ocr else []),
            "--tmp",
            str(tmp),
            "--memory-mb",
            str(limits.memory_mb),
            "--cpu-seconds",
            str(max(1, math.ceil(limits.timeout_seconds))),
            "--max-pages",
            str(limits.max_pages),
            "--max-pixels",
            str(limits.max_pixels),
            "--max-chars",
            str(limits.max_chars),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            cwd=tmp,
            env=_worker_env(),
            limit=256 * 1024,
        )
        assert process.stdout is not None and process.stderr is not None  # both are pipes (PIPE above)
        reading = _Reading(limits.max_chars)
        stderr = asyncio.create_task(_tail(process.stderr))
        timed_out = False
        try:
            async with asyncio.timeout(limits.timeout_seconds):
                async for line in process.stdout:
                    reading.take(line)
                await process.wait()
        except TimeoutError:
            timed_out = True
        except ValueError:  # a line past the reader's limit: not our worker's output
            log.warning("text extraction worker for %s wrote an overlong line", path.name)
        finally:
            _kill_group(process.pid)  # its tools too; also when this task is cancelled
            await process.wait()
            err = await stderr
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    cuts = reading.cuts
    if not reading.ended:
        if timed_out or process.returncode == -signal.SIGXCPU:
            cuts = ["TIME", *cuts]
        elif process.returncode == -signal.SIGKILL:  # not by us: the kernel's OOM killer
            cuts = ["MEMORY", *cuts]
        else:
            cuts = ["BROKEN", *cuts]
    stop = next((c for c in cuts if c != "SIZE"), "SIZE" if "SIZE" in cuts else None)
    return Extracted(
        text=reading.text(), pages_read=reading.pages_read, cut=stop, pages=reading.pages, pid=process.pid, stderr=err
    )


def _worker_env() -> dict[str, str]:
    env = {name: os.environ[name] for name in WORKER_ENV if name in os.environ}
    env["PYTHONPATH"] = str(ROOT)  # `files` importable whether or not the project is installed
    return env


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # already gone


async def _tail(stream: asyncio.StreamReader, keep: int = 4000) -> str:
    """The end of the worker's stderr (for the log), read as it comes so the pipe never fills."""
    tail = b""
    while chunk := await stream.read(65536):
        tail = (tail + chunk)[-keep:]
    return tail.decode("utf-8", "replace")
