"""GraphQL operations and small helpers shared by the workflow tests: Flow, and turn/delegate built on it."""

from tests.helpers import REGISTER, doc_input

TURNO_FIELDS = """id number status trafficLight businessDaysLeft dueDate rounds acceptedAtFirstAnswer
  instruction receivedAt concludedAt descendantsTrafficLight dueDateExplanation
  fromUnit { acronym } toUnit { acronym } parent { number }"""

SEND = f"""mutation($input: SendTurnoInput!) {{ sendTurno(input: $input) {{
  turnos {{ {TURNO_FIELDS} }} warnings errors {{ code field message }} }} }}"""
ACK = f"""mutation($id: ID!) {{ acknowledgeTurno(input: {{turnoId: $id}}) {{
  turno {{ {TURNO_FIELDS} }} errors {{ code field message }} }} }}"""
RESPOND = f"""mutation($input: RespondTurnoInput!) {{ respondTurno(input: $input) {{
  response {{ id round body reference author {{ username }} turno {{ {TURNO_FIELDS} }} }}
  errors {{ code field message }} }} }}"""
EVALUATE = f"""mutation($input: EvaluateResponseInput!) {{ evaluateResponse(input: $input) {{
  response {{ id evaluation {{ decision comment evaluatedBy {{ username }} }} }}
  turno {{ {TURNO_FIELDS} }} errors {{ code field message }} }} }}"""
CANCEL = f"""mutation($id: ID!) {{ cancelTurno(input: {{turnoId: $id}}) {{
  turno {{ {TURNO_FIELDS} }} errors {{ code field message }} }} }}"""
CONCLUDE = """mutation($id: ID!) { concludeDocument(input: {documentId: $id}) {
  document { id status trafficLight } errors { code field message } } }"""
ARCHIVE = """mutation($id: ID!, $series: String!, $file: String!) {
  archiveDocument(input: {documentId: $id, series: $series, fileNumber: $file}) {
  document { id status archive { series fileNumber archivedBy { username } } } errors { code field message } } }"""
TURNO = f"""query($id: ID!) {{ node(id: $id) {{ ... on Turno {{ {TURNO_FIELDS}
  children {{ number }} responses {{ round body evaluation {{ decision }} }} }} }} }}"""
DOCUMENT = """query($id: ID!) { node(id: $id) { ... on Document {
  folio status trafficLight turnos { number status trafficLight toUnit { acronym } }
  history(first: 100) { edges { node { kind sequence turno { number } actor { username } } } }
  timeByUnit { unit { acronym } enteredAt leftAt hours businessDays }
} } }"""


class Flow:
    """Runs workflow mutations as a given user and returns their payloads (errors included)."""

    def __init__(self, api, world):
        self.api, self.world = api, world

    async def run(self, user, query, variables, key):
        data = await self.api.ok(query, variables, token=self.world.tokens[user])
        return data[key]

    async def register(self, user="dg_reg", unit="DG", **fields):
        payload = await self.run(
            user, REGISTER, {"input": doc_input(self.world, unit=unit, **fields)}, "registerDocument"
        )
        assert payload["errors"] == [], payload
        return payload["document"]

    async def send(self, user, recipients, document=None, parent=None, **extra):
        recipients = [{**r, "unitId": self.world.unit_id(r["unitId"])} for r in recipients]
        value = {"recipients": recipients, **extra}
        if document:
            value["documentId"] = document
        if parent:
            value["parentTurnoId"] = parent
        return await self.run(user, SEND, {"input": value}, "sendTurno")

    async def ack(self, user, turno):
        return await self.run(user, ACK, {"id": turno}, "acknowledgeTurno")

    async def respond(self, user, turno, body="Se atiende lo solicitado.", **extra):
        return await self.run(user, RESPOND, {"input": {"turnoId": turno, "body": body, **extra}}, "respondTurno")

    async def evaluate(self, user, response, decision, **extra):
        return await self.run(
            user, EVALUATE, {"input": {"responseId": response, "decision": decision, **extra}}, "evaluateResponse"
        )

    async def cancel(self, user, turno):
        return await self.run(user, CANCEL, {"id": turno}, "cancelTurno")

    async def conclude(self, user, document):
        return await self.run(user, CONCLUDE, {"id": document}, "concludeDocument")

    async def archive(self, user, document, series="12C", file="EXP-2026/001"):
        return await self.run(user, ARCHIVE, {"id": document, "series": series, "file": file}, "archiveDocument")

    async def turno(self, user, turno):
        return (await self.api.ok(TURNO, {"id": turno}, token=self.world.tokens[user]))["node"]

    async def document(self, user, document):
        return (await self.api.ok(DOCUMENT, {"id": document}, token=self.world.tokens[user]))["node"]

    async def kinds(self, document, user="admin", after=0):
        doc = await self.document(user, document)
        return [(e["node"]["kind"], (e["node"]["turno"] or {}).get("number")) for e in doc["history"]["edges"]][after:]


def codes(payload):
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def turn(flow, to="DA", user="dg_reg", unit="DG", instruction="RESPONSE", **recipient):
    """Register a document in `unit` and turn it to one unit; the document id and the turno."""
    doc = await flow.register(user=user, unit=unit)
    sent = await flow.send(
        user, document=doc["id"], recipients=[{"unitId": to, "instruction": instruction, **recipient}]
    )
    assert sent["errors"] == [], sent
    return doc["id"], sent["turnos"][0]


async def delegate(flow, user, parent, to, instruction="RESPONSE", **recipient):
    """Delegate the turno `parent` (as `user`) to one unit below; the new turno."""
    sent = await flow.send(user, parent=parent, recipients=[{"unitId": to, "instruction": instruction, **recipient}])
    assert sent["errors"] == [], sent
    return sent["turnos"][0]
