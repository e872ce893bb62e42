"""registerDocument: folios, validation, duplicates, events, listing."""

import asyncio
from datetime import datetime, timezone

import pytest

from tests.helpers import DOCS, register
from tests.world import register_many


async def test_register_assigns_folio_and_records_event(api, world):
    result = await register(api, world)
    assert result["errors"] == []
    doc = result["document"]
    assert doc["folio"] == "DA/2026/000001"
    assert doc["status"] == "REGISTERED"
    assert doc["unit"] == {"acronym": "DA"}
    assert doc["registeredBy"] == {"username": "da_reg"}
    assert doc["trafficLight"] == "NONE"
    second = await register(api, world, reference="OTRA/1")
    assert second["document"]["folio"] == "DA/2026/000002"
    other_unit = await register(api, world, user="dj_reg", unit="DJ")
    assert other_unit["document"]["folio"] == "DJ/2026/000001"

    history = await api.ok(
        "query($id: ID!) { node(id: $id) { ... on Document { history { totalCount edges { node { kind sequence actor { username } data } } } } } }",
        {"id": doc["id"]},
        token=world.tokens["da_reg"],
    )
    events = history["node"]["history"]
    assert events["totalCount"] == 1
    assert events["edges"][0]["node"]["kind"] == "DOCUMENT_REGISTERED"
    assert events["edges"][0]["node"]["actor"] == {"username": "da_reg"}
    assert events["edges"][0]["node"]["data"]["folio"] == "DA/2026/000001"


async def test_folio_year_follows_the_institution_time_zone(api, world, clock):
    # 31 Dec 2026 23:30 in Mexico City is already 1 Jan 2027 in UTC: the folio stays in 2026
    clock.set(datetime(2027, 1, 1, 5, 30, tzinfo=timezone.utc))
    result = await register(api, world)
    assert result["document"]["folio"] == "DA/2026/000001"
    clock.set(datetime(2027, 1, 1, 6, 30, tzinfo=timezone.utc))
    result = await register(api, world, reference="X/2")
    assert result["document"]["folio"] == "DA/2027/000001"


@pytest.mark.parametrize(
    "user,allowed",
    [
        ("da_reg", True),
        ("da_head", True),
        ("admin", True),
        ("da_staff", False),
        ("da_viewer", False),
        ("dg_head", False),
        ("dj_reg", False),
    ],
)
async def test_who_may_register_in_a_unit(api, world, user, allowed):
    result = await register(api, world, user=user)
    if allowed:
        assert result["errors"] == [] and result["document"]["folio"].startswith("DA/")
    else:
        assert result["document"] is None
        assert [e["code"] for e in result["errors"]] == ["FORBIDDEN"]


async def test_validation_reports_every_field_and_writes_nothing(api, world, services):
    result = await register(
        api,
        world,
        subject="  ",
        documentType="NO_EXISTE",
        origin="INTERNAL",
        sender={"level": "STATE", "name": "", "email": "no-es-correo"},
        documentDate="2026-03-05",
        dueDate="2026-02-01",
    )
    assert result["document"] is None
    fields = sorted(e["field"] for e in result["errors"])
    assert fields == [
        "documentDate",
        "documentType",
        "dueDate",
        "sender.email",
        "sender.level",
        "sender.name",
        "subject",
    ]
    assert {e["code"] for e in result["errors"]} == {"VALIDATION"}
    # nothing half-written: no document, no event, and the folio counter did not move
    assert (await register(api, world))["document"]["folio"] == "DA/2026/000001"
    events = await api.ok("{ events { totalCount } }", token=world.tokens["admin"])
    assert events["events"]["totalCount"] == 1


async def test_bad_ids_and_inactive_units(api, world):
    result = await register(api, world, unitId="bm90LWFuLWlk")
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("NOT_FOUND", "unitId")]
    result = await register(api, world, receivedAt="2026-03-09T10:00:00-06:00")
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("VALIDATION", "receivedAt")]
    deactivate = await api.ok(
        "mutation($id: ID!) { updateOrgUnit(input: {id: $id, active: false}) { errors { code } } }",
        {"id": world.unit_id("DJ")},
        token=world.tokens["admin"],
    )
    assert deactivate["updateOrgUnit"]["errors"] == []
    result = await register(api, world, user="dj_reg", unit="DJ")
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("VALIDATION", "unitId")]


async def test_duplicate_suspicion_is_a_warning_not_a_block(api, world, clock):
    first = await register(api, world, reference="SEDUI/0456/2026")
    assert first["warnings"] == []
    clock.advance(days=10)
    # same organization (accents and case aside) and reference: warned, still registered
    second = await register(
        api,
        world,
        reference="sedui/0456/2026",
        sender={"level": "STATE", "name": "Otra persona", "organization": "SECRETARIA DE DESARROLLO URBANO"},
    )
    assert second["document"]["folio"] == "DA/2026/000002"
    assert len(second["warnings"]) == 1 and "DA/2026/000001" in second["warnings"][0]
    clock.advance(days=31)
    third = await register(api, world, reference="SEDUI/0456/2026")
    assert [w for w in third["warnings"] if "000001" in w] == []  # outside the 30-day window


async def test_concurrent_registrations_get_consecutive_folios(api, world, backend):
    count = 100 if backend == "postgresql" else 20
    results = await asyncio.gather(*[register(api, world, reference=f"R/{i}") for i in range(count)])
    folios = sorted(r["document"]["folio"] for r in results)
    assert folios == [f"DA/2026/{n:06d}" for n in range(1, count + 1)]


async def test_documents_keyset_pagination_both_ways(api, world, clock):
    for i in range(7):
        await register(api, world, reference=f"P/{i}")
        clock.advance(minutes=1)
    token = world.tokens["da_head"]
    page1 = (await api.ok(DOCS, {"first": 3}, token=token))["documents"]
    assert page1["totalCount"] == 7
    assert [e["node"]["folio"][-1] for e in page1["edges"]] == ["7", "6", "5"]
    assert page1["pageInfo"]["hasNextPage"] is True
    page2 = (await api.ok(DOCS, {"first": 3, "after": page1["pageInfo"]["endCursor"]}, token=token))["documents"]
    assert [e["node"]["folio"][-1] for e in page2["edges"]] == ["4", "3", "2"]
    page3 = (await api.ok(DOCS, {"first": 3, "after": page2["pageInfo"]["endCursor"]}, token=token))["documents"]
    assert [e["node"]["folio"][-1] for e in page3["edges"]] == ["1"]
    assert page3["pageInfo"]["hasNextPage"] is False
    back = (await api.ok(DOCS, {"last": 2, "before": page2["pageInfo"]["startCursor"]}, token=token))["documents"]
    assert [e["node"]["folio"][-1] for e in back["edges"]] == ["6", "5"]
    assert back["pageInfo"]["hasPreviousPage"] is True


async def test_page_size_is_capped_and_cursors_checked(api, world):
    big = await api.ok(DOCS, {"first": 1000}, token=world.tokens["admin"])
    assert big["documents"]["edges"] == []  # capped, not refused (nothing to list here)
    body = await api.gql(DOCS, {"first": 5, "after": "basura"}, token=world.tokens["admin"])
    assert body["errors"][0]["extensions"]["code"] == "VALIDATION"
    body = await api.gql(DOCS, {"first": -1}, token=world.tokens["admin"])
    assert body["errors"][0]["extensions"]["code"] == "VALIDATION"


async def test_first_is_capped_at_100(api, world, services):
    await register_many(services, world, 101)
    page = (await api.ok(DOCS, {"first": 500}, token=world.tokens["admin"]))["documents"]
    assert len(page["edges"]) == 100 and page["pageInfo"]["hasNextPage"] is True and page["totalCount"] == 101
    default = (await api.ok(DOCS, {}, token=world.tokens["admin"]))["documents"]
    assert len(default["edges"]) == 50
