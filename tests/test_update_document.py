"""updateDocument: correcting a registration (who, what, when), its DOCUMENT_UPDATED event and
how that event is masked for who may not read the corrected fields.

Org tree: INST > DG > {DA > SRH > DRH, DJ}. The clock is frozen on Monday 2 March 2026, 10:00
in Mexico City.
"""

import pytest

from tests.helpers import MONDAY
from tests.live import WsClient, start_server
from tests.workflow import Flow, codes

UPDATE = """mutation($input: UpdateDocumentInput!) { updateDocument(input: $input) {
  document { ...doc } warnings errors { code field message } } }
fragment doc on Document { id folio status origin documentType subject summary reference addressee
  documentDate dueDate priority confidential receivedAt unit { acronym } registeredBy { username }
  sender { level name position organization email phone address } }"""
READ = """query($id: ID!) { node(id: $id) { ... on Document { ...doc } } }
fragment doc on Document { id folio status origin documentType subject summary reference addressee
  documentDate dueDate priority confidential receivedAt unit { acronym } registeredBy { username }
  sender { level name position organization email phone address } }"""
HISTORY = """query($id: ID!) { node(id: $id) { ... on Document {
  history(first: 100) { totalCount edges { node { kind sequence actor { username } data } } } } } }"""
ACTIONS = """query($id: ID!) { node(id: $id) { ... on Document { viewerActions } } }"""
SEARCH = """query($search: String!) { documents(filter: {search: $search}) { totalCount edges { node { folio } } } }"""

CITIZEN = {
    "level": "CITIZEN",
    "name": "Juan Pérez",
    "email": "juan@example.mx",
    "phone": "555 123 4567",
    "address": "Calle 5 de Mayo 10, Centro",
}


async def update(flow, user, document_id, **fields):
    """The updateDocument payload (errors included)."""
    return await flow.run(user, UPDATE, {"input": {"documentId": document_id, **fields}}, "updateDocument")


async def read(flow, user, document_id):
    return (await flow.api.ok(READ, {"id": document_id}, token=flow.world.tokens[user]))["node"]


async def history(flow, document_id, user="da_reg"):
    node = (await flow.api.ok(HISTORY, {"id": document_id}, token=flow.world.tokens[user]))["node"]
    return [e["node"] for e in node["history"]["edges"]]


async def corrections(flow, document_id, user="da_reg"):
    """The `changes` of each DOCUMENT_UPDATED event of the document, as `user` reads them."""
    return [e["data"]["changes"] for e in await history(flow, document_id, user) if e["kind"] == "DOCUMENT_UPDATED"]


def by_field(changes):
    """changes → {field: (old, new)}, each field once."""
    fields = [c["field"] for c in changes]
    assert len(fields) == len(set(fields)), f"a field listed twice: {changes}"
    return {c["field"]: (c["old"], c["new"]) for c in changes}


async def untouched(flow, document_id):
    """What a refused correction must leave as it was: every field, and the history."""
    return await read(flow, "admin", document_id), await history(flow, document_id, "admin")


async def search(flow, user, words):
    found = (await flow.api.ok(SEARCH, {"search": words}, token=flow.world.tokens[user]))["documents"]
    return [e["node"]["folio"] for e in found["edges"]]


# --- what a correction changes ----------------------------------------------------------------


@pytest.mark.parametrize("user", ["da_reg", "da_head"])
async def test_registrar_or_head_corrects_every_field_at_once(flow, user):
    doc = await flow.register(user="da_reg", unit="DA")
    before = await read(flow, "da_reg", doc["id"])
    result = await update(
        flow,
        user,
        doc["id"],
        subject="Solicitud corregida de padrón",
        summary="Síntesis corregida.",
        reference="SEDUI/DGV/0457/2026",
        addressee="Director de Administración",
        documentType="MEMORANDUM",
        origin="INTERNAL",
        sender={"level": "INTERNAL", "name": "Dirección General"},
        priority="URGENT",
        documentDate="2026-02-27",
        dueDate="2026-03-20",
        confidential=True,
    )
    assert result["errors"] == [] and result["warnings"] == []
    after = result["document"]
    assert after == {
        **before,
        "subject": "Solicitud corregida de padrón",
        "summary": "Síntesis corregida.",
        "reference": "SEDUI/DGV/0457/2026",
        "addressee": "Director de Administración",
        "documentType": "MEMORANDUM",
        "origin": "INTERNAL",
        "priority": "URGENT",
        "documentDate": "2026-02-27",
        "dueDate": "2026-03-20",
        "confidential": True,
        # the sender is replaced whole: what the new one leaves out is gone
        "sender": {
            "level": "INTERNAL",
            "name": "Dirección General",
            "position": None,
            "organization": None,
            "email": None,
            "phone": None,
            "address": None,
        },
    }
    # the folio, the unit, the reception and the registrar never change
    for key in ("id", "folio", "unit", "receivedAt", "registeredBy", "status"):
        assert after[key] == before[key], key
    assert await read(flow, "da_reg", doc["id"]) == after  # stored, not only returned

    events = await history(flow, doc["id"])
    assert [e["kind"] for e in events] == ["DOCUMENT_REGISTERED", "DOCUMENT_UPDATED"]
    assert events[1]["actor"] == {"username": user}
    assert events[1]["data"]["folio"] == doc["folio"]
    assert by_field(events[1]["data"]["changes"]) == {
        "subject": ("Solicitud de información sobre el programa de vivienda", "Solicitud corregida de padrón"),
        "summary": ("Solicita el padrón de beneficiarios del ejercicio 2025.", "Síntesis corregida."),
        "reference": ("SEDUI/DGV/0456/2026", "SEDUI/DGV/0457/2026"),
        "addressee": (None, "Director de Administración"),
        "documentType": ("OFICIO", "MEMORANDUM"),
        "origin": ("EXTERNAL", "INTERNAL"),
        "sender.level": ("STATE", "INTERNAL"),
        "sender.name": ("Lic. María Pérez", "Dirección General"),
        "sender.position": ("Directora General", None),
        "sender.organization": ("Secretaría de Desarrollo Urbano", None),
        "priority": ("NORMAL", "URGENT"),
        "documentDate": (None, "2026-02-27"),
        "dueDate": (None, "2026-03-20"),
        "confidential": (False, True),
    }


async def test_omitted_fields_keep_their_value_and_only_changed_fields_are_recorded(flow):
    doc = await flow.register(
        user="da_reg",
        unit="DA",
        addressee="Lic. Destinatario",
        documentDate="2026-02-26",
        dueDate="2026-03-13",
        priority="URGENT",
    )
    before = await read(flow, "da_reg", doc["id"])
    result = await update(flow, "da_reg", doc["id"], subject="Sólo cambia el asunto")
    assert result["errors"] == []
    assert result["document"] == {**before, "subject": "Sólo cambia el asunto"}
    # a sender with one field changed: only that field is in the event
    sender = {**before["sender"], "phone": "55 5555 0000"}
    assert (await update(flow, "da_reg", doc["id"], sender=sender, dueDate="2026-03-16"))["errors"] == []
    assert [by_field(c) for c in await corrections(flow, doc["id"])] == [
        {"subject": ("Solicitud de información sobre el programa de vivienda", "Sólo cambia el asunto")},
        {"sender.phone": (None, "55 5555 0000"), "dueDate": ("2026-03-13", "2026-03-16")},
    ]


async def test_explicit_null_clears_an_optional_field(flow):
    doc = await flow.register(
        user="da_reg", unit="DA", addressee="Lic. Destinatario", documentDate="2026-02-26", dueDate="2026-03-13"
    )
    before = await read(flow, "da_reg", doc["id"])
    result = await update(
        flow, "da_reg", doc["id"], summary=None, reference=None, addressee=None, documentDate=None, dueDate=None
    )
    assert result["errors"] == []
    assert result["document"] == {
        **before,
        "summary": None,
        "reference": None,
        "addressee": None,
        "documentDate": None,
        "dueDate": None,
    }
    assert by_field((await corrections(flow, doc["id"]))[0]) == {
        "summary": ("Solicita el padrón de beneficiarios del ejercicio 2025.", None),
        "reference": ("SEDUI/DGV/0456/2026", None),
        "addressee": ("Lic. Destinatario", None),
        "documentDate": ("2026-02-26", None),
        "dueDate": ("2026-03-13", None),
    }


async def test_a_correction_that_changes_nothing_writes_no_event(flow):
    doc = await flow.register(user="da_reg", unit="DA")
    before = await read(flow, "da_reg", doc["id"])
    result = await update(flow, "da_reg", doc["id"])  # nothing given
    assert result["errors"] == [] and result["document"] == before
    same = await update(
        flow,
        "da_reg",
        doc["id"],
        subject=f"  {before['subject']}  ",
        origin="EXTERNAL",
        documentType="OFICIO",
        priority="NORMAL",
        confidential=False,
        sender={k: v for k, v in before["sender"].items() if v is not None},
    )
    assert same["errors"] == [] and same["document"] == before
    assert [e["kind"] for e in await history(flow, doc["id"])] == ["DOCUMENT_REGISTERED"]


async def test_a_document_in_progress_may_still_be_corrected(flow):
    doc = await flow.register(user="da_reg", unit="DA")
    sent = await flow.send("da_reg", document=doc["id"], recipients=[{"unitId": "SRH", "instruction": "RESPONSE"}])
    assert sent["errors"] == []
    result = await update(flow, "da_head", doc["id"], subject="Corregido en trámite")
    assert result["errors"] == [] and result["document"]["status"] == "IN_PROGRESS"
    assert result["document"]["subject"] == "Corregido en trámite"
    # the recipient unit reads the correction in the history too
    assert by_field((await corrections(flow, doc["id"], "srh_staff"))[0])["subject"][1] == "Corregido en trámite"


async def test_a_document_type_deactivated_since_may_stay_but_not_be_chosen(flow, api, world):
    doc = await flow.register(user="da_reg", unit="DA", documentType="CIRCULAR")
    other = await flow.register(user="da_reg", unit="DA", reference="OTRA/1")
    off = await api.ok(
        'mutation { updateDocumentType(input: {code: "CIRCULAR", active: false}) { errors { code } } }',
        token=world.tokens["admin"],
    )
    assert off["updateDocumentType"]["errors"] == []
    kept = await update(flow, "da_reg", doc["id"], subject="Se conserva el tipo", documentType="CIRCULAR")
    assert kept["errors"] == [] and kept["document"]["documentType"] == "CIRCULAR"
    chosen = await update(flow, "da_reg", other["id"], documentType="CIRCULAR")
    assert codes(chosen) == [("VALIDATION", "documentType")]


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field,message",
    [
        ("priority", "La prioridad es obligatoria."),
        ("origin", "El origen es obligatorio."),
        ("documentType", "El tipo de documento es obligatorio."),
        ("confidential", "La confidencialidad es obligatoria."),
        ("sender", "El remitente es obligatorio."),
        ("subject", "El asunto es obligatorio."),
    ],
)
async def test_null_for_a_required_field_is_a_validation_error_naming_it(flow, field, message):
    doc = await flow.register(user="da_reg", unit="DA")
    before = await untouched(flow, doc["id"])
    result = await update(flow, "da_reg", doc["id"], **{field: None})
    assert result["document"] is None
    assert result["errors"] == [{"code": "VALIDATION", "field": field, "message": message}]
    assert await untouched(flow, doc["id"]) == before


async def test_a_blank_subject_or_sender_name_is_refused(flow):
    doc = await flow.register(user="da_reg", unit="DA")
    before = await untouched(flow, doc["id"])
    result = await update(flow, "da_reg", doc["id"], subject="   ", sender={"level": "STATE", "name": " "})
    assert sorted(codes(result)) == [("VALIDATION", "sender.name"), ("VALIDATION", "subject")]
    assert {e["field"]: e["message"] for e in result["errors"]}["subject"] == "El asunto es obligatorio."
    assert await untouched(flow, doc["id"]) == before


async def test_every_problem_is_reported_at_once_and_nothing_is_written(flow):
    doc = await flow.register(user="da_reg", unit="DA")
    before = await untouched(flow, doc["id"])
    result = await update(
        flow,
        "da_reg",
        doc["id"],
        subject="",
        documentType="NO_EXISTE",
        sender={"level": "STATE", "name": "", "email": "no-es-correo"},
        documentDate="2026-03-05",
        dueDate="2026-02-01",
        reference="R" * 121,
        summary="Una síntesis válida",
    )
    assert result["document"] is None
    assert {e["code"] for e in result["errors"]} == {"VALIDATION"}
    assert sorted(e["field"] for e in result["errors"]) == [
        "documentDate",
        "documentType",
        "dueDate",
        "reference",
        "sender.email",
        "sender.name",
        "subject",
    ]
    assert await untouched(flow, doc["id"]) == before


async def test_null_required_fields_are_reported_with_the_other_problems(flow):
    """One round trip tells every problem: a required field set to null does not hide the rest."""
    doc = await flow.register(user="da_reg", unit="DA")
    before = await untouched(flow, doc["id"])
    result = await update(flow, "da_reg", doc["id"], priority=None, origin=None, subject=" ", dueDate="2026-02-01")
    assert sorted(codes(result)) == [
        ("VALIDATION", "dueDate"),
        ("VALIDATION", "origin"),
        ("VALIDATION", "priority"),
        ("VALIDATION", "subject"),
    ], result["errors"]
    assert await untouched(flow, doc["id"]) == before


async def test_origin_and_sender_level_must_agree(flow):
    doc = await flow.register(user="da_reg", unit="DA")  # EXTERNAL, from a STATE sender
    before = await untouched(flow, doc["id"])
    internal = await update(flow, "da_reg", doc["id"], origin="INTERNAL")
    assert codes(internal) == [("VALIDATION", "sender.level")]
    external_sender_of_internal = await update(
        flow, "da_reg", doc["id"], sender={"level": "INTERNAL", "name": "Dirección General"}
    )
    assert codes(external_sender_of_internal) == [("VALIDATION", "sender.level")]
    assert await untouched(flow, doc["id"]) == before
    both = await update(
        flow, "da_reg", doc["id"], origin="INTERNAL", sender={"level": "INTERNAL", "name": "Dirección General"}
    )
    assert both["errors"] == [] and both["document"]["origin"] == "INTERNAL"


# --- who may correct, and when ------------------------------------------------------------


@pytest.mark.parametrize(
    "user,code",
    [
        ("da_staff", "FORBIDDEN"),
        ("da_viewer", "FORBIDDEN"),
        ("dg_head", "FORBIDDEN"),  # HEAD above: sees it, did not register it
        ("srh_head", "FORBIDDEN"),  # HEAD of a recipient unit
        ("admin", "FORBIDDEN"),
        ("dj_head", "NOT_FOUND"),
        ("drh_staff", "NOT_FOUND"),
        ("dj_staff", "NOT_FOUND"),
    ],
)
async def test_who_may_not_correct(flow, user, code):
    doc = await flow.register(user="da_reg", unit="DA")
    sent = await flow.send("da_reg", document=doc["id"], recipients=[{"unitId": "SRH", "instruction": "RESPONSE"}])
    assert sent["errors"] == []
    before = await untouched(flow, doc["id"])
    result = await update(flow, user, doc["id"], subject="Intento de corrección", priority="URGENT")
    assert result["document"] is None
    assert [e["code"] for e in result["errors"]] == [code], result["errors"]
    assert result["errors"][0]["field"] == "documentId"
    assert await untouched(flow, doc["id"]) == before


async def test_a_concluded_or_archived_document_is_no_longer_corrected(flow):
    doc = await flow.register(user="da_reg", unit="DA")
    assert (await flow.conclude("da_reg", doc["id"]))["errors"] == []
    before = await untouched(flow, doc["id"])
    result = await update(flow, "da_reg", doc["id"], subject="Tarde")
    assert codes(result) == [("INVALID_TRANSITION", "documentId")] and result["document"] is None
    invalid_too = await update(flow, "da_head", doc["id"], subject="")  # the state is told before the fields
    assert [e["code"] for e in invalid_too["errors"]] == ["INVALID_TRANSITION"]
    assert await untouched(flow, doc["id"]) == before

    assert (await flow.archive("da_reg", doc["id"]))["errors"] == []
    before = await untouched(flow, doc["id"])
    result = await update(flow, "da_head", doc["id"], subject="Más tarde")
    assert codes(result) == [("INVALID_TRANSITION", "documentId")]
    assert await untouched(flow, doc["id"]) == before


async def test_a_bad_document_id_is_not_found(flow):
    result = await update(flow, "da_reg", "bm90LWFuLWlk", subject="Nada")
    assert [e["code"] for e in result["errors"]] == ["NOT_FOUND"]


@pytest.mark.parametrize(
    "user,may",
    [
        ("da_reg", True),
        ("da_head", True),
        ("da_staff", False),
        ("da_viewer", False),
        ("dg_head", False),
        ("admin", False),
        ("srh_head", False),
    ],
)
async def test_viewer_actions_offer_update_to_who_may_correct(flow, api, world, user, may):
    doc = await flow.register(user="da_reg", unit="DA")
    await flow.send("da_reg", document=doc["id"], recipients=[{"unitId": "SRH", "instruction": "KNOWLEDGE"}])
    actions = (await api.ok(ACTIONS, {"id": doc["id"]}, token=world.tokens[user]))["node"]["viewerActions"]
    assert ("UPDATE" in actions) == may, actions
    # the promise holds: the mutation agrees with viewerActions
    result = await update(flow, user, doc["id"], addressee=f"Corregido por {user}")
    assert (result["errors"] == []) == may, result["errors"]


async def test_viewer_actions_drop_update_once_concluded(flow, api, world):
    doc = await flow.register(user="da_reg", unit="DA")
    assert "UPDATE" in (await api.ok(ACTIONS, {"id": doc["id"]}, token=world.tokens["da_reg"]))["node"]["viewerActions"]
    await flow.conclude("da_reg", doc["id"])
    for user in ("da_reg", "da_head"):
        assert (
            "UPDATE"
            not in (await api.ok(ACTIONS, {"id": doc["id"]}, token=world.tokens[user]))["node"]["viewerActions"]
        )


# --- masking in the history -------------------------------------------------------------


async def test_corrections_of_a_confidential_document_are_masked_for_who_may_not_read_it(flow):
    """SRH registers a confidential document: DA's VIEWER (above, not HEAD) sees the row, not the fields."""
    doc = await flow.register(user="srh_reg", unit="SRH", confidential=True, subject="Expediente reservado")
    result = await update(
        flow,
        "srh_reg",
        doc["id"],
        subject="Expediente reservado corregido",
        summary="Nueva síntesis",
        sender={"level": "STATE", "name": "Otra remitente", "organization": "Secretaría de Desarrollo Urbano"},
        reference="SEDUI/1/2026",
        priority="URGENT",
    )
    assert result["errors"] == []
    masked = {"old": None, "new": None, "masked": True}
    viewer = (await corrections(flow, doc["id"], "da_viewer"))[0]
    assert {c["field"]: {k: v for k, v in c.items() if k != "field"} for c in viewer} == {
        "subject": masked,
        "summary": masked,
        "sender.name": masked,
        "sender.position": masked,
        # not protected: shown
        "reference": {"old": "SEDUI/DGV/0456/2026", "new": "SEDUI/1/2026"},
        "priority": {"old": "NORMAL", "new": "URGENT"},
    }
    for user in ("da_viewer", "dg_reg"):  # neither reads the subject on the document itself
        assert (await flow.api.gql(READ, {"id": doc["id"]}, token=flow.world.tokens[user]))["data"]["node"][
            "subject"
        ] is None
    assert [by_field(c) for c in await corrections(flow, doc["id"], "dg_reg")] == [by_field(viewer)]
    # chain members and HEADs above read every value
    expected = {
        "subject": ("Expediente reservado", "Expediente reservado corregido"),
        "summary": ("Solicita el padrón de beneficiarios del ejercicio 2025.", "Nueva síntesis"),
        "sender.name": ("Lic. María Pérez", "Otra remitente"),
        "sender.position": ("Directora General", None),
        "reference": ("SEDUI/DGV/0456/2026", "SEDUI/1/2026"),
        "priority": ("NORMAL", "URGENT"),
    }
    for user in ("srh_reg", "srh_staff", "da_head", "dg_head"):
        changes = (await corrections(flow, doc["id"], user))[0]
        assert not any(c.get("masked") for c in changes), (user, changes)
        assert by_field(changes) == expected, user


async def test_making_a_document_confidential_masks_the_earlier_values_in_that_event(flow):
    doc = await flow.register(user="srh_reg", unit="SRH", subject="Asunto público")
    assert (await update(flow, "srh_reg", doc["id"], subject="Asunto ya reservado", confidential=True))["errors"] == []
    viewer = by_field((await corrections(flow, doc["id"], "da_viewer"))[0])
    assert viewer == {"subject": (None, None), "confidential": (False, True)}
    assert [
        c.get("masked") for c in (await corrections(flow, doc["id"], "da_viewer"))[0] if c["field"] == "subject"
    ] == [True]
    assert by_field((await corrections(flow, doc["id"], "srh_staff"))[0])["subject"] == (
        "Asunto público",
        "Asunto ya reservado",
    )
    # and the other way: values written while it was confidential stay masked once it is not
    assert (await update(flow, "srh_reg", doc["id"], confidential=False))["errors"] == []
    assert (await read(flow, "da_viewer", doc["id"]))["subject"] == "Asunto ya reservado"
    assert by_field((await corrections(flow, doc["id"], "da_viewer"))[0]) == viewer


async def test_earlier_corrections_do_not_reveal_what_becomes_confidential(flow):
    """Once a document is confidential, a VIEWER above must not read its subject anywhere: neither on
    the document nor in the history of an earlier correction made while it was public."""
    doc = await flow.register(user="srh_reg", unit="SRH", subject="Asunto público")
    assert (await update(flow, "srh_reg", doc["id"], subject="Asunto que será reservado"))["errors"] == []
    assert (await update(flow, "srh_reg", doc["id"], confidential=True))["errors"] == []
    body = await flow.api.gql(READ, {"id": doc["id"]}, token=flow.world.tokens["da_viewer"])
    assert body["data"]["node"]["subject"] is None  # the document hides it...
    first = (await corrections(flow, doc["id"], "da_viewer"))[0]
    assert "Asunto que será reservado" not in str(first), (
        "the history of an earlier correction shows the now confidential subject to a VIEWER above: " + str(first)
    )


async def test_earlier_corrections_do_not_reveal_the_contact_data_of_a_sender_who_becomes_a_citizen(flow):
    doc = await flow.register(user="srh_reg", unit="SRH", sender={"level": "STATE", "name": "Juan Pérez"})
    assert (
        await update(
            flow, "srh_reg", doc["id"], sender={"level": "STATE", "name": "Juan Pérez", "email": "juan@example.mx"}
        )
    )["errors"] == []
    assert (
        await update(
            flow,
            "srh_reg",
            doc["id"],
            documentType="SOLICITUD_CIUDADANA",
            sender={"level": "CITIZEN", "name": "Juan Pérez", "email": "juan@example.mx"},
        )
    )["errors"] == []
    body = await flow.api.gql(READ, {"id": doc["id"]}, token=flow.world.tokens["da_viewer"])
    assert body["data"]["node"]["sender"]["email"] is None
    first = (await corrections(flow, doc["id"], "da_viewer"))[0]
    assert "juan@example.mx" not in str(first), first
    assert by_field((await corrections(flow, doc["id"], "srh_staff"))[0]) == {"sender.email": (None, "juan@example.mx")}


async def test_a_citizens_contact_data_in_a_correction_is_for_the_chain_only(flow):
    doc = await flow.register(
        user="srh_reg", unit="SRH", origin="EXTERNAL", documentType="SOLICITUD_CIUDADANA", sender=CITIZEN
    )
    new_sender = {
        **CITIZEN,
        "name": "Juan Pérez López",
        "email": "jperez@example.mx",
        "phone": "555 000 1111",
        "address": "Av. Juárez 1",
    }
    assert (await update(flow, "srh_reg", doc["id"], sender=new_sender))["errors"] == []
    masked = {"old": None, "new": None, "masked": True}
    # they see the row (and, the document not being confidential, the name) but not the contact data
    for user in ("da_viewer", "admin", "dg_head", "da_head"):
        changes = (await corrections(flow, doc["id"], user))[0]
        assert {c["field"]: {k: v for k, v in c.items() if k != "field"} for c in changes} == {
            "sender.name": {"old": "Juan Pérez", "new": "Juan Pérez López"},
            "sender.email": masked,
            "sender.phone": masked,
            "sender.address": masked,
        }, user
        assert (await flow.api.gql(READ, {"id": doc["id"]}, token=flow.world.tokens[user]))["data"]["node"]["sender"][
            "email"
        ] is None
    for user in ("srh_reg", "srh_staff", "srh_head"):
        assert by_field((await corrections(flow, doc["id"], user))[0]) == {
            "sender.name": ("Juan Pérez", "Juan Pérez López"),
            "sender.email": ("juan@example.mx", "jperez@example.mx"),
            "sender.phone": ("555 123 4567", "555 000 1111"),
            "sender.address": ("Calle 5 de Mayo 10, Centro", "Av. Juárez 1"),
        }, user
    # a turno puts DRH on the chain: now its members read the contact data too
    sent = await flow.send("srh_reg", document=doc["id"], recipients=[{"unitId": "DRH", "instruction": "KNOWLEDGE"}])
    assert sent["errors"] == []
    assert by_field((await corrections(flow, doc["id"], "drh_staff"))[0])["sender.email"] == (
        "juan@example.mx",
        "jperez@example.mx",
    )


async def test_a_sender_who_stops_being_a_citizen_keeps_the_old_contact_data_masked(flow):
    doc = await flow.register(user="srh_reg", unit="SRH", sender=CITIZEN)
    state = {"level": "STATE", "name": "Gobierno del Estado", "email": "oficialia@estado.gob.mx"}
    assert (await update(flow, "srh_reg", doc["id"], sender=state))["errors"] == []
    changes = by_field((await corrections(flow, doc["id"], "da_viewer"))[0])
    assert changes["sender.email"] == (None, None) and changes["sender.phone"] == (None, None)
    assert changes["sender.level"] == ("CITIZEN", "STATE") and changes["sender.name"] == (
        "Juan Pérez",
        "Gobierno del Estado",
    )


# --- search, duplicates -----------------------------------------------------------------


async def test_the_search_follows_the_corrected_subject(flow):
    doc = await flow.register(user="da_reg", unit="DA", subject="Informe sobre zanahorias")
    await flow.register(user="da_reg", unit="DA", reference="OTRA/1", subject="Otro asunto")
    assert await search(flow, "da_reg", "zanahorias") == [doc["folio"]]
    assert (
        await update(flow, "da_reg", doc["id"], subject="Informe sobre berenjenas", summary="Berenjenas de temporada")
    )["errors"] == []
    assert await search(flow, "da_reg", "zanahorias") == []
    assert await search(flow, "da_reg", "berenjenas") == [doc["folio"]]
    assert await search(flow, "da_head", "BERENJENAS temporada") == [doc["folio"]]


async def test_a_correction_that_makes_a_likely_duplicate_warns(flow, clock):
    first = await flow.register(user="da_reg", unit="DA", reference="SEDUI/0456/2026")
    clock.advance(days=3)
    second = await flow.register(user="da_reg", unit="DA", reference="OTRA/99")
    third = await flow.register(
        user="da_reg",
        unit="DA",
        reference="sedui/0456/2026",
        sender={"level": "STATE", "name": "Otra", "organization": "Otra dependencia"},
    )
    # the reference corrected to the first one's
    result = await update(flow, "da_reg", second["id"], reference="sedui/0456/2026")
    assert result["errors"] == [] and result["document"]["reference"] == "sedui/0456/2026"
    assert len(result["warnings"]) == 1 and first["folio"] in result["warnings"][0]
    # the sender corrected to the first one's
    result = await update(
        flow,
        "da_reg",
        third["id"],
        sender={"level": "STATE", "name": "Otra", "organization": "SECRETARIA DE DESARROLLO URBANO"},
    )
    assert result["errors"] == []
    assert any(first["folio"] in w for w in result["warnings"]) and any(
        second["folio"] in w for w in result["warnings"]
    )
    # a correction elsewhere does not repeat the warning
    assert (await update(flow, "da_reg", third["id"], subject="Otro asunto"))["warnings"] == []


# --- the same masking live ---------------------------------------------------------------

EVENTS = """subscription { inboxEvents { kind data document { folio } } }"""


@pytest.fixture
async def server(services):
    live = await start_server(services)
    yield live
    await live.stop()


async def test_the_inbox_events_subscription_masks_a_correction_like_the_history(server, api, world, clock):
    clock.set(MONDAY)
    flow = Flow(api, world)
    doc = await flow.register(user="srh_reg", unit="SRH", confidential=True, subject="Reservado")
    viewer = await WsClient.connect(server.ws_url, world.tokens["da_viewer"])
    member = await WsClient.connect(server.ws_url, world.tokens["srh_staff"])
    for client in (viewer, member):
        await client.subscribe(EVENTS)
    await server.wait_live(2)
    assert (await update(flow, "srh_reg", doc["id"], subject="Reservado corregido", priority="URGENT"))["errors"] == []

    seen = (await viewer.next())["data"]["inboxEvents"]
    assert seen["kind"] == "DOCUMENT_UPDATED" and seen["document"]["folio"] == doc["folio"]
    assert seen["data"]["changes"] == (await corrections(flow, doc["id"], "da_viewer"))[0]
    assert by_field(seen["data"]["changes"]) == {"subject": (None, None), "priority": ("NORMAL", "URGENT")}
    read_by_member = (await member.next())["data"]["inboxEvents"]
    assert by_field(read_by_member["data"]["changes"]) == {
        "subject": ("Reservado", "Reservado corregido"),
        "priority": ("NORMAL", "URGENT"),
    }
    await viewer.close()
    await member.close()
