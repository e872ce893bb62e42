"""Links back to the web app in what notifications say (MCS_PUBLIC_URL)."""

from __future__ import annotations

from urllib.parse import quote

from core.global_ids import encode_global_id

DEFAULT_PUBLIC_URL = "http://localhost:8000"


def turno_path(turno_id: int) -> str:
    """The web app's route to a turno, its id encoded as the app encodes it."""
    return f"/turno/{quote(encode_global_id('Turno', turno_id), safe='')}"


def turno_link(settings, turno_id: int) -> str:
    return (settings.public_url or DEFAULT_PUBLIC_URL).rstrip("/") + turno_path(turno_id)
