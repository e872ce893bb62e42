"""Global IDs: opaque base64 of "Type:primary key", the identity of every object outside the
database (the API's Node IDs, the web app's addresses, links in e-mail). schema/ids.py adds the
GraphQL side (types, errors naming the field)."""

from __future__ import annotations

import base64
import binascii


def encode_global_id(type_name: str, pk: int | str) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def decode_global_id(global_id: str) -> tuple[str, str] | None:
    """(type name, key as text), or None for anything that is not a global ID."""
    try:
        raw = base64.b64decode(str(global_id).encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, sep, pk = raw.partition(":")
    return (type_name, pk) if sep and type_name and pk else None
