"""The hostile files of tests/samples.py through the text extraction, as the server runs it.

    .venv/bin/python -m bench.hostile_files [--timeout 60] [--memory-mb 512] [--max-pages 20] [--max-megapixels 25]

Per file: files/extraction.py `extract` with the settings' limits (defaults: the settings'),
then the outcome (the reason it stopped, pages read), the wall time, and memory sampled every
20 ms: this process's RSS (it plays the server: it starts the worker and reads its output), and
the sum over this process and all its descendants (the worker, pdftoppm, tesseract). Files:

- slow_text_pdf: 20 pages, 6 KB; pypdf spends about 10 s and 250 MB on each page but the first;
- huge_page_pdf: one image-only page of 100 × 100 inches, 706 bytes; OCR at 200 dpi would be
  400 million pixels.

It prints a table, then one `RESULT hostile_files.<file> …` line per file, and asserts nothing.
The files are fixed; the limits are the arguments (a reduced run: `--timeout 15`). See
bench/FILES.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import threading
import time
from pathlib import Path

from files import ocr
from files.extraction import Limits, extract
from core.settings import Settings
from tests.samples import huge_page_pdf, slow_text_pdf


def _rss_and_parents() -> tuple[dict[int, int], dict[int, int]]:
    rss, parent = {}, {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            parent[int(entry.name)] = int(fields[1])
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return rss, parent


class Watch:
    """Peak RSS of this process, and of this process plus its descendants, sampled every 20 ms."""

    def __init__(self):
        self.own = self.tree = 0
        self.stop = threading.Event()

    def run(self):
        me = os.getpid()
        while not self.stop.wait(0.02):
            rss, parent = _rss_and_parents()
            total = 0
            for pid, size in rss.items():
                p = pid
                while p and p != me:
                    p = parent.get(p, 0)
                if p == me:
                    total += size
            self.own = max(self.own, rss.get(me, 0))
            self.tree = max(self.tree, total)

    def __enter__(self):
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


async def main() -> None:
    defaults = Settings.from_env(secret_key="bench")
    parser = argparse.ArgumentParser(prog="python -m bench.hostile_files")
    parser.add_argument("--timeout", type=float, default=defaults.text_extraction_timeout_seconds)
    parser.add_argument("--memory-mb", type=int, default=defaults.text_extraction_memory_mb)
    parser.add_argument("--max-pages", type=int, default=defaults.ocr_max_pages)
    parser.add_argument("--max-megapixels", type=float, default=defaults.ocr_max_megapixels)
    args = parser.parse_args()
    limits = Limits(
        timeout_seconds=args.timeout,
        memory_mb=args.memory_mb,
        max_pages=args.max_pages,
        max_pixels=int(args.max_megapixels * 1_000_000),
    )
    print(f"limits: {limits}; OCR available: {ocr.available()}")
    print("| file | bytes | outcome | pages read | wall | peak RSS, this process | peak RSS, with its descendants |")
    print("|---|---|---|---|---|---|---|")
    results: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, content in [("slow_text_pdf", slow_text_pdf()), ("huge_page_pdf", huge_page_pdf())]:
            path = Path(tmp) / f"{name}.pdf"
            path.write_bytes(content)
            started = time.monotonic()
            with Watch() as watch:
                result = await extract(path, "pdf", limits, ocr=ocr.available())
            seconds = time.monotonic() - started
            print(
                f"| {name} | {len(content):,} | {result.cut or 'complete'} | {result.pages_read} of {result.pages} "
                f"| {seconds:.1f} s | {watch.own / 2**20:.0f} MB | {watch.tree / 2**20:.0f} MB |",
                flush=True,
            )
            results.append(
                f"RESULT hostile_files.{name} bytes={len(content)} outcome={result.cut or 'complete'} "
                f"pages_read={result.pages_read} pages={result.pages} seconds={seconds:.1f} "
                f"rss_mb={watch.own / 2**20:.0f} rss_tree_mb={watch.tree / 2**20:.0f} "
                f"timeout_s={args.timeout:g} memory_mb={args.memory_mb}"
            )
    print("\n" + "\n".join(results))


if __name__ == "__main__":
    asyncio.run(main())
