"""Signed download links: what lets a browser or a phone's viewer open a file without setting
headers. A link names one object of one kind, the user, their token version and an expiry, and
is signed with a key derived from the secret per kind, so a file's link never opens an export.
Whoever presents it is that user, as long as their account and token version still hold.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from models.permissions import Principal
from models.principals import load_principal
from resolvers.context import Services


def _signature(services: Services, kind: str, payload: bytes) -> str:
    key = hashlib.sha256(f"{kind}:".encode() + services.settings.secret_key.encode()).digest()
    return base64.urlsafe_b64encode(hmac.new(key, payload, hashlib.sha256).digest()[:18]).decode()


def sign_link(
    services: Services,
    kind: str,
    object_id: int,
    principal: Principal,
    token_version: int,
    expires: int,
    token_id: str | None = None,
) -> str:
    """The `t` parameter of a link to `object_id`, valid until `expires` (a Unix time) and while
    the token it was made for (`token_id`, its jti) is not logged out."""
    payload = json.dumps(
        [object_id, principal.user_id, token_version, expires, token_id], separators=(",", ":")
    ).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + _signature(services, kind, payload)


async def principal_from_link(services: Services, session, kind: str, object_id: int, token: str) -> Principal | None:
    """Who a link was signed for, or None when it is forged, for another object, expired, or
    the user's access has changed since."""
    try:
        encoded, signature = token.split(".", 1)
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        signed_id, user_id, version, expires, token_id = json.loads(payload)
    except (ValueError, TypeError):
        return None
    if not hmac.compare_digest(signature, _signature(services, kind, payload)):
        return None
    if signed_id != object_id or expires <= services.clock.now().timestamp():
        return None
    return await load_principal(
        session,
        int(user_id),
        token_version=version,
        token_id=token_id if isinstance(token_id, str) else None,
        today=services.clock.today(),
    )
