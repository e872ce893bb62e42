"""Administración (ADMIN): the org tree, people and their memberships (a substitute with dates), the
catalogs and the institution's non-working days, through the screen, each change checked through
the public API; errors next to their fields; only ADMIN gets in. And every sub-page against the
quality bars (axe-core, 360 px, touch targets) with its screenshots at 390×844 and 1440×900.

The `services` clock (and so the API's "today") is Monday 2 March 2026."""

import re

from playwright.async_api import Page, expect

from tests.web.conftest import ON_SQLITE, check_screen, sign_in, url

pytestmark = ON_SQLITE

UNITS = "{ orgUnits(includeInactive: true) { id acronym name code kind active parent { acronym } } }"
PERSON = """query($search: String!) { users(search: $search) { edges { node { id username fullName position email active
  memberships(includeInactive: true) { role startsOn endsOn inForce unit { acronym } } } } } }"""
DAYS = """query($from: Date!, $to: Date!) { nonWorkingDays(period: {from: $from, to: $to}) { date description official } }"""
CATALOGS = "{ documentTypes { code name active } archiveSeries { code name active } }"
NEW_PASSWORD = "Planeacion-Sur-2026!"


def admin_url(server, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return url(server, f"/administracion?{query}")


async def units(api, world) -> dict[str, dict]:
    data = await api.ok(UNITS, token=world.tokens["admin"])
    return {u["acronym"]: u for u in data["orgUnits"]}


async def person(api, world, username: str) -> dict | None:
    data = await api.ok(PERSON, {"search": username}, token=world.tokens["admin"])
    found = [e["node"] for e in data["users"]["edges"] if e["node"]["username"] == username]
    return found[0] if found else None


async def choose_unit(page: Page, label: str, acronym: str) -> None:
    """The unit chooser: type the acronym, pick it from the list."""
    box = page.get_by_role("combobox", name=label)
    await box.fill(acronym)
    await page.get_by_role("option", name=re.compile(rf"^{acronym} ")).click()
    await expect(box).to_have_value(re.compile(rf"^{acronym} — "))


async def describes(locator, message: str, field: bool = True) -> None:
    """The API's message sits next to the field (or button): its accessible description holds it."""
    await expect(locator).to_have_accessible_description(re.compile(re.escape(message)))
    if field:
        await expect(locator).to_have_attribute("aria-invalid", "true")


# --- the org tree and people ------------------------------------------------------------------------


async def test_admin_creates_a_unit_and_a_person_who_can_then_sign_in(server, browsing, api, world):
    page = await browsing.page()
    await sign_in(page, server, "admin", path="/administracion")
    await expect(page.get_by_role("heading", name="Unidades", level=2)).to_be_visible()
    tree = page.get_by_role("list", name="Árbol de unidades")
    await expect(tree.get_by_role("link", name="DG Dirección General")).to_be_visible()

    # a unit under DG
    await page.get_by_role("link", name="Nueva unidad").click()
    await expect(page.get_by_role("heading", name="Nueva unidad")).to_be_focused()
    await choose_unit(page, "Unidad superior", "DG")
    await page.get_by_label("Clave").fill("130")
    await page.get_by_label("Siglas").fill("DA")  # taken: the API says so next to the field
    await page.get_by_label("Nombre").fill("Dirección de Planeación")
    await page.get_by_label("Tipo de unidad").select_option(label="Dirección")
    await page.get_by_role("button", name="Crear unidad").click()
    await describes(page.get_by_label("Siglas"), "Ya existe una unidad con las siglas «DA».")
    await expect(page.get_by_label("Siglas")).to_be_focused()
    assert "DP" not in await units(api, world)

    await page.get_by_label("Siglas").fill("dp")
    await page.get_by_role("button", name="Crear unidad").click()
    await expect(page.get_by_role("status").filter(has_text="Unidad creada: DP.")).to_be_visible()
    await expect(page.get_by_role("heading", name="DP · Dirección de Planeación")).to_be_visible()
    created = (await units(api, world))["DP"]
    assert (created["code"], created["name"], created["kind"], created["active"], created["parent"]) == (
        "130",
        "Dirección de Planeación",
        "DIRECTORATE",
        True,
        {"acronym": "DG"},
    )

    # the tree's search finds it, with its ancestors
    await page.get_by_role("link", name="Volver a Unidades").click()
    await page.get_by_role("searchbox", name="Buscar unidad").fill("planeacion")
    await expect(page.get_by_role("status").filter(has_text="1 unidad coincide")).to_be_visible()
    await expect(tree.get_by_role("link", name="DP Dirección de Planeación")).to_be_visible()
    await expect(tree.get_by_role("link", name="DG Dirección General")).to_be_visible()
    await expect(tree.get_by_role("link", name="DJ Dirección Jurídica")).to_have_count(0)

    # a person with a membership in it; the password policy answers next to the field
    await page.get_by_role("link", name="Personas").click()
    await page.get_by_role("link", name="Nueva persona").click()
    await page.get_by_label("Usuario").fill("ana.lopez")
    await page.get_by_label("Nombre completo").fill("Ana López Ruiz")
    await page.get_by_label("Cargo (opcional)").fill("Directora de Planeación")
    await page.get_by_label("Correo electrónico (opcional)").fill("ana.lopez@example.mx")
    password = page.get_by_label("Contraseña inicial")
    await password.fill("ana.lopez2026")
    await choose_unit(page, "Unidad", "DP")
    await page.get_by_label("Rol").select_option(label="Titular")
    await page.get_by_role("button", name="Crear persona").click()
    await expect(password).to_have_attribute("aria-invalid", "true")
    message = (await page.locator("#persona-contrasena-error").inner_text()).strip()
    assert message
    await describes(password, message)
    assert await person(api, world, "ana.lopez") is None  # nothing written

    await password.fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Crear persona").click()
    await expect(page.get_by_role("status").filter(has_text="Persona creada: ana.lopez")).to_be_visible()
    await expect(page.get_by_role("heading", name="Ana López Ruiz")).to_be_visible()
    memberships = page.get_by_role("list", name="Membresías de Ana López Ruiz")
    await expect(memberships.get_by_role("listitem")).to_have_count(1)
    await expect(memberships.get_by_role("listitem")).to_contain_text("Titular en DP")
    saved = await person(api, world, "ana.lopez")
    assert (saved["fullName"], saved["position"], saved["email"], saved["active"]) == (
        "Ana López Ruiz",
        "Directora de Planeación",
        "ana.lopez@example.mx",
        True,
    )
    assert saved["memberships"] == [
        {"role": "HEAD", "startsOn": None, "endsOn": None, "inForce": True, "unit": {"acronym": "DP"}}
    ]

    # the new person signs in (another browser) and sees their Bandeja, without Administración
    theirs = await browsing.page()
    await sign_in(theirs, server, "ana.lopez", NEW_PASSWORD)
    await expect(theirs.get_by_role("heading", name="Bandeja", level=1)).to_be_visible()
    await expect(theirs.get_by_role("navigation").get_by_role("link", name="Administración")).to_have_count(0)


async def test_moving_a_unit_under_its_own_child_shows_the_apis_error_next_to_the_field(server, browsing, api, world):
    page = await browsing.page()
    await sign_in(page, server, "admin", path="/administracion?seccion=unidades")
    tree = page.get_by_role("list", name="Árbol de unidades")
    # DA's subunits are behind its disclosure button
    toggle = tree.get_by_role("button", name="Subunidades de DA")
    await expect(toggle).to_have_attribute("aria-expanded", "false")
    await toggle.click()
    await expect(toggle).to_have_attribute("aria-expanded", "true")
    await expect(tree.get_by_role("link", name="SRH Subdirección de Recursos Humanos")).to_be_visible()
    await tree.get_by_role("link", name="DA Dirección de Administración").click()
    await expect(page.get_by_role("heading", name="DA · Dirección de Administración")).to_be_visible()

    await page.get_by_role("link", name="Mover a otra unidad").click()
    await choose_unit(page, "Nueva unidad superior", "SRH")
    await page.get_by_role("button", name="Mover unidad").click()
    chooser = page.get_by_role("combobox", name="Nueva unidad superior")
    await describes(chooser, "No se puede mover una unidad debajo de sí misma o de una de sus subunidades.")
    assert (await units(api, world))["DA"]["parent"] == {"acronym": "DG"}  # nothing moved

    # a move the API accepts: under DJ, with its subtree
    await choose_unit(page, "Nueva unidad superior", "DJ")
    await page.get_by_role("button", name="Mover unidad").click()
    await expect(page.get_by_role("status").filter(has_text="Unidad movida bajo DJ.")).to_be_visible()
    after = await units(api, world)
    assert after["DA"]["parent"] == {"acronym": "DJ"} and after["SRH"]["parent"] == {"acronym": "DA"}

    # deactivating a unit with active subunits: the API's refusal next to the button
    await page.get_by_role("button", name="Desactivar unidad").click()
    await describes(
        page.get_by_role("button", name="Desactivar unidad"), "Desactive primero las subunidades activas.", field=False
    )
    assert (await units(api, world))["DA"]["active"] is True
    # a leaf deactivates, and comes back
    await page.goto(admin_url(server, seccion="unidades", unidad=world.unit_id("DRH")))
    await page.get_by_role("button", name="Desactivar unidad").click()
    await expect(page.get_by_role("status").filter(has_text="La unidad quedó inactiva.")).to_be_visible()
    assert (await units(api, world))["DRH"]["active"] is False
    await page.get_by_role("button", name="Reactivar unidad").click()
    await expect(page.get_by_role("status").filter(has_text="activa de nuevo")).to_be_visible()
    assert (await units(api, world))["DRH"]["active"] is True

    # renaming: the data form, with the API's error next to its field
    await page.get_by_role("link", name="Cambiar nombre o datos").click()
    await page.get_by_label("Nombre").fill("Departamento de Nómina y Pagos")
    await page.get_by_label("Clave").fill("120")  # DJ's
    await page.get_by_role("button", name="Guardar cambios").click()
    await describes(page.get_by_label("Clave"), "Ya existe una unidad con la clave «120».")
    await page.get_by_label("Clave").fill("1111")
    await page.get_by_role("button", name="Guardar cambios").click()
    await expect(page.get_by_role("heading", name="DRH · Departamento de Nómina y Pagos")).to_be_visible()
    assert (await units(api, world))["DRH"]["name"] == "Departamento de Nómina y Pagos"


async def test_a_substitute_membership_with_dates_is_saved_and_shown(server, browsing, api, world):
    page = await browsing.page()
    await sign_in(page, server, "admin", path="/administracion?seccion=personas")
    await page.get_by_role("searchbox", name="Buscar persona").fill("dj staff")
    await expect(page.get_by_role("status").filter(has_text="1 persona.")).to_be_visible()
    await page.get_by_role("link", name="Dj Staff").click()
    await expect(page.get_by_role("heading", name="Dj Staff")).to_be_visible()

    await page.get_by_role("link", name="Agregar membresía").click()
    await choose_unit(page, "Unidad", "DA")
    await page.get_by_label("Rol").select_option(label="Titular")
    await page.get_by_label("Suplencia").check()
    await page.get_by_label("Desde").fill("2026-03-04")
    await page.get_by_label("Hasta").fill("2026-03-02")
    await page.get_by_role("button", name="Agregar membresía").click()
    await describes(page.get_by_label("Hasta"), "La fecha de término no puede ser anterior a la de inicio.")
    assert len((await person(api, world, "dj_staff"))["memberships"]) == 1  # nothing written

    await page.get_by_label("Hasta").fill("2026-03-06")
    await page.get_by_role("button", name="Agregar membresía").click()
    await expect(page.get_by_role("status").filter(has_text="Membresía agregada: Titular.")).to_be_visible()
    rows = page.get_by_role("list", name="Membresías de Dj Staff").get_by_role("listitem")
    await expect(rows).to_have_count(2)
    substitute = rows.filter(has_text="Titular en DA")
    await expect(substitute).to_contain_text("Suplencia. Del 4 de marzo de 2026 al 6 de marzo de 2026.")
    await expect(substitute).to_contain_text("No vigente hoy")  # the API's today: 2 March
    saved = await person(api, world, "dj_staff")
    assert sorted(
        (m["unit"]["acronym"], m["role"], m["startsOn"], m["endsOn"], m["inForce"]) for m in saved["memberships"]
    ) == [("DA", "HEAD", "2026-03-04", "2026-03-06", False), ("DJ", "STAFF", None, None, True)]

    # removing it: the other membership stays
    await page.get_by_role("button", name="Quitar la membresía Titular en DA").click()
    await expect(page.get_by_role("status").filter(has_text="Membresía quitada: Titular en DA.")).to_be_visible()
    await expect(rows).to_have_count(1)
    saved = await person(api, world, "dj_staff")
    assert [(m["unit"]["acronym"], m["role"]) for m in saved["memberships"]] == [("DJ", "STAFF")]


async def test_the_last_admin_cannot_be_deactivated_and_the_screen_says_why(server, browsing, api, world):
    page = await browsing.page()
    await sign_in(page, server, "admin", path=f"/administracion?seccion=personas&persona={world.user_id('admin')}")
    await page.get_by_role("button", name="Desactivar persona").click()
    await describes(
        page.get_by_role("button", name="Desactivar persona"),
        "No se puede retirar al último administrador activo.",
        field=False,
    )
    assert (await person(api, world, "admin"))["active"] is True
    # another person is deactivated and reactivated
    await page.goto(admin_url(server, seccion="personas", persona=world.user_id("dj_viewer")))
    await page.get_by_role("button", name="Desactivar persona").click()
    await expect(page.get_by_role("status").filter(has_text="La persona quedó inactiva")).to_be_visible()
    assert (await person(api, world, "dj_viewer"))["active"] is False
    await page.get_by_role("button", name="Reactivar persona").click()
    await expect(page.get_by_role("status").filter(has_text="puede entrar de nuevo")).to_be_visible()
    assert (await person(api, world, "dj_viewer"))["active"] is True


# --- catalogs and the calendar ------------------------------------------------------------------------


async def test_document_types_and_archive_series_are_created_renamed_and_deactivated(server, browsing, api, world):
    page = await browsing.page()
    await sign_in(page, server, "admin", path="/administracion?seccion=tipos")
    await page.get_by_role("link", name="Nuevo tipo de documento").click()
    await page.get_by_label("Clave").fill("oficio")  # exists (the API upper-cases it)
    await page.get_by_label("Nombre").fill("Otro oficio")
    await page.get_by_role("button", name="Crear").click()
    await describes(page.get_by_label("Clave"), "Ya existe el tipo de documento «OFICIO».")
    await page.get_by_label("Clave").fill("dictamen")
    await page.get_by_label("Nombre").fill("Dictamen")
    await page.get_by_role("button", name="Crear").click()
    await expect(
        page.get_by_role("status").filter(has_text="Tipo de documento creado: DICTAMEN — Dictamen.")
    ).to_be_visible()
    await page.get_by_role("list", name="Tipos de documento").get_by_role("link", name="DICTAMEN Dictamen").click()
    await page.get_by_label("Nombre").fill("Dictamen técnico")
    await page.get_by_role("button", name="Guardar nombre").click()
    await expect(page.get_by_role("status").filter(has_text="Nombre guardado")).to_be_visible()
    await page.get_by_role("button", name="Desactivar tipo").click()
    await expect(page.get_by_role("heading", name="Estado: Inactivo")).to_be_visible()
    types = {t["code"]: t for t in (await api.ok(CATALOGS, token=world.tokens["admin"]))["documentTypes"]}
    assert types["DICTAMEN"] == {"code": "DICTAMEN", "name": "Dictamen técnico", "active": False}

    await page.get_by_role("link", name="Series documentales").click()
    await page.get_by_role("link", name="Nueva serie documental").click()
    await page.get_by_label("Clave").fill("99Z")
    await page.get_by_label("Nombre").fill("   ")
    await page.get_by_role("button", name="Crear").click()
    await describes(page.get_by_label("Nombre"), "El nombre es obligatorio.")
    await page.get_by_label("Nombre").fill("Control de gestión")
    await page.get_by_role("button", name="Crear").click()
    await expect(page.get_by_role("status").filter(has_text="Serie documental creada: 99Z")).to_be_visible()
    series = {s["code"]: s for s in (await api.ok(CATALOGS, token=world.tokens["admin"]))["archiveSeries"]}
    assert series["99Z"] == {"code": "99Z", "name": "Control de gestión", "active": True}


async def test_adding_a_non_working_day_on_the_calendar(server, browsing, api, world):
    page = await browsing.page()
    await sign_in(page, server, "admin", path="/administracion?seccion=dias&anio=2026")
    await expect(page.get_by_role("table", name="abril 2026")).to_be_visible()
    # Mexico's official holidays are marked and cannot be removed
    official = page.get_by_role("button", name=re.compile("^lunes 16 de marzo de 2026, feriado oficial"))
    await official.click()
    await expect(page.get_by_text("No se puede quitar.")).to_be_visible()
    await expect(page.get_by_role("button", name="Quitar día inhábil")).to_have_count(0)
    await page.get_by_role("button", name="Cerrar").click()

    day = page.get_by_role("button", name=re.compile("^lunes 6 de abril de 2026"))
    await expect(day).to_have_accessible_name("lunes 6 de abril de 2026")
    await day.click()
    await expect(page.get_by_role("heading", name="lunes 6 de abril de 2026")).to_be_focused()
    await page.get_by_label("Descripción (opcional)").fill("Vacaciones de primavera")
    await page.get_by_role("button", name="Marcar como día inhábil").click()
    await expect(
        page.get_by_role("status").filter(has_text="Día inhábil agregado: lunes 6 de abril de 2026.")
    ).to_be_visible()
    await expect(day).to_have_accessible_name(
        "lunes 6 de abril de 2026, día inhábil de la institución: Vacaciones de primavera"
    )
    listed = (await api.ok(DAYS, {"from": "2026-04-01", "to": "2026-04-30"}, token=world.tokens["admin"]))[
        "nonWorkingDays"
    ]
    assert {"date": "2026-04-06", "description": "Vacaciones de primavera", "official": False} in listed
    # deadlines skip it: a due date after it says so (counted from the API's today, 2 March)
    preview = await api.ok('{ dueDatePreview(dueDate: "2026-04-07") { explanation } }', token=world.tokens["dg_reg"])
    assert "Vacaciones de primavera" in preview["dueDatePreview"]["explanation"]

    # a period: the weekdays of 7 to 12 April (8, 9, 10 and 7; 11 and 12 are a weekend)
    await page.get_by_role("button", name="Agregar un periodo (vacaciones)").click()
    await page.get_by_label("Desde").fill("2026-04-07")
    await page.get_by_label("Hasta (opcional)").fill("2026-04-12")
    await page.get_by_label("Descripción (opcional)").fill("Semana Santa")
    await page.get_by_role("button", name="Agregar periodo").click()
    await expect(page.get_by_role("status").filter(has_text="4 días inhábiles agregados")).to_be_visible()
    listed = (await api.ok(DAYS, {"from": "2026-04-01", "to": "2026-04-30"}, token=world.tokens["admin"]))[
        "nonWorkingDays"
    ]
    assert [d["date"] for d in listed if not d["official"]] == [
        "2026-04-06",
        "2026-04-07",
        "2026-04-08",
        "2026-04-09",
        "2026-04-10",
    ]

    # and removed again, from the calendar
    await day.click()
    await page.get_by_role("button", name="Quitar día inhábil").click()
    await expect(page.get_by_role("status").filter(has_text="vuelve a ser hábil")).to_be_visible()
    await expect(day).to_have_accessible_name("lunes 6 de abril de 2026")
    listed = (await api.ok(DAYS, {"from": "2026-04-06", "to": "2026-04-06"}, token=world.tokens["admin"]))[
        "nonWorkingDays"
    ]
    assert listed == []


# --- who gets in ----------------------------------------------------------------------------------------


async def test_a_non_admin_gets_no_administracion(server, browsing):
    page = await browsing.page()
    await sign_in(page, server, "da_head")
    await expect(page.get_by_role("navigation").get_by_role("link", name="Bandeja")).to_be_visible()
    await expect(page.get_by_role("navigation").get_by_role("link", name="Administración")).to_have_count(0)
    await page.goto(url(server, "/administracion?seccion=personas"))
    await expect(page.get_by_text("No tiene permiso para administrar MCS.")).to_be_visible()
    await expect(page.get_by_role("link", name="Nueva persona")).to_have_count(0)
    await expect(page.get_by_role("list", name="Secciones de Administración")).to_have_count(0)


# --- quality bars -------------------------------------------------------------------------------------


async def test_every_admin_sub_page_meets_the_quality_bars(server, browsing, request, world):
    page = await browsing.page()
    await sign_in(page, server, "admin", path="/administracion")
    pages = {
        "unidades": ({"seccion": "unidades"}, page.get_by_role("list", name="Árbol de unidades")),
        "unidades-busqueda": ({"seccion": "unidades", "q": "recursos"}, page.get_by_text("unidad coincide")),
        "unidad": (
            {"seccion": "unidades", "unidad": world.unit_id("DA")},
            page.get_by_role("heading", name="DA · Dirección"),
        ),
        "unidad-nueva": (
            {"seccion": "unidades", "accion": "nueva", "padre": world.unit_id("DA")},
            page.get_by_label("Clave"),
        ),
        "unidad-mover": (
            {"seccion": "unidades", "unidad": world.unit_id("SRH"), "accion": "mover"},
            page.get_by_role("combobox", name="Nueva unidad superior"),
        ),
        "personas": ({"seccion": "personas"}, page.get_by_role("link", name="Da Head")),
        "persona": (
            {"seccion": "personas", "persona": world.user_id("da_head")},
            page.get_by_role("heading", name="Da Head"),
        ),
        "persona-nueva": ({"seccion": "personas", "accion": "nueva"}, page.get_by_label("Contraseña inicial")),
        "persona-membresia": (
            {"seccion": "personas", "persona": world.user_id("da_head"), "accion": "membresia"},
            page.get_by_label("Rol"),
        ),
        "tipos": ({"seccion": "tipos"}, page.get_by_role("link", name="OFICIO Oficio")),
        "tipo": ({"seccion": "tipos", "clave": "OFICIO"}, page.get_by_role("button", name="Guardar nombre")),
        "series": ({"seccion": "series"}, page.get_by_role("link", name="Nueva serie documental")),
        "dias": ({"seccion": "dias", "anio": "2026"}, page.get_by_role("table", name="diciembre 2026")),
    }
    for screen, (params, ready) in pages.items():
        await page.goto(admin_url(server, **params))
        await expect(ready.first).to_be_visible()
        if screen == "persona-membresia":  # the substitute's dates and an error shown, as people meet them
            await page.get_by_label("Suplencia").check()
            await page.get_by_role("button", name="Agregar membresía").click()
            await expect(page.get_by_label("Rol")).to_have_attribute("aria-invalid", "true")
        if screen == "dias":  # a day chosen: its panel open
            await page.get_by_role("button", name=re.compile("^martes 3 de marzo de 2026")).click()
            await expect(page.get_by_role("button", name="Marcar como día inhábil")).to_be_visible()
        await check_screen(page, request, f"administracion-{screen}")
