"""An answer's files follow the visibility of the answer's turno everywhere (node, /files,
search, exports, history), and Document.timeByUnit tells only of turnos the caller may see.

The scene (tests/scenes.py): DG registers a document with a file of its own and turns it to DA
and to DJ; DJ's STAFF answers with a file that says "palabrasecreta", DA's STAFF with one that
says "palabrainforme". DA's STAFF sees the document (DA is on its chain) but not DJ's turno (STAFF
see the turnos of their own units), so not DJ's answer nor its file; and the other way round.
"""

from __future__ import annotations

import pytest

from models.principals import load_principal
from resolvers.downloads import sign
from schema.ids import from_global_id
from tests.exports import records, run_export
from tests.scenes import OWN, REPORT, SECRET, Scene, build_scene
from tests.workflow import Flow

NODE_FILE = "query($id: ID!) { node(id: $id) { ... on Attachment { id filename url } } }"
SEARCH = """query($q: String, $order: DocumentOrder) { documents(filter: {search: $q}, orderBy: $order, first: 50) {
  totalCount edges { node { folio } } } }"""
INBOX = "query($q: String) { inbox(filter: {search: $q}) { totalCount edges { node { number } } } }"
TIME_BY_UNIT = (
    "query($id: ID!) { node(id: $id) { ... on Document { timeByUnit { unit { acronym } enteredAt hours } } } }"
)
TURNOS = "query($id: ID!) { node(id: $id) { ... on Document { turnos { id toUnit { acronym } } } } }"
ANSWER_FILES = "query($id: ID!) { node(id: $id) { ... on Turno { responses { id attachments { id url } } } } }"


@pytest.fixture
async def scene(api, world, services) -> Scene:
    return await build_scene(api, world, services)


async def file_node(api, world, user, attachment_id):
    return (await api.ok(NODE_FILE, {"id": attachment_id}, token=world.tokens[user]))["node"]


async def found(api, world, user, query, order=None) -> list[str]:
    data = (await api.ok(SEARCH, {"q": query, "order": order}, token=world.tokens[user]))["documents"]
    assert data["totalCount"] == len(data["edges"])
    return [e["node"]["folio"] for e in data["edges"]]


# --- node and downloads ---------------------------------------------------------------------

# who sees DJ's turno: its own units' people, those above DJ and above DG (the sender), ADMIN
SEES_DJ_ANSWER = {"dj_staff", "dj_head", "dj_reg", "dj_viewer", "dg_head", "dg_reg", "admin"}
SEES_DOCUMENT_NOT_DJ_ANSWER = {"da_staff", "da_head", "da_reg", "da_viewer"}


async def test_node_of_an_answer_file_follows_the_turno(api, world, scene):
    for user in sorted(SEES_DJ_ANSWER | SEES_DOCUMENT_NOT_DJ_ANSWER):
        own = await file_node(api, world, user, scene.own_file)
        assert own is not None and own["filename"] == "oficio.pdf", user  # everyone here sees the document
        dj = await file_node(api, world, user, scene.dj_file)
        if user in SEES_DJ_ANSWER:
            assert dj is not None and dj["filename"] == "dictamen.pdf", user
        else:
            assert dj is None, user
    # and the other way round: DJ's people do not see DA's answer
    assert await file_node(api, world, "da_staff", scene.other_file) is not None
    assert await file_node(api, world, "dj_staff", scene.other_file) is None
    assert await file_node(api, world, "dj_head", scene.other_file) is None
    # someone who does not see the document at all
    for user in ("drh_staff", "srh_staff"):
        assert await file_node(api, world, user, scene.own_file) is None, user
        assert await file_node(api, world, user, scene.dj_file) is None, user


async def test_a_hidden_answer_file_does_not_download(api, world, services, scene):
    bare = scene.dj_file_url.split("?")[0]

    async def bearer(user):
        return (await api.client.get(bare, headers={"Authorization": f"Bearer {world.tokens[user]}"})).status_code

    assert await bearer("dj_staff") == 200
    assert await bearer("dg_head") == 200
    assert await bearer("da_staff") == 404
    assert await bearer("da_head") == 404
    # as a missing file answers
    missing = await api.client.get(
        "/files/QXR0YWNobWVudDo5OTk5", headers={"Authorization": f"Bearer {world.tokens['da_staff']}"}
    )
    hidden = await api.client.get(bare, headers={"Authorization": f"Bearer {world.tokens['da_staff']}"})
    assert (hidden.status_code, hidden.text) == (missing.status_code, missing.text)

    # the signed link handed to DJ's staff works for them, without a header
    assert (await api.client.get(scene.dj_file_url)).status_code == 200
    # a link signed for DA's staff (were one ever made) is refused like a missing file
    async with services.db.session() as session:
        da_staff = await load_principal(session, world.users["da_staff"].id)
    forged = f"{bare}?t={sign(services, int(from_global_id(scene.dj_file)[1]), da_staff, 0)}"
    assert (await api.client.get(forged)).status_code == 404

    # ... and DA's staff cannot get one: the answer, its turno and its files are out of reach
    turnos = (await api.ok(TURNOS, {"id": scene.document["id"]}, token=world.tokens["da_staff"]))["node"]["turnos"]
    assert [t["toUnit"]["acronym"] for t in turnos] == ["DA"]
    reachable = set()
    for turno in turnos:
        node = (await api.ok(ANSWER_FILES, {"id": turno["id"]}, token=world.tokens["da_staff"]))["node"]
        reachable |= {a["id"] for r in node["responses"] for a in r["attachments"]}
    assert scene.dj_file not in reachable and scene.other_file in reachable
    for hidden_id in (scene.dj_turno, scene.dj_response):
        assert (
            await api.ok("query($id: ID!) { node(id: $id) { id } }", {"id": hidden_id}, token=world.tokens["da_staff"])
        )["node"] is None


# --- search ---------------------------------------------------------------------------------


async def test_search_finds_an_answer_word_only_for_who_sees_the_answer(api, world, scene):
    folio = [scene.document["folio"]]
    for order in (None, "RECEIVED"):  # ranked, and the plain filter
        for user in sorted(SEES_DJ_ANSWER):
            assert await found(api, world, user, SECRET, order) == folio, (user, order)
        for user in sorted(SEES_DOCUMENT_NOT_DJ_ANSWER):
            assert await found(api, world, user, SECRET, order) == [], (user, order)
        # DA's answer: the other way round
        assert await found(api, world, "da_staff", REPORT, order) == folio
        assert await found(api, world, "dj_staff", REPORT, order) == []
        # the document's own file: everyone who sees the document
        for user in sorted(SEES_DJ_ANSWER | SEES_DOCUMENT_NOT_DJ_ANSWER):
            assert await found(api, world, user, OWN, order) == folio, (user, order)
        # a word of the subject and one of an answer find it together, for who sees the answer
        assert await found(api, world, "dj_staff", f"contrato {SECRET}", order) == folio
        assert await found(api, world, "da_staff", f"contrato {SECRET}", order) == []
        assert await found(api, world, "dj_staff", f"{OWN} {SECRET}", order) == folio
        assert await found(api, world, "dg_head", f"{SECRET} {REPORT}", order) == folio
        assert await found(api, world, "dj_staff", f"{SECRET} {REPORT}", order) == []
    # the inbox's search too (the turno filter): DA's turno is listed, not through DJ's words
    inbox = (await api.ok(INBOX, {"q": SECRET}, token=world.tokens["da_staff"]))["inbox"]
    assert inbox["totalCount"] == 0
    assert (await api.ok(INBOX, {"q": REPORT}, token=world.tokens["da_staff"]))["inbox"]["totalCount"] == 1
    assert (await api.ok(INBOX, {"q": SECRET}, token=world.tokens["dj_staff"]))["inbox"]["totalCount"] == 1


async def test_a_confidential_documents_answer_words_only_for_who_may_read_them(api, world, services):
    """Registered by DA and turned to SRH and DJ (the chain: DA, SRH, DJ): DJ's answer's words
    match for who sees DJ's turno and may read the protected fields; not for a REGISTRAR above or
    ADMIN (they see the turno, not the fields), nor for SRH (on the chain, not on DJ's turno)."""
    scene = await build_scene(
        api, world, services, user="da_reg", unit="DA", other="SRH", confidential=True, reference="CONF/9"
    )
    folio = [scene.document["folio"]]
    for user in ("dj_staff", "dj_head", "da_staff", "da_reg", "da_head", "dg_head"):
        assert await found(api, world, user, SECRET) == folio, user
        assert await file_node(api, world, user, scene.dj_file) is not None, user
    for user in ("dg_reg", "admin", "srh_staff", "srh_head"):
        assert await found(api, world, user, SECRET) == [], user
        assert await file_node(api, world, user, scene.dj_file) is None, user
    assert await found(api, world, "srh_staff", REPORT) == folio  # their own answer
    assert await found(api, world, "admin", REPORT) == []
    # the public fields still find it for who sees the row
    assert await found(api, world, "dg_reg", "CONF/9") == folio
    assert await found(api, world, "dg_reg", f"CONF/9 {SECRET}") == []
    assert await found(api, world, "dg_reg", OWN) == []  # the document's own file: protected too


# --- exports ----------------------------------------------------------------------------------


async def test_exports_filtered_by_an_answer_word(api, world, services, scene):
    for kind in ("documents", "turnos"):
        _, hidden = await run_export(api, services, world, "da_staff", {kind: {"search": SECRET}})
        assert records(hidden[hidden.sheetnames[0]]) == [], kind
        _, seen = await run_export(api, services, world, "dj_staff", {kind: {"search": SECRET}})
        assert len(records(seen[seen.sheetnames[0]])) == 1, kind
    _, own = await run_export(api, services, world, "da_staff", {"documents": {"search": OWN}})
    assert [r["Folio"] for r in records(own["Documentos"])] == [scene.document["folio"]]


# --- history and time by unit -----------------------------------------------------------------


async def test_history_names_no_hidden_answer(api, world, scene):
    flow = Flow(api, world)
    seen = await flow.document("da_staff", scene.document["id"])
    numbers = {e["node"]["turno"]["number"] for e in seen["history"]["edges"] if e["node"]["turno"]}
    assert numbers == {t["number"] for t in seen["turnos"]} and len(numbers) == 1
    assert "TURNO_ANSWERED" in {e["node"]["kind"] for e in seen["history"]["edges"]}  # DA's own answer


async def test_time_by_unit_tells_only_of_visible_turnos(api, world, scene):
    async def units(user):
        node = (await api.ok(TIME_BY_UNIT, {"id": scene.document["id"]}, token=world.tokens[user]))["node"]
        return sorted(s["unit"]["acronym"] for s in node["timeByUnit"])

    assert await units("da_staff") == ["DA", "DG"]
    assert await units("da_head") == ["DA", "DG"]
    assert await units("dj_staff") == ["DG", "DJ"]
    assert await units("dg_head") == ["DA", "DG", "DJ"]
    assert await units("admin") == ["DA", "DG", "DJ"]
