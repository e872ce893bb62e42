"""Who may download a file, and the signed links the API hands out.

A file has its document's visibility, confidential rule included: a confidential document's
files reach only members of units on its chain and HEADs above them. A file the caller may not
see is answered exactly like one that does not exist.

`Attachment.url` carries a short-lived signature (user, token version, expiry) so that a
browser or a phone's viewer can open it without setting headers; a Bearer token works too.
"""

from __future__ import annotations


from sqlalchemy import select

from models.attachments import Attachment
from models.permissions import ChainUnit, Principal, can_see_confidential, visible_documents
from models.documents import Document, DocumentUnit
from models.org import OrgUnit
from resolvers.links import principal_from_link, sign_link
from resolvers.context import Services


def sign(services: Services, attachment_id: int, principal: Principal, token_version: int) -> str:
    expires = int(services.clock.now().timestamp()) + services.settings.file_url_ttl_seconds
    return sign_link(services, "files", attachment_id, principal, token_version, expires)


async def principal_from_signature(services: Services, session, attachment_id: int, token: str) -> Principal | None:
    return await principal_from_link(services, session, "files", attachment_id, token)


async def downloadable(session, principal: Principal, attachment_id: int) -> Attachment | None:
    """The attachment if the principal may download it, else None (like a missing one)."""
    row = (await session.execute(
        select(Attachment, Document.confidential)
        .join(Document, Document.id == Attachment.document_id)
        .where(Attachment.id == attachment_id, visible_documents(principal))
    )).first()
    if row is None:
        return None
    attachment, confidential = row
    if confidential:
        chain = [ChainUnit(unit_id, path) for unit_id, path in (await session.execute(
            select(OrgUnit.id, OrgUnit.path).join(DocumentUnit, DocumentUnit.unit_id == OrgUnit.id)
            .where(DocumentUnit.document_id == attachment.document_id))).all()]
        if not can_see_confidential(principal, chain):
            return None
    return attachment


async def visible_attachment(ctx, attachment_id: int) -> Attachment | None:
    """For `node(id)`: the attachment if the caller may see it (confidential rule included)."""
    return await downloadable(ctx.session, ctx.require_principal(), attachment_id)
