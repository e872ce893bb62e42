"""Entrar: the sign-in form, and the frame once signed in (who sees which navigation)."""

from playwright.async_api import expect

from tests.web.conftest import ON_SQLITE, sign_in, url

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
