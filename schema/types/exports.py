"""Export: a background Excel job, its input and its payload."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from urllib.parse import quote

import strawberry
from strawberry.types import Info

from models.exports import Export as ExportModel, ExportStatus as ExportStatusModel
from resolvers.exports.download import sign_download
from schema.per_user import PerUser
from schema.enums import ExportStatus
from schema.errors import UserError
from schema.inputs import DocumentFilter, TurnoFilter
from schema.ids import to_global_id
from schema.types.node import Node


@strawberry.type(
    name="Export",
    description=(
        "An Excel export (startExport): PENDING, RUNNING, then DONE with a download url or FAILED with a reason. "
        "Visible to the user who asked for it only, until it expires (with its file)."
    ),
)
class Export(Node):
    status: ExportStatus
    progress: float = strawberry.field(description="0..1: rows written / rows to write; 1 when DONE.")
    rows: int | None = strawberry.field(description="Rows written so far (all of them when DONE).")
    total_rows: int | None = strawberry.field(description="Rows the filter matched; null until the job counted them.")
    error: str | None = strawberry.field(description="Why it FAILED, in Spanish.")
    filename: str = strawberry.field(description="The name the file downloads with, e.g. documentos-2026-11-24.xlsx.")
    created_at: datetime
    expires_at: datetime = strawberry.field(description="When the export and its file are deleted.")
    model: strawberry.Private[ExportModel]

    @classmethod
    def from_model(cls, m: ExportModel) -> "Export":
        return cls(
            id=to_global_id("Export", m.id),
            status=ExportStatus(m.status),
            progress=m.progress,
            rows=m.rows,
            total_rows=m.total_rows,
            error=m.error,
            filename=m.filename,
            created_at=m.created_at,
            expires_at=m.expires_at,
            model=m,
        )

    @strawberry.field(
        description="When DONE: a download link signed for you (valid for an hour; ask again for a "
        "fresh one), or send your token as a Bearer header.",
        extensions=[PerUser()],
    )
    def url(self, info: Info) -> str | None:
        if self.model.status != ExportStatusModel.DONE.value:
            return None
        ctx = info.context
        link = f"/exports/{quote(self.id, safe='')}"
        if ctx.principal is None or ctx.token_version is None:
            return link
        return f"{link}?t={sign_download(ctx.services, self.model, ctx.principal, ctx.token_version, ctx.token_id)}"


@strawberry.enum(name="TurnoBox", description="A list of turnos: INBOX as `inbox`, OUTBOX as `outbox`.")
class TurnoBox(Enum):
    INBOX = "inbox"
    OUTBOX = "outbox"


@strawberry.input(description="Exactly one of documents and turnos.")
class ExportInput:
    documents: DocumentFilter | None = strawberry.field(
        default=None,
        description=(
            "The documents you may see matching this filter, as the `documents` list (newest received first)."
        ),
    )
    turnos: TurnoFilter | None = strawberry.field(
        default=None,
        description=(
            "The turnos you may see (sent from or to your units and, for HEAD, REGISTRAR and VIEWER, their "
            "subunits) matching this filter, newest sent first; unitId is the recipient unit, as in the inbox."
        ),
    )
    box: TurnoBox | None = strawberry.field(
        default=None,
        description=(
            "With turnos only: the turnos that list shows for the filter (INBOX: to your units, OUTBOX: from them, "
            "unitId then meaning what it means there), as on the screen."
        ),
    )


@strawberry.type
class ExportPayload:
    errors: list[UserError]
    export: Export | None = None
