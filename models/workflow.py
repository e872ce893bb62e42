"""The state machines of the workflow: every allowed transition of a Turno and of a Document,
in one table each. Anything else is refused with INVALID_TRANSITION and changes nothing.

Turno:    SENT → RECEIVED → ANSWERED → CONCLUDED;  SENT → ANSWERED;  ANSWERED → RETURNED → ANSWERED;
          SENT|RECEIVED|ANSWERED|RETURNED → CANCELLED;  a KNOWLEDGE turno concludes when acknowledged.
Document: REGISTERED → IN_PROGRESS → CONCLUDED → ARCHIVED;  REGISTERED → CONCLUDED.
"""

from __future__ import annotations

from enum import Enum

from models.errors import DomainError, ErrorCode


class TurnoStatus(str, Enum):
    SENT = "SENT"
    RECEIVED = "RECEIVED"
    ANSWERED = "ANSWERED"
    RETURNED = "RETURNED"
    CONCLUDED = "CONCLUDED"
    CANCELLED = "CANCELLED"


class Instruction(str, Enum):
    ATTENTION = "ATTENTION"
    RESPONSE = "RESPONSE"
    OPINION = "OPINION"
    KNOWLEDGE = "KNOWLEDGE"  # para conocimiento: no answer, no deadline


class Decision(str, Enum):
    ACCEPT = "ACCEPT"
    RETURN = "RETURN"


class TurnoTransition(str, Enum):
    ACKNOWLEDGE = "acknowledge"
    ACKNOWLEDGE_KNOWLEDGE = "acknowledge a copy"
    ANSWER = "answer"
    ACCEPT = "accept"
    RETURN = "return"
    CANCEL = "cancel"


S = TurnoStatus
TURNO_TRANSITIONS: dict[TurnoTransition, dict[TurnoStatus, TurnoStatus]] = {
    TurnoTransition.ACKNOWLEDGE: {S.SENT: S.RECEIVED},
    TurnoTransition.ACKNOWLEDGE_KNOWLEDGE: {S.SENT: S.CONCLUDED},
    TurnoTransition.ANSWER: {S.SENT: S.ANSWERED, S.RECEIVED: S.ANSWERED, S.RETURNED: S.ANSWERED},
    TurnoTransition.ACCEPT: {S.ANSWERED: S.CONCLUDED},
    TurnoTransition.RETURN: {S.ANSWERED: S.RETURNED},
    TurnoTransition.CANCEL: {
        S.SENT: S.CANCELLED,
        S.RECEIVED: S.CANCELLED,
        S.ANSWERED: S.CANCELLED,
        S.RETURNED: S.CANCELLED,
    },
}

# waiting for the recipient's answer: the deadline runs
AWAITING_ANSWER = frozenset({S.SENT, S.RECEIVED, S.RETURNED})
OPEN_TURNO = frozenset({S.SENT, S.RECEIVED, S.ANSWERED, S.RETURNED})
CLOSED_TURNO = frozenset({S.CONCLUDED, S.CANCELLED})


class DocumentTransition(str, Enum):
    START = "start"  # its first turno is sent
    CONCLUDE = "conclude"
    ARCHIVE = "archive"


D_REGISTERED, D_IN_PROGRESS, D_CONCLUDED, D_ARCHIVED = "REGISTERED", "IN_PROGRESS", "CONCLUDED", "ARCHIVED"
DOCUMENT_TRANSITIONS: dict[DocumentTransition, dict[str, str]] = {
    DocumentTransition.START: {D_REGISTERED: D_IN_PROGRESS, D_IN_PROGRESS: D_IN_PROGRESS},
    DocumentTransition.CONCLUDE: {D_REGISTERED: D_CONCLUDED, D_IN_PROGRESS: D_CONCLUDED},
    DocumentTransition.ARCHIVE: {D_CONCLUDED: D_ARCHIVED},
}

TURNO_STATUS_ES = {
    S.SENT: "enviado",
    S.RECEIVED: "recibido",
    S.ANSWERED: "respondido",
    S.RETURNED: "devuelto",
    S.CONCLUDED: "concluido",
    S.CANCELLED: "cancelado",
}
DOCUMENT_STATUS_ES = {
    D_REGISTERED: "registrado",
    D_IN_PROGRESS: "en trámite",
    D_CONCLUDED: "concluido",
    D_ARCHIVED: "archivado",
}
ACTION_ES = {
    TurnoTransition.ACKNOWLEDGE: "acusar de recibido",
    TurnoTransition.ACKNOWLEDGE_KNOWLEDGE: "acusar de recibido",
    TurnoTransition.ANSWER: "responder",
    TurnoTransition.ACCEPT: "aceptar la respuesta de",
    TurnoTransition.RETURN: "devolver",
    TurnoTransition.CANCEL: "cancelar",
    DocumentTransition.START: "turnar",
    DocumentTransition.CONCLUDE: "concluir",
    DocumentTransition.ARCHIVE: "archivar",
}


class InvalidTransition(DomainError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(ErrorCode.INVALID_TRANSITION, message, field)


def next_turno_status(current: str, action: TurnoTransition) -> TurnoStatus:
    status = TurnoStatus(current)
    target = TURNO_TRANSITIONS[action].get(status)
    if target is None:
        raise InvalidTransition(f"No se puede {ACTION_ES[action]} un turno {TURNO_STATUS_ES[status]}.")
    return target


def next_document_status(current: str, action: DocumentTransition) -> str:
    target = DOCUMENT_TRANSITIONS[action].get(current)
    if target is None:
        raise InvalidTransition(f"No se puede {ACTION_ES[action]} un documento {DOCUMENT_STATUS_ES[current]}.")
    return target
