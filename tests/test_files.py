"""Digitized files: multipart uploads (CSRF-protected), checked by content, content-addressed,
downloaded with the document's visibility, ranges and ETags, and searchable by their text."""

import dataclasses

import pytest

from resolvers.text_extraction import extract_pending
from tests.samples import executable, pdf_with_text, png
from tests.helpers import (
    ATTACH,
    LETTER,
    REGISTER_WITH_FILES as REGISTER,
    RESPOND_WITH_FILES as RESPOND,
    doc_input,
    register_with,
    staged_leftovers,
    stored_objects,
    upload,
)
from tests.workflow import Flow


async def test_register_with_two_files_and_download_them(api, world, services):
    result = await register_with(
        api,
        world,
        [("oficio.pdf", LETTER, "application/pdf"), ("../../foto escaneada.png", png(), "application/octet-stream")],
    )
    assert result["errors"] == []
    pdf, image = result["document"]["attachments"]
    assert (pdf["filename"], pdf["contentType"], pdf["pages"], pdf["size"], pdf["unreadable"]) == (
        "oficio.pdf",
        "application/pdf",
        1,
        len(LETTER),
        False,
    )
    # judged by content, not by the declared type; the name keeps no path
    assert (image["filename"], image["contentType"]) == ("foto escaneada.png", "image/png")
    assert pdf["textStatus"] == "PENDING"
    assert len(stored_objects(services)) == 2 and staged_leftovers(services) == []

    # the signed url works without a header; a Bearer token works too
    response = await api.client.get(pdf["url"])
    assert response.status_code == 200 and response.content == LETTER
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["etag"] == f'"{pdf["sha256"]}"'
    assert 'filename="oficio.pdf"' in response.headers["content-disposition"]
    bare = pdf["url"].split("?")[0]
    assert (await api.client.get(bare)).status_code == 401
    authorized = await api.client.get(bare, headers={"Authorization": f"Bearer {world.tokens['da_staff']}"})
    assert authorized.status_code == 200 and authorized.content == LETTER
    assert (await api.client.get(pdf["url"].replace("?t=", "?t=x"))).status_code == 401


async def test_answer_with_a_file(api, world):
    flow = Flow(api, world)
    doc = await flow.register(user="da_reg", unit="DA")
    turno = (await flow.send("da_reg", document=doc["id"], recipients=[{"unitId": "SRH", "instruction": "RESPONSE"}]))[
        "turnos"
    ][0]
    variables = {"input": {"turnoId": turno["id"], "body": "Se anexa el oficio de respuesta.", "files": [None]}}
    response = await upload(
        api,
        world.tokens["srh_staff"],
        RESPOND,
        variables,
        {"input.files.0": ("respuesta.pdf", pdf_with_text("Respuesta"), "application/pdf")},
    )
    payload = response.json()["data"]["respondTurno"]
    assert payload["errors"] == []
    [attachment] = payload["response"]["attachments"]
    assert attachment["filename"] == "respuesta.pdf"
    # the sender's head sees the answer's file; the document's own files stay separate
    data = await api.ok(
        "query($id: ID!) { node(id: $id) { ... on Turno { responses { attachments { filename } } } } }",
        {"id": turno["id"]},
        token=world.tokens["da_head"],
    )
    assert data["node"]["responses"][0]["attachments"] == [{"filename": "respuesta.pdf"}]


async def test_download_follows_visibility_and_the_confidential_rule(api, world):
    result = await register_with(
        api, world, [("reservado.pdf", LETTER, "application/pdf")], user="srh_reg", unit="SRH", confidential=True
    )
    attachment = result["document"]["attachments"][0]
    bare = attachment["url"].split("?")[0]
    for user, status in [("srh_staff", 200), ("da_head", 200), ("da_reg", 404), ("admin", 404), ("dj_head", 404)]:
        response = await api.client.get(bare, headers={"Authorization": f"Bearer {world.tokens[user]}"})
        assert response.status_code == status, user
    missing = await api.client.get(
        "/files/QXR0YWNobWVudDo5OTk5", headers={"Authorization": f"Bearer {world.tokens['admin']}"}
    )
    assert (
        missing.status_code == 404
        and missing.text
        == (await api.client.get(bare, headers={"Authorization": f"Bearer {world.tokens['dj_head']}"})).text
    )  # indistinguishable
    # in the API, the files of a confidential document are a protected field
    body = await api.gql(
        "query($id: ID!) { node(id: $id) { ... on Document { attachments { id } } } }",
        {"id": result["document"]["id"]},
        token=world.tokens["da_reg"],
    )
    assert body["data"]["node"]["attachments"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_ranges_and_conditional_requests(api, world):
    result = await register_with(api, world, [("oficio.pdf", LETTER, "application/pdf")])
    url = result["document"]["attachments"][0]["url"]
    part = await api.client.get(url, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == LETTER[:10]
    assert part.headers["content-range"] == f"bytes 0-9/{len(LETTER)}"
    tail = await api.client.get(url, headers={"Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.content == LETTER[-5:]
    rest = await api.client.get(url, headers={"Range": f"bytes={len(LETTER) - 3}-"})
    assert rest.content == LETTER[-3:]
    bad = await api.client.get(url, headers={"Range": f"bytes={len(LETTER) + 10}-"})
    assert bad.status_code == 416 and bad.headers["content-range"] == f"bytes */{len(LETTER)}"
    etag = part.headers["etag"]
    assert (await api.client.get(url, headers={"If-None-Match": etag})).status_code == 304
    stale = await api.client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"otra-version"'})
    assert stale.status_code == 200 and stale.content == LETTER  # If-Range mismatch: the whole file


async def test_identical_files_are_stored_once(api, world, services):
    await register_with(api, world, [("a.pdf", LETTER, "application/pdf")])
    await register_with(api, world, [("copia.pdf", LETTER, "application/pdf")], reference="OTRA/1")
    assert len(stored_objects(services)) == 1


@pytest.mark.parametrize(
    "name,content,says",
    [
        ("scan.pdf", executable(), "«scan.pdf» no es un PDF"),
        ("nota.pdf", b"hola, no soy un PDF", "«nota.pdf» no es un PDF"),
        ("vacio.pdf", b"", "«vacio.pdf» está vacío."),
    ],
)
async def test_files_that_are_not_what_they_say_are_refused_with_nothing_left(
    api, world, services, name, content, says
):
    result = await register_with(
        api, world, [("bueno.pdf", LETTER, "application/pdf"), (name, content, "application/pdf")]
    )
    assert result["document"] is None
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("VALIDATION", "files.1")]
    assert result["errors"][0]["message"].startswith(says)
    assert stored_objects(services) == [] and staged_leftovers(services) == []
    documents = await api.ok("{ documents { totalCount } }", token=world.tokens["admin"])
    assert documents["documents"]["totalCount"] == 0


async def test_oversize_is_refused_with_nothing_left(api, world, services):
    services.settings = dataclasses.replace(services.settings, max_file_bytes=len(LETTER) - 1)
    result = await register_with(api, world, [("grande.pdf", LETTER, "application/pdf")])
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("VALIDATION", "files.0")]
    assert stored_objects(services) == [] and staged_leftovers(services) == []
    assert (await api.ok("{ documents { totalCount } }", token=world.tokens["admin"]))["documents"]["totalCount"] == 0


async def test_a_request_past_the_size_limit_is_refused_before_parsing(api, world, services):
    services.settings = dataclasses.replace(services.settings, max_request_bytes=1000)
    response = await upload(
        api,
        world.tokens["da_reg"],
        REGISTER,
        {"input": {**doc_input(world), "files": [None]}},
        {"input.files.0": ("grande.pdf", b"%PDF-1.4\n" + b"0" * 3_000_000, "application/pdf")},
    )
    assert response.status_code == 413


async def test_uploads_need_the_csrf_header(api, world, services):
    variables = {"input": {**doc_input(world), "files": [None]}}
    response = await upload(
        api,
        world.tokens["da_reg"],
        REGISTER,
        variables,
        {"input.files.0": ("a.pdf", LETTER, "application/pdf")},
        csrf=False,
    )
    assert response.status_code == 400
    assert stored_objects(services) == []


async def test_an_unparseable_pdf_is_stored_but_flagged(api, world):
    broken = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer garbage\n%%EOF"
    result = await register_with(api, world, [("dañado.pdf", broken, "application/pdf")])
    attachment = result["document"]["attachments"][0]
    assert (attachment["unreadable"], attachment["pages"]) == (True, None)


async def test_attach_files_to_a_registered_document(api, world):
    flow = Flow(api, world)
    doc = await flow.register(user="da_reg", unit="DA")
    variables = {"input": {"documentId": doc["id"], "files": [None]}}
    files = {"input.files.0": ("anexo.png", png(), "image/png")}
    refused = (await upload(api, world.tokens["da_staff"], ATTACH, variables, files)).json()["data"]["attachFiles"]
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    added = (await upload(api, world.tokens["da_reg"], ATTACH, variables, files)).json()["data"]["attachFiles"]
    assert added["errors"] == [] and added["document"]["attachments"] == [{"filename": "anexo.png"}]
    assert ("DOCUMENT_UPDATED", None) in await flow.kinds(doc["id"])


async def test_the_text_of_a_pdf_is_searchable_without_accents(api, world, services):
    await register_with(api, world, [("oficio.pdf", LETTER, "application/pdf")], subject="Trámite de regularización")
    await register_with(
        api,
        world,
        [("reservado.pdf", pdf_with_text("Expediente de Zacarías"), "application/pdf")],
        user="srh_reg",
        unit="SRH",
        confidential=True,
        reference="CONF/1",
    )
    assert await extract_pending(services) == 2
    query = "query($q: String) { documents(filter: {search: $q}) { edges { node { reference attachments { textStatus } } } } }"
    found = await api.ok(query, {"q": "xochitlan"}, token=world.tokens["da_head"])
    assert [e["node"]["attachments"][0]["textStatus"] for e in found["documents"]["edges"]] == ["DONE"]
    # inside a confidential document's file: found by who may read it, not by a registrar above
    assert len((await api.ok(query, {"q": "zacarias"}, token=world.tokens["srh_staff"]))["documents"]["edges"]) == 1
    assert (await api.ok(query, {"q": "zacarias"}, token=world.tokens["da_reg"]))["documents"]["edges"] == []
