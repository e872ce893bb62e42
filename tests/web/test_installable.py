"""Installable and light: a valid web app manifest with its icons, a service worker that keeps the
app's shell only (never API data), a reload without network that shows the app saying
"Sin conexión" (not the browser's error page), and a new build that announces itself
("Hay una nueva versión" · Actualizar) instead of reloading under the person's feet.

The new-version test serves a copy of the built app (MCS_WEB_DIR's role, `settings.web_dir`) and
deploys "a new build" into it by rewriting its sw.js and index.html, as a deployment would."""

from __future__ import annotations

import asyncio

import dataclasses
import gzip
import re
import shutil
import struct

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.live import start_server
from tests.web.conftest import (
    ON_SQLITE,
    axe,
    check_screen,
    figure,
    require_built_app,
    send_turno,
    sign_in,
    sqlite_only,
    turno_rows,
    url,
    wait_until,
    web_dir,
)
from tests.workflow import Flow
from tests.world import PASSWORD

pytestmark = ON_SQLITE

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VERSION = re.compile(r"mcs-shell-([0-9a-f]{16})")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (the first one, right after the signature)."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


async def worker_in_control(page: Page) -> str:
    """Waits until a service worker is active and controls the page; its script's URL."""
    await page.evaluate("navigator.serviceWorker.ready")
    # polled from here, not with wait_for_function: a string predicate polled inside the page can
    # land in a document that just reloaded, whose CSP forbids eval (an "uncaught error")
    for _ in range(200):
        if url := await page.evaluate("navigator.serviceWorker.controller?.scriptURL ?? null"):
            return url
        await asyncio.sleep(0.05)
    raise AssertionError("no service worker took control of the page")


async def cached_urls(page: Page) -> dict[str, list[str]]:
    """Every URL in the page's Cache Storage, by cache name."""
    return await page.evaluate("""async () => {
        const out = {};
        for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            out[name] = (await cache.keys()).map((r) => new URL(r.url).pathname + new URL(r.url).search);
        }
        return out;
    }""")


def status(page: Page, text: str):
    return page.get_by_role("status").filter(has_text=text)


async def test_the_app_is_installable_its_manifest_valid_and_its_icons_their_declared_sizes(server, browsing):
    page = await browsing.page()
    await page.goto(url(server, "/entrar"))
    await expect(page.get_by_role("button", name="Entrar")).to_be_visible()
    href = await page.locator('link[rel="manifest"]').get_attribute("href")
    apple = await page.locator('link[rel="apple-touch-icon"]').get_attribute("href")
    theme = await page.locator('meta[name="theme-color"]').get_attribute("content")
    colors = await page.evaluate("""() => { const s = getComputedStyle(document.documentElement);
        return {brand: s.getPropertyValue('--brand').trim(), canvas: s.getPropertyValue('--canvas').trim()}; }""")

    async with httpx.AsyncClient(base_url=url(server)) as http:
        response = await http.get(href)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/manifest+json")
        manifest = response.json()
        assert manifest["name"] == "MCS · Correspondencia y Seguimiento"
        assert manifest["short_name"] == "MCS"
        assert manifest["lang"] == "es-MX"
        assert manifest["start_url"] == "/" and manifest["scope"] == "/"
        assert manifest["display"] == "standalone"
        assert manifest["theme_color"] == theme == colors["brand"]
        assert manifest["background_color"] == colors["canvas"]
        declared = {}
        for icon in manifest["icons"]:
            got = await http.get(icon["src"])
            assert got.status_code == 200 and got.headers["content-type"] == "image/png" == icon["type"], icon
            width, height = png_size(got.content)
            assert icon["sizes"] == f"{width}x{height}", (icon, width, height)
            declared.setdefault(icon.get("purpose", "any"), set()).add(icon["sizes"])
        assert {"192x192", "512x512"} <= declared["any"]
        assert "512x512" in declared["maskable"]
        touch = await http.get(apple)
        assert touch.status_code == 200 and png_size(touch.content) == (180, 180)

    # Chromium's own reading: the manifest parses without errors, and once the worker controls
    # the page nothing stands in the way of installing the app
    cdp = await page.context.new_cdp_session(page)
    read = await cdp.send("Page.getAppManifest")
    assert read["url"] == url(server, "/manifest.webmanifest")
    assert read["errors"] == [], read["errors"]
    assert await worker_in_control(page) == url(server, "/sw.js")
    installability = await cdp.send("Page.getInstallabilityErrors")
    # (Playwright's contexts are off the record, where no app installs: that one says nothing of ours)
    errors = [e for e in installability["installabilityErrors"] if e["errorId"] != "in-incognito"]
    assert errors == [], installability

    # "light": what the worker and its registration cost
    async with httpx.AsyncClient() as http:
        worker = (await http.get(url(server, "/sw.js"))).content
    figure(f"service worker: {len(worker)} B, {len(gzip.compress(worker, compresslevel=6))} B gzip")


async def test_a_reload_without_network_shows_the_shell_saying_sin_conexion(server, mail, browsing, request):
    page = await browsing.page()
    await sign_in(page, server, "da_staff")
    await expect(turno_rows(page)).to_have_count(4)
    await worker_in_control(page)
    await page.reload()  # the worker installed on the first visit controls the reloaded page
    assert await worker_in_control(page) == url(server, "/sw.js")
    await expect(turno_rows(page)).to_have_count(4)
    name = await page.evaluate("document.querySelector('header .name').textContent")
    assert name

    # the cache holds the shell of this build and nothing else: no API answer, no file
    cached = await cached_urls(page)
    assert list(cached) == [f"mcs-shell-{VERSION.search(list(cached)[0]).group(1)}"], cached
    paths = next(iter(cached.values()))
    assert "/" in paths and any(p.startswith("/assets/index-") and p.endswith(".js") for p in paths), paths
    assert all(p == "/" or p.startswith("/assets/") for p in paths), paths

    await page.context.set_offline(True)
    await page.reload()
    # the app, not the browser's error page: its navigation, the person still signed in, and the word
    await expect(page.get_by_role("navigation", name="Principal")).to_be_visible()
    await expect(page.get_by_role("link", name="Bandeja")).to_be_visible()
    await expect(page.get_by_text(name, exact=True)).to_be_visible()
    await expect(status(page, "Sin conexión")).to_be_visible()
    assert await page.evaluate("localStorage.getItem('mcs.token')")
    # the list could not be read: said in words, no error page
    await expect(page.get_by_role("alert")).to_contain_text("conexión")
    assert "ERR_INTERNET_DISCONNECTED" not in await page.content()
    await expect(page.get_by_role("status").filter(has_text="Hay una nueva versión")).to_have_count(0)
    await check_screen(page, request, "offline-shell")

    # a screen not opened yet comes from the cache too
    await page.get_by_role("link", name="Buscar").click()
    await expect(page.get_by_role("searchbox", name="Buscar")).to_be_visible()
    await expect(status(page, "Sin conexión")).to_be_visible()

    # back online: the status stops saying it, and the screens read their data
    await page.context.set_offline(False)
    await expect(status(page, "Sin conexión")).to_have_count(0, timeout=30_000)
    await page.get_by_role("link", name="Bandeja").click()
    await expect(turno_rows(page)).to_have_count(4)
    assert all(p == "/" or p.startswith("/assets/") for paths in (await cached_urls(page)).values() for p in paths)


async def test_opened_offline_the_screen_reads_itself_once_back_online(server, api, world, mail, browsing):
    """Opened without network the Bandeja has nothing; when the connection comes back it reads its
    list, with no reload, although the person's event cursor alone (a replay of what happened
    since) would not fill it."""
    page = await browsing.page()
    await sign_in(page, server, "da_staff")
    await expect(turno_rows(page)).to_have_count(4)
    await send_turno(Flow(api, world), mail, "extra", subject="Solicitud de información adicional")
    await expect(turno_rows(page)).to_have_count(5)  # live: the person's cursor has moved
    assert await page.evaluate("Object.keys(localStorage).some((k) => k.startsWith('mcs.cursor.'))")
    await worker_in_control(page)
    await page.context.set_offline(True)
    await page.reload()
    await expect(status(page, "Sin conexión")).to_be_visible()
    await expect(page.get_by_role("alert")).to_contain_text("conexión")
    await expect(turno_rows(page)).to_have_count(0)
    await page.evaluate("window.__sameDocument = true")
    await page.context.set_offline(False)
    await expect(turno_rows(page)).to_have_count(5, timeout=30_000)
    await expect(page.get_by_role("alert")).to_have_count(0)
    assert await page.evaluate("window.__sameDocument === true")


@pytest.fixture
async def copy_server(backend, services, world, tmp_path):
    """A server of a copy of the built app, which the test may redeploy."""
    sqlite_only(backend)
    require_built_app(services)
    dist = tmp_path / "dist"
    shutil.copytree(web_dir(services), dist)
    services.settings = dataclasses.replace(services.settings, web_dir=dist)
    live = await start_server(services)
    yield live, dist
    await live.stop()


async def test_a_new_version_announces_itself_and_updates_only_when_asked(copy_server, browsing, request):
    server, dist = copy_server
    page = await browsing.page()
    await sign_in(page, server, "da_staff", path="/buscar")
    await worker_in_control(page)
    old = VERSION.search((dist / "sw.js").read_text()).group(1)
    assert list(await cached_urls(page)) == [f"mcs-shell-{old}"]
    # someone is typing
    search = page.get_by_role("searchbox", name="Buscar")
    await search.fill("nómina de marzo")
    await page.evaluate("window.__sameDocument = true")

    # a new build is deployed: another worker version, another page
    new = "0123456789abcdef" if old != "0123456789abcdef" else "fedcba9876543210"
    (dist / "sw.js").write_text((dist / "sw.js").read_text().replace(old, new))
    index = (dist / "index.html").read_text()
    (dist / "index.html").write_text(
        index.replace("<head>", '<head>\n    <meta name="mcs-build" content="nueva" />', 1)
    )

    # the open page notices when it comes back online (also hourly, and when shown again)
    await page.context.set_offline(True)
    await page.context.set_offline(False)
    banner = page.get_by_role("status").filter(has_text="Hay una nueva versión")
    await expect(banner).to_be_visible(timeout=30_000)
    update = banner.get_by_role("button", name="Actualizar")
    await expect(update).to_be_visible()
    # nothing reloaded by itself: the same page, the text still there, the old version in control
    await page.wait_for_timeout(500)
    assert await page.evaluate("window.__sameDocument === true")
    await expect(search).to_have_value("nómina de marzo")
    assert await page.locator('meta[name="mcs-build"]').count() == 0
    assert f"mcs-shell-{old}" in await cached_urls(page)  # the open page's version stays whole meanwhile
    await expect(status(page, "Conexión")).to_have_count(0, timeout=20_000)  # "Conexión restablecida" has gone
    await check_screen(page, request, "new-version-banner")

    await update.click()
    # reloaded: the new document's marker (a locator waits without evaluating strings in the page)
    await expect(page.locator('meta[name="mcs-build"]')).to_have_attribute("content", "nueva")
    assert await page.evaluate("window.__sameDocument === undefined")
    await expect(page.get_by_role("searchbox", name="Buscar")).to_be_visible()
    await expect(page.get_by_role("status").filter(has_text="Hay una nueva versión")).to_have_count(0)
    assert await worker_in_control(page) == url(server, "/sw.js")
    # the old shell is gone, the new one in place
    await wait_until(lambda: _only_cache(page, f"mcs-shell-{new}"))


async def _only_cache(page: Page, name: str) -> bool:
    return list(await cached_urls(page)) == [name]


async def test_a_reload_after_a_deployment_offers_the_new_version_also_before_signing_in(copy_server, browsing):
    """Browsers look for a new worker on every navigation: the reloaded page still runs the version
    it was opened with (its worker), and offers the new one, on every screen, Entrar included."""
    server, dist = copy_server
    page = await browsing.page()
    await page.goto(url(server, "/entrar"))
    await worker_in_control(page)
    old = VERSION.search((dist / "sw.js").read_text()).group(1)
    new = "a" * 16 if old != "a" * 16 else "b" * 16
    (dist / "sw.js").write_text((dist / "sw.js").read_text().replace(old, new))
    await page.reload()
    await expect(page.get_by_role("status").filter(has_text="Hay una nueva versión")).to_be_visible(timeout=30_000)
    assert set(await cached_urls(page)) == {f"mcs-shell-{old}", f"mcs-shell-{new}"}  # the new one waits beside
    await page.get_by_label("Usuario").fill("da_staff")
    await page.get_by_label("Contraseña").fill(PASSWORD)
    await axe(page, "entrar-new-version")
