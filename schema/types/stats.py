"""StatsBucket: one bucket of the indicators (the `stats` query)."""

from __future__ import annotations

from datetime import date

import strawberry
from models.stats import StatsRow
from schema.types.org import OrgUnit

UNITS_NOTE = (
    '"In scope": the units the caller sees (ADMIN: all; HEAD, REGISTRAR, VIEWER: their units\' '
    "subtrees; STAFF: their units), narrowed by unitId/includeSubunits; with byUnit, this row's unit."
)


@strawberry.type(
    description=(
        "The indicators of one bucket: a local calendar day, ISO week (Monday to Sunday), month or year of the "
        "institution's time zone, clipped to the period. Turnos count by the date they were sent (as the inbox's "
        "and outbox's period filter), responses by the date they were submitted, documents by their receivedAt. "
        + UNITS_NOTE
    )
)
class StatsBucket:
    start: date = strawberry.field(
        description=(
            "The first day of the bucket: the day, the Monday of the week, the 1st of the month or of January. "
            "The first and last buckets count only the days inside the period, even when they start before it."
        )
    )
    documents_received: int = strawberry.field(
        description=(
            "Documents received (receivedAt) in the bucket and registered by a unit in scope; counted once, at the "
            "registering unit (what reaches a unit by turno counts in turnosReceived)."
        )
    )
    turnos_sent: int = strawberry.field(
        description=(
            "Turnos sent in the bucket from a unit in scope, whatever their status now (cancelled included): the "
            "outbox's count for that period."
        )
    )
    turnos_received: int = strawberry.field(
        description=(
            "Turnos sent in the bucket to a unit in scope, whatever their status now (copies for knowledge and "
            "cancelled ones included): the inbox's count for that period."
        )
    )
    responses_sent: int = strawberry.field(
        description=("Answers submitted in the bucket by a unit in scope (the turno's recipient); each round counts.")
    )
    responses_received: int = strawberry.field(
        description=(
            "Answers submitted in the bucket to a unit in scope (the unit that sent the turno); each round counts."
        )
    )
    pending: int = strawberry.field(
        description=(
            "Of turnosReceived, those still open now: SENT, RECEIVED, ANSWERED (awaiting evaluation) or RETURNED."
        )
    )
    overdue: int = strawberry.field(
        description=(
            "Of pending, those whose traffic light is RED now: past their deadline without an answer, or answered "
            "after it and awaiting evaluation."
        )
    )
    concluded_on_time: int = strawberry.field(
        description=(
            "Of turnosReceived, those CONCLUDED whose accepted answer was submitted on or before the deadline in "
            "force (traffic light GREEN). Copies for knowledge and turnos without a deadline are not counted."
        )
    )
    average_business_days_to_answer: float | None = strawberry.field(
        description=(
            "Over the answers of responsesSent: the mean of the business days from the turno's sent date to the "
            "answer's date (local dates; the sent date itself is not counted, so an answer the same day is 0; "
            "weekends and non-working days skipped). Later rounds count from the turno's sent date too. Null "
            "when there is no answer."
        )
    )
    unit: OrgUnit | None = strawberry.field(
        default=None,
        description="With byUnit, the unit of this row; null otherwise (the row sums every unit in scope).",
    )

    @classmethod
    def from_row(cls, row: StatsRow, unit: OrgUnit | None = None) -> "StatsBucket":
        return cls(
            start=row.start,
            documents_received=row.documents_received,
            turnos_sent=row.turnos_sent,
            turnos_received=row.turnos_received,
            responses_sent=row.responses_sent,
            responses_received=row.responses_received,
            pending=row.pending,
            overdue=row.overdue,
            concluded_on_time=row.concluded_on_time,
            average_business_days_to_answer=row.average_business_days_to_answer,
            unit=unit,
        )
