"""The directory of people is not public to every signed-in user: `node(User)`, e-mail and
memberships show the people of the units in one's scope (and oneself); others appear only by
name, as the actors of what one may see. ADMIN sees everyone."""

import pytest

from tests.workflow import Flow

PERSON = "query($id: ID!) { node(id: $id) { ... on User { username fullName email memberships { role unit { acronym } } } } }"


@pytest.mark.parametrize(
    "viewer,person,visible",
    [
        ("da_staff", "da_head", True),  # same unit
        ("da_staff", "da_staff", True),  # oneself
        ("da_staff", "srh_staff", False),  # a STAFF sees only their own unit
        ("da_staff", "dj_head", False),
        ("da_staff", "admin", False),
        ("da_head", "drh_staff", True),  # a HEAD sees their subtree's people
        ("da_head", "dg_head", False),  # not those above
        ("dg_head", "dj_viewer", True),
        ("admin", "dj_viewer", True),
    ],
)
async def test_node_user_follows_the_directory(api, world, viewer, person, visible):
    node = (await api.ok(PERSON, {"id": world.user_id(person)}, token=world.tokens[viewer]))["node"]
    assert (node is not None) == visible
    if visible:
        assert node["username"] == person


async def test_actors_outside_the_directory_show_their_name_only(api, world):
    flow = Flow(api, world)
    doc = await flow.register(user="dg_reg", unit="DG")
    turno = (await flow.send("dg_reg", document=doc["id"], recipients=[{"unitId": "DA", "instruction": "RESPONSE"}]))[
        "turnos"
    ][0]
    body = await api.gql(
        """query($id: ID!) { node(id: $id) { ... on Turno { sentBy {
        fullName email memberships { role } } } } }""",
        {"id": turno["id"]},
        token=world.tokens["da_staff"],
    )
    sent_by = body["data"]["node"]["sentBy"]
    assert sent_by["fullName"] == "Dg Reg" and sent_by["email"] is None and sent_by["memberships"] == []
    assert [(e["path"][-1], e["extensions"]["code"]) for e in body["errors"]] == [("email", "FORBIDDEN")]
    # DG's head sees the same person whole
    whole = await api.ok(
        """query($id: ID!) { node(id: $id) { ... on Turno { sentBy { memberships { role } } } } }""",
        {"id": turno["id"]},
        token=world.tokens["dg_head"],
    )
    assert whole["node"]["sentBy"]["memberships"] == [{"role": "REGISTRAR"}]


async def test_memberships_show_only_the_units_in_scope(api, world):
    both = await api.ok(
        """mutation($input: UpdateUserInput!) { updateUser(input: $input) { errors { code } } }""",
        {
            "input": {
                "id": world.user_id("dj_staff"),
                "memberships": [
                    {"unitId": world.unit_id("DJ"), "role": "STAFF"},
                    {"unitId": world.unit_id("DA"), "role": "STAFF"},
                ],
            }
        },
        token=world.tokens["admin"],
    )
    assert both["updateUser"]["errors"] == []
    seen_by_da = (await api.ok(PERSON, {"id": world.user_id("dj_staff")}, token=world.tokens["da_staff"]))["node"]
    assert [m["unit"]["acronym"] for m in seen_by_da["memberships"]] == ["DA"]
    seen_by_self = (await api.ok(PERSON, {"id": world.user_id("dj_staff")}, token=world.tokens["dj_staff"]))["node"]
    assert [m["unit"]["acronym"] for m in seen_by_self["memberships"]] == ["DJ", "DA"]
    me = await api.ok("{ me { username email memberships { unit { acronym } } } }", token=world.tokens["dj_staff"])
    assert [m["unit"]["acronym"] for m in me["me"]["memberships"]] == ["DJ", "DA"]
