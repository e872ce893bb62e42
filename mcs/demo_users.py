"""The demo's sign-in accounts, shown by `mcs serve` at every start and by `mcs demo --show-users`:
a few users of each role, and only while the demo is in place, i.e. while their password is still
the demo's. Nothing is stored in clear for this: the known demo password is checked against each
user's argon2 hash, so a database where someone changed those passwords shows nothing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import inspect, select

from mcs.demo import DEMO_PASSWORD, ROLE_NAMES
from models.db import Database
from models.org import OrgUnit
from models.users import Membership, Role, User, verify_password_in_thread

# representative users of each role, in the order shown; mcs/demo/ creates them all (people.py)
SHOWN = {
    Role.ADMIN: ["admin"],
    Role.HEAD: ["titular.dg", "titular.daf", "titular.deltol", "titular.sreg"],
    Role.REGISTRAR: ["registro.dg", "registro.deltol", "registro.rh"],
    Role.STAFF: ["analista.nominas", "abogado.consultivo", "auxiliar.regtol"],
    Role.VIEWER: ["consulta.dg", "auditoria.oic"],
}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str  # in Spanish, for people
    units: str  # the acronyms of the units where the user has that role


async def demo_accounts(db: Database) -> list[DemoAccount]:
    """The SHOWN users that exist, are active and still have the demo password."""
    async with db.session() as session:
        connection = await session.connection()
        if not await connection.run_sync(lambda sync: inspect(sync).has_table(User.__tablename__)):
            return []  # not migrated yet: certainly no demo
        rows = (
            await session.execute(
                select(User.username, User.password_hash, Membership.role, OrgUnit.acronym)
                .join(Membership, Membership.user_id == User.id)
                .join(OrgUnit, OrgUnit.id == Membership.unit_id)
                .where(User.username.in_([name for names in SHOWN.values() for name in names]), User.active.is_(True))
                .order_by(Membership.id)
            )
        ).all()
    # argon2 is slow on purpose: once per distinct hash (the demo gives everyone one), in a worker
    # thread (mcs serve calls this while serving)
    demo_hash = {h: await verify_password_in_thread(h, DEMO_PASSWORD) for h in {r.password_hash for r in rows}}

    accounts = []
    for role, names in SHOWN.items():
        for name in names:
            grants = [
                (password_hash, acronym)
                for username, password_hash, granted, acronym in rows
                if username == name and granted == role.value
            ]
            if grants and demo_hash[grants[0][0]]:
                accounts.append(DemoAccount(name, ROLE_NAMES[role], ", ".join(acronym for _, acronym in grants)))
    return accounts


def format_accounts(accounts: list[DemoAccount]) -> str:
    """A short table, in Spanish, with the shared password."""
    header = ("Usuario", "Rol", "Unidad")
    rows = [(a.username, a.role, a.units) for a in accounts]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]

    def line(values) -> str:
        return ("  " + "  ".join(v.ljust(w) for v, w in zip(values, widths))).rstrip()

    return "\n".join(
        [
            f"Cuentas de demostración (contraseña de todas: {DEMO_PASSWORD}):",
            line(header),
            line(tuple("-" * w for w in widths)),
            *(line(row) for row in rows),
            "  Hay más: titular.<siglas> de cada unidad y registro.<siglas> de las que tienen control de gestión\n"
            "  (p. ej. titular.dpv, registro.daf).",
        ]
    )
