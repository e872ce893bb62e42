"""The web application at `/`: the files `make` builds into web/dist, served by the same app as the
API. Client routes (/bandeja, /turno/…) fall back to index.html; the API's own paths keep their
meaning (they are matched first, and an unknown one under them is a 404, not the app)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

DIST = Path(__file__).resolve().parents[1] / "web" / "dist"
API_PREFIXES = ("graphql", "files", "exports", "health", "documents", "turnos", "verificar", "graphiql", "assets")

# The app talks to its own origin only (fetch and the websocket); nothing is loaded from elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        "frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",  # the shell names the hashed assets of the current version
}

MISSING = """<!doctype html><html lang="es"><meta charset="utf-8"><title>MCS</title>
<body style="font-family:system-ui;max-width:40rem;margin:3rem auto;padding:0 1rem">
<h1>La aplicación web no está construida</h1>
<p>Ejecute <code>make run</code> (o <code>make web</code>) en la carpeta del proyecto: construye la
aplicación en <code>web/dist</code>. La API sigue disponible en <a href="/graphql">/graphql</a>.</p></body></html>"""


class ImmutableAssets(StaticFiles):
    """Vite names each asset after its content: a name never changes meaning."""

    def file_response(self, *args, **kwargs) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def routes(dist: Path | None = None) -> list:
    """Last in the app's routes: the assets, then every other GET path to the app's shell."""
    dist = dist or DIST

    async def shell(request: Request) -> Response:
        first = request.url.path.strip("/").split("/", 1)[0]
        if first in API_PREFIXES:
            return Response("No existe.", status_code=404, media_type="text/plain; charset=utf-8")
        index = dist / "index.html"
        if not index.is_file():
            return HTMLResponse(MISSING, status_code=503)
        return FileResponse(index, headers=SECURITY_HEADERS)

    return [Mount("/assets", ImmutableAssets(directory=dist / "assets", check_dir=False), name="assets"),
            Route("/{path:path}", shell, methods=["GET", "HEAD"])]
