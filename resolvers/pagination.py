"""Keyset (cursor) pagination for every connection: first/after and last/before, capped.

Cursors are opaque: base64 of the sort key of the row. A page never uses OFFSET, so page
1,000 costs what page 1 costs.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Sequence

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from models.errors import validation


@dataclass(frozen=True)
class SortKey:
    column: Any
    read: Callable[[Any], Any]  # row -> value
    parse: Callable[[Any], Any] = lambda v: v  # cursor JSON value -> python value
    dump: Callable[[Any], Any] = lambda v: v  # python value -> cursor JSON value


def datetime_key(column, attr: str) -> SortKey:
    return SortKey(column, lambda row: getattr(row, attr), datetime.fromisoformat, lambda v: v.isoformat())


def int_key(column, attr: str) -> SortKey:
    return SortKey(column, lambda row: getattr(row, attr), int, int)


def encode_cursor(keys: Sequence[SortKey], row) -> str:
    raw = json.dumps([k.dump(k.read(row)) for k in keys], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(keys: Sequence[SortKey], cursor: str, field: str) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError
        return [k.parse(v) for k, v in zip(keys, values)]
    except (ValueError, TypeError, json.JSONDecodeError):
        raise validation("Cursor inválido.", field) from None


@dataclass
class Page:
    rows: list
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool
    _session: AsyncSession
    _count_query: Select

    async def total_count(self) -> int:
        """Counted only when the client asks for totalCount."""
        return (await self._session.execute(self._count_query)).scalar_one()


def page_size(requested: int | None, default: int, maximum: int, field: str) -> int:
    if requested is None:
        return default
    if requested < 0:
        raise validation(f"«{field}» no puede ser negativo.", field)
    return min(requested, maximum)


async def keyset_page(
    session: AsyncSession,
    query: Select,
    keys: Sequence[SortKey],
    *,
    descending: bool,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
    default_size: int,
    max_size: int,
) -> Page:
    """One page of `query` (which selects an entity) in the order of `keys`."""
    if first is not None and last is not None:
        raise validation("Use «first» o «last», no ambos.", "first")
    count_query = select(func.count()).select_from(query.order_by(None).subquery())
    backward = last is not None or (before is not None and first is None)
    size = page_size(last if backward else first, default_size, max_size, "last" if backward else "first")
    columns = tuple_(*[k.column for k in keys])
    page_query = query
    # order of the page as returned to the client vs order in which we scan
    scan_descending = descending != backward
    if after:
        values = tuple_(*decode_cursor(keys, after, "after"))
        page_query = page_query.where(columns < values if descending else columns > values)
    if before:
        values = tuple_(*decode_cursor(keys, before, "before"))
        page_query = page_query.where(columns > values if descending else columns < values)
    order = [k.column.desc() if scan_descending else k.column.asc() for k in keys]
    rows = list((await session.execute(page_query.order_by(*order).limit(size + 1))).scalars())
    more = len(rows) > size
    rows = rows[:size]
    if backward:
        rows.reverse()
    return Page(
        rows=rows,
        cursors=[encode_cursor(keys, r) for r in rows],
        has_next_page=more if not backward else before is not None,
        has_previous_page=more if backward else after is not None,
        _session=session,
        _count_query=count_query,
    )
