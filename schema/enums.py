"""The contract's enums, backed by the domain's own Python enums (same names, one source).

`strawberry.enum` marks the domain's class itself as a GraphQL enum and returns it, so each name
here is the domain's class: imported under its own name (a type to the type checker, which a
variable bound to `strawberry.enum(...)` would not be) and registered below.
"""

import strawberry

from models.actions import DocumentAction, TurnoAction
from models.documents import DocumentOrder, DocumentStatus, Origin, Priority, SenderLevel
from models.errors import ErrorCode
from models.events import EventKind
from models.exports import ExportStatus
from models.notifications import NotificationChannel, NotificationKind, NotificationStatus
from models.org import OrgUnitKind
from models.stats import Granularity
from models.traffic_light import TrafficLight
from models.users import Role
from models.workflow import Decision, Instruction, TurnoStatus

# the enums named as their class, without a description of their own
for plain in (
    Role,
    OrgUnitKind,
    Origin,
    SenderLevel,
    Priority,
    DocumentStatus,
    TrafficLight,
    EventKind,
    ErrorCode,
    Instruction,
    TurnoStatus,
    Decision,
    ExportStatus,
    NotificationChannel,
    NotificationStatus,
):
    strawberry.enum(plain, name=plain.__name__)
strawberry.enum(
    DocumentOrder,
    name="DocumentOrder",
    description="RECEIVED: newest received first. RELEVANCE: best match of filter.search first (without a "
    "search, newest received first). Ties go to the newest id.",
)
strawberry.enum(
    Granularity,
    name="Granularity",
    description="Buckets of the indicators, in the institution's time zone: DAY, WEEK (ISO: Monday to Sunday), "
    "MONTH, YEAR.",
)
strawberry.enum(
    TurnoAction,
    name="TurnoAction",
    description="What the caller may do now on a turno (Turno.viewerActions): ACKNOWLEDGE (acknowledgeTurno), "
    "RESPOND (respondTurno), DELEGATE (sendTurno with parentTurnoId), EVALUATE (evaluateResponse of its "
    "latest answer), CANCEL (cancelTurno).",
)
strawberry.enum(
    DocumentAction,
    name="DocumentAction",
    description="What the caller may do now on a document (Document.viewerActions): SEND_TURNO (sendTurno with "
    "documentId), UPDATE (updateDocument), ATTACH (attachFiles), CONCLUDE (concludeDocument), ARCHIVE "
    "(archiveDocument).",
)
strawberry.enum(
    NotificationKind,
    name="NotificationKind",
    description=(
        "NEW_TURNO: a turno addressed to one of my units; ANSWER_RECEIVED: an answer to a turno my unit sent, "
        "awaiting evaluation; ANSWER_RETURNED: my unit's answer came back; TURNO_CANCELLED; DEADLINE_PASSED: a "
        "turno of my unit is overdue; DAILY_DIGEST: the morning summary on business days."
    ),
)
