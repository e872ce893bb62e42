"""What we read from PDFs: the page count (at upload) and the text of born-digital ones
(in the background, for search). pypdf is pure Python; both run off the event loop."""

from __future__ import annotations

import logging
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PyPdfError

log = logging.getLogger("mcs.files")


def page_count(path: Path) -> int | None:
    """Pages of a PDF, or None when it cannot be parsed (it is stored anyway, flagged)."""
    try:
        return len(PdfReader(path).pages)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as error:
        log.info("unreadable PDF %s: %s", path.name, error)
        return None


def extract_text(path: Path, max_chars: int = 2_000_000) -> str:
    """The text layer of a PDF ('' for a scan without one)."""
    reader = PdfReader(path)
    parts, total = [], 0
    for page in reader.pages:
        text = page.extract_text() or ""
        parts.append(text)
        total += len(text)
        if total >= max_chars:
            break
    return "\n".join(parts)[:max_chars]
