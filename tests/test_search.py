"""Full-text search (models/search.py): accent-insensitive words in the fields and the files,
ranked, paginated, confidential fields kept confidential, and no input that makes it fail."""

import pytest

from models.documents import SenderLevel
from resolvers.documents import SenderData
from resolvers.text_extraction import extract_pending
from tests.samples import pdf_with_text
from tests.helpers import HOSTILE, reg, register_with
from tests.workflow import Flow
from tests.world import register_many

SEARCH = """query($filter: DocumentFilter, $first: Int, $after: String, $last: Int, $before: String, $orderBy: DocumentOrder) {
  documents(filter: $filter, first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) {
    totalCount edges { cursor node { folio } } pageInfo { hasNextPage hasPreviousPage endCursor startCursor } } }"""


async def found(api, world, search, user="admin", **variables):
    """The folios a search lists, in the order listed (and its totalCount agrees)."""
    data = await api.ok(SEARCH, {"filter": {"search": search}, "first": 100, **variables}, token=world.tokens[user])
    conn = data["documents"]
    assert conn["totalCount"] == len(conn["edges"])
    return [e["node"]["folio"] for e in conn["edges"]]


async def test_an_accentless_query_finds_accented_words_in_the_subject_and_the_files(api, world, services):
    subject = await reg(api, world, subject="Regularización de predios", summary="Sin anexos", reference="R/1")
    other = await reg(api, world, subject="Invitación a la reunión", summary="Reunión mensual", reference="R/2")
    filed = (
        await register_with(
            api,
            world,
            [
                (
                    "oficio.pdf",
                    pdf_with_text("Notificación de la resolución", "sobre la construcción en Tecámac"),
                    "application/pdf",
                )
            ],
            subject="Oficio sin asunto",
            summary=None,
            reference="R/3",
        )
    )["document"]["folio"]
    for query in ("regularizacion", "REGULARIZACIÓN", "Regularización", "regularizacion predios"):
        assert await found(api, world, query) == [subject], query
    assert await found(api, world, "reunion") == [other]
    # the file is searchable once its text is read, not before
    assert await found(api, world, "tecamac") == []
    assert await extract_pending(services) == 1
    for query in ("tecamac", "TECÁMAC", "construccion", "notificacion resolucion", "Tecámac construcción"):
        assert await found(api, world, query) == [filed], query
    # a plural in -ciones finds its singular and back, on both backends
    assert await found(api, world, "notificaciones") == [filed]
    assert await found(api, world, "invitaciones") == [other]


async def test_a_stronger_match_ranks_first_unless_another_order_is_asked(api, world, clock):
    strong = await reg(
        api, world, subject="Programa de vivienda social", summary="Apoyo a la vivienda", reference="V/1"
    )
    clock.advance(minutes=5)
    weak = await reg(
        api, world, subject="Oficio de la delegación", summary="Menciona la vivienda una vez", reference="V/2"
    )
    clock.advance(minutes=5)
    others = [
        await reg(api, world, subject=f"Asunto distinto {i}", summary="Nada que ver", reference=f"X/{i}")
        for i in range(3)
    ]  # not about vivienda: the word is not common to every document
    assert await found(api, world, "vivienda") == [strong, weak]  # relevance, though weak is newer
    assert await found(api, world, "vivienda", orderBy="RELEVANCE") == [strong, weak]
    assert await found(api, world, "vivienda", orderBy="RECEIVED") == [weak, strong]  # newest first
    # without a search RELEVANCE has nothing to rank by: newest received first
    data = await api.ok(SEARCH, {"first": 2, "orderBy": "RELEVANCE"}, token=world.tokens["admin"])
    assert [e["node"]["folio"] for e in data["documents"]["edges"]] == [others[2], others[1]]


async def folio_pages(api, world, variables: dict, size: int, total: int) -> list[list[str]]:
    """Every page of `size` of the search, following endCursor; each page's totalCount checked."""
    pages, after = [], None
    while True:
        data = (await api.ok(SEARCH, {**variables, "first": size, "after": after}, token=world.tokens["admin"]))[
            "documents"
        ]
        pages.append([e["node"]["folio"] for e in data["edges"]])
        assert data["totalCount"] == total
        if not data["pageInfo"]["hasNextPage"]:
            return pages
        after = data["pageInfo"]["endCursor"]


async def test_search_pages_continue_exactly_where_they_left_off(api, world, services):
    # many ties (same text) and different strengths (the word repeated in the summary)
    await register_many(
        services,
        world,
        23,
        subject=lambda i: f"Convenio número {i}",
        summary=lambda i: " ".join(["convenio"] * (i % 4)) or "sin más",
        reference=lambda i: f"C/{i}",
    )
    await register_many(services, world, 5, subject=lambda i: f"Otro asunto {i}")
    whole = await found(api, world, "convenio")
    assert len(whole) == 23
    for size in (1, 4, 7):
        pages = await folio_pages(api, world, {"filter": {"search": "convenio"}}, size, total=23)
        assert [f for page in pages for f in page] == whole, size  # no gap, no duplicate, same order
        assert all(len(page) == size for page in pages[:-1])
    # and backwards from the end
    tail = (await api.ok(SEARCH, {"filter": {"search": "convenio"}, "first": 20}, token=world.tokens["admin"]))[
        "documents"
    ]
    back = (
        await api.ok(
            SEARCH,
            {"filter": {"search": "convenio"}, "last": 5, "before": tail["pageInfo"]["endCursor"]},
            token=world.tokens["admin"],
        )
    )["documents"]
    assert [e["node"]["folio"] for e in back["edges"]] == whole[14:19]
    # a cursor of the other order is refused, not misread
    received = (
        await api.ok(
            SEARCH, {"filter": {"search": "convenio"}, "first": 1, "orderBy": "RECEIVED"}, token=world.tokens["admin"]
        )
    )["documents"]["pageInfo"]["endCursor"]
    body = await api.gql(
        SEARCH, {"filter": {"search": "convenio"}, "first": 1, "after": received}, token=world.tokens["admin"]
    )
    assert "Cursor inválido" in str(body)


async def test_search_pages_by_date_continue_exactly_where_they_left_off(api, world, services):
    """By date, PostgreSQL takes each page among the next newest matches (models/search.py
    newest_matches): pages of any size make the whole list, newest first, ties by id."""
    await register_many(services, world, 17, subject=lambda i: f"Convenio número {i}", reference=lambda i: f"C/{i}")
    await register_many(services, world, 4, subject=lambda i: f"Otro asunto {i}")
    await register_many(services, world, 6, subject=lambda i: f"Convenio tardío {i}", reference=lambda i: f"T/{i}")
    variables = {"filter": {"search": "convenio"}, "orderBy": "RECEIVED"}
    whole = (await api.ok(SEARCH, {**variables, "first": 100}, token=world.tokens["admin"]))["documents"]
    assert whole["totalCount"] == 23 and len(whole["edges"]) == 23
    folios = [e["node"]["folio"] for e in whole["edges"]]
    for size in (1, 5, 22):
        pages = await folio_pages(api, world, variables, size, total=23)
        assert [f for page in pages for f in page] == folios, size


async def test_a_confidential_subject_is_not_matched_for_who_may_not_read_it_but_its_folio_is(api, world):
    folio = await reg(
        api,
        world,
        user="srh_reg",
        unit="SRH",
        confidential=True,
        subject="Expediente de Zacarías",
        summary="Queja reservada",
        reference="CONF/77",
        addressee="Contraloría Interna",
    )
    open_one = await reg(api, world, user="srh_reg", unit="SRH", subject="Zacarías y otros", reference="ABIERTO/1")
    # da_reg sees SRH's rows (REGISTRAR above) but not their confidential fields
    assert await found(api, world, "zacarias", user="da_reg") == [open_one]
    assert await found(api, world, "queja reservada", user="da_reg") == []
    assert await found(api, world, "zacarias conf", user="da_reg") == []  # a public word does not unlock the rest
    assert await found(api, world, "CONF/77", user="da_reg") == [folio]
    assert await found(api, world, "conf 77", user="da_reg") == [folio]
    assert await found(api, world, folio, user="da_reg") == [folio]
    assert await found(api, world, "contraloria", user="da_reg") == [folio]
    # who may read it finds it by every field, and by public and protected words together
    assert sorted(await found(api, world, "zacarias", user="srh_staff")) == sorted([folio, open_one])
    assert await found(api, world, "zacarias conf", user="srh_staff") == [folio]
    assert await found(api, world, "queja reservada", user="da_head") == [folio]  # a HEAD above
    # someone who does not see the rows finds nothing at all
    assert await found(api, world, "CONF/77", user="dj_reg") == []


async def test_words_joined_by_punctuation_are_a_phrase(api, world):
    first = await reg(api, world, reference="JUZ-3/2026", subject="Amparo")
    shuffled = await reg(
        api, world, reference=f"2026/{first.split('/')[-1]}/{first.split('/')[0]}", subject="Otro amparo"
    )
    assert await found(api, world, first) == [first]  # the folio itself, not its words in another order
    assert sorted(await found(api, world, first.replace("/", " "))) == sorted([first, shuffled])  # loose words
    assert await found(api, world, "juz-3") == [first]
    assert await found(api, world, "JUZ-3/2026 amparo") == [first]
    assert await found(api, world, "3/juz") == []


@pytest.mark.parametrize("box", ["documents", "inbox"])
async def test_no_input_makes_the_search_fail(api, world, box):
    flow = Flow(api, world)
    doc = await flow.register(user="da_reg", unit="DA", subject="Solicitud de información", reference="H/1")
    assert (await flow.send("da_reg", document=doc["id"], recipients=[{"unitId": "SRH", "instruction": "KNOWLEDGE"}]))[
        "errors"
    ] == []
    if box == "documents":
        query = (
            "query($q: String) { documents(filter: {search: $q}, first: 5) { totalCount edges { node { folio } } } }"
        )
    else:
        query = "query($q: String) { inbox(filter: {search: $q}, first: 5) { totalCount edges { node { number } } } }"
    everything = (await api.ok(query, {"q": None}, token=world.tokens["da_head"]))[box]["totalCount"]
    assert everything == 1
    for text in HOSTILE:
        result = (await api.ok(query, {"q": text}, token=world.tokens["da_head"]))[box]
        assert result["totalCount"] == len(result["edges"]), text
        if not any(c.isalnum() for c in text):  # no word at all: no filter
            assert result["totalCount"] == everything, repr(text)
    # only stop words: nothing to look for, nothing found (as PostgreSQL does)
    assert (await api.ok(query, {"q": "de la"}, token=world.tokens["da_head"]))[box]["totalCount"] == 0
    assert (await api.ok(query, {"q": '"informacion'}, token=world.tokens["da_head"]))[box]["totalCount"] == 1
    assert (await api.ok(query, {"q": "AND OR NOT"}, token=world.tokens["da_head"]))[box]["totalCount"] == 0


async def test_the_index_follows_files_added_later(api, world, services):
    flow = Flow(api, world)
    doc = await flow.register(user="da_reg", unit="DA", subject="Oficio", summary=None, reference="F/1")
    from tests.helpers import ATTACH, upload

    response = await upload(
        api,
        world.tokens["da_reg"],
        ATTACH,
        {"input": {"documentId": doc["id"], "files": [None]}},
        {"input.files.0": ("anexo.pdf", pdf_with_text("Dictamen de Huehuetoca"), "application/pdf")},
    )
    assert response.json()["data"]["attachFiles"]["errors"] == []
    assert await found(api, world, "huehuetoca") == []
    await extract_pending(services)
    assert await found(api, world, "huehuetoca") == [doc["folio"]]
    assert await found(api, world, "dictamen oficio") == [doc["folio"]]  # the file and the subject together


async def test_citizen_contact_data_is_not_searchable(api, world, services):
    citizen = SenderData(
        level=SenderLevel.CITIZEN,
        name="Ciudadana Pérez",
        email="privado@example.mx",
        phone="5512345678",
        address="Calle Secreta 12",
    )
    await register_many(services, world, 1, sender=citizen, subject="Petición")
    assert len(await found(api, world, "perez")) == 1
    for private in ("privado", "5512345678", "secreta"):
        assert await found(api, world, private) == [], private


async def test_the_triggers_that_keep_the_index_are_in_place(services, backend):
    """A later migration that copies documents or attachments on SQLite (batch mode) drops their
    triggers with the old table: this says so before the search silently goes stale."""
    from sqlalchemy import text

    query = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        if backend == "sqlite"
        else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    )
    async with services.db.engine.connect() as conn:
        names = set((await conn.execute(text(query))).scalars())
    expected = {
        "documents_search_insert",
        "documents_search_update",
        "attachments_search_insert",
        "attachments_search_update",
        "attachments_search_delete",
        "response_files_search_insert",
        "response_files_search_update",
    }  # 0011: answers' files
    sqlite_only = {"documents_search_delete", "response_files_search_delete"}  # PostgreSQL: foreign keys cascade
    assert expected | (sqlite_only if backend == "sqlite" else set()) <= names
