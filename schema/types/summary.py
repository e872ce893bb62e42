"""Counters of the inbox and the outbox for a dashboard."""

from __future__ import annotations

import strawberry

from resolvers.inbox import BoxSummary as BoxSummaryData


@strawberry.type(
    description=(
        "Counts of what the same filter lists in the box: the open turnos (SENT, RECEIVED, ANSWERED, RETURNED) by "
        "traffic light, those not acknowledged yet (SENT) and those awaiting the sender's evaluation (ANSWERED). "
        "Each equals the totalCount of the box with the same filter narrowed accordingly."
    )
)
class BoxSummary:
    green: int
    yellow: int
    red: int
    none: int
    not_acknowledged: int
    awaiting_evaluation: int

    @classmethod
    def from_data(cls, data: BoxSummaryData) -> "BoxSummary":
        return cls(
            green=data.green,
            yellow=data.yellow,
            red=data.red,
            none=data.none,
            not_acknowledged=data.not_acknowledged,
            awaiting_evaluation=data.awaiting_evaluation,
        )
