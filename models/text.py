"""Text normalization for accent-insensitive matching (Spanish)."""

from __future__ import annotations

import unicodedata


def fold(text: str | None) -> str:
    """Lowercase without diacritics: 'Información' -> 'informacion'. 'ñ' folds to 'n' too."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))

