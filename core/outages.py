"""The database out of reach: how it is recognised, and what a client is told.

While PostgreSQL is down (stopped, restarting, failed over, unreachable) a request cannot be
served, but nothing is wrong with the request nor with this instance: it is answered HTTP 503
with `Retry-After` and one GraphQL error of code UNAVAILABLE, and the connection stays open
for the client's next try. The error is logged as one line, not as a traceback per request.

Recognised, anywhere in an exception's chain (`__cause__`, `__context__`, SQLAlchemy's `orig`):
- SQLAlchemy's DBAPIError whose connection the dialect invalidated (the server went away
  under a statement), and its pool's TimeoutError (no connection to be had);
- asyncpg's connection errors (class 08), the server shutting down or starting up (57P01-03)
  and "too many connections" (53300);
- a socket error (refused, reset, timed out, unknown host) raised inside the database driver:
  asyncpg's connect lets them through unwrapped.
"""

from __future__ import annotations

import json
import logging
import socket

from sqlalchemy import exc as sa_exc

log = logging.getLogger("core.outages")

CODE = "UNAVAILABLE"
MESSAGE = "El servicio no está disponible por el momento (sin conexión a la base de datos). Intente de nuevo en unos segundos."
RETRY_AFTER_SECONDS = 5

try:
    from asyncpg import exceptions as _pg

    _DRIVER_ERRORS: tuple[type[BaseException], ...] = (
        _pg.PostgresConnectionError,
        _pg.CannotConnectNowError,
        _pg.AdminShutdownError,
        _pg.CrashShutdownError,
        _pg.TooManyConnectionsError,
    )
except ImportError:  # pragma: no cover - SQLite-only installs
    _DRIVER_ERRORS = ()

_NETWORK_ERRORS = (ConnectionError, socket.gaierror, TimeoutError)
_DRIVER_MODULES = ("/asyncpg/", "/sqlalchemy/")


def _chain(error: BaseException):
    """The error, its causes and contexts, SQLAlchemy's wrapped `orig`, and an exception group's members."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [current.__cause__, current.__context__, getattr(current, "orig", None)]
        if isinstance(current, BaseExceptionGroup):
            pending += list(current.exceptions)


def _raised_by_driver(error: BaseException) -> bool:
    tb = error.__traceback__
    while tb is not None:
        if any(part in tb.tb_frame.f_code.co_filename for part in _DRIVER_MODULES):
            return True
        tb = tb.tb_next
    return False


def database_unavailable(error: BaseException | None) -> bool:
    """Whether `error` means "the database cannot be reached now" (not a bug, not a bad request)."""
    if error is None:
        return False
    for current in _chain(error):
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, sa_exc.TimeoutError):  # the pool had no connection to give in time
            return True
        if _DRIVER_ERRORS and isinstance(current, _DRIVER_ERRORS):
            return True
        if isinstance(current, _NETWORK_ERRORS) and _raised_by_driver(current):
            return True
    return False


def describe(error: BaseException) -> str:
    """One line for the log: the innermost cause says what happened (refused, reset, shut down)."""
    innermost, seen = error, set()
    while id(innermost) not in seen:
        seen.add(id(innermost))
        deeper = getattr(innermost, "orig", None) or innermost.__cause__ or innermost.__context__
        if deeper is None:
            break
        innermost = deeper
    text = str(innermost).strip().splitlines()[0] if str(innermost).strip() else ""
    return f"{type(innermost).__name__}: {text}"[:300]


def error_entry() -> dict:
    return {"message": MESSAGE, "extensions": {"code": CODE}}


def headers() -> list[tuple[bytes, bytes]]:
    return [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())]


async def send_unavailable(send) -> None:
    """The whole answer to an HTTP request that could not be served (ASGI)."""
    body = json.dumps({"errors": [error_entry()]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers(),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _has_unavailable(result: dict) -> bool:
    return any(
        isinstance(e, dict) and (e.get("extensions") or {}).get("code") == CODE for e in result.get("errors") or ()
    )


def graphql_answer(response_data) -> tuple[object, bool]:
    """A GraphQL result (or a batch) that met the outage: (what to send, whether it is a 503).

    Data that was produced is kept (a mutation may have committed before the outage hit its
    answer); an answer with no data at all is just the errors."""
    results = response_data if isinstance(response_data, list) else [response_data]
    if not any(isinstance(r, dict) and _has_unavailable(r) for r in results):
        return response_data, False
    trimmed = []
    for result in results:
        if isinstance(result, dict) and _has_unavailable(result):
            data = result.get("data")
            if data is None or (isinstance(data, dict) and all(v is None for v in data.values())):
                result = {k: v for k, v in result.items() if k != "data"}
        trimmed.append(result)
    return (trimmed if isinstance(response_data, list) else trimmed[0]), True
