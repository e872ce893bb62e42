"""The printed papers of the oficialía de partes, as PDF: the acuse de recibo of a document and
the volante de turno of a turno, each with a QR code that opens its public verification page.

Pure: what to print comes in (already decided by resolvers/paper.py: who may read what), the
PDF's bytes go out. reportlab lays it out, segno makes the QR, drawn as vector squares so it
stays sharp at any printer's resolution. CPU-bound: callers run it in a worker thread.

The page is US letter (tamaño carta, the usual paper of Mexican offices) with margins that keep
everything inside an A4 sheet too. Helvetica, one of the PDF's standard fonts: nothing to embed,
and Spanish text is covered (a character outside Latin-1 prints as a box).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from models.calendar import long_date_es

CONFIDENTIAL = "Confidencial"  # what a protected field says to who may not read it (as in the exports)
INSTRUCTION_ES = {
    "ATTENTION": "Atención",
    "RESPONSE": "Respuesta",
    "OPINION": "Opinión",
    "KNOWLEDGE": "Para conocimiento",
}
PRIORITY_ES = {"NORMAL": "Normal", "URGENT": "Urgente"}

PAGE = letter
MARGIN = 2.2 * cm  # letter is 0.6 cm wider than A4: content this far in prints whole on either
WIDTH = PAGE[0] - 2 * MARGIN - 12  # the frame's own padding: 6 pt each side
QR_SIZE = 3.6 * cm
GREY = colors.HexColor("#555555")
RULE = colors.HexColor("#999999")


@dataclass(frozen=True)
class Unit:
    acronym: str
    name: str


@dataclass(frozen=True)
class Sender:
    name: str
    position: str | None
    organization: str | None


@dataclass(frozen=True)
class Acuse:
    institution: str  # the root unit's name
    folio: str
    received_at: datetime  # in the institution's time zone
    timezone: str
    unit: Unit  # the registering unit
    document_type: str
    reference: str | None
    document_date: date | None
    subject: str | None  # None: confidential for whoever prints it
    sender: Sender | None  # None: confidential for whoever prints it
    files: int
    pages: int
    files_without_pages: int  # files whose pages are not known (a TIFF, a PDF that could not be read)
    registered_by: str
    verification_url: str
    printed_at: datetime  # in the institution's time zone


@dataclass(frozen=True)
class Volante:
    institution: str
    folio: str
    turno_number: str
    from_unit: Unit
    to_unit: Unit
    instruction: str  # models.workflow.Instruction value
    priority: str
    due_date: date | None
    due_explanation: str | None
    notes: str | None
    sent_at: datetime  # in the institution's time zone
    timezone: str
    sent_by: str
    subject: str | None  # None: confidential for whoever prints it
    cancelled: bool
    verification_url: str
    printed_at: datetime


# --- text -------------------------------------------------------------------------------------


def moment_es(moment: datetime, timezone: str | None = None) -> str:
    """'lunes 2 de marzo de 2026, 10:00 h (hora de America/Mexico_City)'."""
    text = f"{long_date_es(moment.date())}, {moment:%H:%M} h"
    return f"{text} (hora de {timezone})" if timezone else text


def unit_es(unit: Unit) -> str:
    return f"{unit.acronym} — {unit.name}"


def files_es(files: int, pages: int, without_pages: int) -> str:
    if files == 0:
        return "Sin archivos digitalizados"
    text = f"{files} archivo{'s' if files != 1 else ''}, {pages} página{'s' if pages != 1 else ''}"
    if without_pages:
        text += f" (más {without_pages} archivo{'s' if without_pages != 1 else ''} cuyas páginas no se pudieron contar)"
    return text


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text: escaped (reportlab reads markup), line breaks kept."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


# --- layout -----------------------------------------------------------------------------------

STYLES = {
    "institution": ParagraphStyle(
        "institution", fontName="Helvetica-Bold", fontSize=12, leading=15, alignment=TA_CENTER
    ),
    "title": ParagraphStyle(
        "title", fontName="Helvetica-Bold", fontSize=16, leading=20, alignment=TA_CENTER, spaceBefore=4
    ),
    "folio": ParagraphStyle(
        "folio", fontName="Helvetica-Bold", fontSize=13, leading=16, alignment=TA_CENTER, spaceBefore=2
    ),
    "label": ParagraphStyle("label", fontName="Helvetica-Bold", fontSize=8.5, leading=11, textColor=GREY),
    "value": ParagraphStyle("value", fontName="Helvetica", fontSize=10, leading=13),
    "small": ParagraphStyle("small", fontName="Helvetica", fontSize=8.5, leading=11, textColor=GREY),
    "url": ParagraphStyle("url", fontName="Courier", fontSize=8, leading=10),
    "notice": ParagraphStyle(
        "notice",
        fontName="Helvetica-Bold",
        fontSize=11,
        leading=14,
        alignment=TA_CENTER,
        textColor=colors.HexColor("#8b0000"),
        spaceBefore=6,
    ),
}


class QRCode(Flowable):
    """A QR code of `data`, drawn as filled squares (one path: no seams between modules)."""

    def __init__(self, data: str, size: float):
        super().__init__()
        self.matrix = [list(row) for row in segno.make(data, error="m", micro=False).matrix_iter(scale=1, border=4)]
        self.size = size

    def wrap(self, available_width, available_height):
        return self.size, self.size

    def draw(self):
        modules = len(self.matrix)
        step = self.size / modules
        path = self.canv.beginPath()
        for y, row in enumerate(self.matrix):
            x = 0
            while x < modules:
                if not row[x]:
                    x += 1
                    continue
                start = x
                while x < modules and row[x]:
                    x += 1
                path.rect(start * step, self.size - (y + 1) * step, (x - start) * step, step)
        self.canv.setFillColor(colors.black)
        self.canv.drawPath(path, stroke=0, fill=1)


def _fields(rows: list[tuple[str, str]]) -> Table:
    """Label / value rows with a light rule between them."""
    table = Table(
        [[_p(label, STYLES["label"]), _p(value, STYLES["value"])] for label, value in rows],
        colWidths=[4.6 * cm, WIDTH - 4.6 * cm],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
            ]
        )
    )
    return table


def _verification(url: str, what: str) -> KeepTogether:
    """The QR, what it is for, and its address in full under it (one line across the box, so
    that it can be typed)."""
    text = [
        Paragraph("<b>Verificación</b>", STYLES["value"]),
        Spacer(1, 3),
        _p(
            f"Escanee el código o abra la dirección de abajo para comprobar que {what} existe en el sistema "
            "de correspondencia de la institución.",
            STYLES["small"],
        ),
    ]
    address = Paragraph(f'<link href="{escape(url, {chr(34): "&quot;"})}">{escape(url)}</link>', STYLES["url"])
    table = Table(
        [[QRCode(url, QR_SIZE), text], [address, ""]], colWidths=[QR_SIZE + 0.5 * cm, WIDTH - QR_SIZE - 0.5 * cm]
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (1, 0), (1, 0), 0),
                ("SPAN", (0, 1), (1, 1)),
                ("LEFTPADDING", (0, 1), (0, 1), 8),
                ("BOTTOMPADDING", (0, 1), (0, 1), 8),
                ("BOX", (0, 0), (-1, -1), 0.5, RULE),
            ]
        )
    )
    return KeepTogether([Spacer(1, 0.6 * cm), table])


def _signature(label: str, name: str, box: str | None = None) -> KeepTogether:
    """A line to sign over, with the name under it; beside it, optionally, a box for the stamp."""
    line = [
        Spacer(1, 1.4 * cm),
        HRFlowable(width="90%", thickness=0.5, color=colors.black, hAlign="LEFT"),
        _p(name, STYLES["value"]),
        _p(label, STYLES["small"]),
    ]
    cells = [line, [_p(box, STYLES["small"])] if box else ""]
    table = Table([cells], colWidths=[WIDTH * 0.55, WIDTH * 0.45], rowHeights=[2.8 * cm])
    style: list[tuple[str, tuple[int, int], tuple[int, int], *tuple[object, ...]]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (0, 0), 0),
    ]
    if box:
        style.append(("BOX", (1, 0), (1, 0), 0.5, RULE))
    table.setStyle(TableStyle(style))
    return KeepTogether([Spacer(1, 0.5 * cm), table])


def _build(*, title: str, heading: str, institution: str, folio_line: str, body: list, printed_at: datetime) -> bytes:
    buffer = io.BytesIO()

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(GREY)
        canvas.drawString(MARGIN + 6, 1.2 * cm, f"Impreso el {moment_es(printed_at)}")
        canvas.drawRightString(PAGE[0] - MARGIN - 6, 1.2 * cm, f"{title} · página {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=1.8 * cm,
        bottomMargin=2 * cm,
        title=title,
        author=institution,
        creator="MCS",
        lang="es-MX",
    )
    story = [
        _p(institution, STYLES["institution"]),
        _p(heading, STYLES["title"]),
        _p(folio_line, STYLES["folio"]),
        Spacer(1, 0.3 * cm),
        HRFlowable(width="100%", thickness=1, color=colors.black),
        Spacer(1, 0.3 * cm),
        *body,
    ]
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


# --- the two papers ---------------------------------------------------------------------------


def render_acuse(a: Acuse) -> bytes:
    if a.sender is None:
        sender = [("Remitente", CONFIDENTIAL)]
    else:
        sender = [("Remitente", a.sender.name)]
        sender += [("Cargo", a.sender.position)] if a.sender.position else []
        sender += [("Dependencia u organización", a.sender.organization)] if a.sender.organization else []
    rows = [
        ("Folio", a.folio),
        ("Fecha y hora de recepción", moment_es(a.received_at, a.timezone)),
        ("Unidad que registra", unit_es(a.unit)),
        ("Tipo de documento", a.document_type),
        *([("Número de referencia", a.reference)] if a.reference else []),
        *([("Fecha del documento", long_date_es(a.document_date))] if a.document_date else []),
        *sender,
        ("Asunto", a.subject if a.subject is not None else CONFIDENTIAL),
        ("Anexos digitalizados", files_es(a.files, a.pages, a.files_without_pages)),
        ("Registró", a.registered_by),
    ]
    body = [
        _fields(rows),
        _signature("Registró", a.registered_by, "Sello de la unidad"),
        _verification(a.verification_url, "este acuse"),
    ]
    return _build(
        title=f"Acuse de recibo {a.folio}",
        heading="Acuse de recibo",
        institution=a.institution,
        folio_line=f"Folio {a.folio}",
        body=body,
        printed_at=a.printed_at,
    )


def render_volante(v: Volante) -> bytes:
    if v.due_date is None:
        due = "Sin fecha límite"
    else:
        due = long_date_es(v.due_date) + (f"\n{v.due_explanation}" if v.due_explanation else "")
    rows = [
        ("Folio", v.folio),
        ("Número de turno", v.turno_number),
        ("De", unit_es(v.from_unit)),
        ("Para", unit_es(v.to_unit)),
        ("Instrucción", INSTRUCTION_ES.get(v.instruction, v.instruction)),
        ("Prioridad", PRIORITY_ES.get(v.priority, v.priority)),
        ("Fecha límite", due),
        ("Asunto", v.subject if v.subject is not None else CONFIDENTIAL),
        ("Observaciones", v.notes or "Sin observaciones"),
        ("Fecha de envío", moment_es(v.sent_at, v.timezone)),
        ("Turnó", v.sent_by),
    ]
    body: list[Flowable] = [_fields(rows)]
    if v.cancelled:
        body.append(_p("Este turno fue cancelado.", STYLES["notice"]))
    body += [
        _signature("Turnó", v.sent_by, "Recibió (nombre, firma, fecha y hora)"),
        _verification(v.verification_url, "este turno"),
    ]
    return _build(
        title=f"Volante de turno {v.turno_number}",
        heading="Volante de turno",
        institution=v.institution,
        folio_line=f"Turno {v.turno_number}",
        body=body,
        printed_at=v.printed_at,
    )
