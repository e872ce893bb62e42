"""Downloads: GET /files/{id} (streamed, with ETag, conditional requests and HTTP Range) and
GET /exports/{id} (the owner's Excel file). Both take a Bearer token or a signed link
(resolvers/links.py) and answer 404 for what the caller may not see, exactly as for what does
not exist."""

from __future__ import annotations

import os
import re

from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse

from files.names import content_disposition
from resolvers.auth import authenticate, bearer_token
from files.xlsx import CONTENT_TYPE as XLSX_CONTENT_TYPE
from resolvers.downloads import downloadable, principal_from_signature
from resolvers.exports import downloadable_export, exports_dir
from resolvers.links import principal_from_link
from schema.ids import node_key

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def not_found() -> Response:
    return Response("No existe o no tiene acceso.", status_code=404, media_type="text/plain; charset=utf-8")


def unauthorized() -> Response:
    return Response(
        "Inicie sesión para descargar.",
        status_code=401,
        media_type="text/plain; charset=utf-8",
        headers={"WWW-Authenticate": "Bearer"},
    )


def requested_id(request: Request, type_name: str) -> int | None:
    """The database id behind the path's global id, if it names a `type_name`."""
    return node_key(request.path_params["id"], type_name)


async def download(request: Request) -> Response:
    services = request.app.state.services
    attachment_id = requested_id(request, "Attachment")
    if attachment_id is None:
        return not_found()
    async with services.db.session() as session:
        token = bearer_token(request.headers.get("authorization"))
        if token:
            principal = await authenticate(services, session, token)
        elif signature := request.query_params.get("t"):
            principal = await principal_from_signature(services, session, attachment_id, signature)
        else:
            principal = None
        if principal is None:
            return unauthorized()
        attachment = await downloadable(session, principal, attachment_id)
    if attachment is None or not services.storage.exists(attachment.sha256):
        return not_found()

    etag = f'"{attachment.sha256}"'
    # no-store: the URL carries a credential (?t=) and the file may be confidential; a shared or
    # later user of the browser must not find it in the cache. Referrer-Policy: a PDF's links
    # must not send the signed URL to another site.
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-store",
        "Referrer-Policy": "no-referrer",
        "Content-Disposition": content_disposition(attachment.filename),
        "X-Content-Type-Options": "nosniff",
    }
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)

    size = attachment.size
    start, end, status = 0, size - 1, 200
    range_header = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if range_header and (if_range is None or if_range == etag):
        match = RANGE.match(range_header.strip())
        first, last = (match.group(1), match.group(2)) if match else ("", "")
        if not match or (first == "" and last == ""):
            return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
        if first == "":  # the last N bytes
            start, end = max(0, size - int(last)), size - 1
        else:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
        if start >= size or start > end:
            return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers, media_type=attachment.content_type)
    return StreamingResponse(
        services.storage.read_range(attachment.sha256, start, end),
        status_code=status,
        headers=headers,
        media_type=attachment.content_type,
    )


async def download_export(request: Request) -> Response:
    """GET /exports/{id}?t=<signed> (or with a Bearer token): the owner's DONE file. A bad
    signature answers 404 like a missing export (the link names the export); no credentials or
    a bad Bearer token, 401."""
    services = request.app.state.services
    export_id = requested_id(request, "Export")
    if export_id is None:
        return not_found()
    async with services.db.session() as session:
        token = bearer_token(request.headers.get("authorization"))
        if token:
            principal = await authenticate(services, session, token)
            if principal is None:
                return unauthorized()
        elif signature := request.query_params.get("t"):
            principal = await principal_from_link(services, session, "exports", export_id, signature)
        else:
            return unauthorized()
        export = await downloadable_export(services, session, principal, export_id) if principal else None
    if export is None or not export.file_key:
        return not_found()
    path = exports_dir(services) / export.file_key
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return not_found()
    return FileResponse(
        path,
        stat_result=stat,
        media_type=XLSX_CONTENT_TYPE,
        headers={
            "Content-Disposition": content_disposition(export.filename, inline=False),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )
