"""Who may download a file, and the signed links the API hands out.

Who may have a file is models.permissions.visible_attachments: its document's visibility,
confidential rule included (a confidential document's files reach only members of units on its
chain and HEADs above them), and for a file of an answer, the visibility of the answer's turno.
A file the caller may not see is answered exactly like one that does not exist.

`Attachment.url` carries a short-lived signature (user, token version, expiry) so that a
browser or a phone's viewer can open it without setting headers; a Bearer token works too.
"""

from __future__ import annotations


from sqlalchemy import select

from models.attachments import Attachment
from models.permissions import Principal, visible_attachments
from resolvers.links import principal_from_link, sign_link
from resolvers.context import Services


def sign(
    services: Services, attachment_id: int, principal: Principal, token_version: int, token_id: str | None = None
) -> str:
    expires = int(services.clock.now().timestamp()) + services.settings.file_url_ttl_seconds
    return sign_link(services, "files", attachment_id, principal, token_version, expires, token_id)


async def principal_from_signature(services: Services, session, attachment_id: int, token: str) -> Principal | None:
    return await principal_from_link(services, session, "files", attachment_id, token)


async def downloadable(session, principal: Principal, attachment_id: int) -> Attachment | None:
    """The attachment if the principal may download it, else None (like a missing one)."""
    return (
        await session.execute(select(Attachment).where(Attachment.id == attachment_id, visible_attachments(principal)))
    ).scalar()


async def visible_attachment(ctx, attachment_id: int) -> Attachment | None:
    """For `node(id)`: the attachment if the caller may see it (the same rule as downloads)."""
    return await downloadable(ctx.session, ctx.require_principal(), attachment_id)
