"""What many test modules share, read through the GraphQL API like any client: signing in, the
registration and file-upload requests and inputs, the ADMIN mutations and hostile search input.
(The workflow's requests and turn/delegate: tests/workflow.py; the world: tests/world.py; files
built in the tests: tests/samples.py, scans for OCR: tests/scans.py; the scene of two answers with
files: tests/scenes.py.) Test modules import from these, never from one another."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from tests.samples import pdf_with_text

# --- time -------------------------------------------------------------------------------------

# Monday 2 March 2026, 10:00 in Mexico City: the `services` clock, a business day the workflow tests start from
MONDAY = datetime(2026, 3, 2, 16, 0, tzinfo=timezone.utc)


# --- signing in -------------------------------------------------------------------------------

LOGIN = """mutation($input: LoginInput!) { login(input: $input) {
  token user { username memberships { role unit { acronym } } } errors { code field message } } }"""
ME = "{ me { username memberships { role unit { acronym code name parent { id } } } } }"


async def login(api, username: str, password: str) -> dict:
    return (await api.ok(LOGIN, {"input": {"username": username, "password": password}}))["login"]


async def me(api, token: str | None) -> dict | None:
    return (await api.ok(ME, token=token))["me"]


async def assert_unauthenticated(api, token: str) -> None:
    assert await me(api, token) is None
    body = await api.gql("{ documents { totalCount } }", token=token)
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]


# --- registering documents --------------------------------------------------------------------

REGISTER = """
mutation($input: RegisterDocumentInput!) {
  registerDocument(input: $input) {
    document { id folio status subject confidential priority receivedAt trafficLight
               unit { acronym } registeredBy { username } sender { level name organization email } }
    warnings
    errors { code field message }
  }
}"""


def doc_input(world, unit="DA", **overrides):
    value = {
        "unitId": world.unit_id(unit),
        "origin": "EXTERNAL",
        "documentType": "OFICIO",
        "reference": "SEDUI/DGV/0456/2026",
        "subject": "Solicitud de información sobre el programa de vivienda",
        "summary": "Solicita el padrón de beneficiarios del ejercicio 2025.",
        "sender": {
            "level": "STATE",
            "name": "Lic. María Pérez",
            "organization": "Secretaría de Desarrollo Urbano",
            "position": "Directora General",
        },
    }
    value.update(overrides)
    return value


async def register(api, world, user="da_reg", **overrides):
    data = await api.ok(REGISTER, {"input": doc_input(world, **overrides)}, token=world.tokens[user])
    return data["registerDocument"]


async def reg(api, world, user="da_reg", unit="DA", **fields):
    """Register a document that must be accepted; its folio."""
    data = await api.ok(REGISTER, {"input": doc_input(world, unit=unit, **fields)}, token=world.tokens[user])
    assert data["registerDocument"]["errors"] == [], data
    return data["registerDocument"]["document"]["folio"]


DOCS = """query($filter: DocumentFilter, $first: Int, $after: String, $last: Int, $before: String) {
  documents(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { folio } }
  }
}"""


# --- files ------------------------------------------------------------------------------------

REGISTER_WITH_FILES = """mutation($input: RegisterDocumentInput!) { registerDocument(input: $input) {
  document { id folio attachments { id filename contentType size sha256 pages unreadable textStatus url } }
  errors { code field message } } }"""
RESPOND_WITH_FILES = """mutation($input: RespondTurnoInput!) { respondTurno(input: $input) {
  response { id attachments { id filename contentType url } } errors { code field message } } }"""
ATTACH = """mutation($input: AttachFilesInput!) { attachFiles(input: $input) {
  document { id attachments { filename } } errors { code field message } } }"""

LETTER = pdf_with_text("Solicitud de información sobre el predio", "ubicado en Xochitlán, municipio de Toluca")


async def upload(api, token, query, variables, files: dict[str, tuple[str, bytes, str]], csrf=True):
    """A GraphQL multipart request: `files` maps a variable path (input.files.0) to (name, bytes, type)."""
    operations = {"query": query, "variables": variables}
    mapping = {str(i): [f"variables.{path}"] for i, path in enumerate(files)}
    form = {"operations": (None, json.dumps(operations)), "map": (None, json.dumps(mapping))}
    for i, (name, content, declared) in enumerate(files.values()):
        form[str(i)] = (name, content, declared)
    headers = {"Authorization": f"Bearer {token}", **({"x-mcs-csrf": "1"} if csrf else {})}
    return await api.client.post("/graphql", files=form, headers=headers)


async def register_with(api, world, files, user="da_reg", unit="DA", **fields):
    variables = {"input": {**doc_input(world, unit=unit, **fields), "files": [None] * len(files)}}
    response = await upload(
        api, world.tokens[user], REGISTER_WITH_FILES, variables, {f"input.files.{i}": f for i, f in enumerate(files)}
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["registerDocument"]


def stored_objects(services) -> list[Path]:
    root = services.storage.objects
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def staged_leftovers(services) -> list[Path]:
    return list(services.storage.tmp.iterdir()) if services.storage.tmp.exists() else []


# --- ADMIN mutations --------------------------------------------------------------------------

UNIT_FIELDS = "id code acronym name kind active parent { acronym } ancestors { acronym } children { acronym }"
USER_FIELDS = "id username fullName position email active memberships { role unit { acronym } }"

MUTATIONS = {
    "createOrgUnit": ("CreateOrgUnitInput", f"orgUnit {{ {UNIT_FIELDS} }}"),
    "updateOrgUnit": ("UpdateOrgUnitInput", f"orgUnit {{ {UNIT_FIELDS} }}"),
    "createUser": ("CreateUserInput", f"user {{ {USER_FIELDS} }}"),
    "updateUser": ("UpdateUserInput", f"user {{ {USER_FIELDS} }}"),
    "createDocumentType": ("CreateDocumentTypeInput", "documentType { code name active }"),
    "updateDocumentType": ("UpdateDocumentTypeInput", "documentType { code name active }"),
    "login": ("LoginInput", f"token user {{ {USER_FIELDS} }}"),
}


async def mutate(api, world, name: str, input: dict, user: str | None = "admin", token: str | None = None) -> dict:
    """Run one mutation and return its payload."""
    input_type, result = MUTATIONS[name]
    query = (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {result} errors {{ code field message }} }} }}"
    )
    token = token or (world.tokens[user] if user else None)
    return (await api.ok(query, {"input": input}, token=token))[name]


def new_unit(world, parent: str | None = "DG", **overrides) -> dict:
    value = {
        "code": "130",
        "acronym": "DP",
        "name": "Dirección de Planeación",
        "kind": "DIRECTORATE",
        "parentId": world.unit_id(parent) if parent else None,
    }
    value.update(overrides)
    return value


def new_user(world, **overrides) -> dict:
    value = {
        "username": "ana.lopez",
        "password": "una-clave-larga",
        "fullName": "Ana López Ruiz",
        "position": "Analista",
        "email": "ana.lopez@example.mx",
        "memberships": [
            {"unitId": world.unit_id("DA"), "role": "STAFF"},
            {"unitId": world.unit_id("DJ"), "role": "VIEWER"},
        ],
    }
    value.update(overrides)
    return value


# --- search -----------------------------------------------------------------------------------

# input that must make no search fail (tests/test_search.py, tests/test_search_snippet.py)
HOSTILE = [
    '"',
    "'",
    "AND OR NOT",
    "*",
    ":",
    "(",
    ")",
    "",
    "   ",
    "\t\n",
    '"informacion',
    "informacion*",
    "NEAR(a b)",
    "subject:informacion",
    "{subject} : x",
    "-informacion",
    "^informacion",
    "a OR",
    "\\",
    "%",
    "_",
    "100%_",
    "'; DROP TABLE documents; --",
    "informacion & | ! <->",
    "x" * 5000,
    "palabra " * 300,
    "de la",
    "😀",
    "ñ",
    "ı",
    "ß",
]  # a NUL is refused before any search (VALIDATION: tests/test_bad_input.py)
