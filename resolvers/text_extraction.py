"""Reading the text of uploaded files for search, in the background.

Pending attachments are read outside any transaction (a long PDF must not hold the database),
one at a time, each in a worker process with time and memory limits (files/extraction.py), then
their text is stored if they are still pending: all of it, or what was read before a limit cut the
reading short, with a status saying which limit. Two instances may read the same file at
the same moment: the result is the same and only the first write counts.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select, update

from files import ocr
from files.extraction import Limits, extract
from models.attachments import Attachment, TextStatus
from models.text import fold
from resolvers.context import Services

log = logging.getLogger("mcs.files")
BATCH = 20
MAX_CHARS = 2_000_000
CUT = {
    "TIME": TextStatus.CUT_TIME,
    "MEMORY": TextStatus.CUT_MEMORY,
    "PAGES": TextStatus.CUT_PAGES,
    "SIZE": TextStatus.CUT_SIZE,
    "TEXT": TextStatus.CUT_TEXT,
    "BROKEN": TextStatus.CUT_BROKEN,
}


def limits(settings) -> Limits:
    return Limits(
        timeout_seconds=settings.text_extraction_timeout_seconds,
        memory_mb=settings.text_extraction_memory_mb,
        max_pages=settings.ocr_max_pages,
        max_pixels=int(settings.ocr_max_megapixels * 1_000_000),
        max_chars=MAX_CHARS,
    )


async def read_text(services: Services, attachment: Attachment) -> tuple[str, TextStatus]:
    """The folded text to store (each page read ends with a form feed) and the status; the reading
    runs in a worker process with the limits of the settings (files/extraction.py)."""
    if attachment.content_type == "application/pdf" and not attachment.unreadable:
        kind = "pdf"
    elif attachment.content_type.startswith("image/") and ocr.available():
        kind = "image"
    else:
        return "", TextStatus.NONE
    path = services.storage.path_of(attachment.sha256)
    result = await extract(path, kind, limits(services.settings), ocr=ocr.available())
    text = await asyncio.to_thread(fold, result.text)
    if result.cut is None:
        return text, (TextStatus.DONE if text.strip() else TextStatus.NONE)
    if result.cut == "BROKEN" and result.pages_read == 0 and not text.strip():
        log.warning("text of attachment %s unreadable: %s", attachment.id, result.stderr[-1000:])
        return "", TextStatus.FAILED
    log.info(
        "text of attachment %s cut short (%s) after %d of %s pages%s",
        attachment.id,
        result.cut,
        result.pages_read,
        result.pages,
        f": {result.stderr[-1000:]}" if result.cut == "BROKEN" else "",
    )
    return text, CUT[result.cut]


async def extract_pending(services: Services) -> int:
    """One pass over pending attachments; returns how many were read."""
    async with services.db.session() as session:
        pending = list(
            (
                await session.execute(
                    select(Attachment)
                    .where(Attachment.text_status == TextStatus.PENDING.value)
                    .order_by(Attachment.id)
                    .limit(BATCH)
                )
            ).scalars()
        )
    done = 0
    for attachment in pending:
        try:
            text, status = await read_text(services, attachment)
        except Exception:  # a damaged file must not stop the others
            log.exception("text extraction failed for attachment %s", attachment.id)
            text, status = "", TextStatus.FAILED
        async with services.db.transaction() as session:
            await session.execute(
                update(Attachment)
                .where(Attachment.id == attachment.id, Attachment.text_status == TextStatus.PENDING.value)
                # a cut-short text is kept even when blank: its form feeds count the pages read
                .values(
                    text=text[:MAX_CHARS] if text.strip() or (text and status.cut_short) else None,
                    text_status=status.value,
                )
            )
        done += 1
    return done
