"""Fields whose value depends on who asks beyond their memberships, marked in the schema.

A subscription's event is rendered once for a group of subscribers with the same memberships
(schema/shared_render.py). A field marked `PerUser` (a link signed for the caller, the caller's
own records) turns that sharing off for any operation that selects it, so a new such field is
never shared between users by accident: mark it where it is declared.
"""

from __future__ import annotations

from graphql import (
    BREAK,
    GraphQLField,
    GraphQLSchema,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    visit,
)
from strawberry.extensions import FieldExtension

# where strawberry keeps, on a graphql-core field, the strawberry field it was made from
_DEFINITION = "strawberry-definition"


class PerUser(FieldExtension):
    """A marker: takes no part in resolving (no resolve method), so it costs nothing per call."""

    def apply(self, field) -> None:
        pass


def is_per_user(field: GraphQLField | None) -> bool:
    definition = (field.extensions or {}).get(_DEFINITION) if field is not None else None
    return definition is not None and any(isinstance(e, PerUser) for e in getattr(definition, "extensions", ()))


class _PerUserFinder(Visitor):
    def __init__(self, type_info: TypeInfo):
        super().__init__()
        self.type_info = type_info
        self.found = False

    def enter_field(self, *_args):
        if is_per_user(self.type_info.get_field_def()):
            self.found = True
            return BREAK
        return None


def selects_per_user(schema: GraphQLSchema, operation: OperationDefinitionNode, fragments) -> bool:
    """Whether the operation, with the fragments it may spread, selects a PerUser field."""
    for node in [operation, *fragments]:
        type_info = TypeInfo(schema)
        finder = _PerUserFinder(type_info)
        visit(node, TypeInfoVisitor(type_info, finder))
        if finder.found:
            return True
    return False
