"""Runs the planned actions through the real use cases, each as the user who would do it."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from models.calendar import BusinessCalendar, long_date_es
from models.db import SharedSession
from models.permissions import Principal
from models.workflow import Decision

from mcs.demo.documents import PlannedDocument
from mcs.demo.institution import Demo
from mcs.demo.people import Person
from mcs.demo.planner import PlannedTurno


def known_id(planned_id: int | None) -> int:
    """The id of a planned document, turno or answer, which the runner learns on creating it:
    the actions run in time order, so whatever acts on one comes after."""
    if planned_id is None:
        raise RuntimeError("acting on a planned item before it was created")
    return planned_id


class WorkflowRunner:
    """Runs the planned actions in time order through the use cases, each as its planned user."""

    def __init__(
        self,
        services,
        demo: Demo,
        principals: dict[int, Principal | None],  # None: a user no longer active
        session: SharedSession,
        calendar: BusinessCalendar,
        seed,
    ):
        self.services, self.demo, self.principals, self.session = services, demo, principals, session
        self.calendar = calendar
        self.counters: dict[str, int] = {}
        self.rng = random.Random(f"{seed}/numbers")  # official numbers, drawn as they are issued

    def context(self, person: Person):
        from resolvers.context import Context

        return Context(
            services=self.services, session=self.session, principal=self.principals[person.user_id], request_id="demo"
        )

    def number(self, prefix: str, first: int = 300) -> int:
        """The next number of a series (oficios of a unit, expedientes of a year): the year did not
        start with the demo, so it starts somewhere below `first`."""
        self.counters[prefix] = self.counters.get(prefix, self.rng.randint(1, first)) + self.rng.randint(1, 4)
        return self.counters[prefix]

    async def run(self, actions, until: datetime) -> int:
        done = 0
        for at, _, kind, payload in sorted(actions, key=lambda a: (a[0], a[1])):
            if at > until:
                break
            self.services.clock.set(at)
            await getattr(self, kind)(**payload)
            done += 1
        return done

    async def register(self, document: PlannedDocument) -> None:
        from resolvers.documents import register_document

        created, _ = await register_document(self.context(document.registrant), document.data)
        document.id = created.id

    async def send(
        self, actor: Person, document: PlannedDocument, parent: PlannedTurno | None, turnos: list[PlannedTurno]
    ) -> None:
        from resolvers.turnos import RecipientData, SendTurnoData, send_turno

        data = SendTurnoData(
            recipients=[
                RecipientData(
                    unit_id=self.demo.units[t.to_acronym].id,
                    instruction=t.instruction,
                    due_date=t.due_date,
                    business_days=t.business_days,
                    notes=t.notes,
                )
                for t in turnos
            ],
            document_id=document.id if parent is None else None,
            parent_turno_id=parent.id if parent is not None else None,
        )
        for planned, created in zip(turnos, (await send_turno(self.context(actor), data))[0]):
            planned.id = created.id

    async def acknowledge(self, turno: PlannedTurno, actor: Person) -> None:
        from resolvers.turnos import acknowledge_turno

        await acknowledge_turno(self.context(actor), known_id(turno.id))

    async def respond(self, turno: PlannedTurno, actor: Person, body: str, reference: bool) -> None:
        from resolvers.turnos import respond_turno

        today = self.services.clock.today()
        number = f"{turno.to_acronym}/{self.number(turno.to_acronym):04d}/{today.year}"
        before = today - timedelta(days=1)
        while not self.calendar.is_business_day(before):
            before -= timedelta(days=1)
        body = body.format(ref=number, date=long_date_es(before))
        response = await respond_turno(
            self.context(actor), known_id(turno.id), body=body, reference=number if reference else None
        )
        turno.response_id = response.id

    async def evaluate(
        self, turno: PlannedTurno, actor: Person, decision: Decision, comment: str | None, new_due_date: date | None
    ) -> None:
        from resolvers.turnos import evaluate_response

        await evaluate_response(
            self.context(actor),
            known_id(turno.response_id),
            decision=decision,
            comment=comment,
            new_due_date=new_due_date,
        )

    async def cancel(self, turno: PlannedTurno, actor: Person) -> None:
        from resolvers.turnos import cancel_turno

        await cancel_turno(self.context(actor), known_id(turno.id))

    async def conclude(self, document: PlannedDocument, actor: Person) -> None:
        from resolvers.documents import conclude_document

        await conclude_document(self.context(actor), known_id(document.id))

    async def archive(self, document: PlannedDocument, actor: Person, series: str) -> None:
        from resolvers.documents import archive_document

        year = self.services.clock.local_date(self.services.clock.now()).year
        prefix = f"{document.acronym}/EXP/{year}"
        await archive_document(
            self.context(actor),
            known_id(document.id),
            series=series,
            file_number=f"{prefix}/{self.number(prefix, first=20):04d}",
        )

    async def deadlines(self) -> None:
        from resolvers.deadlines import run_deadline_pass

        await run_deadline_pass(self.services)
