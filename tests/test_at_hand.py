"""The fields a list shows answer synchronously once its look-ahead loaded their data
(schema/at_hand.py, schema/look_ahead.py), and still answer, by a later load, when nothing
loaded them. The answers are the same either way; the permission checks too."""

from inspect import isawaitable

import graphql
import pytest
from strawberry.dataloader import DataLoader

from models.db import SharedSession
from models.principals import load_principal
from resolvers.context import Context
from schema.at_hand import MISSING, at_hand, load_now_or_later
from schema.build import build_schema
from tests.workflow import Flow

# Each field a row of a list shows whose data come from a loader, the calendar or a guard's chain
WATCHED = {
    ("Turno", "document"),
    ("Turno", "fromUnit"),
    ("Turno", "toUnit"),
    ("Turno", "trafficLight"),
    ("Turno", "businessDaysLeft"),
    ("Document", "trafficLight"),
    ("Document", "subject"),
    ("Document", "summary"),
    ("Document", "sender"),
    ("Document", "unit"),
    ("Sender", "email"),
}

INBOX = """{ inbox(first: 50) { edges { node {
  number trafficLight businessDaysLeft fromUnit { acronym } toUnit { acronym }
  document { folio subject summary trafficLight ...Who }
} } } }
fragment Who on Document { sender { name ... on Sender { email } } unit { acronym } }"""

DOCUMENTS = """{ documents(first: 50) { edges { node {
  folio subject summary trafficLight sender { name email } unit { acronym }
} } } }"""


class Recorder:
    """graphql-core middleware: which watched fields returned an awaitable instead of a value."""

    def __init__(self):
        self.later: list[tuple[str, str]] = []
        self.now: list[tuple[str, str]] = []

    def resolve(self, next_, root, info, **args):
        result = next_(root, info, **args)
        key = (info.parent_type.name, info.field_name)
        if key in WATCHED:
            (self.later if isawaitable(result) else self.now).append(key)
        return result


async def run(services, world, user: str, source: str, variables=None):
    schema = build_schema(services.settings)
    recorder = Recorder()
    async with services.db.session() as session:
        principal = await load_principal(session, world.users[user].id)
        ctx = Context(services=services, session=SharedSession(session), principal=principal, request_id="test")
        result = await graphql.graphql(
            schema._schema, source, context_value=ctx, middleware=[recorder], variable_values=variables
        )
    return result, recorder


def refusals(errors) -> list[tuple]:
    return sorted((tuple(e["path"]), e["extensions"]["code"]) for e in errors)


@pytest.fixture
async def srh_documents(api, world):
    """12 documents of SRH turned to DRH: a third confidential, half from citizens. DA's VIEWER
    sees them (DA's subtree) but neither confidential fields nor personal data (not on the chain);
    DA's HEAD reads confidential ones (a HEAD above) but not personal data; DRH's STAFF, all."""
    flow = Flow(api, world)
    for i in range(12):
        sender = (
            {"level": "CITIZEN", "name": f"Persona {i}", "email": f"p{i}@example.mx"}
            if i % 2
            else {"level": "STATE", "name": "Gobierno del Estado"}
        )
        doc = await flow.register(
            user="srh_reg", unit="SRH", reference=f"A/{i}", confidential=i % 3 == 0, sender=sender
        )
        sent = await flow.send(
            "srh_reg",
            document=doc["id"],
            recipients=[{"unitId": "DRH", "instruction": "RESPONSE", "businessDays": 1 + i % 5}],
        )
        assert sent["errors"] == []


@pytest.mark.parametrize(
    "user, source, refused",
    [("da_head", INBOX, 6), ("drh_staff", INBOX, 0), ("da_viewer", DOCUMENTS, 4 * 3 + 4), ("da_head", DOCUMENTS, 6)],
)
async def test_a_lists_rows_answer_now_and_as_over_http(api, world, services, srh_documents, user, source, refused):
    result, recorder = await run(services, world, user, source)
    over_http = await api.gql(source, token=world.tokens[user])
    assert result.data == over_http["data"]
    assert len(next(iter(result.data.values()))["edges"]) == 12
    errors = [e.formatted for e in result.errors or []]
    assert refusals(errors) == refusals(over_http.get("errors", [])) and len(errors) == refused
    assert recorder.now and recorder.later == []


async def test_a_single_node_answers_later_and_the_same(api, world, services, srh_documents):
    """No look-ahead under `node`: the same fields load what they need when asked, and refuse alike."""
    listed = await api.gql("{ documents(first: 50) { edges { node { id } } } }", token=world.tokens["da_viewer"])
    source = (
        "query($id: ID!) { node(id: $id) { ... on Document { folio subject summary trafficLight "
        "sender { name email } unit { acronym } } } }"
    )
    refused = 0
    for edge in listed["data"]["documents"]["edges"]:
        variables = {"id": edge["node"]["id"]}
        result, recorder = await run(services, world, "da_viewer", source, variables)
        over_http = await api.gql(source, variables, token=world.tokens["da_viewer"])
        assert result.data == over_http["data"]
        errors = [e.formatted for e in result.errors or []]
        assert refusals(errors) == refusals(over_http.get("errors", []))
        assert ("Document", "trafficLight") in recorder.later
        refused += len(errors)
    assert refused == 4 * 3 + 4


async def test_load_now_or_later():
    loads = []

    async def batch(keys):
        loads.append(list(keys))
        return [k * 10 for k in keys]

    loader = DataLoader(load_fn=batch)
    assert at_hand(loader, 1) is MISSING
    later = load_now_or_later(loader, 1, lambda v: v + 1)
    assert isawaitable(later) and await later == 11
    assert at_hand(loader, 1) == 10
    assert load_now_or_later(loader, 1, lambda v: v + 1) == 11
    assert loads == [[1]]
