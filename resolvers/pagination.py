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

from models.base import MAX_KEY
from models.db import Reader
from models.errors import validation


@dataclass(frozen=True)
class SortKey:
    column: Any
    read: Callable[[Any], Any]  # row -> value
    parse: Callable[[Any], Any] = lambda v: v  # cursor JSON value -> python value
    dump: Callable[[Any], Any] = lambda v: v  # python value -> cursor JSON value


def datetime_key(column, attr: str) -> SortKey:
    return SortKey(column, lambda row: getattr(row, attr), datetime.fromisoformat, lambda v: v.isoformat())


def bounded_int(value) -> int:
    """A cursor's integer: what a query may carry (a forged 2**70 is an invalid cursor, not a 500)."""
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_KEY:
        raise ValueError
    return value


def text(value) -> str:
    """A cursor's string: a NUL would be a server error in PostgreSQL, not a position."""
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError
    return value


def text_key(column, attr: str) -> SortKey:
    return SortKey(column, lambda row: getattr(row, attr), text, str)


def int_key(column, attr: str) -> SortKey:
    return SortKey(column, lambda row: getattr(row, attr), bounded_int, int)


def float_key(column, read: Callable[[Any], Any]) -> SortKey:
    """A float sort key (JSON keeps every bit of a double, so a page continues exactly)."""

    def parse(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError
        return float(value)

    return SortKey(column, read, parse, float)


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
    has_next_page: bool
    has_previous_page: bool
    _session: Reader
    _count_query: Select
    _keys: Sequence[SortKey]
    _keyed: list  # the rows as the keys read them

    def cursor(self, index: int) -> str:
        """Encoded only when asked for: a page of 50 whose client reads no edge cursor skips 50."""
        return encode_cursor(self._keys, self._keyed[index])

    @property
    def cursors(self) -> list[str]:
        return [self.cursor(i) for i in range(len(self._keyed))]

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
    session: Reader,
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
    count_query: Select | None = None,
) -> Page:
    """One page of `query` in the order of `keys`. The query selects an entity, and may select
    more columns after it (a computed sort key such as a search rank): then each key reads the
    whole result row, and the page's rows are the entities. `count_query`: the totalCount's
    statement when counting `query` is not the way (a page read from fewer rows, a kept count)."""
    if first is not None and last is not None:
        raise validation("Use «first» o «last», no ambos.", "first")
    if count_query is None:
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
    result = await session.execute(page_query.order_by(*order).limit(size + 1))
    keyed = list(result.all() if len(query.column_descriptions) > 1 else result.scalars())
    more = len(keyed) > size
    keyed = keyed[:size]
    if backward:
        keyed.reverse()
    return Page(
        rows=[row[0] for row in keyed] if len(query.column_descriptions) > 1 else keyed,
        has_next_page=more if not backward else before is not None,
        has_previous_page=more if backward else after is not None,
        _session=session,
        _count_query=count_query,
        _keys=keys,
        _keyed=keyed,
    )
