"""Reportes: the production chart (an image named by what it shows) and the same figures in a table,
equal cell by cell to what the API's `stats` answers for the same arguments; the institution's time
zone (23:30 on 31 January in Mexico City is January's, whatever the browser's zone); granularity,
indicators and units redraw through the URL; errors next to their fields; empty periods; the
quality bars; and the size of what the screen loads.

The history (Mexico City local times, 2026; built through the API with the test clock):

    12 Jan 10:00  DG registers D1 and turns it: T1 → DA (5 business days), T2 → DJ (3 business days)
    14 Jan 10:00  DA answers T1 (R1: 2 business days)
    15 Jan 10:00  DG accepts R1: T1 concluded on time
    31 Jan 23:30  D2 received by DA (registered on 2 Feb with receivedAt 2026-02-01T05:30Z)
     3 Feb 10:00  DA turns D2: T3 → SRH, due 5 Feb
    10 Feb 10:00  SRH answers T3 late (R2: 5 business days); DA has not evaluated it (overdue)
    16 Feb 10:00  DJ answers T2 late (R3: 24 business days)
    27 Feb 12:00  DJ registers D3
    now: Monday 2 March 10:00 (T2 and T3 await evaluation)
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.async_api import Page, expect

from tests.web.conftest import (
    MX,
    NOW,
    ON_SQLITE,
    axe,
    check_screen,
    figure,
    fits_narrow_phone,
    gzip_size_of_scripts,
    local,
    sign_in,
    url,
)
from tests.workflow import Flow

pytestmark = ON_SQLITE

STATS = """query($period: Period!, $granularity: Granularity!, $unitId: ID, $includeSubunits: Boolean, $byUnit: Boolean) {
  stats(period: $period, granularity: $granularity, unitId: $unitId, includeSubunits: $includeSubunits, byUnit: $byUnit) {
    start unit { acronym } documentsReceived turnosSent turnosReceived responsesSent responsesReceived
    pending overdue concludedOnTime averageBusinessDaysToAnswer
  }
}"""
# the table's columns, in order, after the period (or unit)
METRICS = [
    "documentsReceived",
    "turnosSent",
    "turnosReceived",
    "responsesSent",
    "responsesReceived",
    "pending",
    "overdue",
    "concludedOnTime",
]
MONTHS = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]
GRANULARITY = {
    "Día": ("DAY", "día", "diaria"),
    "Semana": ("WEEK", "semana", "semanal"),
    "Mes": ("MONTH", "mes", None),
    "Año": ("YEAR", "año", "anual"),
}
PERIOD = ("2026-01-01", "2026-03-31")
REPORT = f"/reportes?desde={PERIOD[0]}&hasta={PERIOD[1]}"
USER = "dg_head"  # the Dirección General's head: DG and everything under it


@pytest.fixture
async def history(api, world, clock):
    flow = Flow(api, world)

    async def ok(payload, key=None):
        assert payload["errors"] == [], payload
        return payload[key] if key else payload

    clock.set(local(1, 12))
    d1 = await flow.register(user="dg_reg", unit="DG", reference="D1")
    t1, t2 = await ok(
        await flow.send(
            "dg_reg",
            document=d1["id"],
            recipients=[
                {"unitId": "DA", "instruction": "RESPONSE", "businessDays": 5},
                {"unitId": "DJ", "instruction": "RESPONSE", "businessDays": 3},
            ],
        ),
        "turnos",
    )
    clock.set(local(1, 14))
    r1 = await ok(await flow.respond("da_staff", t1["id"]), "response")
    clock.set(local(1, 15))
    await ok(await flow.evaluate("dg_reg", r1["id"], "ACCEPT"))
    clock.set(local(2, 2, 9))
    d2 = await flow.register(user="da_reg", unit="DA", reference="D2", receivedAt="2026-02-01T05:30:00Z")
    assert datetime.fromisoformat(d2["receivedAt"]).astimezone(MX).date() == date(2026, 1, 31)  # 23:30 in Mexico
    clock.set(local(2, 3))
    (t3,) = await ok(
        await flow.send(
            "da_reg",
            document=d2["id"],
            recipients=[{"unitId": "SRH", "instruction": "RESPONSE", "dueDate": "2026-02-05"}],
        ),
        "turnos",
    )
    clock.set(local(2, 10))
    await ok(await flow.respond("srh_staff", t3["id"]))
    clock.set(local(2, 16))
    await ok(await flow.respond("dj_staff", t2["id"]))
    clock.set(local(2, 27, 12))
    await flow.register(user="dj_reg", unit="DJ", reference="D3")
    clock.set(NOW)
    return flow


async def api_stats(api, world, granularity: str, period=PERIOD, user=USER, **arguments) -> list[dict]:
    variables = {"period": {"from": period[0], "to": period[1]}, "granularity": granularity, **arguments}
    return (await api.ok(STATS, variables, token=world.tokens[user]))["stats"]


# --- how the screen writes the API's numbers ------------------------------------------------------


def count_text(n: int) -> str:
    return f"{n:,}"  # es-MX: 1,234


def average_text(value: float | None) -> str:
    if value is None:
        return "sin respuestas"
    return str(Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def expected_cells(row: dict) -> list[str]:
    return [count_text(row[m]) for m in METRICS] + [average_text(row["averageBusinessDaysToAnswer"])]


def norm(text: str) -> str:
    """A cell's text: the dash of an empty mean is for the eyes, its words for everyone."""
    return re.sub(r"\s+", " ", text.replace("—", "")).strip()


async def table_cells(page: Page, caption: str) -> dict:
    """The table named by its caption: body rows (header cell, then data cells) and the total row."""
    table = page.get_by_role("table", name=caption)
    await expect(table).to_be_visible()
    return await table.evaluate("""(t) => {
        const row = (tr) => [...tr.children].map(c => c.textContent);
        return {head: row(t.tHead.rows[0]), body: [...t.tBodies[0].rows].map(row),
                foot: t.tFoot ? row(t.tFoot.rows[0]) : null};
    }""")


async def assert_table_equals_api(page: Page, caption: str, buckets: list[dict]) -> dict:
    cells = await table_cells(page, caption)
    assert len(cells["body"]) == len(buckets), (len(cells["body"]), len(buckets))
    for shown, bucket in zip(cells["body"], buckets):
        assert [norm(c) for c in shown[1:]] == expected_cells(bucket), (shown, bucket)
    return cells


def chart(page: Page, granularity_noun: str = "mes"):
    return page.get_by_role("img", name=re.compile(f"^Gráfica de producción por {granularity_noun} "))


async def drawn(page: Page, granularity_noun: str = "mes") -> str:
    """Once the chart shows, what its canvas holds (to tell a redraw)."""
    image = chart(page, granularity_noun)
    await expect(image).to_be_visible()
    await expect(page.locator("figure[data-drawn=true]")).to_have_count(1)
    return await image.locator("canvas").evaluate("(c) => c.toDataURL()")


def query_of(page: Page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query, keep_blank_values=True).items()}


# --- the tests ------------------------------------------------------------------------------------


async def test_the_chart_and_the_table_show_the_apis_figures_month_by_month(
    server, browsing, api, world, history, request
):
    page = await browsing.page()
    await sign_in(page, server, USER, path=REPORT)
    await expect(page.get_by_role("heading", name="Reportes", level=1)).to_be_visible()
    await expect(page.get_by_role("group", name="Periodo").get_by_label("Desde")).to_have_value(PERIOD[0])
    await expect(page.get_by_role("group", name="Periodo").get_by_label("Hasta")).to_have_value(PERIOD[1])
    await expect(page.get_by_role("group", name="Granularidad").get_by_role("radio", name="Mes")).to_be_checked()

    months = await api_stats(api, world, "MONTH")
    assert [m["start"] for m in months] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    image = chart(page)
    await drawn(page)
    name = await image.get_attribute("aria-label")
    assert "del 1 ene 2026 al 31 mar 2026" in name and "todas sus unidades" in name, name
    for label in ("Documentos recibidos", "Turnos recibidos", "Respuestas enviadas", "Vencidos"):
        assert label in name, name  # the indicators drawn, named
    cells = await assert_table_equals_api(page, "Producción por mes", months)
    assert [norm(r[0]) for r in cells["body"]] == ["enero 2026", "febrero 2026", "marzo 2026"]
    # a history that is not all zeros, or the comparison proves little
    assert sum(m["turnosReceived"] for m in months) == 3 and sum(m["responsesSent"] for m in months) == 3

    # the total: the sums, and the mean over every answer of the period (the API's, for one year)
    (year,) = await api_stats(api, world, "YEAR")
    assert [norm(c) for c in cells["foot"]] == ["Total"] + expected_cells(year)
    assert norm(cells["foot"][-1]) == "10.3"  # (2 + 5 + 24) / 3 answers, not the mean of the months' means

    await check_screen(page, request, "reportes-mes")


async def test_a_document_received_at_2330_on_31_january_in_mexico_city_is_januarys(
    server, browsing, api, world, history
):
    """receivedAt 2026-02-01T05:30Z: February in UTC, January in Mexico City, the institution's zone. The
    browser's own zone does not move it (Honolulu's would write 1 January's midnight as 31 December)."""
    months = await api_stats(api, world, "MONTH", user="da_head")
    assert [m["documentsReceived"] for m in months] == [1, 0, 0]  # D2, DA's only document, in January
    for zone in ("America/Mexico_City", "Pacific/Honolulu", "Asia/Tokyo"):
        context = await browsing.browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="es-MX", timezone_id=zone
        )
        browsing.contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda error: browsing.errors.append(f"{page.url}: {error}"))
        await sign_in(page, server, "da_head", path=REPORT)
        cells = await assert_table_equals_api(page, "Producción por mes", months)
        january = [norm(c) for c in cells["body"][0]]
        assert january[:2] == ["enero 2026", "1"], (zone, january)
        assert [norm(r[1]) for r in cells["body"][1:]] == ["0", "0"], zone


async def test_changing_granularity_redraws_and_the_url_keeps_it(server, browsing, api, world, history):
    page = await browsing.page()
    await sign_in(page, server, USER, path=REPORT)
    before = await drawn(page)
    for label in ("Día", "Semana", "Año", "Mes"):
        value, noun, slug = GRANULARITY[label]
        await page.get_by_role("group", name="Granularidad").get_by_role("radio", name=label).check()
        after = await drawn(page, noun)
        assert after != before, f"{label}: the chart was not redrawn"
        before = after
        assert query_of(page).get("granularidad") == slug
        caption = f"Producción por {noun}"
        await expect(page.get_by_role("table", name=caption)).to_be_visible()
        buckets = await api_stats(api, world, value)
        await assert_table_equals_api(page, caption, buckets)
        assert len(buckets) == {"DAY": 90, "WEEK": 14, "YEAR": 1, "MONTH": 3}[value]
    # the first week (from Monday 29 December) counts from the period's first day, and says so
    await page.go_back()  # Año
    await page.go_back()  # Semana
    await expect(page.get_by_role("table", name="Producción por semana")).to_be_visible()
    cells = await table_cells(page, "Producción por semana")
    assert norm(cells["body"][0][0]) == "1 al 4 ene 2026"
    assert norm(cells["body"][-1][0]) == "30 al 31 mar 2026"


async def test_the_indicators_drawn_are_chosen_and_kept_in_the_url(server, browsing, history):
    page = await browsing.page()
    await sign_in(page, server, USER, path=REPORT)
    await drawn(page)
    chooser = page.get_by_role("group", name="Indicadores en la gráfica")
    await chooser.get_by_role("checkbox", name="Pendientes").check()
    await chooser.get_by_role("checkbox", name="Documentos recibidos").uncheck()
    await expect(chart(page)).to_have_attribute("aria-label", re.compile("Pendientes"))
    name = await chart(page).get_attribute("aria-label")
    assert "Documentos recibidos" not in name
    assert query_of(page)["graficar"] == "turnos-recibidos,respuestas-enviadas,pendientes,vencidos"
    for label in ("Turnos recibidos", "Respuestas enviadas", "Pendientes", "Vencidos"):
        await chooser.get_by_role("checkbox", name=label).uncheck()
    await expect(chart(page)).to_have_count(0)
    await expect(page.get_by_text("Elija al menos un indicador")).to_be_visible()
    await expect(page.get_by_role("table", name="Producción por mes")).to_be_visible()  # the figures stay
    await page.reload()
    await expect(page.get_by_text("Elija al menos un indicador")).to_be_visible()


async def test_by_unit_the_totals_and_the_average_days_to_answer_of_each_unit(
    server, browsing, api, world, history, request
):
    page = await browsing.page()
    await sign_in(page, server, USER, path=REPORT)
    await drawn(page)
    await page.get_by_role("checkbox", name="Por unidad").check()
    assert query_of(page)["porUnidad"] == "si"
    units = await api_stats(api, world, "YEAR", byUnit=True)  # one bucket: each unit's totals over the period
    assert [u["unit"]["acronym"] for u in units] == ["DG", "DA", "SRH", "DJ"]
    cells = await assert_table_equals_api(page, "Producción por unidad", units)
    assert [norm(r[0]).split(" ")[0] for r in cells["body"]] == ["DG", "DA", "SRH", "DJ"]
    averages = {u["unit"]["acronym"]: average_text(u["averageBusinessDaysToAnswer"]) for u in units}
    assert averages == {"DG": "sin respuestas", "DA": "2.0", "SRH": "5.0", "DJ": "24.0"}
    month_total = (await table_cells(page, "Producción por mes"))["foot"]
    assert cells["foot"] == month_total  # every unit together is the report's total
    await check_screen(page, request, "reportes-por-unidad")

    # a unit's name opens its own report: that unit alone
    await page.get_by_role("link", name=re.compile("^DA: ver su reporte")).click()
    await expect(page.get_by_role("combobox", name="Unidad")).to_have_value(world.unit_id("DA"))
    assert query_of(page)["unidad"] == world.unit_id("DA") and query_of(page)["subunidades"] == "no"
    await expect(chart(page)).to_have_attribute("aria-label", re.compile("solo DA"))
    alone = await api_stats(api, world, "MONTH", unitId=world.unit_id("DA"), includeSubunits=False)
    await assert_table_equals_api(page, "Producción por mes", alone)


async def test_a_unit_with_and_without_its_subunits(server, browsing, api, world, history):
    page = await browsing.page()
    await sign_in(page, server, "da_head", path=REPORT)
    await drawn(page)
    await page.get_by_role("combobox", name="Unidad").select_option(world.unit_id("SRH"))
    await expect(chart(page)).to_have_attribute("aria-label", re.compile("SRH y sus subunidades"))
    months = await api_stats(api, world, "MONTH", user="da_head", unitId=world.unit_id("SRH"))
    await assert_table_equals_api(page, "Producción por mes", months)
    await page.get_by_role("checkbox", name="Incluir subunidades").uncheck()
    await expect(chart(page)).to_have_attribute("aria-label", re.compile("solo SRH"))
    months = await api_stats(api, world, "MONTH", user="da_head", unitId=world.unit_id("SRH"), includeSubunits=False)
    await assert_table_equals_api(page, "Producción por mes", months)
    assert sum(m["turnosReceived"] for m in months) == 1


async def test_the_default_report_is_this_year_by_month_for_my_units(server, browsing, api, world, history):
    page = await browsing.page()
    await page.clock.set_fixed_time(NOW)  # the browser's today is the server's
    await sign_in(page, server, USER, path="/reportes")
    await expect(page.get_by_label("Desde")).to_have_value("2026-01-01")
    await expect(page.get_by_label("Hasta")).to_have_value("2026-03-02")
    await expect(page.get_by_role("radio", name="Mes")).to_be_checked()
    await expect(page.get_by_role("combobox", name="Unidad")).to_have_value("")
    await expect(page.get_by_role("checkbox", name="Incluir subunidades")).to_be_checked()
    await drawn(page)
    months = await api_stats(api, world, "MONTH", period=(None, None))  # the API's own defaults
    await assert_table_equals_api(page, "Producción por mes", months)
    assert query_of(page) == {}  # a bookmark of it stays "this year so far"


async def test_errors_next_to_their_fields_and_an_empty_period(server, browsing, api, world, history, request):
    page = await browsing.page()
    await sign_in(page, server, USER, path="/reportes?desde=2026-03-01&hasta=2026-01-31")
    period = page.get_by_role("group", name="Periodo")
    await expect(period).to_contain_text("La fecha inicial del periodo no puede ser posterior a la final.")
    await expect(period.get_by_label("Desde")).to_have_attribute("aria-invalid", "true")
    await expect(chart(page)).to_have_count(0)

    # more than 1,000 days: the API's words, next to Granularidad
    await page.goto(url(server, "/reportes?desde=2020-01-01&hasta=2026-03-31&granularidad=diaria"))
    response = await api.gql(
        STATS, {"period": {"from": "2020-01-01", "to": "2026-03-31"}, "granularity": "DAY"}, token=world.tokens[USER]
    )
    (error,) = response["errors"]
    assert error["extensions"]["field"] == "granularity"
    granularity = page.get_by_role("group", name="Granularidad")
    await expect(granularity).to_contain_text(error["message"])
    described = await granularity.evaluate(
        "(g) => document.getElementById(g.getAttribute('aria-describedby')).textContent"
    )
    assert described == error["message"]
    await axe(page, "reportes with an error")
    await page.get_by_role("radio", name="Mes").check()
    await expect(granularity).not_to_contain_text(error["message"])
    await drawn(page)

    # nothing happened: said in words, neither chart nor table
    await page.goto(url(server, "/reportes?desde=2025-06-01&hasta=2025-06-30"))
    await expect(page.get_by_text("No hubo movimientos en este periodo")).to_be_visible()
    await expect(page.get_by_role("img", name=re.compile("^Gráfica"))).to_have_count(0)
    await expect(page.get_by_role("table")).to_have_count(0)
    await fits_narrow_phone(page, "reportes empty")
    await check_screen(page, request, "reportes-vacio")


async def test_too_many_rows_by_unit_is_said_next_to_por_unidad(server, browsing, api, world, history, monkeypatch):
    """Buckets × units past MAX_ROWS is refused (10,000: a century by year for the demo's 93 units); the
    limit is lowered here as tests/test_stats.py does, so that this world's 4 units × 2 years pass it."""
    monkeypatch.setattr("resolvers.stats.MAX_ROWS", 7)
    period = ("2025-01-01", PERIOD[1])
    response = await api.gql(
        STATS,
        {"period": {"from": period[0], "to": period[1]}, "granularity": "YEAR", "byUnit": True},
        token=world.tokens[USER],
    )
    (error,) = response["errors"]
    assert error["extensions"]["field"] == "byUnit" and "8 filas" in error["message"]
    page = await browsing.page()
    await sign_in(page, server, USER, path=f"/reportes?desde={period[0]}&hasta={period[1]}&porUnidad=si")
    by_unit = page.get_by_role("checkbox", name="Por unidad")
    message = page.get_by_text(error["message"])
    await expect(message).to_be_visible()
    assert await message.get_attribute("id") in (await by_unit.get_attribute("aria-describedby")).split()
    await expect(page.get_by_role("table", name="Producción por unidad")).to_have_count(0)
    # the report by month is still there, and leaving "Por unidad" clears the message
    await assert_table_equals_api(page, "Producción por mes", await api_stats(api, world, "MONTH", period=period))
    await by_unit.uncheck()
    await expect(message).to_have_count(0)
    await axe(page, "reportes")


async def test_typed_dates_apply_and_the_back_button_restores(server, browsing, api, world, history):
    page = await browsing.page()
    await sign_in(page, server, USER, path=REPORT)
    await drawn(page)
    await page.get_by_label("Desde").fill("2026-02-01")
    await expect(chart(page)).to_have_attribute("aria-label", re.compile("del 1 feb 2026 al 31 mar 2026"))
    assert query_of(page)["desde"] == "2026-02-01"
    months = await api_stats(api, world, "MONTH", period=("2026-02-01", PERIOD[1]))
    await assert_table_equals_api(page, "Producción por mes", months)
    await page.go_back()
    await expect(chart(page)).to_have_attribute("aria-label", re.compile("del 1 ene 2026 al 31 mar 2026"))
    await expect(page.get_by_label("Desde")).to_have_value(PERIOD[0])


async def test_the_chart_library_loads_with_reportes_only(server, browsing, history):
    """The first screen does not carry the chart library; Reportes' chunk does. Sizes are figures."""
    page = await browsing.page()
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    await sign_in(page, server, USER)
    first_screen = sorted(set(scripts))
    scripts.clear()
    await page.get_by_role("navigation").get_by_role("link", name="Reportes").click()
    await drawn(page)
    reportes = sorted(set(scripts) - set(first_screen))

    async def holds_uplot(script: str) -> bool:  # uPlot's own class names survive minification
        text = await page.evaluate("(s) => fetch(s).then(r => r.text())", script)
        return "u-cursor-pt" in text and "u-over" in text

    assert any("/Reportes-" in s for s in reportes), reportes
    assert [s for s in reportes if await holds_uplot(s)], "where is the chart library?"
    assert not [s for s in first_screen if await holds_uplot(s)], "the chart library ships with the first screen"
    sizes = await gzip_size_of_scripts(reportes)
    for script, size in sizes.items():
        print(f"  {urlparse(script).path}: {size / 1024:.1f} KB gzip")
    figure(
        f"JavaScript that Reportes adds to the first screen: {sum(sizes.values()) / 1024:.1f} KB gzip in "
        f"{len(sizes)} scripts (the chart library uPlot included)"
    )


async def test_reportes_on_a_phone_and_by_keyboard(server, browsing, history, request):
    page = await browsing.page(viewport={"width": 390, "height": 844})
    await sign_in(page, server, USER, path=REPORT + "&granularidad=semanal")
    await drawn(page, "semana")
    await fits_narrow_phone(page, "reportes by week")
    # the table's frame scrolls sideways by keyboard (its own focus stop), the page does not
    frame = page.get_by_role("region", name="Producción por semana")
    await frame.focus()
    assert await frame.evaluate("(f) => f.scrollWidth > f.clientWidth")
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("ArrowRight")
    await frame.evaluate("""(f) => new Promise((done, fail) => {
        const started = performance.now();
        const check = () => f.scrollLeft > 0 ? done() : performance.now() - started > 5000 ? fail('not scrolled') : requestAnimationFrame(check);
        check(); })""")
    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    await check_screen(page, request, "reportes-semana")
    kinds = Counter(await page.evaluate("[...document.querySelectorAll('table')].map(t => t.caption?.textContent)"))
    assert kinds == {"Producción por semana": 1}
