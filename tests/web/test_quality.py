"""Every screen against the quality bars of docs/ui.md: no serious or critical axe-core violation,
nothing scrolls sideways at 360 px, touch targets of at least 44 px; and its screenshots at
390×844 and 1440×900 kept as test artifacts (var/test-artifacts/screens/test_screen-<screen>-*.png)."""

import re

import pytest
from playwright.async_api import Page, expect

from tests.web.conftest import ON_SQLITE, Mail, check_screen, sign_in, turno_rows, url

pytestmark = ON_SQLITE


async def entrar(page: Page, server, mail: Mail) -> None:
    await page.goto(url(server))
    await expect(page.get_by_role("button", name="Entrar")).to_be_visible()


async def entrar_error(page: Page, server, mail: Mail) -> None:
    await entrar(page, server, mail)
    await page.get_by_label("Usuario").fill("da_staff")
    await page.get_by_label("Contraseña").fill("equivocada")
    await page.get_by_role("button", name="Entrar").click()
    await expect(page.get_by_role("alert")).to_be_visible()


async def bandeja(page: Page, server, mail: Mail) -> None:
    await sign_in(page, server, "da_staff")
    await expect(turno_rows(page)).to_have_count(4)


async def bandeja_filters(page: Page, server, mail: Mail) -> None:
    await bandeja(page, server, mail)
    await page.get_by_role("button", name=re.compile("^Filtros")).click()
    await expect(page.get_by_label("Desde")).to_be_visible()


async def enviados(page: Page, server, mail: Mail) -> None:
    await sign_in(page, server, "dg_reg", path="/enviados")
    await expect(page.get_by_role("heading", name="Enviados", level=1)).to_be_visible()
    await expect(turno_rows(page)).to_have_count(4)


async def buscar(page: Page, server, mail: Mail) -> None:
    await sign_in(page, server, "dg_reg", path="/buscar")
    await page.get_by_role("searchbox", name="Buscar").fill("nómina")
    await page.get_by_role("searchbox", name="Buscar").press("Enter")
    await expect(page.get_by_role("link", name=mail.folios["green"])).to_be_visible()


async def reportes(page: Page, server, mail: Mail) -> None:
    await sign_in(page, server, "dg_reg", path="/reportes")
    await expect(page.get_by_role("heading", name="Reportes", level=1)).to_be_visible()


async def administracion(page: Page, server, mail: Mail) -> None:
    await sign_in(page, server, "admin", path="/administracion")
    await expect(page.get_by_role("heading", name=re.compile("^Administraci"), level=1)).to_be_visible()


async def turno(page: Page, server, mail: Mail) -> None:
    await sign_in(page, server, "da_staff", path=f"/turno/{mail.ids['green']}")
    await expect(page.get_by_text(mail.numbers["green"]).first).to_be_visible()
    await expect(page.get_by_role("button", name="Responder")).to_be_visible()
    await expect(page.get_by_role("list", name="Historial")).to_be_visible()


async def turno_answer_form(page: Page, server, mail: Mail) -> None:
    await turno(page, server, mail)
    await page.get_by_role("button", name="Responder").click()
    await expect(page.get_by_role("textbox", name=re.compile("^Respuesta", re.I))).to_be_visible()
    await expect(page.get_by_label(re.compile("^Archivos", re.I))).to_be_attached()


async def documento(page: Page, server, mail: Mail) -> None:
    await sign_in(page, server, "dg_reg", path=f"/documento/{mail.documents['green']}")
    await expect(page.get_by_text(mail.folios["green"]).first).to_be_visible()
    await expect(page.get_by_role("list", name="Historial")).to_be_visible()


async def registrar(page: Page, server, mail: Mail) -> None:
    await sign_in(page, server, "dg_reg", path="/registrar")
    await expect(page.get_by_label("Asunto")).to_be_visible()
    await expect(page.get_by_role("button", name="Registrar")).to_be_visible()


async def notificaciones(page: Page, server, mail: Mail) -> None:
    await sign_in(page, server, "da_head", path="/notificaciones")
    await expect(page.get_by_role("button", name="Guardar preferencias")).to_be_visible()
    await expect(page.get_by_role("region", name="Este navegador").get_by_role("button")).to_be_visible()


async def notificaciones_error(page: Page, server, mail: Mail) -> None:
    await notificaciones(page, server, mail)
    await page.get_by_role("textbox", name="Correo electrónico").fill("no-es-correo")
    await page.get_by_role("button", name="Guardar preferencias").click()
    await expect(page.get_by_role("alert")).to_be_visible()


SCREENS = [
    pytest.param(entrar, id="Entrar"),
    pytest.param(entrar_error, id="Entrar-error"),
    pytest.param(bandeja, id="Bandeja"),
    pytest.param(bandeja_filters, id="Bandeja-filtros"),
    pytest.param(enviados, id="Enviados"),
    pytest.param(buscar, id="Buscar"),
    pytest.param(reportes, id="Reportes"),
    pytest.param(administracion, id="Administracion"),
    pytest.param(turno, id="Turno"),
    pytest.param(turno_answer_form, id="Turno-responder"),
    pytest.param(documento, id="Documento"),
    pytest.param(registrar, id="Registrar"),
    pytest.param(notificaciones, id="Notificaciones"),
    pytest.param(notificaciones_error, id="Notificaciones-error"),
]


@pytest.mark.parametrize("reach", SCREENS)
async def test_screen(server, browsing, mail, request, reach):
    page = await browsing.page()
    await reach(page, server, mail)
    # the screen's own id (e.g. "Notificaciones-error"), without the database's ("sqlite")
    screen = "-".join(part for part in request.node.callspec.id.split("-") if part not in ("sqlite", "postgresql"))
    await check_screen(page, request, screen)
