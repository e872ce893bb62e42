"""Safe file names: what we keep of the client's name, and what we send back in downloads."""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath, PureWindowsPath
from urllib.parse import quote

MAX_NAME = 200


def sanitize_filename(name: str | None, fallback: str = "archivo") -> str:
    """Keep the last path component, drop control and reserved characters, limit the length."""
    name = unicodedata.normalize("NFC", name or "")
    name = PureWindowsPath(PurePosixPath(name).name).name  # no directories of either kind
    name = re.sub(r'[\x00-\x1f\x7f<>:"/\\|?*]', "_", name).strip(" .")
    if not name:
        return fallback
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_NAME - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:MAX_NAME]
    return name


def content_disposition(filename: str, inline: bool = True) -> str:
    """RFC 6266: an ASCII fallback plus the UTF-8 name (accents survive)."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode() or "archivo"
    ascii_name = ascii_name.replace('"', "_").replace("\\", "_")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
