"""GraphQL and HTTP guards: limits on depth, aliases and tokens (that still let the standard
introspection query through), masking of unexpected errors, GraphiQL only for local
development, no multipart uploads yet, no mutations over GET, and /health."""

import dataclasses
import json
import shutil

import httpx
import pytest

from files import ocr as files_ocr
from graphql import get_introspection_query

from mcs.app import create_app, graphiql_enabled
from core.settings import Settings
from tests.helpers import DOCS, REGISTER, doc_input


def nested_parents(levels: int) -> str:
    return "{ orgUnits { acronym " + "parent { acronym " * levels + " }" * levels + " } }"


def assert_refused(body: dict, words: str) -> None:
    """Refused before execution: an error that says why, and no data."""
    assert body.get("data") is None
    assert body["errors"] and words in body["errors"][0]["message"].lower(), body["errors"]


# --- always allowed ---------------------------------------------------------------------------


async def test_typename_without_a_token(api):
    assert await api.ok("{ __typename }") == {"__typename": "Query"}


@pytest.mark.parametrize(
    "options",
    [
        {},
        dict(
            descriptions=True,
            specified_by_url=True,
            directive_is_repeatable=True,
            schema_description=True,
            input_value_deprecation=True,
        ),
    ],
)
async def test_the_standard_introspection_query_without_a_token(api, options):
    data = await api.ok(get_introspection_query(**options))
    schema = data["__schema"]
    assert schema["queryType"]["name"] == "Query" and schema["mutationType"]["name"] == "Mutation"
    assert "OrgUnit" in {t["name"] for t in schema["types"]}


# --- limits -----------------------------------------------------------------------------------


async def test_depth_limit(api, world):
    token = world.tokens["admin"]
    data = await api.ok(nested_parents(10), token=token)  # deep, but within the limit
    assert {u["acronym"] for u in data["orgUnits"]} >= {"DRH"}
    body = await api.gql(nested_parents(20), token=token)
    assert_refused(body, "depth")


async def test_depth_limit_counts_fragments(api, world):
    fragment = "fragment P on OrgUnit { parent { acronym } }"
    query = "{ orgUnits { " + "parent { " * 18 + "...P" + " }" * 18 + " } } " + fragment
    assert_refused(await api.gql(query, token=world.tokens["admin"]), "depth")


async def test_alias_limit(api):
    many = await api.ok("{ " + " ".join(f"a{i}: __typename" for i in range(150)) + " }")
    assert len(many) == 150
    body = await api.gql("{ " + " ".join(f"a{i}: __typename" for i in range(300)) + " }")
    assert_refused(body, "aliases")


async def test_token_limit(api):
    body = await api.gql("{" + " __typename" * 6000 + " }")
    assert_refused(body, "tokens")


# --- errors -----------------------------------------------------------------------------------


async def test_unexpected_errors_are_masked(api, world, monkeypatch):
    async def broken(ctx, include_inactive):
        raise RuntimeError("connection string postgresql://secret@db/prod")

    monkeypatch.setattr("schema.query.list_org_units", broken)
    response = await api.post("{ orgUnits { id } }", token=world.tokens["admin"])
    assert response.status_code == 200
    request_id = response.headers["x-request-id"]
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INTERNAL"
    assert request_id and request_id in error["message"]
    assert error["message"].startswith("Error interno")
    assert "secret" not in json.dumps(body) and "RuntimeError" not in json.dumps(body)


async def test_each_request_has_its_own_id(api):
    first = await api.post("{ __typename }")
    second = await api.post("{ __typename }")
    assert first.headers["x-request-id"] and first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_expected_errors_are_not_masked(api, world):
    body = await api.gql(DOCS, {"first": 5, "after": "basura"}, token=world.tokens["admin"])
    [error] = body["errors"]
    assert error["extensions"]["code"] == "VALIDATION"
    assert "Error interno" not in error["message"]

    body = await api.gql("{ documents { totalCount } }")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Error interno" not in body["errors"][0]["message"]

    registered = await api.ok(
        REGISTER, {"input": doc_input(world, unit="SRH", confidential=True)}, token=world.tokens["srh_reg"]
    )
    doc_id = registered["registerDocument"]["document"]["id"]
    body = await api.gql(
        "query($id: ID!) { node(id: $id) { ... on Document { folio subject } } }",
        {"id": doc_id},
        token=world.tokens["da_viewer"],
    )
    assert body["data"]["node"] == {"folio": "SRH/2026/000001", "subject": None}
    [error] = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN" and error["path"] == ["node", "subject"]
    assert "confidencial" in error["message"]


@pytest.mark.parametrize(
    "query,variables,words",
    [
        (REGISTER, "register as EXTERNO", "'externo'"),
        (
            "query($f: DocumentFilter) { documents(filter: $f) { totalCount } }",
            {"f": {"senderLevel": ["MUNICIPIO"]}},
            "'municipio'",
        ),
        ("query($f: DocumentFilter) { documents(filter: $f) { totalCount } }", {"f": {"nope": 1}}, "'nope'"),
        ("query($n: Int) { documents(first: $n) { totalCount } }", {"n": "diez"}, "int"),
        ("query($n: Int) { documents(first: $n) { totalCount } }", {"n": 2**40}, "int"),
    ],
)
async def test_a_variable_of_the_wrong_type_is_a_validation_error(api, world, caplog, query, variables, words):
    """The same clear error as the typo written inline, without a traceback in the log."""
    if variables == "register as EXTERNO":
        variables = {"input": doc_input(world, origin="EXTERNO")}
    response = await api.post(query, variables, token=world.tokens["da_reg"])
    assert response.status_code in (200, 400)
    body = response.json()
    assert_refused(body, words)
    assert body["errors"][0].get("extensions", {}).get("code") != "INTERNAL"
    assert not [r for r in caplog.records if r.levelname == "ERROR" or r.exc_info]


# --- HTTP -------------------------------------------------------------------------------------


async def get_page(app, path: str = "/graphql", **kwargs) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        return await client.get(path, **kwargs)


def with_debug(services, debug):
    return dataclasses.replace(services, settings=dataclasses.replace(services.settings, debug=debug))


@pytest.mark.parametrize(
    "debug,host,served",
    [
        (None, "127.0.0.1", True),
        (None, "0.0.0.0", False),
        (True, "0.0.0.0", True),
        (False, "127.0.0.1", False),
    ],
)
async def test_graphiql_only_for_local_development(services, debug, host, served):
    app = create_app(services=with_debug(services, debug), host=host)
    response = await get_page(app, headers={"Accept": "text/html"})
    if served:
        assert response.status_code == 200 and "text/html" in response.headers["content-type"]
        assert "graphiql" in response.text.lower()
    else:
        assert response.status_code == 404
        assert "graphiql" not in response.text.lower()


@pytest.mark.parametrize(
    "debug,host,expected",
    [
        (None, "127.0.0.1", True),
        (None, "::1", True),
        (None, "localhost", True),
        (None, "127.0.0.2", True),
        (None, "0.0.0.0", False),
        (None, "::", False),
        (None, "192.168.1.20", False),
        (None, "mcs.example.mx", False),
        (None, None, False),
        (None, "", False),
        (True, "0.0.0.0", True),
        (True, None, True),
        (False, "127.0.0.1", False),
        (False, "localhost", False),
    ],
)
def test_graphiql_enabled(debug, host, expected):
    settings = Settings(database_url="sqlite://", redis_url=None, files_dir=".", secret_key="-", debug=debug)
    assert graphiql_enabled(settings, host) is expected


@pytest.mark.parametrize("value,expected", [(None, None), ("1", True), ("true", True), ("0", False), ("no", False)])
def test_mcs_debug_setting(monkeypatch, tmp_path, value, expected):
    monkeypatch.setenv("MCS_VAR_DIR", str(tmp_path))
    if value is None:
        monkeypatch.delenv("MCS_DEBUG", raising=False)
    else:
        monkeypatch.setenv("MCS_DEBUG", value)
    assert Settings.from_env(secret_key="k" * 40).debug is expected


async def test_multipart_requests_need_the_csrf_header(api, world):
    operations = {
        "query": 'mutation { createOrgUnit(input: {code: "130", acronym: "DP", name: "Planeación", '
        'kind: DIRECTORATE, parentId: "%s"}) { errors { code } } }' % world.unit_id("DG"),
        "variables": {},
    }
    form = {"operations": (None, json.dumps(operations)), "map": (None, "{}")}
    auth = {"Authorization": f"Bearer {world.tokens['admin']}"}
    response = await api.client.post("/graphql", files=form, headers=auth)
    assert response.status_code == 400 and response.json()["errors"][0]["extensions"]["code"] == "CSRF"
    units = await api.ok("{ orgUnits { acronym } }", token=world.tokens["admin"])
    assert "DP" not in {u["acronym"] for u in units["orgUnits"]}  # not executed
    response = await api.client.post("/graphql", files=form, headers={**auth, "x-mcs-csrf": "1"})
    assert response.status_code == 200 and response.json()["data"]["createOrgUnit"]["errors"] == []


async def test_no_mutations_over_get(api, world):
    query = (
        'mutation { createOrgUnit(input: {code: "130", acronym: "DP", name: "Planeación", '
        'kind: DIRECTORATE, parentId: "%s"}) { errors { code } } }' % world.unit_id("DG")
    )
    response = await api.client.get(
        "/graphql", params={"query": query}, headers={"Authorization": f"Bearer {world.tokens['admin']}"}
    )
    assert response.status_code in (400, 405)
    units = await api.ok("{ orgUnits { acronym } }", token=world.tokens["admin"])
    assert "DP" not in {u["acronym"] for u in units["orgUnits"]}
    # queries over GET are fine
    response = await api.client.get("/graphql", params={"query": "{ __typename }"})
    assert response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}


async def test_health(api):
    response = await api.client.get("/health")
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert response.json()["ocr"] is (shutil.which("tesseract") is not None and files_ocr.available())
    assert response.headers["x-request-id"]
