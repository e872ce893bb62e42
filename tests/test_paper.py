"""The printed papers: the acuse de recibo and the volante de turno (PDF read back with pypdf,
QR decoded from the rendered page), their access rules, and the public verification page."""

import asyncio
import dataclasses
import io
import re
from urllib.parse import quote

import pypdfium2
import zxingcpp
from pypdf import PdfReader, PdfWriter
from sqlalchemy import func, select, update

from models.users import User
from models.verification import VerificationCode
from schema.ids import to_global_id
from tests.samples import png
from tests.helpers import register_with
from tests.workflow import Flow

DOCUMENT = "query($id: ID!) { node(id: $id) { ... on Document { acuseUrl } } }"
TURNO = "query($id: ID!) { node(id: $id) { ... on Turno { number volanteUrl dueDate dueDateExplanation } } }"
VERIFY = re.compile(r"http://testserver/verificar/[A-Za-z0-9_-]+")


def pdf_pages(n: int) -> bytes:
    writer = PdfWriter()
    for _ in range(n):
        writer.add_blank_page(612, 792)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_text(content: bytes) -> str:
    """The text of every page, whitespace folded (the layout wraps long values)."""
    return " ".join(" ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages).split())


def qr_codes(content: bytes) -> list[str]:
    """What the QR codes of the first page say, read from the page rendered at 144 dpi."""
    document = pypdfium2.PdfDocument(content)
    try:
        page = document[0]
        bitmap = page.render(scale=2)
        image = bitmap.to_pil()
        bitmap.close()
        page.close()
    finally:
        document.close()
    return [result.text for result in zxingcpp.read_barcodes(image)]


async def get(api, url: str, token: str | None = None):
    return await api.client.get(url, headers={"Authorization": f"Bearer {token}"} if token else {})


async def acuse_url(api, world, document_id: str, user: str) -> str:
    return (await api.ok(DOCUMENT, {"id": document_id}, token=world.tokens[user]))["node"]["acuseUrl"]


async def test_the_acuse_prints_the_registration_and_its_qr_verifies_it(api, world):
    result = await register_with(
        api, world, [("oficio.pdf", pdf_pages(3), "application/pdf"), ("sobre.png", png(), "image/png")]
    )
    document = result["document"]
    url = await acuse_url(api, world, document["id"], "da_reg")
    assert url.startswith(f"/documents/{quote(document['id'], safe='')}/acuse.pdf?t=")

    response = await api.client.get(url)  # the signed link needs no header
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith('inline; filename="acuse-DA-2026-000001.pdf"')
    assert response.headers["cache-control"] == "private, no-store"
    text = pdf_text(response.content)
    for expected in [
        "Institución",
        "Acuse de recibo",
        document["folio"],
        "DA — Dirección de Administración",
        "Solicitud de información sobre el programa de vivienda",
        "Lic. María Pérez",
        "Directora General",
        "Secretaría de Desarrollo Urbano",
        "SEDUI/DGV/0456/2026",
        "2 archivos, 4 páginas",
        "Da Reg",
        "lunes 2 de marzo de 2026, 10:00 h",
    ]:
        assert expected in text, expected

    [verification] = qr_codes(response.content)
    assert VERIFY.fullmatch(verification) and verification in text  # printed under the QR too
    code = verification.rsplit("/", 1)[1]
    assert len(code) >= 32  # secrets.token_urlsafe(24): 192 random bits

    page = await api.client.get(verification)  # public: no credentials
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert document["folio"] in page.text and "DA — Dirección de Administración" in page.text
    for private in ["Solicitud de información", "María Pérez", "Desarrollo Urbano", "Da Reg"]:
        assert private not in page.text

    # a reprint (here with a Bearer token) carries the same code
    again = await get(api, url.split("?")[0], world.tokens["da_staff"])
    assert again.status_code == 200 and VERIFY.findall(pdf_text(again.content)) == [verification]

    unknown = await api.client.get("/verificar/" + "A" * 32)
    assert unknown.status_code == 404 and "Código no encontrado" in unknown.text
    assert (await api.client.get("/verificar/corto")).status_code == 404


async def test_a_confidential_acuse_hides_its_subject_and_sender_from_who_may_not_read_them(api, world):
    flow = Flow(api, world)
    document = await flow.register(user="srh_reg", unit="SRH", confidential=True)
    bare = f"/documents/{quote(document['id'], safe='')}/acuse.pdf"
    outside = pdf_text((await get(api, bare, world.tokens["da_viewer"])).content)  # VIEWER of an ancestor
    assert document["folio"] in outside and "Confidencial" in outside
    assert "Solicitud de información" not in outside and "María Pérez" not in outside
    assert "Sin archivos digitalizados" in outside
    inside = pdf_text((await get(api, bare, world.tokens["srh_staff"])).content)
    assert "Solicitud de información sobre el programa de vivienda" in inside and "Lic. María Pérez" in inside


async def test_who_may_not_see_the_document_gets_404_and_without_credentials_401(api, world, services):
    flow = Flow(api, world)
    document = await flow.register(user="da_reg", unit="DA")
    url = await acuse_url(api, world, document["id"], "da_reg")
    bare = url.split("?")[0]
    assert (await api.client.get(bare)).status_code == 401
    sibling = await get(api, bare, world.tokens["dj_staff"])
    bogus = await get(api, f"/documents/{quote(to_global_id('Document', 9999))}/acuse.pdf", world.tokens["admin"])
    malformed = await get(api, "/documents/no-es-un-id/acuse.pdf", world.tokens["admin"])
    assert sibling.status_code == bogus.status_code == malformed.status_code == 404
    assert sibling.text == bogus.text == malformed.text
    # a signed link names one paper of one kind: the acuse's does not open turno 1's volante
    turno_url = f"/turnos/{quote(to_global_id('Turno', 1))}/volante.pdf?" + url.split("?")[1]
    assert (await api.client.get(turno_url)).status_code == 401

    # the link stops working once the user's tokens are revoked (password change, deactivation)
    assert (await api.client.get(url)).status_code == 200
    async with services.db.transaction() as session:
        await session.execute(
            update(User).where(User.id == world.users["da_reg"].id).values(token_version=User.token_version + 1)
        )
    assert (await api.client.get(url)).status_code == 401


async def test_the_volante_prints_the_routing_and_its_deadline(api, world, services):
    flow = Flow(api, world)
    document = await flow.register(user="da_reg", unit="DA")
    sent = await flow.send(
        "da_reg",
        document=document["id"],
        recipients=[
            {"unitId": "SRH", "instruction": "RESPONSE", "businessDays": 5, "notes": "Responder al remitente."}
        ],
    )
    turno = (await api.ok(TURNO, {"id": sent["turnos"][0]["id"]}, token=world.tokens["srh_staff"]))["node"]
    response = await api.client.get(turno["volanteUrl"])
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith(
        f'inline; filename="volante-{turno["number"].replace("/", "-")}.pdf"'
    )
    text = pdf_text(response.content)
    for expected in [
        "Volante de turno",
        turno["number"],
        document["folio"],
        "DA — Dirección de Administración",
        "SRH — Subdirección de Recursos Humanos",
        "Respuesta",
        "lunes 9 de marzo de 2026",
        turno["dueDateExplanation"],
        "Responder al remitente.",
        "Da Reg",
    ]:
        assert expected in text, expected

    [verification] = qr_codes(response.content)
    page = await api.client.get(verification)
    assert page.status_code == 200
    for expected in [turno["number"], document["folio"], "SRH — Subdirección de Recursos Humanos"]:
        assert expected in page.text
    for private in ["Solicitud de información", "Responder al remitente", "Da Reg"]:
        assert private not in page.text

    # STAFF of a child unit and a sibling see neither the turno nor its volante
    bare = turno["volanteUrl"].split("?")[0]
    for user in ["drh_staff", "dj_head"]:
        assert (await get(api, bare, world.tokens[user])).status_code == 404, user

    # MCS_PUBLIC_URL: the QR points there, whatever address the request came to
    services.settings = dataclasses.replace(services.settings, public_url="https://correspondencia.example.gob.mx/")
    reprint = pdf_text((await get(api, bare, world.tokens["da_head"])).content)
    assert "https://correspondencia.example.gob.mx/verificar/" + verification.rsplit("/", 1)[1] in reprint


async def test_first_prints_at_once_share_one_code(api, world, services):
    flow = Flow(api, world)
    document = await flow.register(user="da_reg", unit="DA")
    bare = f"/documents/{quote(document['id'], safe='')}/acuse.pdf"
    responses = await asyncio.gather(*[get(api, bare, world.tokens[u]) for u in ("da_reg", "da_head", "dg_head")])
    assert len({tuple(VERIFY.findall(pdf_text(r.content))) for r in responses}) == 1
    async with services.db.session() as session:
        assert (await session.execute(select(func.count()).select_from(VerificationCode))).scalar_one() == 1


async def test_a_citizen_senders_personal_data_is_never_printed(api, world):
    flow = Flow(api, world)
    document = await flow.register(
        user="da_reg",
        unit="DA",
        sender={
            "level": "CITIZEN",
            "name": "Juan Gómez",
            "email": "juan@example.com",
            "phone": "55 1234 5678",
            "address": "Calle Reforma 10, Toluca",
        },
    )
    text = pdf_text(
        (await get(api, f"/documents/{quote(document['id'], safe='')}/acuse.pdf", world.tokens["da_reg"])).content
    )  # a member of the chain: the API shows it them
    assert "Juan Gómez" in text
    assert "juan@example.com" not in text and "1234" not in text and "Reforma" not in text
