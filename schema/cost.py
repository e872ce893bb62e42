"""What an operation may cost, computed before it runs, and enforced while it runs.

Before execution (GitHub's model), the operation is walked with its fragments and its variables
(defaults when absent) to get two figures:

- nodes: the most values the answer may hold. Every selected field counts once for each object
  it is selected on; a connection multiplies its edges by its page size (`first`/`last`, default
  `page_size_default`, at most `page_size_max`), a list field by the bound declared for it in
  LIST_BOUNDS. This bounds the answer's size and the work of building it.
- cost: the pages the request may read. A connection, `totalCount` and the few fields that run a
  query of their own (OWN_READS) count one per object they are selected on; lists and objects
  read through DataLoaders are batched and add nodes, not reads.

An operation over MCS_MAX_QUERY_NODES or MCS_MAX_QUERY_COST is refused before anything runs
(QUERY_TOO_COSTLY, with the figures in `extensions`). While it runs, the executor counts the
values it produces and stops at the same node limit (a bound is an estimate; the data may exceed
it), and past its first SLICE_AFTER values it hands the event loop back every SLICE_SECONDS, so
other clients are served while a big answer is built.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_abstract_type,
    is_list_type,
    is_object_type,
)
from graphql.execution.values import get_argument_values, get_directive_values, get_variable_values
from graphql.pyutils import Undefined, gather_with_cancel
from strawberry.extensions import SchemaExtension

from models.search import SNIPPET_MAX_SEGMENTS
from models.stats import MAX_BUCKETS, bucket_count
from schema.enums import DocumentAction, NotificationChannel, NotificationKind, TurnoAction
from schema.shared_render import SharedRenderExecutionContext

CODE = "QUERY_TOO_COSTLY"
SLICE_SECONDS = 0.01  # the longest stretch a big answer is built without letting others run
# values built at once before slices start: a small answer keeps its DataLoader batches whole
# (the tests count its SQL statements), and takes far less than 100 ms
SLICE_AFTER = 5_000

# The institution's own size, for the lists that hold all of it: the demo has 99 units, 1,000 is
# a large institution. A bigger tree (a whole state government's, ~10,000) is still served: its
# real size is counted against the node limit as the answer is built.
UNITS = 1_000
MEMBERSHIPS = 3 * UNITS  # people × roles: about three per unit


@dataclass(frozen=True)
class Bound:
    """The most items a list field holds for one object (`size`) and, when known, for all the
    objects there are together (`total`: a unit's children over every unit are the units).
    `disjoint`: distinct objects never share an item, so the items of distinct objects are distinct
    too (a unit's members; not a unit's ancestors)."""

    size: int
    reason: str
    total: int | None = None
    disjoint: bool = False


LIST_BOUNDS: dict[str, Bound] = {
    "Query.orgUnits": Bound(UNITS, "every unit of the institution (see UNITS)"),
    "Query.documentTypes": Bound(500, "the catalog of document types"),
    "Query.archiveSeries": Bound(2_000, "the archival classification: series and subseries"),
    "Query.nonWorkingDays": Bound(
        400, "ten years at most (longer is refused): ~10 holidays a year and the institution's own days"
    ),
    "Query.stats": Bound(MAX_BUCKETS, "the buckets of the period, computed from its arguments (_Walk.stats_rows)"),
    "OrgUnit.children": Bound(
        200, "a unit's direct subunits (the largest: a state's 125 municipalities)", total=UNITS, disjoint=True
    ),
    "OrgUnit.ancestors": Bound(12, "the levels above a unit: a state government's tree is 8 to 10 deep"),
    "OrgUnit.members": Bound(500, "the active people of one unit, with their roles", total=MEMBERSHIPS, disjoint=True),
    "User.memberships": Bound(20, "the units and roles of one person", total=MEMBERSHIPS, disjoint=True),
    "Document.turnos": Bound(100, "a document's turnos: its recipients and their delegations"),
    "Document.attachments": Bound(50, "the digitized files of one document"),
    "Document.timeByUnit": Bound(100, "one stay per unit the document reached (at most one per turno)"),
    "Document.viewerActions": Bound(len(DocumentAction), "every action there is"),
    "Turno.children": Bound(100, "the delegations of one turno"),
    "Turno.responses": Bound(20, "the answer rounds of one turno (each RETURN opens one)"),
    "Turno.viewerActions": Bound(len(TurnoAction), "every action there is"),
    "Response.attachments": Bound(50, "the files of one answer"),
    "SearchSnippet.segments": Bound(
        SNIPPET_MAX_SEGMENTS,
        "one excerpt of about 30 words: each word found, and the text between (models.search.SNIPPET_MAX_SEGMENTS)",
    ),
    "SendTurnoPayload.turnos": Bound(100, "one turno per recipient sent at once"),
    "NotificationPreferences.channels": Bound(len(NotificationKind), "one entry per notification kind"),
    "NotificationKindChannels.channels": Bound(len(NotificationChannel), "every channel there is"),
    "HolidaysPayload.holidays": Bound(1_000, "the institution's own non-working days, all years"),
    "*.errors": Bound(50, "the problems of one mutation's input, one per field"),
    "*.warnings": Bound(20, "the warnings of one mutation"),
}
DEFAULT_BOUND = Bound(100, "a list not declared above (tests/test_query_cost.py wants every list declared)")

# fields that run a query of their own for each object they are selected on (connections too)
OWN_READS = {"totalCount", "Document.timeByUnit"}


@dataclass(frozen=True)
class Measure:
    nodes: int
    cost: int


def _introspection_bounds(schema: GraphQLSchema) -> dict[str, Bound]:
    """The schema is known: introspection's lists hold what it has. Their totals make a full walk
    (types → fields → args) count what it returns, and one type count its longest list."""
    types = list(schema.type_map.values())
    composite = [t for t in types if isinstance(t, (GraphQLObjectType, GraphQLInterfaceType))]
    directives = list(schema.directives)

    def bound(lists, disjoint: bool = True) -> Bound:
        lengths = [len(items) for items in lists] or [0]
        return Bound(max(lengths), "the schema's own", total=sum(lengths), disjoint=disjoint)

    return {
        "__Schema.types": Bound(len(types), "the schema's types"),
        "__Schema.directives": Bound(len(directives), "the schema's directives"),
        "__Type.fields": bound(t.fields for t in composite),
        "__Field.args": bound(f.args for t in composite for f in t.fields.values()),
        "__Type.inputFields": bound(t.fields for t in types if isinstance(t, GraphQLInputObjectType)),
        "__Type.enumValues": bound(t.values for t in types if isinstance(t, GraphQLEnumType)),
        # a type may implement several interfaces, an object belong to several: not disjoint
        "__Type.interfaces": bound((t.interfaces for t in composite), disjoint=False),
        "__Type.possibleTypes": bound(
            (schema.get_possible_types(t) for t in types if is_abstract_type(t)), disjoint=False
        ),
        "__Directive.args": bound(d.args for d in directives),
        "__Directive.locations": bound((d.locations for d in directives), disjoint=False),
    }


def _is_connection(t: GraphQLNamedType) -> bool:
    return is_object_type(t) and t.name.endswith("Connection") and "edges" in t.fields and "pageInfo" in t.fields


class _Walk:
    """One operation's walk. Figures are absolute: `mult` is how many objects a selection applies
    to, `distinct` whether those objects are known to be different ones (then a list with a
    `total` holds at most that many items across them)."""

    def __init__(self, analysis: CostAnalysis, schema: GraphQLSchema, fragments: dict, variables, today: date):
        self.analysis, self.schema, self.fragments, self.variables, self.today = (
            analysis,
            schema,
            fragments,
            variables,
            today,
        )
        self.bounds = analysis.bounds_for(schema)
        self.memo: dict[tuple, tuple[int, int]] = {}
        self.visits = 0
        self.give_up = analysis.max_nodes + 1  # each visit adds a node: past this, it is refused anyway

    def selection(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType, mult: int, distinct: bool, page: int
    ) -> tuple[int, int]:
        if selection_set is None or mult <= 0:
            return 0, 0
        if not is_abstract_type(parent):
            assert is_object_type(parent)  # validated: only a composite type has a selection set
            return self.object(selection_set, parent, mult, distinct, page)
        # an interface: the costliest of the types it may turn out to be
        best_nodes = best_cost = 0
        for runtime in self.schema.get_possible_types(parent):
            nodes, cost = self.object(selection_set, runtime, mult, distinct, page)
            best_nodes, best_cost = max(best_nodes, nodes), max(best_cost, cost)
        return best_nodes, best_cost

    def object(
        self, selection_set: SelectionSetNode, runtime: GraphQLObjectType, mult: int, distinct: bool, page: int
    ) -> tuple[int, int]:
        nodes = cost = 0
        for node in selection_set.selections:
            if not self.included(node):
                continue
            if isinstance(node, FieldNode):
                n, c = self.field(node, runtime, mult, distinct, page)
            elif isinstance(node, InlineFragmentNode):
                if not self.applies(node.type_condition, runtime):
                    continue
                n, c = self.object(node.selection_set, runtime, mult, distinct, page)
            elif isinstance(node, FragmentSpreadNode):
                fragment: FragmentDefinitionNode | None = self.fragments.get(node.name.value)
                if fragment is None or not self.applies(fragment.type_condition, runtime):
                    continue
                key = (fragment.name.value, runtime.name, mult, distinct, page)
                if key not in self.memo:  # a fragment spread many times is walked once per context
                    self.memo[key] = self.object(fragment.selection_set, runtime, mult, distinct, page)
                n, c = self.memo[key]
            else:  # pragma: no cover - no other selection exists
                continue
            nodes, cost = nodes + n, cost + c
        return nodes, cost

    def field(
        self, node: FieldNode, parent: GraphQLObjectType, mult: int, distinct: bool, page: int
    ) -> tuple[int, int]:
        self.visits += 1
        if self.visits > self.give_up:
            raise _GiveUp()
        name = node.name.value
        nodes, cost = mult, 0  # the field's own value in each object
        definition = self.schema.get_field(parent, name) if name != "__typename" else None
        if definition is None:
            return nodes, cost
        key = f"{parent.name}.{name}"
        if key in OWN_READS or name in OWN_READS:
            cost += mult
        named = get_named_type(definition.type)
        if _is_connection(named):
            size = self.page_size(definition, node)
            sub_nodes, sub_cost = self.selection(node.selection_set, named, mult, mult == 1, size)
            return nodes + sub_nodes, cost + mult + sub_cost
        if is_list_type(get_nullable_type(definition.type)):
            if name == "edges" and _is_connection(parent):
                bound = Bound(page, "the page")
            else:
                bound = self.bound(key, name, definition, node)
            items = mult * bound.size
            if distinct and bound.total is not None:
                items = min(items, bound.total)
            nodes += items
            items_distinct = distinct and (mult == 1 or bound.disjoint)
            sub_nodes, sub_cost = self.selection(node.selection_set, named, items, items_distinct, page)
            return nodes + sub_nodes, cost + sub_cost
        # one object per object: still distinct when there is one, or an edge's node
        child_distinct = mult == 1 or (distinct and name == "node" and parent.name.endswith("Edge"))
        sub_nodes, sub_cost = self.selection(node.selection_set, named, mult, child_distinct, page)
        return nodes + sub_nodes, cost + sub_cost

    def bound(self, key: str, name: str, definition: GraphQLField, node: FieldNode) -> Bound:
        if key == "Query.stats":
            return Bound(self.stats_rows(self.arguments(definition, node)), "the period's buckets")
        return self.bounds.get(key) or self.bounds.get(f"*.{name}") or DEFAULT_BOUND

    def stats_rows(self, args: dict) -> int:
        """The buckets of the period. With byUnit each bucket has a row per unit with activity in
        the period, which only the run knows: the node limit counts those as they are made."""
        period, granularity = args.get("period") or {}, args.get("granularity")
        if granularity is None:  # required: missing only when the arguments do not fit (the field fails)
            return 1
        last = period.get("to") or self.today  # the resolver's defaults
        first = period.get("from") or date(last.year, 1, 1)
        try:
            buckets = bucket_count(first, last, granularity)
        except Exception:  # noqa: BLE001 - a period the resolver will refuse with its own message
            return 1
        return buckets if 1 <= buckets <= MAX_BUCKETS else 1

    def page_size(self, definition: GraphQLField, node: FieldNode) -> int:
        args = self.arguments(definition, node)
        requested = args.get("first") if args.get("first") is not None else args.get("last")
        if requested is None:
            return self.analysis.page_default
        return max(0, min(requested, self.analysis.page_max))

    def arguments(self, definition: GraphQLField, node: FieldNode) -> dict:
        try:
            return get_argument_values(definition, node, self.variables)
        except GraphQLError:  # the field itself will fail; count its defaults
            return {}

    def included(self, node) -> bool:
        if not node.directives:
            return True
        try:
            skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
            include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        except GraphQLError:
            return True
        return not (skip and skip.get("if")) and not (include and not include.get("if"))

    def applies(self, condition, runtime: GraphQLObjectType) -> bool:
        if condition is None or condition.name.value == runtime.name:
            return True
        conditional = self.schema.get_type(condition.name.value)
        return (
            conditional is not None and is_abstract_type(conditional) and self.schema.is_sub_type(conditional, runtime)
        )


class _GiveUp(Exception):
    """The walk itself grew past the node limit (fragments spread into each other)."""


class CostAnalysis:
    """Built once per schema (its rules never change): the limits and the bounds."""

    def __init__(self, *, max_cost: int, max_nodes: int, page_default: int, page_max: int):
        self.max_cost, self.max_nodes = max_cost, max_nodes
        self.page_default, self.page_max = page_default, page_max
        self._bounds: tuple[GraphQLSchema, dict[str, Bound]] | None = None

    @classmethod
    def from_settings(cls, settings) -> CostAnalysis:
        return cls(
            max_cost=settings.max_query_cost,
            max_nodes=settings.max_query_nodes,
            page_default=settings.page_size_default,
            page_max=settings.page_size_max,
        )

    def bounds_for(self, schema: GraphQLSchema) -> dict[str, Bound]:
        if self._bounds is None or self._bounds[0] is not schema:
            self._bounds = (schema, {**LIST_BOUNDS, **_introspection_bounds(schema)})
        return self._bounds[1]

    def measure(
        self,
        schema: GraphQLSchema,
        document,
        operation_name: str | None = None,
        variables: dict | None = None,
        today: date | None = None,
    ) -> Measure | None:
        """The operation's figures; None when it cannot run (no such operation, variables that do
        not fit): execution refuses it with its own error before any resolver runs."""
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return None
        values = get_variable_values(schema, operation.variable_definitions or (), variables or {})
        if isinstance(values, list):
            return None
        root = schema.get_root_type(operation.operation)
        if root is None:
            return None
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        walk = _Walk(self, schema, fragments, values, today or date.today())
        try:
            nodes, cost = walk.selection(operation.selection_set, root, 1, True, self.page_default)
        except _GiveUp:
            return Measure(nodes=self.max_nodes + 1, cost=0)
        except RecursionError:  # nested past what can be walked (the depth limit refuses it first)
            return Measure(nodes=self.max_nodes + 1, cost=0)
        return Measure(nodes=nodes, cost=cost)

    def refusal(self, measure: Measure | None) -> GraphQLError | None:
        if measure is None or (measure.nodes <= self.max_nodes and measure.cost <= self.max_cost):
            return None
        reasons = []
        if measure.nodes > self.max_nodes:
            reasons.append(
                f"su respuesta podría tener hasta {measure.nodes:,} valores (el máximo es {self.max_nodes:,})"
            )
        if measure.cost > self.max_cost:
            reasons.append(f"leería hasta {measure.cost:,} páginas (el máximo es {self.max_cost:,})")
        return GraphQLError(
            "La consulta es demasiado costosa: " + " y ".join(reasons) + ". Pida páginas más pequeñas "
            "(first/last), menos alias o menos niveles anidados.",
            extensions={
                "code": CODE,
                "cost": measure.cost,
                "maxCost": self.max_cost,
                "nodes": measure.nodes,
                "maxNodes": self.max_nodes,
            },
        )


class QueryCostLimiter(SchemaExtension):
    """Refuses, after validation and before any resolver, an operation over the limits; the same
    for HTTP and websocket operations (subscriptions: the cost of each event's selection)."""

    def __init__(self, analysis: CostAnalysis):
        super().__init__()
        self.analysis = analysis

    def on_execute(self):
        context = self.execution_context
        clock = getattr(getattr(context.context, "services", None), "clock", None)
        measure = self.analysis.measure(
            context.schema._schema,
            context.graphql_document,
            context.operation_name,
            context.variables,
            clock.today() if clock else None,
        )
        error = self.analysis.refusal(measure)
        if error is not None:
            raise error
        yield


# --- while it runs ----------------------------------------------------------------------------


class _Slices:
    """Time slices of one execution. Once a slice has run SLICE_SECONDS, the work that remains
    queues here; on each later turn of the event loop (after what else is ready: other
    requests) a slice starts and a few of the queued pieces go on, in order. A big answer is
    built in steps of about SLICE_SECONDS with everybody else served in between."""

    WAKE = 256  # pieces let go per turn: all at once would itself be a long turn; few, small batches

    def __init__(self):
        self.started = time.perf_counter()
        self.waiting: deque[asyncio.Future] = deque()
        self.opening = False

    def exhausted(self) -> bool:
        return time.perf_counter() - self.started > SLICE_SECONDS

    async def pause(self) -> None:
        loop = asyncio.get_running_loop()
        first = True
        while True:
            turn = loop.create_future()
            if first:
                self.waiting.append(turn)
            else:
                self.waiting.appendleft(turn)  # it was its turn: first again next time
            first = False
            if not self.opening:
                self.opening = True
                loop.call_soon(self._open)
            await turn
            if not self.exhausted():
                return

    def _open(self) -> None:
        self.started = time.perf_counter()
        woken = 0
        while self.waiting and woken < self.WAKE:
            turn = self.waiting.popleft()
            if not turn.done():  # done: cancelled, its client left
                turn.set_result(None)
                woken += 1
        self.opening = bool(self.waiting)
        if self.opening:
            asyncio.get_running_loop().call_soon(self._open)


class MeteredExecutionContext(SharedRenderExecutionContext):
    """graphql-core's executor, counting the values it produces (a query or subscription event
    that makes more than MCS_MAX_QUERY_NODES ends with QUERY_TOO_COSTLY instead of its data) and
    completing long lists in time slices."""

    _produced = 0
    _over: int | None = None  # the count at which it stopped
    _slices: _Slices | None = None
    _limit: int | None | bool = False  # False: not read yet

    def build_per_event_executor(self, payload: Any):
        executor = super().build_per_event_executor(payload)
        executor._produced, executor._over, executor._slices = 0, None, None  # each event counts alone
        return executor

    def _node_limit(self) -> int | None:
        if self._limit is False:
            settings = getattr(self.context_value, "settings", None)
            # a mutation's work is done when its payload is built: it is not replaced by an error
            # (its selection was checked before it ran)
            self._limit = (
                None
                if self.operation.operation == OperationType.MUTATION
                else getattr(settings, "max_query_nodes", None)
            )
        return self._limit

    def _count(self, n: int) -> None:
        self._produced += n
        limit = self._node_limit()
        if limit is not None and self._produced > limit and self._over is None:
            self._over = self._produced
            raise _Exceeded()

    def _slice_over(self) -> bool:
        """Whether the work must wait for its next slice (never in the first SLICE_AFTER values)."""
        if self._produced <= SLICE_AFTER:
            return False
        return self._time_slices().exhausted()

    def _time_slices(self) -> _Slices:
        """This execution's slices, begun when the first SLICE_AFTER values are made."""
        if self._slices is None:
            self._slices = _Slices()
        return self._slices

    def execute_field(self, parent_type, source, field_details_list, path, position_context):
        if self._over is not None:
            return None  # stopped: what is still in flight finishes without work
        self._count(1)
        if self._slice_over():  # e.g. many resolvers woken at once by one DataLoader batch
            return self._field_later(parent_type, source, field_details_list, path, position_context)
        return super().execute_field(parent_type, source, field_details_list, path, position_context)

    async def _field_later(self, parent_type, source, field_details_list, path, position_context):
        await self._time_slices().pause()
        if self._over is not None:
            return None
        result = super().execute_field(parent_type, source, field_details_list, path, position_context)
        if self.is_awaitable(result):
            result = await result
        return None if result is Undefined else result

    def build_response(self, data):
        if self._over is not None:
            limit = self._node_limit()
            return ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        f"La respuesta es demasiado grande: pasó de {limit:,} valores. Pida páginas más pequeñas "
                        "(first/last), menos campos o menos niveles anidados.",
                        extensions={"code": CODE, "nodes": self._over, "maxNodes": limit},
                    )
                ],
            )
        return super().build_response(data)

    def complete_iterable_value(self, item_type, field_details_list, info, path, items, position_context):
        if self._over is not None:
            return None
        if self.get_stream_usage(field_details_list, path):  # @stream is not enabled; graphql-core's own
            return super().complete_iterable_value(item_type, field_details_list, info, path, items, position_context)
        items = items if isinstance(items, list) else list(items)
        self._count(len(items))  # before building any: a list past the limit is not built at all
        results: list = []
        awaitable: list[int] = []
        args = (item_type, field_details_list, info, path, items, results, awaitable, position_context)
        index = self._complete_items(0, *args)
        if index == len(items) and not awaitable:
            return results
        return self._finish_items(index, *args)

    def _complete_items(
        self, index, item_type, field_details_list, info, path, items, results, awaitable, position_context
    ) -> int:
        """Complete items from `index` until the list ends or the slice does; where it stopped."""
        is_awaitable = self.is_awaitable
        try:
            while index < len(items):
                if self._slice_over():
                    return index
                item, item_path = items[index], path.add_key(index, None)
                if is_awaitable(item):
                    results.append(
                        self.complete_awaitable_list_item_value(
                            item, item_type, field_details_list, info, item_path, position_context
                        )
                    )
                    awaitable.append(index)
                elif self.complete_list_item_value(
                    item, results, item_type, field_details_list, info, item_path, position_context
                ):
                    awaitable.append(index)
                index += 1
        except Exception:
            pending = [results[i] for i in awaitable]
            if pending:
                self.settle_in_background(pending)
            raise
        return index

    async def _finish_items(
        self, index, item_type, field_details_list, info, path, items, results, awaitable, position_context
    ) -> list:
        args = (item_type, field_details_list, info, path, items, results, awaitable, position_context)
        try:
            while index < len(items):
                await self._time_slices().pause()
                index = self._complete_items(index, *args)
        except asyncio.CancelledError:  # the client left: the items begun are dropped, not awaited
            for i in awaitable:
                if asyncio.iscoroutine(results[i]):
                    results[i].close()
            raise
        if awaitable:
            done = await gather_with_cancel(*(results[i] for i in awaitable))
            for i, value in zip(awaitable, done):
                results[i] = value
        return results


class _Exceeded(GraphQLError):
    """Raised where the node limit was passed: graphql-core nulls that field (or the whole
    answer), and build_response replaces the answer with the refusal."""

    def __init__(self):
        super().__init__("node limit")


def cost_limiter(settings) -> Callable[[], QueryCostLimiter]:
    analysis = CostAnalysis.from_settings(settings)
    return lambda: QueryCostLimiter(analysis)
