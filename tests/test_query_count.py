"""A page of documents costs a fixed number of SQL queries, whatever its size (DataLoaders)."""

from models.documents import SenderLevel
from resolvers.documents import SenderData
from tests.world import register_many

PAGE = """query($first: Int) { documents(first: $first) {
  totalCount
  edges { node {
    folio subject trafficLight confidential
    unit { acronym parent { acronym } }
    registeredBy { username }
    sender { level name email phone address }
  } }
} }"""

# 1 authentication, 1 holiday calendar and 1 turnos (traffic light), 1 page, 1 count, 1 units,
# 1 parents, 1 users, 1 chains (field guards of confidential documents and citizen senders)
EXPECTED_QUERIES = 9


async def test_page_of_documents_costs_a_fixed_number_of_queries(api, world, services, queries):
    citizen = SenderData(level=SenderLevel.CITIZEN, name="Ciudadana", email="c@example.mx")
    await register_many(services, world, 60, unit="DJ", user="dj_reg")
    # the newest (first listed) are confidential or from citizens: every guard runs on every page
    await register_many(
        services,
        world,
        60,
        unit="DA",
        user="da_reg",
        confidential=lambda i: i % 3 == 0,
        sender=lambda i: citizen if i % 2 else SenderData(level=SenderLevel.STATE, name="Gobierno"),
    )
    counts = {}
    for first in (5, 100):
        queries.reset()
        body = await api.gql(PAGE, {"first": first}, token=world.tokens["dg_head"])
        assert len(body["data"]["documents"]["edges"]) == first
        counts[first] = queries.count
    assert counts == {5: EXPECTED_QUERIES, 100: EXPECTED_QUERIES}, "\n---\n".join(s[:150] for s in queries.statements)


SEARCHED = PAGE.replace("documents(first: $first)", 'documents(first: $first, filter: {search: "asunto"})')


async def test_a_searched_page_costs_what_a_plain_page_costs(api, world, services, queries):
    """Ranked by relevance, and still no query per row (the rank comes with the page)."""
    citizen = SenderData(level=SenderLevel.CITIZEN, name="Ciudadana", email="c@example.mx")
    await register_many(services, world, 60, unit="DJ", user="dj_reg", summary=lambda i: "asunto " * (i % 3))
    await register_many(
        services,
        world,
        60,
        unit="DA",
        user="da_reg",
        summary=lambda i: "asunto " * (i % 5),
        confidential=lambda i: i % 3 == 0,
        sender=lambda i: citizen if i % 2 else SenderData(level=SenderLevel.STATE, name="Gobierno"),
    )
    counts = {}
    for first in (5, 100):
        queries.reset()
        body = await api.gql(SEARCHED, {"first": first}, token=world.tokens["dg_head"])
        assert len(body["data"]["documents"]["edges"]) == first
        counts[first] = queries.count
    assert counts == {5: EXPECTED_QUERIES, 100: EXPECTED_QUERIES}, "\n---\n".join(s[:150] for s in queries.statements)


INBOX = """query($first: Int) { inbox(first: $first) {
  totalCount
  edges { node {
    number status trafficLight businessDaysLeft dueDate descendantsTrafficLight
    fromUnit { acronym } toUnit { acronym } sentBy { username }
    document { folio subject trafficLight unit { acronym } }
  } }
} }"""

# 1 authentication, 1 ids of the units in the HEAD's scope, 1 calendar, 1 page, 1 count (from
# turno_counts on PostgreSQL), 1 units, 1 users, 1 documents, 1 open turnos of those documents (their
# lights), 1 turnos of those documents (descendants light), 1 chains (subject guard)
EXPECTED_INBOX_QUERIES = 11


async def test_inbox_page_costs_a_fixed_number_of_queries(api, world, services, queries):
    from tests.workflow import Flow

    flow = Flow(api, world)
    for i in range(30):
        doc = await flow.register(user="dg_reg", unit="DG", reference=f"I/{i}", confidential=i % 4 == 0)
        sent = await flow.send(
            "dg_reg",
            document=doc["id"],
            recipients=[
                {"unitId": "DA", "instruction": "RESPONSE", "businessDays": 1 + i % 7},
                {"unitId": "DJ", "instruction": "KNOWLEDGE"},
            ],
        )
        assert sent["errors"] == []
    counts = {}
    for first in (3, 30):
        queries.reset()
        body = await api.gql(INBOX, {"first": first}, token=world.tokens["dg_head"])
        assert "errors" not in body, body["errors"]
        assert len(body["data"]["inbox"]["edges"]) == first
        counts[first] = queries.count
    assert counts == {3: EXPECTED_INBOX_QUERIES, 30: EXPECTED_INBOX_QUERIES}, "\n---\n".join(
        s[:150] for s in queries.statements
    )
