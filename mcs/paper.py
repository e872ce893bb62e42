"""The printed papers over HTTP: GET /documents/{id}/acuse.pdf and GET /turnos/{id}/volante.pdf
(a Bearer token or a signed link `?t=`, like /files), and the public verification page
GET /verificar/{code} that their QR codes open.

No credentials, or a link that no longer holds (expired, forged, the user's access changed):
401. What the caller may not see, a malformed id or an unknown code: 404, all alike.
"""

from __future__ import annotations

import asyncio
import re

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from files.names import content_disposition
from files.paper import render_acuse, render_volante
from files.verification_page import render_unknown, render_verified
from mcs.downloads import not_found, requested_id, unauthorized
from resolvers.auth import authenticate, bearer_token
from resolvers.links import principal_from_link
from resolvers.paper import ACUSE_LINK, VOLANTE_LINK, acuse_for, paper_filename, verified, volante_for

CODE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")  # what models.verification.new_code makes, with room

PDF_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# the code in the address is the only key to the page: it is not passed on, indexed or framed
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
}


def public_base(request: Request) -> str:
    """Where the QR points: MCS_PUBLIC_URL, else this request's own address (uvicorn runs with
    proxy_headers, so behind a proxy it is the address the client used)."""
    return request.app.state.services.settings.public_url or str(request.base_url)


async def _caller(request: Request, services, session, kind: str, object_id: int):
    if token := bearer_token(request.headers.get("authorization")):
        return await authenticate(services, session, token)
    if signature := request.query_params.get("t"):
        return await principal_from_link(services, session, kind, object_id, signature)
    return None


async def _paper(
    request: Request, *, type_name: str, link_kind: str, load, render, prefix: str, number: str
) -> Response:
    services = request.app.state.services
    object_id = requested_id(request, type_name)
    if object_id is None:
        return not_found()
    async with services.db.session() as session:
        principal = await _caller(request, services, session, link_kind, object_id)
        if principal is None:
            return unauthorized()
        paper = await load(services, session, principal, object_id, public_base(request))
    if paper is None:
        return not_found()
    pdf = await asyncio.to_thread(render, paper)  # reportlab is CPU-bound: off the event loop
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            **PDF_HEADERS,
            "Content-Disposition": content_disposition(paper_filename(prefix, getattr(paper, number))),
        },
    )


async def acuse(request: Request) -> Response:
    return await _paper(
        request,
        type_name="Document",
        link_kind=ACUSE_LINK,
        load=acuse_for,
        render=render_acuse,
        prefix="acuse",
        number="folio",
    )


async def volante(request: Request) -> Response:
    return await _paper(
        request,
        type_name="Turno",
        link_kind=VOLANTE_LINK,
        load=volante_for,
        render=render_volante,
        prefix="volante",
        number="turno_number",
    )


async def verify(request: Request) -> Response:
    services = request.app.state.services
    code = request.path_params["code"]
    view = None
    if CODE.match(code):
        async with services.db.session() as session:
            view = await verified(services, session, code)
    if view is None:
        return HTMLResponse(render_unknown(), status_code=404, headers=PAGE_HEADERS)
    return HTMLResponse(render_verified(view), headers=PAGE_HEADERS)


ROUTES = [
    Route("/documents/{id}/acuse.pdf", acuse, methods=["GET"]),
    Route("/turnos/{id}/volante.pdf", volante, methods=["GET"]),
    Route("/verificar/{code}", verify, methods=["GET"]),
]
