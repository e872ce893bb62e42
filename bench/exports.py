"""An Excel export of N documents on PostgreSQL, through the real job code path, in-process.

    .venv/bin/python -m bench.exports [--documents N] [--runs R] [--database-url URL]

1. Drop and recreate `mcs_bench_exports`, migrate, build bench.core's org tree (101 units) and
   users, and COPY N documents (bench.core's generator: two years, ~3% confidential, 60% with a
   deadline) with their chain and registration event; VACUUM ANALYZE.
2. R times: `resolvers.exports.start_export` as the HEAD of the root (every visibility and
   confidentiality predicate runs; every document is in the export), then wait until the job
   (the same code the server runs: snapshot, indicators, keyset chunks, worker thread, zip) is
   DONE. Prints the seconds from the request to DONE and the phases, the file's size, this
   process's CPU time, the peak RSS growth during the run (VmHWM reset through
   /proc/self/clear_refs when allowed, and a 5 ms RSS sampler either way), and how busy the
   machine was (load average, CPU of other processes).

It prints figures, then one `RESULT exports.xlsx.run<i> …` line per run, and asserts nothing
about speed. See bench/EXPORTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import select

from bench.core import HEAD_USERNAME, create_org_and_users, load_documents, machine_busy_seconds, recreate_database
from files.xlsx import XlsxBook
from mcs.app import build_services
from mcs.migrations import migrate
from core.settings import Settings
from models.exports import Export
from models.filters import DocumentFilterSpec
from models.users import User
from resolvers.exports import runner as exports_module
from models.principals import load_principal
from resolvers.context import Context
from resolvers.exports import export_runner, start_export

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/mcs_bench_exports"


def rss_mb(key: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> bool:
    """Linux >= 4.0: writing 5 to clear_refs resets VmHWM to the current RSS."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


class Sampler:
    """The highest RSS seen, every 5 ms, in a thread (works where clear_refs is refused)."""

    def __init__(self):
        self.peak = rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_mb())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


class Phases:
    """Wall time spent in the job's phases, by wrapping its functions."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.first_chunk_at: float | None = None

    def wrap_async(self, owner, name: str, label: str):
        real = getattr(owner, name)

        async def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return await real(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - started

        setattr(owner, name, timed)

    def wrap_sync(self, owner, name: str, label: str):
        real = getattr(owner, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - started

        setattr(owner, name, timed)


async def one_export(services, principal, phases: Phases) -> dict:
    ctx = Context(services=services, session=None, principal=principal, request_id="bench")
    phases.seconds.clear()
    peak_reset = reset_peak()
    base_rss, base_hwm = rss_mb(), rss_mb("VmHWM")
    cpu0, busy0, wall0 = time.process_time(), machine_busy_seconds(), time.perf_counter()
    with Sampler() as sampler:
        export = await start_export(
            ctx, documents=DocumentFilterSpec(), turnos=None, documents_given=True, turnos_given=False
        )
        await export_runner(services).wait_idle()
    wall = time.perf_counter() - wall0
    cpu, busy = time.process_time() - cpu0, machine_busy_seconds() - busy0
    async with services.db.session() as session:
        done = await session.get(Export, export.id)
    return {
        "status": done.status,
        "error": done.error,
        "rows": done.rows,
        "size": done.size,
        "seconds": wall,
        "cpu": cpu,
        "others": busy - cpu,
        "base_rss": base_rss,
        "peak_growth_sampled": sampler.peak - base_rss,
        "peak_growth_hwm": (rss_mb("VmHWM") - base_hwm) if peak_reset else None,
        "phases": dict(phases.seconds),
    }


async def run(url: str, documents: int, runs: int, seed: int) -> None:
    print(f"machine: {os.cpu_count()} cores, load average {open('/proc/loadavg').read().split()[:3]}")
    started = time.perf_counter()
    await recreate_database(url)
    await asyncio.to_thread(migrate, url)
    world = await create_org_and_users(url)
    await load_documents(url, world, documents, seed)
    print(f"loaded {documents:,} documents in {time.perf_counter() - started:.1f} s")

    workdir = Path(tempfile.mkdtemp(prefix="mcs-bench-exports-"))
    settings = Settings.from_env(
        database_url=url,
        redis_url=None,
        files_dir=workdir / "files",
        secret_key="bench-secret-key-bench-secret-key-0123456789",
        deadline_watch_seconds=0,
        text_extraction_seconds=0,
        export_cleanup_seconds=0,
        export_max_per_user=runs + 1,
    )
    services = build_services(settings)
    phases = Phases()
    phases.wrap_async(exports_module.DocumentSource, "indicators", "indicators (one GROUP BY)")
    phases.wrap_async(exports_module, "readable_confidential", "confidential chains")
    phases.wrap_async(exports_module.DocumentSource, "open_turnos", "open turnos")
    phases.wrap_sync(exports_module, "_write_chunk", "shape + write rows (thread)")
    phases.wrap_async(exports_module, "_set_progress", "progress updates")
    phases.wrap_sync(XlsxBook, "save", "zip the package (thread)")
    try:
        async with services.db.session() as session:
            head_id = (await session.execute(select(User.id).where(User.username == HEAD_USERNAME))).scalar_one()
            principal = await load_principal(session, head_id)
        results: list[str] = []
        for i in range(1, runs + 1):
            result = await one_export(services, principal, phases)
            hwm = result["peak_growth_hwm"]
            print(
                f"\nrun {i}: {result['status']} {result['rows']:,} rows in {result['seconds']:.2f} s "
                f"({result['rows'] / result['seconds']:,.0f} rows/s), file {result['size'] / 1e6:.1f} MB"
                + (f", error: {result['error']}" if result["error"] else "")
            )
            print(
                f"  peak RSS growth: {result['peak_growth_sampled']:.1f} MB sampled"
                + (f", {hwm:.1f} MB by VmHWM" if hwm is not None else " (VmHWM reset refused)")
                + f" (RSS before: {result['base_rss']:.0f} MB)"
            )
            print(
                f"  CPU: this process {result['cpu']:.2f} s (event loop + writer thread + PostgreSQL client); "
                f"other processes {result['others']:.2f} s of the {os.cpu_count()} cores' "
                f"{result['seconds'] * os.cpu_count():.1f} s"
            )
            print(
                "  wall time inside (the reads of chunk n+1 overlap the writing of chunk n): "
                + ", ".join(f"{k} {v:.2f} s" for k, v in result["phases"].items())
            )
            results.append(
                f"RESULT exports.xlsx.run{i} status={result['status']} rows={result['rows']} "
                f"seconds={result['seconds']:.2f} rows_s={result['rows'] / result['seconds']:.0f} "
                f"size_mb={result['size'] / 1e6:.1f} cpu_s={result['cpu']:.2f} "
                f"peak_rss_growth_mb={result['peak_growth_sampled']:.1f} "
                f"peak_hwm_growth_mb={'nan' if hwm is None else f'{hwm:.1f}'} others_cpu_s={result['others']:.2f}"
            )
        print(f"\nload average after: {open('/proc/loadavg').read().split()[:3]}")
        print("\n" + "\n".join(results))
    finally:
        await services.hub.close()
        await services.db.dispose()
        shutil.rmtree(workdir, ignore_errors=True)  # the exported files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.exports", description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100_000, help="documents to load and export (default 100000)")
    parser.add_argument("--runs", type=int, default=2, help="exports measured one after another (default 2)")
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"dropped and recreated! (default {DEFAULT_URL})")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    asyncio.run(run(args.database_url, args.documents, args.runs, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
