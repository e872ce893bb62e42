"""`mcs serve`: uvicorn with our options, and a start-up banner once the socket is bound (so it
shows the port really served, also with --port 0) with the demo accounts while the demo is in place."""

from __future__ import annotations

import ipaddress
import logging
import sys

import uvicorn

from mcs.app import create_app, graphiql_enabled
from mcs.demo_users import demo_accounts, format_accounts
from mcs.settings import Settings

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

    async def banner(self, sockname) -> None:
        url = base_url(self.config.host, sockname)
        lines = ["", f"MCS sirve en {url} (API: {url}graphql)"]
        if graphiql_enabled(self.settings, self.config.host):
            lines.append(f"GraphiQL: abra {url}graphql en el navegador.")
        try:
            accounts = await demo_accounts(self.config.app.state.services.db)
        except Exception:  # noqa: BLE001 - the banner must never keep the server from serving
            log.exception("no se pudieron leer las cuentas de demostración")
            accounts = []
        if accounts:
            lines += ["", format_accounts(accounts)]
        print("\n".join(lines) + "\n", flush=True)


def serve(settings: Settings, host: str, port: int) -> int:
    app = create_app(settings, host=host)
    # no permessage-deflate: our messages are small JSON; browsers offer it, and it cost +25% CPU
    # per delivered event and +44 MB at 1,000 connections (bench/REALTIME.md)
    config = uvicorn.Config(app, host=host, port=port, log_level="info", proxy_headers=True,
                            ws_per_message_deflate=False)
    server = Server(config, settings)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    if not server.started:
        sys.exit(3)  # uvicorn's STARTUP_FAILURE, as uvicorn.run does
    return 0
