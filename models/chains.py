"""A document's chain as `ChainUnit`s: the units it passed through (document_units) with their
paths, which the rules on confidential fields, personal data and an event's audience decide on.
One home for reading it, for one document or many in one statement. (realtime/batch.py reads the
chains in the same statement as the documents instead: a round trip less per delivered batch.)"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import Select, select

from models.documents import DocumentUnit
from models.org import OrgUnit
from models.permissions import ChainUnit


def chains_query(document_ids: Iterable[int]) -> Select:
    """(document_id, unit_id, path), a row per unit on each document's chain."""
    return (
        select(DocumentUnit.document_id, OrgUnit.id, OrgUnit.path)
        .join(OrgUnit, OrgUnit.id == DocumentUnit.unit_id)
        .where(DocumentUnit.document_id.in_(sorted(set(document_ids))))
    )


async def load_chains(session, document_ids: Iterable[int]) -> dict[int, list[ChainUnit]]:
    """Each document's chain; a document with none (or unknown) is absent: use `.get(id, [])`."""
    chains: dict[int, list[ChainUnit]] = defaultdict(list)
    for document_id, unit_id, path in (await session.execute(chains_query(document_ids))).all():
        chains[document_id].append(ChainUnit(unit_id, path))
    return dict(chains)


async def load_chain(session, document_id: int) -> list[ChainUnit]:
    return (await load_chains(session, [document_id])).get(document_id, [])
