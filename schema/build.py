"""The assembled schema with its guards: depth, tokens, aliases, masked unexpected errors."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import strawberry
from graphql import GraphQLError
from strawberry.exceptions import StrawberryGraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from graphql.validation import NoSchemaIntrospectionCustomRule

from core import outages
from core.outages import database_unavailable
from core.settings import Settings
from models.errors import DomainError, ErrorCode
from resolvers.streams import close_socket
from resolvers.auth import current_principal
from schema.mutation import Mutation
from schema.cost import MeteredExecutionContext, cost_limiter
from schema.subscription import Subscription
from schema.query import Query
from schema.types.documents import Document
from schema.types.events import Event
from schema.types.org import OrgUnit, User
from schema.types.attachments import Attachment
from schema.types.turnos import Response, Turno

log = logging.getLogger("mcs.errors")


def is_expected(error: GraphQLError) -> bool:
    """Errors the client may read as they are: syntax/validation, auth, permissions, domain.
    A variable whose value does not fit its type (an unknown enum value, a string for an Int)
    carries graphql-core's own GraphQLError as the original: a message for the client too."""
    original = error.original_error
    return original is None or isinstance(original, (DomainError, StrawberryGraphQLError, GraphQLError))


class MaskUnexpectedErrors(MaskErrors):
    """Anything unforeseen is logged with the request id and reaches the client as a generic message."""

    def __init__(self):
        super().__init__(should_mask_error=lambda error: not is_expected(error))

    def _process_result(self, result: object) -> None:
        # strawberry checks isinstance against a runtime Protocol, which costs ~0.2 ms per
        # result: 30% of the server's CPU when one event goes to 1,000 subscribers (bench/REALTIME.md)
        errors = getattr(result, "errors", None)
        if errors:
            setattr(result, "errors", self._process_errors(errors))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "-")
        original = error.original_error
        if original is not None and database_unavailable(original):
            # not a bug: the database is out of reach (core/outages.py); over HTTP the view answers
            # 503. A subscription keeps the code INTERNAL, the one its clients resume after
            # (client-examples/); either way one line in the log, no traceback
            log.warning(
                "database unavailable [request %s] at %s: %s",
                request_id,
                error.path,
                outages.describe(original),
            )
            subscription = self.execution_context.operation_type == OperationType.SUBSCRIPTION
            return GraphQLError(
                outages.MESSAGE,
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions={"code": "INTERNAL" if subscription else outages.CODE, "requestId": request_id},
            )
        log.error("unexpected error [request %s] at %s", request_id, error.path, exc_info=error.original_error)
        return GraphQLError(
            f"Error interno del servidor (solicitud {request_id}).",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL", "requestId": request_id},
        )


class WebsocketOperationScope(SchemaExtension):
    """Every operation sent over a websocket is authorized with the session's current state (the
    socket was authenticated once, maybe hours ago): an expired or logged-out token, a changed
    password or a deactivated user is refused, and the socket closed (4403); changed memberships
    take effect. A query or mutation then gets its own database scope (the websocket's context
    has none: it lives as long as the connection)."""

    async def on_execute(self):
        context = self.execution_context.context
        if getattr(context, "_scope", True) is not None:  # HTTP: authorized by its own request
            yield
            return
        principal = await current_principal(context)
        if principal is None:
            close_socket_soon(context)
            raise DomainError(ErrorCode.UNAUTHENTICATED, "La sesión terminó: inicie sesión de nuevo.")
        context.principal = principal
        if self.execution_context.operation_type == OperationType.SUBSCRIPTION:
            yield
            return
        async with context.scoped() as scoped_ctx:
            self.execution_context.context = scoped_ctx  # this operation's own database scope
            yield


def close_socket_soon(context) -> None:
    """Close with 4403 once the refusal is on its way (closing first would drop it)."""

    async def close():
        await asyncio.sleep(0.05)
        await close_socket(context, 4403, "Sesión terminada")

    context.closing = asyncio.get_running_loop().create_task(close())  # a reference keeps it alive


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


class RefuseNulCharacters(SchemaExtension):
    """A NUL character in a text (a filter, a name) is refused up front: PostgreSQL cannot store
    or compare it, and it would surface as a server error deep inside a query."""

    async def on_execute(self):
        context = self.execution_context
        if "\\u0000" in (context.query or "") or _has_nul(context.variables):
            raise DomainError(ErrorCode.VALIDATION, "Un texto contiene el carácter nulo (U+0000), que no se admite.")
        yield


class MCSSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """Expected errors (auth, permissions, domain) are answers, not incidents: no traceback in
        the log. Unexpected ones were already logged with their request id when masked."""
        unexpected = [
            e
            for e in errors
            if not is_expected(e) and e.original_error is not None and not database_unavailable(e.original_error)
        ]  # logged in one line when masked
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings(database_url="sqlite://", redis_url=None, files_dir=Path("."), secret_key="-")
    # factories: strawberry builds fresh extension instances per request
    # the depth and alias rules are classes made once here: a new class per request would make
    # every request miss the ValidationCache below (its key includes the rules)
    limits = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    extensions = [
        lambda: AddValidationRules(limits),
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        # after validation, before any resolver (and before WebsocketOperationScope opens a scope):
        # what the operation may cost with its variables (schema/cost.py)
        cost_limiter(settings),
        MaskUnexpectedErrors,
        RefuseNulCharacters,
        WebsocketOperationScope,
        # clients send the same few operations over and over: parse and validate each text once
        # (bounded LRUs, so unique texts cannot grow memory); measured 11% of registerDocument's CPU
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
    ]
    if not settings.introspection:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return MCSSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[OrgUnit, User, Document, Event, Turno, Response, Attachment],
        extensions=extensions,
        execution_context_class=MeteredExecutionContext,
    )
