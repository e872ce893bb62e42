"""What every use case receives: the services of the process and the caller of this request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models.db import SharedSession  # noqa: F401

from mcs.settings import Settings
from models.calendar import BusinessCalendar, load_calendar
from models.clock import Clock
from models.db import Database
from models.errors import DomainError, ErrorCode
from models.filters import FilterEnv
from models.permissions import Principal


@dataclass
class Services:
    """Built once per process by the app's lifespan."""

    settings: Settings
    db: Database
    clock: Clock
    bus: Any = None  # realtime fan-out; woken after each commit


@dataclass
class Context:
    """Built per HTTP request (and, on websockets, per delivered event)."""

    services: Services
    session: "SharedSession"  # the request's read session (see models.db.SharedSession)
    principal: Principal | None
    request_id: str
    request: Any = None
    response: Any = None
    _loaders: Any = None
    _calendar: BusinessCalendar | None = None
    extra: dict = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def loaders(self):
        if self._loaders is None:
            from resolvers.loaders import Loaders

            self._loaders = Loaders(self)
        return self._loaders

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise DomainError(ErrorCode.UNAUTHENTICATED, "Inicie sesión para continuar.")
        return self.principal

    async def calendar(self) -> BusinessCalendar:
        if self._calendar is None:
            self._calendar = await load_calendar(self.session)
        return self._calendar

    async def filter_env(self) -> FilterEnv:
        return FilterEnv(self.clock, await self.calendar(), self.settings.yellow_threshold_days)
