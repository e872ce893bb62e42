"""What a file is, judged by its content (magic bytes), never by its name or declared type."""

from __future__ import annotations

import puremagic

DEFAULT_ALLOWED = ("application/pdf", "image/jpeg", "image/png", "image/tiff")
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "image/tiff": ".tif"}


def sniff(head: bytes, allowed: tuple[str, ...] = DEFAULT_ALLOWED) -> str | None:
    """The allowed MIME type the content starts like, or None (unknown or not allowed)."""
    if not head:
        return None
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        return None
    if not matches:
        return None
    best = max(m.confidence for m in matches)
    for match in matches:
        if match.confidence == best and match.mime_type in allowed:
            return match.mime_type
    return None
