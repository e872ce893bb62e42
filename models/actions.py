"""What a person may do now on a turno or a document: who they are (models/permissions.py)
crossed with the state (models/workflow.py).

One function per action raises the refusal the mutation returns (FORBIDDEN, INVALID_TRANSITION,
…); `turno_actions` / `document_actions` list the actions whose function raises nothing. The
mutations call the same functions, so `viewerActions` never promises what a mutation refuses,
and clients never copy the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Callable

from models.documents import Document, DocumentStatus
from models.errors import DomainError, ErrorCode, forbidden
from models.permissions import (
    Principal,
    can_close_document,
    can_correct_document,
    can_evaluate_turno,
    can_register_in,
    can_send_from,
    can_work_turno,
)
from models.turnos import Turno
from models.workflow import (
    AWAITING_ANSWER,
    CLOSED_TURNO,
    DocumentTransition,
    Instruction,
    InvalidTransition,
    TurnoStatus,
    TurnoTransition,
    next_document_status,
    next_turno_status,
)


class TurnoAction(str, Enum):
    ACKNOWLEDGE = "ACKNOWLEDGE"
    RESPOND = "RESPOND"
    DELEGATE = "DELEGATE"
    EVALUATE = "EVALUATE"
    CANCEL = "CANCEL"


class DocumentAction(str, Enum):
    SEND_TURNO = "SEND_TURNO"
    UPDATE = "UPDATE"
    ATTACH = "ATTACH"
    CONCLUDE = "CONCLUDE"
    ARCHIVE = "ARCHIVE"


@dataclass(frozen=True)
class TurnoFacts:
    """What deciding on a turno needs besides the turno itself."""

    turno: Turno
    document_status: str
    recipient_acronym: str
    recipient_has_subunits: bool  # an active unit below the recipient, to delegate to


@dataclass(frozen=True)
class DocumentFacts:
    document: Document
    pending_turnos: tuple[str, ...]  # numbers of its turnos neither concluded nor cancelled


# --- turnos --------------------------------------------------------------------------------


def _is_copy(turno: Turno) -> bool:
    return turno.instruction == Instruction.KNOWLEDGE.value


def check_acknowledge(principal: Principal, facts: TurnoFacts) -> None:
    turno = facts.turno
    if not can_work_turno(principal, turno):
        raise forbidden("Solo el personal de la unidad destinataria acusa de recibido.", "turnoId")
    next_turno_status(
        turno.status, TurnoTransition.ACKNOWLEDGE_KNOWLEDGE if _is_copy(turno) else TurnoTransition.ACKNOWLEDGE
    )


def check_respond(principal: Principal, facts: TurnoFacts) -> None:
    turno = facts.turno
    if not can_work_turno(principal, turno):
        raise forbidden("Solo el personal de la unidad destinataria responde el turno.", "turnoId")
    if _is_copy(turno):
        raise InvalidTransition("Una copia para conocimiento no se responde.", "turnoId")
    next_turno_status(turno.status, TurnoTransition.ANSWER)


def check_delegate(principal: Principal, facts: TurnoFacts) -> None:
    turno = facts.turno
    if not can_send_from(principal, turno.to_unit_id):
        raise forbidden("Solo el titular o el control de gestión de la unidad pueden turnar.", "fromUnitId")
    if _is_copy(turno):
        raise InvalidTransition("Una copia para conocimiento no se delega.", "parentTurnoId")
    if TurnoStatus(turno.status) not in AWAITING_ANSWER:
        raise InvalidTransition("Solo se delega un turno pendiente de respuesta.", "parentTurnoId")
    next_document_status(facts.document_status, DocumentTransition.START)
    if not facts.recipient_has_subunits:
        raise DomainError(
            ErrorCode.VALIDATION,
            f"{facts.recipient_acronym} no tiene subunidades activas a las que delegar.",
            "parentTurnoId",
        )


def check_evaluate(principal: Principal, facts: TurnoFacts) -> None:
    if not can_evaluate_turno(principal, facts.turno):
        raise forbidden(
            "Solo el titular o el control de gestión de la unidad que turnó evalúan la respuesta.", "responseId"
        )
    next_turno_status(facts.turno.status, TurnoTransition.ACCEPT)


def check_cancel(principal: Principal, facts: TurnoFacts) -> None:
    if not can_evaluate_turno(principal, facts.turno):
        raise forbidden("Solo la unidad que turnó puede cancelar el turno.", "turnoId")
    next_turno_status(facts.turno.status, TurnoTransition.CANCEL)


TURNO_CHECKS: dict[TurnoAction, Callable[[Principal, TurnoFacts], None]] = {
    TurnoAction.ACKNOWLEDGE: check_acknowledge,
    TurnoAction.RESPOND: check_respond,
    TurnoAction.DELEGATE: check_delegate,
    TurnoAction.EVALUATE: check_evaluate,
    TurnoAction.CANCEL: check_cancel,
}


def turno_actions(principal: Principal, facts: TurnoFacts) -> list[TurnoAction]:
    return [action for action, check in TURNO_CHECKS.items() if _passes(check, principal, facts)]


# --- documents -----------------------------------------------------------------------------


def check_send_turno(principal: Principal, facts: DocumentFacts) -> None:
    if not can_send_from(principal, facts.document.unit_id):
        raise forbidden("Solo el titular o el control de gestión de la unidad pueden turnar.", "fromUnitId")
    next_document_status(facts.document.status, DocumentTransition.START)


def check_update(principal: Principal, facts: DocumentFacts) -> None:
    document = facts.document
    if not can_correct_document(principal, document):
        raise forbidden(
            "Solo el titular o el control de gestión de la unidad que registró corrigen el registro.", "documentId"
        )
    if document.status not in (DocumentStatus.REGISTERED.value, DocumentStatus.IN_PROGRESS.value):
        raise InvalidTransition("Un documento concluido ya no se corrige.", "documentId")


def check_attach(principal: Principal, facts: DocumentFacts) -> None:
    if not can_register_in(principal, facts.document.unit_id):
        raise forbidden(
            "Solo el control de gestión o el titular de la unidad que registró adjuntan archivos.", "documentId"
        )
    if facts.document.status == DocumentStatus.ARCHIVED.value:
        raise InvalidTransition("Un documento archivado ya no recibe archivos.", "documentId")


def check_conclude(principal: Principal, facts: DocumentFacts) -> None:
    if not can_close_document(principal, facts.document):
        raise forbidden(
            "Solo el titular o el control de gestión de la unidad que registró concluyen el documento.", "documentId"
        )
    if facts.pending_turnos:
        raise InvalidTransition(
            f"El documento tiene turnos pendientes: {', '.join(facts.pending_turnos)}.", "documentId"
        )
    next_document_status(facts.document.status, DocumentTransition.CONCLUDE)


def check_archive(principal: Principal, facts: DocumentFacts) -> None:
    if not can_close_document(principal, facts.document):
        raise forbidden(
            "Solo el titular o el control de gestión de la unidad que registró archivan el documento.", "documentId"
        )
    next_document_status(facts.document.status, DocumentTransition.ARCHIVE)


DOCUMENT_CHECKS: dict[DocumentAction, Callable[[Principal, DocumentFacts], None]] = {
    DocumentAction.SEND_TURNO: check_send_turno,
    DocumentAction.UPDATE: check_update,
    DocumentAction.ATTACH: check_attach,
    DocumentAction.CONCLUDE: check_conclude,
    DocumentAction.ARCHIVE: check_archive,
}


def document_actions(principal: Principal, facts: DocumentFacts) -> list[DocumentAction]:
    return [action for action, check in DOCUMENT_CHECKS.items() if _passes(check, principal, facts)]


def pending_turno_numbers(turnos) -> tuple[str, ...]:
    """The facts' `pending_turnos` from a document's turnos (all of them, visible or not)."""
    closed = {s.value for s in CLOSED_TURNO}
    return tuple(t.number for t in sorted(turnos, key=lambda t: t.id) if t.status not in closed)


def _passes(check, principal, facts) -> bool:
    try:
        check(principal, facts)
    except DomainError:
        return False
    return True
