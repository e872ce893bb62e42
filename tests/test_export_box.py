"""startExport with `box`: an export of the Bandeja (INBOX) or of Enviados (OUTBOX) holds exactly the
turnos that list shows for the same filter, as on the screen (without it, every visible turno)."""

from __future__ import annotations

import pytest

from tests.exports import START, indicators, records, run_export
from tests.workflow import Flow

LIST = """query($filter: TurnoFilter) {
  inbox(filter: $filter, first: 100) { edges { node { number } } }
  outbox(filter: $filter, first: 100) { edges { node { number } } } }"""


@pytest.fixture
async def turnos(api, world) -> dict[str, str]:
    """DG → DA (DA's inbox), DA → SRH (DA's outbox, and its HEAD's inbox: SRH is below DA), DA → DJ
    (DA's outbox only); numbers by name."""
    flow, numbers = Flow(api, world), {}
    for name, user, unit, to in [
        ("dg_da", "dg_reg", "DG", "DA"),
        ("da_srh", "da_reg", "DA", "SRH"),
        ("da_dj", "da_reg", "DA", "DJ"),
    ]:
        document = await flow.register(user=user, unit=unit, reference=f"BOX/{name}")
        sent = await flow.send(user, document=document["id"], recipients=[{"unitId": to, "instruction": "RESPONSE"}])
        assert sent["errors"] == [], sent
        numbers[name] = sent["turnos"][0]["number"]
    return numbers


async def listed(api, world, user: str, box: str, turno_filter: dict) -> list[str]:
    data = await api.ok(LIST, {"filter": turno_filter}, token=world.tokens[user])
    return [e["node"]["number"] for e in data[box]["edges"]]


@pytest.mark.parametrize("user", ["da_head", "da_reg"])
async def test_an_export_of_a_box_holds_what_that_box_lists(api, services, world, turnos, user):
    unit = {"SRH": world.unit_id("SRH"), "DA": world.unit_id("DA")}
    filters = [
        {},
        {"includeSubunits": False},
        {"unitId": unit["SRH"]},
        {"unitId": unit["DA"], "includeSubunits": False},
        {"status": ["SENT"]},
    ]
    seen = set()
    for box in ("inbox", "outbox"):
        for turno_filter in filters:
            expected = await listed(api, world, user, box, turno_filter)
            _, workbook = await run_export(api, services, world, user, {"turnos": turno_filter, "box": box.upper()})
            assert [r["Número"] for r in records(workbook["Turnos"])] == expected, (box, turno_filter)
            assert indicators(workbook)["Filtro"].startswith("Bandeja" if box == "inbox" else "Enviados")
            seen.add((box, tuple(expected)))
    # the lists differ, so the test tells the boxes apart
    inbox_all = tuple(await listed(api, world, user, "inbox", {}))
    outbox_all = tuple(await listed(api, world, user, "outbox", {}))
    assert inbox_all != outbox_all and ("inbox", inbox_all) in seen and ("outbox", outbox_all) in seen
    assert set(outbox_all) == {turnos["da_srh"], turnos["da_dj"]}
    # without a box: every turno the person may see, unitId the recipient (as before)
    _, workbook = await run_export(api, services, world, user, {"turnos": {}})
    assert {r["Número"] for r in records(workbook["Turnos"])} == set(turnos.values())


async def test_a_box_goes_with_turnos_only(api, world):
    data = await api.ok(START, {"input": {"documents": {}, "box": "INBOX"}}, token=world.tokens["da_head"])
    assert data["startExport"]["export"] is None
    assert [(e["code"], e["field"]) for e in data["startExport"]["errors"]] == [("VALIDATION", "input.box")]
