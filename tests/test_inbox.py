"""Inbox and outbox (PRODUCT.md "Roles and access"), TurnoFilter, and who sees which turno.

Org tree: INST > DG > {DA > SRH > DRH, DJ}. The clock starts on Monday 2 March 2026, 10:00 in
Mexico City.
"""

from datetime import datetime, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from core.global_ids import decode_global_id
from tests.helpers import mutate, new_unit
from tests.workflow import Flow

MX = ZoneInfo("America/Mexico_City")

BOX = """query($filter: TurnoFilter, $first: Int, $after: String) {
  inbox(filter: $filter, first: $first, after: $after) { ...page }
  outbox(filter: $filter, first: $first, after: $after) { ...page } }
fragment page on TurnoConnection { totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { number trafficLight } } }"""
NODE = "query($id: ID!) { node(id: $id) { id } }"
DOC_TURNOS = """query($id: ID!) { node(id: $id) { ... on Document { turnos { number parent { number } } } } }"""
TURNO_PARENT = """query($id: ID!) { node(id: $id) { ... on Turno { number parent { number } children { number } } } }"""


ADD_HOLIDAYS = """mutation($dates: [Date!]!, $description: String) {
  addHolidays(input: {dates: $dates, description: $description}) { errors { code field } } }"""


def local(month, day, hour=10, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=MX).astimezone(timezone.utc)


async def box(api, world, user, which="inbox", first=100, after=None, **filter):
    """The numbers a box lists, newest first (and the connection)."""
    data = await api.ok(BOX, {"filter": filter or None, "first": first, "after": after}, token=world.tokens[user])
    conn = data[which]
    return [e["node"]["number"] for e in conn["edges"]], conn


async def numbers(api, world, user, which="inbox", **filter):
    found, conn = await box(api, world, user, which, **filter)
    assert conn["totalCount"] == len(found)
    return found


@pytest.fixture
async def tree(api, world, clock):
    """doc1: T1 DG→DA, T2 DA→SRH (delegation), T3 SRH→DRH (delegation);
    doc2: T4 DG→DJ; doc3: T5 DG→SRH (first level). One minute apart, in that order."""
    clock.set(local(3, 2))
    flow = Flow(api, world)
    ids, nums, docs = {}, {}, {}

    async def keep(name, payload):
        assert payload["errors"] == [], payload
        ids[name], nums[name] = payload["turnos"][0]["id"], payload["turnos"][0]["number"]
        clock.advance(minutes=1)

    docs["doc1"] = (await flow.register())["id"]
    docs["doc2"] = (await flow.register(reference="OTRA/2"))["id"]
    docs["doc3"] = (await flow.register(reference="OTRA/3"))["id"]
    await keep(
        "T1", await flow.send("dg_reg", document=docs["doc1"], recipients=[{"unitId": "DA", "instruction": "RESPONSE"}])
    )
    await keep(
        "T2", await flow.send("da_head", parent=ids["T1"], recipients=[{"unitId": "SRH", "instruction": "RESPONSE"}])
    )
    await keep(
        "T3", await flow.send("srh_reg", parent=ids["T2"], recipients=[{"unitId": "DRH", "instruction": "RESPONSE"}])
    )
    await keep(
        "T4", await flow.send("dg_reg", document=docs["doc2"], recipients=[{"unitId": "DJ", "instruction": "OPINION"}])
    )
    await keep(
        "T5",
        await flow.send("dg_head", document=docs["doc3"], recipients=[{"unitId": "SRH", "instruction": "ATTENTION"}]),
    )
    return {"ids": ids, "n": nums, "docs": docs, "flow": flow}


def pick(tree, *names):
    """The numbers of these turnos, newest first (the boxes' order)."""
    return [tree["n"][name] for name in sorted(names, key=lambda n: int(n[1:]), reverse=True)]


# --- inbox and outbox --------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["da_head", "da_reg", "da_viewer"])
async def test_inbox_of_head_registrar_viewer_includes_descendants_unless_told_not_to(api, world, tree, user):
    assert await numbers(api, world, user) == pick(tree, "T1", "T2", "T3", "T5")
    assert await numbers(api, world, user, includeSubunits=True) == pick(tree, "T1", "T2", "T3", "T5")
    assert await numbers(api, world, user, includeSubunits=False) == pick(tree, "T1")


async def test_inbox_of_the_head_of_the_root_of_the_chain(api, world, tree):
    assert await numbers(api, world, "dg_head") == pick(tree, "T1", "T2", "T3", "T4", "T5")
    assert await numbers(api, world, "dg_head", includeSubunits=False) == []  # nothing was sent to DG
    assert await numbers(api, world, "srh_head") == pick(tree, "T2", "T3", "T5")
    assert await numbers(api, world, "srh_head", includeSubunits=False) == pick(tree, "T2", "T5")


async def test_staff_inbox_never_includes_descendants(api, world, tree):
    assert await numbers(api, world, "da_staff") == pick(tree, "T1")
    assert await numbers(api, world, "da_staff", includeSubunits=True) == pick(tree, "T1")
    assert await numbers(api, world, "da_staff", unitId=world.unit_id("SRH")) == []
    assert await numbers(api, world, "srh_staff") == pick(tree, "T2", "T5")
    assert await numbers(api, world, "drh_staff") == pick(tree, "T3")
    assert await numbers(api, world, "dj_staff") == pick(tree, "T4")


async def test_outbox_lists_turnos_sent_from_my_units(api, world, tree):
    assert await numbers(api, world, "dg_reg", "outbox", includeSubunits=False) == pick(tree, "T1", "T4", "T5")
    assert await numbers(api, world, "dg_reg", "outbox") == pick(tree, "T1", "T2", "T3", "T4", "T5")
    assert await numbers(api, world, "da_staff", "outbox") == pick(tree, "T2")
    assert await numbers(api, world, "srh_staff", "outbox") == pick(tree, "T3")
    assert await numbers(api, world, "da_head", "outbox", includeSubunits=False) == pick(tree, "T2")
    assert await numbers(api, world, "da_head", "outbox") == pick(tree, "T2", "T3")
    assert await numbers(api, world, "dj_head", "outbox") == []


async def test_an_unrelated_staff_sees_none_of_it(api, world, tree):
    token = world.tokens["dj_staff"]
    answer = await tree["flow"].respond("da_staff", tree["ids"]["T1"])
    response_id = answer["response"]["id"]
    assert (await api.ok(NODE, {"id": response_id}, token=world.tokens["dg_reg"]))["node"] == {"id": response_id}
    assert (await api.ok(NODE, {"id": response_id}, token=token))["node"] is None
    assert await numbers(api, world, "dj_staff") == pick(tree, "T4")
    assert await numbers(api, world, "dj_staff", "outbox") == []
    for name in ("T1", "T2", "T3", "T5"):
        assert (await api.ok(NODE, {"id": tree["ids"][name]}, token=token))["node"] is None, name
    assert (await api.ok(NODE, {"id": tree["docs"]["doc1"]}, token=token))["node"] is None
    # the document DJ is on lists only DJ's turno to an unrelated STAFF
    doc2 = (await api.ok(DOC_TURNOS, {"id": tree["docs"]["doc2"]}, token=token))["node"]
    assert doc2 == {"turnos": [{"number": tree["n"]["T4"], "parent": None}]}


async def test_a_member_of_a_descendant_unit_does_not_see_the_turnos_above_it(api, world, tree):
    token = world.tokens["drh_staff"]
    for name in ("T1", "T2", "T4", "T5"):
        assert (await api.ok(NODE, {"id": tree["ids"][name]}, token=token))["node"] is None, name
    doc1 = (await api.ok(DOC_TURNOS, {"id": tree["docs"]["doc1"]}, token=token))["node"]
    assert doc1 == {"turnos": [{"number": tree["n"]["T3"], "parent": None}]}  # its parent is hidden


# --- turno visibility narrowed by role ------------------------------------------------------------

# who sees the delegation T2 (DA→SRH), per PRODUCT.md: STAFF the turnos of their own units (from or
# to), HEAD/REGISTRAR/VIEWER also those of their units' descendants, ADMIN all
SEES_T2 = {
    "admin",
    "dg_head",
    "dg_reg",
    "da_head",
    "da_reg",
    "da_viewer",
    "da_staff",
    "srh_head",
    "srh_reg",
    "srh_staff",
}
BLIND_T2 = {"drh_staff", "dj_head", "dj_reg", "dj_staff", "dj_viewer"}


async def test_turno_visibility_follows_the_roles(api, world, tree):
    for user in sorted(SEES_T2 | BLIND_T2):
        node = (await api.ok(NODE, {"id": tree["ids"]["T2"]}, token=world.tokens[user]))["node"]
        assert (node is not None) == (user in SEES_T2), user


async def test_document_turnos_list_is_narrowed_by_role(api, world, tree):
    async def listed(user):
        node = (await api.ok(DOC_TURNOS, {"id": tree["docs"]["doc1"]}, token=world.tokens[user]))["node"]
        return [t["number"] for t in node["turnos"]]

    assert await listed("dg_head") == pick(tree, "T3", "T2", "T1")[::-1]
    assert await listed("da_staff") == [tree["n"]["T1"], tree["n"]["T2"]]
    assert await listed("srh_staff") == [tree["n"]["T2"], tree["n"]["T3"]]
    assert await listed("srh_head") == [tree["n"]["T2"], tree["n"]["T3"]]
    node = (await api.ok(TURNO_PARENT, {"id": tree["ids"]["T2"]}, token=world.tokens["srh_staff"]))["node"]
    assert node == {"number": tree["n"]["T2"], "parent": None, "children": [{"number": tree["n"]["T3"]}]}
    node = (await api.ok(TURNO_PARENT, {"id": tree["ids"]["T2"]}, token=world.tokens["da_staff"]))["node"]
    assert node["parent"] == {"number": tree["n"]["T1"]}


# --- TurnoFilter ---------------------------------------------------------------------------------


@pytest.fixture
async def mail(api, world, clock):
    """Turnos into DA's subtree (and one to DJ) with known days, units and document fields.

    a  Mon 2 10:00      → DA   RESPONSE 10 days  EXTERNAL STATE   OFICIO  "Solicitud de información de nómina"
    b  Tue 3 23:30      → SRH  OPINION URGENT    INTERNAL          MEMORANDUM "Memorándum sobre vacaciones"
    c  Wed 4 00:30      → DRH  KNOWLEDGE         EXTERNAL CITIZEN  SOLICITUD_CIUDADANA "Queja ciudadana por trámite"
    d  Wed 4 09:00      → DA   ATTENTION 1 day, acknowledged  EXTERNAL FEDERAL OFICIO "Auditoría federal"
    e  Wed 4 09:30      → DJ   RESPONSE          "Información de nómina jurídica" (outside DA)
    (local times; b is on Wednesday in UTC, c is on Wednesday in both)
    """
    flow = Flow(api, world)
    turnos = {}

    async def one(name, moment, to, recipient, priority=None, **document):
        clock.set(moment)
        doc = await flow.register(**document)
        extra = {"priority": priority} if priority else {}
        sent = await flow.send("dg_reg", document=doc["id"], recipients=[{"unitId": to, **recipient}], **extra)
        assert sent["errors"] == [], sent
        turnos[name] = sent["turnos"][0]

    await one(
        "a",
        local(3, 2),
        "DA",
        {"instruction": "RESPONSE", "businessDays": 10},
        reference="A/1",
        subject="Solicitud de información de nómina",
        documentType="OFICIO",
    )
    await one(
        "b",
        local(3, 3, 23, 30),
        "SRH",
        {"instruction": "OPINION"},
        priority="URGENT",
        reference="B/1",
        subject="Memorándum sobre vacaciones",
        documentType="MEMORANDUM",
        origin="INTERNAL",
        sender={"level": "INTERNAL", "name": "Dirección General"},
    )
    await one(
        "c",
        local(3, 4, 0, 30),
        "DRH",
        {"instruction": "KNOWLEDGE"},
        reference="C/1",
        subject="Queja ciudadana por trámite",
        documentType="SOLICITUD_CIUDADANA",
        sender={"level": "CITIZEN", "name": "Juan Pérez"},
    )
    await one(
        "d",
        local(3, 4, 9),
        "DA",
        {"instruction": "ATTENTION", "businessDays": 1},
        reference="D/1",
        subject="Auditoría federal",
        documentType="OFICIO",
        sender={"level": "FEDERAL", "name": "Auditoría Superior de la Federación"},
    )
    await one(
        "e",
        local(3, 4, 9, 30),
        "DJ",
        {"instruction": "RESPONSE"},
        reference="E/1",
        subject="Información de nómina jurídica",
    )
    assert (await flow.ack("da_staff", turnos["d"]["id"]))["turno"]["status"] == "RECEIVED"
    clock.set(local(3, 4, 12))
    return {name: t["number"] for name, t in turnos.items()}


async def inbox_of(api, world, mail, **filter):
    found = await numbers(api, world, "da_head", **filter)
    names = {number: name for name, number in mail.items()}
    return "".join(sorted(names[n] for n in found))


async def test_filter_all_of_da_subtree(api, world, mail):
    assert await inbox_of(api, world, mail) == "abcd"  # e went to DJ
    assert await numbers(api, world, "da_head") == [mail[n] for n in "dcba"]  # newest first


async def test_filter_period_is_on_sent_at_in_local_days(api, world, mail):
    assert await inbox_of(api, world, mail, period={"from": "2026-03-03", "to": "2026-03-03"}) == "b"
    assert await inbox_of(api, world, mail, period={"from": "2026-03-04"}) == "cd"
    assert await inbox_of(api, world, mail, period={"to": "2026-03-02"}) == "a"
    assert await inbox_of(api, world, mail, period={"from": "2026-03-02", "to": "2026-03-03"}) == "ab"


async def test_filter_unit_with_and_without_subunits(api, world, mail):
    assert await inbox_of(api, world, mail, unitId=world.unit_id("SRH")) == "bc"
    assert await inbox_of(api, world, mail, unitId=world.unit_id("SRH"), includeSubunits=False) == "b"
    assert await inbox_of(api, world, mail, unitId=world.unit_id("DA"), includeSubunits=False) == "ad"
    assert await inbox_of(api, world, mail, unitId=world.unit_id("DJ")) == ""  # narrows, never widens
    assert await numbers(api, world, "dg_reg", "outbox", unitId=world.unit_id("DA")) == []  # the sender in the outbox
    assert len(await numbers(api, world, "dg_reg", "outbox", unitId=world.unit_id("DG"), includeSubunits=False)) == 5


async def test_filter_status_instruction_priority(api, world, mail):
    assert await inbox_of(api, world, mail, status=["RECEIVED"]) == "d"
    assert await inbox_of(api, world, mail, status=["SENT"]) == "abc"
    assert await inbox_of(api, world, mail, status=["ANSWERED", "CONCLUDED"]) == ""
    assert await inbox_of(api, world, mail, instruction=["KNOWLEDGE"]) == "c"
    assert await inbox_of(api, world, mail, instruction=["RESPONSE", "OPINION"]) == "ab"
    assert await inbox_of(api, world, mail, priority="URGENT") == "b"
    assert await inbox_of(api, world, mail, priority="NORMAL") == "acd"


async def test_filter_on_the_documents_fields(api, world, mail):
    assert await inbox_of(api, world, mail, origin="INTERNAL") == "b"
    assert await inbox_of(api, world, mail, origin="EXTERNAL") == "acd"
    assert await inbox_of(api, world, mail, senderLevel=["CITIZEN"]) == "c"
    assert await inbox_of(api, world, mail, senderLevel=["STATE", "FEDERAL"]) == "ad"
    assert await inbox_of(api, world, mail, documentType=["MEMORANDUM"]) == "b"
    assert await inbox_of(api, world, mail, documentType=["OFICIO", "SOLICITUD_CIUDADANA"]) == "acd"
    assert await inbox_of(api, world, mail, origin="EXTERNAL", documentType=["OFICIO"], senderLevel=["FEDERAL"]) == "d"


async def test_filter_search_is_accent_and_case_insensitive(api, world, mail):
    assert await inbox_of(api, world, mail, search="nomina") == "a"  # not e, which is DJ's
    assert await inbox_of(api, world, mail, search="NÓMINA informacion") == "a"
    assert await inbox_of(api, world, mail, search="queja tramite") == "c"
    assert await inbox_of(api, world, mail, search="auditoria") == "d"
    assert await inbox_of(api, world, mail, search="memorandum vacaciones") == "b"
    assert await inbox_of(api, world, mail, search="inexistente") == ""
    assert await numbers(api, world, "dj_staff", search="nomina") == [mail["e"]]


async def test_filter_traffic_light(api, world, mail):
    # Wed 4 March: a due 16→17 March (GREEN), d due Thu 5 (1 day: YELLOW), b and c without deadline
    found, conn = await box(api, world, "da_head")
    lights = {e["node"]["number"]: e["node"]["trafficLight"] for e in conn["edges"]}
    assert lights == {mail["a"]: "GREEN", mail["b"]: "NONE", mail["c"]: "NONE", mail["d"]: "YELLOW"}
    assert await inbox_of(api, world, mail, trafficLight=["GREEN"]) == "a"
    assert await inbox_of(api, world, mail, trafficLight=["YELLOW"]) == "d"
    assert await inbox_of(api, world, mail, trafficLight=["NONE"]) == "bc"
    assert await inbox_of(api, world, mail, trafficLight=["RED"]) == ""
    assert await inbox_of(api, world, mail, trafficLight=["RED", "YELLOW", "GREEN"]) == "ad"


async def test_filter_traffic_light_follows_the_clock(api, world, mail, clock):
    clock.set(local(3, 6))  # Friday: d was due Thursday
    assert await inbox_of(api, world, mail, trafficLight=["RED"]) == "d"
    assert await inbox_of(api, world, mail, trafficLight=["YELLOW"]) == ""


async def test_a_filtered_first_page_follows_the_day_and_the_holidays(api, world, mail, clock):
    """The light filter's SQL holds dates computed from the day and the calendar: the same person's
    same filter, asked again, follows the clock and the institution's holidays as the lights each
    row shows (computed apart, in Python) do. (A cache of a first page's statements would have to
    hold both in its key: this is what failed when it did not.)"""

    async def filters_agree_with_the_rows() -> dict[str, set[str]]:
        _, conn = await box(api, world, "da_head")
        shown: dict[str, set[str]] = {}
        for edge in conn["edges"]:
            shown.setdefault(edge["node"]["trafficLight"], set()).add(edge["node"]["number"])
        for light in ("GREEN", "YELLOW", "RED", "NONE"):
            assert set(await numbers(api, world, "da_head", trafficLight=[light])) == shown.get(light, set()), light
        return shown

    on_wednesday = await filters_agree_with_the_rows()
    clock.set(local(3, 6))  # Friday: d was due Thursday
    on_friday = await filters_agree_with_the_rows()
    assert mail["d"] in on_wednesday["YELLOW"] and mail["d"] in on_friday["RED"]
    holidays = {"dates": [f"2026-03-{day:02d}" for day in (9, 10, 11, 12, 13)], "description": "Cierre"}
    assert (await api.ok(ADD_HOLIDAYS, holidays, token=world.tokens["admin"]))["addHolidays"]["errors"] == []
    with_holidays = await filters_agree_with_the_rows()
    assert mail["a"] in on_friday["GREEN"] and mail["a"] in with_holidays["YELLOW"]  # due the 17th: 1 day left


async def test_a_unit_created_below_a_head_is_in_their_next_first_page(api, world, clock):
    """A box's unit ids are read again on each request: a unit created below the HEAD's own is in
    their inbox's very next first page."""
    clock.set(local(3, 2))
    flow = Flow(api, world)
    document = (await flow.register())["id"]
    to_da = await flow.send("dg_reg", document=document, recipients=[{"unitId": "DA", "instruction": "KNOWLEDGE"}])
    assert await numbers(api, world, "da_head") == [to_da["turnos"][0]["number"]]
    created = await mutate(
        api, world, "createOrgUnit", new_unit(world, parent="DA", code="112", acronym="SRM", kind="SUBDIRECTORATE")
    )
    assert created["errors"] == []
    world.units["SRM"] = SimpleNamespace(id=int(decode_global_id(created["orgUnit"]["id"])[1]))
    clock.advance(minutes=1)
    to_new = await flow.send("dg_reg", document=document, recipients=[{"unitId": "SRM", "instruction": "KNOWLEDGE"}])
    assert to_new["errors"] == []
    assert await numbers(api, world, "da_head") == [to_new["turnos"][0]["number"], to_da["turnos"][0]["number"]]


async def test_inbox_pagination(api, world, mail):
    every = await numbers(api, world, "da_head")
    first, conn = await box(api, world, "da_head", first=3)
    assert first == every[:3] and conn["totalCount"] == 4 and conn["pageInfo"]["hasNextPage"] is True
    rest, conn = await box(api, world, "da_head", first=3, after=conn["pageInfo"]["endCursor"])
    assert rest == every[3:] and conn["totalCount"] == 4 and conn["pageInfo"]["hasNextPage"] is False
    one, conn = await box(api, world, "da_head", first=1, after=None, search="nomina")
    assert one == [mail["a"]] and conn["totalCount"] == 1 and conn["pageInfo"]["hasNextPage"] is False
    # page by page, one at a time, with a filter: nothing lost or repeated
    seen, after = [], None
    while True:
        page, conn = await box(api, world, "da_head", first=1, after=after, origin="EXTERNAL")
        seen += page
        assert conn["totalCount"] == 3
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert seen == [mail[n] for n in "dca"]


async def _confidential(api, world, clock):
    """A confidential document of DA turned to SRH: DG's REGISTRAR sees the rows, not the subject."""
    clock.set(local(3, 2))
    flow = Flow(api, world)
    doc = await flow.register(user="da_reg", unit="DA", subject="Expediente reservado de Zacarías", confidential=True)
    sent = await flow.send("da_reg", document=doc["id"], recipients=[{"unitId": "SRH", "instruction": "RESPONSE"}])
    return sent["turnos"][0]["number"]


async def test_inbox_search_does_not_match_confidential_fields_the_caller_cannot_read(api, world, clock):
    """A REGISTRAR of an ancestor sees the row of a confidential document but not its subject
    (PRODUCT.md, field level): filtering on the hidden text must not reveal it."""
    number = await _confidential(api, world, clock)
    assert await numbers(api, world, "dg_reg") == [number]  # the row is visible to DG's registrar
    assert await numbers(api, world, "dg_head", search="zacarias") == [number]  # a HEAD above reads the subject
    assert await numbers(api, world, "da_head", search="zacarias") == [number]  # on the chain
    assert await numbers(api, world, "da_viewer", search="zacarias") == [number]  # on the chain (DA)
    assert await numbers(api, world, "dg_reg", search="zacarias") == []  # masked: no oracle on it


async def test_documents_search_does_not_match_confidential_fields_the_caller_cannot_read(api, world, clock):
    """The same filter compiler serves `documents`: no oracle on a masked subject there either."""
    await _confidential(api, world, clock)
    docs = """query($filter: DocumentFilter) { documents(filter: $filter) { totalCount } }"""
    seen = await api.ok(docs, {"filter": {}}, token=world.tokens["dg_reg"])
    assert seen["documents"]["totalCount"] == 1
    searched = await api.ok(docs, {"filter": {"search": "zacarias"}}, token=world.tokens["dg_reg"])
    assert searched["documents"]["totalCount"] == 0


async def test_pagination_over_turnos_sent_in_one_call(api, world, clock):
    """One call to several units gives turnos with the same sentAt: pages still neither lose nor repeat."""
    clock.set(local(3, 2))
    flow = Flow(api, world)
    doc = await flow.register()
    sent = await flow.send(
        "dg_reg",
        document=doc["id"],
        recipients=[{"unitId": unit, "instruction": "ATTENTION"} for unit in ("DA", "SRH", "DRH", "DJ")],
    )
    every = await numbers(api, world, "dg_head")
    assert sorted(every) == sorted(t["number"] for t in sent["turnos"])
    seen, after = [], None
    for _ in range(4):
        page, conn = await box(api, world, "dg_head", first=1, after=after)
        seen += page
        after = conn["pageInfo"]["endCursor"]
    assert seen == every and conn["pageInfo"]["hasNextPage"] is False
