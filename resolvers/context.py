"""What every use case receives: the services of the process and the caller of this request."""

from __future__ import annotations

import copy
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from core.settings import Settings
from models.calendar import BusinessCalendar, load_calendar
from models.clock import Clock
from models.db import Database, SharedSession
from models.errors import DomainError, ErrorCode
from models.filters import FilterEnv
from models.permissions import Principal

if TYPE_CHECKING:  # the classes, for the types only: they import this module
    from files.storage import LocalStorage
    from realtime.hub import Hub
    from resolvers.exports.runner import ExportRunner


@dataclass
class Services:
    """Built once per process, all of it, by mcs/app.py `build_services`."""

    settings: Settings
    db: Database
    clock: Clock
    storage: LocalStorage  # the digitized files
    # wakes subscribers after each commit that wrote events; None in a command that serves nobody
    hub: Hub | None = None
    exports: ExportRunner | None = None  # the Excel jobs running in this process

    def require_hub(self) -> Hub:
        """The hub, for what serves subscribers or closes it (build_services makes one)."""
        if self.hub is None:
            raise RuntimeError("this process has no realtime hub")
        return self.hub


class _Scope:
    """A read session with its DataLoaders and calendar: one per HTTP request, one per operation
    on a websocket and one per event delivered there (the connection's own context, which lives
    as long as the socket, has none: each of those gets a `scoped()` copy of it).

    A delivery's scope opens its session only if a resolver runs a query, and seeds its
    DataLoaders (`prime`) only if a resolver asks for them: a delivery whose result was
    rendered for an alike subscriber (schema/shared_render.py) needs neither."""

    def __init__(
        self,
        session: SharedSession | None = None,
        *,
        open_session: Callable[[], Any] | None = None,
        prime: Callable[[Any], None] | None = None,
    ):
        self._session = session
        self._open_session = open_session
        self.opened: Any = None  # the AsyncSession this scope opened itself, closed at its end
        self.prime = prime
        self.loaders: Any = None
        self.calendar: BusinessCalendar | None = None

    @property
    def session(self) -> SharedSession:
        if self._session is None:
            assert self._open_session is not None  # a scope is made with a session or with the way to open one
            self.opened = self._open_session()
            self._session = SharedSession(self.opened, release_after_each=True)
        return self._session


class Context:
    def __init__(
        self,
        *,
        services: Services,
        session: SharedSession | None,
        principal: Principal | None,
        request_id: str,
        request: Any = None,
        response: Any = None,
    ):
        self.services = services
        self.principal = principal
        self.request_id = request_id
        self.request = request
        self.response = response
        self.connection_params: dict | None = None  # filled by strawberry on websockets
        self.token_expires_at: datetime | None = None
        self.token_version: int | None = None
        self.token_id: str | None = None  # the token's `jti`, which logout ends
        self._scope = _Scope(session) if session is not None else None

    @property
    def scope(self) -> _Scope:
        if self._scope is None:
            raise RuntimeError("no database scope: on a websocket, resolve with a scoped() copy of the context")
        return self._scope

    @property
    def session(self) -> SharedSession:
        return self.scope.session

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def loaders(self):
        scope = self.scope
        if scope.loaders is None:
            from resolvers.loaders import Loaders

            scope.loaders = Loaders(self)
            if scope.prime is not None:
                scope.prime(scope.loaders)
        return scope.loaders

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise DomainError(ErrorCode.UNAUTHENTICATED, "Inicie sesión para continuar.")
        return self.principal

    async def calendar(self) -> BusinessCalendar:
        scope = self.scope
        if scope.calendar is None:
            scope.calendar = await load_calendar(scope.session)
        return scope.calendar

    async def filter_env(self) -> FilterEnv:
        return FilterEnv(
            self.clock, await self.calendar(), self.settings.yellow_threshold_days, self.require_principal()
        )

    @asynccontextmanager
    async def scoped(self, prime: Callable[[Any], None] | None = None):
        """A copy of this (websocket) context with its own database scope, for one operation or
        one delivered event: resolve with it, explicitly (the GraphQL execution of a delivered
        event is handed it by schema/shared_render.py). Its session opens only if a resolver
        queries, and `prime` seeds its DataLoaders with what the hub already read."""
        child = copy.copy(self)
        child._scope = _Scope(open_session=self.services.db.session, prime=prime)
        try:
            yield child
        finally:
            if child._scope.opened is not None:
                await child._scope.opened.close()
