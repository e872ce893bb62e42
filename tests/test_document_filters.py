"""DocumentFilter: each field narrows `documents` as the contract says."""

from datetime import datetime, timezone

import pytest

from tests.helpers import REGISTER, doc_input

FOLIOS = """query($filter: DocumentFilter) { documents(filter: $filter, first: 100) {
  totalCount edges { node { folio trafficLight } } } }"""


async def folios(api, world, filter, user="admin"):
    data = await api.ok(FOLIOS, {"filter": filter}, token=world.tokens[user])
    conn = data["documents"]
    assert conn["totalCount"] == len(conn["edges"])
    return sorted(e["node"]["folio"] for e in conn["edges"])


async def reg(api, world, user="da_reg", unit="DA", **fields):
    data = await api.ok(REGISTER, {"input": doc_input(world, unit=unit, **fields)}, token=world.tokens[user])
    assert data["registerDocument"]["errors"] == [], data
    return data["registerDocument"]["document"]["folio"]


@pytest.fixture
async def corpus(api, world, clock):
    """Five documents on known days (Mexico City), units, types, senders and priorities."""
    clock.set(datetime(2026, 3, 2, 16, 0, tzinfo=timezone.utc))
    a = await reg(
        api,
        world,
        receivedAt="2026-02-27T23:30:00-06:00",  # Friday 27 Feb local; 28 Feb in UTC
        subject="Regularización de predios en Toluca",
        documentType="OFICIO",
        sender={"level": "MUNICIPAL", "name": "Presidente Municipal", "organization": "H. Ayuntamiento de Toluca"},
    )
    b = await reg(
        api,
        world,
        receivedAt="2026-02-28T10:00:00-06:00",
        subject="Información del padrón",
        summary="Solicitud de información pública",
        documentType="SOLICITUD_CIUDADANA",
        priority="URGENT",
        sender={"level": "CITIZEN", "name": "José Martínez Núñez"},
        dueDate="2026-03-03",
    )
    c = await reg(
        api,
        world,
        user="srh_reg",
        unit="SRH",
        receivedAt="2026-03-01T09:00:00-06:00",
        subject="Nómina de febrero",
        documentType="MEMORANDUM",
        origin="INTERNAL",
        sender={"level": "INTERNAL", "name": "Dirección de Administración"},
        dueDate="2026-03-20",
    )
    d = await reg(
        api,
        world,
        user="dj_reg",
        unit="DJ",
        receivedAt="2026-02-26T08:00:00-06:00",
        subject="Amparo 123/2026",
        reference="JUZ-3/2026",
        documentType="OFICIO",
        dueDate="2026-02-27",
        sender={"level": "FEDERAL", "name": "Juzgado Tercero de Distrito"},
    )
    e = await reg(
        api,
        world,
        user="srh_reg",
        unit="SRH",
        receivedAt="2026-03-02T09:00:00-06:00",
        subject="Incidencias",
        documentType="TARJETA_INFORMATIVA",
        origin="INTERNAL",
        sender={"level": "INTERNAL", "name": "Departamento de Nóminas"},
    )
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


async def test_period_is_inclusive_local_days(api, world, corpus):
    assert await folios(api, world, {"period": {"from": "2026-02-27", "to": "2026-02-27"}}) == [corpus["a"]]
    assert await folios(api, world, {"period": {"from": "2026-02-28", "to": "2026-03-01"}}) == sorted(
        [corpus["b"], corpus["c"]]
    )
    assert await folios(api, world, {"period": {"from": "2026-03-02"}}) == [corpus["e"]]
    assert len(await folios(api, world, {"period": {"to": "2026-03-01"}})) == 4


async def test_unit_with_and_without_subunits(api, world, corpus):
    da = world.unit_id("DA")
    assert await folios(api, world, {"unitId": da}) == sorted([corpus["a"], corpus["b"]])
    assert await folios(api, world, {"unitId": da, "includeSubunits": True}) == sorted(
        [corpus["a"], corpus["b"], corpus["c"], corpus["e"]]
    )
    body = await api.gql(FOLIOS, {"filter": {"unitId": "Zm9vOjE="}}, token=world.tokens["admin"])
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_unit_filter_never_widens_visibility(api, world, corpus):
    # dj_head sees only DJ's document, whatever unit they filter on
    assert await folios(api, world, {"unitId": world.unit_id("DA"), "includeSubunits": True}, user="dj_head") == []
    assert await folios(api, world, {}, user="dj_head") == [corpus["d"]]


async def test_status_origin_level_type_priority(api, world, corpus):
    assert len(await folios(api, world, {"status": ["REGISTERED"]})) == 5
    assert await folios(api, world, {"status": ["CONCLUDED", "ARCHIVED"]}) == []
    assert await folios(api, world, {"origin": "INTERNAL"}) == sorted([corpus["c"], corpus["e"]])
    assert await folios(api, world, {"senderLevel": ["CITIZEN", "FEDERAL"]}) == sorted([corpus["b"], corpus["d"]])
    assert await folios(api, world, {"documentType": ["OFICIO"]}) == sorted([corpus["a"], corpus["d"]])
    assert await folios(api, world, {"priority": "URGENT"}) == [corpus["b"]]
    assert await folios(
        api, world, {"origin": "EXTERNAL", "documentType": ["OFICIO"], "senderLevel": ["MUNICIPAL"]}
    ) == [corpus["a"]]


async def test_traffic_light(api, world, corpus, clock):
    # today Monday 2 March 2026: b due Tue 3 (1 business day left: YELLOW), c due 20 March (GREEN),
    # d due Fri 27 Feb (RED), a and e have no due date (NONE)
    assert await folios(api, world, {"trafficLight": ["RED"]}) == [corpus["d"]]
    assert await folios(api, world, {"trafficLight": ["YELLOW"]}) == [corpus["b"]]
    assert await folios(api, world, {"trafficLight": ["GREEN"]}) == [corpus["c"]]
    assert await folios(api, world, {"trafficLight": ["NONE"]}) == sorted([corpus["a"], corpus["e"]])
    assert await folios(api, world, {"trafficLight": ["RED", "YELLOW"]}) == sorted([corpus["b"], corpus["d"]])
    # the lights the list shows agree with the filter
    data = await api.ok(FOLIOS, {"filter": {}}, token=world.tokens["admin"])
    lights = {e["node"]["folio"]: e["node"]["trafficLight"] for e in data["documents"]["edges"]}
    assert lights == {
        corpus["a"]: "NONE",
        corpus["b"]: "YELLOW",
        corpus["c"]: "GREEN",
        corpus["d"]: "RED",
        corpus["e"]: "NONE",
    }
    # a week later b is overdue; c has 9 business days left... still GREEN
    clock.set(datetime(2026, 3, 9, 18, 0, tzinfo=timezone.utc))
    assert await folios(api, world, {"trafficLight": ["RED"]}) == sorted([corpus["b"], corpus["d"]])


async def test_search_is_accent_and_case_insensitive(api, world, corpus):
    assert await folios(api, world, {"search": "regularizacion"}) == [corpus["a"]]
    assert await folios(api, world, {"search": "NÓMINA"}) == sorted([corpus["c"], corpus["e"]])  # subject; sender
    assert await folios(api, world, {"search": "informacion publica"}) == [corpus["b"]]  # summary; both words
    assert await folios(api, world, {"search": "jose nunez"}) == [corpus["b"]]  # sender name
    assert await folios(api, world, {"search": "juz-3"}) == [corpus["d"]]  # reference
    assert await folios(api, world, {"search": "ayuntamiento toluca"}) == [corpus["a"]]  # sender organization
    assert await folios(api, world, {"search": "inexistente"}) == []
    assert await folios(api, world, {"search": "100%_"}) == []  # no wildcards: % and _ are not words
