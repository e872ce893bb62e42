"""Find people: who works in a unit (OrgUnit.members, for the units in one's scope) and ADMIN's
directory of users (search without accents, by unit, by state, paginated)."""

import pytest

from mcs.bootstrap import create_admin
from tests.helpers import mutate, new_user
from tests.world import USERS

MEMBERS = "{ orgUnits { acronym members { role user { username fullName } } } }"
USERS_QUERY = """query($search: String, $unitId: ID, $active: Boolean, $first: Int, $after: String) {
  users(search: $search, unitId: $unitId, active: $active, first: $first, after: $after) {
    totalCount edges { cursor node { username fullName email active } } pageInfo { hasNextPage endCursor } } }"""
ALL_UNITS = {"INST", "DG", "DA", "SRH", "DRH", "DJ"}
WORLD_USERNAMES = sorted(USERS)
UNDERSCORED = [u for u in WORLD_USERNAMES if "_" in u]  # every test user but "admin"


def error_codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def members_by_unit(api, token: str) -> tuple[dict[str, list | None], dict]:
    body = await api.gql(MEMBERS, token=token)
    return {u["acronym"]: u["members"] for u in body["data"]["orgUnits"]}, body


def people(members: list[dict]) -> list[tuple[str, str]]:
    return [(m["user"]["username"], m["role"]) for m in members]


async def create_user(api, world, **fields) -> dict:
    result = await mutate(api, world, "createUser", new_user(world, **fields))
    assert result["errors"] == [], result["errors"]
    return result["user"]


async def update_user(api, world, user_id: str, **fields) -> dict:
    result = await mutate(api, world, "updateUser", {"id": user_id, **fields})
    assert result["errors"] == [], result["errors"]
    return result["user"]


# --- OrgUnit.members ----------------------------------------------------------------------------


async def test_staff_sees_the_people_of_their_own_unit(api, world):
    members, body = await members_by_unit(api, world.tokens["da_staff"])
    assert members["DA"] == [
        {"role": "HEAD", "user": {"username": "da_head", "fullName": "Da Head"}},
        {"role": "REGISTRAR", "user": {"username": "da_reg", "fullName": "Da Reg"}},
        {"role": "STAFF", "user": {"username": "da_staff", "fullName": "Da Staff"}},
        {"role": "VIEWER", "user": {"username": "da_viewer", "fullName": "Da Viewer"}},
    ]
    # any other unit, above, below or beside: null, with a FORBIDDEN error each
    forbidden = ALL_UNITS - {"DA"}
    assert {a for a, m in members.items() if m is None} == forbidden
    assert error_codes(body) == ["FORBIDDEN"] * len(forbidden)
    assert all(e["path"][-1] == "members" and e["message"] for e in body["errors"])


@pytest.mark.parametrize(
    "user,visible",
    [
        ("da_staff", {"DA"}),
        ("srh_staff", {"SRH"}),
        ("da_head", {"DA", "SRH", "DRH"}),
        ("da_viewer", {"DA", "SRH", "DRH"}),
        ("da_reg", {"DA", "SRH", "DRH"}),
        ("dg_head", {"DG", "DA", "SRH", "DRH", "DJ"}),
        ("dj_staff", {"DJ"}),
        ("admin", ALL_UNITS),
    ],
)
async def test_who_sees_the_members_of_which_unit(api, world, user, visible):
    members, body = await members_by_unit(api, world.tokens[user])
    assert {a for a, m in members.items() if m is not None} == visible
    assert error_codes(body) == ["FORBIDDEN"] * len(ALL_UNITS - visible)


async def test_members_through_node_follow_the_same_rule(api, world):
    query = "query($id: ID!) { node(id: $id) { ... on OrgUnit { acronym members { user { username } } } } }"
    body = await api.gql(query, {"id": world.unit_id("DG")}, token=world.tokens["da_staff"])
    assert body["data"]["node"] == {"acronym": "DG", "members": None}
    assert error_codes(body) == ["FORBIDDEN"]
    data = await api.ok(query, {"id": world.unit_id("DRH")}, token=world.tokens["da_head"])
    assert data["node"]["members"] == [{"user": {"username": "drh_staff"}}]
    # reached through my own memberships, the parent's members are still guarded
    body = await api.gql(
        "{ me { memberships { unit { members { role } parent { acronym members { role } } } } } }",
        token=world.tokens["srh_staff"],
    )
    unit = body["data"]["me"]["memberships"][0]["unit"]
    assert len(unit["members"]) == 3 and unit["parent"] == {"acronym": "DA", "members": None}
    assert error_codes(body) == ["FORBIDDEN"]


async def test_admin_sees_every_unit_with_its_people(api, world):
    members, body = await members_by_unit(api, world.tokens["admin"])
    assert "errors" not in body
    expected = {acronym: [] for acronym in ALL_UNITS}
    for username, grants in USERS.items():
        for unit, role in grants:
            expected[unit].append((username, role.value))
    # by name: every test user's name is its username title-cased, so the orders agree
    assert {a: people(m) for a, m in members.items()} == {a: sorted(p) for a, p in expected.items()}


async def test_inactive_people_are_not_listed(api, world):
    await update_user(api, world, world.user_id("da_staff"), active=False)
    members, _ = await members_by_unit(api, world.tokens["da_head"])
    assert [u for u, _ in people(members["DA"])] == ["da_head", "da_reg", "da_viewer"]
    await update_user(api, world, world.user_id("da_staff"), active=True)
    members, _ = await members_by_unit(api, world.tokens["da_head"])
    assert "da_staff" in [u for u, _ in people(members["DA"])]


async def test_a_person_with_two_roles_appears_once_per_role(api, world):
    await create_user(
        api,
        world,
        username="ana.lopez",
        fullName="Ana López Ruiz",
        memberships=[
            {"unitId": world.unit_id("DA"), "role": "STAFF"},
            {"unitId": world.unit_id("DA"), "role": "REGISTRAR"},
            {"unitId": world.unit_id("DJ"), "role": "VIEWER"},
        ],
    )
    members, _ = await members_by_unit(api, world.tokens["da_head"])
    ana = [m for m in members["DA"] if m["user"]["username"] == "ana.lopez"]
    assert sorted(m["role"] for m in ana) == ["REGISTRAR", "STAFF"]
    assert all(m["user"]["fullName"] == "Ana López Ruiz" for m in ana)
    assert len(members["DA"]) == 6
    assert members["DJ"] is None  # da_head does not see DJ, even if Ana is there too
    admin_view, _ = await members_by_unit(api, world.tokens["admin"])
    assert ("ana.lopez", "VIEWER") in people(admin_view["DJ"])


MEMBERS_COST = "{ orgUnits { acronym members { role user { username } } } }"
# 1 authentication, 1 units, 1 memberships of every unit, 1 users of every membership
EXPECTED_MEMBERS_QUERIES = 4


async def test_members_of_every_unit_cost_a_fixed_number_of_queries(api, world, queries):
    async def cost() -> tuple[int, int]:
        queries.reset()
        data = await api.ok(MEMBERS_COST, token=world.tokens["admin"])
        return queries.count, sum(len(u["members"]) for u in data["orgUnits"])

    before, people_before = await cost()
    for i in range(4):
        created = await mutate(
            api,
            world,
            "createOrgUnit",
            {
                "code": f"13{i}",
                "acronym": f"DX{i}",
                "name": f"Dirección {i}",
                "kind": "DIRECTORATE",
                "parentId": world.unit_id("DG"),
            },
        )
        assert created["errors"] == []
        unit_id = created["orgUnit"]["id"]
        for j in range(2):
            await create_user(
                api,
                world,
                username=f"persona.{i}.{j}",
                email=None,
                fullName=f"Persona {i} {j}",
                memberships=[{"unitId": unit_id, "role": "STAFF"}, {"unitId": world.unit_id("DA"), "role": "VIEWER"}],
            )
    after, people_after = await cost()
    assert people_after == people_before + 16
    assert (before, after) == (EXPECTED_MEMBERS_QUERIES, EXPECTED_MEMBERS_QUERIES), "\n---\n".join(
        s[:150] for s in queries.statements
    )


# --- users (ADMIN's directory) ------------------------------------------------------------------


async def users(api, world, user: str = "admin", **variables) -> dict:
    return (await api.ok(USERS_QUERY, variables, token=world.tokens[user]))["users"]


async def usernames(api, world, **variables) -> list[str]:
    page = await users(api, world, **{"first": 100, **variables})
    assert page["totalCount"] == len(page["edges"])
    return [e["node"]["username"] for e in page["edges"]]


@pytest.fixture
async def directory(api, world):
    """Three more people with accents, e-mails and memberships of their own."""
    made = {}
    made["jperez"] = await create_user(
        api,
        world,
        username="jperez",
        fullName="José Pérez Núñez",
        email="jose.perez@sedui.gob.mx",
        memberships=[{"unitId": world.unit_id("DA"), "role": "STAFF"}],
    )
    made["jnunez"] = await create_user(
        api,
        world,
        username="jnunez",
        fullName="Josefa Núñez Ortiz",
        email="JNunez@Example.mx",
        memberships=[{"unitId": world.unit_id("SRH"), "role": "HEAD"}],
    )
    made["pperales"] = await create_user(
        api,
        world,
        username="pperales",
        fullName="Pedro Perales",
        email="pedro@sedui.gob.mx",
        memberships=[{"unitId": world.unit_id("DJ"), "role": "VIEWER"}],
    )
    return made


async def test_users_are_listed_by_username(api, world, directory):
    page = await users(api, world, first=100)
    listed = [e["node"]["username"] for e in page["edges"]]
    assert listed == sorted(WORLD_USERNAMES + ["jnunez", "jperez", "pperales"])
    assert page["totalCount"] == 18 and page["pageInfo"]["hasNextPage"] is False
    jose = next(e["node"] for e in page["edges"] if e["node"]["username"] == "jperez")
    assert jose == {
        "username": "jperez",
        "fullName": "José Pérez Núñez",
        "email": "jose.perez@sedui.gob.mx",
        "active": True,
    }


SEARCHES = [
    ("jose nunez", ["jnunez", "jperez"]),  # every word, anywhere: "jose" is in "Josefa" too
    ("josé núñez", ["jnunez", "jperez"]),
    ("PÉREZ", ["jperez"]),
    ("perez", ["jperez"]),
    ("Pérez jose", ["jperez"]),  # any order
    ("jose ortiz", ["jnunez"]),
    ("ORTÍZ", ["jnunez"]),
    ("jose perales", []),  # every word must match
    ("sedui.gob", ["jperez", "pperales"]),  # part of the e-mail
    ("@example", ["jnunez"]),
    ("jnunez@example.mx", ["jnunez"]),  # an e-mail kept in capitals is found in lower case
    ("JPEREZ", ["jperez"]),  # the username
    ("pedro", ["pperales"]),
    ("  perales  ", ["pperales"]),
    ("da_", ["da_head", "da_reg", "da_staff", "da_viewer"]),
    ("%", []),  # LIKE's wildcards are plain characters
    ("_", UNDERSCORED),  # only those whose text has an underscore
]


async def test_search_ignores_accents_and_case_and_needs_every_word(api, world, directory):
    found = {search: await usernames(api, world, search=search) for search, _ in SEARCHES}
    assert found == {search: sorted(expected) for search, expected in SEARCHES}


async def test_an_empty_search_lists_everybody(api, world, directory):
    for search in (None, "", "   "):
        assert len(await usernames(api, world, search=search)) == 18, repr(search)


async def test_filter_by_unit(api, world, directory):
    assert await usernames(api, world, unitId=world.unit_id("DA")) == [
        "da_head",
        "da_reg",
        "da_staff",
        "da_viewer",
        "jperez",
    ]
    # a membership in that very unit: not the people of units below it
    assert await usernames(api, world, unitId=world.unit_id("SRH")) == ["jnunez", "srh_head", "srh_reg", "srh_staff"]
    assert await usernames(api, world, unitId=world.unit_id("DRH")) == ["drh_staff"]
    assert await usernames(api, world, unitId=world.unit_id("INST")) == ["admin"]
    assert await usernames(api, world, unitId=world.unit_id("DA"), search="jose") == ["jperez"]
    assert await usernames(api, world, unitId=world.unit_id("DJ"), search="jose") == []


async def test_a_person_with_two_roles_in_the_unit_is_listed_once(api, world):
    await create_user(
        api,
        world,
        username="ana.lopez",
        memberships=[
            {"unitId": world.unit_id("DA"), "role": "STAFF"},
            {"unitId": world.unit_id("DA"), "role": "REGISTRAR"},
        ],
    )
    page = await users(api, world, unitId=world.unit_id("DA"), first=100)
    assert [e["node"]["username"] for e in page["edges"]] == ["ana.lopez", "da_head", "da_reg", "da_staff", "da_viewer"]
    assert page["totalCount"] == 5


async def test_filter_by_state(api, world, directory):
    await update_user(api, world, world.user_id("da_staff"), active=False)
    await update_user(api, world, directory["jnunez"]["id"], active=False)
    assert await usernames(api, world, active=False) == ["da_staff", "jnunez"]
    active = await usernames(api, world, active=True)
    assert len(active) == 16 and "da_staff" not in active and "jnunez" not in active
    assert len(await usernames(api, world)) == 18  # no filter: everybody
    assert await usernames(api, world, active=False, search="núñez") == ["jnunez"]
    page = await users(api, world, active=False, first=10)
    assert all(e["node"]["active"] is False for e in page["edges"])


async def test_pages_walk_every_user_once(api, world, directory):
    for size in (1, 4, 7, 18, 50):
        await walk(api, world, size)


async def walk(api, world, size: int) -> None:
    seen, after, pages = [], None, 0
    while True:
        page = await users(api, world, first=size, after=after)
        assert page["totalCount"] == 18
        assert len(page["edges"]) <= size
        seen += [e["node"]["username"] for e in page["edges"]]
        pages += 1
        assert page["pageInfo"]["endCursor"] == (page["edges"][-1]["cursor"] if page["edges"] else None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert pages < 30, "pagination does not end"
    assert seen == sorted(WORLD_USERNAMES + ["jnunez", "jperez", "pperales"]), f"pages of {size}"
    assert pages == -(-18 // size), f"pages of {size}"


async def test_pages_of_a_search(api, world, directory):
    first = await users(api, world, search="_", first=10)
    assert first["totalCount"] == 14 and len(first["edges"]) == 10 and first["pageInfo"]["hasNextPage"]
    rest = await users(api, world, search="_", first=10, after=first["pageInfo"]["endCursor"])
    assert rest["totalCount"] == 14 and len(rest["edges"]) == 4 and rest["pageInfo"]["hasNextPage"] is False
    assert [e["node"]["username"] for e in first["edges"] + rest["edges"]] == UNDERSCORED


@pytest.mark.parametrize("variables", [{"after": "basura"}, {"after": "eyJ4IjoxfQ"}, {"first": -1}])
async def test_bad_page_arguments_are_validation_errors(api, world, variables):
    body = await api.gql(USERS_QUERY, variables, token=world.tokens["admin"])
    assert body["data"] is None
    assert error_codes(body) == ["VALIDATION"]


async def test_a_renamed_user_is_found_by_the_new_name_only(api, world, directory):
    user_id = directory["jnunez"]["id"]
    await update_user(api, world, user_id, fullName="Josefina Ramírez Calderón")
    assert await usernames(api, world, search="ramirez calderon") == ["jnunez"]
    assert await usernames(api, world, search="ortiz") == []
    assert await usernames(api, world, search="josefa") == []
    assert await usernames(api, world, search="jnunez") == ["jnunez"]  # the username stays
    # a new e-mail too; a cleared e-mail is no longer searched
    await update_user(api, world, user_id, email="josefina@nuevo.gob.mx")
    assert await usernames(api, world, search="nuevo.gob") == ["jnunez"]
    assert await usernames(api, world, search="example") == []
    await update_user(api, world, user_id, email=None)
    assert await usernames(api, world, search="nuevo") == []
    # other changes (state, memberships) keep the search text right
    await update_user(api, world, user_id, active=False, memberships=[{"unitId": world.unit_id("DJ"), "role": "STAFF"}])
    assert await usernames(api, world, search="josefina") == ["jnunez"]


async def test_a_user_made_by_create_admin_is_found(api, world, services):
    await create_admin(services.settings, "Jefa", "nopal-verde-en-la-mesa", full_name="Jefa de Sistemas Informáticos")
    assert await usernames(api, world, search="informaticos") == ["jefa"]


@pytest.mark.parametrize("user", ["da_head", "dg_head", "da_staff", "dj_viewer"])
async def test_only_admin_may_list_users(api, world, user):
    body = await api.gql(USERS_QUERY, {"search": "da"}, token=world.tokens[user])
    assert body["data"] is None
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["message"]


async def test_users_without_a_token(api, world):
    body = await api.gql(USERS_QUERY, {})
    assert body["data"] is None
    assert error_codes(body) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("unit_id", ["basura", "T3JnVW5pdDphYmM=", "VXNlcjox", ""])
async def test_a_bad_unit_id_is_a_clear_error(api, world, unit_id):
    body = await api.gql(USERS_QUERY, {"unitId": unit_id}, token=world.tokens["admin"])
    assert body["data"] is None
    assert error_codes(body) == ["NOT_FOUND"], body["errors"]
    assert "unidad" in body["errors"][0]["message"]


async def test_a_unit_id_that_names_no_unit_lists_nobody(api, world):
    from schema.ids import to_global_id

    page = await users(api, world, unitId=to_global_id("OrgUnit", 999_999), first=10)
    assert page["edges"] == [] and page["totalCount"] == 0
