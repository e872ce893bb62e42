"""Field guards: the schema asks models.permissions and turns a "no" into an error on the field."""

from __future__ import annotations

from functools import cached_property
from inspect import isawaitable
from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from models.documents import SenderLevel
from models.permissions import ChainUnit, can_see_confidential, can_see_personal_data, sees_attachment, sees_unit
from schema.at_hand import load_now_or_later, settled


class AtHandPermissions(PermissionExtension):
    """strawberry's permission check for checks that answer now (a bool) when their data are at
    hand, and later (an awaitable) when not: the field stays synchronous on a page whose rows were
    preloaded (schema/at_hand.py). strawberry's own refuses an awaitable on a synchronous field."""

    def resolve(self, next_, source: Any, info: Info, **kwargs) -> Any:
        for i, permission in enumerate(self.permissions):
            verdict = permission.has_permission(source, info, **kwargs)
            if isawaitable(verdict):
                return self._later(verdict, permission, self.permissions[i + 1 :], next_, source, info, kwargs)
            if verdict is not True:
                return self._on_unauthorized(permission)
        return next_(source, info, **kwargs)

    async def _later(self, verdict, permission, rest, next_, source, info, kwargs) -> Any:
        if await verdict is not True:
            return self._on_unauthorized(permission)
        for permission in rest:
            if await settled(permission.has_permission(source, info, **kwargs)) is not True:
                return self._on_unauthorized(permission)
        return await settled(next_(source, info, **kwargs))

    @cached_property
    def supports_sync(self) -> bool:
        return True


def guarded_by(*permissions: type[BasePermission]) -> list[FieldExtension]:
    """`strawberry.field(extensions=guarded_by(ConfidentialField))`: for the checks below whose
    `has_permission` answers now or later."""
    return [AtHandPermissions([permission() for permission in permissions], use_directives=False)]


class IsAuthenticated(BasePermission):
    message = "Inicie sesión para continuar."
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Info, **kwargs) -> bool:
        return info.context.principal is not None


class ConfidentialField(BasePermission):
    """Subject, summary, sender and files of a confidential document: chain members and HEADs above."""

    message = "Documento confidencial: no tiene acceso a este campo."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs):
        """Now for a document that is not confidential, or whose chain this request read (the
        list's look-ahead reads those of its confidential documents); else later."""
        if not source.confidential:
            return True
        principal = info.context.principal
        if principal is None:
            return False
        return load_now_or_later(
            info.context.loaders.chain_by_document_id,
            source.db_id,
            lambda chain: can_see_confidential(principal, chain),
        )


class PersonalDataField(BasePermission):
    """A citizen sender's email, phone and address: members of units on the chain only."""

    message = "Datos personales del remitente: solo las unidades que atienden el documento los ven."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs):
        if source.level != SenderLevel.CITIZEN:
            return True
        principal = info.context.principal
        if principal is None:
            return False
        return load_now_or_later(
            info.context.loaders.chain_by_document_id,
            source.document_db_id,
            lambda chain: can_see_personal_data(principal, chain),
        )


class ResponseFilesField(BasePermission):
    """An answer's files: the rule of every file (models.permissions.sees_attachment, the twin of
    visible_attachments): the answer's turno visible, and the confidential rule of its document."""

    message = ConfidentialField.message
    error_extensions = {"code": "FORBIDDEN"}

    async def has_permission(self, source: Any, info: Info, **kwargs) -> bool:
        loaders, principal = info.context.loaders, info.context.principal
        turno = await loaders.visible_turno_by_id.load(source.model.turno_id)
        document = await loaders.visible_document_by_id.load(turno.document_id) if turno else None
        if principal is None or document is None:
            return False
        from_unit, to_unit = await loaders.org_unit_by_id.load_many([turno.from_unit_id, turno.to_unit_id])
        return sees_attachment(
            principal,
            chain=await loaders.chain_by_document_id.load(document.id),
            confidential=document.confidential,
            turno_units=(ChainUnit(from_unit.id, from_unit.path), ChainUnit(to_unit.id, to_unit.path)),
        )


class UnitInScopeField(BasePermission):
    """Who works in a unit: for the unit's own people, those who see its subtree, and ADMIN."""

    message = "Solo ve a las personas de las unidades a su alcance."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs) -> bool:
        principal = info.context.principal
        return principal is not None and (
            principal.is_admin or sees_unit(principal, ChainUnit(source.db_id, source.path))
        )


class DirectoryField(BasePermission):
    """A person's username, e-mail and memberships: for themselves, the people of the units in
    their scope, and ADMIN (models.permissions.visible_users); others see only the name."""

    message = "Solo ve los datos de las personas de las unidades a su alcance."
    error_extensions = {"code": "FORBIDDEN"}

    async def has_permission(self, source: Any, info: Info, **kwargs) -> bool:
        return await info.context.loaders.visible_user_by_id.load(source.db_id) is not None
