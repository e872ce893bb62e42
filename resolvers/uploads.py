"""Receiving digitized files: stage, check by content, record, then move into the store.

The bytes go to a temporary place before the transaction; the rows are written in the use
case's transaction; only after it commits are the files moved into place. Any refusal (a
type we do not accept, a file too large, a failed transaction) discards every staged file of
the request: no document, no answer, no file.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from dataclasses import dataclass

from files.names import sanitize_filename
from files.pdf import page_count
from files.sniff import EXTENSIONS, sniff
from files.storage import StagedFile, TooLarge
from models.attachments import Attachment, TextStatus
from models.errors import validation
from resolvers.context import Context


@dataclass
class StagedUpload:
    staged: StagedFile
    filename: str
    content_type: str
    pages: int | None
    unreadable: bool


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


async def stage_uploads(ctx: Context, uploads: list, field: str = "files") -> list[StagedUpload]:
    """Stage every upload of the request or none: a refused one discards the others."""
    settings, storage = ctx.settings, ctx.services.storage
    result: list[StagedUpload] = []
    total = 0
    try:
        for i, upload in enumerate(uploads or []):
            name = sanitize_filename(getattr(upload, "filename", None))
            try:
                staged = await storage.stage(upload, settings.max_file_bytes)
            except TooLarge:
                raise validation(f"«{name}» excede el máximo de {_mb(settings.max_file_bytes)} por archivo.",
                                 f"{field}.{i}") from None
            finally:
                close = getattr(upload, "close", None)
                if close is not None:
                    await close()
            result.append(StagedUpload(staged, name, "", None, False))
            total += staged.size
            if total > settings.max_request_bytes:
                raise validation(f"Los archivos suman más de {_mb(settings.max_request_bytes)}.", field)
            if staged.size == 0:  # before sniffing: an empty file is not "an invalid PDF"
                raise validation(f"«{name}» está vacío.", f"{field}.{i}")
            mime = sniff(staged.head, settings.allowed_file_types)
            if mime is None:
                raise validation(f"«{name}» no es un PDF, JPEG, PNG o TIFF válido (se revisa su contenido, "
                                 "no su nombre).", f"{field}.{i}")
            item = result[-1]
            item.content_type = mime
            if "." not in item.filename:
                item.filename += EXTENSIONS.get(mime, "")
            if mime == "application/pdf":
                item.pages = await asyncio.to_thread(page_count, storage.staged_path(staged))
                item.unreadable = item.pages is None
            elif mime in ("image/jpeg", "image/png"):
                item.pages = 1
    except BaseException:
        await discard(ctx, result)
        raise
    return result


def attachment_rows(uploads: list[StagedUpload], *, document_id: int, response_id: int | None, user_id: int, now) -> list[Attachment]:
    return [Attachment(document_id=document_id, response_id=response_id, sha256=u.staged.sha256, filename=u.filename,
                       content_type=u.content_type, size=u.staged.size, pages=u.pages, unreadable=u.unreadable,
                       uploaded_at=now, uploaded_by_id=user_id, text_status=TextStatus.PENDING.value)
            for u in uploads]


async def discard(ctx: Context, uploads: list[StagedUpload]) -> None:
    for u in uploads:
        await ctx.services.storage.discard(u.staged)


@asynccontextmanager
async def uploads_for(ctx: Context, files: list, field: str = "files"):
    """Staged uploads for the block of a use case: moved into the store if the block (and its
    transaction) succeeds, discarded otherwise."""
    staged = await stage_uploads(ctx, files, field) if files else []
    try:
        yield staged
    except BaseException:
        await discard(ctx, staged)
        raise
    for u in staged:
        await ctx.services.storage.commit(u.staged)
