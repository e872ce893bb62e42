"""Hostile values get a clear answer (404, VALIDATION), never a server error: ids past what a
database key can hold, digits that are not ASCII, NUL characters, forged cursors."""

import base64
import json

import pytest

from tests.helpers import REGISTER, doc_input

HUGE = str(2**63)  # one past BIGINT


def gid(type_name: str, key: str) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def cursor(*values) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", ["/files/{}", "/exports/{}", "/documents/{}/acuse.pdf", "/turnos/{}/volante.pdf"])
@pytest.mark.parametrize("key", [HUGE, "9" * 40, "²", "-1"])
async def test_download_routes_answer_404_for_keys_no_database_holds(api, world, path, key):
    type_name = {
        "/files/{}": "Attachment",
        "/exports/{}": "Export",
        "/documents/{}/acuse.pdf": "Document",
        "/turnos/{}/volante.pdf": "Turno",
    }[path]
    response = await api.client.get(
        path.format(gid(type_name, key)), headers={"Authorization": f"Bearer {world.tokens['admin']}"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("key", [HUGE, "9" * 40, "²"])
async def test_ids_past_a_database_key_are_not_found(api, world, key):
    for type_name in ("Document", "Turno", "User", "Attachment", "Event", "OrgUnit", "Export", "Response"):
        body = await api.gql(
            "query($id: ID!) { node(id: $id) { id } }", {"id": gid(type_name, key)}, token=world.tokens["admin"]
        )
        assert body == {"data": {"node": None}}, (type_name, body)
    payload = (
        await api.ok(
            """mutation($id: ID!) { acknowledgeTurno(input: {turnoId: $id}) { errors { code field } } }""",
            {"id": gid("Turno", key)},
            token=world.tokens["admin"],
        )
    )["acknowledgeTurno"]
    assert payload["errors"] == [{"code": "NOT_FOUND", "field": "turnoId"}]


async def test_a_sequence_past_a_database_key_is_a_validation_error(api, world):
    body = await api.gql(
        "query($s: String) { events(afterSequence: $s) { totalCount } }", {"s": HUGE}, token=world.tokens["admin"]
    )
    assert body["errors"][0]["extensions"]["code"] == "VALIDATION"


@pytest.mark.parametrize(
    "query,after",
    [
        ("{ documents(first: 5, after: $after) { totalCount } }", cursor("2026-03-02T16:00:00+00:00", 2**70)),
        ("{ inbox(first: 5, after: $after) { totalCount } }", cursor("2026-03-02T16:00:00+00:00", -(2**64))),
        ("{ events(first: 5) { totalCount } documents(first: 5, after: $after) { totalCount } }", cursor("x", True)),
        ("{ users(first: 5, after: $after) { totalCount } }", cursor("ana\u0000", 1)),
        ("{ users(first: 5, after: $after) { totalCount } }", cursor("ana", 2**64)),
    ],
)
async def test_forged_cursors_are_invalid_cursors(api, world, query, after):
    body = await api.gql("query($after: String) " + query, {"after": after}, token=world.tokens["admin"])
    assert [e["extensions"]["code"] for e in body["errors"]] == ["VALIDATION"], body
    assert "Cursor" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "query,variables",
    [
        ("query($f: DocumentFilter) { documents(filter: $f) { totalCount } }", {"f": {"search": "nómina\u0000"}}),
        ("query($f: TurnoFilter) { inbox(filter: $f) { totalCount } }", {"f": {"documentType": ["OFICIO\u0000"]}}),
        ('{ documents(filter: {search: "a\\u0000b"}) { totalCount } }', None),
        ('{ users(search: "ana\\u0000") { totalCount } }', None),
    ],
)
async def test_a_nul_character_is_a_validation_error(api, world, caplog, query, variables):
    body = await api.gql(query, variables, token=world.tokens["admin"])
    assert body["data"] is None and [e["extensions"]["code"] for e in body["errors"]] == ["VALIDATION"], body
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_a_nul_character_registers_nothing(api, world):
    body = await api.gql(
        REGISTER, {"input": doc_input(world, subject="Asunto\u0000oculto")}, token=world.tokens["da_reg"]
    )
    assert body["errors"][0]["extensions"]["code"] == "VALIDATION"
    assert (await api.ok("{ documents { totalCount } }", token=world.tokens["admin"]))["documents"]["totalCount"] == 0


@pytest.mark.parametrize("length", [81, 300, 5000])
async def test_a_username_longer_than_any_is_a_validation_error(api, length, caplog):
    body = await api.gql(
        """mutation($u: String!) { login(input: {username: $u, password: "una-clave-cualquiera"}) {
        token errors { code field message } } }""",
        {"u": "a" * length},
    )
    assert body["data"]["login"]["token"] is None
    assert [(e["code"], e["field"]) for e in body["data"]["login"]["errors"]] == [("VALIDATION", "username")]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
