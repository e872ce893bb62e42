"""`mcs notify --at <ISO datetime>`: what is due at that instant, sent now — the deadline notices
(DEADLINE_NEAR / DEADLINE_PASSED events, as the watcher would write them), the day's digests whose
hour has come, and every notification then due — so that operators and tests can run a day's
schedule on demand. The same passes the server runs on its own; safe beside running servers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from core.settings import Settings
from models.clock import FrozenClock


@dataclass(frozen=True)
class NotifySummary:
    deadline_events: int
    digests: int
    notifications: int
    sent: int


def instant(text: str, timezone: str) -> datetime:
    """An ISO 8601 date-time; without an offset, in the institution's time zone."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


async def notify_at(settings: Settings, at: datetime) -> NotifySummary:
    from mcs.app import build_services
    from resolvers.deadlines import run_deadline_pass
    from resolvers.notifier import collect, plan_digests, send_due

    services = build_services(settings, clock=FrozenClock(at))
    try:
        deadline_events = await run_deadline_pass(services)
        digests = await plan_digests(services)
        notifications = await collect(services)
        sent = await send_due(services)
    finally:
        await services.require_hub().close()
        await services.db.dispose()
    return NotifySummary(deadline_events, digests, notifications, sent)
