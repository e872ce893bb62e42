"""What clients read in `Event.data`: every id is a global ID, under a key ending in Id."""

from schema.ids import from_global_id
from tests.helpers import mutate, new_unit, new_user
from tests.workflow import delegate, turn

EVENTS = "{ events(first: 100) { edges { node { kind data } } } }"
NODE = "query($id: ID!) { node(id: $id) { __typename } }"
EXPECTED_TYPES = {
    "unitId": "OrgUnit",
    "fromUnitId": "OrgUnit",
    "toUnitId": "OrgUnit",
    "userId": "User",
    "responseId": "Response",
    "cascadeFromId": "Turno",
}


async def test_every_id_in_event_data_is_a_global_id(flow, api, world):
    # one event of every kind that carries an id
    doc_id, turno = await turn(flow, to="DA")
    below = await delegate(flow, "da_head", turno["id"], "SRH")
    answer = await flow.respond("srh_staff", below["id"])
    await flow.evaluate("da_head", answer["response"]["id"], "RETURN", comment="Incompleto.")
    await flow.cancel("dg_reg", turno["id"])  # cascades to the delegation
    assert (await mutate(api, world, "createOrgUnit", new_unit(world)))["errors"] == []
    assert (await mutate(api, world, "createUser", new_user(world)))["errors"] == []

    events = [e["node"] for e in (await api.ok(EVENTS, token=world.tokens["admin"]))["events"]["edges"]]
    seen_keys = set()
    for event in events:
        for key, value in (event["data"] or {}).items():
            assert not (isinstance(value, int) and key.lower().endswith(("id", "from"))), (event["kind"], key, value)
            if not key.endswith("Id") or value is None:
                continue
            seen_keys.add(key)
            parsed = from_global_id(value)
            assert parsed and parsed[0] == EXPECTED_TYPES[key], (event["kind"], key, value)
            node = (await api.ok(NODE, {"id": value}, token=world.tokens["admin"]))["node"]
            assert node == {"__typename": EXPECTED_TYPES[key]}, (event["kind"], key, value)
    assert seen_keys == set(EXPECTED_TYPES)
    cascaded = [e for e in events if e["kind"] == "TURNO_CANCELLED" and "cascadeFromId" in (e["data"] or {})]
    assert [e["data"]["cascadeFromId"] for e in cascaded] == [turno["id"]]
