"""The scene of two answers with files (tests/test_hidden_answers.py, tests/test_search_snippet.py,
tests/test_permissions.py).

DG registers a document with a file of its own and turns it to DA and to DJ; DJ's STAFF answers
with a file that says "palabrasecreta" (SECRET), DA's STAFF with one that says "palabrainforme"
(REPORT); the document's own file says "palabrapropia" (OWN). DA's STAFF sees the document (DA is
on its chain) but not DJ's turno (STAFF see the turnos of their own units), so not DJ's answer nor
its file; and the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass

from resolvers.text_extraction import extract_pending
from tests.helpers import RESPOND_WITH_FILES as RESPOND, register_with, upload
from tests.samples import pdf_with_text
from tests.workflow import Flow

SECRET, REPORT, OWN = "palabrasecreta", "palabrainforme", "palabrapropia"


@dataclass
class Scene:
    document: dict  # id, folio
    own_file: str  # global ids of the attachments
    dj_file: str  # DJ's answer's file (SECRET)
    other_file: str  # the other recipient's answer's file (REPORT)
    dj_file_url: str  # signed for dj_staff
    dj_turno: str
    dj_response: str


async def answer_with_file(api, world, user: str, turno_id: str, name: str, text: str) -> dict:
    variables = {"input": {"turnoId": turno_id, "body": "Se anexa la respuesta.", "files": [None]}}
    response = await upload(
        api, world.tokens[user], RESPOND, variables, {"input.files.0": (name, pdf_with_text(text), "application/pdf")}
    )
    payload = response.json()["data"]["respondTurno"]
    assert payload["errors"] == [], payload
    return payload["response"]


async def build_scene(api, world, services, *, user="dg_reg", unit="DG", other="DA", **fields) -> Scene:
    """`user` registers in `unit` and turns the document to DJ and to `other`; DJ's STAFF answers
    with SECRET, the other unit's STAFF with REPORT."""
    flow = Flow(api, world)
    registered = await register_with(
        api,
        world,
        [("oficio.pdf", pdf_with_text(f"Oficio con {OWN}"), "application/pdf")],
        user=user,
        unit=unit,
        subject="Contrato de arrendamiento",
        **fields,
    )
    assert registered["errors"] == [], registered
    document = registered["document"]
    sent = await flow.send(
        user,
        document=document["id"],
        recipients=[{"unitId": other, "instruction": "RESPONSE"}, {"unitId": "DJ", "instruction": "RESPONSE"}],
    )
    assert sent["errors"] == [], sent
    turnos = {t["toUnit"]["acronym"]: t for t in sent["turnos"]}
    dj = await answer_with_file(api, world, "dj_staff", turnos["DJ"]["id"], "dictamen.pdf", f"Dictamen con {SECRET}")
    second = await answer_with_file(
        api, world, f"{other.lower()}_staff", turnos[other]["id"], "informe.pdf", f"Informe con {REPORT}"
    )
    assert await extract_pending(services) == 3
    return Scene(
        document={"id": document["id"], "folio": document["folio"]},
        own_file=document["attachments"][0]["id"],
        dj_file=dj["attachments"][0]["id"],
        other_file=second["attachments"][0]["id"],
        dj_file_url=dj["attachments"][0]["url"],
        dj_turno=turnos["DJ"]["id"],
        dj_response=dj["id"],
    )
