"""ADMIN mutations: the org tree, users and memberships, the document type catalog, and the
events they write. Everything goes through the GraphQL endpoint, as an admin client would."""

import asyncio

import pytest

from schema.ids import to_global_id
from tests.helpers import REGISTER, UNIT_FIELDS, USER_FIELDS, doc_input, mutate, new_unit, new_user
from tests.world import PASSWORD

ORG_UNITS = f"query($all: Boolean) {{ orgUnits(includeInactive: $all) {{ {UNIT_FIELDS} }} }}"
ME = f"{{ me {{ {USER_FIELDS} }} }}"


def codes(payload: dict) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def units(api, world, include_inactive: bool = False) -> dict[str, dict]:
    data = await api.ok(ORG_UNITS, {"all": include_inactive}, token=world.tokens["admin"])
    return {u["acronym"]: u for u in data["orgUnits"]}


def acronyms(items: list[dict]) -> list[str]:
    return [i["acronym"] for i in items]


async def me(api, token: str) -> dict | None:
    return (await api.ok(ME, token=token))["me"]


async def login(api, world, username: str, password: str) -> dict:
    return await mutate(api, world, "login", {"username": username, "password": password}, user=None)


async def document_count(api, world, user: str) -> int:
    return (await api.ok("{ documents { totalCount } }", token=world.tokens[user]))["documents"]["totalCount"]


async def admin_event_kinds(api, world) -> list[str]:
    data = await api.ok("{ events { edges { node { kind actor { username } } } } }", token=world.tokens["admin"])
    return [e["node"]["kind"] for e in data["events"]["edges"]]


# --- org tree: create -------------------------------------------------------------------------


async def test_create_org_unit_under_a_parent(api, world):
    result = await mutate(api, world, "createOrgUnit", new_unit(world))
    assert result["errors"] == []
    unit = result["orgUnit"]
    assert (unit["code"], unit["acronym"], unit["name"], unit["kind"], unit["active"]) == (
        "130",
        "DP",
        "Dirección de Planeación",
        "DIRECTORATE",
        True,
    )
    assert unit["parent"] == {"acronym": "DG"}
    assert acronyms(unit["ancestors"]) == ["INST", "DG"]

    listed = await units(api, world)
    assert listed["DP"]["id"] == unit["id"]
    assert listed["DP"]["parent"] == {"acronym": "DG"}
    assert acronyms(listed["DP"]["ancestors"]) == ["INST", "DG"]
    assert listed["DP"]["children"] == []
    assert sorted(acronyms(listed["DG"]["children"])) == ["DA", "DJ", "DP"]


async def test_create_org_unit_normalizes_the_acronym(api, world):
    result = await mutate(api, world, "createOrgUnit", new_unit(world, acronym=" dp ", name="  Planeación  "))
    assert result["errors"] == []
    assert (result["orgUnit"]["acronym"], result["orgUnit"]["name"]) == ("DP", "Planeación")


@pytest.mark.parametrize(
    "code,acronym,field",
    [
        ("110", "NUEVA", "code"),  # DA's code
        ("999", "DA", "acronym"),
        ("999", "da", "acronym"),  # case-insensitive
        ("999", " Dj ", "acronym"),
    ],
)
async def test_create_org_unit_duplicates_conflict(api, world, code, acronym, field):
    result = await mutate(api, world, "createOrgUnit", new_unit(world, code=code, acronym=acronym))
    assert result["orgUnit"] is None
    assert codes(result) == [("CONFLICT", field)]
    assert len(await units(api, world)) == 6


async def test_create_org_unit_duplicate_code_is_case_insensitive(api, world):
    assert (await mutate(api, world, "createOrgUnit", new_unit(world, code="DG-A1")))["errors"] == []
    result = await mutate(api, world, "createOrgUnit", new_unit(world, code="dg-a1", acronym="OTRA"))
    assert codes(result) == [("CONFLICT", "code")]
    assert "OTRA" not in await units(api, world)


@pytest.mark.parametrize("field,value", [("name", "   "), ("code", ""), ("acronym", " ")])
async def test_create_org_unit_requires_text(api, world, field, value):
    result = await mutate(api, world, "createOrgUnit", new_unit(world, **{field: value}))
    assert result["orgUnit"] is None
    assert codes(result) == [("VALIDATION", field)]
    assert len(await units(api, world)) == 6


@pytest.mark.parametrize("user", ["dg_head", "da_reg", "dj_viewer"])
async def test_create_org_unit_is_admin_only(api, world, user):
    result = await mutate(api, world, "createOrgUnit", new_unit(world), user=user)
    assert result["orgUnit"] is None
    assert [e["code"] for e in result["errors"]] == ["FORBIDDEN"]
    assert "DP" not in await units(api, world, include_inactive=True)


async def test_create_org_unit_without_a_token(api, world):
    result = await mutate(api, world, "createOrgUnit", new_unit(world), user=None)
    assert [e["code"] for e in result["errors"]] == ["UNAUTHENTICATED"]
    assert "DP" not in await units(api, world, include_inactive=True)


async def test_a_second_root_is_refused(api, world):
    result = await mutate(api, world, "createOrgUnit", new_unit(world, parent=None))
    assert result["orgUnit"] is None
    assert codes(result) == [("VALIDATION", "parentId")]
    assert "DP" not in await units(api, world, include_inactive=True)


async def test_create_under_an_inactive_parent_is_refused(api, world):
    assert (await mutate(api, world, "updateOrgUnit", {"id": world.unit_id("DJ"), "active": False}))["errors"] == []
    result = await mutate(api, world, "createOrgUnit", new_unit(world, parent="DJ"))
    assert codes(result) == [("VALIDATION", "parentId")]
    assert "DP" not in await units(api, world, include_inactive=True)


# --- org tree: update -------------------------------------------------------------------------


async def test_rename_a_unit(api, world):
    result = await mutate(
        api,
        world,
        "updateOrgUnit",
        {
            "id": world.unit_id("DJ"),
            "name": "Unidad de Asuntos Jurídicos",
            "acronym": "uaj",
            "code": "121",
            "kind": "GENERAL_DIRECTORATE",
        },
    )
    assert result["errors"] == []
    assert (
        result["orgUnit"]["name"],
        result["orgUnit"]["acronym"],
        result["orgUnit"]["code"],
        result["orgUnit"]["kind"],
    ) == ("Unidad de Asuntos Jurídicos", "UAJ", "121", "GENERAL_DIRECTORATE")
    listed = await units(api, world)
    assert "DJ" not in listed
    assert listed["UAJ"]["id"] == world.unit_id("DJ") and listed["UAJ"]["parent"] == {"acronym": "DG"}
    # keeping its own acronym in another case is no conflict with itself
    again = await mutate(api, world, "updateOrgUnit", {"id": world.unit_id("DJ"), "acronym": "Uaj"})
    assert again["errors"] == []


@pytest.mark.parametrize(
    "changes,error",
    [
        ({"acronym": "da"}, ("CONFLICT", "acronym")),
        ({"code": "110"}, ("CONFLICT", "code")),
        ({"name": "  "}, ("VALIDATION", "name")),
    ],
)
async def test_rename_refusals_change_nothing(api, world, changes, error):
    result = await mutate(api, world, "updateOrgUnit", {"id": world.unit_id("DJ"), **changes})
    assert result["orgUnit"] is None and codes(result) == [error]
    dj = (await units(api, world))["DJ"]
    assert (dj["code"], dj["name"]) == ("120", "Dirección Jurídica")


async def test_move_a_subtree_and_visibility_follows(api, world):
    registered = await api.ok(REGISTER, {"input": doc_input(world, unit="SRH")}, token=world.tokens["srh_reg"])
    assert registered["registerDocument"]["errors"] == []
    assert await document_count(api, world, "da_head") == 1
    assert await document_count(api, world, "dj_head") == 0

    result = await mutate(api, world, "updateOrgUnit", {"id": world.unit_id("SRH"), "parentId": world.unit_id("DJ")})
    assert result["errors"] == []
    assert result["orgUnit"]["parent"] == {"acronym": "DJ"}
    assert acronyms(result["orgUnit"]["ancestors"]) == ["INST", "DG", "DJ"]

    listed = await units(api, world)
    assert acronyms(listed["SRH"]["ancestors"]) == ["INST", "DG", "DJ"]
    assert acronyms(listed["DRH"]["ancestors"]) == ["INST", "DG", "DJ", "SRH"]
    assert listed["DRH"]["parent"] == {"acronym": "SRH"}
    assert listed["DA"]["children"] == []
    assert acronyms(listed["DJ"]["children"]) == ["SRH"]
    assert acronyms(listed["DA"]["ancestors"]) == ["INST", "DG"]  # the rest of the tree untouched

    assert await document_count(api, world, "da_head") == 0
    assert await document_count(api, world, "dj_head") == 1
    assert await document_count(api, world, "srh_staff") == 1
    assert await document_count(api, world, "dg_head") == 1


async def test_a_moved_unit_can_move_back(api, world):
    for parent in ("DJ", "DA"):
        result = await mutate(
            api, world, "updateOrgUnit", {"id": world.unit_id("SRH"), "parentId": world.unit_id(parent)}
        )
        assert result["errors"] == []
    listed = await units(api, world)
    assert acronyms(listed["DRH"]["ancestors"]) == ["INST", "DG", "DA", "SRH"]
    assert listed["DJ"]["children"] == []


@pytest.mark.parametrize(
    "unit,new_parent", [("DA", "DRH"), ("DA", "SRH"), ("DA", "DA"), ("SRH", "DRH"), ("INST", "DJ")]
)
async def test_no_cycles_in_the_tree(api, world, unit, new_parent):
    before = await units(api, world)
    result = await mutate(
        api, world, "updateOrgUnit", {"id": world.unit_id(unit), "parentId": world.unit_id(new_parent)}
    )
    assert result["orgUnit"] is None
    assert codes(result) == [("VALIDATION", "parentId")]
    assert await units(api, world) == before


async def test_concurrent_moves_make_no_cycle(api, world):
    """DA under DJ and DJ under DA at the same moment: one may win, never both."""
    moves = [
        mutate(api, world, "updateOrgUnit", {"id": world.unit_id(a), "parentId": world.unit_id(b)})
        for a, b in (("DA", "DJ"), ("DJ", "DA"))
    ]
    results = await asyncio.gather(*moves)
    assert sorted(len(r["errors"]) for r in results) == [0, 1]
    for acronym, unit in (await units(api, world)).items():
        if acronym != "INST":  # every unit hangs from the root, through its parent
            assert acronyms(unit["ancestors"])[0] == "INST", (acronym, unit)
            assert acronyms(unit["ancestors"])[-1] == unit["parent"]["acronym"], (acronym, unit)


async def test_deactivating_a_unit_with_active_children_is_refused(api, world):
    result = await mutate(api, world, "updateOrgUnit", {"id": world.unit_id("SRH"), "active": False})
    assert result["orgUnit"] is None
    assert [e["code"] for e in result["errors"]] == ["VALIDATION"]
    assert (await units(api, world))["SRH"]["active"] is True


async def test_deactivate_a_leaf(api, world):
    result = await mutate(api, world, "updateOrgUnit", {"id": world.unit_id("DRH"), "active": False})
    assert result["errors"] == [] and result["orgUnit"]["active"] is False
    assert "DRH" not in await units(api, world)
    everything = await units(api, world, include_inactive=True)
    assert everything["DRH"]["active"] is False
    assert len(everything) == 6
    # now SRH is a leaf among the active units: it may go too
    result = await mutate(api, world, "updateOrgUnit", {"id": world.unit_id("SRH"), "active": False})
    assert result["errors"] == []


async def test_no_active_unit_under_an_inactive_one_by_moving(api, world):
    """Deactivation needs inactive children, creation needs an active parent: a move must keep that too."""
    assert (await mutate(api, world, "updateOrgUnit", {"id": world.unit_id("DRH"), "active": False}))["errors"] == []
    result = await mutate(api, world, "updateOrgUnit", {"id": world.unit_id("DJ"), "parentId": world.unit_id("DRH")})
    assert codes(result) == [("VALIDATION", "parentId")]
    assert (await units(api, world))["DJ"]["parent"] == {"acronym": "DG"}


async def test_no_active_unit_under_an_inactive_one_by_reactivating(api, world):
    for acronym in ("DRH", "SRH"):
        assert (await mutate(api, world, "updateOrgUnit", {"id": world.unit_id(acronym), "active": False}))[
            "errors"
        ] == []
    result = await mutate(api, world, "updateOrgUnit", {"id": world.unit_id("DRH"), "active": True})
    assert [e["code"] for e in result["errors"]] == ["VALIDATION"]
    assert (await units(api, world, include_inactive=True))["DRH"]["active"] is False


async def test_update_org_unit_is_admin_only(api, world):
    result = await mutate(
        api, world, "updateOrgUnit", {"id": world.unit_id("SRH"), "parentId": world.unit_id("DJ")}, user="dg_head"
    )
    assert [e["code"] for e in result["errors"]] == ["FORBIDDEN"]
    assert (await units(api, world))["SRH"]["parent"] == {"acronym": "DA"}


# --- users ------------------------------------------------------------------------------------


async def test_create_user_who_then_signs_in(api, world):
    result = await mutate(api, world, "createUser", new_user(world))
    assert result["errors"] == []
    user = result["user"]
    assert (user["username"], user["fullName"], user["position"], user["email"], user["active"]) == (
        "ana.lopez",
        "Ana López Ruiz",
        "Analista",
        "ana.lopez@example.mx",
        True,
    )
    expected = [{"role": "STAFF", "unit": {"acronym": "DA"}}, {"role": "VIEWER", "unit": {"acronym": "DJ"}}]
    assert user["memberships"] == expected

    signed_in = await login(api, world, "ana.lopez", "una-clave-larga")
    assert signed_in["errors"] == [] and signed_in["token"]
    profile = await me(api, signed_in["token"])
    assert profile["id"] == user["id"] and profile["memberships"] == expected


async def test_create_user_lowercases_the_username(api, world):
    result = await mutate(api, world, "createUser", new_user(world, username="  Ana.Lopez "))
    assert result["errors"] == [] and result["user"]["username"] == "ana.lopez"


@pytest.mark.parametrize(
    "overrides,error",
    [
        ({"username": "da_head"}, ("CONFLICT", "username")),
        ({"username": "DA_Head"}, ("CONFLICT", "username")),
        ({"password": "corta12"}, ("VALIDATION", "password")),
        ({"email": "no-es-correo"}, ("VALIDATION", "email")),
        ({"fullName": "  "}, ("VALIDATION", "fullName")),
        ({"username": "a b"}, ("VALIDATION", "username")),
    ],
)
async def test_create_user_refusals(api, world, overrides, error):
    result = await mutate(api, world, "createUser", new_user(world, **overrides))
    assert result["user"] is None
    assert codes(result) == [error]
    assert await admin_event_kinds(api, world) == []  # nothing written


async def test_create_user_with_an_unknown_unit(api, world):
    missing = to_global_id("OrgUnit", 999_999)
    result = await mutate(api, world, "createUser", new_user(world, memberships=[{"unitId": missing, "role": "STAFF"}]))
    assert result["user"] is None
    assert codes(result) == [("VALIDATION", "memberships.0.unitId")]
    assert (await login(api, world, "ana.lopez", "una-clave-larga"))["token"] is None


async def test_membership_errors_name_the_input_position(api, world):
    """The field points at the entry the client sent, even after a repeated entry."""
    missing = to_global_id("OrgUnit", 999_999)
    memberships = [
        {"unitId": world.unit_id("DA"), "role": "STAFF"},
        {"unitId": world.unit_id("DA"), "role": "STAFF"},
        {"unitId": missing, "role": "STAFF"},
    ]
    result = await mutate(api, world, "createUser", new_user(world, memberships=memberships))
    assert codes(result) == [("VALIDATION", "memberships.2.unitId")]


async def test_create_user_in_an_inactive_unit(api, world):
    assert (await mutate(api, world, "updateOrgUnit", {"id": world.unit_id("DRH"), "active": False}))["errors"] == []
    memberships = [{"unitId": world.unit_id("DA"), "role": "STAFF"}, {"unitId": world.unit_id("DRH"), "role": "STAFF"}]
    result = await mutate(api, world, "createUser", new_user(world, memberships=memberships))
    assert codes(result) == [("VALIDATION", "memberships.1.unitId")]


async def test_create_user_is_admin_only(api, world):
    result = await mutate(api, world, "createUser", new_user(world), user="da_head")
    assert result["user"] is None and [e["code"] for e in result["errors"]] == ["FORBIDDEN"]
    assert (await login(api, world, "ana.lopez", "una-clave-larga"))["token"] is None


async def test_change_memberships_changes_what_the_user_sees(api, world):
    token = world.tokens["da_staff"]
    await api.ok(REGISTER, {"input": doc_input(world, unit="DA")}, token=world.tokens["da_reg"])
    await api.ok(REGISTER, {"input": doc_input(world, unit="DJ")}, token=world.tokens["dj_reg"])
    assert await document_count(api, world, "da_staff") == 1

    result = await mutate(
        api,
        world,
        "updateUser",
        {"id": world.user_id("da_staff"), "memberships": [{"unitId": world.unit_id("DJ"), "role": "STAFF"}]},
    )
    assert result["errors"] == []
    assert result["user"]["memberships"] == [{"role": "STAFF", "unit": {"acronym": "DJ"}}]
    # the same token, at once
    assert (await me(api, token))["memberships"] == [{"role": "STAFF", "unit": {"acronym": "DJ"}}]
    data = await api.ok("{ documents { edges { node { unit { acronym } } } } }", token=token)
    assert [e["node"]["unit"]["acronym"] for e in data["documents"]["edges"]] == ["DJ"]


async def test_deactivated_user_is_out_at_once(api, world):
    token = world.tokens["da_head"]
    assert (await me(api, token))["username"] == "da_head"
    result = await mutate(api, world, "updateUser", {"id": world.user_id("da_head"), "active": False})
    assert result["errors"] == [] and result["user"]["active"] is False

    assert await me(api, token) is None
    body = await api.gql("{ documents { totalCount } }", token=token)
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    refused = await login(api, world, "da_head", PASSWORD)
    assert refused["token"] is None and [e["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"]

    # reactivated: may sign in again, the old token stays dead
    assert (await mutate(api, world, "updateUser", {"id": world.user_id("da_head"), "active": True}))["errors"] == []
    assert (await login(api, world, "da_head", PASSWORD))["token"]
    assert await me(api, token) is None


async def test_password_change_ends_old_sessions(api, world):
    token = world.tokens["dj_staff"]
    result = await mutate(api, world, "updateUser", {"id": world.user_id("dj_staff"), "password": "otra-clave-nueva"})
    assert result["errors"] == []
    assert await me(api, token) is None
    assert (await login(api, world, "dj_staff", PASSWORD))["token"] is None
    fresh = await login(api, world, "dj_staff", "otra-clave-nueva")
    assert fresh["errors"] == [] and (await me(api, fresh["token"]))["username"] == "dj_staff"


async def test_short_new_password_is_refused_and_changes_nothing(api, world):
    token = world.tokens["dj_staff"]
    result = await mutate(
        api, world, "updateUser", {"id": world.user_id("dj_staff"), "password": "corta", "fullName": "Nombre Nuevo"}
    )
    assert codes(result) == [("VALIDATION", "password")]
    assert (await me(api, token))["fullName"] == "Dj Staff"
    assert (await login(api, world, "dj_staff", PASSWORD))["token"]


@pytest.mark.parametrize("change", ["deactivate", "demote", "no-memberships"])
async def test_the_last_admin_stays(api, world, change):
    changes, field = {
        "deactivate": ({"active": False}, "active"),
        "demote": ({"memberships": [{"unitId": world.unit_id("INST"), "role": "HEAD"}]}, "memberships"),
        "no-memberships": ({"memberships": []}, "memberships"),
    }[change]
    token = world.tokens["admin"]
    result = await mutate(api, world, "updateUser", {"id": world.user_id("admin"), **changes})
    assert result["user"] is None
    assert codes(result) == [("CONFLICT", field)]
    profile = await me(api, token)  # the same token still works: nothing changed
    assert profile["active"] is True
    assert profile["memberships"] == [{"role": "ADMIN", "unit": {"acronym": "INST"}}]


async def test_an_admin_may_go_when_another_remains(api, world):
    created = await mutate(
        api, world, "createUser", new_user(world, memberships=[{"unitId": world.unit_id("INST"), "role": "ADMIN"}])
    )
    assert created["errors"] == []
    result = await mutate(api, world, "updateUser", {"id": world.user_id("admin"), "active": False})
    assert result["errors"] == []
    # the remaining admin is now the last one
    second = (await login(api, world, "ana.lopez", "una-clave-larga"))["token"]
    result = await mutate(api, world, "updateUser", {"id": created["user"]["id"], "active": False}, token=second)
    assert codes(result) == [("CONFLICT", "active")]


async def test_concurrent_removals_keep_an_admin(api, world):
    """Three admins deactivated at the same moment: at least one must survive."""
    ids = [world.user_id("admin")]
    for name in ("ana.lopez", "beto.diaz"):
        created = await mutate(
            api,
            world,
            "createUser",
            new_user(world, username=name, memberships=[{"unitId": world.unit_id("INST"), "role": "ADMIN"}]),
        )
        ids.append(created["user"]["id"])
    results = await asyncio.gather(*[mutate(api, world, "updateUser", {"id": i, "active": False}) for i in ids])
    refused = [codes(r) for r in results if r["errors"]]
    assert refused and all(c == [("CONFLICT", "active")] for c in refused)
    assert (
        (await login(api, world, "admin", PASSWORD))["token"]
        or (await login(api, world, "ana.lopez", "una-clave-larga"))["token"]
        or (await login(api, world, "beto.diaz", "una-clave-larga"))["token"]
    )


async def test_concurrent_creations_of_one_username(api, world):
    """One wins, the others get CONFLICT (not an internal error from the unique index)."""
    results = await asyncio.gather(*[mutate(api, world, "createUser", new_user(world)) for _ in range(4)])
    assert sorted(codes(r) for r in results) == [[]] + [[("CONFLICT", "username")]] * 3


async def test_concurrent_creations_of_one_unit(api, world):
    results = await asyncio.gather(*[mutate(api, world, "createOrgUnit", new_unit(world)) for _ in range(4)])
    outcomes = sorted(codes(r) for r in results)
    assert outcomes[0] == [] and all(o in ([("CONFLICT", "code")], [("CONFLICT", "acronym")]) for o in outcomes[1:])
    assert "DP" in await units(api, world)


async def test_position_and_email_cleared_by_null_kept_when_omitted(api, world):
    user_id = (await mutate(api, world, "createUser", new_user(world)))["user"]["id"]
    kept = await mutate(api, world, "updateUser", {"id": user_id, "fullName": "Ana López"})
    assert kept["errors"] == []
    assert (kept["user"]["fullName"], kept["user"]["position"], kept["user"]["email"]) == (
        "Ana López",
        "Analista",
        "ana.lopez@example.mx",
    )
    assert len(kept["user"]["memberships"]) == 2  # memberships omitted: untouched

    cleared = await mutate(api, world, "updateUser", {"id": user_id, "position": None, "email": None})
    assert cleared["errors"] == []
    assert (cleared["user"]["fullName"], cleared["user"]["position"], cleared["user"]["email"]) == (
        "Ana López",
        None,
        None,
    )
    token = (await login(api, world, "ana.lopez", "una-clave-larga"))["token"]
    assert (await me(api, token))["position"] is None


async def test_update_user_validation_and_not_found(api, world):
    result = await mutate(api, world, "updateUser", {"id": world.user_id("dj_staff"), "email": "mal@", "fullName": ""})
    assert sorted(codes(result)) == [("VALIDATION", "email"), ("VALIDATION", "fullName")]
    result = await mutate(api, world, "updateUser", {"id": to_global_id("User", 999_999), "fullName": "X"})
    assert codes(result) == [("NOT_FOUND", "id")]


async def test_update_user_is_admin_only(api, world):
    result = await mutate(api, world, "updateUser", {"id": world.user_id("da_staff"), "active": False}, user="da_head")
    assert [e["code"] for e in result["errors"]] == ["FORBIDDEN"]
    assert (await me(api, world.tokens["da_staff"]))["active"] is True


# --- document types ---------------------------------------------------------------------------

DOCUMENT_TYPES = "{ documentTypes { code name active } }"


async def document_types(api, world) -> dict[str, dict]:
    data = await api.ok(DOCUMENT_TYPES, token=world.tokens["da_reg"])
    return {t["code"]: t for t in data["documentTypes"]}


async def test_document_type_catalog(api, world):
    created = await mutate(api, world, "createDocumentType", {"code": "dictamen", "name": "Dictamen"})
    assert created["errors"] == []
    assert created["documentType"] == {"code": "DICTAMEN", "name": "Dictamen", "active": True}
    assert (await document_types(api, world))["DICTAMEN"]["active"] is True
    registered = await api.ok(
        REGISTER, {"input": doc_input(world, documentType="DICTAMEN")}, token=world.tokens["da_reg"]
    )
    assert registered["registerDocument"]["errors"] == []

    duplicate = await mutate(api, world, "createDocumentType", {"code": "DICTAMEN", "name": "Otro"})
    assert codes(duplicate) == [("CONFLICT", "code")]

    retired = await mutate(api, world, "updateDocumentType", {"code": "DICTAMEN", "active": False})
    assert retired["errors"] == [] and retired["documentType"]["active"] is False
    assert (await document_types(api, world))["DICTAMEN"] == {"code": "DICTAMEN", "name": "Dictamen", "active": False}
    refused = await api.ok(
        REGISTER, {"input": doc_input(world, documentType="DICTAMEN", reference="B/2")}, token=world.tokens["da_reg"]
    )
    assert refused["registerDocument"]["document"] is None
    assert codes(refused["registerDocument"]) == [("VALIDATION", "documentType")]


@pytest.mark.parametrize(
    "name,input",
    [
        ("createDocumentType", {"code": "DICTAMEN", "name": "Dictamen"}),
        ("updateDocumentType", {"code": "OFICIO", "active": False}),
    ],
)
async def test_document_types_are_admin_only(api, world, name, input):
    result = await mutate(api, world, name, input, user="dg_head")
    assert [e["code"] for e in result["errors"]] == ["FORBIDDEN"]
    catalog = await document_types(api, world)
    assert "DICTAMEN" not in catalog and catalog["OFICIO"]["active"] is True


# --- events -----------------------------------------------------------------------------------


async def test_admin_changes_write_events_only_admins_see(api, world):
    assert (await mutate(api, world, "createOrgUnit", new_unit(world)))["errors"] == []
    assert (await mutate(api, world, "createUser", new_user(world)))["errors"] == []
    assert (await mutate(api, world, "updateUser", {"id": world.user_id("da_staff"), "fullName": "Da Staff"}))[
        "errors"
    ] == []
    data = await api.ok("{ events { edges { node { kind actor { username } data } } } }", token=world.tokens["admin"])
    nodes = [e["node"] for e in data["events"]["edges"]]
    assert [n["kind"] for n in nodes] == ["ORG_UNIT_CHANGED", "USER_CHANGED", "USER_CHANGED"]
    assert {n["actor"]["username"] for n in nodes} == {"admin"}
    for user in ("dg_head", "da_head", "da_staff", "dj_head"):
        head = await api.ok("{ events { totalCount } }", token=world.tokens[user])
        assert head["events"]["totalCount"] == 0, user
