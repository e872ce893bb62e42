"""Downloads: the owner's signed link to a finished export, and which export GET /exports/{id}
(mcs/downloads.py) may serve: the owner's only, with a valid token or a signed link; anyone else
gets what a missing export gets."""

from __future__ import annotations

from sqlalchemy import select

from models.exports import Export, ExportStatus
from models.permissions import Principal
from resolvers.context import Services
from resolvers.links import sign_link


def sign_download(
    services: Services, export: Export, principal: Principal, token_version: int, token_id: str | None = None
) -> str:
    """A link token for the owner: user, token version and expiry (an hour, or the export's end)."""
    expires = min(
        int(services.clock.now().timestamp()) + services.settings.file_url_ttl_seconds,
        int(export.expires_at.timestamp()),
    )
    return sign_link(services, "exports", export.id, principal, token_version, expires, token_id)


async def downloadable_export(services: Services, session, principal: Principal, export_id: int) -> Export | None:
    """The owner's finished, unexpired export, else None (like a missing one)."""
    return (
        await session.execute(
            select(Export).where(
                Export.id == export_id,
                Export.user_id == principal.user_id,
                Export.status == ExportStatus.DONE.value,
                Export.expires_at > services.clock.now(),
            )
        )
    ).scalar()
