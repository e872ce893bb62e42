"""GraphiQL without internet: our copy of strawberry's page (graphiql.html beside this file),
whose scripts and styles the app serves itself at /graphiql/assets/ from web/vendor/graphiql
(pinned in web/package-lock.json, copied there by `make`)."""

from __future__ import annotations

import functools
import html
import re
from pathlib import Path

from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

ASSETS_DIR = Path(__file__).resolve().parents[1] / "web" / "vendor" / "graphiql"
ASSETS_PREFIX = "graphiql/assets/"  # relative to /graphql, so it also works under a path prefix
PAGE = Path(__file__).with_name("graphiql.html")
# every asset URL holds its package's version: a new version is a new URL, so caching forever is safe
IMMUTABLE = "public, max-age=31536000, immutable"


class Assets(StaticFiles):
    async def check_config(self) -> None:
        """No startup check: while the folder is missing (no `make` yet) assets answer 404 and the
        page says what to do, instead of every request failing."""

    def file_response(self, *args, **kwargs) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["cache-control"] = IMMUTABLE
        return response


def assets_mount() -> Mount:
    return Mount("/" + ASSETS_PREFIX.rstrip("/"), app=Assets(directory=ASSETS_DIR, check_dir=False))


@functools.cache
def page_html() -> str:
    return PAGE.read_text(encoding="utf-8")


def asset_paths(page: str) -> list[str]:
    """The assets the page loads, relative to ASSETS_DIR."""
    return re.findall(r'(?:src|href)="' + re.escape(ASSETS_PREFIX) + r'([^"]+)"', page)


def missing_assets() -> list[str]:
    return [path for path in asset_paths(page_html()) if not (ASSETS_DIR / path).is_file()]


MISSING_PAGE = """<!doctype html>
<html lang="es">
<head><meta charset="utf-8"><title>MCS · GraphiQL no disponible</title></head>
<body style="font-family: sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>GraphiQL no está disponible</h1>
<p>Faltan sus archivos en <code>web/vendor/graphiql</code>. Ejecute <code>make</code> (o <code>make run</code>)
en la carpeta del proyecto para instalarlos y recargue esta página.</p>
<p>La API GraphQL sí funciona: envíe sus consultas por POST a esta misma dirección.</p>
<p>Archivos faltantes:</p>
<ul>{missing}</ul>
</body>
</html>
"""


def render() -> HTMLResponse:
    """The GraphiQL page, or, without its assets, a page saying to run `make` (not a broken page)."""
    if missing := missing_assets():
        items = "".join(f"<li><code>{html.escape(path)}</code></li>" for path in missing)
        return HTMLResponse(MISSING_PAGE.format(missing=items), status_code=503)
    return HTMLResponse(page_html())
