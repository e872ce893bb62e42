"""The deadline watcher: DEADLINE_NEAR when a turno turns yellow, DEADLINE_PASSED when it turns
red, exactly once per turno and deadline, even with several server instances.

Each pass claims its candidates in the database (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite
has one writer at a time) and marks them in the same transaction as the events it writes: a
turno another instance is handling is skipped, one already marked is not a candidate any more.
Because candidates are found by date, a pass after downtime catches up with everything missed.
"""

from __future__ import annotations

import logging

from sqlalchemy import or_, select

from models.audience import turno_audience
from models.calendar import load_calendar
from models.documents import Document
from models.events import EventKind, append_event
from models.org import OrgUnit
from models.traffic_light import TrafficLight, open_light, overdue_clause
from models.turnos import Turno
from models.workflow import AWAITING_ANSWER
from resolvers.context import Services

log = logging.getLogger("mcs.deadlines")
BATCH = 500


async def run_deadline_pass(services: Services) -> int:
    """One pass; returns how many events it wrote."""
    written = 0
    while True:
        count = await _one_batch(services)
        written += count
        if count < BATCH:
            return written


async def _one_batch(services: Services) -> int:
    today = services.clock.today()
    threshold = services.settings.yellow_threshold_days
    written = 0
    async with services.db.transaction() as session:
        calendar = await load_calendar(session)
        yellow_until = calendar.last_day_with_at_most(today, threshold)
        # claim the document rows too, in the order every use case locks (document → turno →
        # event log): a document a user is acting on is skipped until the next pass
        candidates = list(
            (
                await session.execute(
                    select(Turno)
                    .join(Document, Document.id == Turno.document_id)
                    .where(
                        Turno.status.in_([s.value for s in AWAITING_ANSWER]),
                        Turno.due_date.is_not(None),
                        Turno.due_date <= yellow_until,
                        or_(
                            Turno.near_notified_for.is_(None),
                            Turno.near_notified_for != Turno.due_date,
                            overdue_clause(Turno, today)
                            & or_(Turno.passed_notified_for.is_(None), Turno.passed_notified_for != Turno.due_date),
                        ),
                    )
                    .order_by(Turno.id)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True, of=[Turno, Document])
                )
            ).scalars()
        )
        units = {
            u.id: u
            for u in (
                await session.execute(
                    select(OrgUnit).where(
                        OrgUnit.id.in_({t.to_unit_id for t in candidates} | {t.from_unit_id for t in candidates})
                    )
                )
            ).scalars()
        }
        for turno in candidates:
            due = turno.due_date
            assert due is not None  # (the query takes turnos with a due date)
            light = open_light(calendar, today, due, threshold)
            kind = EventKind.DEADLINE_PASSED if light == TrafficLight.RED else EventKind.DEADLINE_NEAR
            if kind == EventKind.DEADLINE_PASSED and turno.passed_notified_for == due:
                continue
            if kind == EventKind.DEADLINE_NEAR and turno.near_notified_for == due:
                continue
            # red after downtime implies yellow was passed through: mark both, announce the red one
            turno.near_notified_for = due
            if kind == EventKind.DEADLINE_PASSED:
                turno.passed_notified_for = due
            audience = turno_audience(units[turno.from_unit_id], units[turno.to_unit_id])
            await append_event(
                session,
                kind=kind,
                occurred_at=services.clock.now(),
                actor_id=None,
                document_id=turno.document_id,
                turno_id=turno.id,
                audience=audience,
                data={
                    "number": turno.number,
                    "dueDate": due.isoformat(),
                    "businessDaysLeft": calendar.business_days_left(today, due),
                },
            )
            written += 1
    return written
