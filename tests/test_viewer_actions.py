"""`viewerActions` never promises what a mutation refuses, and lists everything it allows.

For every state of a turno (and of a document) and every user of the test institution: each
listed action is performed on a fresh object in that state and must succeed; each other action
is attempted on the object itself and must be refused, leaving it as it was.

Org tree: INST > DG > {DA > SRH > DRH, DJ}. The documents are registered by DG.
"""

import pytest

from tests.samples import pdf_with_text
from tests.helpers import upload
from tests.world import USERS

TURNO = """query($id: ID!) { node(id: $id) { ... on Turno { status viewerActions rounds
  toUnit { acronym children { acronym active } } responses { id evaluation { decision } } } } }"""
DOCUMENT = """query($id: ID!) { node(id: $id) { ... on Document { status viewerActions turnos { id status } } } }"""
TURNO_ACTIONS = ["ACKNOWLEDGE", "RESPOND", "DELEGATE", "EVALUATE", "CANCEL"]
DOCUMENT_ACTIONS = ["SEND_TURNO", "UPDATE", "ATTACH", "CONCLUDE", "ARCHIVE"]


async def walk_the_matrix(flow, what: str, query: str, actions: list[str], *, make, attempt, snapshot) -> set[str]:
    """Every user against one object made by `make`: each listed action succeeds on a fresh
    object in the same state; each other one is refused and changes nothing. Returns the actions
    someone was offered."""
    api, world = flow.api, flow.world
    subject = await make()
    before = await snapshot(flow, subject["id"])
    offered = set()
    for user in USERS:
        node = (await api.ok(query, {"id": subject["id"]}, token=world.tokens[user]))["node"]
        listed = node["viewerActions"] if node else []
        offered |= set(listed)
        for action in actions:
            if action in listed:
                errors = await attempt(flow, user, action, (await make())["id"])
                assert errors == [], f"{user} was offered {action} on a {what}, and it failed: {errors}"
            else:
                errors = await attempt(flow, user, action, subject["id"])
                assert errors, f"{user} was not offered {action} on a {what}, yet it succeeded"
                assert await snapshot(flow, subject["id"]) == before, (user, action)
    return offered


# --- turnos ------------------------------------------------------------------------------------


async def sent(flow, to="DA", instruction="RESPONSE", parent_to=None):
    """A new document of DG turned to `to` (or, with parent_to, turned to `parent_to` and delegated
    by it to `to`); the turno."""
    doc = await flow.register(user="dg_reg", unit="DG")
    deadline = {} if instruction == "KNOWLEDGE" else {"businessDays": 5}
    first = await flow.send(
        "dg_reg", document=doc["id"], recipients=[{"unitId": parent_to or to, "instruction": instruction, **deadline}]
    )
    assert first["errors"] == [], first
    turno = first["turnos"][0]
    if parent_to:
        head = {"DA": "da_head", "SRH": "srh_head"}[parent_to]
        below = await flow.send(head, parent=turno["id"], recipients=[{"unitId": to, "instruction": instruction}])
        assert below["errors"] == [], below
        turno = below["turnos"][0]
    return turno


def _staff_of(unit):
    return {"DA": "da_staff", "SRH": "srh_staff", "DJ": "dj_staff", "DRH": "drh_staff"}[unit]


def _evaluator_of(unit):
    return {"DA": "dg_reg", "SRH": "da_head", "DRH": "srh_head", "DJ": "dg_reg"}[unit]


async def answered(flow, **kwargs):
    turno = await sent(flow, **kwargs)
    to = kwargs.get("to", "DA")
    done = await flow.respond(_staff_of(to), turno["id"])
    assert done["errors"] == [], done
    return turno


async def in_state(flow, state):
    """A fresh turno in `state` (a name of TURNO_STATES)."""
    if state == "SENT":
        return await sent(flow)
    if state == "SENT to a unit without subunits":
        return await sent(flow, to="DJ")
    if state == "SENT as a delegation":
        return await sent(flow, to="SRH", parent_to="DA")
    if state == "RECEIVED":
        turno = await sent(flow)
        assert (await flow.ack("da_staff", turno["id"]))["errors"] == []
        return turno
    if state == "ANSWERED":
        return await answered(flow)
    if state == "ANSWERED as a delegation":
        return await answered(flow, to="SRH", parent_to="DA")
    if state == "RETURNED":
        turno = await answered(flow)
        response = (await turno_as_admin(flow, turno["id"]))["responses"][-1]
        returned = await flow.evaluate("dg_reg", response["id"], "RETURN", comment="Incompleto.")
        assert returned["errors"] == [], returned
        return turno
    if state == "CONCLUDED":
        turno = await answered(flow)
        response = (await turno_as_admin(flow, turno["id"]))["responses"][-1]
        assert (await flow.evaluate("dg_reg", response["id"], "ACCEPT"))["errors"] == []
        return turno
    if state == "CANCELLED":
        turno = await sent(flow)
        assert (await flow.cancel("dg_reg", turno["id"]))["errors"] == []
        return turno
    if state == "KNOWLEDGE, SENT":
        return await sent(flow, instruction="KNOWLEDGE")
    if state == "KNOWLEDGE, acknowledged":
        turno = await sent(flow, instruction="KNOWLEDGE")
        assert (await flow.ack("da_staff", turno["id"]))["errors"] == []
        return turno
    raise AssertionError(state)


TURNO_STATES = [
    "SENT",
    "SENT to a unit without subunits",
    "SENT as a delegation",
    "RECEIVED",
    "ANSWERED",
    "ANSWERED as a delegation",
    "RETURNED",
    "CONCLUDED",
    "CANCELLED",
    "KNOWLEDGE, SENT",
    "KNOWLEDGE, acknowledged",
]


async def turno_as_admin(flow, turno_id):
    return (await flow.api.ok(TURNO, {"id": turno_id}, token=flow.world.tokens["admin"]))["node"]


async def try_turno_action(flow, user, action, turno_id):
    """Perform `action` on the turno as `user`; the payload's errors ([] when it succeeded)."""
    if action == "ACKNOWLEDGE":
        return (await flow.ack(user, turno_id))["errors"]
    if action == "RESPOND":
        return (await flow.respond(user, turno_id, body="Respuesta."))["errors"]
    if action == "CANCEL":
        return (await flow.cancel(user, turno_id))["errors"]
    seen = await turno_as_admin(flow, turno_id)
    if action == "DELEGATE":
        below = [c["acronym"] for c in seen["toUnit"]["children"] if c["active"]] or ["DG"]
        return (await flow.send(user, parent=turno_id, recipients=[{"unitId": below[0], "instruction": "RESPONSE"}]))[
            "errors"
        ]
    if action == "EVALUATE":
        if not seen["responses"]:
            return ["no answer to evaluate"]
        return (await flow.evaluate(user, seen["responses"][-1]["id"], "ACCEPT"))["errors"]
    raise AssertionError(action)


@pytest.mark.parametrize("state", TURNO_STATES)
async def test_turno_actions_are_exactly_what_the_mutations_allow(flow, state):
    allowed_somewhere = await walk_the_matrix(
        flow,
        f"{state} turno",
        TURNO,
        TURNO_ACTIONS,
        make=lambda: in_state(flow, state),
        attempt=try_turno_action,
        snapshot=turno_as_admin,
    )
    expected = {  # who may do something at all, per state (the matrix above checks who exactly)
        "SENT": {"ACKNOWLEDGE", "RESPOND", "DELEGATE", "CANCEL"},
        "SENT to a unit without subunits": {"ACKNOWLEDGE", "RESPOND", "CANCEL"},
        "SENT as a delegation": {"ACKNOWLEDGE", "RESPOND", "DELEGATE", "CANCEL"},
        "RECEIVED": {"RESPOND", "DELEGATE", "CANCEL"},
        "ANSWERED": {"EVALUATE", "CANCEL"},
        "ANSWERED as a delegation": {"EVALUATE", "CANCEL"},
        "RETURNED": {"RESPOND", "DELEGATE", "CANCEL"},
        "CONCLUDED": set(),
        "CANCELLED": set(),
        "KNOWLEDGE, SENT": {"ACKNOWLEDGE", "CANCEL"},
        "KNOWLEDGE, acknowledged": set(),
    }
    assert allowed_somewhere == expected[state]


# --- documents ---------------------------------------------------------------------------------

ATTACH = """mutation($input: AttachFilesInput!) { attachFiles(input: $input) { errors { code field message } } }"""
UPDATE = (
    """mutation($input: UpdateDocumentInput!) { updateDocument(input: $input) { errors { code field message } } }"""
)


async def document_in_state(flow, state):
    doc = await flow.register(user="dg_reg", unit="DG")
    if state == "REGISTERED":
        return doc
    sent = await flow.send("dg_reg", document=doc["id"], recipients=[{"unitId": "DA", "instruction": "RESPONSE"}])
    assert sent["errors"] == []
    if state == "IN_PROGRESS with an open turno":
        return doc
    assert (await flow.cancel("dg_reg", sent["turnos"][0]["id"]))["errors"] == []
    if state == "IN_PROGRESS with its turnos closed":
        return doc
    assert (await flow.conclude("dg_reg", doc["id"]))["errors"] == []
    if state == "CONCLUDED":
        return doc
    assert (await flow.archive("dg_reg", doc["id"]))["errors"] == []
    if state == "ARCHIVED":
        return doc
    raise AssertionError(state)


DOCUMENT_STATES = [
    "REGISTERED",
    "IN_PROGRESS with an open turno",
    "IN_PROGRESS with its turnos closed",
    "CONCLUDED",
    "ARCHIVED",
]


async def try_document_action(flow, user, action, doc_id):
    token = flow.world.tokens[user]
    if action == "SEND_TURNO":
        return (await flow.send(user, document=doc_id, recipients=[{"unitId": "DJ", "instruction": "RESPONSE"}]))[
            "errors"
        ]
    if action == "UPDATE":
        result = await flow.api.ok(
            UPDATE, {"input": {"documentId": doc_id, "subject": f"Asunto corregido por {user}"}}, token=token
        )
        return result["updateDocument"]["errors"]
    if action == "ATTACH":
        response = await upload(
            flow.api,
            token,
            ATTACH,
            {"input": {"documentId": doc_id, "files": [None]}},
            {"input.files.0": ("anexo.pdf", pdf_with_text("Anexo"), "application/pdf")},
        )
        return response.json()["data"]["attachFiles"]["errors"]
    if action == "CONCLUDE":
        return (await flow.conclude(user, doc_id))["errors"]
    if action == "ARCHIVE":
        return (await flow.archive(user, doc_id))["errors"]
    raise AssertionError(action)


async def document_as_admin(flow, doc_id):
    return await flow.document("admin", doc_id)


@pytest.mark.parametrize("state", DOCUMENT_STATES)
async def test_document_actions_are_exactly_what_the_mutations_allow(flow, state):
    allowed_somewhere = await walk_the_matrix(
        flow,
        f"{state} document",
        DOCUMENT,
        DOCUMENT_ACTIONS,
        make=lambda: document_in_state(flow, state),
        attempt=try_document_action,
        snapshot=document_as_admin,
    )
    expected = {
        "REGISTERED": {"SEND_TURNO", "UPDATE", "ATTACH", "CONCLUDE"},
        "IN_PROGRESS with an open turno": {"SEND_TURNO", "UPDATE", "ATTACH"},
        "IN_PROGRESS with its turnos closed": {"SEND_TURNO", "UPDATE", "ATTACH", "CONCLUDE"},
        "CONCLUDED": {"ATTACH", "ARCHIVE"},
        "ARCHIVED": set(),
    }
    assert allowed_somewhere == expected[state]
