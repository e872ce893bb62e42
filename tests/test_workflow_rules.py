"""The rules of the workflow (PRODUCT.md "Rules of the workflow", "Time"; issue "Turnos"), one
small test per rule, through the GraphQL endpoint.

The clock is frozen on Monday 2 March 2026, 10:00 in Mexico City; 16 March 2026 is an official
holiday (Natalicio de Benito Juárez); by default a light turns yellow at 2 business days left.
Org tree: INST > DG > {DA > SRH > DRH, DJ}.
"""

import dataclasses
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import httpx
import pytest

from mcs.app import create_app
from tests.conftest import Api
from tests.workflow import Flow, codes, delegate, turn

MX = ZoneInfo("America/Mexico_City")


def local(month, day, hour=10, minute=0):
    """A moment of 2026 in Mexico City, as UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=MX).astimezone(timezone.utc)


async def snapshot(flow, doc_id, *turno_ids):
    """What a refused call must leave untouched: the history and the turnos."""
    return (
        await flow.kinds(doc_id),
        [await flow.turno("admin", t) for t in turno_ids],
        (await flow.document("admin", doc_id))["status"],
    )


def error_codes(payload):
    return [e["code"] for e in payload["errors"]]


UPDATE_UNIT = """mutation($input: UpdateOrgUnitInput!) { updateOrgUnit(input: $input) {
  orgUnit { active } errors { code field } } }"""
NOTES = """query($id: ID!) { node(id: $id) { ... on Turno { number notes instruction dueDate } } }"""
RESPONSES = """query($id: ID!) { node(id: $id) { ... on Turno { rounds acceptedAtFirstAnswer
  responses { round body author { username } evaluation { decision comment evaluatedBy { username } } } } } }"""
ADD_HOLIDAYS = """mutation($dates: [Date!]!, $description: String) {
  addHolidays(input: {dates: $dates, description: $description}) { holidays errors { code field } } }"""
REMOVE_HOLIDAYS = """mutation($dates: [Date!]!) {
  removeHolidays(input: {dates: $dates}) { holidays errors { code field } } }"""
NON_WORKING = """query($from: Date, $to: Date) { nonWorkingDays(period: {from: $from, to: $to}) {
  date description official } }"""
SERIES = "{ archiveSeries { code name active } }"
CREATE_SERIES = """mutation($code: String!, $name: String!) { createArchiveSeries(input: {code: $code, name: $name}) {
  archiveSeries { code name active } errors { code field } } }"""
UPDATE_SERIES = """mutation($code: String!, $name: String, $active: Boolean) {
  updateArchiveSeries(input: {code: $code, name: $name, active: $active}) {
  archiveSeries { code name active } errors { code field } } }"""
EVENTS = "{ events(first: 100) { edges { node { kind turno { number } } } } }"
DOC_LIGHTS = """query($filter: DocumentFilter) { documents(filter: $filter, first: 100) {
  totalCount edges { node { folio trafficLight } } } }"""
INBOX_LIGHTS = """query($filter: TurnoFilter) { inbox(filter: $filter, first: 100) {
  totalCount edges { node { number trafficLight } } } }"""


# --- routing ---------------------------------------------------------------------------------


async def test_registering_unit_may_turn_to_any_active_unit(flow):
    doc = await flow.register(user="dj_reg", unit="DJ")
    across = await flow.send("dj_reg", document=doc["id"], recipients=[{"unitId": "DRH", "instruction": "ATTENTION"}])
    assert across["errors"] == []
    assert across["turnos"][0]["fromUnit"] == {"acronym": "DJ"} and across["turnos"][0]["toUnit"] == {"acronym": "DRH"}
    up = await flow.send(
        "dj_head", document=doc["id"], recipients=[{"unitId": "DG", "instruction": "OPINION", "businessDays": 3}]
    )
    assert up["errors"] == [] and up["turnos"][0]["toUnit"] == {"acronym": "DG"} and up["turnos"][0]["parent"] is None


async def test_one_call_turns_to_several_units_each_with_its_instruction_deadline_and_notes(flow, api, world):
    doc = await flow.register()
    sent = await flow.send(
        "dg_reg",
        document=doc["id"],
        recipients=[
            {"unitId": "DA", "instruction": "RESPONSE", "businessDays": 5, "notes": "Responder al remitente."},
            {"unitId": "DJ", "instruction": "OPINION", "dueDate": "2026-03-10", "notes": "Opinión jurídica."},
            {"unitId": "SRH", "instruction": "KNOWLEDGE"},
        ],
    )
    assert sent["errors"] == []
    got = [(await api.ok(NOTES, {"id": t["id"]}, token=world.tokens["dg_reg"]))["node"] for t in sent["turnos"]]
    folio = doc["folio"]
    assert got == [
        {
            "number": f"{folio}-T1",
            "instruction": "RESPONSE",
            "dueDate": "2026-03-09",
            "notes": "Responder al remitente.",
        },
        {"number": f"{folio}-T2", "instruction": "OPINION", "dueDate": "2026-03-10", "notes": "Opinión jurídica."},
        {"number": f"{folio}-T3", "instruction": "KNOWLEDGE", "dueDate": None, "notes": None},
    ]
    assert [t["toUnit"]["acronym"] for t in sent["turnos"]] == ["DA", "DJ", "SRH"]
    assert await flow.kinds(doc["id"], after=1) == [("TURNO_SENT", f"{folio}-T{i}") for i in (1, 2, 3)]


async def test_turning_to_an_inactive_unit_is_refused(flow, api, world):
    deactivated = await api.ok(
        UPDATE_UNIT, {"input": {"id": world.unit_id("DRH"), "active": False}}, token=world.tokens["admin"]
    )
    assert deactivated["updateOrgUnit"]["errors"] == []
    doc = await flow.register()
    sent = await flow.send(
        "dg_reg",
        document=doc["id"],
        recipients=[{"unitId": "DA", "instruction": "RESPONSE"}, {"unitId": "DRH", "instruction": "ATTENTION"}],
    )
    assert codes(sent) == [("VALIDATION", "recipients.1.unitId")] and sent["turnos"] == []
    assert await flow.kinds(doc["id"]) == [("DOCUMENT_REGISTERED", None)]  # not even the DA turno
    assert (await flow.document("dg_reg", doc["id"]))["status"] == "REGISTERED"


async def test_turning_to_yourself_is_refused(flow):
    doc = await flow.register()
    sent = await flow.send("dg_reg", document=doc["id"], recipients=[{"unitId": "DG", "instruction": "ATTENTION"}])
    assert codes(sent) == [("VALIDATION", "recipients.0.unitId")]
    _, t = await turn(flow)
    again = await flow.send("da_head", parent=t["id"], recipients=[{"unitId": "DA", "instruction": "ATTENTION"}])
    assert codes(again) == [("VALIDATION", "recipients.0.unitId")]


async def test_the_same_unit_twice_in_one_call_is_refused(flow):
    doc = await flow.register()
    sent = await flow.send(
        "dg_reg",
        document=doc["id"],
        recipients=[{"unitId": "DA", "instruction": "RESPONSE"}, {"unitId": "DA", "instruction": "KNOWLEDGE"}],
    )
    assert codes(sent) == [("VALIDATION", "recipients.1.unitId")]
    assert await flow.kinds(doc["id"]) == [("DOCUMENT_REGISTERED", None)]


async def test_turning_again_to_a_unit_with_a_turno_at_that_level_is_a_conflict_until_cancelled(flow):
    doc_id, t1 = await turn(flow, to="DA")
    again = await flow.send("dg_reg", document=doc_id, recipients=[{"unitId": "DA", "instruction": "ATTENTION"}])
    assert codes(again) == [("CONFLICT", "recipients.0.unitId")]
    mixed = await flow.send(
        "dg_reg",
        document=doc_id,
        recipients=[{"unitId": "DJ", "instruction": "ATTENTION"}, {"unitId": "DA", "instruction": "ATTENTION"}],
    )
    assert codes(mixed) == [("CONFLICT", "recipients.1.unitId")]
    assert await flow.kinds(doc_id) == [("DOCUMENT_REGISTERED", None), ("TURNO_SENT", t1["number"])]

    assert (await flow.cancel("dg_reg", t1["id"]))["errors"] == []
    after = await flow.send("dg_reg", document=doc_id, recipients=[{"unitId": "DA", "instruction": "ATTENTION"}])
    assert after["errors"] == []
    assert after["turnos"][0]["number"].endswith("-T2")  # the refused calls used no number


async def test_delegating_twice_to_the_same_unit_is_a_conflict(flow):
    _, t = await turn(flow, to="DA")
    await delegate(flow, "da_head", t["id"], "SRH")
    again = await flow.send("da_reg", parent=t["id"], recipients=[{"unitId": "SRH", "instruction": "KNOWLEDGE"}])
    assert codes(again) == [("CONFLICT", "recipients.0.unitId")]


async def test_from_unit_must_be_the_registering_unit_or_the_delegating_recipient(flow):
    doc_id, t = await turn(flow, to="DA")
    wrong = await flow.send(
        "dg_reg",
        document=doc_id,
        fromUnitId=flow.world.unit_id("DA"),
        recipients=[{"unitId": "DJ", "instruction": "ATTENTION"}],
    )
    assert codes(wrong) == [("VALIDATION", "fromUnitId")]
    wrong = await flow.send(
        "da_head",
        parent=t["id"],
        fromUnitId=flow.world.unit_id("DG"),
        recipients=[{"unitId": "SRH", "instruction": "ATTENTION"}],
    )
    assert codes(wrong) == [("VALIDATION", "fromUnitId")]
    right = await flow.send(
        "da_head",
        parent=t["id"],
        fromUnitId=flow.world.unit_id("DA"),
        recipients=[{"unitId": "SRH", "instruction": "ATTENTION"}],
    )
    assert right["errors"] == [] and right["turnos"][0]["fromUnit"] == {"acronym": "DA"}


async def test_the_same_unit_at_another_level_is_no_conflict(flow):
    doc_id, t_da = await turn(flow, to="DA")
    first_level = await flow.send("dg_reg", document=doc_id, recipients=[{"unitId": "SRH", "instruction": "KNOWLEDGE"}])
    assert first_level["errors"] == []
    delegated = await flow.send("da_head", parent=t_da["id"], recipients=[{"unitId": "SRH", "instruction": "RESPONSE"}])
    assert delegated["errors"] == [] and delegated["turnos"][0]["parent"] == {"number": t_da["number"]}


async def test_a_recipient_delegates_only_to_its_own_descendants(flow):
    _, t = await turn(flow, to="DA")
    assert (await flow.send("da_head", parent=t["id"], recipients=[{"unitId": "SRH", "instruction": "RESPONSE"}]))[
        "errors"
    ] == []
    assert (await flow.send("da_reg", parent=t["id"], recipients=[{"unitId": "DRH", "instruction": "ATTENTION"}]))[
        "errors"
    ] == []
    sideways = await flow.send("da_head", parent=t["id"], recipients=[{"unitId": "DJ", "instruction": "RESPONSE"}])
    assert codes(sideways) == [("VALIDATION", "recipients.0.unitId")]
    upwards = await flow.send("da_head", parent=t["id"], recipients=[{"unitId": "DG", "instruction": "RESPONSE"}])
    assert codes(upwards) == [("VALIDATION", "recipients.0.unitId")]
    to_root = await flow.send("da_head", parent=t["id"], recipients=[{"unitId": "INST", "instruction": "RESPONSE"}])
    assert codes(to_root) == [("VALIDATION", "recipients.0.unitId")]


async def test_staff_and_viewer_cannot_send(flow):
    doc = await flow.register(user="da_reg", unit="DA")
    for user in ("da_staff", "da_viewer"):
        sent = await flow.send(user, document=doc["id"], recipients=[{"unitId": "DJ", "instruction": "ATTENTION"}])
        assert error_codes(sent) == ["FORBIDDEN"], user
    doc_id, t = await turn(flow, to="DA")
    before = await snapshot(flow, doc_id, t["id"])
    for user in ("da_staff", "da_viewer"):
        sent = await flow.send(user, parent=t["id"], recipients=[{"unitId": "SRH", "instruction": "ATTENTION"}])
        assert error_codes(sent) == ["FORBIDDEN"], user
    assert await snapshot(flow, doc_id, t["id"]) == before  # not even acknowledged


async def test_sending_on_what_you_cannot_see_is_not_found(flow):
    doc_id, t = await turn(flow, to="DA")
    on_document = await flow.send("dj_head", document=doc_id, recipients=[{"unitId": "DJ", "instruction": "ATTENTION"}])
    assert error_codes(on_document) == ["NOT_FOUND"]
    on_turno = await flow.send("dj_head", parent=t["id"], recipients=[{"unitId": "DJ", "instruction": "ATTENTION"}])
    assert error_codes(on_turno) == ["NOT_FOUND"]
    below = await flow.send("srh_head", parent=t["id"], recipients=[{"unitId": "DRH", "instruction": "ATTENTION"}])
    assert error_codes(below) == ["NOT_FOUND"]
    assert await flow.kinds(doc_id) == [("DOCUMENT_REGISTERED", None), ("TURNO_SENT", t["number"])]


async def test_document_and_parent_turno_both_or_neither_is_refused(flow):
    doc_id, t = await turn(flow, to="DA")
    both = await flow.send(
        "da_head", document=doc_id, parent=t["id"], recipients=[{"unitId": "SRH", "instruction": "ATTENTION"}]
    )
    assert [c for c, _ in codes(both)] == ["VALIDATION"]
    neither = await flow.send("da_head", recipients=[{"unitId": "SRH", "instruction": "ATTENTION"}])
    assert [c for c, _ in codes(neither)] == ["VALIDATION"]


async def test_no_recipients_is_refused(flow):
    doc = await flow.register()
    sent = await flow.send("dg_reg", document=doc["id"], recipients=[])
    assert codes(sent) == [("VALIDATION", "recipients")]
    assert (await flow.document("dg_reg", doc["id"]))["status"] == "REGISTERED"


async def test_a_knowledge_copy_takes_no_deadline(flow):
    doc = await flow.register()
    for deadline in ({"dueDate": "2026-03-10"}, {"businessDays": 3}):
        sent = await flow.send(
            "dg_reg", document=doc["id"], recipients=[{"unitId": "DA", "instruction": "KNOWLEDGE", **deadline}]
        )
        assert [c for c, _ in codes(sent)] == ["VALIDATION"], deadline
        assert codes(sent)[0][1].startswith("recipients.0."), codes(sent)


async def test_a_knowledge_copy_is_neither_delegated_nor_answered(flow):
    doc_id, copy = await turn(flow, to="SRH", instruction="KNOWLEDGE")
    before = await snapshot(flow, doc_id, copy["id"])
    delegated = await flow.send(
        "srh_head", parent=copy["id"], recipients=[{"unitId": "DRH", "instruction": "ATTENTION"}]
    )
    assert error_codes(delegated) == ["INVALID_TRANSITION"]
    answered = await flow.respond("srh_staff", copy["id"])
    assert error_codes(answered) == ["INVALID_TRANSITION"]
    assert await snapshot(flow, doc_id, copy["id"]) == before
    acked = await flow.ack("srh_staff", copy["id"])
    assert acked["turno"]["status"] == "CONCLUDED"
    assert error_codes(await flow.respond("srh_head", copy["id"])) == ["INVALID_TRANSITION"]


async def test_delegating_a_sent_turno_records_its_receipt(flow):
    doc_id, t = await turn(flow, to="DA")
    child = await delegate(flow, "da_head", t["id"], "SRH")
    parent = await flow.turno("da_head", t["id"])
    assert parent["status"] == "RECEIVED" and parent["receivedAt"]
    assert await flow.kinds(doc_id, after=1) == [
        ("TURNO_SENT", t["number"]),
        ("TURNO_RECEIVED", t["number"]),
        ("TURNO_SENT", child["number"]),
    ]
    second = await delegate(flow, "da_head", t["id"], "DRH", instruction="KNOWLEDGE")
    assert await flow.kinds(doc_id, after=4) == [("TURNO_SENT", second["number"])]  # received only once


async def test_an_answered_turno_is_not_delegated(flow):
    doc_id, t = await turn(flow, to="DA")
    assert (await flow.respond("da_staff", t["id"]))["errors"] == []
    before = await snapshot(flow, doc_id, t["id"])
    sent = await flow.send("da_head", parent=t["id"], recipients=[{"unitId": "SRH", "instruction": "ATTENTION"}])
    assert error_codes(sent) == ["INVALID_TRANSITION"]
    assert await snapshot(flow, doc_id, t["id"]) == before


# --- deadlines ----------------------------------------------------------------------------


async def test_due_date_and_business_days_together_are_refused(flow):
    doc = await flow.register()
    sent = await flow.send(
        "dg_reg",
        document=doc["id"],
        recipients=[{"unitId": "DA", "instruction": "RESPONSE", "dueDate": "2026-03-10", "businessDays": 3}],
    )
    assert codes(sent) == [("VALIDATION", "recipients.0.businessDays")]


@pytest.mark.parametrize("days", [0, -1, 366])
async def test_business_days_go_from_1_to_365(flow, days):
    doc = await flow.register()
    sent = await flow.send(
        "dg_reg", document=doc["id"], recipients=[{"unitId": "DA", "instruction": "RESPONSE", "businessDays": days}]
    )
    assert codes(sent) == [("VALIDATION", "recipients.0.businessDays")]


async def test_business_days_bounds_are_accepted(flow):
    doc = await flow.register()
    sent = await flow.send(
        "dg_reg",
        document=doc["id"],
        recipients=[
            {"unitId": "DA", "instruction": "RESPONSE", "businessDays": 1},
            {"unitId": "DJ", "instruction": "RESPONSE", "businessDays": 365},
        ],
    )
    assert sent["errors"] == []
    assert sent["turnos"][0]["dueDate"] == "2026-03-03" and sent["turnos"][0]["businessDaysLeft"] == 1
    assert sent["turnos"][1]["businessDaysLeft"] == 365 and sent["turnos"][1]["dueDate"] > "2027-01-01"


async def test_a_due_date_in_the_past_is_refused_and_today_is_accepted(flow):
    doc = await flow.register()
    past = await flow.send(
        "dg_reg", document=doc["id"], recipients=[{"unitId": "DA", "instruction": "RESPONSE", "dueDate": "2026-03-01"}]
    )
    assert codes(past) == [("VALIDATION", "recipients.0.dueDate")]
    today = await flow.send(
        "dg_reg", document=doc["id"], recipients=[{"unitId": "DA", "instruction": "RESPONSE", "dueDate": "2026-03-02"}]
    )
    assert today["errors"] == []
    assert today["turnos"][0]["businessDaysLeft"] == 0 and today["turnos"][0]["trafficLight"] == "YELLOW"

    assert today["warnings"] == []


async def test_a_fixed_due_date_on_a_non_working_day_is_accepted_with_a_warning(flow):
    doc = await flow.register()
    sent = await flow.send(
        "dg_reg",
        document=doc["id"],
        recipients=[
            {"unitId": "DA", "instruction": "RESPONSE", "dueDate": "2026-03-07"},  # Saturday
            {"unitId": "DJ", "instruction": "RESPONSE", "dueDate": "2026-03-16"},  # Benito Juárez's birthday
            {"unitId": "SRH", "instruction": "RESPONSE", "dueDate": "2026-03-13"},  # a Friday: nothing to say
            {"unitId": "DRH", "instruction": "RESPONSE", "businessDays": 5},  # counted: always a business day
        ],
    )
    assert sent["errors"] == []
    assert [t["dueDate"] for t in sent["turnos"]] == ["2026-03-07", "2026-03-16", "2026-03-13", "2026-03-09"]
    assert len(sent["warnings"]) == 2
    assert "DA" in sent["warnings"][0] and "2026-03-07" in sent["warnings"][0]
    assert sent["warnings"][0].endswith("el siguiente día hábil es 2026-03-09.")
    assert "Benito Juárez" in sent["warnings"][1] and sent["warnings"][1].endswith("es 2026-03-17.")


async def test_a_delegated_deadline_may_not_pass_the_parents(flow):
    doc_id, t = await turn(flow, to="DA", dueDate="2026-03-06")  # Friday
    before = await snapshot(flow, doc_id, t["id"])
    by_date = await flow.send(
        "da_head", parent=t["id"], recipients=[{"unitId": "SRH", "instruction": "RESPONSE", "dueDate": "2026-03-09"}]
    )
    assert codes(by_date) == [("VALIDATION", "recipients.0.dueDate")]
    by_days = await flow.send(
        "da_head", parent=t["id"], recipients=[{"unitId": "SRH", "instruction": "RESPONSE", "businessDays": 5}]
    )
    assert codes(by_days) == [("VALIDATION", "recipients.0.businessDays")]
    assert await snapshot(flow, doc_id, t["id"]) == before
    same = await flow.send(
        "da_head",
        parent=t["id"],
        recipients=[
            {"unitId": "SRH", "instruction": "RESPONSE", "dueDate": "2026-03-06"},
            {"unitId": "DRH", "instruction": "RESPONSE", "businessDays": 4},
        ],
    )
    assert same["errors"] == [] and [x["dueDate"] for x in same["turnos"]] == ["2026-03-06", "2026-03-06"]


async def test_a_delegated_turno_without_deadline_inherits_the_parents(flow):
    _, t = await turn(flow, to="DA", dueDate="2026-03-06")
    sent = await flow.send(
        "da_head",
        parent=t["id"],
        recipients=[{"unitId": "SRH", "instruction": "RESPONSE"}, {"unitId": "DRH", "instruction": "KNOWLEDGE"}],
    )
    assert sent["errors"] == []
    inherited, copy = sent["turnos"]
    assert inherited["dueDate"] == "2026-03-06" and inherited["dueDateExplanation"]
    assert inherited["businessDaysLeft"] == 4 and inherited["trafficLight"] == "GREEN"
    assert copy["dueDate"] is None  # a copy never gets a deadline


async def test_a_returned_delegation_may_not_get_a_deadline_past_its_parents(flow):
    _, t = await turn(flow, to="DA", dueDate="2026-03-10")
    child = await delegate(flow, "da_head", t["id"], "SRH", dueDate="2026-03-06")
    answer = await flow.respond("srh_staff", child["id"])
    refused = await flow.evaluate(
        "da_head", answer["response"]["id"], "RETURN", comment="Incompleto.", newDueDate="2026-03-11"
    )
    assert codes(refused) == [("VALIDATION", "newDueDate")]
    assert (await flow.turno("da_head", child["id"]))["status"] == "ANSWERED"
    ok = await flow.evaluate(
        "da_head", answer["response"]["id"], "RETURN", comment="Incompleto.", newDueDate="2026-03-10"
    )
    assert ok["errors"] == [] and ok["turno"]["dueDate"] == "2026-03-10" and ok["turno"]["status"] == "RETURNED"


async def test_deadlines_count_in_the_institutions_time_zone(flow, clock):
    clock.set(local(3, 5, 23, 30))  # Thursday night in Mexico City, already Friday in UTC
    _, t = await turn(flow, to="DA", businessDays=1)
    assert t["dueDate"] == "2026-03-06" and t["businessDaysLeft"] == 1
    _, t = await turn(flow, to="DJ", dueDate="2026-03-05")  # still today
    assert t["businessDaysLeft"] == 0 and t["trafficLight"] == "YELLOW"


async def test_due_date_explanation_names_the_weekends_and_holidays_skipped(flow):
    _, counted = await turn(flow, to="DA", businessDays=10)
    text = counted["dueDateExplanation"]
    assert counted["dueDate"] == "2026-03-17"
    assert "10 días hábiles" in text and "lunes 2 de marzo de 2026" in text and "martes 17 de marzo de 2026" in text
    assert "7 de marzo y 8 de marzo" in text and "14 de marzo y 15 de marzo" in text
    assert "16 de marzo (Natalicio de Benito Juárez)" in text
    _, dated = await turn(flow, to="DJ", dueDate="2026-03-09")
    assert "5 días hábiles" in dated["dueDateExplanation"] and "7 de marzo y 8 de marzo" in dated["dueDateExplanation"]
    assert "Benito Juárez" not in dated["dueDateExplanation"]
    _, copy = await turn(flow, to="SRH", instruction="KNOWLEDGE")
    assert copy["dueDateExplanation"] is None


async def test_institution_holidays_shift_later_deadlines_and_can_be_removed(flow, api, world):
    admin = world.tokens["admin"]
    _, before = await turn(flow, to="DA", businessDays=5)
    assert before["dueDate"] == "2026-03-09"

    added = await api.ok(
        ADD_HOLIDAYS, {"dates": ["2026-03-05", "2026-03-04"], "description": "Vacaciones"}, token=admin
    )
    assert added["addHolidays"] == {"holidays": ["2026-03-04", "2026-03-05"], "errors": []}
    _, during = await turn(flow, to="DA", businessDays=5)
    assert during["dueDate"] == "2026-03-11"  # Tue 3, Fri 6, Mon 9, Tue 10, Wed 11
    assert "4 de marzo (Vacaciones)" in during["dueDateExplanation"]
    assert "5 de marzo (Vacaciones)" in during["dueDateExplanation"]
    days = (await api.ok(NON_WORKING, {"from": "2026-03-01", "to": "2026-03-31"}, token=world.tokens["da_staff"]))[
        "nonWorkingDays"
    ]
    assert days == [
        {"date": "2026-03-04", "description": "Vacaciones", "official": False},
        {"date": "2026-03-05", "description": "Vacaciones", "official": False},
        {"date": "2026-03-16", "description": "Natalicio de Benito Juárez", "official": True},
    ]

    removed = await api.ok(REMOVE_HOLIDAYS, {"dates": ["2026-03-04", "2026-03-05"]}, token=admin)
    assert removed["removeHolidays"] == {"holidays": [], "errors": []}
    _, after = await turn(flow, to="DA", businessDays=5)
    assert after["dueDate"] == "2026-03-09" and "Vacaciones" not in after["dueDateExplanation"]
    days = (await api.ok(NON_WORKING, {"from": "2026-03-01", "to": "2026-03-31"}, token=admin))["nonWorkingDays"]
    assert [d["date"] for d in days] == ["2026-03-16"]


async def test_holidays_are_managed_by_admin_only(api, world):
    for user in ("dg_head", "da_reg", "dj_staff"):
        added = await api.ok(ADD_HOLIDAYS, {"dates": ["2026-03-04"]}, token=world.tokens[user])
        assert [e["code"] for e in added["addHolidays"]["errors"]] == ["FORBIDDEN"], user
        removed = await api.ok(REMOVE_HOLIDAYS, {"dates": ["2026-03-04"]}, token=world.tokens[user])
        assert [e["code"] for e in removed["removeHolidays"]["errors"]] == ["FORBIDDEN"], user
    days = (await api.ok(NON_WORKING, {"from": "2026-03-01", "to": "2026-03-31"}, token=world.tokens["admin"]))[
        "nonWorkingDays"
    ]
    assert [d["date"] for d in days] == ["2026-03-16"]


async def test_adding_no_holidays_is_refused(api, world):
    added = await api.ok(ADD_HOLIDAYS, {"dates": []}, token=world.tokens["admin"])
    assert [(e["code"], e["field"]) for e in added["addHolidays"]["errors"]] == [("VALIDATION", "dates")]


async def test_holidays_payload_lists_every_institution_day(api, world):
    admin = world.tokens["admin"]
    await api.ok(ADD_HOLIDAYS, {"dates": ["2026-03-04"], "description": "Vacaciones"}, token=admin)
    added = await api.ok(ADD_HOLIDAYS, {"dates": ["2026-04-20"], "description": "Aniversario"}, token=admin)
    assert added["addHolidays"]["holidays"] == ["2026-03-04", "2026-04-20"]
    again = await api.ok(ADD_HOLIDAYS, {"dates": ["2026-04-20"]}, token=admin)  # already there: no duplicate
    assert again["addHolidays"] == {"holidays": ["2026-03-04", "2026-04-20"], "errors": []}
    removed = await api.ok(REMOVE_HOLIDAYS, {"dates": ["2026-03-04", "2026-12-01"]}, token=admin)
    assert removed["removeHolidays"] == {"holidays": ["2026-04-20"], "errors": []}


# --- semáforo -----------------------------------------------------------------------------


async def test_light_goes_green_yellow_red_as_the_clock_moves(flow, clock):
    _, t = await turn(flow, to="DA", businessDays=3)  # due Thursday 5 March
    assert t["dueDate"] == "2026-03-05"
    seen = []
    for _ in range(5):  # Monday to Friday
        node = await flow.turno("dg_head", t["id"])
        seen.append((node["businessDaysLeft"], node["trafficLight"]))
        clock.advance(days=1)
    assert seen == [(3, "GREEN"), (2, "YELLOW"), (1, "YELLOW"), (0, "YELLOW"), (-1, "RED")]


async def test_a_friday_deadline_is_red_on_saturday(flow, clock):
    _, t = await turn(flow, to="DA", dueDate="2026-03-06")
    clock.set(local(3, 6, 23, 30))  # Friday night in Mexico City (Saturday in UTC): still due today
    node = await flow.turno("dg_head", t["id"])
    assert (node["businessDaysLeft"], node["trafficLight"]) == (0, "YELLOW")
    seen = []
    for day in (7, 8, 9, 10):  # Saturday, Sunday, Monday, Tuesday
        clock.set(local(3, day))
        node = await flow.turno("dg_head", t["id"])
        seen.append((node["businessDaysLeft"], node["trafficLight"]))
    assert seen == [(-1, "RED"), (-1, "RED"), (-1, "RED"), (-2, "RED")]


async def test_the_yellow_threshold_is_a_setting(flow, services, world):
    _, t = await turn(flow, to="DA", businessDays=4)  # Friday 6 March
    assert (t["businessDaysLeft"], t["trafficLight"]) == (4, "GREEN")
    wide = dataclasses.replace(services, settings=dataclasses.replace(services.settings, yellow_threshold_days=5))
    app = create_app(services=wide)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        other = Api(client)
        node = await Flow(other, world).turno("dg_head", t["id"])
        assert (node["businessDaysLeft"], node["trafficLight"]) == (4, "YELLOW")
        yellow = await other.ok(INBOX_LIGHTS, {"filter": {"trafficLight": ["YELLOW"]}}, token=world.tokens["da_head"])
        assert [e["node"]["number"] for e in yellow["inbox"]["edges"]] == [t["number"]]
    assert (await flow.turno("dg_head", t["id"]))["trafficLight"] == "GREEN"  # the default app: still 2


async def test_a_late_answer_stays_red_once_concluded(flow, clock):
    _, t = await turn(flow, to="DA", dueDate="2026-03-02")
    clock.set(local(3, 3))
    answer = await flow.respond("da_staff", t["id"])
    assert answer["response"]["turno"]["trafficLight"] == "RED"
    accepted = await flow.evaluate("dg_reg", answer["response"]["id"], "ACCEPT")
    assert accepted["turno"]["status"] == "CONCLUDED" and accepted["turno"]["trafficLight"] == "RED"
    assert accepted["turno"]["businessDaysLeft"] is None
    clock.set(local(3, 30))
    assert (await flow.turno("dg_head", t["id"]))["trafficLight"] == "RED"


async def test_an_answer_on_the_evening_of_the_due_day_is_in_time(flow, clock):
    _, t = await turn(flow, to="DA", dueDate="2026-03-06")
    clock.set(local(3, 6, 19, 0))  # Friday 19:00 in Mexico City is already Saturday in UTC
    answer = await flow.respond("da_staff", t["id"])
    assert answer["response"]["turno"]["trafficLight"] == "GREEN"
    accepted = await flow.evaluate("dg_reg", answer["response"]["id"], "ACCEPT")
    assert accepted["turno"]["trafficLight"] == "GREEN"


async def test_an_answer_in_time_stays_green_even_when_evaluated_late(flow, clock):
    _, t = await turn(flow, to="DA", businessDays=3)
    clock.set(local(3, 4))
    answer = await flow.respond("da_staff", t["id"])
    assert answer["response"]["turno"]["trafficLight"] == "GREEN"
    clock.set(local(3, 10))  # past the deadline, waiting for the evaluation
    assert (await flow.turno("dg_head", t["id"]))["trafficLight"] == "GREEN"
    accepted = await flow.evaluate("dg_reg", answer["response"]["id"], "ACCEPT")
    assert accepted["turno"]["trafficLight"] == "GREEN"


async def test_a_returned_turno_runs_against_the_deadline_in_force(flow, clock):
    _, t = await turn(flow, to="DA", businessDays=3)  # Thursday 5
    answer = await flow.respond("da_staff", t["id"])
    clock.set(local(3, 9))  # Monday after: past the first deadline
    returned = await flow.evaluate("dg_reg", answer["response"]["id"], "RETURN", comment="Falta anexo.")
    assert returned["turno"]["status"] == "RETURNED" and returned["turno"]["trafficLight"] == "RED"
    _, t2 = await turn(flow, to="DJ", businessDays=3)  # Thursday 12, sent on Monday 9
    answer2 = await flow.respond("dj_staff", t2["id"])
    extended = await flow.evaluate(
        "dg_reg", answer2["response"]["id"], "RETURN", comment="Falta anexo.", newDueDate="2026-03-20"
    )
    assert extended["turno"]["dueDate"] == "2026-03-20" and extended["turno"]["trafficLight"] == "GREEN"
    clock.set(local(3, 17))  # after the first deadline, before the new one
    again = await flow.respond("dj_staff", t2["id"])
    accepted = await flow.evaluate("dg_reg", again["response"]["id"], "ACCEPT")
    assert accepted["turno"]["trafficLight"] == "GREEN"


async def test_a_cancelled_turno_shows_no_light(flow, clock):
    _, t = await turn(flow, to="DA", dueDate="2026-03-02")
    assert t["trafficLight"] == "YELLOW"
    cancelled = await flow.cancel("dg_reg", t["id"])
    assert cancelled["turno"]["status"] == "CANCELLED"
    assert cancelled["turno"]["trafficLight"] == "NONE" and cancelled["turno"]["businessDaysLeft"] is None
    clock.set(local(3, 10))
    assert (await flow.turno("dg_head", t["id"]))["trafficLight"] == "NONE"


async def test_descendants_light_is_the_worst_open_delegation_at_any_depth(flow, clock):
    _, t_da = await turn(flow, to="DA", businessDays=10)
    t_srh = await delegate(flow, "da_head", t_da["id"], "SRH", dueDate="2026-03-13")
    t_drh = await delegate(flow, "srh_head", t_srh["id"], "DRH", dueDate="2026-03-03")

    async def lights():
        return [
            ((n := await flow.turno("dg_head", t["id"]))["trafficLight"], n["descendantsTrafficLight"])
            for t in (t_da, t_srh, t_drh)
        ]

    assert await lights() == [("GREEN", "YELLOW"), ("GREEN", "YELLOW"), ("YELLOW", "NONE")]
    clock.set(local(3, 4))  # DRH is overdue
    assert await lights() == [("GREEN", "RED"), ("GREEN", "RED"), ("RED", "NONE")]
    late = await flow.respond("drh_staff", t_drh["id"])  # answered late: still open, RED
    assert await lights() == [("GREEN", "RED"), ("GREEN", "RED"), ("RED", "NONE")]
    await flow.evaluate("srh_head", late["response"]["id"], "ACCEPT")  # closed: no longer counts
    assert await lights() == [("GREEN", "GREEN"), ("GREEN", "NONE"), ("RED", "NONE")]
    await flow.cancel("da_head", t_srh["id"])
    assert await lights() == [("GREEN", "NONE"), ("NONE", "NONE"), ("RED", "NONE")]


async def test_document_light_is_the_worst_open_turno_and_none_once_concluded(flow, clock):
    doc = await flow.register()
    sent = await flow.send(
        "dg_reg",
        document=doc["id"],
        recipients=[
            {"unitId": "DA", "instruction": "RESPONSE", "businessDays": 10},
            {"unitId": "DJ", "instruction": "OPINION", "dueDate": "2026-03-03"},
        ],
    )
    t_da, t_dj = sent["turnos"]
    light = lambda: flow.document("dg_head", doc["id"])  # noqa: E731
    assert (await light())["trafficLight"] == "YELLOW"
    clock.set(local(3, 4))
    assert (await light())["trafficLight"] == "RED"
    late = await flow.respond("dj_staff", t_dj["id"])
    assert (await light())["trafficLight"] == "RED"  # an answered turno is still open
    await flow.evaluate("dg_reg", late["response"]["id"], "ACCEPT")
    assert (await light())["trafficLight"] == "GREEN"  # a concluded late turno no longer counts
    await flow.cancel("dg_reg", t_da["id"])
    document = await light()
    assert document["trafficLight"] == "NONE" and document["status"] == "IN_PROGRESS"
    concluded = await flow.conclude("dg_reg", doc["id"])
    assert concluded["document"]["trafficLight"] == "NONE"

    own = await flow.register(dueDate="2026-03-05")  # its own deadline counts while open
    assert (await flow.document("dg_head", own["id"]))["trafficLight"] == "YELLOW"
    await flow.conclude("dg_reg", own["id"])
    assert (await flow.document("dg_head", own["id"]))["trafficLight"] == "NONE"


async def _light_zoo(flow, clock):
    """Documents of DG, each turned to DA, whose lights on Tuesday 3 March cover every case."""
    docs = {}

    async def one(name, **recipient):
        doc_id, t = await turn(flow, to="DA", **recipient)
        docs[name] = (doc_id, t)
        return doc_id, t

    await one("red", dueDate="2026-03-02")
    await one("late", dueDate="2026-03-02")
    await one("late_concluded", dueDate="2026-03-02")
    clock.set(local(3, 3))
    await flow.respond("da_staff", docs["late"][1]["id"])
    answer = await flow.respond("da_staff", docs["late_concluded"][1]["id"])
    await flow.evaluate("dg_reg", answer["response"]["id"], "ACCEPT")
    await one("green", businessDays=10)
    await one("yellow", businessDays=2)
    await one("copy", instruction="KNOWLEDGE")
    _, t = await one("on_time", businessDays=2)  # answered: GREEN although due within the yellow range
    await flow.respond("da_staff", t["id"])
    _, t = await one("cancelled", businessDays=1)  # cancelled: NONE although due within the yellow range
    await flow.cancel("dg_reg", t["id"])
    await one("no_deadline", instruction="ATTENTION")
    own = await flow.register(dueDate="2026-03-04")
    docs["own_due"] = (own["id"], None)
    done = await flow.register()
    await flow.conclude("dg_reg", done["id"])
    docs["concluded"] = (done["id"], None)
    return docs


async def test_the_traffic_light_filters_agree_with_the_lights_shown(flow, api, world, clock):
    docs = await _light_zoo(flow, clock)
    folio = {name: (await flow.document("dg_head", d))["folio"] for name, (d, _) in docs.items()}
    number = {name: t["number"] for name, (_, t) in docs.items() if t}

    shown = await api.ok(DOC_LIGHTS, {"filter": {}}, token=world.tokens["dg_head"])
    doc_lights = {e["node"]["folio"]: e["node"]["trafficLight"] for e in shown["documents"]["edges"]}
    assert doc_lights == {
        folio[n]: light
        for n, light in {
            "red": "RED",
            "late": "RED",
            "late_concluded": "NONE",
            "green": "GREEN",
            "yellow": "YELLOW",
            "copy": "NONE",
            "on_time": "GREEN",
            "cancelled": "NONE",
            "no_deadline": "NONE",
            "own_due": "YELLOW",
            "concluded": "NONE",
        }.items()
    }
    inbox = await api.ok(INBOX_LIGHTS, {"filter": {}}, token=world.tokens["da_head"])
    turno_lights = {e["node"]["number"]: e["node"]["trafficLight"] for e in inbox["inbox"]["edges"]}
    assert turno_lights == {
        number[n]: light
        for n, light in {
            "red": "RED",
            "late": "RED",
            "late_concluded": "RED",
            "green": "GREEN",
            "yellow": "YELLOW",
            "copy": "NONE",
            "on_time": "GREEN",
            "cancelled": "NONE",
            "no_deadline": "NONE",
        }.items()
    }

    for light in ("RED", "YELLOW", "GREEN", "NONE"):
        filtered = await api.ok(DOC_LIGHTS, {"filter": {"trafficLight": [light]}}, token=world.tokens["dg_head"])
        assert sorted(e["node"]["folio"] for e in filtered["documents"]["edges"]) == sorted(
            f for f, shown_light in doc_lights.items() if shown_light == light
        ), light
        filtered = await api.ok(INBOX_LIGHTS, {"filter": {"trafficLight": [light]}}, token=world.tokens["da_head"])
        assert sorted(e["node"]["number"] for e in filtered["inbox"]["edges"]) == sorted(
            n for n, shown_light in turno_lights.items() if shown_light == light
        ), light
        assert filtered["inbox"]["totalCount"] == len(filtered["inbox"]["edges"])


# --- answers and evaluation --------------------------------------------------------------------


async def test_staff_head_and_registrar_of_the_recipient_answer_and_rounds_are_kept(flow, api, world):
    _, t = await turn(flow, to="DA")
    evaluators = {"da_staff": "dg_reg", "da_head": "dg_head", "da_reg": "dg_head"}
    for i, (author, evaluator) in enumerate(evaluators.items(), start=1):
        answer = await flow.respond(author, t["id"], body=f"Respuesta {i}.")
        assert answer["errors"] == [] and answer["response"]["round"] == i, author
        decision = "ACCEPT" if i == 3 else "RETURN"
        evaluated = await flow.evaluate(evaluator, answer["response"]["id"], decision, comment=f"Observación {i}.")
        assert evaluated["errors"] == []
    node = (await api.ok(RESPONSES, {"id": t["id"]}, token=world.tokens["dg_head"]))["node"]
    assert node["rounds"] == 3 and node["acceptedAtFirstAnswer"] is False
    assert node["responses"] == [
        {
            "round": 1,
            "body": "Respuesta 1.",
            "author": {"username": "da_staff"},
            "evaluation": {"decision": "RETURN", "comment": "Observación 1.", "evaluatedBy": {"username": "dg_reg"}},
        },
        {
            "round": 2,
            "body": "Respuesta 2.",
            "author": {"username": "da_head"},
            "evaluation": {"decision": "RETURN", "comment": "Observación 2.", "evaluatedBy": {"username": "dg_head"}},
        },
        {
            "round": 3,
            "body": "Respuesta 3.",
            "author": {"username": "da_reg"},
            "evaluation": {"decision": "ACCEPT", "comment": "Observación 3.", "evaluatedBy": {"username": "dg_head"}},
        },
    ]


async def test_accepted_at_the_first_answer(flow):
    _, t = await turn(flow, to="DA")
    answer = await flow.respond("da_staff", t["id"])
    assert answer["response"]["turno"]["acceptedAtFirstAnswer"] is None  # not concluded yet
    accepted = await flow.evaluate("dg_reg", answer["response"]["id"], "ACCEPT")
    assert accepted["turno"]["acceptedAtFirstAnswer"] is True and accepted["turno"]["rounds"] == 1


async def test_viewers_and_other_units_cannot_answer(flow):
    doc_id, t = await turn(flow, to="DA")
    before = await snapshot(flow, doc_id, t["id"])
    for user in ("da_viewer", "dg_head", "dg_reg"):  # they see the turno but are not the recipient's workers
        assert error_codes(await flow.respond(user, t["id"])) == ["FORBIDDEN"], user
    for user in ("srh_staff", "srh_head", "drh_staff", "dj_staff", "dj_head"):  # they cannot even see it
        assert error_codes(await flow.respond(user, t["id"])) == ["NOT_FOUND"], user
    assert await snapshot(flow, doc_id, t["id"]) == before


async def test_an_empty_answer_is_refused(flow):
    doc_id, t = await turn(flow, to="DA")
    before = await snapshot(flow, doc_id, t["id"])
    for body in ("", "   \n "):
        assert codes(await flow.respond("da_staff", t["id"], body=body)) == [("VALIDATION", "body")]
    assert await snapshot(flow, doc_id, t["id"]) == before


async def test_only_the_turning_unit_evaluates(flow):
    doc_id, t = await turn(flow, to="DA")
    child = await delegate(flow, "da_head", t["id"], "SRH")
    answer = await flow.respond("da_staff", t["id"])
    below = await flow.respond("srh_staff", child["id"])
    before = await snapshot(flow, doc_id, t["id"], child["id"])
    for user in ("da_head", "da_reg", "da_staff"):  # the recipient
        assert error_codes(await flow.evaluate(user, answer["response"]["id"], "ACCEPT")) == ["FORBIDDEN"], user
    assert error_codes(await flow.evaluate("dj_head", answer["response"]["id"], "ACCEPT")) == ["NOT_FOUND"]
    for user in ("dg_head", "dg_reg", "srh_head"):  # an ancestor of the turning unit is not the turning unit
        assert error_codes(await flow.evaluate(user, below["response"]["id"], "ACCEPT")) == ["FORBIDDEN"], user
    assert await snapshot(flow, doc_id, t["id"], child["id"]) == before
    assert (await flow.evaluate("da_reg", below["response"]["id"], "ACCEPT"))["errors"] == []
    assert (await flow.evaluate("dg_head", answer["response"]["id"], "ACCEPT"))["errors"] == []


async def test_a_return_needs_a_comment(flow):
    doc_id, t = await turn(flow, to="DA")
    answer = await flow.respond("da_staff", t["id"])
    before = await snapshot(flow, doc_id, t["id"])
    assert codes(await flow.evaluate("dg_reg", answer["response"]["id"], "RETURN")) == [("VALIDATION", "comment")]
    assert codes(await flow.evaluate("dg_reg", answer["response"]["id"], "RETURN", comment="  ")) == [
        ("VALIDATION", "comment")
    ]
    assert await snapshot(flow, doc_id, t["id"]) == before


async def test_a_new_deadline_only_with_a_return_and_not_in_the_past(flow):
    doc_id, t = await turn(flow, to="DA", businessDays=3)
    answer = await flow.respond("da_staff", t["id"])
    before = await snapshot(flow, doc_id, t["id"])
    accept = await flow.evaluate("dg_reg", answer["response"]["id"], "ACCEPT", newDueDate="2026-03-20")
    assert codes(accept) == [("VALIDATION", "newDueDate")]
    past = await flow.evaluate(
        "dg_reg", answer["response"]["id"], "RETURN", comment="Otra vez.", newDueDate="2026-03-01"
    )
    assert codes(past) == [("VALIDATION", "newDueDate")]
    assert await snapshot(flow, doc_id, t["id"]) == before


async def test_an_older_or_evaluated_response_cannot_be_evaluated(flow):
    doc_id, t = await turn(flow, to="DA")
    first = await flow.respond("da_staff", t["id"])
    await flow.evaluate("dg_reg", first["response"]["id"], "RETURN", comment="Incompleto.")
    before = await snapshot(flow, doc_id, t["id"])
    again = await flow.evaluate("dg_reg", first["response"]["id"], "RETURN", comment="Otra vez.")
    assert error_codes(again) == ["INVALID_TRANSITION"]
    assert await snapshot(flow, doc_id, t["id"]) == before
    second = await flow.respond("da_staff", t["id"])
    before = await snapshot(flow, doc_id, t["id"])
    older = await flow.evaluate("dg_reg", first["response"]["id"], "ACCEPT")
    assert error_codes(older) == ["INVALID_TRANSITION"]
    assert await snapshot(flow, doc_id, t["id"]) == before
    assert (await flow.evaluate("dg_reg", second["response"]["id"], "ACCEPT"))["errors"] == []


async def test_accepting_twice_is_refused(flow):
    doc_id, t = await turn(flow, to="DA")
    answer = await flow.respond("da_staff", t["id"])
    assert (await flow.evaluate("dg_reg", answer["response"]["id"], "ACCEPT"))["errors"] == []
    before = await snapshot(flow, doc_id, t["id"])
    for decision, extra in (("ACCEPT", {}), ("RETURN", {"comment": "Tarde."})):
        assert error_codes(await flow.evaluate("dg_head", answer["response"]["id"], decision, **extra)) == [
            "INVALID_TRANSITION"
        ]
    assert await snapshot(flow, doc_id, t["id"]) == before


async def test_answering_a_concluded_or_already_answered_turno_is_refused(flow):
    doc_id, t = await turn(flow, to="DA")
    answer = await flow.respond("da_staff", t["id"])
    before = await snapshot(flow, doc_id, t["id"])
    assert error_codes(await flow.respond("da_head", t["id"])) == ["INVALID_TRANSITION"]  # waiting for evaluation
    assert await snapshot(flow, doc_id, t["id"]) == before
    await flow.evaluate("dg_reg", answer["response"]["id"], "ACCEPT")
    before = await snapshot(flow, doc_id, t["id"])
    assert error_codes(await flow.respond("da_staff", t["id"])) == ["INVALID_TRANSITION"]
    assert await snapshot(flow, doc_id, t["id"]) == before


async def test_acknowledging_twice_is_refused(flow):
    doc_id, t = await turn(flow, to="DA")
    acked = await flow.ack("da_staff", t["id"])
    assert acked["errors"] == [] and acked["turno"]["status"] == "RECEIVED"
    before = await snapshot(flow, doc_id, t["id"])
    assert error_codes(await flow.ack("da_head", t["id"])) == ["INVALID_TRANSITION"]
    assert await snapshot(flow, doc_id, t["id"]) == before
    for user in ("da_viewer", "dg_head"):
        assert error_codes(await flow.ack(user, t["id"])) == ["FORBIDDEN"], user


async def test_evaluating_the_answer_of_a_cancelled_turno_is_refused(flow):
    doc_id, t = await turn(flow, to="DA")
    answer = await flow.respond("da_staff", t["id"])
    await flow.cancel("dg_reg", t["id"])
    before = await snapshot(flow, doc_id, t["id"])
    assert error_codes(await flow.evaluate("dg_reg", answer["response"]["id"], "ACCEPT")) == ["INVALID_TRANSITION"]
    assert error_codes(await flow.respond("da_staff", t["id"])) == ["INVALID_TRANSITION"]
    assert await snapshot(flow, doc_id, t["id"]) == before


# --- cancel -------------------------------------------------------------------------------------


async def test_only_the_turning_unit_cancels(flow):
    doc_id, t = await turn(flow, to="DA")
    child = await delegate(flow, "da_head", t["id"], "SRH")
    before = await snapshot(flow, doc_id, t["id"], child["id"])
    for user in ("da_head", "da_reg", "da_staff"):
        assert error_codes(await flow.cancel(user, t["id"])) == ["FORBIDDEN"], user
    assert error_codes(await flow.cancel("dj_head", t["id"])) == ["NOT_FOUND"]
    for user in ("srh_head", "dg_head"):  # the recipient; an ancestor of the turning unit
        assert error_codes(await flow.cancel(user, child["id"])) == ["FORBIDDEN"], user
    assert await snapshot(flow, doc_id, t["id"], child["id"]) == before
    assert (await flow.cancel("da_reg", child["id"]))["turno"]["status"] == "CANCELLED"
    assert (await flow.cancel("dg_head", t["id"]))["turno"]["status"] == "CANCELLED"


async def test_cancel_cascades_to_open_descendants_but_not_to_concluded_ones(flow):
    doc_id, t1 = await turn(flow, to="DA")
    t2 = await delegate(flow, "da_head", t1["id"], "SRH")
    t3 = await delegate(flow, "da_head", t1["id"], "DRH")
    t4 = await delegate(flow, "srh_head", t2["id"], "DRH")
    answer = await flow.respond("drh_staff", t3["id"])
    await flow.evaluate("da_head", answer["response"]["id"], "ACCEPT")
    n = len(await flow.kinds(doc_id))
    cancelled = await flow.cancel("dg_reg", t1["id"])
    assert cancelled["errors"] == [] and cancelled["turno"]["status"] == "CANCELLED"
    statuses = {t["number"]: (await flow.turno("admin", t["id"]))["status"] for t in (t1, t2, t3, t4)}
    assert statuses == {
        t1["number"]: "CANCELLED",
        t2["number"]: "CANCELLED",
        t3["number"]: "CONCLUDED",
        t4["number"]: "CANCELLED",
    }
    assert await flow.kinds(doc_id, after=n) == [("TURNO_CANCELLED", t["number"]) for t in (t1, t2, t4)]


async def test_cancelling_a_concluded_or_cancelled_turno_is_refused(flow):
    doc_id, t = await turn(flow, to="DA")
    answer = await flow.respond("da_staff", t["id"])
    await flow.evaluate("dg_reg", answer["response"]["id"], "ACCEPT")
    before = await snapshot(flow, doc_id, t["id"])
    assert error_codes(await flow.cancel("dg_reg", t["id"])) == ["INVALID_TRANSITION"]
    assert await snapshot(flow, doc_id, t["id"]) == before

    doc_id, t = await turn(flow, to="DA")
    assert (await flow.cancel("dg_reg", t["id"]))["errors"] == []
    before = await snapshot(flow, doc_id, t["id"])
    assert error_codes(await flow.cancel("dg_head", t["id"])) == ["INVALID_TRANSITION"]
    # nor is a cancelled turno acknowledged, answered or delegated
    assert error_codes(await flow.ack("da_staff", t["id"])) == ["INVALID_TRANSITION"]
    assert error_codes(await flow.respond("da_staff", t["id"])) == ["INVALID_TRANSITION"]
    assert error_codes(
        await flow.send("da_head", parent=t["id"], recipients=[{"unitId": "SRH", "instruction": "ATTENTION"}])
    ) == ["INVALID_TRANSITION"]
    assert await snapshot(flow, doc_id, t["id"]) == before


async def test_answered_and_returned_turnos_can_be_cancelled(flow):
    _, t = await turn(flow, to="DA")
    await flow.respond("da_staff", t["id"])
    assert (await flow.cancel("dg_reg", t["id"]))["turno"]["status"] == "CANCELLED"
    _, t = await turn(flow, to="DJ")
    answer = await flow.respond("dj_staff", t["id"])
    await flow.evaluate("dg_reg", answer["response"]["id"], "RETURN", comment="Falta firma.")
    assert (await flow.cancel("dg_reg", t["id"]))["turno"]["status"] == "CANCELLED"


# --- conclude and archive ----------------------------------------------------------------------


async def test_a_document_without_turnos_concludes_directly(flow):
    doc = await flow.register()
    concluded = await flow.conclude("dg_reg", doc["id"])
    assert concluded["errors"] == [] and concluded["document"]["status"] == "CONCLUDED"
    assert await flow.kinds(doc["id"]) == [("DOCUMENT_REGISTERED", None), ("DOCUMENT_CONCLUDED", None)]


async def test_a_pending_turno_blocks_conclusion_and_is_named(flow):
    doc = await flow.register()
    sent = await flow.send(
        "dg_reg",
        document=doc["id"],
        recipients=[
            {"unitId": "DA", "instruction": "RESPONSE"},
            {"unitId": "DJ", "instruction": "KNOWLEDGE"},
            {"unitId": "SRH", "instruction": "ATTENTION"},
        ],
    )
    t_da, t_dj, t_srh = sent["turnos"]
    await flow.cancel("dg_reg", t_srh["id"])
    before = await flow.kinds(doc["id"])
    refused = await flow.conclude("dg_reg", doc["id"])
    assert error_codes(refused) == ["INVALID_TRANSITION"] and refused["document"] is None
    message = refused["errors"][0]["message"]
    assert t_da["number"] in message and t_dj["number"] in message and t_srh["number"] not in message
    assert await flow.kinds(doc["id"]) == before
    assert (await flow.document("dg_reg", doc["id"]))["status"] == "IN_PROGRESS"

    await flow.ack("dj_staff", t_dj["id"])  # a copy concludes when acknowledged
    answer = await flow.respond("da_staff", t_da["id"])
    await flow.evaluate("dg_reg", answer["response"]["id"], "ACCEPT")
    concluded = await flow.conclude("dg_head", doc["id"])
    assert concluded["errors"] == [] and concluded["document"]["status"] == "CONCLUDED"


async def test_only_head_or_registrar_of_the_registering_unit_concludes(flow):
    doc = await flow.register(user="da_reg", unit="DA")
    sent = await flow.send("da_reg", document=doc["id"], recipients=[{"unitId": "DJ", "instruction": "KNOWLEDGE"}])
    await flow.ack("dj_staff", sent["turnos"][0]["id"])  # nothing pending: only the role decides
    for user in ("da_staff", "da_viewer", "dg_head", "dg_reg", "dj_head", "dj_staff"):
        assert error_codes(await flow.conclude(user, doc["id"])) == ["FORBIDDEN"], user
    for user in ("srh_head", "drh_staff"):
        assert error_codes(await flow.conclude(user, doc["id"])) == ["NOT_FOUND"], user
    assert (await flow.document("da_reg", doc["id"]))["status"] == "IN_PROGRESS"
    assert (await flow.conclude("da_head", doc["id"]))["errors"] == []
    for user in ("da_staff", "dg_head", "dj_head"):
        assert error_codes(await flow.archive(user, doc["id"])) == ["FORBIDDEN"], user
    assert (await flow.archive("da_reg", doc["id"]))["document"]["status"] == "ARCHIVED"


async def test_concluding_twice_is_refused(flow):
    doc = await flow.register()
    await flow.conclude("dg_reg", doc["id"])
    assert error_codes(await flow.conclude("dg_reg", doc["id"])) == ["INVALID_TRANSITION"]
    assert await flow.kinds(doc["id"]) == [("DOCUMENT_REGISTERED", None), ("DOCUMENT_CONCLUDED", None)]


async def test_only_a_concluded_document_is_archived(flow):
    doc = await flow.register()
    assert error_codes(await flow.archive("dg_reg", doc["id"])) == ["INVALID_TRANSITION"]
    await flow.send("dg_reg", document=doc["id"], recipients=[{"unitId": "DA", "instruction": "ATTENTION"}])
    assert error_codes(await flow.archive("dg_reg", doc["id"])) == ["INVALID_TRANSITION"]  # IN_PROGRESS
    document = await flow.document("dg_reg", doc["id"])
    assert document["status"] == "IN_PROGRESS" and [k for k, _ in await flow.kinds(doc["id"])] == [
        "DOCUMENT_REGISTERED",
        "TURNO_SENT",
    ]


async def test_archiving_needs_an_active_series_and_a_file_number(flow, api, world):
    doc = await flow.register()
    await flow.conclude("dg_reg", doc["id"])
    assert codes(await flow.archive("dg_reg", doc["id"], series="99Z")) == [("VALIDATION", "series")]
    deactivated = await api.ok(UPDATE_SERIES, {"code": "2C", "active": False}, token=world.tokens["admin"])
    assert deactivated["updateArchiveSeries"]["archiveSeries"]["active"] is False
    assert codes(await flow.archive("dg_reg", doc["id"], series="2C")) == [("VALIDATION", "series")]
    for file in ("", "   "):
        assert codes(await flow.archive("dg_reg", doc["id"], series="1C", file=file)) == [("VALIDATION", "fileNumber")]
    document = await flow.document("dg_reg", doc["id"])
    assert document["status"] == "CONCLUDED"
    assert [k for k, _ in await flow.kinds(doc["id"])] == ["DOCUMENT_REGISTERED", "DOCUMENT_CONCLUDED"]
    archived = await flow.archive("dg_reg", doc["id"], series="1C", file="DG/EXP/2026/0001")
    assert archived["errors"] == [] and archived["document"]["archive"]["series"] == "1C"


async def test_archiving_twice_is_refused(flow):
    doc = await flow.register()
    await flow.conclude("dg_reg", doc["id"])
    assert (await flow.archive("dg_reg", doc["id"], series="12C", file="EXP-1"))["errors"] == []
    again = await flow.archive("dg_head", doc["id"], series="1C", file="EXP-2")
    assert error_codes(again) == ["INVALID_TRANSITION"]
    document = await flow.archive("dg_head", doc["id"])  # still the first record
    assert error_codes(document) == ["INVALID_TRANSITION"]
    query = """query($id: ID!) { node(id: $id) { ... on Document { status archive { series fileNumber } } } }"""
    node = (await flow.api.ok(query, {"id": doc["id"]}, token=flow.world.tokens["dg_reg"]))["node"]
    assert node == {"status": "ARCHIVED", "archive": {"series": "12C", "fileNumber": "EXP-1"}}
    assert [k for k, _ in await flow.kinds(doc["id"])].count("DOCUMENT_ARCHIVED") == 1


async def test_the_archive_series_catalog_is_seeded_in_natural_order(api, world):
    listed = (await api.ok(SERIES, token=world.tokens["dj_staff"]))["archiveSeries"]
    series = {s["code"]: s for s in listed}
    assert series["1C"] == {"code": "1C", "name": "Legislación", "active": True}
    assert series["2C"]["name"] == "Asuntos Jurídicos" and series["12C"]["name"] == "Vivienda"
    assert [s["code"] for s in listed] == [f"{n}C" for n in range(1, 13)]  # not 1C, 10C, 11C, 12C, 2C…


async def test_archive_series_are_managed_by_admin_only(api, world):
    for user in ("dg_head", "da_reg"):
        created = await api.ok(CREATE_SERIES, {"code": "99C", "name": "Pruebas"}, token=world.tokens[user])
        assert [e["code"] for e in created["createArchiveSeries"]["errors"]] == ["FORBIDDEN"], user
        updated = await api.ok(UPDATE_SERIES, {"code": "1C", "active": False}, token=world.tokens[user])
        assert [e["code"] for e in updated["updateArchiveSeries"]["errors"]] == ["FORBIDDEN"], user
    created = await api.ok(CREATE_SERIES, {"code": "99C", "name": "Pruebas"}, token=world.tokens["admin"])
    assert created["createArchiveSeries"] == {
        "archiveSeries": {"code": "99C", "name": "Pruebas", "active": True},
        "errors": [],
    }
    renamed = await api.ok(UPDATE_SERIES, {"code": "99C", "name": "Pruebas internas"}, token=world.tokens["admin"])
    assert renamed["updateArchiveSeries"]["archiveSeries"] == {
        "code": "99C",
        "name": "Pruebas internas",
        "active": True,
    }
    series = {s["code"]: s for s in (await api.ok(SERIES, token=world.tokens["admin"]))["archiveSeries"]}
    assert series["99C"]["name"] == "Pruebas internas" and series["1C"]["active"] is True


async def test_a_concluded_document_refuses_new_turnos(flow):
    doc = await flow.register()
    await flow.conclude("dg_reg", doc["id"])
    sent = await flow.send("dg_reg", document=doc["id"], recipients=[{"unitId": "DA", "instruction": "ATTENTION"}])
    assert error_codes(sent) == ["INVALID_TRANSITION"]
    await flow.archive("dg_reg", doc["id"])
    sent = await flow.send("dg_reg", document=doc["id"], recipients=[{"unitId": "DA", "instruction": "ATTENTION"}])
    assert error_codes(sent) == ["INVALID_TRANSITION"]
    assert [k for k, _ in await flow.kinds(doc["id"])] == [
        "DOCUMENT_REGISTERED",
        "DOCUMENT_CONCLUDED",
        "DOCUMENT_ARCHIVED",
    ]


# --- events and audiences ----------------------------------------------------------------------


async def test_each_transition_writes_its_event(flow):
    doc = await flow.register()
    doc_id = doc["id"]
    history = [("DOCUMENT_REGISTERED", None, "dg_reg")]

    async def step(expected):
        history.extend(expected)
        got = await flow.document("admin", doc_id)
        assert [
            (e["node"]["kind"], (e["node"]["turno"] or {}).get("number"), e["node"]["actor"]["username"])
            for e in got["history"]["edges"]
        ] == history

    await step([])
    sent = await flow.send(
        "dg_reg",
        document=doc_id,
        recipients=[{"unitId": "DA", "instruction": "RESPONSE"}, {"unitId": "DJ", "instruction": "ATTENTION"}],
    )
    t_da, t_dj = (t["number"] for t in sent["turnos"])
    await step([("TURNO_SENT", t_da, "dg_reg"), ("TURNO_SENT", t_dj, "dg_reg")])
    await flow.ack("da_staff", sent["turnos"][0]["id"])
    await step([("TURNO_RECEIVED", t_da, "da_staff")])
    answer = await flow.respond("da_head", sent["turnos"][0]["id"])
    await step([("TURNO_ANSWERED", t_da, "da_head")])
    await flow.evaluate("dg_head", answer["response"]["id"], "RETURN", comment="Falta anexo.")
    await step([("TURNO_RETURNED", t_da, "dg_head")])
    answer = await flow.respond("da_reg", sent["turnos"][0]["id"])
    await step([("TURNO_ANSWERED", t_da, "da_reg")])
    await flow.evaluate("dg_reg", answer["response"]["id"], "ACCEPT")
    await step([("TURNO_CONCLUDED", t_da, "dg_reg")])
    await flow.cancel("dg_head", sent["turnos"][1]["id"])
    await step([("TURNO_CANCELLED", t_dj, "dg_head")])
    await flow.conclude("dg_reg", doc_id)
    await step([("DOCUMENT_CONCLUDED", None, "dg_reg")])
    await flow.archive("dg_head", doc_id)
    await step([("DOCUMENT_ARCHIVED", None, "dg_head")])
    sequences = [int(e["node"]["sequence"]) for e in (await flow.document("admin", doc_id))["history"]["edges"]]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)


async def test_events_reach_the_units_concerned(flow, api, world):
    _, t = await turn(flow, to="DA")
    child = await delegate(flow, "da_head", t["id"], "SRH")

    async def sent_events(user):
        data = await api.ok(EVENTS, token=world.tokens[user])
        return {
            e["node"]["turno"]["number"]
            for e in data["events"]["edges"]
            if e["node"]["kind"] == "TURNO_SENT" and e["node"]["turno"]
        }

    for user in ("dg_head", "dg_reg", "da_head", "da_staff", "da_viewer", "srh_head", "srh_staff", "admin"):
        assert child["number"] in await sent_events(user), user
    for user in ("dj_staff", "dj_head", "dj_viewer", "drh_staff"):
        assert child["number"] not in await sent_events(user), user
    assert await sent_events("srh_staff") == {child["number"]}  # not DG's turno to DA
    dj_events = await api.ok(EVENTS, token=world.tokens["dj_staff"])
    assert dj_events["events"]["edges"] == []


async def test_time_by_unit_leaves_left_at_null_while_a_unit_holds_the_document(flow, clock):
    doc = await flow.register()
    sent = await flow.send(
        "dg_reg",
        document=doc["id"],
        recipients=[{"unitId": "DA", "instruction": "RESPONSE"}, {"unitId": "DJ", "instruction": "RESPONSE"}],
    )
    clock.set(local(3, 4))
    answer = await flow.respond("da_staff", sent["turnos"][0]["id"])
    await flow.evaluate("dg_reg", answer["response"]["id"], "ACCEPT")
    clock.set(local(3, 5))
    stays = {s["unit"]["acronym"]: s for s in (await flow.document("dg_head", doc["id"]))["timeByUnit"]}
    assert set(stays) == {"DG", "DA", "DJ"}
    assert stays["DG"]["leftAt"] is None and stays["DJ"]["leftAt"] is None
    assert stays["DA"]["leftAt"] is not None
    assert stays["DA"]["businessDays"] == 2 and stays["DA"]["hours"] == 48.0
    assert stays["DJ"]["businessDays"] == 3 and stays["DJ"]["hours"] == 72.0


PREVIEW = """query($days: Int, $date: Date) { dueDatePreview(businessDays: $days, dueDate: $date) {
  dueDate explanation warning } }"""


async def test_the_deadline_is_previewed_as_send_turno_would_set_it(flow, api, world):
    token = world.tokens["dg_reg"]
    counted = (await api.ok(PREVIEW, {"days": 5}, token=token))["dueDatePreview"]
    assert counted["dueDate"] == "2026-03-09" and counted["warning"] is None
    assert "5 días hábiles" in counted["explanation"]
    sent = await flow.send(
        "dg_reg",
        document=(await flow.register())["id"],
        recipients=[{"unitId": "DA", "instruction": "RESPONSE", "businessDays": 5}],
    )
    assert sent["turnos"][0]["dueDate"] == counted["dueDate"]
    assert sent["turnos"][0]["dueDateExplanation"] == counted["explanation"]
    saturday = (await api.ok(PREVIEW, {"date": "2026-03-07"}, token=token))["dueDatePreview"]
    assert saturday["dueDate"] == "2026-03-07" and saturday["warning"].endswith("2026-03-09.")
    for variables, field in [
        ({"days": 0}, "businessDays"),
        ({"date": "2026-03-01"}, "dueDate"),
        ({"days": 3, "date": "2026-03-10"}, "businessDays"),
        ({}, "businessDays"),
    ]:
        body = await api.gql(PREVIEW, variables, token=token)
        assert [(e["extensions"]["code"], e["extensions"].get("field")) for e in body["errors"]] == [
            ("VALIDATION", field)
        ]
