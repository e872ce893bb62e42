"""What arrives, by area (data): subjects and summaries in the institution's own words, where
documents are registered, and the values that fill their placeholders."""

from __future__ import annotations

import random
from datetime import date
from typing import overload

from models.calendar import MONTHS_ES

from mcs.demo.org import REGIONS

# (sender key, document types, subject, summary); sender keys: those of senders.py (FEDERAL, STATE,
# ORGANIZATIONS), "MUN" (a municipality), "CIT" (a citizen). Placeholders are filled by `Filler`.

AREAS: dict[str, list[tuple[str, tuple[str, ...], str, str | None]]] = {
    "suelo": [
        (
            "CIT",
            ("SOLICITUD_CIUDADANA",),
            "Solicitud de regularización del predio ubicado en la colonia {col}, municipio de {mun}",
            "Solicita la regularización de la tenencia del predio que ocupa desde hace {yrs} años; anexa constancia de posesión y croquis de localización.",
        ),
        (
            "CIT",
            ("SOLICITUD_CIUDADANA",),
            "Solicitud de escrituración del lote {lote}, manzana {mz}, colonia {col}, {mun}",
            "Pide información sobre los requisitos y el costo para obtener la escritura del lote adquirido a través del Instituto.",
        ),
        (
            "CIT",
            ("SOLICITUD_CIUDADANA", "OTRO"),
            "Solicitud de información sobre el estado del expediente de regularización {exp}",
            "Pregunta en qué etapa se encuentra el trámite que inició en {prev} y cuándo podrá recoger su escritura.",
        ),
        (
            "CIT",
            ("SOLICITUD_CIUDADANA",),
            "Corrección del nombre del beneficiario en la escritura del lote {lote}, manzana {mz}, {mun}",
            "Señala un error en el segundo apellido del titular y solicita la rectificación ante el notario.",
        ),
        (
            "MUN",
            ("OFICIO",),
            "Solicitud de apoyo para la regularización de asentamientos humanos en la colonia {col}, {mun}",
            "El Ayuntamiento solicita incluir la colonia en el programa de regularización {year} y ofrece la colaboración de su Dirección de Desarrollo Urbano.",
        ),
        (
            "MUN",
            ("OFICIO",),
            "Remisión de constancias de alineamiento y número oficial de predios en regularización en {mun}",
            None,
        ),
        (
            "IFREM",
            ("OFICIO",),
            "Observaciones a la calificación registral de escrituras del programa de regularización en {mun}",
            "Devuelve {n} escrituras con observaciones y solicita subsanarlas para continuar con su inscripción.",
        ),
        ("IGECEM", ("OFICIO",), "Actualización de la cartografía catastral de predios regularizados en {mun}", None),
        (
            "RAN",
            ("OFICIO",),
            "Solicitud de información sobre predios de origen ejidal en {pueblo}, municipio de {mun}",
            None,
        ),
        (
            "PA",
            ("OFICIO",),
            "Conciliación con ejidatarios de {pueblo} sobre la incorporación de tierras al desarrollo urbano",
            None,
        ),
        (
            "TUA",
            ("OFICIO",),
            "Notificación de acuerdo en el juicio agrario {juicio} relativo a tierras de {pueblo}",
            "Se notifica acuerdo que admite pruebas y fija fecha para la audiencia de ley.",
        ),
        (
            "NOTARIOS",
            ("OFICIO",),
            "Propuesta de aranceles preferenciales para la escrituración de predios regularizados",
            None,
        ),
        (
            "EJIDO",
            ("OFICIO", "SOLICITUD_CIUDADANA"),
            "Solicitud de reunión para tratar la regularización de la zona urbana ejidal de {pueblo}",
            None,
        ),
        ("INSUS", ("OFICIO",), "Propuesta de convenio de coordinación para la regularización de lotes en {mun}", None),
        (
            "SEDUI",
            ("OFICIO",),
            "Seguimiento al programa de regularización de la tenencia de la tierra en {mun}",
            "Solicita el avance de las metas de escrituración comprometidas para el ejercicio {year}.",
        ),
    ],
    "vivienda": [
        (
            "CIT",
            ("SOLICITUD_CIUDADANA",),
            "Solicitud de apoyo del programa de mejoramiento de vivienda ({prog})",
            "Solicita su inclusión en el padrón de beneficiarios; habita en la colonia {col}, {mun}, con {n} dependientes económicos.",
        ),
        ("CIT", ("SOLICITUD_CIUDADANA",), "Solicitud de lote con servicios para vivienda en {mun}", None),
        (
            "CIT",
            ("SOLICITUD_CIUDADANA", "OTRO"),
            "Queja por retraso en la entrega de materiales del programa {prog}",
            "Manifiesta que fue aceptada en el programa en {prev_month} y no ha recibido los materiales.",
        ),
        (
            "CONAVI",
            ("OFICIO", "CIRCULAR"),
            "Reglas de operación del Programa de Vivienda Social {year} y convocatoria a organismos ejecutores",
            None,
        ),
        (
            "CONAVI",
            ("OFICIO",),
            "Solicitud de informe sobre la aplicación de subsidios federales para vivienda del ejercicio {prev}",
            None,
        ),
        (
            "INFONAVIT",
            ("OFICIO",),
            "Propuesta de esquema de cofinanciamiento para vivienda de trabajadores en {mun}",
            None,
        ),
        (
            "FOVISSSTE",
            ("OFICIO",),
            "Solicitud de reservas territoriales para vivienda de trabajadores al servicio del Estado",
            None,
        ),
        ("SHF", ("INVITACION",), "Invitación al Foro Estatal de Vivienda {year}", None),
        ("SEDUI", ("OFICIO",), "Validación de la factibilidad de reservas territoriales en {mun}", None),
        (
            "SEDUI",
            ("OFICIO", "TARJETA_INFORMATIVA"),
            "Solicitud del avance del programa de lotes con servicios en {des}",
            None,
        ),
        (
            "MUN",
            ("OFICIO",),
            "Solicitud de inclusión del municipio de {mun} en el programa de mejoramiento de vivienda {year}",
            None,
        ),
        (
            "MUN",
            ("OFICIO",),
            "Padrón de familias afectadas por las lluvias en {mun} para apoyos de vivienda",
            "Remite el padrón de {n} familias damnificadas y solicita apoyos emergentes de láminas y cemento.",
        ),
        (
            "CANADEVI",
            ("OFICIO",),
            "Propuesta de convenio para desarrollar vivienda social en reservas territoriales del Instituto",
            None,
        ),
        ("HABITAT", ("INVITACION",), "Invitación a la jornada de construcción solidaria en {mun}", None),
        ("SF", ("OFICIO",), "Autorización de recursos para el programa de mejoramiento de vivienda {year}", None),
    ],
    "admin": [
        ("SF", ("CIRCULAR",), "Lineamientos para el cierre del ejercicio presupuestal {year}", None),
        ("SF", ("OFICIO",), "Calendario de ministración de recursos del presupuesto autorizado {year}", None),
        (
            "SECOGEM",
            ("OFICIO",),
            "Orden de auditoría financiera al ejercicio {prev}",
            "Notifica el inicio de la auditoría y solicita designar un enlace y poner a disposición la documentación comprobatoria.",
        ),
        (
            "SECOGEM",
            ("CIRCULAR",),
            "Recordatorio del plazo para presentar la declaración de situación patrimonial y de intereses",
            None,
        ),
        (
            "SFRM",
            ("CIRCULAR", "OFICIO"),
            "Convocatoria para la compra consolidada de papelería y consumibles de cómputo",
            None,
        ),
        ("ASF", ("OFICIO",), "Requerimiento de información para la fiscalización de la Cuenta Pública {prev}", None),
        (
            "ISSEMYM",
            ("OFICIO",),
            "Conciliación de cuotas y aportaciones de seguridad social del {quarter} trimestre",
            None,
        ),
        ("TALLER", ("OTRO", "OFICIO"), "Propuesta de servicios de mantenimiento preventivo del parque vehicular", None),
        (
            "SUTEYM",
            ("OFICIO",),
            "Pliego petitorio de las personas trabajadoras sindicalizadas del Instituto {year}",
            None,
        ),
        ("CIT", ("SOLICITUD_CIUDADANA",), "Solicitud de constancia de servicios laborados en el Instituto", None),
        (
            "CIT",
            ("SOLICITUD_CIUDADANA",),
            "Solicitud de convenio de pago del adeudo del crédito de vivienda {credito}",
            "Propone liquidar el saldo en {n} mensualidades y solicita la condonación de intereses moratorios.",
        ),
        ("CIT", ("SOLICITUD_CIUDADANA",), "Solicitud de carta de no adeudo del lote {lote}, manzana {mz}, {mun}", None),
    ],
    "obra": [
        (
            "MUN",
            ("OFICIO",),
            "Solicitud de dictamen técnico para la introducción de servicios en la colonia {col}, {mun}",
            None,
        ),
        (
            "CAEM",
            ("OFICIO",),
            "Factibilidad de dotación de agua potable para el desarrollo de lotes con servicios {des}",
            None,
        ),
        ("CONSTRUCTORA", ("OFICIO",), "Estimación número {n} de los trabajos de urbanización en {des}, {mun}", None),
        (
            "PC",
            ("OFICIO",),
            "Dictamen de riesgo de predios en la colonia {col}, {mun}",
            "Identifica {n} viviendas en zona de riesgo por deslave y recomienda su reubicación.",
        ),
        (
            "CIT",
            ("SOLICITUD_CIUDADANA",),
            "Solicitud de levantamiento topográfico del predio ubicado en la colonia {col}, {mun}",
            None,
        ),
        ("CFE", ("OFICIO",), "Presupuesto de obra para la electrificación del desarrollo {des}", None),
        ("INGENIEROS", ("OFICIO", "INVITACION"), "Invitación a la jornada técnica sobre vivienda resiliente", None),
    ],
    "juridico": [
        (
            "JUZCIV",
            ("OFICIO",),
            "Emplazamiento en el juicio ordinario civil de usucapión {juicio} sobre predio en {mun}",
            "Se corre traslado de la demanda y se concede un plazo de nueve días para contestarla.",
        ),
        (
            "JDIST",
            ("OFICIO",),
            "Requerimiento de informe justificado en el juicio de amparo {amparo}",
            "Se requiere rendir el informe justificado dentro de los quince días siguientes a la notificación.",
        ),
        (
            "TRIJAEM",
            ("OFICIO",),
            "Emplazamiento a juicio administrativo promovido contra la negativa de escrituración",
            None,
        ),
        ("CODHEM", ("OFICIO",), "Solicitud de informe sobre la queja {codhem}", None),
        (
            "NOTARIOS",
            ("OFICIO",),
            "Propuesta de convenio de colaboración para la escrituración de predios regularizados",
            None,
        ),
        ("CJ", ("OFICIO",), "Observaciones al proyecto de Reglamento Interior del Instituto", None),
        ("SGG", ("OFICIO",), "Publicación en la Gaceta del Gobierno de los acuerdos del Consejo Directivo", None),
    ],
    "planeacion": [
        ("SF", ("OFICIO",), "Solicitud del informe de avance trimestral del Programa Anual {year}", None),
        (
            "INEGI",
            ("OFICIO", "INVITACION"),
            "Solicitud de registros administrativos de vivienda para el Censo Nacional de Gobierno {year}",
            None,
        ),
        ("COPLADEM", ("OFICIO",), "Integración del Informe de Gobierno: aportación del sector vivienda", None),
        ("SECOGEM", ("OFICIO",), "Evaluación del desempeño del programa presupuestario Vivienda", None),
        ("SF", ("CIRCULAR",), "Lineamientos para la integración del anteproyecto de presupuesto {next}", None),
    ],
    "transparencia": [
        (
            "CIT",
            ("SOLICITUD_CIUDADANA",),
            "Solicitud de acceso a la información pública {saimex}: padrón de beneficiarios del programa {prog}",
            None,
        ),
        (
            "CIT",
            ("SOLICITUD_CIUDADANA",),
            "Solicitud de acceso a la información pública {saimex}: contratos de obra celebrados en {prev}",
            None,
        ),
        ("CIT", ("SOLICITUD_CIUDADANA",), "Solicitud de acceso a datos personales {saimex} (derechos ARCO)", None),
        (
            "INFOEM",
            ("OFICIO",),
            "Notificación del recurso de revisión {recurso} contra la respuesta a la solicitud {saimex}",
            None,
        ),
        ("INFOEM", ("OFICIO",), "Resultados de la verificación virtual de obligaciones de transparencia {year}", None),
    ],
    "control": [
        (
            "CIT",
            ("SOLICITUD_CIUDADANA", "OTRO"),
            "Denuncia por presuntas irregularidades en la asignación de lotes en {mun}",
            None,
        ),
        ("SECOGEM", ("OFICIO",), "Programa anual de auditorías y revisiones {year}", None),
        ("SECOGEM", ("OFICIO",), "Seguimiento a observaciones de auditoría pendientes de solventar", None),
        ("CIT", ("SOLICITUD_CIUDADANA",), "Queja contra personal de la Delegación Regional por mala atención", None),
    ],
    "comunicacion": [
        ("CGCS", ("CIRCULAR",), "Lineamientos de imagen institucional y difusión {year}", None),
        ("PERIODICO", ("OFICIO", "OTRO"), "Solicitud de entrevista sobre los programas de vivienda social", None),
        ("MUN", ("INVITACION",), "Invitación a la ceremonia de entrega de escrituras en {mun}", None),
        ("LEGIS", ("INVITACION",), "Invitación al foro legislativo «Derecho a una vivienda adecuada»", None),
    ],
    "regional": [
        ("MUN", ("OFICIO",), "Solicitud de instalación de un módulo itinerante de atención en {mun}", None),
        ("CIT", ("SOLICITUD_CIUDADANA",), "Queja por falta de atención en el módulo de la Delegación Regional", None),
        (
            "SGG",
            ("OFICIO",),
            "Atención a la mesa de diálogo con vecinos de la colonia {col}, {mun}",
            "Convoca a una mesa de diálogo por la inconformidad de vecinos con el avance de la regularización.",
        ),
        (
            "LEGIS",
            ("OFICIO",),
            "Gestión ciudadana de vecinos de la colonia {col}, {mun}, para regularizar sus predios",
            None,
        ),
        (
            "COLONOS",
            ("OFICIO", "SOLICITUD_CIUDADANA"),
            "Solicitud de regularización de la colonia {col}, {mun}",
            "La mesa directiva presenta la relación de {n} lotes cuyos poseedores solicitan su escrituración.",
        ),
    ],
}
AREA_OF = {
    "DG": None,
    "SP": None,
    "DAF": "admin",
    "SRH": "admin",
    "SRMSG": "admin",
    "SFIN": "admin",
    "DRTT": "suelo",
    "SREG": "suelo",
    "SAAE": "suelo",
    "DPV": "vivienda",
    "SMV": "vivienda",
    "SSRT": "vivienda",
    "SFV": "vivienda",
    "DT": "obra",
    "SPDU": "obra",
    "SOS": "obra",
    "DOR": "regional",
    "SCR": "regional",
    "SAC": "regional",
    "UAJIG": "juridico",
    "UIPPE": "planeacion",
    "UT": "transparencia",
    "OIC": "control",
    "CCS": "comunicacion",
    "DNOM": "admin",
    "DDP": "admin",
    "DESC": "suelo",
}
REGIONAL_AREAS = ["suelo", "suelo", "vivienda", "vivienda", "regional"]
# where documents are registered, and how often
REGISTERING = (
    [("DG", 50)]
    + [(a, 13) for a in ("DAF", "DRTT", "DPV", "DT", "DOR")]
    + [(a, 5) for a in ("UAJIG", "UIPPE", "UT", "OIC", "CCS")]
    + [(f"DEL{s}", 9) for s, _, _ in REGIONS]
    + [(a, 3) for a in ("SREG", "SMV", "SFIN", "SRH", "SSRT")]
    # departments with a registrar (or a head standing in), so their staff have an inbox too
    + [("DNOM", 2), ("DDP", 1), ("DESC", 2)]
)
# memoranda and reports between units: (types, subject, summary)
INTERNAL = [
    (
        ("TARJETA_INFORMATIVA",),
        "Tarjeta informativa sobre el avance de escrituración en {mun}",
        "Se informa la entrega de {n} escrituras y las observaciones pendientes con el IFREM.",
    ),
    (("MEMORANDUM",), "Solicitud de vehículo oficial para visita de campo a {mun}", None),
    (("MEMORANDUM", "OFICIO"), "Remisión del informe mensual de actividades de {prev_month}", None),
    (("OFICIO",), "Envío de expedientes de regularización para firma de escrituras", None),
    (("CIRCULAR",), "Periodo vacacional de invierno del personal del Instituto", None),
    (("MEMORANDUM",), "Solicitud de suficiencia presupuestal para la adquisición de material de oficina", None),
    (("TARJETA_INFORMATIVA",), "Atención a la audiencia pública del Director General en {mun}", None),
    (("MEMORANDUM",), "Solicitud de mantenimiento de equipo de cómputo", None),
    (("OFICIO", "MEMORANDUM"), "Requerimiento de información para la integración del informe trimestral", None),
    (("MEMORANDUM",), "Designación de enlace de control de gestión", None),
    (("TARJETA_INFORMATIVA",), "Estado que guardan las solicitudes del programa {prog} en {mun}", None),
    (("OFICIO",), "Remisión de la conciliación bancaria de {prev_month}", None),
]

# values for the placeholders
COLONIAS = [
    "Centro",
    "San Isidro",
    "La Loma",
    "Ampliación San Miguel",
    "Ejido de San Lorenzo",
    "Lomas de la Cruz",
    "El Mirador",
    "Santa Cruz",
    "Las Palmas",
    "Benito Juárez",
    "Emiliano Zapata",
    "Guadalupe Victoria",
    "Valle Verde",
    "Los Reyes",
    "San Juan",
    "Independencia",
    "Tierra Blanca",
    "Colinas del Sol",
    "Las Flores",
    "Barrio de San Pedro",
    "Ampliación La Providencia",
    "Francisco I. Madero",
    "El Tejocote",
    "Plan de Ayala",
]
PUEBLOS = [
    "San Mateo Otzacatipan",
    "San Pablo Autopan",
    "Santiago Tlacotepec",
    "San Cristóbal Huichochitlán",
    "Santa María Ajoloapan",
    "San Juan Tlalpizahuac",
    "Santa Ana Jilotzingo",
    "San Francisco Tepojaco",
    "Santiago Cuautlalpan",
    "San Lucas Xochimanca",
]
PROGRAMS = ["Piso Firme", "Techo Digno", "Cuarto Adicional", "Vivienda Progresiva", "Baño Digno", "Calentador Solar"]
DEVELOPMENTS = [
    "Las Margaritas",
    "Los Sauces",
    "Villas del Nevado",
    "Rancho San José",
    "El Potrero",
    "Real de Tultepec",
]


class Filler(dict):
    """Values for the placeholders of the templates, drawn when asked for."""

    def __init__(self, rng: random.Random, day: date, municipalities: list[str]):
        super().__init__()
        self.rng, self.day = rng, day
        self["mun"] = rng.choice(municipalities)

    def __missing__(self, key: str) -> str:
        rng, year = self.rng, self.day.year
        values = {
            "col": lambda: rng.choice(COLONIAS),
            "lote": lambda: str(rng.randint(1, 48)),
            "mz": lambda: str(rng.randint(1, 35)),
            "yrs": lambda: str(rng.randint(8, 35)),
            "n": lambda: str(rng.randint(3, 40)),
            "year": lambda: str(year),
            "prev": lambda: str(year - 1),
            "next": lambda: str(year + 1),
            "prev_month": lambda: MONTHS_ES[(self.day.month - 2) % 12],
            "quarter": lambda: ["primer", "segundo", "tercer", "cuarto"][(self.day.month - 1) // 3],
            "exp": lambda: f"IMEVIS/REG/{rng.randint(100, 4999):04d}/{year - rng.randint(0, 3)}",
            "prog": lambda: rng.choice(PROGRAMS),
            "pueblo": lambda: rng.choice(PUEBLOS),
            "des": lambda: f"«{rng.choice(DEVELOPMENTS)}»",
            "juicio": lambda: f"{rng.randint(100, 1999)}/{year - rng.randint(0, 2)}",
            "amparo": lambda: f"{rng.randint(100, 2500)}/{year}",
            "codhem": lambda: f"CODHEM/TOL/{rng.randint(100, 999)}/{year}",
            "saimex": lambda: f"{rng.randint(1, 999):05d}/IMEVIS/IP/{year}",
            "recurso": lambda: f"{rng.randint(1000, 9999):05d}/INFOEM/IP/RR/{year}",
            "credito": lambda: f"IMEVIS-CR-{rng.randint(10000, 99999)}",
        }
        value = values[key]()
        self[key] = value
        return value

    @overload
    def fill(self, template: str) -> str: ...  # (no template here is empty, which would give None)
    @overload
    def fill(self, template: None) -> None: ...
    def fill(self, template: str | None) -> str | None:
        return template.format_map(self) if template else None
