"""Mutation root: each takes one `input` and returns a payload with the result and `errors`."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from datetime import date
from typing import overload

from resolvers import admin, auth, turnos
from resolvers.exports.start import start_export
from resolvers.push_subscriptions import register_push_subscription, remove_push_subscription
from resolvers.notification_preferences import UNSET as UNSET_PREFERENCE, PreferencesData, update_preferences
from resolvers.documents import (
    archive_document,
    attach_files,
    conclude_document,
    register_document,
    update_document,
)
from sqlalchemy import select

from models.documents import Document as DocumentModel
from models.errors import validation
from models.exports import Export as ExportModel
from models.org import OrgUnit as OrgUnitModel
from models.turnos import Response as ResponseModel, Turno as TurnoModel
from models.attachments import Attachment as AttachmentModel
from models.users import User as UserModel
from schema.errors import UserError, payload
from schema.idempotency import idempotent_payload
from schema.ids import decode_id, decode_optional_id
from schema.inputs import (
    ArchiveDocumentInput,
    AttachFilesInput,
    ChangePasswordInput,
    CreateArchiveSeriesInput,
    CreateDocumentTypeInput,
    CreateOrgUnitInput,
    CreateUserInput,
    DocumentIdInput,
    EvaluateResponseInput,
    HolidaysInput,
    LoginInput,
    LogoutInput,
    MembershipInput,
    RegisterDocumentInput,
    RespondTurnoInput,
    SendTurnoInput,
    TurnoIdInput,
    UpdateArchiveSeriesInput,
    UpdateDocumentTypeInput,
    UpdateDocumentInput,
    UpdateNotificationPreferencesInput,
    UpdateOrgUnitInput,
    UpdateUserInput,
    RegisterPushSubscriptionInput,
    RemovePushSubscriptionInput,
)
from schema.types.notifications import NotificationPreferences
from schema.types.catalogs import ArchiveSeriesEntry, DocumentTypeEntry
from schema.types.exports import Export, ExportInput, ExportPayload
from schema.types.turnos import Response, Turno
from schema.types.documents import Document
from schema.types.org import OrgUnit, User


@strawberry.type
class LoginPayload:
    errors: list[UserError]
    token: str | None = None
    user: User | None = None


@strawberry.type
class ChangePasswordPayload:
    errors: list[UserError]
    token: str | None = strawberry.field(
        default=None, description="Use this one from now on: every earlier token of yours stopped working."
    )
    user: User | None = None


@strawberry.type
class UpdateNotificationPreferencesPayload:
    errors: list[UserError]
    preferences: NotificationPreferences | None = None


@strawberry.type
class PushSubscriptionPayload:
    errors: list[UserError]


@strawberry.type
class LogoutPayload:
    errors: list[UserError]


@strawberry.type
class RegisterDocumentPayload:
    errors: list[UserError]
    document: Document | None = None
    warnings: list[str] = strawberry.field(default_factory=list)


@strawberry.type
class UpdateDocumentPayload:
    errors: list[UserError]
    document: Document | None = None
    warnings: list[str] = strawberry.field(
        default_factory=list, description="A possible duplicate, as at registration."
    )


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


@strawberry.type
class ArchiveSeriesPayload:
    errors: list[UserError]
    archive_series: ArchiveSeriesEntry | None = None


@strawberry.type
class SendTurnoPayload:
    errors: list[UserError]
    turnos: list[Turno] = strawberry.field(default_factory=list)
    warnings: list[str] = strawberry.field(
        default_factory=list,
        description=(
            "What does not stop the turnos but deserves a look: a fixed dueDate on a weekend or holiday names the "
            "next business day (YYYY-MM-DD)."
        ),
    )


@strawberry.type
class TurnoPayload:
    errors: list[UserError]
    turno: Turno | None = None


@strawberry.type
class RespondTurnoPayload:
    errors: list[UserError]
    response: Response | None = None


@strawberry.type
class EvaluateResponsePayload:
    errors: list[UserError]
    response: Response | None = None
    turno: Turno | None = None


@strawberry.type
class DocumentPayload:
    errors: list[UserError]
    document: Document | None = None


@strawberry.type
class HolidaysPayload:
    errors: list[UserError]
    holidays: list[date] = strawberry.field(
        default_factory=list, description="The institution's own non-working days, all of them."
    )


@overload
def _memberships(items: list[MembershipInput]) -> list[admin.MembershipData]: ...
@overload
def _memberships(items: list[MembershipInput] | None) -> list[admin.MembershipData] | None: ...
def _memberships(items: list[MembershipInput] | None) -> list[admin.MembershipData] | None:
    if items is None:
        return None
    return [m.to_data(f"memberships.{i}") for i, m in enumerate(items)]


async def _one(session, model, key, table: str):
    return await session.get(model, key.created_ids(table)[0])


async def _replay_document(session, key) -> dict:
    return {"document": Document.from_model(await _one(session, DocumentModel, key, "documents"))}


async def _replay_turnos(session, key) -> dict:
    ids = key.created_ids("turnos")
    rows = (await session.execute(select(TurnoModel).where(TurnoModel.id.in_(ids)).order_by(TurnoModel.id))).scalars()
    return {"turnos": [Turno.from_model(t) for t in rows]}


async def _replay_response(session, key) -> dict:
    return {"response": Response.from_model(await _one(session, ResponseModel, key, "responses"))}


async def _replay_attached(session, key) -> dict:
    attachment = await _one(session, AttachmentModel, key, "attachments")
    return {"document": Document.from_model(await session.get(DocumentModel, attachment.document_id))}


async def _replay_org_unit(session, key) -> dict:
    return {"org_unit": OrgUnit.from_model(await _one(session, OrgUnitModel, key, "org_units"))}


async def _replay_user(session, key) -> dict:
    return {"user": User.from_model(await _one(session, UserModel, key, "users"))}


async def _replay_export(session, key) -> dict:
    return {"export": Export.from_model(await _one(session, ExportModel, key, "exports"))}


def _given(value):
    return admin.UNSET if value is strawberry.UNSET else value


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description=(
            "Sign in. Repeated failures make later tries wait (THROTTLED, with retryAfterSeconds); a browser or "
            "address that signed in to the account before waits only for its own failures. Sets the `mcs_device` "
            "cookie that marks this browser as known to the account."
        )
    )
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        async def run():
            token, user = await auth.login(info.context, input.username, input.password)
            return {"token": token, "user": User.from_model(user)}

        return await payload(LoginPayload, run)

    @strawberry.mutation(description="Change my password; every token issued before stops working.")
    async def change_password(self, info: Info, input: ChangePasswordInput) -> ChangePasswordPayload:
        async def run():
            token, user = await auth.change_password(info.context, input.current_password, input.new_password)
            return {"token": token, "user": User.from_model(user)}

        return await payload(ChangePasswordPayload, run)

    @strawberry.mutation(description="Change how and when I am notified; what the input leaves out stays as it was.")
    async def update_notification_preferences(
        self, info: Info, input: UpdateNotificationPreferencesInput
    ) -> UpdateNotificationPreferencesPayload:
        def given(value):
            return UNSET_PREFERENCE if value is strawberry.UNSET else value

        async def run():
            data = PreferencesData(
                channels=[(c.kind, list(c.channels)) for c in input.channels] if input.channels else None,
                include_subunits=input.include_subunits,
                digest_hour=input.digest_hour,
                quiet_from=given(input.quiet_from),
                quiet_to=given(input.quiet_to),
                email=given(input.email),
            )
            return {"preferences": NotificationPreferences.of(*await update_preferences(info.context, data))}

        return await payload(UpdateNotificationPreferencesPayload, run)

    @strawberry.mutation(description="Send my notices to this browser too (Web Push), as my preferences say for PUSH.")
    async def register_push_subscription(
        self, info: Info, input: RegisterPushSubscriptionInput
    ) -> PushSubscriptionPayload:
        async def run():
            await register_push_subscription(info.context, input.endpoint, input.keys.p256dh, input.keys.auth)
            return {}

        return await payload(PushSubscriptionPayload, run)

    @strawberry.mutation(description="Stop sending notices to this browser.")
    async def remove_push_subscription(self, info: Info, input: RemovePushSubscriptionInput) -> PushSubscriptionPayload:
        async def run():
            await remove_push_subscription(info.context, input.endpoint)
            return {}

        return await payload(PushSubscriptionPayload, run)

    @strawberry.mutation(description="End the token of this request, or with everywhere: true every token of mine.")
    async def logout(self, info: Info, input: LogoutInput | None = None) -> LogoutPayload:
        async def run():
            await auth.logout(info.context, everywhere=bool(input and input.everywhere))
            return {}

        return await payload(LogoutPayload, run)

    @strawberry.mutation
    async def register_document(self, info: Info, input: RegisterDocumentInput) -> RegisterDocumentPayload:
        async def run():
            data = input.to_data()
            document, warnings = await register_document(info.context, data)
            return {"document": Document.from_model(document), "warnings": warnings}

        return await idempotent_payload(info, "registerDocument", input, RegisterDocumentPayload, run, _replay_document)

    @strawberry.mutation(
        description=(
            "Correct a registration: REGISTRAR or HEAD of the registering unit, while the document is not concluded. "
            "Writes a DOCUMENT_UPDATED event with each changed field's old and new value."
        )
    )
    async def update_document(self, info: Info, input: UpdateDocumentInput) -> UpdateDocumentPayload:
        async def run():
            changes = input.to_changes()
            document, warnings = await update_document(
                info.context, decode_id(input.document_id, "Document", "documentId"), changes
            )
            return {"document": Document.from_model(document), "warnings": warnings}

        return await payload(UpdateDocumentPayload, run)

    @strawberry.mutation(description="ADMIN only.")
    async def create_org_unit(self, info: Info, input: CreateOrgUnitInput) -> OrgUnitPayload:
        async def run():
            unit = await admin.create_org_unit(
                info.context,
                code=input.code,
                acronym=input.acronym,
                name=input.name,
                kind=input.kind,
                parent_id=decode_optional_id(input.parent_id, "OrgUnit", "parentId"),
            )
            return {"org_unit": OrgUnit.from_model(unit)}

        return await idempotent_payload(info, "createOrgUnit", input, OrgUnitPayload, run, _replay_org_unit)

    @strawberry.mutation(description="ADMIN only: rename, move (no cycles), deactivate.")
    async def update_org_unit(self, info: Info, input: UpdateOrgUnitInput) -> OrgUnitPayload:
        async def run():
            unit = await admin.update_org_unit(
                info.context,
                decode_id(input.id, "OrgUnit", "id"),
                code=input.code,
                acronym=input.acronym,
                name=input.name,
                kind=input.kind,
                parent_id=decode_optional_id(input.parent_id, "OrgUnit", "parentId"),
                active=input.active,
            )
            return {"org_unit": OrgUnit.from_model(unit)}

        return await payload(OrgUnitPayload, run)

    @strawberry.mutation(description="ADMIN only.")
    async def create_user(self, info: Info, input: CreateUserInput) -> UserPayload:
        async def run():
            user = await admin.create_user(
                info.context,
                username=input.username,
                password=input.password,
                full_name=input.full_name,
                position=input.position,
                email=input.email,
                memberships=_memberships(input.memberships),
            )
            return {"user": User.from_model(user)}

        return await idempotent_payload(info, "createUser", input, UserPayload, run, _replay_user)

    @strawberry.mutation(description="ADMIN only: profile, memberships, active, password.")
    async def update_user(self, info: Info, input: UpdateUserInput) -> UserPayload:
        async def run():
            user = await admin.update_user(
                info.context,
                decode_id(input.id, "User", "id"),
                password=input.password,
                full_name=input.full_name,
                position=_given(input.position),
                email=_given(input.email),
                memberships=_memberships(input.memberships),
                active=input.active,
            )
            return {"user": User.from_model(user)}

        return await payload(UserPayload, run)

    @strawberry.mutation(description="ADMIN only.")
    async def create_document_type(self, info: Info, input: CreateDocumentTypeInput) -> DocumentTypePayload:
        async def run():
            item = await admin.create_catalog_entry(info.context, "documentTypes", code=input.code, name=input.name)
            return {"document_type": DocumentTypeEntry.from_model(item)}

        return await payload(DocumentTypePayload, run)

    @strawberry.mutation(description="ADMIN only: rename or (de)activate.")
    async def update_document_type(self, info: Info, input: UpdateDocumentTypeInput) -> DocumentTypePayload:
        async def run():
            item = await admin.update_catalog_entry(
                info.context, "documentTypes", code=input.code, name=input.name, active=input.active
            )
            return {"document_type": DocumentTypeEntry.from_model(item)}

        return await payload(DocumentTypePayload, run)

    @strawberry.mutation(
        description="Turn a document (documentId) or delegate a turno (parentTurnoId) to one or more units."
    )
    async def send_turno(self, info: Info, input: SendTurnoInput) -> SendTurnoPayload:
        async def run():
            data = input.to_data()
            sent, warnings = await turnos.send_turno(info.context, data)
            return {"turnos": [Turno.from_model(t) for t in sent], "warnings": warnings}

        return await idempotent_payload(info, "sendTurno", input, SendTurnoPayload, run, _replay_turnos)

    @strawberry.mutation(description="Record that the recipient unit received (opened) the turno.")
    async def acknowledge_turno(self, info: Info, input: TurnoIdInput) -> TurnoPayload:
        async def run():
            if input.reason is not None:
                raise validation("Solo la cancelación lleva motivo.", "reason")
            turno = await turnos.acknowledge_turno(info.context, decode_id(input.turno_id, "Turno", "turnoId"))
            return {"turno": Turno.from_model(turno)}

        return await payload(TurnoPayload, run)

    @strawberry.mutation
    async def respond_turno(self, info: Info, input: RespondTurnoInput) -> RespondTurnoPayload:
        async def run():
            response = await turnos.respond_turno(
                info.context,
                decode_id(input.turno_id, "Turno", "turnoId"),
                body=input.body,
                reference=input.reference,
                files=list(input.files or []),
            )
            return {"response": Response.from_model(response)}

        return await idempotent_payload(info, "respondTurno", input, RespondTurnoPayload, run, _replay_response)

    @strawberry.mutation(description="ACCEPT concludes the turno; RETURN sends it back with observations.")
    async def evaluate_response(self, info: Info, input: EvaluateResponseInput) -> EvaluateResponsePayload:
        async def run():
            response, turno = await turnos.evaluate_response(
                info.context,
                decode_id(input.response_id, "Response", "responseId"),
                decision=input.decision,
                comment=input.comment,
                new_due_date=input.new_due_date,
            )
            return {"response": Response.from_model(response), "turno": Turno.from_model(turno)}

        return await payload(EvaluateResponsePayload, run)

    @strawberry.mutation(
        description="Cancel a turno that is not concluded, and its open delegations, with an "
        "optional reason (input.reason)."
    )
    async def cancel_turno(self, info: Info, input: TurnoIdInput) -> TurnoPayload:
        async def run():
            turno = await turnos.cancel_turno(
                info.context, decode_id(input.turno_id, "Turno", "turnoId"), reason=input.reason
            )
            return {"turno": Turno.from_model(turno)}

        return await payload(TurnoPayload, run)

    @strawberry.mutation(description="Add digitized files to a document (multipart request, header x-mcs-csrf).")
    async def attach_files(self, info: Info, input: AttachFilesInput) -> DocumentPayload:
        async def run():
            document = await attach_files(
                info.context, decode_id(input.document_id, "Document", "documentId"), list(input.files)
            )
            return {"document": Document.from_model(document)}

        return await idempotent_payload(info, "attachFiles", input, DocumentPayload, run, _replay_attached)

    @strawberry.mutation
    async def conclude_document(self, info: Info, input: DocumentIdInput) -> DocumentPayload:
        async def run():
            document = await conclude_document(info.context, decode_id(input.document_id, "Document", "documentId"))
            return {"document": Document.from_model(document)}

        return await payload(DocumentPayload, run)

    @strawberry.mutation
    async def archive_document(self, info: Info, input: ArchiveDocumentInput) -> DocumentPayload:
        async def run():
            document, _ = await archive_document(
                info.context,
                decode_id(input.document_id, "Document", "documentId"),
                series=input.series,
                file_number=input.file_number,
            )
            return {"document": Document.from_model(document)}

        return await payload(DocumentPayload, run)

    @strawberry.mutation(
        description=(
            "Start an Excel export of the documents or the turnos matching a filter (exactly one); follow it with "
            "exportProgress or node. At most MCS_EXPORT_MAX_PER_USER pending or running per user (THROTTLED)."
        )
    )
    async def start_export(self, info: Info, input: ExportInput) -> ExportPayload:
        async def run():
            export = await start_export(
                info.context,
                documents=input.documents.to_spec() if input.documents else None,
                turnos=input.turnos.to_spec() if input.turnos else None,
                documents_given=input.documents is not None,
                turnos_given=input.turnos is not None,
                box=input.box.value if input.box else None,
            )
            return {"export": Export.from_model(export)}

        return await idempotent_payload(info, "startExport", input, ExportPayload, run, _replay_export)

    @strawberry.mutation(description="ADMIN only: the institution's own non-working days (vacation periods).")
    async def add_holidays(self, info: Info, input: HolidaysInput) -> HolidaysPayload:
        async def run():
            return {
                "holidays": await admin.change_holidays(
                    info.context, input.dates, description=input.description, add=True
                )
            }

        return await payload(HolidaysPayload, run)

    @strawberry.mutation(description="ADMIN only.")
    async def remove_holidays(self, info: Info, input: HolidaysInput) -> HolidaysPayload:
        async def run():
            return {
                "holidays": await admin.change_holidays(
                    info.context, input.dates, description=input.description, add=False
                )
            }

        return await payload(HolidaysPayload, run)

    @strawberry.mutation(description="ADMIN only.")
    async def create_archive_series(self, info: Info, input: CreateArchiveSeriesInput) -> ArchiveSeriesPayload:
        async def run():
            item = await admin.create_catalog_entry(info.context, "archiveSeries", code=input.code, name=input.name)
            return {"archive_series": ArchiveSeriesEntry.from_model(item)}

        return await payload(ArchiveSeriesPayload, run)

    @strawberry.mutation(description="ADMIN only: rename or (de)activate.")
    async def update_archive_series(self, info: Info, input: UpdateArchiveSeriesInput) -> ArchiveSeriesPayload:
        async def run():
            item = await admin.update_catalog_entry(
                info.context, "archiveSeries", code=input.code, name=input.name, active=input.active
            )
            return {"archive_series": ArchiveSeriesEntry.from_model(item)}

        return await payload(ArchiveSeriesPayload, run)
