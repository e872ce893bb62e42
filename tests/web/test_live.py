"""Live: a turno sent by someone else appears at the top of the Bandeja without reload and is
announced; going offline shows the connection state, and what happened meanwhile arrives after the
reconnection (cursor replay). Once more on PostgreSQL + Redis with two instances: the browser on
instance B sees a turno sent through instance A."""

import re

import httpx
from playwright.async_api import Page, expect

from tests.conftest import Api
from tests.web.conftest import (
    ON_POSTGRESQL,
    ON_SQLITE,
    TURNO_NUMBER,
    Mail,
    figure,
    require_built_app,
    send_turno,
    sign_in,
    turno_row,
    turno_rows,
)
from tests.workflow import Flow

LIVE_REGION = '[aria-live="polite"], [role="status"], [role="log"]'


async def watch_numbers(page: Page) -> None:
    """Record in the page when each turno number first shows up (Date.now(), the machine's clock)."""
    await page.evaluate("""() => {
        window.__seen = {};
        const look = () => { for (const m of document.body.innerText.matchAll(/[A-Z0-9]+\\/\\d{4}\\/\\d{6}-T\\d+/g))
            if (!(m[0] in window.__seen)) window.__seen[m[0]] = Date.now(); };
        look();
        new MutationObserver(look).observe(document.body, {subtree: true, childList: true, characterData: true});
        window.__sameDocument = true;  // gone if the page reloads
    }""")


async def appeared_at(page: Page, number: str, timeout: float = 15_000) -> float:
    handle = await page.wait_for_function("(n) => window.__seen[n]", arg=number, timeout=timeout)
    return float(await handle.json_value())


async def now_in_page(page: Page) -> float:
    return float(await page.evaluate("Date.now()"))


async def first_row_number(page: Page) -> str:
    text = await turno_rows(page).first.inner_text()
    return TURNO_NUMBER.search(text).group(0)


@ON_SQLITE
async def test_a_turno_sent_by_someone_else_appears_on_top_without_reload_and_is_announced(
    server, browsing, api, world, mail
):
    page = await browsing.page()
    await sign_in(page, server, "da_staff")
    await expect(turno_rows(page)).to_have_count(4)
    await server.wait_live(1)  # the page's subscription listens
    await watch_numbers(page)

    flow = Flow(api, world)
    document = await flow.register(user="dg_reg", unit="DG", reference="REF/vivo", subject="Turno que llega en vivo")
    sent = await flow.send(
        "dg_reg", document=document["id"], recipients=[{"unitId": "DA", "instruction": "RESPONSE", "businessDays": 5}]
    )
    returned = await now_in_page(page)  # the sender's mutation returned
    number = sent["turnos"][0]["number"]
    shown = await appeared_at(page, number)
    figure(f"new turno visible in the Bandeja {shown - returned:.0f} ms after the sender's mutation returned (SQLite)")

    await expect(turno_rows(page)).to_have_count(5)
    assert await first_row_number(page) == number, "the new turno is not at the top"
    await expect(turno_row(page, number)).to_contain_text("Nuevo")
    await expect(page.locator(LIVE_REGION).filter(has_text=number)).to_have_count(1)
    assert await page.evaluate("window.__sameDocument === true"), "the page reloaded"


async def send_meanwhile(api, world, name: str) -> str:
    sent = await send_turno(Flow(api, world), Mail(), name, subject=f"Enviado: {name}", businessDays=5)
    return sent["number"]


async def go_offline_and_back(page: Page, produce) -> str:
    """Offline (the browser's own switch): "Sin conexión" shows; `produce()` makes an event meanwhile,
    which must not arrive until the browser is back online; then "Conexión restablecida"."""
    down = page.get_by_role("status").filter(has_text="Sin conexión")
    restored = page.get_by_role("status").filter(has_text="Conexión restablecida")
    await page.context.set_offline(True)
    await expect(down).to_be_visible(timeout=15_000)  # the browser's hint, or the keep-alive within 10 s
    await expect(restored).to_have_count(0)
    number = await produce()
    await page.wait_for_timeout(1500)  # retries happen meanwhile: none may get through
    assert not await page.evaluate("(n) => n in window.__seen", number), "an event arrived while offline"
    await expect(down).to_be_visible()
    await page.context.set_offline(False)
    await expect(restored).to_be_visible(timeout=20_000)
    await expect(down).to_have_count(0)
    return number


@ON_SQLITE
async def test_offline_shows_the_connection_state_and_the_cursor_replays_what_happened_meanwhile(
    server, browsing, api, world, mail
):
    page = await browsing.page()
    await sign_in(page, server, "da_staff")
    await expect(turno_rows(page)).to_have_count(4)
    await server.wait_live(1)
    await watch_numbers(page)
    before = await send_meanwhile(api, world, "antes")  # one live event: the cursor now has a place
    await expect(turno_row(page, before)).to_be_visible()

    number = await go_offline_and_back(page, lambda: send_meanwhile(api, world, "durante"))
    await expect(turno_row(page, number)).to_be_visible()
    assert await first_row_number(page) == number
    await expect(turno_rows(page)).to_have_count(6)  # nothing twice
    await expect(page.locator(LIVE_REGION).filter(has_text=number)).to_have_count(1)  # announced like any other
    assert await page.evaluate("window.__sameDocument === true"), "the page reloaded"


@ON_SQLITE
async def test_an_outage_before_any_event_still_brings_what_happened_meanwhile(server, browsing, api, world, mail):
    """No event seen yet means no cursor to replay from: the Bandeja must still show what came meanwhile."""
    page = await browsing.page()
    await sign_in(page, server, "da_staff")
    await expect(turno_rows(page)).to_have_count(4)
    await server.wait_live(1)
    await watch_numbers(page)
    number = await go_offline_and_back(page, lambda: send_meanwhile(api, world, "durante"))
    await expect(turno_row(page, number)).to_be_visible()
    assert await first_row_number(page) == number
    await expect(turno_rows(page)).to_have_count(5)


@ON_SQLITE
async def test_a_silent_socket_is_noticed_by_the_keep_alive(server, browsing, api, world, mail):
    """The network stays "online" but the socket carries nothing (a dead NAT, a sleeping proxy): the
    keep-alive notices within 10 s, and once traffic flows again the missed turno arrives."""
    page = await browsing.page()
    silent = False

    async def relay(ws):
        if silent:  # while silent, new sockets go nowhere either
            await ws.close(code=1006, reason="silencio")
            return
        upstream = ws.connect_to_server()
        ws.on_message(lambda message: None if silent else upstream.send(message))
        upstream.on_message(lambda message: None if silent else ws.send(message))

    await page.route_web_socket(re.compile(r"/graphql$"), relay)
    await sign_in(page, server, "da_staff")
    await expect(turno_rows(page)).to_have_count(4)
    await server.wait_live(1)
    await watch_numbers(page)
    before = await send_meanwhile(api, world, "antes")  # the socket works through the relay
    await expect(turno_row(page, before)).to_be_visible()

    silent = True
    went_silent = await now_in_page(page)
    number = await send_meanwhile(api, world, "en-silencio")
    down = page.get_by_role("status").filter(has_text="Sin conexión")
    await expect(down).to_be_visible(timeout=15_000)
    noticed = await now_in_page(page)
    figure(
        f"silent socket noticed by the keep-alive after {(noticed - went_silent) / 1000:.1f} s (docs/ui.md: within 10 s)"
    )
    assert not await page.evaluate("(n) => n in window.__seen", number)

    silent = False
    await expect(page.get_by_role("status").filter(has_text="Conexión restablecida")).to_be_visible(timeout=20_000)
    await expect(turno_row(page, number)).to_be_visible()
    assert await first_row_number(page) == number


@ON_POSTGRESQL
async def test_on_two_instances_the_browser_on_b_sees_a_turno_sent_through_a(backend, two_instances, browsing, world):
    """PostgreSQL + Redis: the production path, with the browser and the sender on different instances."""
    server_a, server_b = two_instances
    require_built_app(server_b.services)
    page = await browsing.page()
    await sign_in(page, server_b, "da_staff")
    await expect(page.get_by_role("heading", name="Bandeja")).to_be_visible()
    await server_b.wait_live(1)
    await watch_numbers(page)

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server_a.port}") as http:
        flow = Flow(Api(http), world)
        sent = await send_turno(flow, Mail(), "via-a", subject="Enviado por la instancia A", businessDays=5)
    returned = await now_in_page(page)
    number = sent["number"]
    shown = await appeared_at(page, number)
    figure(
        f"new turno visible on instance B {shown - returned:.0f} ms after the mutation on instance A returned "
        "(PostgreSQL + Redis)"
    )
    await expect(turno_row(page, number)).to_contain_text("Nuevo")
    assert await first_row_number(page) == number
    await expect(page.locator(LIVE_REGION).filter(has_text=number)).to_have_count(1)
