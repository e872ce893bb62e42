"""What people write on turnos, answers and evaluations (data, in Spanish)."""

from __future__ import annotations

from models.workflow import Instruction

NOTES: dict[Instruction, list[str | None]] = {
    Instruction.RESPONSE: [
        "Atender y dar respuesta directa al remitente, con copia a esta unidad.",
        "Dar respuesta por escrito en el plazo indicado y remitir copia del acuse.",
        "Responder al remitente e informar lo conducente.",
        None,
    ],
    Instruction.ATTENTION: [
        "Para su atención y seguimiento.",
        "Atender conforme a sus atribuciones e informar el resultado.",
        "Atender de manera prioritaria.",
        "Para su atención procedente.",
        None,
    ],
    Instruction.OPINION: [
        "Emitir opinión técnica.",
        "Emitir opinión sobre la viabilidad de lo solicitado.",
        "Revisar y emitir comentarios.",
        "Emitir opinión jurídica.",
    ],
    Instruction.KNOWLEDGE: ["Para su conocimiento.", "Para conocimiento; no requiere respuesta.", None, None],
}
DELEGATION_NOTES = [
    "Atender e informar a esta unidad para integrar la respuesta.",
    "Preparar el proyecto de respuesta.",
    "Integrar la información solicitada y remitirla a esta unidad.",
    "Revisar el expediente y rendir informe.",
    None,
]
ANSWERS = {
    Instruction.RESPONSE: [
        "Se dio respuesta al remitente mediante el oficio {ref}; se anexa copia del acuse de recibo.",
        "Se informó al remitente el estado que guarda su trámite y los requisitos pendientes; se adjunta copia de la respuesta.",
        "Se atendió la solicitud y se notificó la respuesta al remitente el {date}.",
        "Se remite copia de la respuesta enviada, con la documentación soporte que obra en el expediente.",
    ],
    Instruction.ATTENTION: [
        "Se atendió lo solicitado; la visita de verificación se realizó el {date} y se levantó el acta correspondiente.",
        "Se llevaron a cabo las acciones solicitadas; el asunto queda atendido.",
        "Se integró la información requerida y se remite para los efectos conducentes.",
        "Se programó la atención del asunto y se informó a las personas interesadas.",
    ],
    Instruction.OPINION: [
        "Se emite opinión favorable, sujeta a la disponibilidad presupuestal del ejercicio.",
        "Desde el punto de vista técnico no existe inconveniente, siempre que se cumpla la normatividad aplicable.",
        "Se emite opinión en sentido negativo: la información presentada es insuficiente para determinar la viabilidad.",
        "Procede, con las observaciones que se señalan en el documento anexo.",
    ],
}
DELEGATED_ANSWERS = [
    "Se remite el informe solicitado con la documentación soporte.",
    "Se envía el proyecto de respuesta para su revisión y firma.",
    "Se integró la información del expediente; se anexa la relación correspondiente.",
    "Se atendió lo instruido; se anexa la evidencia.",
]
SECOND_ANSWERS = [
    "Se atienden las observaciones: se anexa la documentación faltante.",
    "Se complementa la respuesta con los puntos señalados.",
    "Se corrige lo indicado y se remite nuevamente, con el acuse solicitado.",
]
RETURN_COMMENTS = [
    "Falta anexar la evidencia documental de lo informado.",
    "La respuesta no atiende todos los puntos del oficio; favor de complementarla.",
    "Precisar las fechas comprometidas y la persona responsable del seguimiento.",
    "Anexar copia del acuse del oficio de respuesta al remitente.",
    "Corregir el número de expediente citado y remitir nuevamente.",
]
ACCEPT_COMMENTS = [None, None, None, "Correcto.", "Enterado; se da por atendido.", "Se concluye el turno."]
