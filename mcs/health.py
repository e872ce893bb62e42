"""What /health reports: the database and the fan-out, besides the process's own features.

{"status": "ok" | "unavailable", "database": "up" | "down", "redis": "up" | "down" | "off",
 "textExtraction": true, "ocr": bool, "email": "on" | "off"}

HTTP 503 (with Retry-After) and "unavailable" while the database is down: nothing can be served, a
load balancer should send requests elsewhere. Redis down is still 200 "ok": requests are served,
this instance's subscribers are woken directly and the others' catch up by polling
(realtime/redis_bus.py, realtime/hub.py). "off": the in-process fan-out (no MCS_REDIS_URL).
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text

from files import ocr
from core import outages

log = logging.getLogger("mcs.health")

DATABASE_PROBE_SECONDS = 3.0  # a database slower than this to answer SELECT 1 counts as down


async def database_state(db) -> str:
    try:
        async with asyncio.timeout(DATABASE_PROBE_SECONDS):
            async with db.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except asyncio.CancelledError:
        raise
    except Exception as error:  # noqa: BLE001 - whatever it is, the database does not answer
        log.warning("health: database down (%s)", outages.describe(error))
        return "down"
    return "up"


def redis_state(hub) -> str:
    state = getattr(getattr(hub, "bus", None), "state", "off")
    return state if state in ("up", "down") else "off"


async def health_report(services) -> tuple[dict, int]:
    database = await database_state(services.db)
    redis = redis_state(services.hub)
    status = "ok" if database == "up" else "unavailable"
    body = {
        "status": status,
        "database": database,
        "redis": redis,
        "textExtraction": True,
        "ocr": ocr.available(),
        "email": "on" if services.settings.smtp_host else "off",
    }
    return body, (200 if database == "up" else 503)
