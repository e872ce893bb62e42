"""Entrar: the sign-in form, and the frame once signed in (who sees which navigation)."""

from playwright.async_api import expect

from tests.web.conftest import ON_SQLITE, sign_in, url
from tests.world import PASSWORD

pytestmark = ON_SQLITE

LOGIN = """mutation($input: LoginInput!) { login(input: $input) { token errors { code message } } }"""
NAV_FOR_EVERYONE = ["Bandeja", "Enviados", "Buscar", "Reportes"]


async def test_a_wrong_password_shows_the_apis_message_in_an_alert(server, api, browsing):
    answer = await api.ok(LOGIN, {"input": {"username": "da_reg", "password": "no-es-esta"}})
    message = answer["login"]["errors"][0]["message"]
    assert answer["login"]["token"] is None and message

    page = await browsing.page()
    await page.goto(url(server))
    await page.get_by_label("Usuario").fill("da_reg")
    await page.get_by_label("Contraseña").fill("no-es-esta")
    await page.get_by_role("button", name="Entrar").click()
    await expect(page.get_by_role("alert")).to_contain_text(message)
    await expect(page.get_by_role("navigation")).to_have_count(0)  # still outside


async def test_signed_in_the_frame_shows_the_person_the_navigation_and_salir(server, browsing):
    page = await browsing.page()
    await sign_in(page, server, "da_reg")
    await expect(page.get_by_text("Da Reg", exact=True)).to_be_visible()
    nav = page.get_by_role("navigation")
    for name in [*NAV_FOR_EVERYONE, "Registrar"]:
        await expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    await expect(nav.get_by_role("link", name="Administración")).to_have_count(0)
    await expect(page.get_by_role("button", name="Salir")).to_be_visible()
    assert page.url.endswith("/bandeja")

    # Salir ends the session: the form again, and a reload does not sign back in
    await page.get_by_role("button", name="Salir").click()
    await expect(page.get_by_role("button", name="Entrar")).to_be_visible()
    await page.reload()
    await expect(page.get_by_role("button", name="Entrar")).to_be_visible()
    await expect(page.get_by_role("navigation")).to_have_count(0)


async def test_administracion_only_for_admin_and_registrar_only_for_who_registers(server, browsing):
    admin = await browsing.page()
    await sign_in(admin, server, "admin")
    await expect(admin.get_by_role("navigation").get_by_role("link", name="Administración")).to_be_visible()

    staff = await browsing.page()
    await sign_in(staff, server, "da_staff")
    nav = staff.get_by_role("navigation")
    for name in NAV_FOR_EVERYONE:
        await expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    await expect(nav.get_by_role("link", name="Administración")).to_have_count(0)
    await expect(nav.get_by_role("link", name="Registrar")).to_have_count(0)  # STAFF may not register


async def test_a_session_that_ends_sends_to_entrar_and_back_to_where_one_was(server, api, browsing):
    page = await browsing.page()
    await sign_in(page, server, "da_reg")
    await expect(page.get_by_role("heading", name="Bandeja")).to_be_visible()
    token = await page.evaluate("localStorage.getItem('mcs.token')")
    assert (await api.ok("mutation { logout { errors { code } } }", token=token))["logout"]["errors"] == []

    await page.get_by_role("navigation").get_by_role("link", name="Enviados").click()  # the next request
    await expect(page.get_by_role("button", name="Entrar")).to_be_visible()
    await expect(page.get_by_role("status").filter(has_text="Su sesión terminó")).to_be_visible()
    await page.get_by_label("Usuario").fill("da_reg")
    await page.get_by_label("Contraseña").fill(PASSWORD)
    await page.get_by_role("button", name="Entrar").click()
    await expect(page.get_by_role("heading", name="Enviados")).to_be_visible()  # not the default Bandeja
    assert page.url.endswith("/enviados")


async def test_change_my_password_from_the_user_menu(server, api, browsing):
    page = await browsing.page()
    await sign_in(page, server, "da_staff")
    await page.get_by_role("button", name="Da Staff").click()
    await page.get_by_role("button", name="Cambiar contraseña").click()
    await page.get_by_label("Contraseña actual").fill(PASSWORD)
    await page.get_by_label("Contraseña nueva").fill("corta")
    await page.get_by_role("button", name="Guardar contraseña").click()
    await expect(page.locator("#nueva-error")).to_be_visible()  # the API's message, next to the field
    await page.get_by_label("Contraseña nueva").fill("una frase larga y propia de prueba")
    await page.get_by_role("button", name="Guardar contraseña").click()
    await expect(page.get_by_role("status").filter(has_text="Contraseña cambiada")).to_be_visible()
    await page.get_by_role("button", name="Cerrar").click()
    # the app goes on with its new token; the old password no longer signs in
    await page.get_by_role("navigation").get_by_role("link", name="Enviados").click()
    await expect(page.get_by_role("heading", name="Enviados")).to_be_visible()
    old = await api.ok(LOGIN, {"input": {"username": "da_staff", "password": PASSWORD}})
    assert old["login"]["token"] is None
