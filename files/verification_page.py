"""The public page a printed paper's QR opens (/verificar/{code}): HTML in Spanish saying that
the folio exists, when and by which unit it was registered, and for a volante the turno's
number, date and units. Nothing else reaches it: no subject, no sender, no person's name.

Pure: the facts come in, the page goes out; every value is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

from files.paper import Unit, moment_es, unit_es


@dataclass(frozen=True)
class Verified:
    kind: str  # models.verification.PaperKind value
    institution: str
    folio: str
    received_at: datetime  # in the institution's time zone, as the acuse prints it
    registered_at: datetime  # when it was entered in the system (a receipt may be registered later)
    timezone: str
    unit: Unit  # the registering unit
    turno_number: str | None = None  # a volante's
    sent_at: datetime | None = None
    from_unit: Unit | None = None
    to_unit: Unit | None = None
    turno_cancelled: bool = False


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; margin: 0; color: #1a1a1a;
       background: #f4f4f4; line-height: 1.5; }
main { max-width: 40rem; margin: 2rem auto; padding: 1.5rem; background: #fff; border: 1px solid #ccc; }
.institution { margin: 0; font-weight: 600; color: #333; }
h1 { font-size: 1.5rem; margin: .25rem 0 1rem; }
.ok { border-left: .35rem solid #1b5e20; padding: .5rem .75rem; background: #e8f5e9; }
.bad { border-left: .35rem solid #8b0000; padding: .5rem .75rem; background: #fdecea; }
dl { display: grid; grid-template-columns: minmax(8rem, auto) 1fr; gap: .4rem 1rem; margin: 1.25rem 0; }
dt { font-weight: 600; color: #333; }
dd { margin: 0; overflow-wrap: anywhere; }
.note { font-size: .9rem; color: #444; }
"""

TITLES = {"ACUSE": "Acuse de recibo verificado", "VOLANTE": "Volante de turno verificado"}


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html>\n<html lang="es">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="robots" content="noindex">\n<title>{escape(title)}</title>\n<style>{STYLE}</style>\n'
        f"</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def render_verified(v: Verified) -> str:
    rows = [
        ("Folio", v.folio),
        ("Fecha de recepción", moment_es(v.received_at, v.timezone)),
        ("Fecha de registro", moment_es(v.registered_at, v.timezone)),
        ("Unidad que lo registró", unit_es(v.unit)),
    ]
    if v.turno_number is not None:
        rows += [("Número de turno", v.turno_number)]
        rows += [("Fecha de envío", moment_es(v.sent_at, v.timezone))] if v.sent_at else []
        rows += [("De", unit_es(v.from_unit))] if v.from_unit else []
        rows += [("Para", unit_es(v.to_unit))] if v.to_unit else []
    facts = "\n".join(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>" for label, value in rows)
    what = "el turno" if v.turno_number is not None else "el folio"
    cancelled = '\n<p class="bad" role="alert">Este turno fue cancelado.</p>' if v.turno_cancelled else ""
    title = TITLES.get(v.kind, "Verificación")
    body = (
        f'<p class="institution">{escape(v.institution)}</p>\n<h1>{escape(title)}</h1>\n'
        f'<p class="ok" role="status">{what.capitalize()} <strong>{escape(v.turno_number or v.folio)}</strong> '
        f"existe en el sistema de correspondencia de la institución.</p>{cancelled}\n<dl>\n{facts}\n</dl>\n"
        f'<p class="note">Esta página solo confirma la existencia del registro; no muestra el asunto, '
        f"el remitente ni datos personales.</p>"
    )
    return _page(f"Verificación del folio {v.folio}", body)


def render_unknown() -> str:
    body = (
        '<h1>Código no encontrado</h1>\n<p class="bad" role="alert">Ningún acuse de recibo ni volante de turno '
        'tiene este código de verificación.</p>\n<p class="note">Revise que la dirección esté completa, tal como '
        "aparece impresa bajo el código QR. Si el documento no se puede verificar, comuníquese con la oficialía "
        "de partes que lo emitió.</p>"
    )
    return _page("Código de verificación no encontrado", body)
