"""Global Node IDs: opaque base64 of "Type:primary key"."""

from __future__ import annotations

import strawberry

from core.global_ids import decode_global_id, encode_global_id

from models.base import parse_key
from models.errors import DomainError, ErrorCode


def to_global_id(type_name: str, pk: int | str) -> strawberry.ID:
    return strawberry.ID(encode_global_id(type_name, pk))


def from_global_id(global_id: str) -> tuple[str, str] | None:
    return decode_global_id(global_id)


# what each type is called in the messages people read
TYPE_ES = {
    "OrgUnit": "una unidad",
    "User": "un usuario",
    "Document": "un documento",
    "Turno": "un turno",
    "Response": "una respuesta",
    "Attachment": "un archivo",
    "Event": "un evento",
    "Export": "una exportación",
}


def decode_id(global_id: str, expected: str, field: str) -> int:
    """The integer key of an ID of the expected type, or a NOT_FOUND error naming the field."""
    key = node_key(global_id, expected)
    if key is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"El identificador no corresponde a {TYPE_ES[expected]}.", field)
    return key


def node_key(global_id: str, expected: str | None = None) -> int | None:
    """The database key of a global ID (of the expected type, if given), or None."""
    parsed = from_global_id(global_id)
    if parsed is None or (expected is not None and parsed[0] != expected):
        return None
    return parse_key(parsed[1])


def decode_optional_id(global_id: str | None, expected: str, field: str) -> int | None:
    return None if global_id is None else decode_id(global_id, expected, field)
