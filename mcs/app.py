"""The ASGI application: /graphql (HTTP and websocket) and /health."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import uuid

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from mcs.settings import Settings
from models.clock import Clock
from models.db import Database, SharedSession
from realtime.bus import WakeUp, create_bus
from realtime.hub import Hub
from resolvers.auth import authenticate, bearer_token, decode_token, load_principal
from resolvers.context import Context, Services
from resolvers.deadlines import watch_deadlines
from schema.build import build_schema

log = logging.getLogger("mcs")


def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    services = Services(settings=settings, db=Database(settings.database_url), clock=clock or Clock(settings.timezone))
    services.hub = Hub(services, create_bus(settings.redis_url, settings.redis_channel), catchup_seconds=settings.realtime_catchup_seconds)

    async def wake_subscribers(changes: dict) -> None:
        await services.hub.publish(WakeUp(sequence=changes["sequence"], units=frozenset(changes["units"]),
                                          users=frozenset(changes["users"])))

    services.db.after_commit = wake_subscribers
    return services


class MCSGraphQL(GraphQL):
    """Strawberry's ASGI view with our context: the caller, a session and loaders per request."""

    def __init__(self, services: Services, **kwargs):
        self.services = services
        super().__init__(build_schema(services.settings), **kwargs)

    async def get_context(self, request, response) -> Context:
        if isinstance(request, WebSocket):
            # once per connection: the caller is set in on_ws_connect, sessions come per event
            return Context(services=self.services, session=None, principal=None,
                           request_id=uuid.uuid4().hex[:12], request=request, response=response)
        session = SharedSession(request.scope["state"]["db_session"])
        principal = await authenticate(self.services, session, bearer_token(request.headers.get("authorization")))
        # hand the connection back to the pool: a mutation's own transaction must never wait
        # for a connection while this request still holds another one
        await session.release()
        return Context(services=self.services, session=session, principal=principal,
                       request_id=request.scope["state"]["request_id"], request=request, response=response)


    async def on_ws_connect(self, context: Context):
        """Authenticate the connection_init payload: {"token": jwt} or {"authorization": "Bearer jwt"}."""
        params = context.connection_params or {}
        token = params.get("token") if isinstance(params.get("token"), str) else None
        token = token or bearer_token(params.get("authorization") or params.get("Authorization"))
        claims = decode_token(self.services, token)
        if claims is None:
            raise ConnectionRejectionError()
        async with self.services.db.session() as session:
            principal = await load_principal(session, claims.user_id, token_version=claims.token_version)
        if principal is None:
            raise ConnectionRejectionError()
        hub = self.services.hub
        if hub.connections_by_user[principal.user_id] >= self.services.settings.max_connections_per_user:
            raise ConnectionRejectionError({"message": "Demasiadas conexiones abiertas para este usuario."})
        hub.connections_by_user[principal.user_id] += 1
        context.request.scope.setdefault("state", {})["mcs_user_id"] = principal.user_id
        context.principal = principal
        context.token_expires_at, context.token_version = claims.expires_at, claims.token_version

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        finally:
            user_id = scope.get("state", {}).get("mcs_user_id") if scope["type"] == "websocket" else None
            if user_id is not None:
                self.services.hub.connections_by_user[user_id] -= 1


class RequestScope:
    """Per HTTP request: an id for the logs (and the X-Request-Id header) and a DB session
    that is closed when the response is done."""

    def __init__(self, app, services: Services):
        self.app = app
        self.services = services

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request_id = uuid.uuid4().hex[:12]
        state = scope.setdefault("state", {})
        state["request_id"] = request_id

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        async with self.services.db.session() as session:
            state["db_session"] = session
            await self.app(scope, receive, send_with_id)


def graphiql_enabled(settings: Settings, host: str | None) -> bool:
    """MCS_DEBUG decides when set; otherwise GraphiQL only when serving on loopback (local dev)."""
    if settings.debug is not None:
        return settings.debug
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def create_app(settings: Settings | None = None, *, services: Services | None = None, host: str | None = None) -> Starlette:
    settings = settings or (services.settings if services else Settings.from_env())
    services = services or build_services(settings)
    graphql = MCSGraphQL(
        services,
        graphql_ide="graphiql" if graphiql_enabled(settings, host) else None,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        multipart_uploads_enabled=False,  # turned on by the files issue, with CSRF protection
        allowed_origins=settings.allowed_origins,
        max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
    )

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await services.hub.start()
        watcher = None
        if settings.deadline_watch_seconds > 0:
            watcher = asyncio.create_task(watch_deadlines(services, settings.deadline_watch_seconds))
        yield
        if watcher:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await services.hub.close()
        await services.db.dispose()

    app = Starlette(
        routes=[Route("/graphql", graphql, methods=["GET", "POST"]), WebSocketRoute("/graphql", graphql),
                Route("/health", health)],
        lifespan=lifespan,
    )
    app.state.services = services
    app.add_middleware(RequestScope, services=services)
    return app
