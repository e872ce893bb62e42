"""What we read from PDFs: the page count (at upload) and the text of born-digital ones
(in the background, for search). pypdf is pure Python; both run off the event loop."""

from __future__ import annotations

import logging
from pathlib import Path

from pypdf import PdfReader
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


def extract_text(path: Path, max_chars: int = 2_000_000) -> str:
    """The text layer of a PDF ('' for a scan without one)."""
    parts, total = [], 0
    with open(path, "rb") as stream:
        reader = PdfReader(stream)
        for page in reader.pages:
            text = page.extract_text() or ""
            parts.append(text)
            total += len(text)
            reader.resolved_objects.clear()  # pypdf keeps every object (page images) it resolved
            if total >= max_chars:
                break
    return "\n".join(parts)[:max_chars]
