"""`load_demo`: the whole demo, from an empty database to the printed summary."""

from __future__ import annotations

import random
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core.settings import Settings
from models.calendar import load_calendar
from models.clock import Clock, FrozenClock
from models.db import SharedSession
from models.documents import Document
from models.org import OrgUnit

from mcs.demo.documents import plan_documents, receipt_moments
from mcs.demo.institution import Demo, create_institution
from mcs.demo.people import People
from mcs.demo.planner import WATCHED_DAYS, WorkflowPlanner
from mcs.demo.report import demo_stats, print_summary
from mcs.demo.runner import WorkflowRunner

SEED = 2026
DOCUMENT_COUNT = 300


async def load_demo(settings: Settings, only_if_empty: bool = True) -> None:
    """Load the demo institution into the database of `settings` (already migrated)."""
    from mcs.app import build_services
    from models.principals import load_principal
    from resolvers.deadlines import run_deadline_pass

    started = time.perf_counter()
    clock = FrozenClock(tz_name=settings.timezone)
    services = build_services(settings, clock=clock)
    try:
        async with services.db.session() as session:
            has_units = (await session.execute(select(OrgUnit.id).limit(1))).first() is not None
            existing_documents = (await session.execute(select(func.count(Document.id)))).scalar_one()
        if has_units and only_if_empty:
            print("La base de datos ya tiene unidades administrativas: no se cargan los datos de demostración.")
            return
        real_now = Clock(settings.timezone).now()
        tz = ZoneInfo(settings.timezone)
        # reproducible; a forced reload onto earlier demo data draws new documents, not the same ones again
        seed = SEED if not existing_documents else f"{SEED}/{existing_documents}"
        rng = random.Random(seed)
        demo = Demo(rng=rng, people=People(rng))
        moments = receipt_moments(rng, real_now, tz, DOCUMENT_COUNT)
        clock.set(moments[0] - timedelta(days=14))  # the people were there before the first document
        await create_institution(services, demo)
        documents = plan_documents(demo, moments, tz)
        async with services.db.session() as session:
            calendar = await load_calendar(session)
        planner = WorkflowPlanner(
            demo, random.Random(f"{seed}/turnos"), calendar, tz, real_now, settings.yellow_threshold_days
        )
        planner.choose_targets(documents)
        planner.choose_routes(documents)
        for document in documents:
            planner.plan(document)
        planner.watch(max(moments[0].astimezone(tz).date(), planner.today - timedelta(days=WATCHED_DAYS)))
        async with services.db.session() as read_session:
            principals = {p.user_id: await load_principal(read_session, p.user_id) for p in demo.persons}
            shared = SharedSession(read_session)
            await shared.release()  # no idle transaction held while the use cases commit
            runner = WorkflowRunner(services, demo, principals, shared, calendar, seed)
            await runner.run(planner.actions, real_now)
        clock.set(real_now)
        await run_deadline_pass(services)  # what is due today or overdue, as of now
        stats = await demo_stats(services, demo, calendar)
        print_summary(demo, stats, time.perf_counter() - started)
    finally:
        await services.require_hub().close()
        await services.db.dispose()
