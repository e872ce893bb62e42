"""A browser's Web Push subscription: registered by the signed-in person, removed by them (or by
the notifier when the push service says it is gone)."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from sqlalchemy import delete, select

from models.db import rows_matched
from models.errors import DomainError, ErrorCode
from models.notifications import PushSubscription
from resolvers.context import Context
from resolvers.validation import Checker

MAX_ENDPOINT = 1000


def _key_bytes(value: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


async def register_push_subscription(ctx: Context, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """The same endpoint registered again (the browser renews it, or another person signs in on
    it) belongs to the caller from now on, with its new keys."""
    principal = ctx.require_principal()
    check = Checker()
    endpoint = (endpoint or "").strip()
    parts = urlsplit(endpoint)
    if not endpoint or len(endpoint) > MAX_ENDPOINT or parts.scheme not in ("http", "https") or not parts.hostname:
        check.add("La dirección de la suscripción no es válida.", "endpoint")
    elif ctx.settings.push_allowed_hosts and parts.hostname.lower() not in ctx.settings.push_allowed_hosts:
        check.add("Ese servicio de notificaciones no está permitido en esta institución.", "endpoint")
    key = _key_bytes(p256dh or "")
    if key is None or len(key) != 65 or key[0] != 4:  # an uncompressed P-256 point
        check.add("La clave p256dh de la suscripción no es válida.", "keys.p256dh")
    secret = _key_bytes(auth or "")
    if secret is None or len(secret) != 16:
        check.add("La clave auth de la suscripción no es válida.", "keys.auth")
    check.raise_if_any()
    async with ctx.services.db.transaction() as session:
        row = (
            await session.execute(
                select(PushSubscription).where(PushSubscription.endpoint == endpoint).with_for_update()
            )
        ).scalar_one_or_none()
        if row is None:
            row = PushSubscription(endpoint=endpoint, created_at=ctx.clock.now())
            session.add(row)
        row.user_id, row.p256dh, row.auth = principal.user_id, p256dh, auth
        await session.flush()
    return row


async def remove_push_subscription(ctx: Context, endpoint: str) -> None:
    principal = ctx.require_principal()
    async with ctx.services.db.transaction() as session:
        removed = await session.execute(
            delete(PushSubscription).where(
                PushSubscription.endpoint == (endpoint or "").strip(), PushSubscription.user_id == principal.user_id
            )
        )
    if not rows_matched(removed):
        raise DomainError(ErrorCode.NOT_FOUND, "No tiene una suscripción con esa dirección.", "endpoint")
