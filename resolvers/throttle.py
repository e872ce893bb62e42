"""Sign-in throttling: how long a password check must wait, decided before any hashing.

Counts live in the database (table login_throttle, one row per key), so every instance shares
them. Who is asking decides which counts apply:

- a client *known* to the account (it signed in to it before: its address, or the signed
  `mcs_device` cookie that a successful sign-in sets) only waits for its own failures on that
  account, so an attacker elsewhere cannot keep the real user out;
- any other client waits for the account's failures from unknown clients ("user:<name>"), for
  its address's failures over every account ("ip:<address>": one password sprayed over many
  usernames), and for the institution's failures of this minute ("global:<minute>") once they
  pass MCS_LOGIN_FAILURES_PER_MINUTE.

An attempt is counted as a failure before its password is checked (concurrent guesses queue on
the rows only for that short transaction, never during the hash) and taken back when it
succeeds."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from models.errors import DomainError, ErrorCode
from models.users import LoginThrottle, throttle_delay_seconds

DEVICE_COOKIE = "mcs_device"
ACCOUNT_FREE = 5  # failures on an account from unknown clients before its waits start
ADDRESS_FREE = 10  # failures from one address over every account (several people may share it)
KNOWN_FREE = 5  # a known client's own failures on that account
MEMORY = timedelta(hours=24)  # a count whose last failure is older than this starts again
SWEEP_EVERY_SECONDS = 600  # how often each process deletes rows that no longer mean anything
_next_sweep = 0.0


@dataclass(frozen=True)
class Client:
    address: str
    device: str | None = None  # the id in a valid mcs_device cookie
    secure: bool = False  # reached over https: the cookie is marked Secure


@dataclass
class Attempt:
    username: str
    client: Client
    known_key: str | None  # the known-client row this attempt counts on; None: an unknown client
    now: datetime
    # each key counted up front → its last_failure_at before, to take the attempt back
    counted: dict[str, datetime | None] = field(default_factory=dict)


def _sign(secret: str, device_id: str) -> str:
    mac = hmac.new(secret.encode(), b"mcs-device:" + device_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")[:32]


def device_cookie_value(secret: str, device_id: str) -> str:
    return f"{device_id}.{_sign(secret, device_id)}"


def device_of(secret: str, cookie: str | None) -> str | None:
    """The device id of a cookie we signed, or None (absent, forged, garbage)."""
    device_id, _, signature = (cookie or "").partition(".")
    if not (0 < len(device_id) <= 43 and signature):
        return None
    return device_id if hmac.compare_digest(signature, _sign(secret, device_id)) else None


def client_of(ctx) -> Client:
    """The caller's address (uvicorn's proxy_headers: X-Forwarded-For from a trusted proxy) and
    device cookie; a use case called without a request counts under "unknown"."""
    request = getattr(ctx, "request", None)
    if request is None:
        return Client("unknown")
    address = (request.client.host if request.client else None) or "unknown"
    device = device_of(ctx.services.settings.secret_key, request.cookies.get(DEVICE_COOKIE))
    return Client(address[:64], device, request.url.scheme in ("https", "wss"))


def _keys(username: str, client: Client) -> tuple[str, str, list[str]]:
    name = username[:80]  # no username is longer; a longer one still counts, under its first 80
    known = ([f"known:{name}|dev:{client.device}"] if client.device else []) + [f"known:{name}|ip:{client.address}"]
    return f"user:{name}", f"ip:{client.address}", known


def _global_key(now: datetime) -> str:
    return f"global:{now:%Y%m%d%H%M}"


def _failures(row: LoginThrottle, now: datetime) -> int:
    if row.last_failure_at is None or now - row.last_failure_at > MEMORY:
        return 0
    return row.failures


def _free(key: str) -> int:
    return KNOWN_FREE if key.startswith("known:") else ADDRESS_FREE if key.startswith("ip:") else ACCOUNT_FREE


def _insert(session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def _locked_rows(session, keys: list[str]) -> dict[str, LoginThrottle]:
    """The rows of `keys`, created if missing, locked in key order (the same order in every
    transaction here: no deadlock)."""
    keys = sorted(set(keys))
    await session.execute(
        _insert(session)(LoginThrottle)
        .values([{"key": k, "failures": 0} for k in keys])
        .on_conflict_do_nothing(index_elements=[LoginThrottle.key])
    )
    rows = (
        await session.execute(
            select(LoginThrottle)
            .where(LoginThrottle.key.in_(keys))
            .order_by(LoginThrottle.key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalars()
    return {row.key: row for row in rows}


def throttled(seconds: float, field: str, message: str = "Demasiados intentos fallidos.") -> DomainError:
    wait = max(1, math.ceil(seconds))
    return DomainError(
        ErrorCode.THROTTLED, f"{message} Intente de nuevo en {wait} segundos.", field, retry_after_seconds=wait
    )


async def admit(services, username: str, client: Client, field: str = "password") -> Attempt:
    """Count this attempt as a failure now, or raise THROTTLED with the wait (nothing counted)."""
    now = services.clock.now()
    settings = services.settings
    user_key, ip_key, known_keys = _keys(username, client)
    global_key = _global_key(now)
    async with services.db.transaction() as session:
        seen = {
            row.key: row
            for row in (
                await session.execute(select(LoginThrottle).where(LoginThrottle.key.in_([*known_keys, global_key])))
            ).scalars()
        }
        known_since = now - timedelta(days=settings.login_known_client_days)
        known_key = next(
            (
                k
                for k in known_keys
                if k in seen and seen[k].last_success_at is not None and seen[k].last_success_at >= known_since
            ),
            None,
        )
        rows = await _locked_rows(session, [known_key] if known_key else [user_key, ip_key])
        wait, message = 0.0, "Demasiados intentos fallidos."
        for key, row in rows.items():
            delay = throttle_delay_seconds(_failures(row, now), _free(key))
            if delay:  # (failures past the free ones: the last one's time is kept)
                assert row.last_failure_at is not None
                wait = max(wait, (row.last_failure_at + timedelta(seconds=delay) - now).total_seconds())
        everyone = seen.get(global_key)
        ceiling = settings.login_failures_per_minute  # 0: no ceiling
        if known_key is None and everyone is not None and 0 < ceiling <= everyone.failures:
            until_next_minute = 60 - now.second - now.microsecond / 1e6
            if until_next_minute > wait:
                wait, message = until_next_minute, "Hay demasiados intentos fallidos en este momento."
        if wait > 0:
            raise throttled(wait, field, message)
        attempt = Attempt(username, client, known_key, now)
        for key, row in rows.items():
            attempt.counted[key] = row.last_failure_at
            row.failures = _failures(row, now) + 1
            row.last_failure_at = now
    return attempt


async def succeeded(services, attempt: Attempt, response=None) -> None:
    """The password was right: the account's count (for this kind of client) starts again, the
    address keeps what it sprayed over other accounts (only this attempt is taken back), and the
    client is known to the account from now on (its address, and its device cookie)."""
    now = services.clock.now()
    settings = services.settings
    device = attempt.client.device or secrets.token_urlsafe(16)
    _, _, known_keys = _keys(attempt.username, Client(attempt.client.address, device))
    async with services.db.transaction() as session:
        rows = await _locked_rows(session, [*attempt.counted, *known_keys])
        for key, before in attempt.counted.items():
            row = rows[key]
            if key.startswith("ip:"):
                row.failures = max(0, row.failures - 1)
                if row.last_failure_at == attempt.now:
                    row.last_failure_at = before
            elif key.startswith("user:"):
                await session.delete(row)
            else:
                row.failures, row.last_failure_at = 0, None
        for key in known_keys:
            rows[key].last_success_at = now
    if callable(getattr(response, "set_cookie", None)):  # HTTP; a login sent over a websocket has no cookies to set
        response.set_cookie(
            DEVICE_COOKIE,
            device_cookie_value(settings.secret_key, device),
            max_age=int(settings.login_known_client_days * 86400),
            path="/graphql",
            httponly=True,
            samesite="lax",
            secure=attempt.client.secure,
        )


async def failed(services, attempt: Attempt) -> None:
    """The password was wrong: already counted by admit; the institution's minute counts it too."""
    now = services.clock.now()
    async with services.db.transaction() as session:
        insert = _insert(session)
        statement = insert(LoginThrottle).values(key=_global_key(now), failures=1, last_failure_at=now)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[LoginThrottle.key],
                set_={"failures": LoginThrottle.failures + 1, "last_failure_at": now},
            )
        )
    await _sweep(services, now)


async def _sweep(services, now: datetime) -> None:
    """At most every SWEEP_EVERY_SECONDS per process: rows whose failures are forgotten and that
    mark no known client (the table stays the size of what still matters)."""
    global _next_sweep
    if time.monotonic() < _next_sweep:
        return
    _next_sweep = time.monotonic() + SWEEP_EVERY_SECONDS
    known_since = now - timedelta(days=services.settings.login_known_client_days)
    async with services.db.transaction() as session:
        await session.execute(
            delete(LoginThrottle).where(
                or_(LoginThrottle.last_failure_at.is_(None), LoginThrottle.last_failure_at < now - MEMORY),
                or_(LoginThrottle.last_success_at.is_(None), LoginThrottle.last_success_at < known_since),
            )
        )
