"""The demo institution in the database: its org tree and its people, written straight through the
models (everything after them goes through the use cases)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models.org import OrgUnit, create_unit
from models.users import Membership, Role, User, hash_password_in_thread

from mcs.demo.org import UNITS, unit_codes
from mcs.demo.people import DEMO_PASSWORD, EMAIL_DOMAIN, People, Person, plan_people


@dataclass
class Demo:
    """The institution as loaded (units and people by acronym and role), and the generator and
    reference series the documents are drawn from."""

    rng: random.Random
    people: People
    units: dict[str, OrgUnit] = field(default_factory=dict)
    persons: list[Person] = field(default_factory=list)
    registrant: dict[str, Person] = field(default_factory=dict)  # unit acronym -> who registers there
    head_of: dict[str, Person] = field(default_factory=dict)
    references: dict[str, int] = field(default_factory=dict)


async def create_institution(services, demo: Demo) -> None:
    """The org tree and its people; existing units and users (by siglas/username) are reused."""
    codes = unit_codes(UNITS)
    password_hash = await hash_password_in_thread(DEMO_PASSWORD)  # argon2 is slow on purpose: once for everyone
    async with services.db.transaction() as session:
        existing = {u.acronym.upper(): u for u in (await session.execute(select(OrgUnit))).scalars()}
        for acronym, name, kind, parent in UNITS:
            unit = existing.get(acronym)
            if unit is None:
                unit = await create_unit(
                    session,
                    code=codes[acronym],
                    acronym=acronym,
                    name=name,
                    kind=kind,
                    parent=demo.units[parent] if parent else None,
                )
            demo.units[acronym] = unit

        demo.persons = plan_people(demo.rng, demo.people, UNITS)
        names = [p.username for p in demo.persons]
        users = {
            u.username: u
            for u in (
                await session.execute(
                    select(User).where(User.username.in_(names)).options(selectinload(User.memberships))
                )
            ).scalars()
        }
        for person in demo.persons:
            wanted = [(demo.units[a].id, role.value) for a, role in person.grants]
            user = users.get(person.username)
            if user is None:
                user = User(
                    username=person.username,
                    password_hash=password_hash,
                    full_name=person.full_name,
                    position=person.position,
                    email=f"{person.username}@{EMAIL_DOMAIN}",
                    active=True,
                    token_version=0,
                    created_at=services.clock.now(),
                    memberships=[Membership(unit_id=u, role=r) for u, r in wanted],
                )
                session.add(user)
            else:  # --force on a database that has them: keep the person, make sure of the grants
                person.full_name, person.position = user.full_name, user.position or person.position
                have = {(m.unit_id, m.role) for m in user.memberships}
                user.memberships.extend(Membership(unit_id=u, role=r) for u, r in wanted if (u, r) not in have)
            person.user = user
            for acronym, role in person.grants:
                if role == Role.HEAD:
                    demo.head_of.setdefault(acronym, person)
                if role == Role.REGISTRAR:
                    demo.registrant[acronym] = person
        await session.flush()
    for acronym in demo.units:  # where no one registers, the head does (a unit with neither has no one)
        head = demo.head_of.get(acronym)
        if head is not None:
            demo.registrant.setdefault(acronym, head)
