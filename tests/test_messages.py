"""What people read: validation messages agree in gender and number with their field, and
never name our internal types."""

import pytest

from models.errors import required_message, too_long_message
from tests.workflow import turn


@pytest.mark.parametrize(
    "label,required,too_long",
    [
        ("El asunto", "El asunto es obligatorio.", "El asunto admite a lo más 500 caracteres."),
        ("La respuesta", "La respuesta es obligatoria.", "La respuesta admite a lo más 500 caracteres."),
        ("Los anexos", "Los anexos son obligatorios.", "Los anexos admiten a lo más 500 caracteres."),
        (
            "Las observaciones",
            "Las observaciones son obligatorias.",
            "Las observaciones admiten a lo más 500 caracteres.",
        ),
    ],
)
def test_field_messages_agree_with_the_label(label, required, too_long):
    assert required_message(label) == required
    assert too_long_message(label, 500) == too_long


def test_a_label_without_its_article_is_a_programming_error():
    with pytest.raises(ValueError):
        required_message("Asunto")


async def test_the_answer_and_the_observations_are_feminine(flow):
    _, turno = await turn(flow)
    long_notes = await flow.send(
        "da_head", parent=turno["id"], recipients=[{"unitId": "SRH", "instruction": "RESPONSE", "notes": "x" * 5001}]
    )
    assert [e["message"] for e in long_notes["errors"]] == ["Las indicaciones admiten a lo más 5,000 caracteres."]
    answered = await flow.respond("da_staff", turno["id"], body="  ")
    assert [e["message"] for e in answered["errors"]] == ["La respuesta es obligatoria."]
    answer = await flow.respond("da_staff", turno["id"])
    returned = await flow.evaluate("dg_reg", answer["response"]["id"], "RETURN")
    assert [e["message"] for e in returned["errors"]] == ["Las observaciones son obligatorias."]


async def test_an_id_of_the_wrong_type_is_named_in_spanish(flow, api, world):
    doc = await flow.register()
    sent = await flow.run(
        "dg_reg",
        """mutation($id: ID!) { acknowledgeTurno(input: {turnoId: $id}) {
      errors { code field message } } }""",
        {"id": doc["id"]},
        "acknowledgeTurno",
    )
    assert sent["errors"] == [
        {"code": "NOT_FOUND", "field": "turnoId", "message": "El identificador no corresponde a un turno."}
    ]
