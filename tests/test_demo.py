"""`mcs demo`: the demo institution loads through the real use cases, and only into an empty database."""

import time

from sqlalchemy import func, select

from mcs.demo import DEMO_PASSWORD, load_demo
from models.documents import Document
from models.events import Event, EventKind
from models.org import OrgUnit, OrgUnitKind
from models.users import Membership, Role, User


async def counts(services) -> dict[str, int]:
    async with services.db.session() as session:
        return {
            model.__tablename__: (await session.execute(select(func.count()).select_from(model))).scalar_one()
            for model in (OrgUnit, User, Membership, Document, Event)
        }


async def test_demo_loads_an_institution_and_a_year_of_correspondence(services, api, capsys):
    started = time.perf_counter()
    await load_demo(services.settings, only_if_empty=True)
    elapsed = time.perf_counter() - started
    output = capsys.readouterr().out
    assert DEMO_PASSWORD in output and "http://127.0.0.1:8000/graphql" in output
    assert elapsed < 60, elapsed

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
        # every document registered through the use case: one DOCUMENT_REGISTERED event each
        registered = (await session.execute(
            select(Event.document_id, func.count()).where(Event.kind == EventKind.DOCUMENT_REGISTERED.value)
            .group_by(Event.document_id)
        )).all()
        assert {doc_id: n for doc_id, n in registered} == {doc.id: 1 for doc in documents}
        received = sorted(doc.received_at for doc in documents)
        assert (received[-1] - received[0]).days >= 300
        assert {doc.document_type for doc in documents} >= {"OFICIO", "MEMORANDUM", "SOLICITUD_CIUDADANA"}
        assert {doc.sender_level for doc in documents} == {
            "FEDERAL", "STATE", "MUNICIPAL", "ORGANIZATION", "CITIZEN", "INTERNAL"}
        assert any(doc.confidential for doc in documents) and any(doc.priority == "URGENT" for doc in documents)

    # a second call on a database that has data changes nothing
    before = await counts(services)
    await load_demo(services.settings, only_if_empty=True)
    assert await counts(services) == before

    data = await api.ok(
        'mutation { login(input:{username:"admin", password:"mcs-demo-2026"}) { token errors { code } } }')
    assert data["login"]["errors"] == [] and data["login"]["token"]
