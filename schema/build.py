"""The assembled schema with its guards: depth, tokens, aliases, masked unexpected errors."""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.exceptions import StrawberryGraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType
from strawberry.extensions import (
    AddValidationRules, MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, ParserCache, QueryDepthLimiter,
    ValidationCache,
)
from graphql.validation import NoSchemaIntrospectionCustomRule

from mcs.settings import Settings
from models.errors import DomainError
from schema.mutation import Mutation
from schema.shared_render import SharedRenderExecutionContext
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
            result.errors = self._process_errors(errors)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "-")
        log.error("unexpected error [request %s] at %s", request_id, error.path, exc_info=error.original_error)
        return GraphQLError(
            f"Error interno del servidor (solicitud {request_id}).", nodes=error.nodes, source=error.source,
            positions=error.positions, path=error.path, extensions={"code": "INTERNAL", "requestId": request_id},
        )


class WebsocketOperationScope(SchemaExtension):
    """A query or mutation sent over a websocket gets its own database scope (the websocket's
    context has none: it lives as long as the connection)."""

    async def on_execute(self):
        context = self.execution_context.context
        needs_scope = (getattr(context, "_scope", True) is None
                       and self.execution_context.operation_type != OperationType.SUBSCRIPTION)
        if not needs_scope:
            yield
            return
        async with context.event_scope():
            yield


class MCSSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """Expected errors (auth, permissions, domain) are answers, not incidents: no traceback in
        the log. Unexpected ones were already logged with their request id when masked."""
        unexpected = [e for e in errors if not is_expected(e) and e.original_error is not None]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings(database_url="sqlite://", redis_url=None, files_dir=".", secret_key="-")
    # factories: strawberry builds fresh extension instances per request
    # the depth and alias rules are classes made once here: a new class per request would make
    # every request miss the ValidationCache below (its key includes the rules)
    limits = [*QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
              *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules]
    extensions = [
        lambda: AddValidationRules(limits),
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        MaskUnexpectedErrors,
        WebsocketOperationScope,
        # clients send the same few operations over and over: parse and validate each text once
        # (bounded LRUs, so unique texts cannot grow memory); measured 11% of registerDocument's CPU
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
    ]
    if not settings.introspection:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return MCSSchema(query=Query, mutation=Mutation, subscription=Subscription, types=[OrgUnit, User, Document, Event, Turno, Response, Attachment], extensions=extensions,
                     execution_context_class=SharedRenderExecutionContext)
