"""Input types of the contract, and their translation into the use cases' plain data.

Each input converts itself (`to_data`, `to_spec`, `to_changes`): a field that keeps its name
from the input to the use case's dataclass is copied by name (`same_named`), so adding one is a
change to the two declarations only.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import strawberry

from strawberry.file_uploads import Upload

from models.filters import DocumentFilterSpec, TurnoFilterSpec
from resolvers.admin import MembershipData
from resolvers.documents import RegisterDocumentData, SenderData
from resolvers.turnos import RecipientData, SendTurnoData
from schema.enums import (
    Decision,
    DocumentStatus,
    Instruction,
    NotificationChannel,
    NotificationKind,
    OrgUnitKind,
    Origin,
    Priority,
    Role,
    SenderLevel,
    TrafficLight,
    TurnoStatus,
)
from schema.ids import decode_id, decode_optional_id


def same_named(source, data_class, **given):
    """`data_class` filled from `source`'s attributes of the same names, `given` taking precedence."""
    values = {f.name: getattr(source, f.name) for f in dataclasses.fields(data_class) if hasattr(source, f.name)}
    return data_class(**(values | given))


@strawberry.input(description="Inclusive at both ends, read in the institution's time zone.")
class Period:
    from_: date | None = strawberry.field(name="from", default=None)
    to: date | None = None


@strawberry.input
class DocumentFilter:
    period: Period | None = None
    unit_id: strawberry.ID | None = strawberry.field(
        default=None, description="Documents whose chain passes through this unit."
    )
    include_subunits: bool | None = None
    status: list[DocumentStatus] | None = None
    origin: Origin | None = None
    sender_level: list[SenderLevel] | None = None
    document_type: list[str] | None = None
    priority: Priority | None = None
    traffic_light: list[TrafficLight] | None = None
    search: str | None = strawberry.field(
        default=None,
        description=(
            "Full-text, accent- and case-insensitive: every word must appear in the subject, summary, sender, "
            "folio, reference, addressee or the text read from the files (a confidential document's subject, "
            "summary, sender and files only for who may read them). Lists `documents` best match first unless "
            "orderBy says RECEIVED."
        ),
    )

    def to_spec(self) -> DocumentFilterSpec:
        period = self.period or Period()
        return DocumentFilterSpec(
            period_from=period.from_,
            period_to=period.to,
            unit_id=decode_optional_id(self.unit_id, "OrgUnit", "filter.unitId"),
            include_subunits=bool(self.include_subunits),
            status=[s.value for s in self.status or []],
            origin=self.origin.value if self.origin else None,
            sender_level=[s.value for s in self.sender_level or []],
            document_type=list(self.document_type or []),
            priority=self.priority.value if self.priority else None,
            traffic_light=[t.value for t in self.traffic_light or []],
            search=self.search,
        )


@strawberry.input
class LoginInput:
    username: str
    password: str


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str = strawberry.field(description="The policy of createUser.")


@strawberry.input
class LogoutInput:
    everywhere: bool | None = strawberry.field(
        default=False, description="End every token of mine (every device), not only the one of this request."
    )


@strawberry.input
class SenderInput:
    level: SenderLevel
    name: str
    position: str | None = None
    organization: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None

    def to_data(self) -> SenderData:
        return same_named(self, SenderData)


@strawberry.input
class RegisterDocumentInput:
    unit_id: strawberry.ID = strawberry.field(description="The registering unit (one of my memberships).")
    origin: Origin
    document_type: str
    subject: str
    sender: SenderInput
    reference: str | None = None
    summary: str | None = None
    addressee: str | None = None
    document_date: date | None = None
    received_at: datetime | None = None
    due_date: date | None = None
    priority: Priority | None = None
    confidential: bool | None = None
    files: list[Upload] | None = None

    def to_data(self) -> RegisterDocumentData:
        return same_named(
            self,
            RegisterDocumentData,
            unit_id=decode_id(self.unit_id, "OrgUnit", "unitId"),
            sender=self.sender.to_data(),
            files=list(self.files or []),
        )


@strawberry.input(
    description="A correction of a registration: only the fields given change (null clears an "
    "optional one); the folio, the unit and the reception time never change."
)
class UpdateDocumentInput:
    document_id: strawberry.ID
    origin: Origin | None = strawberry.UNSET
    document_type: str | None = strawberry.UNSET
    subject: str | None = strawberry.UNSET
    sender: SenderInput | None = strawberry.field(default=strawberry.UNSET, description="Replaces the whole sender.")
    reference: str | None = strawberry.UNSET
    summary: str | None = strawberry.UNSET
    addressee: str | None = strawberry.UNSET
    document_date: date | None = strawberry.UNSET
    due_date: date | None = strawberry.UNSET
    priority: Priority | None = strawberry.UNSET
    confidential: bool | None = strawberry.UNSET

    def to_changes(self) -> dict:
        """The fields given (null included), by name; the sender as the use case's data."""
        changes = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name != "document_id" and getattr(self, f.name) is not strawberry.UNSET
        }
        if changes.get("sender") is not None:
            changes["sender"] = changes["sender"].to_data()
        return changes


@strawberry.input
class CreateOrgUnitInput:
    code: str
    acronym: str
    name: str
    kind: OrgUnitKind
    parent_id: strawberry.ID | None = None


@strawberry.input
class UpdateOrgUnitInput:
    id: strawberry.ID
    code: str | None = None
    acronym: str | None = None
    name: str | None = None
    kind: OrgUnitKind | None = None
    parent_id: strawberry.ID | None = None
    active: bool | None = None


@strawberry.input
class MembershipInput:
    unit_id: strawberry.ID
    role: Role
    starts_on: date | None = strawberry.field(
        default=None,
        description=(
            "A substitute (suplencia): the membership counts from this day (the institution's date), included."
        ),
    )
    ends_on: date | None = strawberry.field(
        default=None,
        description=("A substitute (suplencia): the membership counts up to this day, included; not before startsOn."),
    )

    def to_data(self, field: str) -> MembershipData:
        return same_named(self, MembershipData, unit_id=decode_id(self.unit_id, "OrgUnit", f"{field}.unitId"))


@strawberry.input
class CreateUserInput:
    username: str
    password: str
    full_name: str
    memberships: list[MembershipInput]
    position: str | None = None
    email: str | None = None


@strawberry.input
class UpdateUserInput:
    id: strawberry.ID
    password: str | None = None
    full_name: str | None = None
    position: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    memberships: list[MembershipInput] | None = None
    active: bool | None = None


@strawberry.input
class CreateDocumentTypeInput:
    code: str
    name: str


@strawberry.input
class UpdateDocumentTypeInput:
    code: str
    name: str | None = None
    active: bool | None = None


@strawberry.input
class TurnoFilter:
    period: Period | None = strawberry.field(default=None, description="On sentAt.")
    unit_id: strawberry.ID | None = strawberry.field(
        default=None, description="The recipient unit in the inbox, the sending unit in the outbox."
    )
    include_subunits: bool | None = strawberry.field(
        default=None, description="Default true: HEAD, REGISTRAR and VIEWER also see their units' descendants."
    )
    status: list[TurnoStatus] | None = None
    instruction: list[Instruction] | None = None
    traffic_light: list[TrafficLight] | None = None
    priority: Priority | None = None
    origin: Origin | None = None
    sender_level: list[SenderLevel] | None = None
    document_type: list[str] | None = None
    search: str | None = strawberry.field(
        default=None,
        description=("The document's full-text search (see DocumentFilter.search); the turnos keep their order."),
    )

    def to_spec(self) -> TurnoFilterSpec:
        period = self.period or Period()
        return TurnoFilterSpec(
            period_from=period.from_,
            period_to=period.to,
            unit_id=decode_optional_id(self.unit_id, "OrgUnit", "filter.unitId"),
            include_subunits=self.include_subunits is not False,
            status=[s.value for s in self.status or []],
            instruction=[i.value for i in self.instruction or []],
            traffic_light=[t.value for t in self.traffic_light or []],
            priority=self.priority.value if self.priority else None,
            origin=self.origin.value if self.origin else None,
            sender_level=[s.value for s in self.sender_level or []],
            document_type=list(self.document_type or []),
            search=self.search,
        )


@strawberry.input
class TurnoRecipientInput:
    unit_id: strawberry.ID
    instruction: Instruction
    due_date: date | None = None
    business_days: int | None = strawberry.field(default=None, description="Counted from today, in business days.")
    notes: str | None = None

    def to_data(self, field: str) -> RecipientData:
        return same_named(self, RecipientData, unit_id=decode_id(self.unit_id, "OrgUnit", f"{field}.unitId"))


@strawberry.input
class SendTurnoInput:
    recipients: list[TurnoRecipientInput]
    document_id: strawberry.ID | None = strawberry.field(
        default=None, description="A first-level turno of this document."
    )
    parent_turno_id: strawberry.ID | None = strawberry.field(
        default=None, description="Delegate this turno (re-turnar)."
    )
    from_unit_id: strawberry.ID | None = None
    priority: Priority | None = None

    def to_data(self) -> SendTurnoData:
        return SendTurnoData(
            document_id=decode_optional_id(self.document_id, "Document", "documentId"),
            parent_turno_id=decode_optional_id(self.parent_turno_id, "Turno", "parentTurnoId"),
            from_unit_id=decode_optional_id(self.from_unit_id, "OrgUnit", "fromUnitId"),
            priority=self.priority,
            recipients=[r.to_data(f"recipients.{i}") for i, r in enumerate(self.recipients)],
        )


@strawberry.input
class TurnoIdInput:
    turno_id: strawberry.ID
    reason: str | None = strawberry.field(
        default=None,
        description=("cancelTurno only: why it is cancelled (shown as Turno.cancelReason, also to the recipients)."),
    )


@strawberry.input
class RespondTurnoInput:
    turno_id: strawberry.ID
    body: str
    reference: str | None = None
    files: list[Upload] | None = None


@strawberry.input
class EvaluateResponseInput:
    response_id: strawberry.ID
    decision: Decision
    comment: str | None = None
    new_due_date: date | None = strawberry.field(default=None, description="Only with RETURN: a new deadline.")


@strawberry.input
class DocumentIdInput:
    document_id: strawberry.ID


@strawberry.input
class ArchiveDocumentInput:
    document_id: strawberry.ID
    series: str
    file_number: str


@strawberry.input
class HolidaysInput:
    dates: list[date]
    description: str | None = None


@strawberry.input
class CreateArchiveSeriesInput:
    code: str
    name: str


@strawberry.input
class UpdateArchiveSeriesInput:
    code: str
    name: str | None = None
    active: bool | None = None


@strawberry.input
class AttachFilesInput:
    document_id: strawberry.ID
    files: list[Upload]


@strawberry.input
class NotificationKindChannelsInput:
    kind: NotificationKind
    channels: list[NotificationChannel] = strawberry.field(description="Empty: not notified of this kind.")


@strawberry.input
class UpdateNotificationPreferencesInput:
    channels: list[NotificationKindChannelsInput] | None = strawberry.field(
        default=None, description="The kinds to change; the others keep their channels."
    )
    include_subunits: bool | None = None
    digest_hour: int | None = None
    quiet_from: str | None = strawberry.field(default=strawberry.UNSET, description="HH:MM; null: no quiet period.")
    quiet_to: str | None = strawberry.UNSET
    email: str | None = strawberry.field(default=strawberry.UNSET, description="My e-mail address; null: none.")


@strawberry.input
class PushSubscriptionKeysInput:
    p256dh: str
    auth: str


@strawberry.input(description="The browser's PushSubscription.toJSON() (its expirationTime is not needed).")
class RegisterPushSubscriptionInput:
    endpoint: str
    keys: PushSubscriptionKeysInput


@strawberry.input
class RemovePushSubscriptionInput:
    endpoint: str
