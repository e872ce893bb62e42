"""Web Push out (RFC 8030 delivery, RFC 8291 encryption, RFC 8292 VAPID) with pywebpush and
py-vapid. The VAPID key is MCS_VAPID_PRIVATE_KEY, or one made once and kept in the database
(models/notifications.py WebPushKey) so that every instance signs with the same one."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import aiohttp
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid
from pywebpush import WebPushException, webpush_async
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models.notifications import PushSubscription, WebPushKey

TIMEOUT_SECONDS = 15
TTL_SECONDS = 24 * 3600  # a phone that is off for a day still gets it


class PushUnavailable(Exception):
    """The push service failed or could not be reached: tried again later."""


class PushGone(Exception):
    """The push service says the subscription no longer exists (404/410): it is deleted."""


@dataclass(frozen=True)
class PushPayload:
    """What the service worker shows: no confidential text, only the kind, the folio, the unit
    and where to go; the app fetches the rest after sign-in."""

    title: str
    body: str
    url: str
    kind: str
    turno_id: str

    def encode(self) -> str:
        return json.dumps(
            {"title": self.title, "body": self.body, "url": self.url, "kind": self.kind, "turnoId": self.turno_id},
            ensure_ascii=False,
        )


def public_key_of(vapid: Vapid) -> str:
    """The applicationServerKey a browser subscribes with: the uncompressed P-256 point, base64url."""
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def vapid_key(services) -> Vapid:
    pem = services.settings.vapid_private_key or await _stored_pem(services)
    if (vapid := _PARSED.get(pem)) is None:
        vapid = _PARSED[pem] = Vapid.from_pem(pem.encode()) if "BEGIN" in pem else Vapid.from_string(private_key=pem)
    return vapid


_PARSED: dict[str, Vapid] = {}  # a key is parsed once per process


async def _stored_pem(services) -> str:
    async with services.db.session() as session:
        pem = (await session.execute(select(WebPushKey.private_pem).where(WebPushKey.id == 1))).scalar_one_or_none()
    if pem:
        return pem
    made = Vapid()
    made.generate_keys()
    try:
        async with services.db.transaction() as session:
            session.add(WebPushKey(id=1, private_pem=made.private_pem().decode(), created_at=services.clock.now()))
    except IntegrityError:
        pass  # another instance made it first: use theirs
    async with services.db.session() as session:
        return (await session.execute(select(WebPushKey.private_pem).where(WebPushKey.id == 1))).scalar_one()


async def send_push(
    vapid: Vapid,
    subscription: PushSubscription,
    payload: PushPayload,
    contact: str,
    session: aiohttp.ClientSession | None = None,
) -> None:
    info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
    try:
        await webpush_async(
            info,
            data=payload.encode(),
            vapid_private_key=vapid,
            vapid_claims={"sub": contact},
            timeout=TIMEOUT_SECONDS,
            ttl=TTL_SECONDS,
            aiohttp_session=session,
        )
    except WebPushException as error:
        status = getattr(error.response, "status", None)
        if status in (404, 410):
            raise PushGone(f"{status}") from error
        raise PushUnavailable(f"{status or ''} {error.message}".strip()[:500]) from error
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        raise PushUnavailable(f"{type(error).__name__}: {error}") from error
