"""The filter compiler: DocumentFilter (and, with the workflow, TurnoFilter) → SQL.

Lists, exports and statistics all go through here: this is the one place that knows what
"trafficLight: RED" or "includeSubunits" means.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import aliased

from models.calendar import BusinessCalendar
from models.clock import Clock
from models.documents import Document, DocumentStatus, DocumentUnit
from models.org import OrgUnit
from models.permissions import (
    Principal,
    confidential_readable,
    unit_id_in_scope,
    unit_ids_in_scope,
    visible_attachments,
)
from models.search import parse_search, search_clause
from models.traffic_light import TrafficLight, open_light_clause, turno_light_clause
from models.turnos import Turno
from models.workflow import OPEN_TURNO

OPEN_DOCUMENT_STATUSES = (DocumentStatus.REGISTERED.value, DocumentStatus.IN_PROGRESS.value)


@dataclass
class DocumentFilterSpec:
    period_from: date | None = None
    period_to: date | None = None
    unit_path: str | None = None  # resolved from unitId by the caller
    unit_id: int | None = None
    include_subunits: bool = False
    status: list[str] = field(default_factory=list)
    origin: str | None = None
    sender_level: list[str] = field(default_factory=list)
    document_type: list[str] = field(default_factory=list)
    priority: str | None = None
    traffic_light: list[str] = field(default_factory=list)
    search: str | None = None


@dataclass
class FilterEnv:
    """What a filter needs besides its own values: the clock, the calendar, the threshold, and
    who asks (filters on confidential fields match only what that user may read)."""

    clock: Clock
    calendar: BusinessCalendar
    yellow_threshold: int
    principal: Principal


def period_clause(column, period_from: date | None, period_to: date | None, clock: Clock) -> list[ColumnElement[bool]]:
    """A period of local calendar days, inclusive at both ends, over a UTC timestamp column."""
    clauses = []
    if period_from:
        clauses.append(column >= clock.start_of_day(period_from))
    if period_to:
        clauses.append(column < clock.start_of_day(period_to + timedelta(days=1)))
    return clauses


def unit_clause(
    unit_id: int | None, unit_path: str | None, include_subunits: bool, document=Document
) -> ColumnElement[bool] | None:
    """The document's chain passes through the unit (or, with subunits, through its subtree)."""
    if unit_id is None:
        return None
    if not include_subunits:
        return exists(select(1).where(DocumentUnit.document_id == document.id, DocumentUnit.unit_id == unit_id))
    chain_unit = aliased(OrgUnit)
    return exists(
        select(1)
        .select_from(DocumentUnit)
        .join(chain_unit, chain_unit.id == DocumentUnit.unit_id)
        .where(DocumentUnit.document_id == document.id, chain_unit.path.startswith(unit_path, autoescape=True))
    )


def document_light_clause(light: TrafficLight, env: FilterEnv, document=Document) -> ColumnElement[bool]:
    """SQL twin of models.traffic_light.document_light: an open document shows the worst of its
    own deadline and of its open turnos."""
    today, threshold = env.clock.today(), env.yellow_threshold
    turno = aliased(Turno)

    def shows(candidate: TrafficLight) -> ColumnElement[bool]:
        own = document.due_date.is_not(None) & open_light_clause(
            candidate, document.due_date, env.calendar, today, threshold
        )
        from_turnos = exists(
            select(1).where(
                turno.document_id == document.id,
                turno.status.in_([s.value for s in OPEN_TURNO]),
                turno_light_clause(candidate, turno, env.calendar, today, threshold),
            )
        )
        return or_(own, from_turnos)

    is_open = document.status.in_(OPEN_DOCUMENT_STATUSES)
    red, yellow, green = shows(TrafficLight.RED), shows(TrafficLight.YELLOW), shows(TrafficLight.GREEN)
    return {
        TrafficLight.RED: is_open & red,
        TrafficLight.YELLOW: is_open & ~red & yellow,
        TrafficLight.GREEN: is_open & ~red & ~yellow & green,
        TrafficLight.NONE: ~is_open | (~red & ~yellow & ~green),
    }[light]


def document_search_clause(search: str | None, env: FilterEnv, document=Document) -> ColumnElement[bool] | None:
    """Full-text search (models/search.py): every word, accent-insensitive; in a confidential
    document's protected fields only for those who may read them, and in an answer's files only
    for those who may see them."""
    query = parse_search(search)
    if query is None:
        return None
    return search_clause(
        query, confidential_readable(env.principal, document), document.id, partial(visible_attachments, env.principal)
    )


def document_filter_clauses(
    spec: DocumentFilterSpec | None, env: FilterEnv, document=Document, *, with_search: bool = True
) -> list[ColumnElement[bool]]:
    """`with_search=False` leaves the search out, for a caller that ranks by it (models.search.ranked)."""
    if spec is None:
        return []
    clauses = period_clause(document.received_at, spec.period_from, spec.period_to, env.clock)
    if (unit := unit_clause(spec.unit_id, spec.unit_path, spec.include_subunits, document)) is not None:
        clauses.append(unit)
    if spec.status:
        clauses.append(document.status.in_(spec.status))
    if spec.origin:
        clauses.append(document.origin == spec.origin)
    if spec.sender_level:  # the sender is a protected field of confidential documents
        clauses.append(document.sender_level.in_(spec.sender_level) & confidential_readable(env.principal, document))
    if spec.document_type:
        clauses.append(document.document_type.in_(spec.document_type))
    if spec.priority:
        clauses.append(document.priority == spec.priority)
    if spec.traffic_light:
        clauses.append(
            or_(*[document_light_clause(TrafficLight(light), env, document) for light in spec.traffic_light])
        )
    if with_search and (search := document_search_clause(spec.search, env, document)) is not None:
        clauses.append(search)
    return clauses


@dataclass
class TurnoFilterSpec:
    period_from: date | None = None  # on sentAt
    period_to: date | None = None
    unit_id: int | None = None  # the recipient in an inbox, the sender in an outbox
    unit_path: str | None = None
    include_subunits: bool = False
    status: list[str] = field(default_factory=list)
    instruction: list[str] = field(default_factory=list)
    traffic_light: list[str] = field(default_factory=list)
    priority: str | None = None
    origin: str | None = None
    sender_level: list[str] = field(default_factory=list)
    document_type: list[str] = field(default_factory=list)
    search: str | None = None
    box: str | None = None  # "inbox" / "outbox": the turnos that list shows (exports); None: every visible one


def own_units_only(unit_id: int | None, include_subunits: bool) -> bool:
    """Without a unit filter, includeSubunits: false keeps the caller's own units only (not the
    subtrees a HEAD, REGISTRAR or VIEWER otherwise sees): the inbox, the outbox and the stats."""
    return unit_id is None and not include_subunits


def box_scope(principal: Principal, spec: TurnoFilterSpec, unit_column) -> ColumnElement[bool]:
    """The turnos of a box: to (inbox, `unit_column` to_unit_id) or from (outbox, from_unit_id) the
    caller's units and, for HEAD, REGISTRAR and VIEWER, their descendants unless the filter says
    includeSubunits: false. A unit filter narrows that, never widens it."""
    if own_units_only(spec.unit_id, spec.include_subunits):
        return unit_column.in_(sorted(principal.unit_ids))
    return unit_id_in_scope(principal, unit_column)


async def box_unit_ids(session, principal: Principal, spec: TurnoFilterSpec) -> frozenset[int]:
    """Twin of box_scope with the filter's unit applied (turno_filter_clauses' unitId): the ids of
    the units whose turnos the box lists, read once so that the turnos are matched by an index."""
    if own_units_only(spec.unit_id, spec.include_subunits):
        return principal.unit_ids
    if spec.unit_id is None:
        return await unit_ids_in_scope(session, principal)
    if not spec.include_subunits:
        return (await unit_ids_in_scope(session, principal)) & {spec.unit_id}
    return await unit_ids_in_scope(session, principal, within=spec.unit_path)


def counted_by_unit_and_status(spec: TurnoFilterSpec) -> bool:
    """The filter narrows by unit and status only: models/turno_counts.py can count it."""
    return not (
        spec.period_from
        or spec.period_to
        or spec.instruction
        or spec.traffic_light
        or spec.priority
        or spec.origin
        or spec.sender_level
        or spec.document_type
        or spec.search
    )


def turno_filter_clauses(
    spec: TurnoFilterSpec | None, env: FilterEnv, unit_column, turno=Turno
) -> list[ColumnElement[bool]]:
    """`unit_column` is the turno's column the unit filter applies to (to_unit_id or from_unit_id)."""
    if spec is None:
        return []
    clauses = period_clause(turno.sent_at, spec.period_from, spec.period_to, env.clock)
    if spec.unit_id is not None:
        if spec.include_subunits:
            unit = aliased(OrgUnit)
            clauses.append(
                exists(select(1).where(unit.id == unit_column, unit.path.startswith(spec.unit_path, autoescape=True)))
            )
        else:
            clauses.append(unit_column == spec.unit_id)
    if spec.status:
        clauses.append(turno.status.in_(spec.status))
    if spec.instruction:
        clauses.append(turno.instruction.in_(spec.instruction))
    if spec.priority:
        clauses.append(turno.priority == spec.priority)
    if spec.traffic_light:
        today = env.clock.today()
        clauses.append(
            or_(
                *[
                    turno_light_clause(TrafficLight(light), turno, env.calendar, today, env.yellow_threshold)
                    for light in spec.traffic_light
                ]
            )
        )
    # the document's fields
    document = aliased(Document)
    on_document = []
    if spec.origin:
        on_document.append(document.origin == spec.origin)
    if spec.sender_level:
        on_document.append(
            document.sender_level.in_(spec.sender_level) & confidential_readable(env.principal, document)
        )
    if spec.document_type:
        on_document.append(document.document_type.in_(spec.document_type))
    if (search := document_search_clause(spec.search, env, document)) is not None:
        on_document.append(search)
    if on_document:
        clauses.append(exists(select(1).where(document.id == turno.document_id, *on_document)))
    return clauses
