"""What the demo loaded, counted from the database and printed (in Spanish) with the accounts to try."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from models.calendar import BusinessCalendar
from models.documents import Document
from models.events import Event, EventKind
from models.traffic_light import TrafficLight, turno_light
from models.turnos import Response, Turno
from models.users import Role
from models.workflow import AWAITING_ANSWER, TurnoStatus

from mcs.demo.institution import Demo
from mcs.demo.people import DEMO_PASSWORD, ROLE_NAMES


@dataclass
class DemoStats:
    documents: dict[str, int]  # by status
    turnos: dict[str, int]  # by status
    responses: int
    returned: int  # responses returned with observations
    accepted_after_return: int  # turnos concluded in a second round
    late: int  # turnos answered after their deadline
    lights: dict[str, int]  # turnos awaiting an answer today, by traffic light
    deadline_events: dict[str, int]
    staff_user: str | None  # a STAFF user with turnos to attend, and how many
    staff_pending: int


async def demo_stats(services, demo: Demo, calendar: BusinessCalendar) -> DemoStats:
    today = services.clock.today()
    async with services.db.session() as session:

        def grouped(column, *where):
            return select(column, func.count()).where(*where).group_by(column)

        documents = dict((await session.execute(grouped(Document.status))).all())
        turnos = dict((await session.execute(grouped(Turno.status))).all())
        decisions = dict((await session.execute(grouped(Response.decision))).all())
        second = (
            await session.execute(
                select(func.count())
                .select_from(Turno)
                .where(Turno.status == TurnoStatus.CONCLUDED.value, Turno.rounds >= 2)
            )
        ).scalar_one()
        late = (
            await session.execute(select(func.count()).select_from(Turno).where(Turno.answered_on_time.is_(False)))
        ).scalar_one()
        events = dict(
            (
                await session.execute(
                    grouped(
                        Event.kind, Event.kind.in_([EventKind.DEADLINE_NEAR.value, EventKind.DEADLINE_PASSED.value])
                    )
                )
            ).all()
        )
        awaiting = (
            await session.execute(
                select(Turno.to_unit_id, Turno.status, Turno.due_date).where(
                    Turno.status.in_([s.value for s in AWAITING_ANSWER])
                )
            )
        ).all()
    lights = {light.value: 0 for light in TrafficLight}
    pending: dict[int, int] = {}
    for unit_id, status, due in awaiting:
        light = turno_light(status, due, None, calendar, today, services.settings.yellow_threshold_days)
        lights[light.value] += 1
        pending[unit_id] = pending.get(unit_id, 0) + 1
    staff = [
        (sum(pending.get(demo.units[a].id, 0) for a, r in p.grants if r == Role.STAFF), p.username)
        for p in demo.persons
        if any(r == Role.STAFF for _, r in p.grants)
    ]
    # an analyst with work waiting (analista.nominas when it has some), else whoever has most
    preferred = (
        [(n, u) for n, u in staff if n and u == "analista.nominas"]
        or sorted([(n, u) for n, u in staff if n and u.startswith("analista.")], key=lambda x: -x[0])
        or sorted([(n, u) for n, u in staff if n], key=lambda x: -x[0])
    )
    staff_pending, staff_user = preferred[0] if preferred else (0, None)
    return DemoStats(
        documents=documents,
        turnos=turnos,
        responses=sum(decisions.values()),
        returned=decisions.get("RETURN", 0),
        accepted_after_return=second,
        late=late,
        lights=lights,
        deadline_events=events,
        staff_user=staff_user,
        staff_pending=staff_pending,
    )


def print_summary(demo: Demo, stats: DemoStats, elapsed: float) -> None:
    users = {p.username: p for p in demo.persons}
    staff_user = stats.staff_user or "analista.nominas"
    shown = ["admin", "titular.dg", "registro.dg", "titular.deltol", "registro.deltol", staff_user, "consulta.dg"]
    rows = []
    for username in shown:
        person = users[username]
        grants = ", ".join(f"{ROLE_NAMES[r]} · {demo.units[a].acronym}" for a, r in person.grants)
        rows.append((username, grants, person.full_name))
    widths = [max(len(r[i]) for r in rows + [("Usuario", "Rol · unidad", "Nombre")]) for i in range(3)]

    def line(values):
        return ("  " + "  ".join(v.ljust(w) for v, w in zip(values, widths))).rstrip()

    d, t, lights, deadlines = stats.documents, stats.turnos, stats.lights, stats.deadline_events
    print()
    print(
        f"Datos de demostración cargados en {elapsed:.1f} s: {len(demo.units)} unidades administrativas, "
        f"{len(demo.persons)} personas usuarias y {sum(d.values())} documentos del último año."
    )
    print("Instituto Mexiquense de la Vivienda Social (IMEVIS) — datos ficticios.")
    print(
        f"Documentos: {d.get('REGISTERED', 0)} registrados, {d.get('IN_PROGRESS', 0)} en trámite, "
        f"{d.get('CONCLUDED', 0)} concluidos y {d.get('ARCHIVED', 0)} archivados."
    )
    print(
        f"Turnos: {sum(t.values())} — {t.get('SENT', 0)} enviados, {t.get('RECEIVED', 0)} recibidos, "
        f"{t.get('ANSWERED', 0)} respondidos, {t.get('RETURNED', 0)} devueltos, {t.get('CONCLUDED', 0)} concluidos "
        f"y {t.get('CANCELLED', 0)} cancelados."
    )
    print(
        f"Respuestas: {stats.responses}; {stats.returned} devueltas con observaciones, "
        f"{stats.accepted_after_return} turnos aceptados en segunda vuelta, {stats.late} respondidos fuera de plazo."
    )
    print(
        f"Hoy, por atender: {lights['GREEN']} en verde, {lights['YELLOW']} en amarillo, {lights['RED']} en rojo "
        f"y {lights['NONE']} sin plazo; avisos de plazo: {deadlines.get('DEADLINE_NEAR', 0)} por vencer, "
        f"{deadlines.get('DEADLINE_PASSED', 0)} vencidos."
    )
    print()
    print(line(("Usuario", "Rol · unidad", "Nombre")))
    print(line(tuple("-" * w for w in widths)))
    for row in rows:
        print(line(row))
    print()
    print(f"Contraseña de todas las cuentas de demostración: {DEMO_PASSWORD}")
    print(
        "Titulares: titular.<siglas> (p. ej. titular.daf); control de gestión: registro.<siglas> (p. ej. registro.dpv)."
    )
    if stats.staff_user:
        print(
            f"{stats.staff_user} tiene {stats.staff_pending} turno{'s' if stats.staff_pending != 1 else ''} "
            "por atender en su bandeja (consulta `inbox`)."
        )
    print()
    print("En GraphiQL (la dirección la muestra `mcs serve` al arrancar), inicie sesión con:")
    print(f'  mutation {{ login(input:{{username:"admin", password:"{DEMO_PASSWORD}"}}) {{ token }} }}')
    print("y envíe el token en el encabezado:  Authorization: Bearer <token>")
