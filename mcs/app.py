"""The ASGI application: /graphql (HTTP and websocket) and /health."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import uuid

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from files.storage import LocalStorage
from core import outages
from mcs import graphiql, webapp
from mcs.disconnect import run_until_disconnect
from mcs.downloads import download, download_export
from mcs.health import health_report
from mcs.jobs import start_jobs
from mcs.paper import ROUTES as PAPER_ROUTES
from core.settings import Settings
from models.clock import Clock
from models.db import Database, SharedSession
from realtime.bus import WakeUp, create_bus
from realtime.hub import Hub
from models.principals import read_principal
from resolvers.auth import bearer_token, decode_token
from resolvers.context import Context, Services
from resolvers.exports import export_runner
from resolvers.exports.runner import ExportRunner
from schema.build import build_schema

log = logging.getLogger("mcs")


def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    services = Services(
        settings=settings,
        db=Database(settings.database_url, pool_size=settings.db_pool_size),
        clock=clock or Clock(settings.timezone),
        storage=LocalStorage(settings.files_dir),
    )
    services.exports = ExportRunner(services)
    services.hub = hub = Hub(
        services,
        create_bus(settings.redis_url, settings.redis_channel, publish_queue=settings.realtime_publish_queue),
        catchup_seconds=settings.realtime_catchup_seconds,
        buffer_size=settings.realtime_buffer_size,
    )

    async def wake_subscribers(changes: dict) -> None:
        await hub.publish(WakeUp(sequence=changes["sequence"], users=frozenset(changes["users"])))

    services.db.after_commit = wake_subscribers
    return services


class QuietWebSocketAdapter(ASGIWebSocketAdapter):
    """When we close a socket ourselves (a session that ended: 4403), strawberry still tries to
    send the operation's `complete`; nobody can receive it, so it is dropped, not logged as an
    error."""

    async def send_json(self, message) -> None:
        if self.ws.application_state == WebSocketState.DISCONNECTED:
            return
        await super().send_json(message)

    async def close(self, code: int, reason: str) -> None:
        if self.ws.application_state == WebSocketState.DISCONNECTED:
            return  # closed by us already (e.g. 1013 while the database is out of reach)
        await super().close(code, reason)


class MCSGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with our context: the caller, a session and loaders per request."""

    websocket_adapter_class = QuietWebSocketAdapter

    def __init__(self, services: Services, **kwargs):
        self.services = services
        super().__init__(build_schema(services.settings), **kwargs)

    async def get_context(self, request, response) -> Context:
        if isinstance(request, WebSocket):
            # once per connection: the caller is set in on_ws_connect, sessions come per event
            return Context(
                services=self.services,
                session=None,
                principal=None,
                request_id=uuid.uuid4().hex[:12],
                request=request,
                response=response,
            )
        session = SharedSession(request.scope["state"]["db_session"])
        request.scope["state"]["db_shared"] = session  # a request cancelled on disconnect waits for its statements
        claims = decode_token(self.services, bearer_token(request.headers.get("authorization")))
        principal = None
        if claims:
            # a connection of its own, handed back at once: a mutation's own transaction must
            # never wait for a connection while this request still holds another one
            principal = await read_principal(
                self.services.db, self.services.clock, claims.user_id, claims.token_version, claims.token_id
            )
        context = Context(
            services=self.services,
            session=session,
            principal=principal,
            request_id=request.scope["state"]["request_id"],
            request=request,
            response=response,
        )
        if principal is not None and claims is not None:  # (a principal comes from claims)
            context.token_version, context.token_expires_at = claims.token_version, claims.expires_at
            context.token_id = claims.token_id
        return context

    def create_response(self, response_data, sub_response):
        """A result that met a database outage (code UNAVAILABLE, schema/build.py) is a 503 with
        Retry-After: the client tries again, on this connection or another instance."""
        response_data, unavailable = outages.graphql_answer(response_data)
        if unavailable:
            sub_response.status_code = 503
            sub_response.headers["retry-after"] = str(outages.RETRY_AFTER_SECONDS)
        return super().create_response(response_data, sub_response)

    async def render_graphql_ide(self, request):
        return graphiql.render()  # our page, with its assets served here rather than from a CDN

    async def on_ws_connect(self, context: Context):
        """Authenticate the connection_init payload: {"token": jwt} or {"authorization": "Bearer jwt"}."""
        params = context.connection_params or {}
        token = params.get("token") if isinstance(params.get("token"), str) else None
        token = token or bearer_token(params.get("authorization") or params.get("Authorization"))
        claims = decode_token(self.services, token)
        if claims is None:
            raise ConnectionRejectionError()
        try:
            principal = await read_principal(
                self.services.db, self.services.clock, claims.user_id, claims.token_version, claims.token_id
            )
        except Exception as error:
            if not outages.database_unavailable(error):
                raise
            # 1013 "try again later": clients reconnect (with their backoff), here or elsewhere
            log.warning("database unavailable at a websocket's connection_init: %s", outages.describe(error))
            await context.request.close(code=1013, reason="Servicio no disponible")
            raise ConnectionRejectionError() from None
        if principal is None:
            raise ConnectionRejectionError()
        hub = self.services.require_hub()
        if hub.connections_by_user[principal.user_id] >= self.services.settings.max_connections_per_user:
            raise ConnectionRejectionError({"message": "Demasiadas conexiones abiertas para este usuario."})
        hub.connections_by_user[principal.user_id] += 1
        context.request.scope.setdefault("state", {})["mcs_user_id"] = principal.user_id
        context.principal = principal
        context.token_expires_at, context.token_version = claims.expires_at, claims.token_version
        context.token_id = claims.token_id

    async def __call__(self, scope, receive, send):
        try:
            if scope["type"] == "http":  # a client that hangs up stops its request (mcs/disconnect.py)
                await run_until_disconnect(
                    super().__call__, scope, receive, send, cancelled=lambda: statements_done(scope)
                )
            else:
                await super().__call__(scope, receive, send)
        finally:
            user_id = scope.get("state", {}).get("mcs_user_id") if scope["type"] == "websocket" else None
            if user_id is not None:
                self.services.require_hub().connections_by_user[user_id] -= 1


async def statements_done(scope) -> None:
    """After a cancelled request: its DataLoaders' statements run in tasks of their own; the
    session is closed only once they are done (RequestScope closes it right after)."""
    shared = scope.get("state", {}).get("db_shared")
    if shared is not None:
        await shared.release()


class RequestScope:
    """Per HTTP request: an id for the logs (and the X-Request-Id header) and a DB session
    that is closed when the response is done."""

    def __init__(self, app, services: Services):
        self.app = app
        self.services = services

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        settings = self.services.settings
        if headers.get("content-type", "").startswith("multipart/form-data"):
            # a form a foreign page could submit carries no custom header: such uploads are refused
            if "x-mcs-csrf" not in headers and "apollo-require-preflight" not in headers:
                return await refuse(send, 400, "CSRF", "Las cargas de archivos requieren el encabezado x-mcs-csrf.")
            limit = settings.max_request_bytes + 1024 * 1024  # room for the form's fields
        else:
            limit = settings.max_json_bytes  # a query and its variables: never megabytes
        declared = headers.get("content-length", "0").strip() or "0"
        if not declared.isdigit():
            return await refuse(send, 400, "BAD_REQUEST", "El encabezado Content-Length no es válido.")
        if int(declared) > limit:  # refused before a byte of the body is read
            return await refuse(send, 413, "TOO_LARGE", "La solicitud excede el tamaño máximo permitido.")
        receive = limited(receive, limit)  # a body sent without Content-Length (chunked) too
        request_id = uuid.uuid4().hex[:12]
        state = scope.setdefault("state", {})
        state["request_id"] = request_id

        started = False

        async def send_with_id(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        async with self.services.db.session() as session:
            state["db_session"] = session
            try:
                await self.app(scope, receive, send_with_id)
            except BodyTooLarge:
                if not started:
                    await refuse(send, 413, "TOO_LARGE", "La solicitud excede el tamaño máximo permitido.")
            except Exception as error:
                # the database out of reach (e.g. while reading the caller's session, before any
                # resolver ran): 503 with Retry-After, and the connection stays open for the retry
                if started or not outages.database_unavailable(error):
                    raise
                log.warning(
                    "database unavailable [request %s] %s %s: %s",
                    request_id,
                    scope.get("method"),
                    scope.get("path"),
                    outages.describe(error),
                )
                await outages.send_unavailable(send_with_id)


class BodyTooLarge(Exception):
    pass


def limited(receive, limit: int):
    """A receive that refuses a body (without Content-Length) growing past `limit`."""
    seen = 0

    async def wrapped():
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise BodyTooLarge()
        return message

    return wrapped


async def refuse(send, status: int, code: str, message: str) -> None:
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


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


def create_app(
    settings: Settings | None = None, *, services: Services | None = None, host: str | None = None
) -> Starlette:
    settings = settings or (services.settings if services else Settings.from_env())
    services = services or build_services(settings)
    ide = graphiql_enabled(settings, host)
    graphql = MCSGraphQL(
        services,
        graphql_ide="graphiql" if ide else None,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        multipart_uploads_enabled=True,  # behind RequestScope's CSRF check
        allowed_origins=settings.allowed_origins,
        max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
    )

    async def health(request: Request) -> JSONResponse:
        body, status = await health_report(services)  # mcs/health.py: 503 while the database is down
        headers = {"Retry-After": str(outages.RETRY_AFTER_SECONDS)} if status == 503 else None
        return JSONResponse(body, status_code=status, headers=headers)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await services.require_hub().start()
        background = start_jobs(services)  # mcs/jobs.py
        yield
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await export_runner(services).shutdown()  # running exports end FAILED ("se reinició")
        await services.require_hub().close()
        await services.db.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/files/{id}", download, methods=["GET", "HEAD"]),
            Route("/exports/{id}", download_export, methods=["GET", "HEAD"]),
            Route("/health", health),
            *PAPER_ROUTES,
        ]
        + ([graphiql.assets_mount()] if ide else [])
        + webapp.routes(settings.web_dir),  # last: the web app's assets, then its client routes
        lifespan=lifespan,
    )
    app.state.services = services
    app.add_middleware(RequestScope, services=services)
    return app
