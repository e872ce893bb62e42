"""Receiving digitized files: stage, check by content, record, then move into the store.

The bytes go to a temporary place before the transaction; the rows are written in the use
case's transaction, and the files are renamed into the store inside it, just before COMMIT (a
transaction hook): whatever the outcome of COMMIT, even one the client never hears of, a
committed row has its file (files/storage.py). Any refusal (a type we do not accept, a file too
large, a full disk, a failed transaction) discards every staged file of the request not yet
placed: no document, no answer, no file.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass

from files.names import sanitize_filename
from files.pdf import page_count
from files.sniff import EXTENSIONS, sniff
from files.storage import StagedFile, StorageFull, TooLarge
from models.attachments import Attachment, TextStatus
from models.db import hooked
from models.errors import DomainError, ErrorCode, validation
from resolvers.context import Context

log = logging.getLogger("mcs.files")


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
                raise validation(
                    f"«{name}» excede el máximo de {_mb(settings.max_file_bytes)} por archivo.", f"{field}.{i}"
                ) from None
            except StorageFull as error:
                # the operator must act (the users cannot): one ERROR line says so
                log.error(
                    "STORAGE_FULL: no queda espacio para archivos en %s (%s); se rechazó «%s»",
                    storage.root,
                    error,
                    name,
                )
                raise DomainError(
                    ErrorCode.STORAGE_FULL,
                    "No hay espacio para guardar archivos en el servidor. "
                    "No se registró nada; avise al administrador del sistema e intente más tarde.",
                    f"{field}.{i}",
                ) from None
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
                raise validation(
                    f"«{name}» no es un PDF, JPEG, PNG o TIFF válido (se revisa su contenido, no su nombre).",
                    f"{field}.{i}",
                )
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


def attachment_rows(
    uploads: list[StagedUpload], *, document_id: int | None, response_id: int | None, user_id: int, now
) -> list[Attachment]:
    return [
        Attachment(
            document_id=document_id,
            response_id=response_id,
            sha256=u.staged.sha256,
            filename=u.filename,
            content_type=u.content_type,
            size=u.staged.size,
            pages=u.pages,
            unreadable=u.unreadable,
            uploaded_at=now,
            uploaded_by_id=user_id,
            text_status=TextStatus.PENDING.value,
        )
        for u in uploads
    ]


async def discard(ctx: Context, uploads: list[StagedUpload]) -> None:
    for u in uploads:
        await ctx.services.storage.discard(u.staged)


class PlaceFiles:
    """The transaction hook that renames the staged files into the store before COMMIT."""

    def __init__(self, ctx: Context, uploads: list[StagedUpload]):
        self.storage, self.uploads = ctx.services.storage, uploads
        self.placed = False

    def begin(self, session) -> None:
        pass

    async def before_commit(self, session) -> None:
        if self.uploads and not self.placed:
            for u in self.uploads:
                self.storage.place(u.staged)
            self.placed = True


@asynccontextmanager
async def uploads_for(ctx: Context, files: list, field: str = "files"):
    """Staged uploads for the block of a use case: placed in the store by its transaction,
    discarded if the block fails before that."""
    staged = await stage_uploads(ctx, files, field) if files else []
    placing = PlaceFiles(ctx, staged)
    try:
        with hooked(placing):
            yield staged
    except BaseException:
        if not placing.placed:
            await discard(ctx, staged)
        raise
