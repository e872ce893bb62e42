"""Subscription events rendered once per group of alike subscribers.

When one event reaches many subscribers, most of them ran the same subscription document and
hold the same memberships (the nine STAFF of a department, the heads of the root). What they
may see is decided by their memberships alone (models/permissions.py), so their results are
equal: the first of a group executes the selection, the others reuse its result and only pay
for their websocket send (bench/REALTIME.md).

A field whose value depends on who asks beyond their memberships (marked `PerUser` where it is
declared, schema/per_user.py: signed links, one's own memberships) turns sharing off for that
operation.
"""

from __future__ import annotations

import asyncio
from typing import Any

from graphql import FieldNode, Visitor, visit
from graphql.pyutils import RefMap
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.per_user import selects_per_user


class _VariableNames(Visitor):
    def __init__(self, names: set[str]):
        super().__init__()
        self.names = names

    def enter_variable(self, node, *_args):
        self.names.add(node.name.value)


class SharedRenderExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_operation(self, serially: bool | None = None) -> Any:
        renders = getattr(self.root_value, "shared_renders", None)
        if renders is None or (key := self._share_key()) is None:
            return super().execute_operation(serially)
        shared = renders.get(key)
        if shared is None:
            shared = renders[key] = asyncio.get_running_loop().create_future()
            return self._render_for_group(shared, serially)
        return self._reuse(shared, serially)

    def build_per_event_executor(self, payload: Any) -> Any:
        if not hasattr(self, "_operation_key"):  # once per subscription; the copies inherit it
            self._operation_key = self._compute_operation_key()
        executor = super().build_per_event_executor(payload)
        # each delivered event is resolved with its own context (resolvers/context.py: scoped)
        delivery_context = getattr(payload, "delivery_context", None)
        if delivery_context is not None:
            executor.context_value = delivery_context
        # graphql-core's copy shares with the subscription's executor its memos of collected
        # subfields and @stream usages. They are keyed by the identity of field lists that each
        # event builds anew (and hold those lists so the ids stay valid): shared, they never hit
        # across events and kept every event's lists until the subscription closed, ~1 KB of
        # Python objects per delivered event (tests/test_realtime_memory.py). Each event gets
        # its own, freed with it.
        executor._relevant_sub_fields = {}
        executor._stream_usages = RefMap()
        return executor

    def _compute_operation_key(self) -> tuple | None:
        """The operation's text and the variables its rendering uses. The root field's own
        arguments (afterSequence, documentId) pick the events, not how one is rendered."""
        roots = self.operation.selection_set.selections
        loc = self.operation.loc
        if loc is None or len(roots) != 1 or not isinstance(roots[0], FieldNode) or roots[0].selection_set is None:
            return None
        used: set[str] = set()
        visitor = _VariableNames(used)
        for node in [roots[0].selection_set, *(roots[0].directives or ()), *self.fragment_definitions.values()]:
            visit(node, visitor)
        values = self.variable_values.coerced
        name = self.operation.name.value if self.operation.name else None
        per_user = selects_per_user(self.schema, self.operation, self.fragment_definitions.values())
        return loc.source.body, name, repr(sorted((k, values.get(k)) for k in used)), per_user

    def _share_key(self) -> tuple | None:
        principal = getattr(self.context_value, "principal", None)
        operation = getattr(self, "_operation_key", None)
        if principal is None or operation is None:
            return None
        per_user = operation[-1]
        # a signed link names the token it was made for (its version and jti)
        who: Any = (
            (
                principal.user_id,
                getattr(self.context_value, "token_version", None),
                getattr(self.context_value, "token_id", None),
            )
            if per_user
            else principal.memberships
        )
        return operation, who

    async def _render_for_group(self, shared: asyncio.Future, serially: bool | None) -> Any:
        try:
            result = super().execute_operation(serially)
            if self.is_awaitable(result):
                result = await result
        except BaseException:
            shared.cancel()  # the others render for themselves
            raise
        shared.set_result(result)
        return result

    async def _reuse(self, shared: asyncio.Future, serially: bool | None) -> Any:
        try:
            return await asyncio.shield(shared)
        except asyncio.CancelledError:
            if not shared.cancelled():
                raise  # this subscriber itself is being cancelled
        result = super().execute_operation(serially)
        return await result if self.is_awaitable(result) else result
