"""`mcs serve`: uvicorn with our options, and a start-up banner once the socket is bound (so it
shows the port really served, also with --port 0) with the demo accounts while the demo is in place."""

from __future__ import annotations

import asyncio
import gc
import ipaddress
import logging
import re
import signal
import sys

import uvicorn
from starlette.applications import Starlette

from mcs.app import create_app, graphiql_enabled
from mcs.demo_users import demo_accounts, format_accounts
from core.settings import Settings
from mcs.slow_clients import guarded_protocol

log = logging.getLogger("mcs")


def base_url(host: str, sockname) -> str:
    """http://host:port/ of a bound socket; a host name given by the user is kept as typed."""
    address, port = sockname[0], sockname[1]
    try:
        ipaddress.ip_address(host)
    except ValueError:
        address = host or address  # "localhost" reads better than the address it resolved to
    if ":" in address:
        address = f"[{address}]"
    return f"http://{address}:{port}/"


class Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, settings: Settings):
        super().__init__(config)
        self.settings = settings

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        if self.started and self.servers:
            await self.banner(self.servers[0].sockets[0].getsockname())

    async def shutdown(self, sockets=None) -> None:
        """Graceful (SIGTERM, ^C): uvicorn stops accepting, closes idle connections and websockets
        (1012, "service restart": clients reconnect elsewhere at once), waits up to
        MCS_SHUTDOWN_GRACE_SECONDS for the requests in flight, then runs the lifespan's shutdown.
        First, a moment for requests already sent on kept-alive connections, not yet read by the
        event loop, to be read: uvicorn closes at once a connection with no request in progress."""
        await asyncio.sleep(0.05)
        await super().shutdown(sockets)

    async def banner(self, sockname) -> None:
        url = base_url(self.config.host, sockname)
        lines = ["", f"MCS sirve en {url} (API: {url}graphql)"]
        if graphiql_enabled(self.settings, self.config.host):
            lines.append(f"GraphiQL: abra {url}graphql en el navegador.")
        try:
            app = self.config.app  # Config types any app; ours is create_app's Starlette
            assert isinstance(app, Starlette)
            accounts = await demo_accounts(app.state.services.db)
        except Exception:  # noqa: BLE001 - the banner must never keep the server from serving
            log.exception("no se pudieron leer las cuentas de demostración")
            accounts = []
        if accounts:
            lines += ["", format_accounts(accounts)]
        print("\n".join(lines) + "\n", flush=True)


SIGNATURE = re.compile(r"([?&]t=)[^&\s]*")


class RedactSignatures(logging.Filter):
    """A signed link's `t` parameter is a credential (it opens a file for an hour): the access
    log keeps the path and drops the signature."""

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn.access logs (client, method, path with query string, http version, status)
        if isinstance(record.args, tuple) and len(record.args) > 2 and isinstance(record.args[2], str):
            record.args = (*record.args[:2], SIGNATURE.sub(r"\1…", record.args[2]), *record.args[3:])
        return True


def uvicorn_config(app, settings: Settings, host: str, port: int, **options) -> uvicorn.Config:
    """How we run uvicorn (`mcs serve`, and the tests' live servers)."""
    # no permessage-deflate: our messages are small JSON; browsers offer it, and it cost +25% CPU
    # per delivered event and +44 MB at 1,000 connections (bench/REALTIME.md)
    # on SIGTERM (or ^C) uvicorn stops accepting, closes websockets with 1012 and waits this long
    # for the requests in flight before cancelling them (Server.shutdown)
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        proxy_headers=True,
        ws_per_message_deflate=False,
        http=guarded_protocol(settings.header_timeout_seconds, settings.body_timeout_seconds),
        timeout_graceful_shutdown=max(settings.shutdown_grace_seconds, 0.0),  # type: ignore[arg-type]  # int in uvicorn's annotation, an asyncio timeout (fractions work)
        **{"log_level": "info", **options},
    )


def serve(settings: Settings, host: str, port: int) -> int:
    app = create_app(settings, host=host)
    # Garbage collections stop the event loop, and a big answer (schema/cost.py) triggers many:
    # what is loaded now is frozen out of them, and rarer young collections promote less of a
    # request's short-lived objects. Measured on the largest answers allowed: 40% less CPU, and
    # pauses of 0.3 s instead of 0.5-0.6 s.
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    config = uvicorn_config(app, settings, host, port)
    logging.getLogger("uvicorn.access").addFilter(RedactSignatures())  # after Config set logging up
    server = Server(config, settings)
    # uvicorn handles SIGTERM during the run, then raises it again once it has stopped, which would
    # end the process "killed by SIGTERM" (-15) after a clean shutdown: this handler (restored by
    # uvicorn after the run) takes that second delivery, so a graceful stop exits 0. It also covers
    # a SIGTERM arriving before uvicorn's own handler is in place: the server then stops at once.
    signal.signal(signal.SIGTERM, lambda signum, frame: setattr(server, "should_exit", True))
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    if not server.started:
        sys.exit(3)  # uvicorn's STARTUP_FAILURE, as uvicorn.run does
    return 0
