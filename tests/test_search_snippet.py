"""Document.searchSnippet: why a document matched, as an excerpt with the words found marked,
accent-insensitive, and never with a word the caller may not read (the search's own rule: a
confidential document's summary, sender and files; an answer's file only for who sees it)."""

from __future__ import annotations

import pytest

from models.search import (
    SNIPPET_MAX_SEGMENTS,
    SNIPPET_TEXT_LIMIT,
    SNIPPET_WORDS,
    highlight,
    marked_segments,
    parse_search,
)
from resolvers.text_extraction import extract_pending
from tests.samples import pdf_with_text
from tests.helpers import register_with
from tests.helpers import HOSTILE, reg
from tests.scenes import OWN, REPORT, SECRET, build_scene

SEARCH = """query($q: String!, $first: Int) { documents(filter: {search: $q}, first: $first) {
  totalCount edges { node { id folio searchSnippet(search: $q) { source fileName segments { text match } } } } } }"""
NODE = """query($id: ID!, $q: String!) { node(id: $id) { ... on Document {
  searchSnippet(search: $q) { source fileName segments { text match } } } } }"""
ID_OF = "query($q: String) { documents(filter: {search: $q}, first: 5) { edges { node { id folio } } } }"


def text_of(snippet: dict | None) -> str:
    return "".join(s["text"] for s in snippet["segments"]) if snippet else ""


def marks(snippet: dict | None) -> list[str]:
    return [s["text"] for s in snippet["segments"] if s["match"]] if snippet else []


async def results(api, world, q: str, user: str = "admin") -> dict[str, dict | None]:
    """folio -> its snippet, for the documents a search lists."""
    data = await api.ok(SEARCH, {"q": q, "first": 50}, token=world.tokens[user])
    return {e["node"]["folio"]: e["node"]["searchSnippet"] for e in data["documents"]["edges"]}


async def snippet_of(api, world, document_id: str, q: str, user: str) -> dict | None:
    """The snippet asked straight on the document (node), whatever the search lists."""
    data = await api.ok(NODE, {"id": document_id, "q": q}, token=world.tokens[user])
    return data["node"]["searchSnippet"] if data["node"] else None


async def document_id(api, world, folio: str) -> str:
    edges = (await api.ok(ID_OF, {"q": folio}, token=world.tokens["admin"]))["documents"]["edges"]
    return next(e["node"]["id"] for e in edges if e["node"]["folio"] == folio)


# --- the marks ------------------------------------------------------------------------------------


async def test_an_accentless_query_marks_the_accented_words_of_the_summary(api, world):
    folio = await reg(
        api,
        world,
        subject="Oficio de la delegación",
        reference="S/1",
        summary="Por medio del presente se solicita la información de las nóminas del ejercicio 2025.",
    )
    await reg(api, world, subject="Otro asunto", summary="Nada que ver", reference="S/2")
    for query in ("informacion", "INFORMACIÓN", "nomina informacion"):
        snippets = await results(api, world, query)
        assert list(snippets) == [folio], query
        snippet = snippets[folio]
        assert snippet["source"] == "SUMMARY" and snippet["fileName"] is None
        assert "información" in marks(snippet), (query, snippet)
        # the pieces joined are the text itself, as written
        assert (
            text_of(snippet) == "Por medio del presente se solicita la información de las nóminas del ejercicio 2025."
        )
    assert marks((await results(api, world, "nomina informacion"))[folio]) == ["información", "nóminas"]


async def test_the_text_read_from_a_file_gives_the_snippet_with_its_name(api, world, services):
    letter = pdf_with_text("Notificación de la resolución", "sobre la construcción en Tecámac")
    registered = await register_with(
        api,
        world,
        [("oficio.pdf", letter, "application/pdf")],
        subject="Oficio sin asunto",
        summary=None,
        reference="F/1",
    )
    folio = registered["document"]["folio"]
    assert await extract_pending(services) == 1
    snippet = (await results(api, world, "tecamac construccion"))[folio]
    assert snippet["source"] == "FILE" and snippet["fileName"] == "oficio.pdf"
    # the files' text is stored folded for search: the marks are its words, accents gone
    assert [m.lower() for m in marks(snippet)] == ["construccion", "tecamac"]


async def test_the_field_with_most_words_found_gives_the_snippet_and_a_subject_alone_gives_none(api, world):
    folio = await reg(
        api,
        world,
        subject="Convenio de vivienda",
        reference="Convenio V/9",
        summary="Convenio de colaboración para el programa de vivienda popular",
        addressee="Coordinación de vivienda",
    )
    assert (await results(api, world, "convenio vivienda"))[folio]["source"] == "SUMMARY"  # both words there
    assert (await results(api, world, "colaboracion"))[folio]["source"] == "SUMMARY"
    assert (await results(api, world, "coordinacion"))[folio]["source"] == "ADDRESSEE"
    assert (await results(api, world, "v/9"))[folio]["source"] == "REFERENCE"
    # the subject and the folio are on the result's row already: no snippet repeats them
    only_subject = await reg(api, world, subject="Ornitorrinco del zoológico", summary="Nada más", reference="Z/1")
    assert (await results(api, world, "ornitorrinco")) == {only_subject: None}
    assert (await results(api, world, only_subject)) == {only_subject: None}


async def test_a_long_text_is_cut_around_its_best_match_with_ellipses(api, world):
    before = " ".join(f"antes{i}" for i in range(60))
    after = " ".join(f"despues{i}" for i in range(60))
    folio = await reg(api, world, subject="Largo", reference="L/1", summary=f"{before} la palabra Huehuetoca {after}")
    snippet = (await results(api, world, "huehuetoca"))[folio]
    text = text_of(snippet)
    assert marks(snippet) == ["Huehuetoca"]
    assert text.startswith("…") and text.endswith("…"), text
    assert "antes0 " not in text and "despues59" not in text
    assert len(text.split()) <= SNIPPET_WORDS + 4


async def test_a_files_snippet_comes_from_its_first_pages(api, world, services):
    """ts_headline reads a text whole: a snippet looks at a file's first SNIPPET_TEXT_LIMIT characters.
    A word further on still finds the document (the index holds it all), without a snippet."""
    filler = [f"renglón de relleno número {i:05d}" for i in range(SNIPPET_TEXT_LIMIT // 30 + 100)]
    letter = pdf_with_text("Dictamen de Huehuetoca", *filler, "anexo del ornitorrinco")
    registered = await register_with(
        api, world, [("largo.pdf", letter, "application/pdf")], subject="Largo", summary=None, reference="LARGO/1"
    )
    folio = registered["document"]["folio"]
    assert await extract_pending(services) == 1
    first = (await results(api, world, "huehuetoca"))[folio]
    assert first["source"] == "FILE" and marks(first) == ["huehuetoca"]
    assert text_of(first).endswith("…")  # the file goes on
    assert (await results(api, world, "ornitorrinco")) == {folio: None}


# --- whose words ----------------------------------------------------------------------------------


async def test_a_confidential_documents_protected_words_never_reach_who_may_not_read_them(api, world, services):
    letter = pdf_with_text("Denuncia de Zacarias sobre el contrato de limpieza")
    registered = await register_with(
        api,
        world,
        [("denuncia.pdf", letter, "application/pdf")],
        user="srh_reg",
        unit="SRH",
        confidential=True,
        subject="Expediente de Zacarías",
        summary="Queja reservada de Zacarías por acoso",
        sender={"level": "CITIZEN", "name": "Zacarías López"},
        reference="CONF/77",
        addressee="Contraloría Interna, atención Zacarías",
    )
    assert registered["errors"] == [], registered
    folio, doc_id = registered["document"]["folio"], registered["document"]["id"]
    assert await extract_pending(services) == 1
    hidden = ("queja", "reservada", "acoso", "lópez", "lopez", "denuncia", "limpieza", "expediente")

    # da_reg sees the row (REGISTRAR above SRH), not its protected fields: the public addressee only
    snippet = (await results(api, world, "zacarias", user="da_reg"))[folio]
    assert snippet["source"] == "ADDRESSEE" and marks(snippet) == ["Zacarías"]
    assert not any(word in text_of(snippet).lower() for word in hidden), snippet
    # asked straight, with the hidden words themselves: nothing (the search lists nothing either)
    for q in ("queja reservada", "acoso", "lopez", "denuncia limpieza", "expediente"):
        assert await snippet_of(api, world, doc_id, q, "da_reg") is None, q
    # a public word with a hidden one: the public field, as it would be without the hidden word
    assert await snippet_of(api, world, doc_id, "zacarias queja", "da_reg") == snippet
    assert await results(api, world, "queja", user="da_reg") == {}
    # who may read it: the summary (most words), or the file
    assert (await results(api, world, "zacarias queja", user="srh_staff"))[folio]["source"] == "SUMMARY"
    assert (await snippet_of(api, world, doc_id, "acoso", "da_head"))["source"] == "SUMMARY"  # a HEAD above
    file_snippet = await snippet_of(api, world, doc_id, "limpieza", "srh_staff")
    assert file_snippet["source"] == "FILE" and file_snippet["fileName"] == "denuncia.pdf"
    assert (await snippet_of(api, world, doc_id, "lopez", "srh_staff"))["source"] == "SENDER"
    # who does not see the row gets no document at all
    assert await snippet_of(api, world, doc_id, "zacarias", "dj_reg") is None
    data = await api.ok(NODE, {"id": doc_id, "q": "zacarias"}, token=world.tokens["dj_reg"])
    assert data["node"] is None


async def test_an_answers_file_gives_a_snippet_only_to_who_sees_that_answer(api, world, services):
    scene = await build_scene(api, world, services)
    doc_id = scene.document["id"]
    # DA's STAFF sees DA's answer, not DJ's; DJ's STAFF the other way round; DG's HEAD both
    own = await snippet_of(api, world, doc_id, OWN, "da_staff")
    assert own["source"] == "FILE" and own["fileName"] == "oficio.pdf"
    report = await snippet_of(api, world, doc_id, REPORT, "da_staff")
    assert report["source"] == "ANSWER_FILE" and report["fileName"] == "informe.pdf" and marks(report) == [REPORT]
    assert await snippet_of(api, world, doc_id, SECRET, "da_staff") is None
    assert SECRET not in text_of(await snippet_of(api, world, doc_id, f"{SECRET} {OWN}", "da_staff"))
    assert (await snippet_of(api, world, doc_id, SECRET, "dj_staff"))["fileName"] == "dictamen.pdf"
    assert await snippet_of(api, world, doc_id, REPORT, "dj_staff") is None
    assert (await snippet_of(api, world, doc_id, SECRET, "dg_head"))["source"] == "ANSWER_FILE"


async def test_a_confidential_documents_answer_files_follow_the_confidential_rule_too(api, world, services):
    scene = await build_scene(api, world, services, user="da_reg", unit="DA", other="SRH", confidential=True)
    doc_id = scene.document["id"]
    # dj_staff answered, so sees its own answer's file... and DJ is on the chain: it may read the document
    assert (await snippet_of(api, world, doc_id, SECRET, "dj_staff"))["source"] == "ANSWER_FILE"
    # dg_reg (REGISTRAR above, not HEAD) sees the row, and no file nor protected field of it
    for q in (SECRET, REPORT, OWN):
        assert await snippet_of(api, world, doc_id, q, "dg_reg") is None, q


# --- no input fails, and a page costs a fixed number of statements -------------------------------


async def test_no_search_text_makes_the_snippet_fail(api, world):
    folio = await reg(api, world, subject="Solicitud", summary="Solicitud de información", reference="H/1")
    doc_id = await document_id(api, world, folio)
    for text in HOSTILE:
        await snippet_of(api, world, doc_id, text, "da_head")  # no error (api.ok)
    for text in ("", "   ", "de la", "*", '"'):
        assert await snippet_of(api, world, doc_id, text, "da_head") is None, repr(text)
    assert marks(await snippet_of(api, world, doc_id, '"informacion', "da_head")) == ["información"]


async def test_snippets_of_a_page_cost_two_statements_whatever_its_size(api, world, queries):
    for i in range(12):
        await reg(
            api,
            world,
            subject=f"Asunto {i}",
            summary=f"Trámite de la licencia número {i}",
            reference=f"P/{i}",
            confidential=i % 3 == 0,
        )
    counts = {}
    for first, with_snippet in ((3, False), (3, True), (12, True)):
        query = (
            SEARCH
            if with_snippet
            else SEARCH.replace("searchSnippet(search: $q) { source fileName segments { text match } }", "")
        )
        queries.reset()
        data = await api.ok(query, {"q": "licencia", "first": first}, token=world.tokens["dg_head"])
        assert len(data["documents"]["edges"]) == first
        counts[(first, with_snippet)] = queries.count
    assert counts[(3, True)] == counts[(3, False)] + 2 == counts[(12, True)]


# --- the excerpt itself (no database) ---------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_highlight_marks_phrases_prefixes_and_folds(database_url):
    query = parse_search("informacion JUZ-3/2026 nomina")
    text = "Se solicita la información de las nóminas en atención al oficio JUZ-3/2026, y no JUZ-4/2026."
    assert [s for s in highlight(text, query) if s[1]] == [
        ("información", True),
        ("nóminas", True),
        ("JUZ-3/2026", True),
    ]
    assert "".join(t for t, _ in highlight(text, query)) == text
    assert highlight("Nada de eso", query) is None
    assert highlight(None, query) is None
    # a long run of marks stays within the bound the query cost counts on
    many = highlight(" ".join(["nomina"] * 500), parse_search("nomina"))
    assert len(many) <= SNIPPET_MAX_SEGMENTS


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_headline_is_read_into_segments_with_its_ellipses(database_url):
    start, stop = "\ue000", "\ue001"
    text = "Uno dos tres la información cuatro cinco seis"
    whole = f"Uno dos tres la {start}información{stop} cuatro cinco seis"
    assert marked_segments(whole, text, text) == [
        ("Uno dos tres la ", False),
        ("información", True),
        (" cuatro cinco seis", False),
    ]
    cut = f"tres la {start}información{stop} cuatro"
    assert marked_segments(cut, text, text) == [("… tres la ", False), ("información", True), (" cuatro …", False)]
    assert marked_segments("Uno dos tres", text, text) is None  # nothing marked
    assert marked_segments(None, text, text) is None
