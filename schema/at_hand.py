"""Answer a field now when its data are at hand, else later.

graphql-core awaits what a resolver returns when it is awaitable, so a plain `def` resolver may
return either a value or a coroutine. In strawberry an `async def` resolver costs ~3 times a
plain call even when it awaits nothing (bench/INBOX.md), and a page of 50 turnos has ~250 of
them. So the fields a list shows resolve synchronously when the request already holds their
data (a loader primed by the list's look-ahead, the calendar), and fall back to a coroutine
when it does not (a single node, a subscription's event)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from inspect import isawaitable
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from strawberry.dataloader import DataLoader
from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

T = TypeVar("T")
R = TypeVar("R")
MISSING: Any = object()

# `def field(...) -> NowOrLater[X]`: a resolver that returns X now or an awaitable of X (above).
# To the type checker that union; at run time X itself, the GraphQL type strawberry reads from
# the annotation (graphql-core awaits what a resolver returns when it is awaitable).
if TYPE_CHECKING:
    NowOrLater: TypeAlias = T | Awaitable[T]
else:

    class _NowOrLater:
        def __getitem__(self, graphql_type):
            return graphql_type

    NowOrLater = _NowOrLater()


async def settled(value_or_awaitable: R | Awaitable[R]) -> R:
    """The value of what a now-or-later function returned, for a caller that is async anyway."""
    return await value_or_awaitable if isawaitable(value_or_awaitable) else value_or_awaitable


def at_hand(loader: DataLoader, key) -> Any:
    """What `loader` already holds for `key`, or MISSING when it was not asked or is still loading."""
    future = loader.cache_map.get(key)
    if future is None or not future.done() or future.cancelled() or future.exception() is not None:
        return MISSING
    return future.result()


def load_now_or_later(loader: DataLoader, key, build: Callable[[Any], R]) -> R | Awaitable[R]:
    """build(the loaded value): now if the loader holds it, else a coroutine that loads it."""
    value = at_hand(loader, key)
    if value is not MISSING:
        return build(value)

    async def later() -> R:
        return build(await loader.load(key))

    return later()


def built_once(info: Info, type_name: str, loader: DataLoader, key, build: Callable[[Any], R]) -> R | Awaitable[R]:
    """build(the loaded value) once per request and key, now or later: a unit named by 100
    turnos of a page is built once (resolvers/loaders.py Loaders.built)."""
    built = info.context.loaders.built
    if (node := built.get((type_name, key))) is not None:
        return node

    def keep(value):
        node = built[(type_name, key)] = build(value)
        return node

    return load_now_or_later(loader, key, keep)


def with_calendar(info: Info, compute: Callable[[Any], R]) -> R | Awaitable[R]:
    """compute(calendar) now if this request already read the calendar (a list of turnos does,
    for its filters), else a coroutine that reads it first."""
    calendar = info.context.scope.calendar
    if calendar is not None:
        return compute(calendar)

    async def later() -> R:
        return compute(await info.context.calendar())

    return later()


def selected(info: Info, *path: str) -> list[SelectedField]:
    """The fields at `path` (GraphQL names, e.g. "edges", "node", "document") below the current
    one, through fragments: the look-ahead of a list that preloads what its rows will ask."""
    level: Iterable = [s for f in info.selected_fields for s in f.selections]  # below the current field
    for name in path:
        level = [f for f in flattened(level) if f.name == name]
        level = [s for f in level for s in f.selections]
    return list(flattened(level))


def flattened(selections: Iterable) -> Iterable[SelectedField]:
    """The fields among `selections`, fragments replaced by their fields."""
    for s in selections:
        if isinstance(s, (FragmentSpread, InlineFragment)):
            yield from flattened(s.selections)
        elif isinstance(s, SelectedField):
            yield s


def selects(info: Info, *path: str) -> bool:
    """Whether the query asks for the field at `path` (the last name) anywhere below the current field."""
    *above, name = path
    return any(f.name == name for f in selected(info, *above))
