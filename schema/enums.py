"""The contract's enums, backed by the domain's own Python enums (same names, one source)."""

import strawberry

from models import documents, errors, events, org, traffic_light, users, workflow

Role = strawberry.enum(users.Role, name="Role")
OrgUnitKind = strawberry.enum(org.OrgUnitKind, name="OrgUnitKind")
Origin = strawberry.enum(documents.Origin, name="Origin")
SenderLevel = strawberry.enum(documents.SenderLevel, name="SenderLevel")
Priority = strawberry.enum(documents.Priority, name="Priority")
DocumentStatus = strawberry.enum(documents.DocumentStatus, name="DocumentStatus")
TrafficLight = strawberry.enum(traffic_light.TrafficLight, name="TrafficLight")
EventKind = strawberry.enum(events.EventKind, name="EventKind")
ErrorCode = strawberry.enum(errors.ErrorCode, name="ErrorCode")
Instruction = strawberry.enum(workflow.Instruction, name="Instruction")
TurnoStatus = strawberry.enum(workflow.TurnoStatus, name="TurnoStatus")
Decision = strawberry.enum(workflow.Decision, name="Decision")
