"""Node interface and the pieces every connection shares."""

from __future__ import annotations

from typing import Callable, Generic, TypeVar

import strawberry

from resolvers.pagination import Page

T = TypeVar("T")


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None

    @classmethod
    def from_page(cls, page: Page) -> "PageInfo":
        return cls(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.cursor(0) if page.rows else None,
            end_cursor=page.cursor(len(page.rows) - 1) if page.rows else None,
        )


@strawberry.type
class Edge(Generic[T]):
    cursor: str = strawberry.field(resolver=lambda root: root.page.cursor(root.index))  # encoded when asked
    node: T
    page: strawberry.Private[Page]
    index: strawberry.Private[int]


@strawberry.type
class Connection(Generic[T]):
    """A Relay connection; strawberry names each one after its node (DocumentConnection, …)."""

    edges: list[Edge[T]]
    page_info: PageInfo
    page: strawberry.Private[Page]

    @strawberry.field(description="Counted only when asked for.")
    async def total_count(self) -> int:
        return await self.page.total_count()


def connection(page: Page, to_node: Callable) -> Connection:
    """A connection from a resolvers.pagination.Page, each row turned into a node."""
    edges = [Edge(node=to_node(row), page=page, index=i) for i, row in enumerate(page.rows)]
    return Connection(edges=edges, page_info=PageInfo.from_page(page), page=page)
