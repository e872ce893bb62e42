"""Buscar and Exportar a Excel through the screens: an accentless word finds a scanned document (its
snippet marks the word), the query and the filters survive a reload, a confidential document says
"Confidencial" to who may not read it; an export of the Bandeja (and of Enviados) downloads an .xlsx
whose rows are the rows on screen, with its progress, THROTTLED and FAILED said in words; and the
quality bars of these screens."""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import load_workbook
from playwright.async_api import Page, expect

from models.exports import SHUTDOWN_ERROR
from resolvers.exports.runner import export_runner
from resolvers.text_extraction import extract_pending
from tests.samples import pdf
from tests.helpers import register_with
from tests.scans import PAGE_TREE, pdf_stream, rasterize
from tests.web.conftest import (
    DESKTOP,
    NARROWEST,
    ON_SQLITE,
    check_screen,
    sign_in,
    turno_rows,
    url,
)
from tests.workflow import Flow

pytestmark = ON_SQLITE

NUMBER = re.compile(r"^[A-Z0-9]+/\d{4}/\d{6}-T\d+$")


def scanned_letter(tmp: Path, *lines: str) -> bytes:
    """A scanned page (PNG, no text layer) of `lines` in large Helvetica, accents included."""
    content = ("BT /F1 36 Tf 60 700 Td 48 TL " + " ".join(f"({line}) Tj T*" for line in lines) + " ET").encode("cp1252")
    source = pdf(
        PAGE_TREE
        + [
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
            pdf_stream(b"", content),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        ]
    )
    return rasterize(source, tmp, "-png").read_bytes()


def result(page: Page, folio: str):
    """The result (list item) of a document: the one holding the link named by its folio."""
    return page.get_by_role("listitem").filter(has=page.get_by_role("link", name=folio, exact=True))


async def search(page: Page, text: str) -> None:
    box = page.get_by_role("searchbox", name="Buscar")
    await box.fill(text)
    await box.press("Enter")


async def numbers_on_screen(page: Page) -> list[str]:
    links = turno_rows(page).get_by_role("link", name=re.compile(r"\d{6}-T\d+"))
    return [(await link.inner_text()).strip() for link in await links.all()]


async def download_rows(page: Page, tmp_path: Path, name: str) -> list[str]:
    """Click Descargar, read the .xlsx back: the turno numbers of its first sheet, in order."""
    link = page.get_by_role("link", name=re.compile("^Descargar"))
    async with page.expect_download() as info:
        await link.click()
    download = await info.value
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    path = tmp_path / name
    await download.save_as(path)
    sheet = load_workbook(path).worksheets[0]
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [row[header.index("Número")] for row in rows]


# --- Buscar -------------------------------------------------------------------------------------


async def test_an_accentless_word_finds_a_scanned_document_and_the_snippet_marks_it(
    server, browsing, api, world, services, tmp_path, ocr_tools, request
):
    scan = scanned_letter(tmp_path, "Oficio de notificación", "a la tesorería municipal")
    registered = await register_with(
        api,
        world,
        [("escaneo del oficio.png", scan, "image/png")],
        subject="Oficio escaneado",
        summary=None,
        reference="ESC/1",
    )
    assert registered["errors"] == [], registered
    other = await Flow(api, world).register(
        user="da_reg", unit="DA", subject="Otro oficio", summary="Sin relación", reference="ESC/2"
    )
    folio = registered["document"]["folio"]
    assert await extract_pending(services) == 1  # the OCR the background task would do

    page = await browsing.page()
    await sign_in(page, server, "da_staff", path="/buscar")
    await search(page, "notificacion")
    item = result(page, folio)
    await expect(item).to_be_visible()
    await expect(page.get_by_role("status").filter(has_text="1 resultado")).to_be_visible()
    await expect(result(page, other["folio"])).to_have_count(0)
    await expect(item).to_contain_text("Oficio escaneado")
    await expect(item).to_contain_text("En el archivo escaneo del oficio.png")
    await expect(item.locator("mark")).to_have_text([re.compile(r"^notificaci[oó]n$", re.I)])
    await expect(page).to_have_url(re.compile(r"[?&]q=notificacion"))
    # the link opens the document
    await item.get_by_role("link", name=folio).click()
    await expect(page).to_have_url(re.compile(r"/documento/"))
    await expect(page.get_by_text(folio).first).to_be_visible()
    await page.go_back()
    await expect(result(page, folio)).to_be_visible()
    await check_screen(page, request, "Buscar-resultados")


async def test_the_query_and_the_filters_survive_a_reload(server, browsing, api, world, mail):
    flow = Flow(api, world)
    urgent = await flow.register(
        user="dg_reg", unit="DG", subject="Pago de nómina urgente", priority="URGENT", reference="NOM/U"
    )
    page = await browsing.page()
    await sign_in(page, server, "dg_reg", path="/buscar")
    await search(page, "nomina")
    await expect(result(page, urgent["folio"])).to_be_visible()
    await expect(result(page, mail.folios["green"])).to_be_visible()  # "Pago de nómina de marzo"
    await expect(page.get_by_role("status").filter(has_text="2 resultados")).to_be_visible()

    filters = page.get_by_role("form", name="Filtros de la búsqueda")
    await filters.get_by_label("Prioridad").select_option(label="Urgente")
    await filters.get_by_label("Tipo de documento").select_option("OFICIO")
    await filters.get_by_label("Registrado").check()
    await filters.get_by_role("button", name="Aplicar filtros").click()
    await expect(page).to_have_url(re.compile(r"prioridad=URGENT"))
    await expect(page).to_have_url(re.compile(r"tipo=OFICIO"))
    await expect(page).to_have_url(re.compile(r"estado=REGISTERED"))
    await expect(page).to_have_url(re.compile(r"q=nomina"))
    await expect(result(page, urgent["folio"])).to_be_visible()
    await expect(result(page, mail.folios["green"])).to_have_count(0)  # turned: IN_PROGRESS, and NORMAL
    await expect(page.get_by_role("status").filter(has_text="1 resultado")).to_be_visible()

    await page.reload()
    await expect(page.get_by_role("searchbox", name="Buscar")).to_have_value("nomina")
    filters = page.get_by_role("form", name="Filtros de la búsqueda")
    await expect(filters.get_by_label("Prioridad")).to_have_value("URGENT")
    await expect(filters.get_by_label("Tipo de documento")).to_have_value("OFICIO")  # its options came later
    await expect(filters.get_by_label("Registrado")).to_be_checked()
    await expect(filters.get_by_label("En trámite")).not_to_be_checked()
    await expect(result(page, urgent["folio"])).to_be_visible()
    await expect(result(page, mail.folios["green"])).to_have_count(0)
    await expect(page.get_by_text(re.compile("Filtros: .*Registrado"))).to_be_visible()

    # back: the search before the filters, whole again
    await page.go_back()
    await expect(result(page, mail.folios["green"])).to_be_visible()
    await expect(page.get_by_role("form", name="Filtros de la búsqueda").get_by_label("Registrado")).not_to_be_checked()

    # Quitar filtros keeps the words
    await page.go_forward()
    await expect(result(page, mail.folios["green"])).to_have_count(0)
    await page.get_by_role("button", name="Quitar filtros").click()
    await expect(page).to_have_url(re.compile(r"/buscar\?q=nomina$"))
    await expect(result(page, mail.folios["green"])).to_be_visible()


async def test_a_confidential_document_says_confidencial_to_who_may_not_read_it(server, browsing, api, world):
    flow = Flow(api, world)
    secret = await flow.register(
        user="srh_reg",
        unit="SRH",
        confidential=True,
        subject="Queja reservada de acoso",
        summary="Hechos reservados",
        reference="CONF/9",
        addressee="Contraloría Interna",
    )
    reader, outsider = await browsing.page(), await browsing.page()
    # da_reg sees SRH's rows (REGISTRAR above), not their confidential fields
    await sign_in(outsider, server, "da_reg", path="/buscar?q=contraloria")
    item = result(outsider, secret["folio"])
    await expect(item).to_be_visible()
    await expect(item).to_contain_text("Confidencial")
    await expect(item).not_to_contain_text("Queja")
    await expect(item).not_to_contain_text("Hechos")
    await expect(item).to_contain_text("En el destinatario")  # the public field that matched
    # a protected word finds nothing for them
    await search(outsider, "queja")
    await expect(outsider.get_by_role("status").filter(has_text="0 resultados")).to_be_visible()
    await expect(outsider.get_by_text(re.compile("Ningún documento coincide"))).to_be_visible()
    # who may read it sees the subject, and why it matched
    await sign_in(reader, server, "srh_staff", path="/buscar?q=queja")
    item = result(reader, secret["folio"])
    await expect(item).to_contain_text("Queja reservada de acoso")
    await expect(item).not_to_contain_text("Confidencial")


# --- Exportar a Excel ---------------------------------------------------------------------------------


async def test_an_export_of_the_bandeja_downloads_the_rows_on_screen(
    server, browsing, api, world, mail, tmp_path, request
):
    # da_reg also sent a turno (DA → DJ): it is in Enviados, not in the Bandeja
    flow = Flow(api, world)
    sent_doc = await flow.register(user="da_reg", unit="DA", subject="Consulta a Jurídica", reference="DA/DJ/1")
    sent = await flow.send("da_reg", document=sent_doc["id"], recipients=[{"unitId": "DJ", "instruction": "OPINION"}])
    assert sent["errors"] == [], sent

    page = await browsing.page()
    await sign_in(page, server, "da_reg")
    await expect(turno_rows(page)).to_have_count(4)
    on_screen = await numbers_on_screen(page)
    assert sorted(on_screen) == sorted(mail.numbers.values())

    await page.get_by_role("button", name="Exportar a Excel").click()
    progress = page.get_by_role("progressbar")
    await expect(progress).to_have_attribute("aria-valuenow", "4")
    await expect(progress).to_have_attribute("aria-valuemax", "4")
    await expect(page.get_by_text("4 de 4 filas")).to_be_visible()
    await expect(page.get_by_role("link", name=re.compile("^Descargar"))).to_be_visible()
    await check_screen(page, request, "Bandeja-exportada")
    assert await download_rows(page, tmp_path, "bandeja.xlsx") == on_screen

    # the list filtered by a counter: its export follows (a new filter starts afresh)
    await page.get_by_role("button", name=re.compile(r"^Vencido \(")).click()
    await expect(turno_rows(page)).to_have_count(1)
    await expect(page.get_by_role("link", name=re.compile("^Descargar"))).to_have_count(0)
    await page.get_by_role("button", name="Exportar a Excel").click()
    assert await download_rows(page, tmp_path, "vencidos.xlsx") == [mail.numbers["red"]]

    # Enviados: the turnos sent, not those received
    await page.get_by_role("navigation").get_by_role("link", name="Enviados").click()
    await expect(turno_rows(page)).to_have_count(1)
    await page.get_by_role("button", name="Exportar a Excel").click()
    assert await download_rows(page, tmp_path, "enviados.xlsx") == [sent["turnos"][0]["number"]]


async def test_an_export_in_progress_throttled_and_failed_say_so(server, browsing, services, mail, request):
    """Every worker busy: an export waits (PENDING) with its progress bar; a third one at once is
    THROTTLED (two per person); the server shutting down fails them (FAILED, with the reason)."""
    runner = export_runner(services)
    held = services.settings.export_workers
    for _ in range(held):
        await runner.slots.acquire()  # the workers are busy with other people's exports
    try:
        bandeja = await browsing.page()
        await sign_in(bandeja, server, "dg_reg", path="/enviados")
        await expect(turno_rows(bandeja)).to_have_count(4)
        await bandeja.get_by_role("button", name="Exportar a Excel").click()
        progress = bandeja.get_by_role("progressbar")
        await expect(progress).to_be_visible()
        await expect(bandeja.get_by_text("Preparando la exportación")).to_be_visible()
        await expect(bandeja.get_by_role("button", name="Exportar a Excel")).to_be_disabled()
        await check_screen(bandeja, request, "Enviados-exportando")

        buscar = await browsing.page()
        await sign_in(buscar, server, "dg_reg", path="/buscar?q=nomina")
        await expect(result(buscar, mail.folios["green"])).to_be_visible()
        await buscar.get_by_role("button", name="Exportar a Excel").click()
        await expect(buscar.get_by_role("progressbar")).to_be_visible()
        third = await browsing.page()
        await sign_in(third, server, "dg_reg", path="/buscar?q=auditoria")
        await expect(result(third, mail.folios["yellow"])).to_be_visible()
        await third.get_by_role("button", name="Exportar a Excel").click()
        await expect(third.get_by_role("alert")).to_contain_text("máximo es 2")  # THROTTLED, the API's words

        # the server stops: the jobs waiting are FAILED, and the page says why
        await runner.shutdown()
        await expect(bandeja.get_by_role("alert")).to_contain_text(SHUTDOWN_ERROR)
        await expect(bandeja.get_by_role("progressbar")).to_have_count(0)
        await expect(bandeja.get_by_role("button", name="Exportar a Excel")).to_be_enabled()
        await expect(buscar.get_by_role("alert")).to_contain_text("No se pudo generar el archivo de Excel")
    finally:
        for _ in range(held):
            runner.slots.release()
    # and a new one now runs to its end
    await bandeja.get_by_role("button", name="Exportar a Excel").click()
    await expect(bandeja.get_by_role("link", name=re.compile("^Descargar"))).to_be_visible()


# --- the quality bars --------------------------------------------------------------------------------


async def test_buscar_with_its_filters_open_on_a_phone_and_on_a_desktop(server, browsing, mail, request):
    page = await browsing.page(viewport=NARROWEST)
    await sign_in(page, server, "dg_reg", path="/buscar?q=nomina&luz=GREEN,RED")
    await expect(result(page, mail.folios["green"])).to_be_visible()
    # on a phone the filters wait behind "Filtros", which says how many are chosen
    toggle = page.get_by_role("button", name=re.compile(r"^Filtros \(1\)"))
    await expect(toggle).to_have_attribute("aria-expanded", "false")
    await expect(page.get_by_role("form", name="Filtros de la búsqueda")).to_have_count(0)
    await toggle.click()
    await expect(toggle).to_have_attribute("aria-expanded", "true")
    filters = page.get_by_role("form", name="Filtros de la búsqueda")
    await expect(filters.get_by_label("Vencido")).to_be_checked()
    await expect(filters.get_by_label("En tiempo")).to_be_checked()
    await check_screen(page, request, "Buscar-filtros")
    # applying closes them: the results are what changed
    await filters.get_by_label("Vencido").uncheck()
    await filters.get_by_role("button", name="Aplicar filtros").click()
    await expect(page).to_have_url(re.compile(r"luz=GREEN(&|$)"))
    await expect(page.get_by_role("form", name="Filtros de la búsqueda")).to_have_count(0)
    # on a desktop they are beside the results, no button to open them
    await page.set_viewport_size(DESKTOP)
    await expect(page.get_by_role("form", name="Filtros de la búsqueda")).to_be_visible()
    await expect(page.get_by_role("button", name=re.compile(r"^Filtros"))).to_have_count(0)
    # nothing asked yet: a hint, no results
    await page.goto(url(server, "/buscar"))
    await expect(page.get_by_text(re.compile("^Escriba qué busca"))).to_be_visible()
    await check_screen(page, request, "Buscar-vacio")
