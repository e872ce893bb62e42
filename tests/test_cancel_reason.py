"""cancelTurno's reason: on the turno for both ends (Turno.cancelReason), in the TURNO_CANCELLED
events, and on the cascaded sub-turnos; only the cancellation takes one.

Org tree: INST > DG > {DA > SRH > DRH, DJ}. The clock is frozen on Monday 2 March 2026.
"""

import pytest

from schema.ids import to_global_id
from tests.workflow import codes, delegate, turn

CANCEL = """mutation($input: TurnoIdInput!) { cancelTurno(input: $input) {
  turno { id number status cancelReason } errors { code field message } } }"""
ACK = """mutation($input: TurnoIdInput!) { acknowledgeTurno(input: $input) {
  turno { id status } errors { code field message } } }"""
TURNO = """query($id: ID!) { node(id: $id) { ... on Turno { number status cancelReason } } }"""
HISTORY = """query($id: ID!) { node(id: $id) { ... on Document {
  history(first: 100) { edges { node { kind turno { number } actor { username } data } } } } } }"""

REASON = "El asunto se atenderá por oficio directo del Director General."


async def cancel(flow, user, turno_id, **extra):
    return await flow.run(user, CANCEL, {"input": {"turnoId": turno_id, **extra}}, "cancelTurno")


async def read(flow, user, turno_id):
    return (await flow.api.ok(TURNO, {"id": turno_id}, token=flow.world.tokens[user]))["node"]


async def events(flow, doc_id, user="admin"):
    node = (await flow.api.ok(HISTORY, {"id": doc_id}, token=flow.world.tokens[user]))["node"]
    return [e["node"] for e in node["history"]["edges"]]


async def cancellations(flow, doc_id, user="admin"):
    return [e for e in await events(flow, doc_id, user) if e["kind"] == "TURNO_CANCELLED"]


async def chain(flow):
    """DG→DA (t1) → DA→SRH (t2) → SRH→DRH (t3); and a copy DA→DRH, acknowledged (so closed)."""
    doc_id, t1 = await turn(flow, to="DA")
    t2 = await delegate(flow, "da_head", t1["id"], "SRH")
    t3 = await delegate(flow, "srh_reg", t2["id"], "DRH", instruction="ATTENTION")
    copy = await delegate(flow, "da_reg", t1["id"], "DRH", instruction="KNOWLEDGE")
    assert (await flow.ack("drh_staff", copy["id"]))["turno"]["status"] == "CONCLUDED"
    return doc_id, t1, t2, t3, copy


async def test_the_reason_is_shown_to_the_sender_and_to_the_recipients(flow):
    _, t1, t2, t3, copy = await chain(flow)
    cancelled = await cancel(flow, "dg_reg", t1["id"], reason=f"  {REASON}  ")
    assert cancelled["errors"] == []
    assert cancelled["turno"] == {"id": t1["id"], "number": t1["number"], "status": "CANCELLED", "cancelReason": REASON}
    for user in ("dg_reg", "dg_head", "da_staff", "da_head", "da_viewer"):
        assert await read(flow, user, t1["id"]) == {
            "number": t1["number"],
            "status": "CANCELLED",
            "cancelReason": REASON,
        }, user
    # the cascaded sub-turnos carry it too, for their own recipients
    assert await read(flow, "srh_staff", t2["id"]) == {
        "number": t2["number"],
        "status": "CANCELLED",
        "cancelReason": REASON,
    }
    assert await read(flow, "drh_staff", t3["id"]) == {
        "number": t3["number"],
        "status": "CANCELLED",
        "cancelReason": REASON,
    }
    # a closed sub-turno is not cancelled and gets no reason
    assert await read(flow, "drh_staff", copy["id"]) == {
        "number": copy["number"],
        "status": "CONCLUDED",
        "cancelReason": None,
    }


async def test_the_reason_is_in_the_events_of_the_turno_and_of_the_cascade(flow):
    doc_id, t1, t2, t3, _ = await chain(flow)
    assert (await cancel(flow, "dg_reg", t1["id"], reason=REASON))["errors"] == []
    found = await cancellations(flow, doc_id)
    assert [e["turno"]["number"] for e in found] == [t1["number"], t2["number"], t3["number"]]
    assert all(e["actor"] == {"username": "dg_reg"} for e in found)
    top, *cascaded = [e["data"] for e in found]
    assert top["reason"] == REASON and top["number"] == t1["number"] and top["status"] == "CANCELLED"
    assert top.get("cascadeFromId") is None
    for data, turno in zip(cascaded, (t2, t3)):
        assert data["reason"] == REASON and data["number"] == turno["number"]
        assert data["cascadeFromId"] == t1["id"], data  # a global ID of the cancelled turno
    # the recipients read it in the history as well
    for user, turno in (("da_staff", t1), ("srh_staff", t2), ("drh_staff", t3)):
        theirs = {e["turno"]["number"]: e["data"] for e in await cancellations(flow, doc_id, user)}
        assert theirs[turno["number"]]["reason"] == REASON, user


async def test_the_inbox_events_of_a_recipient_carry_the_reason(flow, api, world):
    _, t1 = await turn(flow, to="DA")
    assert (await cancel(flow, "dg_reg", t1["id"], reason=REASON))["errors"] == []
    feed = await api.ok(
        "{ events(first: 100) { edges { node { kind data turno { number } } } } }", token=world.tokens["da_staff"]
    )
    cancelled = [e["node"] for e in feed["events"]["edges"] if e["node"]["kind"] == "TURNO_CANCELLED"]
    assert [(e["turno"]["number"], e["data"]["reason"]) for e in cancelled] == [(t1["number"], REASON)]


async def test_a_delegation_cancelled_by_its_sender_keeps_the_parent_open(flow):
    doc_id, t1, t2, t3, _ = await chain(flow)
    assert (await cancel(flow, "da_head", t2["id"], reason="Se reasigna."))["errors"] == []
    assert (await read(flow, "srh_staff", t2["id"]))["cancelReason"] == "Se reasigna."
    assert (await read(flow, "drh_staff", t3["id"]))["cancelReason"] == "Se reasigna."
    assert await read(flow, "da_staff", t1["id"]) == {
        "number": t1["number"],
        "status": "RECEIVED",
        "cancelReason": None,
    }
    cascade = (await cancellations(flow, doc_id))[-1]["data"]
    assert cascade["cascadeFromId"] == t2["id"] and cascade["reason"] == "Se reasigna."


@pytest.mark.parametrize("extra", [{}, {"reason": None}, {"reason": "   "}])
async def test_without_a_reason_cancel_reason_is_null(flow, extra):
    doc_id, t1 = await turn(flow, to="DA")
    t2 = await delegate(flow, "da_head", t1["id"], "SRH")
    cancelled = await cancel(flow, "dg_reg", t1["id"], **extra)
    assert cancelled["errors"] == [] and cancelled["turno"]["status"] == "CANCELLED"
    assert cancelled["turno"]["cancelReason"] is None
    assert (await read(flow, "srh_staff", t2["id"])) == {
        "number": t2["number"],
        "status": "CANCELLED",
        "cancelReason": None,
    }
    assert [e["data"].get("reason") for e in await cancellations(flow, doc_id)] == [None, None]


async def test_a_reason_of_2000_characters_is_accepted(flow):
    _, t1 = await turn(flow, to="DA")
    longest = "m" * 2000
    cancelled = await cancel(flow, "dg_reg", t1["id"], reason=longest)
    assert cancelled["errors"] == [] and cancelled["turno"]["cancelReason"] == longest


async def test_a_reason_over_2000_characters_is_refused_and_nothing_is_cancelled(flow):
    doc_id, t1 = await turn(flow, to="DA")
    t2 = await delegate(flow, "da_head", t1["id"], "SRH")
    before = await events(flow, doc_id)
    refused = await cancel(flow, "dg_reg", t1["id"], reason="m" * 2001)
    assert refused["turno"] is None
    assert codes(refused) == [("VALIDATION", "reason")]
    assert "2,000" in refused["errors"][0]["message"] or "2000" in refused["errors"][0]["message"], refused["errors"]
    assert (await read(flow, "dg_reg", t1["id"]))["status"] == "RECEIVED"  # as delegating left it
    assert (await read(flow, "dg_reg", t2["id"]))["status"] == "SENT"
    assert await events(flow, doc_id) == before


async def test_who_may_not_cancel_with_a_reason_cancels_nothing(flow):
    doc_id, t1 = await turn(flow, to="DA")
    before = await events(flow, doc_id)
    for user in ("da_staff", "da_head"):  # the recipient does not cancel
        refused = await cancel(flow, user, t1["id"], reason=REASON)
        assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"], user
    assert await read(flow, "dg_reg", t1["id"]) == {"number": t1["number"], "status": "SENT", "cancelReason": None}
    assert await events(flow, doc_id) == before


async def test_a_concluded_turno_is_not_cancelled_and_gets_no_reason(flow):
    _, t1 = await turn(flow, to="DA", instruction="KNOWLEDGE")
    assert (await flow.ack("da_staff", t1["id"]))["turno"]["status"] == "CONCLUDED"
    refused = await cancel(flow, "dg_reg", t1["id"], reason=REASON)
    assert [e["code"] for e in refused["errors"]] == ["INVALID_TRANSITION"]
    assert (await read(flow, "dg_reg", t1["id"]))["cancelReason"] is None


async def test_acknowledging_with_a_reason_is_refused(flow):
    doc_id, t1 = await turn(flow, to="DA")
    before = await events(flow, doc_id)
    refused = await flow.run(
        "da_staff", ACK, {"input": {"turnoId": t1["id"], "reason": "Recibido."}}, "acknowledgeTurno"
    )
    assert refused["turno"] is None
    assert refused["errors"] == [
        {"code": "VALIDATION", "field": "reason", "message": "Solo la cancelación lleva motivo."}
    ]
    assert (await read(flow, "da_staff", t1["id"]))["status"] == "SENT"
    assert await events(flow, doc_id) == before
    # without it, the same call goes through
    done = await flow.run("da_staff", ACK, {"input": {"turnoId": t1["id"]}}, "acknowledgeTurno")
    assert done["errors"] == [] and done["turno"]["status"] == "RECEIVED"


async def test_a_bad_turno_id_is_not_found(flow):
    refused = await cancel(flow, "dg_reg", to_global_id("Turno", 999_999), reason=REASON)
    assert [e["code"] for e in refused["errors"]] == ["NOT_FOUND"]
