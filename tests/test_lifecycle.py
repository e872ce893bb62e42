"""The whole life of a document through the GraphQL endpoint, with the events and the traffic
lights asserted at each step (issue: register → turn to two units + one copy → acknowledge →
delegate down → answer from below → accept below → answer up → return → answer again → accept
→ conclude → archive).

The clock is frozen on Monday 2 March 2026, 10:00 in Mexico City; 16 March is an official
holiday (Natalicio de Benito Juárez); a light turns yellow at 2 business days left.
"""

from datetime import datetime, timezone

from tests.helpers import MONDAY
from tests.workflow import Flow


async def test_full_lifecycle(api, world, clock):
    clock.set(MONDAY)
    flow = Flow(api, world)

    # 1. register in the Dirección General
    doc = await flow.register(user="dg_reg", unit="DG")
    doc_id = doc["id"]
    assert doc["folio"] == "DG/2026/000001" and doc["status"] == "REGISTERED"
    assert await flow.kinds(doc_id) == [("DOCUMENT_REGISTERED", None)]

    # 2. turn to DA (answer in 10 business days), DJ (opinion by a date) and a copy to SRH
    sent = await flow.send(
        "dg_reg",
        document=doc_id,
        recipients=[
            {"unitId": "DA", "instruction": "RESPONSE", "businessDays": 10, "notes": "Atender y responder."},
            {"unitId": "DJ", "instruction": "OPINION", "dueDate": "2026-03-04"},
            {"unitId": "SRH", "instruction": "KNOWLEDGE"},
        ],
    )
    assert sent["errors"] == []
    t_da, t_dj, t_copy = sent["turnos"]
    assert [t["number"] for t in sent["turnos"]] == ["DG/2026/000001-T1", "DG/2026/000001-T2", "DG/2026/000001-T3"]
    # 10 business days from Mon 2 March skip two weekends and the 16 March holiday: Tue 17 March
    assert t_da["dueDate"] == "2026-03-17" and t_da["businessDaysLeft"] == 10 and t_da["trafficLight"] == "GREEN"
    assert "16 de marzo (Natalicio de Benito Juárez)" in t_da["dueDateExplanation"]
    assert t_dj["businessDaysLeft"] == 2 and t_dj["trafficLight"] == "YELLOW"
    assert t_copy["dueDate"] is None and t_copy["trafficLight"] == "NONE"
    assert all(t["status"] == "SENT" for t in sent["turnos"])
    document = await flow.document("dg_head", doc_id)
    assert document["status"] == "IN_PROGRESS" and document["trafficLight"] == "YELLOW"  # the worst open turno
    assert await flow.kinds(doc_id, after=1) == [("TURNO_SENT", t["number"]) for t in sent["turnos"]]

    # the inboxes: DA's staff sees its turno, DG's head sees none (it sent them), DG's outbox has 3
    inbox = await api.ok("{ inbox { totalCount edges { node { number } } } }", token=world.tokens["da_staff"])
    assert [e["node"]["number"] for e in inbox["inbox"]["edges"]] == [t_da["number"]]
    outbox = await api.ok("{ outbox { totalCount } }", token=world.tokens["dg_reg"])
    assert outbox["outbox"]["totalCount"] == 3

    # 3. acknowledge: DA records receipt; the copy concludes when SRH acknowledges it
    acked = await flow.ack("da_staff", t_da["id"])
    assert acked["errors"] == [] and acked["turno"]["status"] == "RECEIVED" and acked["turno"]["receivedAt"]
    copy = await flow.ack("srh_staff", t_copy["id"])
    assert copy["turno"]["status"] == "CONCLUDED" and copy["turno"]["trafficLight"] == "NONE"
    assert await flow.kinds(doc_id, after=4) == [
        ("TURNO_RECEIVED", t_da["number"]),
        ("TURNO_RECEIVED", t_copy["number"]),
        ("TURNO_CONCLUDED", t_copy["number"]),
    ]

    # 4. delegate down: DA's head turns its turno to SRH, due before the parent's deadline
    clock.set(datetime(2026, 3, 3, 16, 0, tzinfo=timezone.utc))  # Tuesday
    delegated = await flow.send(
        "da_head", parent=t_da["id"], recipients=[{"unitId": "SRH", "instruction": "RESPONSE", "dueDate": "2026-03-05"}]
    )
    assert delegated["errors"] == []
    t_srh = delegated["turnos"][0]
    assert t_srh["number"] == "DG/2026/000001-T4" and t_srh["parent"] == {"number": t_da["number"]}
    assert t_srh["trafficLight"] == "YELLOW" and t_srh["businessDaysLeft"] == 2
    parent = await flow.turno("da_head", t_da["id"])
    assert parent["children"] == [{"number": t_srh["number"]}]
    assert parent["trafficLight"] == "GREEN" and parent["descendantsTrafficLight"] == "YELLOW"

    # 5. answer from below; 6. accept below
    answer = await flow.respond(
        "srh_staff", t_srh["id"], body="Se anexa el informe de plantilla.", reference="SRH/045/2026"
    )
    assert answer["errors"] == [] and answer["response"]["round"] == 1
    assert answer["response"]["turno"]["status"] == "ANSWERED"
    assert answer["response"]["turno"]["receivedAt"]  # answering records the receipt too
    assert answer["response"]["turno"]["trafficLight"] == "GREEN"  # answered in time
    accepted = await flow.evaluate("da_head", answer["response"]["id"], "ACCEPT")
    assert accepted["errors"] == []
    assert accepted["turno"]["status"] == "CONCLUDED" and accepted["turno"]["acceptedAtFirstAnswer"] is True
    assert accepted["turno"]["trafficLight"] == "GREEN"
    assert accepted["response"]["evaluation"]["decision"] == "ACCEPT"
    assert (await flow.turno("da_head", t_da["id"]))["descendantsTrafficLight"] == "NONE"  # nothing open below

    # meanwhile DJ's opinion is overdue: the document shows RED
    clock.set(datetime(2026, 3, 5, 16, 0, tzinfo=timezone.utc))  # Thursday, DJ was due Wednesday
    dj = await flow.turno("dg_head", t_dj["id"])
    assert dj["trafficLight"] == "RED" and dj["businessDaysLeft"] == -1
    assert (await flow.document("dg_head", doc_id))["trafficLight"] == "RED"

    # 7. answer up; 8. return with observations and a new deadline
    up = await flow.respond("da_staff", t_da["id"], body="Respuesta preliminar.")
    assert up["errors"] == [] and up["response"]["round"] == 1
    returned = await flow.evaluate(
        "dg_reg", up["response"]["id"], "RETURN", comment="Falta el anexo de presupuesto.", newDueDate="2026-03-20"
    )
    assert returned["errors"] == []
    assert returned["turno"]["status"] == "RETURNED" and returned["turno"]["dueDate"] == "2026-03-20"
    assert returned["response"]["evaluation"]["comment"] == "Falta el anexo de presupuesto."

    # 9. answer again; 10. accept (second round: not accepted at the first answer)
    again = await flow.respond("da_head", t_da["id"], body="Respuesta con anexo de presupuesto.")
    assert again["response"]["round"] == 2 and again["response"]["turno"]["rounds"] == 2
    final = await flow.evaluate("dg_head", again["response"]["id"], "ACCEPT", comment="Correcto.")
    assert final["turno"]["status"] == "CONCLUDED" and final["turno"]["acceptedAtFirstAnswer"] is False
    assert final["turno"]["trafficLight"] == "GREEN" and final["turno"]["businessDaysLeft"] is None

    # the document cannot conclude while DJ's turno is open; DJ answers late and DG accepts
    refused = await flow.conclude("dg_reg", doc_id)
    assert refused["document"] is None and refused["errors"][0]["code"] == "INVALID_TRANSITION"
    assert t_dj["number"] in refused["errors"][0]["message"]
    late = await flow.respond("dj_staff", t_dj["id"], body="Opinión jurídica favorable.")
    assert late["response"]["turno"]["trafficLight"] == "RED"  # answered after its deadline
    closed = await flow.evaluate("dg_reg", late["response"]["id"], "ACCEPT")
    assert closed["turno"]["status"] == "CONCLUDED" and closed["turno"]["trafficLight"] == "RED"

    # 11. conclude; 12. archive
    concluded = await flow.conclude("dg_reg", doc_id)
    assert concluded["errors"] == [] and concluded["document"]["status"] == "CONCLUDED"
    assert concluded["document"]["trafficLight"] == "NONE"
    archived = await flow.archive("dg_head", doc_id, series="12C", file="DG/EXP/2026/0007")
    assert archived["errors"] == []
    assert archived["document"]["status"] == "ARCHIVED"
    assert archived["document"]["archive"] == {
        "series": "12C",
        "fileNumber": "DG/EXP/2026/0007",
        "archivedBy": {"username": "dg_head"},
    }

    t = {x["id"]: x["number"] for x in [t_da, t_dj, t_copy, t_srh]}
    assert await flow.kinds(doc_id, after=7) == [
        ("TURNO_SENT", t_srh["number"]),
        ("TURNO_ANSWERED", t_srh["number"]),
        ("TURNO_CONCLUDED", t_srh["number"]),
        ("TURNO_ANSWERED", t_da["number"]),
        ("TURNO_RETURNED", t_da["number"]),
        ("TURNO_ANSWERED", t_da["number"]),
        ("TURNO_CONCLUDED", t_da["number"]),
        ("TURNO_ANSWERED", t_dj["number"]),
        ("TURNO_CONCLUDED", t_dj["number"]),
        ("DOCUMENT_CONCLUDED", None),
        ("DOCUMENT_ARCHIVED", None),
    ]
    assert len(t) == 4

    # how long it stayed in each unit (from the events)
    stays = {s["unit"]["acronym"]: s for s in (await flow.document("dg_head", doc_id))["timeByUnit"]}
    assert set(stays) == {"DG", "DA", "DJ", "SRH"}
    assert all(s["leftAt"] for s in stays.values())
    assert stays["DA"]["businessDays"] == 3 and stays["DJ"]["businessDays"] == 3  # Mon 2 → Thu 5 March
