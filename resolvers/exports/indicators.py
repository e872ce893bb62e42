"""The Indicadores sheet's figures: one GROUP BY over the export's filtered set, in the job's
snapshot (so the sheet and its totals agree). The lights are the filter's SQL twins of the
traffic light (models/filters.py, models/traffic_light.py)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, select

from models.calendar import BusinessCalendar
from models.catalogs import DocumentType
from models.documents import Document
from models.exports import DOCUMENT_STATUS_LABEL, INSTRUCTION_LABEL, LIGHT_ES, PRIORITY_LABEL, TURNO_STATUS_LABEL
from models.filters import OPEN_DOCUMENT_STATUSES, FilterEnv, document_light_clause
from models.traffic_light import TrafficLight, concluded_on_time_clause, overdue_clause, turno_light_clause
from models.turnos import Turno
from models.workflow import AWAITING_ANSWER

AWAITING_VALUES = [s.value for s in AWAITING_ANSWER]


async def document_indicators(session, where: list, env: FilterEnv) -> tuple[int, list[tuple]]:
    """The total, by status, by priority, by type, and the traffic lights."""
    red, yellow, green = (
        document_light_clause(light, env) for light in (TrafficLight.RED, TrafficLight.YELLOW, TrafficLight.GREEN)
    )
    rows = (
        await session.execute(
            select(
                Document.status,
                Document.priority,
                Document.document_type,
                func.count().label("n"),
                _count_sum(red).label("red"),
                _count_sum(yellow).label("yellow"),
                _count_sum(green).label("green"),
            )
            .where(*where)
            .group_by(Document.status, Document.priority, Document.document_type)
        )
    ).all()
    type_names = dict((await session.execute(select(DocumentType.code, DocumentType.name))).all())
    total = sum(r.n for r in rows)
    by_status = _tally(rows, "status")
    by_priority = _tally(rows, "priority")
    by_type = _tally(rows, "document_type")
    lights = {k: sum(getattr(r, k) or 0 for r in rows) for k in ("red", "yellow", "green")}
    open_count = sum(by_status.get(s, 0) for s in OPEN_DOCUMENT_STATUSES)
    return total, [
        ("Por estado",),
        *[(label, by_status.get(code, 0)) for code, label in DOCUMENT_STATUS_LABEL.items()],
        (),
        ("Por semáforo",),
        (LIGHT_ES["GREEN"], lights["green"]),
        (LIGHT_ES["YELLOW"], lights["yellow"]),
        (LIGHT_ES["RED"], lights["red"]),
        (LIGHT_ES["NONE"], total - lights["red"] - lights["yellow"] - lights["green"]),
        (),
        ("Seguimiento",),
        ("Abiertos (registrados o en trámite)", open_count),
        ("Vencidos (abiertos en rojo)", lights["red"]),
        ("Concluidos o archivados", total - open_count),
        (),
        ("Por prioridad",),
        *[(label, by_priority.get(code, 0)) for code, label in PRIORITY_LABEL.items()],
        (),
        ("Por tipo de documento",),
        *sorted(((type_names.get(code, code), n) for code, n in by_type.items()), key=lambda item: (-item[1], item[0])),
    ]


async def turno_indicators(
    session, where: list, env: FilterEnv, calendar: BusinessCalendar, today: date
) -> tuple[int, list[tuple]]:
    """The total, by status, by instruction, the traffic lights, the overdue and those concluded
    on time or late."""
    red, yellow, green = (
        turno_light_clause(light, Turno, calendar, today, env.yellow_threshold)
        for light in (TrafficLight.RED, TrafficLight.YELLOW, TrafficLight.GREEN)
    )
    rows = (
        await session.execute(
            select(
                Turno.status,
                Turno.instruction,
                func.count().label("n"),
                _count_sum(red).label("red"),
                _count_sum(yellow).label("yellow"),
                _count_sum(green).label("green"),
                _count_sum(overdue_clause(Turno, today)).label("overdue"),
                _count_sum(concluded_on_time_clause(True, Turno)).label("on_time"),
                _count_sum(concluded_on_time_clause(False, Turno)).label("late"),
            )
            .where(*where)
            .group_by(Turno.status, Turno.instruction)
        )
    ).all()
    total = sum(r.n for r in rows)
    by_status = _tally(rows, "status")
    by_instruction = _tally(rows, "instruction")
    sums = {k: sum(getattr(r, k) or 0 for r in rows) for k in ("red", "yellow", "green", "overdue", "on_time", "late")}
    return total, [
        ("Por estado",),
        *[(label, by_status.get(code, 0)) for code, label in TURNO_STATUS_LABEL.items()],
        (),
        ("Por semáforo",),
        (LIGHT_ES["GREEN"], sums["green"]),
        (LIGHT_ES["YELLOW"], sums["yellow"]),
        (LIGHT_ES["RED"], sums["red"]),
        (LIGHT_ES["NONE"], total - sums["red"] - sums["yellow"] - sums["green"]),
        (),
        ("Seguimiento",),
        ("Pendientes de respuesta", sum(by_status.get(s, 0) for s in AWAITING_VALUES)),
        ("Vencidos sin respuesta", sums["overdue"]),
        ("Concluidos a tiempo", sums["on_time"]),
        ("Concluidos fuera de plazo", sums["late"]),
        (),
        ("Por instrucción",),
        *[(label, by_instruction.get(code, 0)) for code, label in INSTRUCTION_LABEL.items()],
    ]


def _count_sum(condition):
    return func.sum(case((condition, 1), else_=0))


def _tally(rows, attribute: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in rows:
        key = getattr(r, attribute)
        counts[key] = counts.get(key, 0) + r.n
    return counts
