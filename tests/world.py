"""A small institution for tests, built straight through the models (fast), with a token per user.

INST (root)
└── DG  Dirección General
    ├── DA  Dirección de Administración
    │   └── SRH  Subdirección de Recursos Humanos
    │       └── DRH  Departamento de Nóminas
    └── DJ  Dirección Jurídica
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.org import OrgUnit, OrgUnitKind, create_unit
from models.users import Membership, Role, User, hash_password
from resolvers.auth import issue_token
from schema.ids import to_global_id

PASSWORD = "contraseña-segura"
_HASH = hash_password(PASSWORD)  # argon2 is slow on purpose: hash once for every test user

UNITS = [
    ("INST", "0", "Institución", OrgUnitKind.UNIT, None),
    ("DG", "100", "Dirección General", OrgUnitKind.GENERAL_DIRECTORATE, "INST"),
    ("DA", "110", "Dirección de Administración", OrgUnitKind.DIRECTORATE, "DG"),
    ("SRH", "111", "Subdirección de Recursos Humanos", OrgUnitKind.SUBDIRECTORATE, "DA"),
    ("DRH", "1111", "Departamento de Nóminas", OrgUnitKind.DEPARTMENT, "SRH"),
    ("DJ", "120", "Dirección Jurídica", OrgUnitKind.DIRECTORATE, "DG"),
]

USERS = {
    "admin": [("INST", Role.ADMIN)],
    "dg_head": [("DG", Role.HEAD)],
    "dg_reg": [("DG", Role.REGISTRAR)],
    "da_head": [("DA", Role.HEAD)],
    "da_reg": [("DA", Role.REGISTRAR)],
    "da_staff": [("DA", Role.STAFF)],
    "da_viewer": [("DA", Role.VIEWER)],
    "srh_head": [("SRH", Role.HEAD)],
    "srh_reg": [("SRH", Role.REGISTRAR)],
    "srh_staff": [("SRH", Role.STAFF)],
    "drh_staff": [("DRH", Role.STAFF)],
    "dj_head": [("DJ", Role.HEAD)],
    "dj_reg": [("DJ", Role.REGISTRAR)],
    "dj_staff": [("DJ", Role.STAFF)],
    "dj_viewer": [("DJ", Role.VIEWER)],
}


class Tokens:
    """world.tokens["da_head"]: a token issued now by the (possibly moved) test clock."""

    def __init__(self, services, users):
        self.services, self.users = services, users

    def __getitem__(self, username: str) -> str:
        return issue_token(self.services, self.users[username])


@dataclass
class World:
    units: dict[str, OrgUnit] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    tokens: Tokens | None = None

    def unit_id(self, acronym: str) -> str:
        return to_global_id("OrgUnit", self.units[acronym].id)

    def user_id(self, username: str) -> str:
        return to_global_id("User", self.users[username].id)


async def build_world(services) -> World:
    world = World()
    async with services.db.transaction() as session:
        for acronym, code, name, kind, parent in UNITS:
            world.units[acronym] = await create_unit(
                session,
                code=code,
                acronym=acronym,
                name=name,
                kind=kind,
                parent=world.units[parent] if parent else None,
            )
        for username, grants in USERS.items():
            user = User(
                username=username,
                password_hash=_HASH,
                full_name=username.replace("_", " ").title(),
                active=True,
                token_version=0,
                created_at=services.clock.now(),
                memberships=[Membership(unit_id=world.units[u].id, role=r.value) for u, r in grants],
            )
            session.add(user)
            world.users[username] = user
        await session.flush()
    world.tokens = Tokens(services, world.users)
    return world


async def register_many(services, world: World, n: int, *, user: str = "da_reg", unit: str = "DA", **fields):
    """Register n documents straight through the use case (faster than n HTTP requests)."""
    from models.db import SharedSession
    from models.documents import Origin, SenderLevel
    from models.principals import load_principal
    from resolvers.context import Context
    from resolvers.documents import RegisterDocumentData, SenderData, register_document

    documents = []
    async with services.db.session() as session:
        principal = await load_principal(session, world.users[user].id)
        ctx = Context(services=services, session=SharedSession(session), principal=principal, request_id="test")
        for i in range(n):
            values = dict(
                unit_id=world.units[unit].id,
                origin=Origin.EXTERNAL,
                document_type="OFICIO",
                subject=f"Asunto {i}",
                sender=SenderData(level=SenderLevel.STATE, name="Remitente"),
            )
            values.update({k: (v(i) if callable(v) else v) for k, v in fields.items()})
            document, _ = await register_document(ctx, RegisterDocumentData(**values))
            documents.append(document)
    return documents
