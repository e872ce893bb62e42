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
    await register_many(services, world, 60, unit="DA", user="da_reg",
                        confidential=lambda i: i % 3 == 0, sender=lambda i: citizen if i % 2 else SenderData(level=SenderLevel.STATE, name="Gobierno"))
    counts = {}
    for first in (5, 100):
        queries.reset()
        body = await api.gql(PAGE, {"first": first}, token=world.tokens["dg_head"])
        assert len(body["data"]["documents"]["edges"]) == first
        counts[first] = queries.count
    assert counts == {5: EXPECTED_QUERIES, 100: EXPECTED_QUERIES}, "\n---\n".join(s[:150] for s in queries.statements)
