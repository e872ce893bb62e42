"""The contract's enums, backed by the domain's own Python enums (same names, one source)."""

import strawberry

from models import exports as export_models
from models import actions, documents, errors, events, notifications, org, stats, traffic_light, users, workflow

Role = strawberry.enum(users.Role, name="Role")
OrgUnitKind = strawberry.enum(org.OrgUnitKind, name="OrgUnitKind")
Origin = strawberry.enum(documents.Origin, name="Origin")
SenderLevel = strawberry.enum(documents.SenderLevel, name="SenderLevel")
Priority = strawberry.enum(documents.Priority, name="Priority")
DocumentStatus = strawberry.enum(documents.DocumentStatus, name="DocumentStatus")
DocumentOrder = strawberry.enum(
    documents.DocumentOrder,
    name="DocumentOrder",
    description="RECEIVED: newest received first. RELEVANCE: best match of filter.search first (without a "
    "search, newest received first). Ties go to the newest id.",
)
TrafficLight = strawberry.enum(traffic_light.TrafficLight, name="TrafficLight")
EventKind = strawberry.enum(events.EventKind, name="EventKind")
ErrorCode = strawberry.enum(errors.ErrorCode, name="ErrorCode")
Instruction = strawberry.enum(workflow.Instruction, name="Instruction")
TurnoStatus = strawberry.enum(workflow.TurnoStatus, name="TurnoStatus")
Decision = strawberry.enum(workflow.Decision, name="Decision")
ExportStatus = strawberry.enum(export_models.ExportStatus, name="ExportStatus")
Granularity = strawberry.enum(
    stats.Granularity,
    name="Granularity",
    description="Buckets of the indicators, in the institution's time zone: DAY, WEEK (ISO: Monday to Sunday), "
    "MONTH, YEAR.",
)
TurnoAction = strawberry.enum(
    actions.TurnoAction,
    name="TurnoAction",
    description="What the caller may do now on a turno (Turno.viewerActions): ACKNOWLEDGE (acknowledgeTurno), "
    "RESPOND (respondTurno), DELEGATE (sendTurno with parentTurnoId), EVALUATE (evaluateResponse of its "
    "latest answer), CANCEL (cancelTurno).",
)
DocumentAction = strawberry.enum(
    actions.DocumentAction,
    name="DocumentAction",
    description="What the caller may do now on a document (Document.viewerActions): SEND_TURNO (sendTurno with "
    "documentId), UPDATE (updateDocument), ATTACH (attachFiles), CONCLUDE (concludeDocument), ARCHIVE "
    "(archiveDocument).",
)
NotificationKind = strawberry.enum(
    notifications.NotificationKind,
    name="NotificationKind",
    description=(
        "NEW_TURNO: a turno addressed to one of my units; ANSWER_RECEIVED: an answer to a turno my unit sent, "
        "awaiting evaluation; ANSWER_RETURNED: my unit's answer came back; TURNO_CANCELLED; DEADLINE_PASSED: a "
        "turno of my unit is overdue; DAILY_DIGEST: the morning summary on business days."
    ),
)
NotificationChannel = strawberry.enum(notifications.NotificationChannel, name="NotificationChannel")
NotificationStatus = strawberry.enum(notifications.NotificationStatus, name="NotificationStatus")
