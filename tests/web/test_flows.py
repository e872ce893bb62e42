"""The day's work through the screens: open a turno from the Bandeja, acknowledge it, answer it with
a file while its sender watches the turno live and accepts; register a document on a phone with a
file; and the same way in by keyboard alone."""

import re

from playwright.async_api import Page, expect

from tests.web.conftest import (
    DESKTOP,
    ON_SQLITE,
    PHONE,
    TURNO_NUMBER,
    axe,
    fits_narrow_phone,
    screenshots,
    sign_in,
    tab_to,
    turno_row,
    url,
    wait_until,
)
from tests.world import PASSWORD

pytestmark = ON_SQLITE

ANSWER = "Se remite el informe de plantilla solicitado, con la firma del titular."
FOLIO = re.compile(r"DG\/2026\/\d{6}")

TURNO_STATE = """query($id: ID!) { node(id: $id) { ... on Turno { number status receivedAt
  responses { body evaluation { decision evaluatedBy { username } } attachments { filename contentType size } } } } }"""
DOCUMENT_BY_FOLIO = """query($search: String!) { documents(filter: {search: $search}, first: 5) { edges { node {
  id folio subject origin documentType sender { level name } attachments { filename contentType size } } } } }"""


def pdf_bytes(title: str) -> bytes:
    """A small real PDF (reportlab), as a scanner would give."""
    from io import BytesIO

    from reportlab.pdfgen import canvas

    buffer = BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, title)
    page.showPage()
    page.save()
    return buffer.getvalue()


def status_or_alert(page: Page):
    return page.get_by_role("status").or_(page.get_by_role("alert"))


def button(page: Page, name: str):
    """docs/ui.md: a name matches case-insensitively as a prefix ("Responder turno" answers to "Responder")."""
    return page.get_by_role("button", name=re.compile(rf"^{re.escape(name)}", re.I))


async def test_acknowledge_answer_with_a_file_and_the_sender_accepts_live(server, browsing, api, world, mail, request):
    number, turno_id = mail.numbers["red"], mail.ids["red"]

    # the sender has the turno open: it must change under their eyes
    sender = await browsing.page()
    await sign_in(sender, server, "dg_reg", path=f"/turno/{turno_id}")
    await expect(sender.get_by_role("heading", name=number)).to_be_visible()
    await expect(button(sender, "Aceptar")).to_have_count(0)
    await sender.evaluate("window.__sameDocument = true")

    # the receiver opens it from the Bandeja
    receiver = await browsing.page()
    await sign_in(receiver, server, "da_staff")
    await turno_row(receiver, number).get_by_role("link", name=number).click()
    await expect(receiver).to_have_url(re.compile(r"/turno/"))
    await expect(receiver.get_by_role("heading", name=number)).to_be_visible()
    await server.wait_live(2)

    await button(receiver, "Acusar recibo").click()
    await expect(button(receiver, "Acusar recibo")).to_have_count(0)
    await expect(status_or_alert(receiver).filter(has_text=re.compile("recibo", re.I))).to_be_visible()
    state = (await api.ok(TURNO_STATE, {"id": turno_id}, token=world.tokens["da_staff"]))["node"]
    assert state["status"] == "RECEIVED" and state["receivedAt"]
    await expect(sender.get_by_text("Recibido").first).to_be_visible()  # live on the sender's screen

    await button(receiver, "Responder").click()
    await receiver.get_by_role("textbox", name=re.compile("^Respuesta", re.I)).fill(ANSWER)
    await receiver.get_by_label(re.compile("^Archivos", re.I)).set_input_files(
        files=[
            {
                "name": "informe-plantilla.pdf",
                "mimeType": "application/pdf",
                "buffer": pdf_bytes("Informe de plantilla"),
            }
        ]
    )
    await axe(receiver, "Turno, formulario de respuesta con un archivo")
    await button(receiver, "Enviar respuesta").click()
    await expect(receiver.get_by_text(ANSWER)).to_be_visible()
    await expect(receiver.get_by_role("link", name="informe-plantilla.pdf")).to_be_visible()

    # the sender sees the answer and its file without reloading, and accepts it
    await expect(sender.get_by_text(ANSWER)).to_be_visible(timeout=10_000)
    file_link = sender.get_by_role("link", name="informe-plantilla.pdf")
    await expect(file_link).to_be_visible()
    download = await sender.request.get(url(server, await file_link.get_attribute("href")))
    assert download.status == 200 and (await download.body()).startswith(b"%PDF"), download.status
    assert await sender.evaluate("window.__sameDocument === true"), "the sender's page reloaded"
    await axe(sender, "Turno, respuesta por evaluar")
    await screenshots(sender, request, "Turno-por-evaluar")
    await button(sender, "Aceptar").click()
    await expect(button(sender, "Aceptar")).to_have_count(0)
    await expect(sender.get_by_text("Concluido").first).to_be_visible()
    await expect(receiver.get_by_text("Concluido").first).to_be_visible(timeout=10_000)  # live for the receiver too

    state = (await api.ok(TURNO_STATE, {"id": turno_id}, token=world.tokens["dg_reg"]))["node"]
    assert state["status"] == "CONCLUDED"
    [answer] = state["responses"]
    assert answer["body"] == ANSWER
    assert answer["evaluation"] == {"decision": "ACCEPT", "evaluatedBy": {"username": "dg_reg"}}
    assert [(a["filename"], a["contentType"]) for a in answer["attachments"]] == [
        ("informe-plantilla.pdf", "application/pdf")
    ]


async def choose(page: Page, label: str, preferred: str) -> str:
    """Pick the option of the <select> labelled `label` whose text matches `preferred` (else the first real one)."""
    field = page.get_by_label(re.compile(rf"^{re.escape(label)}", re.I)).first
    options = await field.evaluate(
        "el => [...el.options].filter(o => o.value && !o.disabled).map(o => ({value: o.value, label: o.label}))"
    )
    pick = next((o for o in options if re.search(preferred, o["label"], re.I)), options[0])
    await field.select_option(value=pick["value"])
    return pick["label"]


async def test_register_a_document_with_a_file_on_a_phone(server, browsing, api, world, request):
    page = await browsing.page(viewport=PHONE)
    await sign_in(page, server, "dg_reg")
    await page.get_by_role("navigation").get_by_role("link", name="Registrar").click()
    await expect(page.get_by_label(re.compile("^Asunto", re.I))).to_be_visible()

    await choose(page, "Tipo de documento", "oficio")
    await choose(page, "Origen", "extern")
    await page.get_by_label(re.compile("^Asunto", re.I)).fill("Solicitud de información del padrón de vivienda")
    await page.get_by_label(re.compile("^Nombre del remitente", re.I)).fill("Lic. María Pérez")
    await choose(page, "Nivel del remitente", "estatal")
    await page.get_by_label(re.compile("^Archivos", re.I)).set_input_files(
        files=[{"name": "oficio-escaneado.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("Oficio 456")}]
    )
    await screenshots(page, request, "Registrar-lleno")
    await button(page, "Registrar").click()

    announced = status_or_alert(page).filter(has_text=FOLIO)
    await expect(announced).to_be_visible(timeout=10_000)
    folio = FOLIO.search(await announced.inner_text()).group(0)
    await expect(page.get_by_role("link", name=re.compile("Acuse de recibo"))).to_be_visible()
    await fits_narrow_phone(page, "Registrar, registrado")
    await axe(page, "Registrar, registrado")
    await screenshots(page, request, "Registrar-registrado")

    found = await api.ok(DOCUMENT_BY_FOLIO, {"search": folio}, token=world.tokens["dg_reg"])
    [document] = [e["node"] for e in found["documents"]["edges"] if e["node"]["folio"] == folio]
    assert document["subject"] == "Solicitud de información del padrón de vivienda"
    assert document["origin"] == "EXTERNAL" and document["sender"] == {"level": "STATE", "name": "Lic. María Pérez"}
    assert [(a["filename"], a["contentType"]) for a in document["attachments"]] == [
        ("oficio-escaneado.pdf", "application/pdf")
    ]


async def test_keyboard_only_sign_in_open_a_turno_and_acknowledge_it(server, browsing, mail):
    page = await browsing.page(viewport=DESKTOP)
    await page.goto(url(server))
    await tab_to(page, lambda f: f["label"] == "Usuario")
    await page.keyboard.type("da_staff")
    await tab_to(page, lambda f: f["label"] == "Contraseña", limit=3)
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("link", name=mail.numbers["red"])).to_be_visible()

    # to the newest turno's link (the focus is visible on the way), and open it with Enter
    first = await tab_to(page, lambda f: f["tag"] == "a" and TURNO_NUMBER.fullmatch(f["text"] or ""))
    assert first["outline"], f"the focused link shows no focus indicator: {first}"
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/turno/"))
    await expect(page.get_by_role("heading", name=first["text"])).to_be_visible()

    # then its first action, by keyboard too
    ack = await tab_to(page, lambda f: f["tag"] == "button" and f["text"].lower().startswith("acusar recibo"))
    assert ack["outline"], f"the focused button shows no focus indicator: {ack}"
    await page.keyboard.press("Enter")
    await expect(button(page, "Acusar recibo")).to_have_count(0)
    await expect(status_or_alert(page).filter(has_text=re.compile("recibo", re.I))).to_be_visible()


TURNO_DUE = """query($id: ID!) { node(id: $id) { ... on Document { turnos { number dueDate dueDateExplanation
  instruction toUnit { acronym } } } } }"""


async def test_turn_a_document_showing_the_due_date_before_sending_and_it_arrives_live(server, browsing, api, world):
    from tests.workflow import Flow

    document = await Flow(api, world).register(
        user="dg_reg", unit="DG", reference="REF/turnar", subject="Solicitud de opinión jurídica"
    )
    receiver = await browsing.page()
    await sign_in(receiver, server, "dj_staff")
    await expect(receiver.get_by_role("heading", name="Bandeja")).to_be_visible()

    page = await browsing.page()
    await sign_in(page, server, "dg_reg", path=f"/documento/{document['id']}")
    await expect(page.get_by_text(document["folio"]).first).to_be_visible()
    await server.wait_live(2)
    await button(page, "Turnar").click()
    picker = (
        page.get_by_role("combobox", name=re.compile("^Unidad destinataria", re.I))
        .or_(page.get_by_label(re.compile("^Unidad destinataria", re.I)))
        .first
    )
    await picker.fill("DJ")
    await page.get_by_role("option", name=re.compile(r"\bDJ\b")).first.click()
    await choose(page, "Instrucción", "respuesta")
    await page.get_by_label(re.compile("^Días hábiles", re.I)).fill("3")
    # Monday 2 March + 3 business days: Thursday 5 March, shown before sending
    due = re.compile(r"\b5 (de )?mar(zo|\.)?,?( de)? 2026", re.I)
    await expect(page.get_by_text(due).first).to_be_visible()
    preview = await page.locator("form").filter(has=page.get_by_label(re.compile("^Días hábiles", re.I))).inner_text()
    await axe(page, "Documento, formulario de turno")
    await button(page, "Enviar turno").click()

    async def turnos():
        return (await api.ok(TURNO_DUE, {"id": document["id"]}, token=world.tokens["dg_reg"]))["node"]["turnos"]

    sent = await wait_until(turnos)
    assert [(t["toUnit"]["acronym"], t["instruction"], t["dueDate"]) for t in sent] == [
        ("DJ", "RESPONSE", "2026-03-05")
    ]
    assert sent[0]["dueDateExplanation"] and sent[0]["dueDateExplanation"] in " ".join(preview.split())
    number = sent[0]["number"]
    await expect(page.get_by_role("link", name=number).or_(page.get_by_text(number)).first).to_be_visible()

    # the receiving unit sees it arrive, on top and marked new
    await expect(turno_row(receiver, number)).to_contain_text("Nuevo", timeout=10_000)
