"""The process that reads one file's text for search: `python -m files.extract_worker`, started
and watched by files/extraction.py, never run inside the server.

It first limits itself (address space, CPU time, file size, no core dumps); pdftoppm and tesseract
inherit the limits. Then it writes JSON lines on stdout as it goes, so that what was read before
a kill is kept:

    {"pages": N}        the file's pages (frames of an image), once known
    {"text": "..."}     text of the page being written (in chunks: lines stay short)
    {"page": n}         page n is complete
    {"restart": true}   the text layer was empty: OCR starts again from page 1
    {"cut": "REASON"}   reading was cut short: MEMORY, PAGES, SIZE, TEXT, BROKEN (SIZE goes on:
                        a page read at a lower resolution)
    {"end": true}       finished

The parent adds TIME when its wall clock (or the CPU limit) ends the process.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import traceback
from pathlib import Path

CHUNK = 8192  # characters per text line (JSON-escaped, well under the reader's 64 KiB line limit)


class Stop(Exception):
    """Reading ends here (a limit was reached; the reason is already written)."""


class Output:
    def __init__(self, max_chars: int):
        self.max_chars = max_chars
        self.chars = 0
        self.pages_done = 0

    def send(self, **message) -> None:
        sys.stdout.buffer.write(json.dumps(message, ensure_ascii=False).encode() + b"\n")
        sys.stdout.buffer.flush()  # a kill keeps what was sent

    def cut(self, reason: str) -> None:
        self.send(cut=reason)

    def restart(self) -> None:
        self.pages_done = self.chars = 0
        self.send(restart=True)

    def page(self, text: str) -> None:
        # no lone surrogates (not UTF-8) nor NUL (PostgreSQL text refuses it)
        text = text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")
        room = self.max_chars - self.chars
        over = len(text) > room
        text = text[:room]
        for start in range(0, len(text), CHUNK):
            self.send(text=text[start : start + CHUNK])
        self.chars += len(text)
        if over:
            self.cut("TEXT")
            raise Stop()
        self.pages_done += 1
        self.send(page=self.pages_done)


def limit_self(memory_mb: int, cpu_seconds: int) -> None:
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (memory, memory))  # a rendered page is far smaller
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGXCPU and aborts would dump core


def read_pdf(path: Path, args, out: Output) -> None:
    from pypdf import PdfReader

    from files.pdf import page_texts

    with open(path, "rb") as stream:
        try:
            reader = PdfReader(stream)
            out.send(pages=len(reader.pages))
        except MemoryError:
            raise
        except Exception:  # noqa: BLE001 - pypdf raises many kinds on a damaged file
            return broken(out)
        empty = True
        texts = page_texts(reader)
        while True:
            try:
                text = next(texts)
            except StopIteration:
                break
            except MemoryError:
                raise
            except Exception:  # noqa: BLE001
                return broken(out)
            empty = empty and not text.strip()
            out.page(text)
        if empty and args.ocr:
            out.restart()
            ocr_pdf(reader, path, args, out)


def ocr_pdf(reader, path: Path, args, out: Output) -> None:
    from files import ocr
    from files.pdf import page_size

    if not ocr.renders_pdfs():
        print(f"pdftoppm (poppler-utils) is missing: {path.name} is not OCR'd", file=sys.stderr)
        return
    for number, page in enumerate(reader.pages, start=1):
        if number > args.max_pages:
            out.cut("PAGES")
            return
        width, height, reduced = ocr.fit(*page_size(page), args.max_pixels)
        if reduced:
            out.cut("SIZE")
        image = ocr.render_page(path, number, width, height, args.tmp)
        try:
            out.page(ocr.tesseract(image))
        finally:
            image.unlink(missing_ok=True)


def ocr_image(path: Path, args, out: Output) -> None:
    from PIL import Image

    from files import ocr

    Image.MAX_IMAGE_PIXELS = None  # the budget below replaces Pillow's bomb check
    with Image.open(path) as image:
        frames = getattr(image, "n_frames", 1)  # a TIFF may hold many pages
        out.send(pages=frames)
        for index in range(frames):
            if index >= args.max_pages:
                out.cut("PAGES")
                return
            image.seek(index)
            page = bounded_gray(image, args, out)
            target = args.tmp / "page.pgm"
            page.save(target)
            del page
            try:
                out.page(ocr.tesseract(target))
            finally:
                target.unlink(missing_ok=True)


def bounded_gray(image, args, out: Output):
    """The frame as gray pixels, at most max_pixels of them (Tesseract gets nothing larger)."""
    from PIL import Image

    width, height = image.size
    scale = min(1.0, math.sqrt(args.max_pixels / max(1, width * height)))
    target = (max(1, int(width * scale)), max(1, int(height * scale)))
    if scale < 1:
        out.cut("SIZE")
        if image.format == "JPEG":
            image.draft("L", target)  # libjpeg decodes at 1/2, 1/4 or 1/8 directly
    # PNG and TIFF are decoded whole before shrinking: refuse what could not fit in memory
    width, height = image.size
    per_pixel = 1 if image.mode in ("1", "L", "P") else 4
    if width * height * (per_pixel + 1) > args.memory_mb * 1024 * 1024 // 2:
        out.cut("SIZE")
        raise Stop()
    gray = image.convert("L")
    return gray if gray.size == target else gray.resize(target, Image.Resampling.BOX)


def broken(out: Output) -> None:
    traceback.print_exc(limit=-3)  # the parent logs the end of stderr
    out.cut("BROKEN")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m files.extract_worker")
    parser.add_argument("path", type=Path)
    parser.add_argument("--kind", choices=["pdf", "image"], required=True)
    parser.add_argument("--ocr", action="store_true")
    parser.add_argument("--tmp", type=Path, required=True)
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    parser.add_argument("--max-pages", type=int, required=True)
    parser.add_argument("--max-pixels", type=int, required=True)
    parser.add_argument("--max-chars", type=int, required=True)
    args = parser.parse_args(argv)
    limit_self(args.memory_mb, args.cpu_seconds)  # before anything reads the file
    out = Output(args.max_chars)
    reserve = bytearray(1024 * 1024)  # freed on MemoryError, so that reporting it can allocate
    try:
        if args.kind == "pdf":
            read_pdf(args.path, args, out)
        else:
            ocr_image(args.path, args, out)
    except Stop:
        pass
    except MemoryError:
        del reserve
        out.cut("MEMORY")
    except Exception as error:  # noqa: BLE001 - whatever it is, report it as a cut, not a crash
        from files.ocr import ToolFailed

        if isinstance(error, ToolFailed):
            print(error, file=sys.stderr)
            out.cut(error.reason)
        else:
            broken(out)
    out.send(end=True)


if __name__ == "__main__":
    main()
