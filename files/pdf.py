"""What we read from PDFs: the page count (at upload, off the event loop) and the text of
born-digital ones (in the background, for search, in the worker process of files/extraction.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from pypdf import PageObject, PdfReader
from pypdf.errors import PyPdfError

log = logging.getLogger("mcs.files")


# pypdf reads the whole file into memory when given a path, and keeps it (reference cycles)
# until a full collection: +100 MB per 100 MB upload (bench/FILES.md). Given an open file it
# seeks and reads what it needs.


def page_count(path: Path) -> int | None:
    """Pages of a PDF, or None when it cannot be parsed (it is stored anyway, flagged)."""
    try:
        with open(path, "rb") as stream:
            return len(PdfReader(stream).pages)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as error:
        log.info("unreadable PDF %s: %s", path.name, error)
        return None


def page_texts(reader: PdfReader) -> Iterator[str]:
    """The text layer of each page in turn ('' for a scanned page). Runs in the text-extraction
    worker (files/extract_worker.py): a hostile page can cost seconds and hundreds of MB."""
    for page in reader.pages:
        text = page.extract_text() or ""
        reader.resolved_objects.clear()  # pypdf keeps every object (page images) it resolved
        yield text


def page_size(page: PageObject) -> tuple[float, float]:
    """Width and height in points of a page as poppler renders it (crop box, UserUnit, rotation)."""
    box, unit = page.cropbox, float(page.user_unit or 1)
    width, height = float(box.width) * unit, float(box.height) * unit
    return (height, width) if page.rotation % 180 == 90 else (width, height)
