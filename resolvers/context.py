"""What every use case receives: the services of the process and the caller of this request."""

from __future__ import annotations

from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from core.settings import Settings
from models.calendar import BusinessCalendar, load_calendar
from models.clock import Clock
from models.db import Database, SharedSession
from models.errors import DomainError, ErrorCode
from models.filters import FilterEnv
from models.permissions import Principal


@dataclass
class Services:
    """Built once per process by the app's lifespan."""

    settings: Settings
    db: Database
    clock: Clock
    hub: Any = None  # realtime.hub.Hub: wakes subscribers after each commit that wrote events
    storage: Any = None  # files.storage.LocalStorage: the digitized files
    exports: Any = None  # resolvers.exports.ExportRunner: the Excel jobs running in this process


class _Scope:
    """A read session with its DataLoaders and calendar: one per HTTP request, and one per
    event delivered on a websocket (whose context lives as long as the connection).

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
            self.opened = self._open_session()
            self._session = SharedSession(self.opened, release_after_each=True)
        return self._session


# The scope of the event being delivered by the current subscription task, if any. Each
# subscription runs in its own task, so two subscriptions on one socket never share it.
_event_scope: ContextVar[_Scope | None] = ContextVar("mcs_event_scope", default=None)


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
        scope = _event_scope.get() or self._scope
        if scope is None:
            raise RuntimeError("no database scope: resolve fields inside event_scope() on websockets")
        return scope

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
    async def event_scope(self, prime: Callable[[Any], None] | None = None):
        """A fresh session and fresh DataLoaders for resolving one delivered event; `prime`
        seeds the DataLoaders with what the hub already read."""
        scope = _Scope(open_session=self.services.db.session, prime=prime)
        previous = _event_scope.get()
        _event_scope.set(scope)
        try:
            yield
        finally:
            # set back, not reset(token): when a client goes away mid-delivery, asyncio may
            # close the stream from another task, where the token is not valid
            _event_scope.set(previous)
            if scope.opened is not None:
                await scope.opened.close()
