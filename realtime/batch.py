"""What a server process reads once per wake-up: the new events, and the facts that decide who
may see each one and what its common fields resolve to.

Reading this once per process, instead of once per subscriber, is what makes the fan-out
cheap (bench/REALTIME.md): the database work is O(events), and each subscriber's share is a
few set lookups in Python (the twins in models/permissions.py) plus its websocket send.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models.documents import Document, DocumentUnit
from models.events import Event, EventAudience
from models.org import OrgUnit
from models.permissions import ChainUnit, Principal, sees_document, sees_event, sees_turno
from models.turnos import Turno
from models.users import User


@dataclass
class EventBatch:
    events: list[Event]
    audience: dict[int, tuple[int, ...]] = field(default_factory=dict)  # event id -> unit ids
    documents: dict[int, Document] = field(default_factory=dict)
    chains: dict[int, list[ChainUnit]] = field(default_factory=dict)  # document id -> its chain
    turnos: dict[int, Turno] = field(default_factory=dict)
    units: dict[int, OrgUnit] = field(default_factory=dict)
    actors: dict[int, User] = field(default_factory=dict)

    def _unit(self, unit_id: int) -> ChainUnit | None:
        unit = self.units.get(unit_id)
        return ChainUnit(unit.id, unit.path) if unit is not None else None

    def turno_units(self, turno_id: int | None) -> tuple[ChainUnit, ChainUnit] | None:
        turno = self.turnos.get(turno_id) if turno_id is not None else None
        if turno is None:
            return None
        from_unit, to_unit = self._unit(turno.from_unit_id), self._unit(turno.to_unit_id)
        return (from_unit, to_unit) if from_unit and to_unit else None

    def visible(self, principal: Principal, event: Event) -> bool:
        """The same answer as models.permissions.visible_events for this event."""
        return sees_event(
            principal,
            turno_units=self.turno_units(event.turno_id),
            has_turno=event.turno_id is not None,
            chain=self.chains.get(event.document_id, ()) if event.document_id is not None else (),
        )

    def in_inbox(self, principal: Principal, event: Event) -> bool:
        """An inbox carries the visible events addressed to one of the user's units (its
        audience); ADMIN's carries every event."""
        if principal.is_admin:
            return True
        return not principal.unit_ids.isdisjoint(self.audience.get(event.id, ())) and self.visible(principal, event)

    def prime(self, loaders, principal: Principal, event: Event) -> None:
        """Seed the delivery's DataLoaders with what this batch already read, so the usual
        selections (document, turno, actor, their units) cost no query. Each value is what the
        loader itself would answer for this principal."""
        if event.actor_id is not None and event.actor_id in self.actors:
            loaders.user_by_id.prime(event.actor_id, self.actors[event.actor_id])
        if event.document_id is not None and event.document_id in self.documents:
            chain = self.chains.get(event.document_id, [])
            document = self.documents[event.document_id]
            loaders.chain_by_document_id.prime(event.document_id, chain)
            loaders.visible_document_by_id.prime(
                event.document_id, document if sees_document(principal, chain) else None
            )
            if document.unit_id in self.units:
                loaders.org_unit_by_id.prime(document.unit_id, self.units[document.unit_id])
        units = self.turno_units(event.turno_id)
        if units is not None and event.turno_id is not None:  # (units only for a turno's event)
            turno = self.turnos[event.turno_id]
            loaders.visible_turno_by_id.prime(turno.id, turno if sees_turno(principal, *units) else None)
            for unit_id in (turno.from_unit_id, turno.to_unit_id):
                loaders.org_unit_by_id.prime(unit_id, self.units[unit_id])


# made once: building an alias and its column proxies per read costs more than the query (bench/REALTIME.md)
_HOME, _CHAIN_UNIT = aliased(OrgUnit, name="home_unit"), aliased(OrgUnit, name="chain_unit")


async def load_batch(session: AsyncSession, *, after: int, limit: int) -> EventBatch:
    """The events after `after` (at most `limit`) and their facts: three queries for the usual
    batch (four or five with turnos), whatever its size. Each round trip counts twice: it costs a
    send and a wake-up of the database on a busy host, and the hub's read waits for all of them
    before anyone receives the events (bench/REALTIME.md)."""
    rows = (
        await session.execute(
            select(Event, User)
            .outerjoin(User, User.id == Event.actor_id)
            .where(Event.id > after)
            .order_by(Event.id)
            .limit(limit)
        )
    ).all()
    events = [event for event, _ in rows]
    batch = EventBatch(events)
    if not events:
        return batch
    batch.actors = {user.id: user for _, user in rows if user is not None}
    audience: dict[int, list[int]] = defaultdict(list)
    for event_id, unit_id in (
        await session.execute(
            select(EventAudience.event_id, EventAudience.unit_id).where(
                EventAudience.event_id.between(events[0].id, events[-1].id)
            )
        )
    ).all():
        audience[event_id].append(unit_id)
    batch.audience = {k: tuple(v) for k, v in audience.items()}

    document_ids = {e.document_id for e in events if e.document_id is not None}
    turno_ids = {e.turno_id for e in events if e.turno_id is not None}
    unit_ids: set[int] = set()
    if document_ids:
        # each document with its own unit, and its chain (one row per chain unit): models/chains.py's
        # chains_query joined to the documents, to save a round trip per batch
        chains: dict[int, list[ChainUnit]] = defaultdict(list)
        for document, unit, unit_id, path in (
            await session.execute(
                select(Document, _HOME, _CHAIN_UNIT.id, _CHAIN_UNIT.path)
                .join(_HOME, _HOME.id == Document.unit_id)
                .outerjoin(DocumentUnit, DocumentUnit.document_id == Document.id)
                .outerjoin(_CHAIN_UNIT, _CHAIN_UNIT.id == DocumentUnit.unit_id)
                .where(Document.id.in_(document_ids))
            )
        ).all():
            batch.documents[document.id] = document
            batch.units[unit.id] = unit
            if unit_id is not None:
                chains[document.id].append(ChainUnit(unit_id, path))
        batch.chains = dict(chains)
    if turno_ids:
        batch.turnos = {
            t.id: t for t in (await session.execute(select(Turno).where(Turno.id.in_(turno_ids)))).scalars()
        }
        unit_ids |= {u for t in batch.turnos.values() for u in (t.from_unit_id, t.to_unit_id)} - set(batch.units)
    if unit_ids:
        batch.units.update(
            {u.id: u for u in (await session.execute(select(OrgUnit).where(OrgUnit.id.in_(unit_ids)))).scalars()}
        )
    return batch
