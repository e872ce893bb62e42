"""Mutation root: each takes one `input` and returns a payload with the result and `errors`."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from models.errors import DomainError
from resolvers import admin, auth
from resolvers.documents import RegisterDocumentData, SenderData, register_document
from schema.errors import UserError, payload
from schema.ids import decode_id, decode_optional_id
from schema.inputs import (
    CreateDocumentTypeInput, CreateOrgUnitInput, CreateUserInput, LoginInput, MembershipInput,
    RegisterDocumentInput, UpdateDocumentTypeInput, UpdateOrgUnitInput, UpdateUserInput,
)
from schema.types.catalogs import DocumentTypeEntry
from schema.types.documents import Document
from schema.types.org import OrgUnit, User


@strawberry.type
class LoginPayload:
    errors: list[UserError]
    token: str | None = None
    user: User | None = None


@strawberry.type
class RegisterDocumentPayload:
    errors: list[UserError]
    document: Document | None = None
    warnings: list[str] = strawberry.field(default_factory=list)


@strawberry.type
class OrgUnitPayload:
    errors: list[UserError]
    org_unit: OrgUnit | None = None


@strawberry.type
class UserPayload:
    errors: list[UserError]
    user: User | None = None


@strawberry.type
class DocumentTypePayload:
    errors: list[UserError]
    document_type: DocumentTypeEntry | None = None


def _memberships(items: list[MembershipInput] | None) -> list[admin.MembershipData] | None:
    if items is None:
        return None
    return [admin.MembershipData(unit_id=decode_id(m.unit_id, "OrgUnit", f"memberships.{i}.unitId"), role=m.role)
            for i, m in enumerate(items)]


def _given(value):
    return admin.UNSET if value is strawberry.UNSET else value


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        async def run():
            token, user = await auth.login(info.context.services, input.username, input.password)
            return {"token": token, "user": User.from_model(user)}
        return await payload(LoginPayload, run)

    @strawberry.mutation
    async def register_document(self, info: Info, input: RegisterDocumentInput) -> RegisterDocumentPayload:
        async def run():
            s = input.sender
            data = RegisterDocumentData(
                unit_id=decode_id(input.unit_id, "OrgUnit", "unitId"), origin=input.origin,
                document_type=input.document_type, subject=input.subject,
                sender=SenderData(level=s.level, name=s.name, position=s.position, organization=s.organization,
                                  email=s.email, phone=s.phone, address=s.address),
                reference=input.reference, summary=input.summary, addressee=input.addressee,
                document_date=input.document_date, received_at=input.received_at, due_date=input.due_date,
                priority=input.priority, confidential=input.confidential,
            )
            document, warnings = await register_document(info.context, data)
            return {"document": Document.from_model(document), "warnings": warnings}
        return await payload(RegisterDocumentPayload, run)

    @strawberry.mutation(description="ADMIN only.")
    async def create_org_unit(self, info: Info, input: CreateOrgUnitInput) -> OrgUnitPayload:
        async def run():
            unit = await admin.create_org_unit(
                info.context, code=input.code, acronym=input.acronym, name=input.name, kind=input.kind,
                parent_id=decode_optional_id(input.parent_id, "OrgUnit", "parentId"))
            return {"org_unit": OrgUnit.from_model(unit)}
        return await payload(OrgUnitPayload, run)

    @strawberry.mutation(description="ADMIN only: rename, move (no cycles), deactivate.")
    async def update_org_unit(self, info: Info, input: UpdateOrgUnitInput) -> OrgUnitPayload:
        async def run():
            unit = await admin.update_org_unit(
                info.context, decode_id(input.id, "OrgUnit", "id"), code=input.code, acronym=input.acronym,
                name=input.name, kind=input.kind, parent_id=decode_optional_id(input.parent_id, "OrgUnit", "parentId"),
                active=input.active)
            return {"org_unit": OrgUnit.from_model(unit)}
        return await payload(OrgUnitPayload, run)

    @strawberry.mutation(description="ADMIN only.")
    async def create_user(self, info: Info, input: CreateUserInput) -> UserPayload:
        async def run():
            user = await admin.create_user(
                info.context, username=input.username, password=input.password, full_name=input.full_name,
                position=input.position, email=input.email, memberships=_memberships(input.memberships))
            return {"user": User.from_model(user)}
        return await payload(UserPayload, run)

    @strawberry.mutation(description="ADMIN only: profile, memberships, active, password.")
    async def update_user(self, info: Info, input: UpdateUserInput) -> UserPayload:
        async def run():
            user = await admin.update_user(
                info.context, decode_id(input.id, "User", "id"), password=input.password,
                full_name=input.full_name, position=_given(input.position), email=_given(input.email),
                memberships=_memberships(input.memberships), active=input.active)
            return {"user": User.from_model(user)}
        return await payload(UserPayload, run)

    @strawberry.mutation(description="ADMIN only.")
    async def create_document_type(self, info: Info, input: CreateDocumentTypeInput) -> DocumentTypePayload:
        async def run():
            item = await admin.create_document_type(info.context, code=input.code, name=input.name)
            return {"document_type": DocumentTypeEntry.from_model(item)}
        return await payload(DocumentTypePayload, run)

    @strawberry.mutation(description="ADMIN only: rename or (de)activate.")
    async def update_document_type(self, info: Info, input: UpdateDocumentTypeInput) -> DocumentTypePayload:
        async def run():
            item = await admin.update_document_type(info.context, code=input.code, name=input.name, active=input.active)
            return {"document_type": DocumentTypeEntry.from_model(item)}
        return await payload(DocumentTypePayload, run)
