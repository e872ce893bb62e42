"""Reading the text of uploaded files for search, in the background.

Pending attachments are read outside any transaction (a long PDF must not hold the database),
then their text is stored if they are still pending. Two instances may read the same file at
the same moment: the result is the same and only the first write counts.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select, update

from files import ocr
from files.pdf import extract_text
from models.attachments import Attachment, TextStatus
from models.text import fold
from resolvers.context import Services

log = logging.getLogger("mcs.files")
BATCH = 20


def read_text(services: Services, attachment: Attachment) -> tuple[str, TextStatus]:
    path = services.storage.path_of(attachment.sha256)
    text = ""
    if attachment.content_type == "application/pdf" and not attachment.unreadable:
        text = extract_text(path)
        if not text.strip() and ocr.available():
            text = ocr.scanned_pdf_text(path)
    elif attachment.content_type.startswith("image/") and ocr.available():
        text = ocr.image_text(path)
    text = fold(text)
    return text, (TextStatus.DONE if text.strip() else TextStatus.NONE)


async def extract_pending(services: Services) -> int:
    """One pass over pending attachments; returns how many were read."""
    async with services.db.session() as session:
        pending = list((await session.execute(
            select(Attachment).where(Attachment.text_status == TextStatus.PENDING.value).order_by(Attachment.id).limit(BATCH)
        )).scalars())
    done = 0
    for attachment in pending:
        try:
            text, status = await asyncio.to_thread(read_text, services, attachment)
        except Exception:  # a damaged file must not stop the others
            log.exception("text extraction failed for attachment %s", attachment.id)
            text, status = None, TextStatus.FAILED
        async with services.db.transaction() as session:
            await session.execute(
                update(Attachment)
                .where(Attachment.id == attachment.id, Attachment.text_status == TextStatus.PENDING.value)
                .values(text=text[:2_000_000] if text else None, text_status=status.value))
        done += 1
    return done


async def extract_forever(services: Services, interval_seconds: float) -> None:
    while True:
        try:
            while await extract_pending(services) == BATCH:
                pass
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("text extraction pass failed")
        await asyncio.sleep(interval_seconds)
