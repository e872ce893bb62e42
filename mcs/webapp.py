"""The web application at `/`: the files `make` builds into web/dist, served by the same app as the
API. Client routes (/bandeja, /turno/…) fall back to index.html; the API's own paths keep their
meaning (they are matched first, and an unknown one under them is a 404, not the app).

It is installable: its manifest (/manifest.webmanifest) and icons (/icons/), and a service worker
(/sw.js, scope /, web/src/sw.ts) that keeps the app's shell for offline reloads; browsers look for
a new worker on every navigation, so it is never cached by HTTP (`no-cache`)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

DIST = Path(__file__).resolve().parents[1] / "web" / "dist"
API_PREFIXES = (
    "graphql",
    "files",
    "exports",
    "health",
    "documents",
    "turnos",
    "verificar",
    "graphiql",
    "assets",
    "icons",
)

# The app talks to its own origin only (fetch and the websocket); nothing is loaded from elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        "frame-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",  # the shell names the hashed assets of the current version
}

MISSING = """<!doctype html><html lang="es"><meta charset="utf-8"><title>MCS</title>
<body style="font-family:system-ui;max-width:40rem;margin:3rem auto;padding:0 1rem">
<h1>La aplicación web no está construida</h1>
<p>Ejecute <code>make run</code> (o <code>make web</code>) en la carpeta del proyecto: construye la
aplicación en <code>web/dist</code>. La API sigue disponible en <a href="/graphql">/graphql</a>.</p></body></html>"""


class CachedFiles(StaticFiles):
    """Static files with one Cache-Control for all of them."""

    def __init__(self, *, cache_control: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cache_control = cache_control

    def file_response(self, *args, **kwargs) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = self.cache_control
        return response


IMMUTABLE = "public, max-age=31536000, immutable"  # Vite names each asset after its content
ICONS_CACHE = "public, max-age=86400"  # the icons keep their names: a changed one is seen within a day


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

    def file(name: str, media_type: str):
        async def endpoint(request: Request) -> Response:
            path = dist / name
            if not path.is_file():
                return Response("No existe.", status_code=404, media_type="text/plain; charset=utf-8")
            return FileResponse(path, media_type=media_type, headers=SECURITY_HEADERS)  # no-cache

        return endpoint

    return [
        Mount(
            "/assets", CachedFiles(directory=dist / "assets", check_dir=False, cache_control=IMMUTABLE), name="assets"
        ),
        Mount(
            "/icons", CachedFiles(directory=dist / "icons", check_dir=False, cache_control=ICONS_CACHE), name="icons"
        ),
        Route("/sw.js", file("sw.js", "text/javascript; charset=utf-8"), methods=["GET", "HEAD"]),
        Route(
            "/manifest.webmanifest", file("manifest.webmanifest", "application/manifest+json"), methods=["GET", "HEAD"]
        ),
        Route("/{path:path}", shell, methods=["GET", "HEAD"]),
    ]
