"""What many test modules share: the registration and file-upload requests and inputs, read
through the GraphQL API like any client. (The workflow's requests: tests/workflow.py; the
world: tests/world.py.)"""

from __future__ import annotations

import json
from pathlib import Path

from tests.samples import pdf_with_text

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


DOCS = """query($filter: DocumentFilter, $first: Int, $after: String, $last: Int, $before: String) {
  documents(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { folio } }
  }
}"""


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
