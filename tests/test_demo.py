"""`mcs demo`: the demo institution loads through the real use cases, and only into an empty database:
a year of correspondence with its workflow (turnos, answers, returns, conclusions, the archive)."""

import re
import time
from datetime import timedelta

from sqlalchemy import func, select

from mcs.demo import DEMO_PASSWORD, load_demo
from models.archive import ArchiveRecord
from models.calendar import load_calendar
from models.catalogs import SEED_ARCHIVE_SERIES
from models.clock import Clock
from models.documents import Document
from models.events import Event, EventKind
from models.org import OrgUnit, OrgUnitKind
from models.traffic_light import turno_light
from models.turnos import Response, Turno
from models.users import Membership, Role, User
from models.workflow import AWAITING_ANSWER, TurnoStatus


async def counts(services) -> dict[str, int]:
    async with services.db.session() as session:
        return {
            model.__tablename__: (await session.execute(select(func.count()).select_from(model))).scalar_one()
            for model in (OrgUnit, User, Membership, Document, Event, Turno, Response, ArchiveRecord)
        }


async def test_demo_loads_an_institution_and_a_year_of_correspondence(services, api, capsys):
    started = time.perf_counter()
    await load_demo(services.settings, only_if_empty=True)
    elapsed = time.perf_counter() - started
    output = capsys.readouterr().out
    assert DEMO_PASSWORD in output and "mutation { login(" in output
    print(f"demo loaded in {elapsed:.1f} s")  # 20–30 s on an idle machine

    async with services.db.session() as session:
        units = (await session.execute(select(OrgUnit))).scalars().all()
        assert len(units) >= 90
        kinds = {u.kind for u in units}
        assert kinds == {k.value for k in OrgUnitKind}
        assert sum(u.kind == OrgUnitKind.REGIONAL_OFFICE.value for u in units) >= 12
        assert len({u.code for u in units}) == len(units)
        assert all(u.acronym.isupper() and u.acronym.isalnum() for u in units)

        roles = set((await session.execute(select(Membership.role).distinct())).scalars())
        assert roles == {r.value for r in Role}

        documents = (await session.execute(select(Document))).scalars().all()
        assert len(documents) >= 250
        # folios: gapless and unique per (unit, year), formatted with the unit's acronym
        acronyms = {u.id: u.acronym for u in units}
        numbers: dict[tuple[int, int], list[int]] = {}
        for doc in documents:
            numbers.setdefault((doc.unit_id, doc.year), []).append(doc.number)
            assert doc.folio == f"{acronyms[doc.unit_id]}/{doc.year}/{doc.number:06d}"
            assert (doc.origin == "INTERNAL") == (doc.sender_level == "INTERNAL")
        for key, values in numbers.items():
            assert sorted(values) == list(range(1, len(values) + 1)), key
        # every document registered through the use case (one DOCUMENT_REGISTERED event each)
        registered = (
            await session.execute(
                select(Event.document_id, func.count())
                .where(Event.kind == EventKind.DOCUMENT_REGISTERED.value)
                .group_by(Event.document_id)
            )
        ).all()
        assert {doc_id: n for doc_id, n in registered} == {doc.id: 1 for doc in documents}
        received = sorted(doc.received_at for doc in documents)
        assert (received[-1] - received[0]).days >= 300
        assert {doc.document_type for doc in documents} >= {"OFICIO", "MEMORANDUM", "SOLICITUD_CIUDADANA"}
        assert {doc.sender_level for doc in documents} == {
            "FEDERAL",
            "STATE",
            "MUNICIPAL",
            "ORGANIZATION",
            "CITIZEN",
            "INTERNAL",
        }
        assert any(doc.confidential for doc in documents) and any(doc.priority == "URGENT" for doc in documents)

    await assert_living_workflow(services, units, documents, output)

    # a second call on a database that has data changes nothing
    before = await counts(services)
    await load_demo(services.settings, only_if_empty=True)
    assert await counts(services) == before

    data = await api.ok(
        'mutation { login(input:{username:"admin", password:"mcs-demo-2026"}) { token errors { code } } }'
    )
    assert data["login"]["errors"] == [] and data["login"]["token"]

    # the printout names an analyst (STAFF) with turnos to attend: the inbox shows them
    named = re.search(r"^(analista\.\S+) tiene (\d+) turnos? por atender", output, re.MULTILINE)
    assert named, output
    staff_user, pending = named.group(1), int(named.group(2))
    data = await api.ok(
        'mutation($u: String!) { login(input:{username:$u, password:"mcs-demo-2026"}) { token } }', {"u": staff_user}
    )
    inbox = await api.ok(
        "{ inbox(filter:{status:[SENT, RECEIVED, RETURNED]}) { totalCount edges { node { "
        "status toUnit { acronym } } } } }",
        token=data["login"]["token"],
    )
    assert inbox["inbox"]["totalCount"] == pending > 0
    async with services.db.session() as session:
        staff_units = set(
            (
                await session.execute(
                    select(OrgUnit.acronym)
                    .join(Membership, Membership.unit_id == OrgUnit.id)
                    .join(User)
                    .where(User.username == staff_user, Membership.role == Role.STAFF.value)
                )
            ).scalars()
        )
    assert staff_units and {e["node"]["toUnit"]["acronym"] for e in inbox["inbox"]["edges"]} <= staff_units


async def assert_living_workflow(services, units, documents, output: str) -> None:
    """Turnos in every state, answers, returns, conclusions and the archive, in a believable order."""
    now = Clock(services.settings.timezone).now()
    async with services.db.session() as session:
        turnos = (await session.execute(select(Turno))).scalars().all()
        responses = (await session.execute(select(Response))).scalars().all()
        archive = (await session.execute(select(ArchiveRecord))).scalars().all()
        events = (await session.execute(select(Event).order_by(Event.id))).scalars().all()
        calendar = await load_calendar(session)
    by_id = {t.id: t for t in turnos}
    docs = {d.id: d for d in documents}
    unit_kind = {u.id: u.kind for u in units}

    # most documents are turned, to 1–3 units, some delegated further down
    turned = {t.document_id for t in turnos}
    assert 0.7 <= len(turned) / len(documents) <= 0.95, len(turned)
    first_level = [t for t in turnos if t.parent_id is None]
    per_document: dict[int, int] = {}
    for t in first_level:
        if t.instruction != "KNOWLEDGE" and t.status != "CANCELLED":
            per_document[t.document_id] = per_document.get(t.document_id, 0) + 1
    assert set(per_document.values()) <= {1, 2, 3} and 1 in per_document.values() and 2 in per_document.values()
    assert {t.instruction for t in turnos} == {"ATTENTION", "RESPONSE", "OPINION", "KNOWLEDGE"}
    assert {unit_kind[t.to_unit_id] for t in first_level} >= {"DIRECTORATE", "SUBDIRECTORATE", "REGIONAL_OFFICE"}
    assert any(t.due_business_days for t in turnos) and any(
        t.due_date and not t.due_business_days for t in turnos if t.instruction != "KNOWLEDGE"
    )
    delegated = [t for t in turnos if t.parent_id is not None]
    assert len(delegated) >= 20
    for child in delegated:
        parent = by_id[child.parent_id]
        assert child.from_unit_id == parent.to_unit_id and child.document_id == parent.document_id
        assert child.sent_at >= parent.sent_at
    assert all(t.due_date is None for t in turnos if t.instruction == "KNOWLEDGE")

    # every state; the open ones mostly recent, the old ones mostly done
    statuses = {t.status for t in turnos}
    assert statuses == {s.value for s in TurnoStatus}, statuses
    old = [t for t in turnos if t.sent_at < now - timedelta(days=60)]
    assert sum(t.status in ("CONCLUDED", "CANCELLED") for t in old) / len(old) >= 0.85
    cancelled = [t for t in turnos if t.status == "CANCELLED"]
    assert 0 < len(cancelled) <= 0.08 * len(turnos)

    # answers: returned with observations and answered again, some late
    assert len(responses) >= len(turnos) // 2
    returned = [r for r in responses if r.decision == "RETURN"]
    assert returned and all(r.comment for r in returned)
    second_round = [t for t in turnos if t.status == "CONCLUDED" and t.rounds >= 2]
    assert second_round and all(t.accepted_at_first_answer is False for t in second_round)
    late = [t for t in turnos if t.answered_on_time is False]
    answered = [t for t in turnos if t.answered_on_time is not None]
    assert 0.03 <= len(late) / len(answered) <= 0.3, (len(late), len(answered))
    assert all(r.reference is None or "/" in r.reference for r in responses)

    # in a believable order
    for t in turnos:
        assert t.received_at is None or t.received_at >= t.sent_at
        assert t.concluded_at is None or t.concluded_at >= (t.received_at or t.sent_at)
        assert t.cancelled_at is None or t.cancelled_at >= t.sent_at
        assert t.sent_at >= docs[t.document_id].received_at
    for r in responses:
        assert r.submitted_at >= by_id[r.turno_id].sent_at
        assert r.evaluated_at is None or r.evaluated_at >= r.submitted_at
    assert all(a.occurred_at <= b.occurred_at for a, b in zip(events, events[1:]))  # the log reads in time order
    assert events[-1].occurred_at <= now

    # concluded documents, about half of them filed under a fitting series
    closed = [d for d in documents if d.status in ("CONCLUDED", "ARCHIVED")]
    assert len(closed) >= len(documents) // 2
    archived = [d for d in documents if d.status == "ARCHIVED"]
    assert archived and {a.document_id for a in archive} == {d.id for d in archived}
    assert 0.3 <= len(archived) / len(closed) <= 0.7
    series = {a.series for a in archive}
    assert series <= {code for code, _ in SEED_ARCHIVE_SERIES} and "12C" in series and len(series) >= 4
    for record in archive:
        doc = docs[record.document_id]
        assert (
            record.file_number.startswith(f"{doc.folio.split('/')[0]}/EXP/") and record.archived_at >= doc.concluded_at
        )
    for doc in closed:
        mine = [t for t in turnos if t.document_id == doc.id]
        assert all(t.status in ("CONCLUDED", "CANCELLED") for t in mine)
        assert all((t.concluded_at or t.cancelled_at) <= doc.concluded_at for t in mine)

    # today: something in every light, and the deadline watcher has spoken
    today = now.astimezone(Clock(services.settings.timezone).tz).date()
    lights = {
        turno_light(
            t.status, t.due_date, t.answered_on_time, calendar, today, services.settings.yellow_threshold_days
        ).value
        for t in turnos
        if t.status in {s.value for s in AWAITING_ANSWER}
    }
    assert {"GREEN", "YELLOW", "RED"} <= lights, lights
    kinds = {e.kind for e in events}
    assert {EventKind.DEADLINE_NEAR.value, EventKind.DEADLINE_PASSED.value} <= kinds
    assert {EventKind.TURNO_RETURNED.value, EventKind.TURNO_CANCELLED.value, EventKind.DOCUMENT_ARCHIVED.value} <= kinds
    for line in ("Turnos:", "Respuestas:", "archivados"):
        assert line in output
