"""A list's look-ahead: load, in one batch per loader, what its rows' selected fields will ask, so
that those fields answer synchronously (schema/at_hand.py). The statements are the ones the
DataLoaders would send anyway; only the order changes: before the rows are resolved, not
while."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from strawberry.types import Info

from models.documents import SenderLevel
from models.filters import OPEN_DOCUMENT_STATUSES
from schema.at_hand import flattened, selected

# A confidential document's fields whose guard reads its chain (schema/guards.py ConfidentialField).
CHAIN_GUARDED = frozenset({"subject", "summary", "sender", "attachments"})
# A citizen sender's fields whose guard reads the chain (PersonalDataField).
PERSONAL_DATA = frozenset({"email", "phone", "address"})
LIGHTS = frozenset({"trafficLight", "businessDaysLeft"})


def names(fields) -> frozenset[str]:
    return frozenset(f.name for f in fields)


async def preload_turno_rows(info: Info, turnos: Sequence, *path: str) -> None:
    """`turnos`: models.turnos.Turno rows shown at `path` below the current field (e.g. "edges", "node")."""
    fields = selected(info, *path)
    asked = names(fields)
    ctx = info.context
    loads = []
    if asked & LIGHTS:
        loads.append(ctx.calendar())
    if asked & {"fromUnit", "toUnit"}:
        unit_ids = {t.from_unit_id for t in turnos} if "fromUnit" in asked else set()
        unit_ids |= {t.to_unit_id for t in turnos} if "toUnit" in asked else set()
        loads.append(ctx.loaders.org_unit_by_id.load_many(sorted(unit_ids)))
    if "document" in asked:
        document_fields = [s for f in fields if f.name == "document" for s in f.selections]
        loads.append(_documents_then_theirs(info, sorted({t.document_id for t in turnos}), document_fields))
    await asyncio.gather(*loads)


async def _documents_then_theirs(info: Info, document_ids: list[int], document_fields) -> None:
    documents = await info.context.loaders.visible_document_by_id.load_many(document_ids)
    await preload_document_fields(info, [d for d in documents if d is not None], document_fields)


async def preload_document_rows(info: Info, documents: Sequence, *path: str) -> None:
    """`documents`: models.documents.Document rows shown at `path` below the current field."""
    await preload_document_fields(info, documents, selected(info, *path))


async def preload_document_fields(info: Info, documents: Iterable, fields) -> None:
    """The lights of the open documents and the chains of the confidential ones, when asked."""
    fields = list(flattened(fields))
    asked = names(fields)
    asks_personal_data = bool(
        names(flattened(s for f in fields if f.name == "sender" for s in f.selections)) & PERSONAL_DATA
    )
    ctx = info.context
    loads = []
    if "trafficLight" in asked:
        loads.append(ctx.calendar())
        loads.append(
            ctx.loaders.open_turno_lights_by_document_id.load_many(
                [d.id for d in documents if d.status in OPEN_DOCUMENT_STATUSES]
            )
        )
    if "unit" in asked:
        loads.append(ctx.loaders.org_unit_by_id.load_many(sorted({d.unit_id for d in documents})))
    chains = [
        d.id
        for d in documents
        if (d.confidential and asked & CHAIN_GUARDED) or (asks_personal_data and d.sender_level == SenderLevel.CITIZEN)
    ]
    if chains:
        loads.append(ctx.loaders.chain_by_document_id.load_many(chains))
    await asyncio.gather(*loads)
