"""An event's audience: the units whose people may hear of it (event_audience rows, realtime
fan-out, notifications). What happens to a turno is heard by its two units and their ancestors;
what happens to a document, by every unit on its chain and their ancestors."""

from __future__ import annotations

from collections.abc import Iterable

from models.org import OrgUnit, lineage_of
from models.permissions import ChainUnit


def chain_audience(chain: Iterable[ChainUnit]) -> list[int]:
    """Who hears of what happens to the document: every unit on its chain and their ancestors."""
    return sorted({unit_id for unit in chain for unit_id in lineage_of(unit.path)})


def turno_audience(from_unit: OrgUnit, to_unit: OrgUnit) -> list[int]:
    """Who hears of what happens to a turno: its sender and recipient units and their ancestors."""
    return sorted(set(from_unit.lineage_ids) | set(to_unit.lineage_ids))
