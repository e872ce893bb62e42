"""Attachment: a digitized file of a document or of an answer."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from urllib.parse import quote

import strawberry
from strawberry.types import Info

from models.attachments import Attachment as AttachmentModel
from models.attachments import TextStatus, cut_short_message, pages_read
from resolvers.downloads import sign
from schema.per_user import PerUser
from schema.ids import to_global_id
from schema.types.node import Node


@strawberry.enum(name="TextCutReason", description="Which limit stopped the reading of a file's text.")
class TextCutReason(Enum):
    TIME_LIMIT = strawberry.enum_value(TextStatus.CUT_TIME.value, description="The time allowed for one file.")
    MEMORY_LIMIT = strawberry.enum_value(TextStatus.CUT_MEMORY.value, description="The memory allowed for one file.")
    PAGE_LIMIT = strawberry.enum_value(
        TextStatus.CUT_PAGES.value, description="A scan longer than the pages read by OCR."
    )
    PAGE_TOO_LARGE = strawberry.enum_value(
        TextStatus.CUT_SIZE.value, description="A page read at a lower resolution, or not at all."
    )
    TEXT_LIMIT = strawberry.enum_value(TextStatus.CUT_TEXT.value, description="More text than is kept for search.")
    DAMAGED = strawberry.enum_value(TextStatus.CUT_BROKEN.value, description="Damaged after the first pages.")


@strawberry.type(name="TextCutShort", description="How the reading of a file's text was cut short.")
class TextCutShort:
    reason: TextCutReason
    pages_read: int = strawberry.field(description="The first pages, whose text was read and is searchable.")
    message: str = strawberry.field(description="What happened, in Spanish, for the people who use the file.")


@strawberry.type(name="Attachment")
class Attachment(Node):
    filename: str = strawberry.field(description="The client's name, sanitized.")
    content_type: str = strawberry.field(description="Judged by the content (magic bytes), not by the name.")
    size: int
    sha256: str
    pages: int | None
    unreadable: bool = strawberry.field(
        description="A PDF that could not be parsed: stored, but without pages or text."
    )
    text_status: str = strawberry.field(
        description="PENDING, DONE, PARTIAL, NONE or FAILED: the text read for search. "
        "PARTIAL: a limit cut the reading short (see textCutShort)."
    )
    text_cut_short: TextCutShort | None = strawberry.field(
        description="When textStatus is PARTIAL: which limit, and how much was read; null otherwise."
    )
    uploaded_at: datetime
    db_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, m: AttachmentModel) -> "Attachment":
        status, cut = m.text_status, None
        if status.startswith("CUT_"):
            read = pages_read(m.text)
            cut = TextCutShort(
                reason=TextCutReason(status),
                pages_read=read,
                message=cut_short_message(TextStatus(status), read, m.pages),
            )
            status = "PARTIAL"
        return cls(
            id=to_global_id("Attachment", m.id),
            filename=m.filename,
            content_type=m.content_type,
            size=m.size,
            sha256=m.sha256,
            pages=m.pages,
            unreadable=m.unreadable,
            text_status=status,
            text_cut_short=cut,
            uploaded_at=m.uploaded_at,
            db_id=m.id,
        )

    @strawberry.field(
        description="An authorized download link (signed for you, valid for an hour); "
        "GET it, with Range requests if you like.",
        extensions=[PerUser()],
    )
    def url(self, info: Info) -> str:
        ctx = info.context
        link = f"/files/{quote(self.id, safe='')}"
        if ctx.principal is None or ctx.token_version is None:
            return link
        return f"{link}?t={sign(ctx.services, self.db_id, ctx.principal, ctx.token_version, ctx.token_id)}"
