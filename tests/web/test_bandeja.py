"""Bandeja: one row per turno with its number, its light in words and the days left; counters per
light that filter through the URL (the back button restores); "Nuevo" on what is not acknowledged.
And the first screen's budget: the JavaScript it ships, the time from Entrar to the first row."""

import re
from urllib.parse import parse_qs, urlparse

from playwright.async_api import expect

from tests.web.conftest import (
    LIGHT_WORDS,
    ON_SQLITE,
    axe,
    figure,
    fits_narrow_phone,
    gzip_size_of_scripts,
    require_built_app,
    sign_in,
    turno_row,
    turno_rows,
    url,
)
from tests.workflow import Flow
from tests.world import PASSWORD

pytestmark = ON_SQLITE


def days_left_phrase(days: int | None) -> str | None:
    """docs/ui.md: "Vence hoy", "Faltan 3 días hábiles", "Venció hace 2 días hábiles" (and the singular)."""
    if days is None:
        return None
    if days == 0:
        return "Vence hoy"
    unit = "día hábil" if abs(days) == 1 else "días hábiles"
    if days > 0:
        return f"{'Falta' if days == 1 else 'Faltan'} {days} {unit}"
    return f"Venció hace {-days} {unit}"


def query_of(page_url: str) -> dict:
    return parse_qs(urlparse(page_url).query)


async def test_each_turno_is_a_row_with_its_number_light_in_words_days_left_and_nuevo(
    server, browsing, api, world, mail
):
    flow = Flow(api, world)
    page = await browsing.page()
    await sign_in(page, server, "da_staff")
    await expect(turno_rows(page)).to_have_count(4)
    lights = {}
    for name, number in mail.numbers.items():
        turno = await flow.turno("da_staff", mail.ids[name])
        lights[name] = turno["trafficLight"]
        row = turno_row(page, number)
        await expect(row).to_be_visible()
        await expect(row).to_contain_text(number)
        await expect(row.get_by_role("link", name=number)).to_have_attribute("href", re.compile("/turno/"))
        await expect(row).to_contain_text(LIGHT_WORDS[turno["trafficLight"]])
        phrase = days_left_phrase(turno["businessDaysLeft"])
        if phrase:
            await expect(row).to_contain_text(phrase)
        if turno["status"] == "SENT":
            await expect(row).to_contain_text("Nuevo")
        else:
            await expect(row).not_to_contain_text("Nuevo")
    # the fixture made one turno of each light, and the past deadline reads as such
    assert lights == {"red": "RED", "yellow": "YELLOW", "green": "GREEN", "none": "NONE"}
    await expect(turno_row(page, mail.numbers["red"])).to_contain_text("Venció hace")
    await expect(turno_row(page, mail.numbers["yellow"])).to_contain_text("Falta 1 día hábil")


async def test_counters_per_light_filter_the_list_through_the_url_and_back_restores(server, browsing, mail):
    page = await browsing.page()
    await sign_in(page, server, "da_staff")
    await expect(turno_rows(page)).to_have_count(4)
    for word in LIGHT_WORDS.values():
        await expect(
            page.get_by_role("button", name=f"{word} (1)").or_(page.get_by_role("link", name=f"{word} (1)"))
        ).to_be_visible()

    counter = page.get_by_role("button", name=re.compile(r"^Vencido \(")).or_(
        page.get_by_role("link", name=re.compile(r"^Vencido \("))
    )
    await counter.click()
    await expect(turno_rows(page)).to_have_count(1)
    await expect(turno_row(page, mail.numbers["red"])).to_be_visible()
    await expect(page).to_have_url(re.compile(r"[?&]luz=RED"))
    assert query_of(page.url)["luz"] == ["RED"]

    # another light, then back twice: each step of the history is restored
    await (
        page.get_by_role("button", name=re.compile(r"^Sin término \("))
        .or_(page.get_by_role("link", name=re.compile(r"^Sin término \(")))
        .click()
    )
    await expect(page).to_have_url(re.compile(r"[?&]luz=NONE"))
    await expect(turno_rows(page)).to_have_count(1)
    await expect(turno_row(page, mail.numbers["none"])).to_be_visible()

    await page.go_back()
    await expect(page).to_have_url(re.compile(r"[?&]luz=RED"))
    await expect(turno_rows(page)).to_have_count(1)
    await expect(turno_row(page, mail.numbers["red"])).to_be_visible()

    await page.go_back()
    await expect(page).not_to_have_url(re.compile(r"luz="))
    await expect(turno_rows(page)).to_have_count(4)

    # the filter is in the URL: opening it afresh (a shared link) shows the same list
    await page.goto(url(server, "/bandeja?luz=YELLOW&estado=SENT,RECEIVED,ANSWERED,RETURNED"))
    await expect(turno_rows(page)).to_have_count(1)
    await expect(turno_row(page, mail.numbers["yellow"])).to_be_visible()


async def test_first_screen_javascript_budget_and_time_to_the_first_row(server, browsing, mail):
    page = await browsing.page()
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    await page.goto(url(server))
    await page.get_by_label("Usuario").fill("da_staff")
    await page.get_by_label("Contraseña").fill(PASSWORD)
    await page.evaluate("""() => {
        const rows = () => [...document.querySelectorAll('a')].some(a => /\\/\\d{4}\\/\\d{6}-T\\d+/.test(a.textContent));
        document.addEventListener('submit', () => { window.__submitAt = performance.now(); }, true);
        new MutationObserver(() => { if (!window.__firstRowAt && window.__submitAt && rows()) window.__firstRowAt = performance.now(); })
            .observe(document.body, {subtree: true, childList: true, characterData: true});
    }""")
    await page.get_by_role("button", name="Entrar").click()
    await expect(turno_row(page, mail.numbers["red"])).to_be_visible()
    ms = await page.evaluate("window.__firstRowAt - window.__submitAt")
    figure(f"Entrar → first row of the Bandeja: {ms:.0f} ms (world data: 4 turnos)")

    sizes = await gzip_size_of_scripts(sorted(set(scripts)))
    total = sum(sizes.values())
    for script, size in sizes.items():
        print(f"  {urlparse(script).path}: {size / 1024:.1f} KB gzip")
    figure(
        f"JavaScript for the first screen (Entrar + Bandeja): {total / 1024:.1f} KB gzip in {len(sizes)} scripts "
        "(budget 150 KB)"
    )
    assert sizes, "no script loaded?"
    assert total <= 150 * 1024, f"the first screen ships {total / 1024:.1f} KB gzip of JavaScript (> 150 KB)"


USABLE = """() => {
    const row = [...document.querySelectorAll('a')].some(a => /\\/\\d{4}\\/\\d{6}-T\\d+/.test(a.textContent));
    const counters = [...document.querySelectorAll('button, a')].some(b => /^\\s*Vencido \\(\\d+\\)/.test(b.textContent));
    return row && counters;
}"""


async def test_bandeja_usable_after_sign_in_on_the_demo_data(services, browsing):
    """The demo institution (about 100 units, a year of correspondence; ~25 s to load) served with the
    real clock; the head of the Dirección General, whose Bandeja holds the most. Figures only."""
    from mcs.app import build_services
    from mcs.demo import DEMO_PASSWORD, load_demo
    from tests.live import start_server

    require_built_app(services)
    await load_demo(services.settings, only_if_empty=True)
    demo = build_services(services.settings)  # the real clock: the demo's lights are as of today
    server = await start_server(demo)
    try:
        page = await browsing.page()
        await page.goto(url(server))
        await page.get_by_label("Usuario").fill("titular.dg")
        await page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
        await page.evaluate(
            """(usable) => {
            const check = new Function('return (' + usable + ')()');
            document.addEventListener('submit', () => { window.__submitAt = performance.now(); }, true);
            new MutationObserver(() => { if (!window.__usableAt && window.__submitAt && check()) window.__usableAt = performance.now(); })
                .observe(document.body, {subtree: true, childList: true, characterData: true});
        }""",
            USABLE,
        )
        await page.get_by_role("button", name="Entrar").click()
        await page.wait_for_function("() => window.__usableAt", timeout=15_000)
        ms = await page.evaluate("window.__usableAt - window.__submitAt")
        total = re.search(
            r"(\d+) turnos?", await page.get_by_role("heading", name="Bandeja").locator("..").inner_text()
        )
        figure(
            f"Entrar → Bandeja usable (rows and counters) on the demo data: {ms:.0f} ms "
            f"(titular.dg, {total.group(1) if total else '?'} turnos; sign-in included)"
        )

        # opened again, already signed in (the token is kept): from navigation to usable
        await page.reload()
        await page.wait_for_function(USABLE, timeout=15_000)
        ms = await page.evaluate("performance.now()")
        figure(f"Bandeja reopened (signed in) on the demo data: usable {ms:.0f} ms after navigation start")

        # real names, subjects and counts: still nothing sideways at 360 px, and no grave axe violation
        await fits_narrow_phone(page, "Bandeja (demo)")
        await axe(page, "Bandeja (demo)")
    finally:
        await server.stop()
