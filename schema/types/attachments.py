"""Attachment: a digitized file of a document or of an answer."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import strawberry
from strawberry.types import Info

from models.attachments import Attachment as AttachmentModel
from resolvers.downloads import sign
from schema.ids import to_global_id
from schema.types.node import Node


@strawberry.type(name="Attachment")
class Attachment(Node):
    filename: str = strawberry.field(description="The client's name, sanitized.")
    content_type: str = strawberry.field(description="Judged by the content (magic bytes), not by the name.")
    size: int
    sha256: str
    pages: int | None
    unreadable: bool = strawberry.field(description="A PDF that could not be parsed: stored, but without pages or text.")
    text_status: str = strawberry.field(description="PENDING, DONE, NONE or FAILED: the text read for search.")
    uploaded_at: datetime
    db_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, m: AttachmentModel) -> "Attachment":
        return cls(id=to_global_id("Attachment", m.id), filename=m.filename, content_type=m.content_type, size=m.size,
                   sha256=m.sha256, pages=m.pages, unreadable=m.unreadable, text_status=m.text_status,
                   uploaded_at=m.uploaded_at, db_id=m.id)

    @strawberry.field(description="An authorized download link (signed for you, valid for an hour); "
                                  "GET it, with Range requests if you like.")
    def url(self, info: Info) -> str:
        ctx = info.context
        link = f"/files/{quote(self.id, safe='')}"
        if ctx.principal is None or ctx.token_version is None:
            return link
        return f"{link}?t={sign(ctx.services, self.db_id, ctx.principal, ctx.token_version)}"
