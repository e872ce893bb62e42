"""Large files through the real server: upload, download and Range, with the server's memory.

    .venv/bin/python -m bench.files [--size-mb 100] [--repeat 3] [--database-url URL] [--extraction]

1. write a valid PDF of --size-mb to a temporary directory (pages whose only content is an
   uncompressed 1 MiB gray image, like a scan; a nonce in a header comment makes every
   repetition a different file, so content addressing stores each one);
2. a database (SQLite in the temporary directory, or --database-url: PostgreSQL, **dropped and
   recreated**), one unit and its REGISTRAR, a token minted with the server's secret;
3. start `mcs serve --no-migrate` with the file limits raised past the file
   (MCS_MAX_FILE_MB, MCS_MAX_REQUEST_MB) and the background text extraction off;
4. warm up with a small upload and download, then per repetition:
   - upload: `registerDocument` as GraphQL multipart (x-mcs-csrf header), the file streamed
     from disk by httpx (a file object, never read into memory here);
   - download: GET the attachment's signed url, streamed and hashed;
   - Range: 1 MiB in the middle (latency) and the second half of the file (throughput);
   for each: MB/s (MB = 10^6 bytes), the server's CPU and its RSS growth over the RSS just
   before the request: the peak of VmRSS sampled every 20 ms, and VmHWM (reset through
   /proc/<pid>/clear_refs before each request when allowed, so it is that request's peak);
5. --extraction: a second server on the same database and files, with the text extraction
   every second; the uploaded attachments are marked pending again and its RSS is followed
   until they are read by pypdf (OCR hidden from it unless --extraction-ocr: Tesseract on 100
   pages takes several minutes per file).

It prints figures, then one `RESULT files.<kind> …` line per kind of request (medians over the
repetitions; `files.extraction` with --extraction), and asserts nothing about speed. See
bench/FILES.md.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import secrets
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import httpx
from sqlalchemy import update

from bench.core import Server, cpu_seconds, proc_status_mb, recreate_database
from bench.realtime import token_services
from mcs.migrations import migrate
from models.attachments import Attachment, TextStatus
from models.db import Database
from models.org import OrgUnitKind, create_unit
from models.users import Membership, Role, User, hash_password
from resolvers.auth import issue_token
from schema.ids import from_global_id, to_global_id

MB = 1_000_000
MIB = 1024 * 1024
SIDE = 1024  # image side in pixels: one 8-bit gray image per page = 1 MiB
NONCE_AT = len(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n%nonce:")
REGISTER = """mutation($input: RegisterDocumentInput!) { registerDocument(input: $input) {
  document { id folio attachments { id size sha256 pages unreadable url } } errors { code field message } } }"""
STATUS = "query($id: ID!) { node(id: $id) { ... on Attachment { textStatus } } }"
SAMPLE_SECONDS = 0.02


# --- the file -------------------------------------------------------------------------------


def write_pdf(path: Path, size: int) -> int:
    """A PDF of about `size` bytes: pages with one uncompressed 1 MiB gray image each. Returns
    the number of pages. Written in pieces: memory does not grow with the size."""
    pages = max(1, round(size / (SIDE * SIDE)))
    # a light, slightly varied background (a blank scanned sheet): cheap to render and to OCR
    row = bytes(0xF0 + (x * 7) % 16 for x in range(SIDE))
    image = b"".join(row[y % 16 :] + row[: y % 16] for y in range(SIDE))
    content = b"q 612 0 0 792 0 0 cm /Im0 Do Q"
    offsets: list[int] = []
    with open(path, "wb") as out:

        def obj(number: int, body: bytes, stream: bytes | None = None) -> None:
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n" % number + body)
            if stream is not None:
                out.write(b"\nstream\n")
                out.write(stream)
                out.write(b"\nendstream")
            out.write(b"\nendobj\n")

        out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n%nonce:" + b"0" * 16 + b"\n")
        kids = b" ".join(b"%d 0 R" % (3 + 3 * i) for i in range(pages))
        obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        obj(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages))
        for i in range(pages):
            page, contents, im = 3 + 3 * i, 4 + 3 * i, 5 + 3 * i
            obj(
                page,
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im0 %d 0 R >> >>"
                b" /Contents %d 0 R >>" % (im, contents),
            )
            obj(contents, b"<< /Length %d >>" % len(content), content)
            obj(
                im,
                b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8"
                b" /Length %d >>" % (SIDE, SIDE, len(image)),
                image,
            )
        xref = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
        out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
        out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref))
    return pages


def renew(path: Path, n: int) -> str:
    """Give the file a new nonce (in place: offsets stay valid) and return its SHA-256."""
    with open(path, "r+b") as f:
        f.seek(NONCE_AT)
        f.write(b"%016x" % (n ^ secrets.randbits(48) << 16))
        f.seek(0)
        digest = hashlib.sha256()
        while chunk := f.read(MIB):
            digest.update(chunk)
    return digest.hexdigest()


# --- database and token ---------------------------------------------------------------------


async def create_registrar(url: str, secret: str) -> tuple[str, str]:
    """A root unit with a REGISTRAR; returns (unit global id, token)."""
    db = Database(url)
    try:
        async with db.transaction() as session:
            unit = await create_unit(
                session, code="0", acronym="INST", name="Institución", kind=OrgUnitKind.UNIT, parent=None
            )
            user = User(
                username="reg_bench",
                password_hash=hash_password(secrets.token_urlsafe(12)),
                full_name="Control de gestión",
                active=True,
                token_version=0,
                created_at=datetime.now(timezone.utc),
                memberships=[Membership(unit_id=unit.id, role=Role.REGISTRAR.value)],
            )
            session.add(user)
            await session.flush()
            return to_global_id("OrgUnit", unit.id), issue_token(token_services(secret), user)
    finally:
        await db.dispose()


async def set_text_status(url: str, attachment_ids: list[int], status: TextStatus) -> None:
    db = Database(url)
    try:
        async with db.transaction() as session:
            await session.execute(
                update(Attachment).where(Attachment.id.in_(attachment_ids)).values(text_status=status.value, text=None)
            )
    finally:
        await db.dispose()


# --- the server's memory --------------------------------------------------------------------


class RssWatch:
    """The server's RSS during one request: sampled peak and VmHWM (reset when allowed)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.clear_refs = Path(f"/proc/{pid}/clear_refs")

    def __enter__(self) -> "RssWatch":
        self.hwm_reset = False
        try:
            self.clear_refs.write_text("5")  # resets VmHWM to the current RSS (Linux 4.0+)
            self.hwm_reset = True
        except OSError:
            pass
        self.base = proc_status_mb(self.pid, "VmRSS") or 0.0
        self.hwm_before = proc_status_mb(self.pid, "VmHWM") or 0.0
        self.peak = self.base
        self.cpu_before = cpu_seconds(self.pid)
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self) -> None:
        while self.running:
            rss = proc_status_mb(self.pid, "VmRSS")
            if rss is not None and rss > self.peak:
                self.peak = rss
            time.sleep(SAMPLE_SECONDS)

    def __exit__(self, *exc) -> None:
        self.running = False
        self.thread.join()
        self.after = proc_status_mb(self.pid, "VmRSS") or 0.0
        self.peak = max(self.peak, self.after)
        self.hwm = proc_status_mb(self.pid, "VmHWM") or 0.0
        self.cpu = cpu_seconds(self.pid) - self.cpu_before

    @property
    def growth(self) -> float:
        return self.peak - self.base

    @property
    def hwm_growth(self) -> float | None:
        return (
            self.hwm - self.base
            if self.hwm_reset
            else (self.hwm - self.hwm_before if self.hwm > self.hwm_before else None)
        )


@dataclass
class Line:
    name: str
    bytes: int
    seconds: float
    watch: RssWatch
    note: str = ""

    def row(self) -> str:
        hwm = self.watch.hwm_growth
        return (
            f"{self.name:<28} {self.bytes / MB:8.1f} MB {self.seconds:7.2f} s {self.bytes / MB / self.seconds:8.1f} MB/s"
            f"   CPU {self.watch.cpu:5.2f} s   RSS {self.watch.base:6.1f} MB  peak +{self.growth_str()}"
            f"  HWM +{'?' if hwm is None else f'{hwm:.1f}'}  after +{self.watch.after - self.watch.base:.1f}"
            f"{'  ' + self.note if self.note else ''}"
        )

    def growth_str(self) -> str:
        return f"{self.watch.growth:.1f}"


@dataclass
class Report:
    lines: list[Line] = field(default_factory=list)

    def add(self, line: Line) -> None:
        self.lines.append(line)
        print(line.row(), flush=True)


# --- the requests -----------------------------------------------------------------------------


async def upload(client: httpx.AsyncClient, token: str, unit_id: str, path: Path, reference: str) -> dict:
    operations = {
        "query": REGISTER,
        "variables": {
            "input": {
                "unitId": unit_id,
                "origin": "EXTERNAL",
                "documentType": "OFICIO",
                "reference": reference,
                "subject": "Expediente digitalizado de gran tamaño",
                "summary": "Prueba de carga de archivos.",
                "sender": {
                    "level": "STATE",
                    "name": "Lic. María Pérez",
                    "organization": "Secretaría de Desarrollo Urbano",
                    "position": "Directora General",
                },
                "files": [None],
            }
        },
    }
    with open(path, "rb") as fh:  # httpx streams it in 64 KiB pieces and sends Content-Length
        response = await client.post(
            "/graphql",
            headers={"Authorization": f"Bearer {token}", "x-mcs-csrf": "1"},
            files={
                "operations": (None, json.dumps(operations)),
                "map": (None, json.dumps({"0": ["variables.input.files.0"]})),
                "0": (path.name, fh, "application/pdf"),
            },
        )
    if response.status_code != 200:
        raise SystemExit(f"upload: HTTP {response.status_code}: {response.text[:500]}")
    payload = response.json()
    result = (payload.get("data") or {}).get("registerDocument")
    if not result or result["errors"]:
        raise SystemExit(f"upload refused: {json.dumps(payload, ensure_ascii=False)[:500]}")
    return result["document"]["attachments"][0]


async def download(client: httpx.AsyncClient, url: str, headers: dict | None = None) -> tuple[int, str, int]:
    """Streams the body; returns (bytes, sha256, status)."""
    digest, size = hashlib.sha256(), 0
    async with client.stream("GET", url, headers=headers or {}) as response:
        if response.status_code not in (200, 206):
            raise SystemExit(f"download: HTTP {response.status_code}: {(await response.aread())[:300]!r}")
        async for chunk in response.aiter_raw():
            digest.update(chunk)
            size += len(chunk)
        return size, digest.hexdigest(), response.status_code


def file_digest(path: Path, start: int, end: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        f.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            chunk = f.read(min(MIB, remaining))
            digest.update(chunk)
            remaining -= len(chunk)
    return digest.hexdigest()


async def timed(coro) -> tuple[float, object]:
    started = time.perf_counter()
    result = await coro
    return time.perf_counter() - started, result


async def run_transfers(
    args, server: Server, token: str, unit_id: str, big: Path, small: Path, report: Report
) -> list[str]:
    pid = server.process.pid
    attachment_ids: list[str] = []
    async with httpx.AsyncClient(base_url=server.base_url, timeout=None) as client:
        # warm-up: imports, the first multipart parse, the first PDF read, pools
        for n in range(2):
            renew(small, 1000 + n)
            warm = await upload(client, token, unit_id, small, f"WARM/{n}")
            await download(client, warm["url"])
            await download(client, warm["url"], {"Range": "bytes=0-1023"})
        print(
            f"server RSS after warm-up: {proc_status_mb(pid, 'VmRSS'):.1f} MB"
            f" (VmHWM so far {proc_status_mb(pid, 'VmHWM'):.1f} MB)\n",
            flush=True,
        )

        size = big.stat().st_size
        for n in range(1, args.repeat + 1):
            sha = renew(big, n)
            await asyncio.sleep(args.pause)
            with RssWatch(pid) as watch:
                seconds, attachment = await timed(upload(client, token, unit_id, big, f"BIG/{n}"))
            ok = attachment["sha256"] == sha and attachment["size"] == size
            report.add(
                Line(
                    f"#{n} upload (registerDocument)",
                    size,
                    seconds,
                    watch,
                    f"pages {attachment['pages']}{'' if ok else '  SHA-256/SIZE MISMATCH'}",
                )
            )
            attachment_ids.append(attachment["id"])

            await asyncio.sleep(args.pause)
            with RssWatch(pid) as watch:
                seconds, (got, digest, _) = await timed(download(client, attachment["url"]))
            report.add(
                Line(
                    f"#{n} download GET /files/{{id}}",
                    got,
                    seconds,
                    watch,
                    "" if (got, digest) == (size, sha) else "CONTENT MISMATCH",
                )
            )

            await asyncio.sleep(args.pause)
            start = size // 2
            with RssWatch(pid) as watch:
                seconds, (got, digest, status) = await timed(
                    download(client, attachment["url"], {"Range": f"bytes={start}-{start + MIB - 1}"})
                )
            ok = status == 206 and digest == file_digest(big, start, start + MIB - 1)
            report.add(
                Line(
                    f"#{n} Range 1 MiB (middle)",
                    got,
                    seconds,
                    watch,
                    f"{seconds * 1000:.1f} ms{'' if ok else '  CONTENT MISMATCH'}",
                )
            )

            await asyncio.sleep(args.pause)
            with RssWatch(pid) as watch:
                seconds, (got, digest, status) = await timed(
                    download(client, attachment["url"], {"Range": f"bytes={start}-"})
                )
            ok = status == 206 and got == size - start
            report.add(Line(f"#{n} Range second half", got, seconds, watch, "" if ok else "MISMATCH"))
            print(flush=True)
    return attachment_ids


async def run_extraction(
    args, url: str, secret: str, workdir: Path, token: str, attachment_ids: list[str], size: int
) -> None:
    """A server reading the text of the big files in the background (pypdf, then OCR)."""
    numeric = [int(from_global_id(i)[1]) for i in attachment_ids]
    await set_text_status(url, numeric, TextStatus.FAILED)  # not yet: measure the idle server first
    saved_path = os.environ["PATH"]
    os.environ["MCS_TEXT_EXTRACTION_SECONDS"] = "1"
    if not args.extraction_ocr:  # a `tesseract` without languages: files/ocr.py available() is False
        shim = workdir / "no-ocr"
        shim.mkdir(exist_ok=True)
        (shim / "tesseract").write_text("#!/bin/sh\nexit 1\n")
        (shim / "tesseract").chmod(0o755)
        os.environ["PATH"] = f"{shim}:{saved_path}"
    server = Server(url, secret, workdir)
    os.environ["PATH"] = saved_path
    try:
        await server.wait_ready()
        await asyncio.sleep(1.5)
        pid = server.process.pid
        async with httpx.AsyncClient(base_url=server.base_url, timeout=None) as client:
            with RssWatch(pid) as watch:
                started = time.perf_counter()
                await set_text_status(url, numeric, TextStatus.PENDING)
                statuses: list[str] = []
                while time.perf_counter() - started < args.extraction_timeout:
                    statuses = []
                    for attachment_id in attachment_ids:
                        body = (
                            await client.post(
                                "/graphql",
                                json={"query": STATUS, "variables": {"id": attachment_id}},
                                headers={"Authorization": f"Bearer {token}"},
                            )
                        ).json()
                        statuses.append(body["data"]["node"]["textStatus"])
                    if "PENDING" not in statuses:
                        break
                    await asyncio.sleep(0.5)
                seconds = time.perf_counter() - started
        print(
            Line(f"text extraction x{len(numeric)}", size * len(numeric), seconds, watch, f"statuses {statuses}").row()
        )
        print(
            f"RESULT files.extraction files={len(numeric)} seconds={seconds:.1f} server_cpu_s={watch.cpu:.2f} "
            f"rss_growth_mb={watch.growth:.1f} pending={statuses.count('PENDING')} ocr={int(args.extraction_ocr)}"
        )
        print(
            "  pypdf and OCR in a worker process per file (files/extraction.py), not counted"
            + ("" if args.extraction_ocr else "; OCR hidden from this server")
        )
    finally:
        server.stop()
        os.environ["MCS_TEXT_EXTRACTION_SECONDS"] = "0"


def machine() -> str:
    mem = next(
        (
            int(line.split()[1]) // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return f"{os.cpu_count()} CPU ({model}), {mem / 1024:.0f} GB RAM, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=100, help="size of the file, in MiB (default 100)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", help="PostgreSQL (dropped and recreated!); default: SQLite in a temp dir")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between requests (RSS settles)")
    parser.add_argument("--extraction", action="store_true", help="also follow the background text extraction")
    parser.add_argument(
        "--extraction-ocr",
        action="store_true",
        help="let that server OCR the pages (slow: ~100 pages of tesseract per file)",
    )
    parser.add_argument("--extraction-timeout", type=float, default=600)
    parser.add_argument("--server-env", action="append", default=[], metavar="MCS_X=V")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (server log, files)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="mcs-bench-files-"))
    try:
        big, small = workdir / "grande.pdf", workdir / "chico.pdf"
        started = time.perf_counter()
        pages = write_pdf(big, int(args.size_mb * MIB))
        write_pdf(small, 2 * MIB)
        size = big.stat().st_size
        print(
            f"{machine()}\nfile: {size:,} bytes ({size / MIB:.1f} MiB), {pages} pages, "
            f"written in {time.perf_counter() - started:.1f} s"
        )

        url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'mcs.sqlite3'}"
        if args.database_url:
            asyncio.run(recreate_database(url))
        migrate(url)
        secret = secrets.token_urlsafe(48)
        unit_id, token = asyncio.run(create_registrar(url, secret))
        limit_mb = str(int(size / MIB) + 16)
        os.environ.update(
            {
                "MCS_MAX_FILE_MB": limit_mb,
                "MCS_MAX_REQUEST_MB": limit_mb,
                "MCS_TEXT_EXTRACTION_SECONDS": "0",
                "MCS_DEADLINE_WATCH_SECONDS": "0",
                "MCS_FILES_DIR": str(workdir / "files"),
            }
        )
        os.environ.update(dict(item.split("=", 1) for item in args.server_env))
        print(
            f"database: {url.split('@')[-1]}; server: MCS_MAX_FILE_MB={limit_mb} MCS_MAX_REQUEST_MB={limit_mb},"
            f" text extraction off, files in {workdir / 'files'}\n"
        )
        print(
            "MB = 10^6 bytes. RSS growth over the RSS just before the request: peak sampled every 20 ms;"
            " HWM: VmHWM (reset per request); after: when the response is complete.\n"
        )

        server = Server(url, secret, workdir)
        report = Report()
        try:
            asyncio.run(server.wait_ready())
            print(f"server RSS idle: {server.rss_mb:.1f} MB")
            attachment_ids = asyncio.run(run_transfers(args, server, token, unit_id, big, small, report))
        finally:
            server.stop()
        summarize(report)
        if args.extraction:
            print()
            asyncio.run(run_extraction(args, url, secret, workdir, token, attachment_ids, size))
        if args.keep:
            print(f"\nkept: {workdir}")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def summarize(report: Report) -> None:
    print("summary (median over repetitions)")
    kinds: dict[str, list[Line]] = {}
    for line in report.lines:
        kinds.setdefault(line.name.split(" ", 1)[1], []).append(line)

    def median(values: list[float]) -> float:
        values = sorted(values)
        return values[len(values) // 2]

    for kind, lines in kinds.items():
        print(
            f"  {kind:<26} {median([run.bytes / MB / run.seconds for run in lines]):8.1f} MB/s"
            f"  {median([run.seconds for run in lines]) * 1000:9.1f} ms"
            f"  peak RSS growth {median([run.watch.growth for run in lines]):6.1f} MB"
            f" (max {max(run.watch.growth for run in lines):.1f})"
        )
    print()
    for kind, lines in kinds.items():
        hwm = [g for run in lines if (g := run.watch.hwm_growth) is not None]
        print(
            f"RESULT files.{RESULT_NAMES.get(kind, kind)} repeats={len(lines)} size_mb={median([run.bytes / MB for run in lines]):.1f} "
            f"mb_s={median([run.bytes / MB / run.seconds for run in lines]):.1f} ms={median([run.seconds for run in lines]) * 1000:.1f} "
            f"server_cpu_s={median([run.watch.cpu for run in lines]):.2f} "
            f"rss_growth_mb={median([run.watch.growth for run in lines]):.1f} "
            f"rss_growth_max_mb={max(run.watch.growth for run in lines):.1f} "
            f"hwm_growth_max_mb={f'{max(hwm):.1f}' if hwm else 'nan'}"
        )


# RESULT names of the summary's kinds (a line's name without its "#n ")
RESULT_NAMES = {
    "upload (registerDocument)": "upload",
    "download GET /files/{id}": "download",
    "Range 1 MiB (middle)": "range_1mib",
    "Range second half": "range_half",
}


if __name__ == "__main__":
    sys.exit(main())
