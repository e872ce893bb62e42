"""The permission layer: the one place that decides who sees and does what (PRODUCT.md).

Row rules are SQL predicates so that every list, `node`, export and subscription filters in
the database; field rules are plain functions over a document's chain. Nothing else in the
code decides visibility.

- A user sees a document when one of their membership units is on its chain, or when they
  are HEAD, REGISTRAR or VIEWER of an ancestor of a unit on the chain. ADMIN sees every row.
- Confidential fields (subject, summary, sender, files) are shown to members of units on the
  chain and to HEADs of their ancestors only.
- A citizen sender's personal data (email, phone, address) is shown to members of units on
  the chain only.
- A file follows its document (row and confidential rule); a file of an answer also needs the
  answer's turno to be visible (`visible_attachments`): everywhere a file or its text could
  reach someone (node, downloads, search).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable

from sqlalchemy import ColumnElement, and_, case, exists, false, or_, select, true
from sqlalchemy.orm import aliased
from sqlalchemy.orm.util import AliasedClass

from models.attachments import Attachment
from models.documents import Document, DocumentUnit
from models.events import Event
from models.org import OrgUnit
from models.turnos import Response, Turno
from models.users import SUBTREE_ROLES, Membership, Role, User


@dataclass(frozen=True)
class MembershipGrant:
    unit_id: int
    unit_path: str
    role: Role


@dataclass(frozen=True)
class Principal:
    """Who is acting: the user and their memberships with the path of each unit. The derived
    sets are computed once per principal: the realtime hub asks them for every event."""

    user_id: int
    username: str
    memberships: tuple[MembershipGrant, ...] = field(default_factory=tuple)

    @cached_property
    def is_admin(self) -> bool:
        return any(m.role == Role.ADMIN for m in self.memberships)

    @cached_property
    def unit_ids(self) -> frozenset[int]:
        return frozenset(m.unit_id for m in self.memberships)

    @cached_property
    def subtree_paths(self) -> tuple[str, ...]:
        """Paths whose whole subtree this user sees (HEAD, REGISTRAR, VIEWER)."""
        return _minimal_prefixes(m.unit_path for m in self.memberships if m.role in SUBTREE_ROLES)

    @cached_property
    def head_paths(self) -> tuple[str, ...]:
        return _minimal_prefixes(m.unit_path for m in self.memberships if m.role == Role.HEAD)

    def roles_in(self, unit_id: int) -> set[Role]:
        return {m.role for m in self.memberships if m.unit_id == unit_id}


def _minimal_prefixes(paths: Iterable[str]) -> tuple[str, ...]:
    """Drop paths already covered by a shorter one: '/1/' covers '/1/5/'."""
    result: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(p) for p in result):
            result.append(path)
    return tuple(result)


# --- row visibility (SQL) ---------------------------------------------------------------


def unit_in_scope(principal: Principal, unit: type[OrgUnit] | AliasedClass[OrgUnit]) -> ColumnElement[bool]:
    """`unit` (an OrgUnit alias) is one of the user's units, or below one they see as a subtree."""
    conditions: list[ColumnElement[bool]] = []
    if principal.unit_ids:
        conditions.append(unit.id.in_(sorted(principal.unit_ids)))
    conditions += [unit.path.startswith(p, autoescape=True) for p in principal.subtree_paths]
    return or_(*conditions) if conditions else false()


def chain_in_scope(principal: Principal, document_id) -> ColumnElement[bool]:
    """SQL predicate: some unit on the chain of document `document_id` is in the user's scope."""
    chain_unit = aliased(OrgUnit)
    return exists(
        select(1)
        .select_from(DocumentUnit)
        .join(chain_unit, chain_unit.id == DocumentUnit.unit_id)
        .where(DocumentUnit.document_id == document_id, unit_in_scope(principal, chain_unit))
    )


def visible_documents(principal: Principal, document=Document) -> ColumnElement[bool]:
    """SQL predicate: the user may see this document's row."""
    if principal.is_admin:
        return true()
    return chain_in_scope(principal, document.id)


def unit_id_in_scope(principal: Principal, unit_id) -> ColumnElement[bool]:
    """SQL predicate over a unit-id column: that unit is in the user's scope."""
    unit = aliased(OrgUnit)
    direct = unit_id.in_(sorted(principal.unit_ids)) if principal.unit_ids else false()
    if not principal.subtree_paths:
        return direct
    below = exists(
        select(1)
        .select_from(unit)
        .where(unit.id == unit_id, or_(*[unit.path.startswith(p, autoescape=True) for p in principal.subtree_paths]))
    )
    return or_(direct, below)


async def unit_ids_in_scope(session, principal: Principal, within: str | None = None) -> frozenset[int]:
    """The ids of the units `unit_id_in_scope` admits (with `within`, only those under that path),
    read once: a list of turnos is then matched by `unit_id IN (ids)`, which its indexes serve,
    instead of a subquery over paths for each row (bench/INBOX.md: 211 -> 40 ms for a HEAD)."""
    if within is None and not principal.subtree_paths:
        return principal.unit_ids
    conditions = [OrgUnit.path.startswith(p, autoescape=True) for p in principal.subtree_paths]
    if principal.unit_ids:
        conditions.append(OrgUnit.id.in_(sorted(principal.unit_ids)))
    if not conditions:
        return frozenset()
    rows = await session.execute(select(OrgUnit.id, OrgUnit.path).where(or_(*conditions)))
    return frozenset(unit_id for unit_id, path in rows if within is None or path.startswith(within))


def visible_turnos(principal: Principal, turno=Turno) -> ColumnElement[bool]:
    """Turnos follow their document, narrowed by role: STAFF see the turnos from or to their own
    units; HEAD, REGISTRAR and VIEWER also those of their units' descendants. ADMIN: all."""
    if principal.is_admin:
        return true()
    return or_(unit_id_in_scope(principal, turno.from_unit_id), unit_id_in_scope(principal, turno.to_unit_id))


def visible_events(principal: Principal) -> ColumnElement[bool]:
    """SQL predicate: the user may see what this event is about.

    An event about a turno follows the turno's visibility; one about a document only, the
    document's; events about neither (administration) are ADMIN's only.
    """
    if principal.is_admin:
        return true()
    about_turno = exists(select(1).where(Turno.id == Event.turno_id, visible_turnos(principal)))
    return case((Event.turno_id.is_not(None), about_turno), else_=chain_in_scope(principal, Event.document_id))


def visible_users(principal: Principal, user=User) -> ColumnElement[bool]:
    """SQL predicate: the directory a person may read (username, e-mail, memberships): themselves
    and the people of the units in their scope; ADMIN: everyone. Others appear only by name, as
    the actors of what the person may see."""
    if principal.is_admin:
        return true()
    unit = aliased(OrgUnit)
    return or_(
        user.id == principal.user_id,
        exists(
            select(1)
            .select_from(Membership)
            .join(unit, unit.id == Membership.unit_id)
            .where(Membership.user_id == user.id, unit_in_scope(principal, unit))
        ),
    )


def confidential_readable(principal: Principal, document=Document) -> ColumnElement[bool]:
    """SQL twin of can_see_confidential: the document is not confidential, or the user is a
    member of a unit on its chain or HEAD above one. Filters on protected fields (search on
    the subject, the sender's level) must not match what the user may not read."""
    conditions: list[ColumnElement[bool]] = []
    if principal.unit_ids:
        conditions.append(DocumentUnit.unit_id.in_(sorted(principal.unit_ids)))
    chain_unit = aliased(OrgUnit)
    conditions += [chain_unit.path.startswith(p, autoescape=True) for p in principal.head_paths]
    if not conditions:
        return ~document.confidential
    return or_(
        ~document.confidential,
        exists(
            select(1)
            .select_from(DocumentUnit)
            .join(chain_unit, chain_unit.id == DocumentUnit.unit_id)
            .where(DocumentUnit.document_id == document.id, or_(*conditions))
        ),
    )


# made once: a new alias of a wide table costs milliseconds, and a search asks for several; each
# use is a subquery of its own, so one alias serves them all
_FILE_DOCUMENT, _FILE_RESPONSE, _FILE_TURNO = (
    aliased(Document, name="file_document"),
    aliased(Response, name="file_response"),
    aliased(Turno, name="file_turno"),
)


def visible_attachments(principal: Principal, attachment=Attachment) -> ColumnElement[bool]:
    """SQL predicate: the user may see this file, its name and its text. It is one of a document
    whose row they see and whose protected fields they may read (files are a confidential
    field); a file of an answer also needs the answer's turno visible (visible_turnos), or a
    STAFF of a sibling unit would read an answer they cannot see. Aliases inside, so the
    caller's own documents or turnos never get correlated by mistake."""
    document, response, turno = _FILE_DOCUMENT, _FILE_RESPONSE, _FILE_TURNO
    of_document = exists(
        select(1).where(
            document.id == attachment.document_id,
            visible_documents(principal, document),
            confidential_readable(principal, document),
        )
    )
    if principal.is_admin:
        return of_document
    answer_seen = exists(
        select(1).where(
            response.id == attachment.response_id, turno.id == response.turno_id, visible_turnos(principal, turno)
        )
    )
    return and_(of_document, or_(attachment.response_id.is_(None), answer_seen))


# --- field visibility (Python, over a document's chain) ---------------------------------


@dataclass(frozen=True)
class ChainUnit:
    unit_id: int
    path: str


def is_on_chain(principal: Principal, chain: Iterable[ChainUnit]) -> bool:
    return any(c.unit_id in principal.unit_ids for c in chain)


def can_see_confidential(principal: Principal, chain: list[ChainUnit]) -> bool:
    """Members of chain units and HEADs of their ancestors (an ADMIN off the chain: no)."""
    if is_on_chain(principal, chain):
        return True
    return any(c.path.startswith(h) for c in chain for h in principal.head_paths)


def can_see_personal_data(principal: Principal, chain: list[ChainUnit]) -> bool:
    """A citizen sender's contact data: members of units on the chain only."""
    return is_on_chain(principal, chain)


# the fields of a document a correction event (DOCUMENT_UPDATED) may name, by protection
CONFIDENTIAL_FIELDS = frozenset(
    {
        "subject",
        "summary",
        "sender.level",
        "sender.name",
        "sender.position",
        "sender.organization",
        "sender.email",
        "sender.phone",
        "sender.address",
    }
)
PERSONAL_FIELDS = frozenset({"sender.email", "sender.phone", "sender.address"})


def readable_changes(principal: Principal, chain: list[ChainUnit], data: dict) -> list[dict]:
    """The `changes` of a correction event as this user may read them: the old and new values of
    fields that were protected (confidential before or after; a citizen's contact data) are
    null and marked `masked` for who may not read those fields on the document itself."""
    hide: set[str] = set()
    if data.get("confidential") and not can_see_confidential(principal, chain):
        hide |= CONFIDENTIAL_FIELDS
    if data.get("citizen") and not can_see_personal_data(principal, chain):
        hide |= PERSONAL_FIELDS
    return [
        {"field": c["field"], "old": None, "new": None, "masked": True} if c["field"] in hide else c
        for c in data.get("changes", [])
    ]


# --- row visibility (Python twins) --------------------------------------------------------
# The realtime hub reads each new event once per process and decides here, for every
# subscriber, what the SQL predicates above decide for a query. tests/test_permissions.py
# holds each pair together over the whole role x relation matrix.


def sees_unit(principal: Principal, unit: ChainUnit) -> bool:
    """Twin of unit_in_scope / unit_id_in_scope."""
    return unit.unit_id in principal.unit_ids or any(unit.path.startswith(p) for p in principal.subtree_paths)


def sees_document(principal: Principal, chain: Iterable[ChainUnit]) -> bool:
    """Twin of visible_documents, over the document's chain."""
    return principal.is_admin or any(sees_unit(principal, c) for c in chain)


def sees_turno(principal: Principal, from_unit: ChainUnit, to_unit: ChainUnit) -> bool:
    """Twin of visible_turnos."""
    return principal.is_admin or sees_unit(principal, from_unit) or sees_unit(principal, to_unit)


def sees_event(
    principal: Principal,
    *,
    turno_units: tuple[ChainUnit, ChainUnit] | None,
    has_turno: bool,
    chain: Iterable[ChainUnit],
) -> bool:
    """Twin of visible_events. `has_turno`: the event names a turno; `turno_units` is its
    (from, to) units, None when that turno does not exist."""
    if principal.is_admin:
        return True
    if has_turno:
        return turno_units is not None and sees_turno(principal, *turno_units)
    return any(sees_unit(principal, c) for c in chain)


def sees_attachment(
    principal: Principal, *, chain: list[ChainUnit], confidential: bool, turno_units: tuple[ChainUnit, ChainUnit] | None
) -> bool:
    """Twin of visible_attachments. `turno_units`: the (from, to) units of the answer's turno;
    None for a file of the document itself."""
    if not sees_document(principal, chain):
        return False
    if confidential and not can_see_confidential(principal, chain):
        return False
    return turno_units is None or sees_turno(principal, *turno_units)


# --- actions ----------------------------------------------------------------------------

REGISTER_ROLES = frozenset({Role.REGISTRAR, Role.HEAD})


def can_register_in(principal: Principal, unit_id: int) -> bool:
    """REGISTRAR or HEAD of that very unit; ADMIN anywhere."""
    return principal.is_admin or bool(principal.roles_in(unit_id) & REGISTER_ROLES)


def can_administer(principal: Principal) -> bool:
    return principal.is_admin


SEND_ROLES = frozenset({Role.HEAD, Role.REGISTRAR})
WORK_ROLES = frozenset({Role.HEAD, Role.REGISTRAR, Role.STAFF})


def can_send_from(principal: Principal, unit_id: int) -> bool:
    """Turnos leave a unit by its HEAD, or by its REGISTRAR on the head's behalf."""
    return bool(principal.roles_in(unit_id) & SEND_ROLES)


def can_work_turno(principal: Principal, turno: Turno) -> bool:
    """Acknowledge and answer: STAFF, HEAD or REGISTRAR of the recipient unit."""
    return bool(principal.roles_in(turno.to_unit_id) & WORK_ROLES)


def can_evaluate_turno(principal: Principal, turno: Turno) -> bool:
    """Accept, return or cancel: HEAD or REGISTRAR of the turning unit."""
    return bool(principal.roles_in(turno.from_unit_id) & SEND_ROLES)


def can_close_document(principal: Principal, document: Document) -> bool:
    """Conclude and archive: HEAD or REGISTRAR of the registering unit."""
    return bool(principal.roles_in(document.unit_id) & SEND_ROLES)


def can_correct_document(principal: Principal, document: Document) -> bool:
    """Correct a registration (updateDocument): REGISTRAR or HEAD of the registering unit; not an
    ADMIN elsewhere, who may not even read a confidential document's fields."""
    return bool(principal.roles_in(document.unit_id) & REGISTER_ROLES)
