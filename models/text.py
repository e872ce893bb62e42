"""Text normalization for accent-insensitive matching (Spanish)."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str | None) -> str:
    """Lowercase without diacritics: 'Información' -> 'informacion'. 'ñ' folds to 'n' too."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def natural_key(text: str) -> tuple:
    """Numbers inside a code compare as numbers: '2C' < '10C' (as people file them)."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.casefold()) for part in re.split(r"(\d+)", text) if part
    )
