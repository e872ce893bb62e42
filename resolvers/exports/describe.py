"""The filter of an export in words, for its Indicadores sheet."""

from __future__ import annotations

from models.exports import (
    DOCUMENT_STATUS_LABEL,
    INSTRUCTION_LABEL,
    LIGHT_ES,
    ORIGIN_LABEL,
    PRIORITY_LABEL,
    SENDER_LEVEL_LABEL,
    TURNO_STATUS_LABEL,
    ExportKind,
)
from models.org import OrgUnit


def describe_filter(kind: ExportKind, spec, unit: OrgUnit | None) -> str:
    """The filter in words, for the Indicadores sheet."""
    parts = []
    if getattr(spec, "box", None):
        parts.append(
            {
                "inbox": "Bandeja (turnos dirigidos a sus unidades)",
                "outbox": "Enviados (turnos enviados por sus unidades)",
            }[spec.box]
        )
    if spec.period_from or spec.period_to:
        label = "Periodo de recepción" if kind == ExportKind.DOCUMENTS else "Periodo de envío"
        since = spec.period_from.strftime("%d/%m/%Y") if spec.period_from else "el inicio"
        until = spec.period_to.strftime("%d/%m/%Y") if spec.period_to else "hoy"
        parts.append(f"{label}: de {since} a {until}")
    if unit is not None:
        label = "Unidad que envía" if getattr(spec, "box", None) == "outbox" else "Unidad"
        parts.append(f"{label}: {unit.acronym}{' y subunidades' if spec.include_subunits else ''}")
    labels = DOCUMENT_STATUS_LABEL if kind == ExportKind.DOCUMENTS else TURNO_STATUS_LABEL
    if spec.status:
        parts.append("Estado: " + ", ".join(labels.get(s, s) for s in spec.status))
    if getattr(spec, "instruction", None):
        parts.append("Instrucción: " + ", ".join(INSTRUCTION_LABEL.get(s, s) for s in spec.instruction))
    if spec.traffic_light:
        parts.append("Semáforo: " + ", ".join(LIGHT_ES.get(s, s) for s in spec.traffic_light))
    if spec.priority:
        parts.append(f"Prioridad: {PRIORITY_LABEL.get(spec.priority, spec.priority)}")
    if spec.origin:
        parts.append(f"Origen: {ORIGIN_LABEL.get(spec.origin, spec.origin)}")
    if spec.sender_level:
        parts.append("Nivel del remitente: " + ", ".join(SENDER_LEVEL_LABEL.get(s, s) for s in spec.sender_level))
    if spec.document_type:
        parts.append("Tipo: " + ", ".join(spec.document_type))
    if spec.search and spec.search.strip():
        parts.append(f"Búsqueda: «{spec.search.strip()}»")
    return "; ".join(parts) or "Sin filtro: todo lo que puede ver"
