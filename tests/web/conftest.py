"""End-to-end tests of the web app: Playwright (async API) driving Debian's chromium against a real
`mcs` server (tests/live.py) that serves the built app at / and the API at /graphql.

- The app must be built (web/dist/index.html, or MCS_WEB_DIR): `make test` builds it first. Without
  it the browser tests skip with the reason, and fail under CI=true.
- The browser is /usr/bin/chromium (MCS_TEST_CHROMIUM to use another): Playwright's own browser
  download is not possible here; `make` installs Debian's `chromium` with apt-get where it can.
  Missing: skip, or fail under CI=true. One browser per session; each test its own contexts.
- The browser tests run once, against the SQLite server; tests/web/test_live.py adds one test on
  PostgreSQL + Redis with two instances.
- Screenshots of every screen at 390×844 and 1440×900 are kept under var/test-artifacts/screens/
  (MCS_TEST_ARTIFACTS to move it), named <test>-<screen>-<width>x<height>.png.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from mcs import webapp
from tests.conftest import IN_CI, unavailable
from tests.live import start_server
from tests.workflow import Flow
from tests.world import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("MCS_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(os.environ.get("MCS_TEST_ARTIFACTS", ROOT / "var" / "test-artifacts")) / "screens"

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
NARROWEST = {"width": 360, "height": 780}
TAP = 44  # px: the smallest touch target (docs/ui.md)

MX = ZoneInfo("America/Mexico_City")
NOW = datetime(2026, 3, 2, 16, 0, tzinfo=timezone.utc)  # the `services` clock: Monday 2 March 2026, 10:00 in Mexico
LIGHT_WORDS = {"GREEN": "En tiempo", "YELLOW": "Por vencer", "RED": "Vencido", "NONE": "Sin término"}
# (slashes escaped: Playwright writes the pattern into a selector between slashes)
TURNO_NUMBER = re.compile(r"[A-Z0-9]+\/\d{4}\/\d{6}-T\d+")
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def missing(what: str) -> None:
    """Skip with the reason; under CI=true a missing piece fails the run."""
    if IN_CI:
        pytest.fail(f"{what}; CI=true requires it", pytrace=False)
    pytest.skip(what)


def web_dir(services=None) -> Path:
    return services.settings.web_dir if services is not None and services.settings.web_dir else webapp.DIST


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {ARTIFACTS}")
    return ARTIFACTS


@pytest.fixture(scope="session")
async def browser(artifacts) -> Browser:
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).is_file()):
        unavailable("Chromium", FileNotFoundError(f"{CHROMIUM} not found (make installs Debian's chromium)"))
    async with async_playwright() as playwright:
        try:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as error:  # noqa: BLE001 - any failure to start means "not available here"
            unavailable("Chromium", error)
        yield browser
        await browser.close()


# The browser tests run once, against the SQLite server (`pytestmark = ON_SQLITE`); test_live.py has
# one on PostgreSQL + Redis with two instances.
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def sqlite_only(backend: str) -> None:
    if backend != "sqlite":  # a test without ON_SQLITE
        pytest.skip("the browser tests run once, against the SQLite server")


def require_built_app(services) -> None:
    if not (web_dir(services) / "index.html").is_file():
        missing(
            f"the web app is not built ({web_dir(services)}/index.html missing): `make test` builds it, "
            "or `make web`, or `cd web && npx vite build`"
        )


@pytest.fixture
async def server(backend, services, world):
    """A real server (uvicorn in the test's loop) serving the built app and the API, with the `world` users."""
    sqlite_only(backend)
    require_built_app(services)
    live = await start_server(services)
    yield live
    await live.stop()


def url(server, path: str = "/") -> str:
    return f"http://127.0.0.1:{server.port}{path}"


@dataclass
class Browsing:
    """The test's browser contexts (one per person), closed after the test; page errors collected."""

    browser: Browser
    errors: list[str] = field(default_factory=list)
    contexts: list[BrowserContext] = field(default_factory=list)

    async def page(self, viewport: dict = DESKTOP, **options) -> Page:
        context = await self.browser.new_context(
            viewport=viewport, locale="es-MX", timezone_id="America/Mexico_City", **options
        )
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        return page

    async def close(self) -> None:
        for context in self.contexts:
            with contextlib.suppress(Exception):
                await context.close()


@pytest.fixture
async def browsing(browser):
    browsing = Browsing(browser)
    yield browsing
    await browsing.close()
    assert not browsing.errors, f"uncaught errors in the page: {browsing.errors}"


async def sign_in(page: Page, server, username: str, password: str = PASSWORD, path: str = "/") -> None:
    """Through the Entrar form, as a person would; returns once the navigation is there."""
    await page.goto(url(server, path))
    await page.get_by_label("Usuario").fill(username)
    await page.get_by_label("Contraseña").fill(password)
    await page.get_by_role("button", name="Entrar").click()
    await expect(page.get_by_role("navigation")).to_be_visible()


def turno_row(page: Page, number: str):
    """The row (table row, list item or article) of a turno: the one holding the link named by its number."""
    link = page.get_by_role("link", name=number)
    return (
        page.get_by_role("row")
        .or_(page.get_by_role("listitem"))
        .or_(page.get_by_role("article"))
        .filter(has=link)
        .first
    )


def turno_rows(page: Page):
    """Every turno row of the page, in order (rows holding a link named by a turno number)."""
    link = page.get_by_role("link", name=TURNO_NUMBER)
    return page.get_by_role("row").or_(page.get_by_role("listitem")).filter(has=link)


# --- keyboard ------------------------------------------------------------------------------------


async def focused(page: Page) -> dict:
    return await page.evaluate("""() => { const el = document.activeElement;
        const s = getComputedStyle(el);
        return {tag: el.tagName.toLowerCase(), id: el.id, text: (el.textContent || '').trim(),
                label: el.labels && el.labels[0] ? el.labels[0].textContent.trim() : el.getAttribute('aria-label'),
                outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1 || s.boxShadow !== 'none'}; }""")


async def tab_to(page: Page, wanted, limit: int = 60) -> dict:
    """Press Tab until the focused element satisfies `wanted`; what was focused on the way is reported."""
    path = []
    for _ in range(limit):
        await page.keyboard.press("Tab")
        now = await focused(page)
        if wanted(now):
            return now
        path.append(now["label"] or now["text"][:20] or now["tag"])
    raise AssertionError(f"Tab never reached the element; focus went through {path}")


# --- quality helpers ------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:120]


async def screenshots(page: Page, request, screen: str) -> list[Path]:
    """Full-page screenshots at 390×844 and 1440×900, kept as test artifacts; the viewport is restored."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    paths = []
    for size in (PHONE, DESKTOP):
        await page.set_viewport_size(size)
        await page.wait_for_timeout(100)  # a frame for the layout
        path = ARTIFACTS / f"{_slug(request.node.originalname)}-{_slug(screen)}-{size['width']}x{size['height']}.png"
        await page.screenshot(path=str(path), full_page=True, animations="disabled")
        paths.append(path)
        SCREENSHOTS.append(path)
    if before:
        await page.set_viewport_size(before)
    return paths


async def axe(page: Page, screen: str) -> list[dict]:
    """Run axe-core on the page: no serious or critical violation (the others are printed)."""
    if not AXE.is_file():
        missing(f"axe-core is not installed ({AXE}): `make` runs npm ci in web/")
    if not await page.evaluate("typeof window.axe === 'object'"):
        # the app's Content-Security-Policy refuses inline scripts (add_script_tag): then evaluate the
        # source through the DevTools protocol, which the page's CSP does not govern
        with contextlib.suppress(Exception):
            await page.add_script_tag(path=str(AXE))
        if not await page.evaluate("typeof window.axe === 'object'"):
            await page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = await page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations'],
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').split('\\n').slice(0, 2).join(' '))}));
    }""")
    grave = [v for v in result if v["impact"] in ("serious", "critical")]
    for v in result:
        if v not in grave:
            print(f"axe [{screen}] {v['impact']}: {v['id']} — {v['help']} ({len(v['nodes'])}: {v['nodes'][:2]})")
    assert not grave, f"axe-core on {screen}: " + json.dumps(grave, ensure_ascii=False, indent=1)
    return result


async def fits_narrow_phone(page: Page, screen: str) -> None:
    """At 360 px nothing scrolls sideways; buttons, navigation links and form fields are ≥ 44 px tall
    (a checkbox or radio counts by its label, the target people touch)."""
    before = page.viewport_size
    await page.set_viewport_size(NARROWEST)
    await page.wait_for_timeout(100)
    report = await page.evaluate(
        """(tap) => {
        const doc = document.documentElement;
        const shown = (el) => { const s = getComputedStyle(el); const r = el.getBoundingClientRect();
            return s.visibility !== 'hidden' && s.display !== 'none' && r.width > 1 && r.height > 1; };
        const name = (el) => (el.getAttribute('aria-label') || el.textContent || el.getAttribute('name') || el.id || el.tagName).trim().slice(0, 40);
        const small = [];
        const targets = document.querySelectorAll('button, nav a, [role=button], input, select, textarea');
        for (const el of targets) {
            if (el.type === 'hidden' || !shown(el) && !(el.type === 'file')) continue;
            let box = el;
            if (el.type === 'checkbox' || el.type === 'radio') box = el.closest('label') || (el.id && document.querySelector(`label[for="${el.id}"]`)) || el;
            if (!shown(box)) continue;
            const h = box.getBoundingClientRect().height;
            if (h < tap - 0.5) small.push(`${el.tagName.toLowerCase()}${el.type ? '[' + el.type + ']' : ''} "${name(el)}" ${h.toFixed(1)}px`);
        }
        const wide = [];
        if (doc.scrollWidth > innerWidth) {
            for (const el of document.body.querySelectorAll('*')) {
                const r = el.getBoundingClientRect();
                if (r.right > innerWidth + 0.5 && shown(el)) wide.push(`${el.tagName.toLowerCase()}.${el.className} right=${r.right.toFixed(0)}`);
            }
        }
        return {scrollWidth: doc.scrollWidth, innerWidth, small, wide: wide.slice(0, 8)};
    }""",
        TAP,
    )
    if before:
        await page.set_viewport_size(before)
    assert report["scrollWidth"] <= report["innerWidth"], (
        f"{screen} scrolls sideways at 360 px: scrollWidth {report['scrollWidth']} > {report['innerWidth']}; "
        f"wider: {report['wide']}"
    )
    assert not report["small"], f"{screen}: touch targets under {TAP} px at 360 px wide: {report['small']}"


async def check_screen(page: Page, request, screen: str) -> None:
    """The quality bars of one screen: axe, 360 px, and its screenshots."""
    await axe(page, screen)
    await fits_narrow_phone(page, screen)
    await screenshots(page, request, screen)


# --- data -------------------------------------------------------------------------------------------


def local(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MX).astimezone(timezone.utc)


@dataclass
class Mail:
    """Turnos DG → DA of every light, as of Monday 2 March 2026 (the `services` clock), by name."""

    ids: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)
    documents: dict[str, str] = field(default_factory=dict)
    folios: dict[str, str] = field(default_factory=dict)


async def send_turno(
    flow: Flow,
    mail: Mail,
    name: str,
    to: str = "DA",
    instruction: str = "RESPONSE",
    user: str = "dg_reg",
    unit: str = "DG",
    subject: str | None = None,
    **recipient,
) -> dict:
    fields = {"reference": f"REF/{name}"}
    if subject:
        fields["subject"] = subject
    document = await flow.register(user=user, unit=unit, **fields)
    sent = await flow.send(
        user, document=document["id"], recipients=[{"unitId": to, "instruction": instruction, **recipient}]
    )
    assert sent["errors"] == [], (name, sent)
    turno = sent["turnos"][0]
    mail.ids[name], mail.numbers[name] = turno["id"], turno["number"]
    mail.documents[name], mail.folios[name] = document["id"], document["folio"]
    return turno


@pytest.fixture
async def mail(api, world, clock) -> Mail:
    """DG → DA:  red    RESPONSE sent Mon 23 Feb, 2 business days (passed)   SENT
                 yellow ATTENTION due Tue 3 Mar                              SENT
                 green  RESPONSE  due Fri 20 Mar, acknowledged               RECEIVED
                 none   OPINION, no deadline                                 SENT
    The clock is back at Monday 2 March 10:00 afterwards (the tokens the browser gets use it)."""
    flow, mail = Flow(api, world), Mail()
    clock.set(local(2, 23))
    await send_turno(flow, mail, "red", businessDays=2, subject="Informe de plantilla vencido")
    clock.set(NOW)
    await send_turno(flow, mail, "yellow", instruction="ATTENTION", dueDate="2026-03-03", subject="Auditoría de obra")
    await send_turno(flow, mail, "green", dueDate="2026-03-20", subject="Pago de nómina de marzo")
    assert (await flow.ack("da_staff", mail.ids["green"]))["errors"] == []
    await send_turno(flow, mail, "none", instruction="OPINION", subject="Opinión sobre el reglamento")
    return mail


async def gzip_size_of_scripts(script_urls: list[str]) -> dict[str, int]:
    """Each script fetched again and gzipped here (level 6, what servers commonly send)."""
    sizes = {}
    async with httpx.AsyncClient() as http:
        for script in script_urls:
            body = (await http.get(script)).content
            sizes[script] = len(gzip.compress(body, compresslevel=6))
    return sizes


async def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)


# --- the figures the tests measure, printed at the end of the run ----------------------------------

FIGURES: list[str] = []
SCREENSHOTS: list[Path] = []


def figure(text: str) -> None:
    """A measured figure (sizes, timings): printed now and in the run's summary. Never asserted on time."""
    print(text)
    FIGURES.append(text)


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("web app figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
    if SCREENSHOTS:
        terminalreporter.write_line(f"{len(SCREENSHOTS)} screenshots of the web app (390x844, 1440x900) in {ARTIFACTS}")
