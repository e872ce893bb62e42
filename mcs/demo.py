"""Demo data (in Spanish): an institution shaped like the Instituto Mexiquense de la Vivienda
Social (IMEVIS, Estado de México), its people in every role, and a year of correspondence.

`mcs demo` and `mcs serve --demo-if-empty` call `load_demo`. The org tree and the users are
written straight through the models; everything else goes through the real use cases, each as
the user who would do it: registering every document, then the workflow — turning it to units
(and delegating further down), acknowledging, answering, returning with observations, accepting,
cancelling, concluding and archiving — and the deadline watcher's passes. So folios, chains,
states and events are exactly what the application would have produced. A frozen clock is moved
to each moment before acting, which spreads all of it over the last 365 days, in order, up to
the real now: older matters are mostly done, recent ones are open in every state, and today has
turnos on time, near their deadline and overdue, some in the analysts' inboxes.

Everything random comes from seeded generators: the same day gives the same data (the time of
day decides only how much of today has happened yet, and when this morning's few documents came).

All the people, names, addresses, phone numbers and e-mails are fictitious.
"""

from __future__ import annotations

import random
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.settings import Settings
from models.calendar import BusinessCalendar, load_calendar, long_date_es
from models.clock import Clock, FrozenClock
from models.db import SharedSession
from models.documents import Document, Origin, Priority, SenderLevel
from models.events import Event, EventKind
from models.org import OrgUnit, OrgUnitKind, create_unit
from models.permissions import Principal
from models.traffic_light import TrafficLight, turno_light
from models.turnos import Response, Turno
from models.users import Membership, Role, User, hash_password_in_thread
from models.workflow import AWAITING_ANSWER, Decision, Instruction, TurnoStatus

DEMO_PASSWORD = "mcs-demo-2026"
SEED = 2026
DOCUMENT_COUNT = 300
EMAIL_DOMAIN = "imevis.example"  # a reserved domain (RFC 2606): nobody receives these

K = OrgUnitKind

# --- the org tree -------------------------------------------------------------------------
# (acronym, name, kind, parent acronym); codes are derived from the position in the tree.

REGIONS = [
    # (acronym suffix, seat, municipalities it serves)
    ("TOL", "Toluca", ["Toluca", "Metepec", "Zinacantepec", "Lerma", "San Mateo Atenco", "Almoloya de Juárez"]),
    ("ECA", "Ecatepec", ["Ecatepec de Morelos", "Tecámac", "Coacalco de Berriozábal", "Acolman"]),
    ("NAU", "Naucalpan", ["Naucalpan de Juárez", "Huixquilucan", "Atizapán de Zaragoza", "Nicolás Romero"]),
    ("TEX", "Texcoco", ["Texcoco", "Chimalhuacán", "Chicoloapan", "Chiautla"]),
    ("ATL", "Atlacomulco", ["Atlacomulco", "Jocotitlán", "El Oro", "Temascalcingo", "Acambay"]),
    ("VBR", "Valle de Bravo", ["Valle de Bravo", "Donato Guerra", "Amanalco", "Villa de Allende"]),
    ("TEJ", "Tejupilco", ["Tejupilco", "Amatepec", "Tlatlaya", "Luvianos"]),
    ("ZUM", "Zumpango", ["Zumpango", "Huehuetoca", "Tequixquiac", "Jaltenco"]),
    ("CHA", "Chalco", ["Chalco", "Valle de Chalco Solidaridad", "Ixtapaluca", "Amecameca"]),
    ("CIZ", "Cuautitlán Izcalli", ["Cuautitlán Izcalli", "Cuautitlán", "Tultitlán", "Tepotzotlán"]),
    ("NEZ", "Nezahualcóyotl", ["Nezahualcóyotl", "La Paz"]),
    ("TLA", "Tlalnepantla", ["Tlalnepantla de Baz", "Tultepec", "Melchor Ocampo"]),
]

CENTRAL_UNITS = [
    ("IMEVIS", "Instituto Mexiquense de la Vivienda Social", K.UNIT, None),
    ("DG", "Dirección General", K.GENERAL_DIRECTORATE, "IMEVIS"),
    ("SP", "Secretaría Particular", K.UNIT, "DG"),
    ("DCG", "Departamento de Control de Gestión", K.DEPARTMENT, "SP"),
    ("DAG", "Departamento de Agenda y Giras", K.DEPARTMENT, "SP"),
    ("CCS", "Coordinación de Comunicación Social", K.UNIT, "DG"),
    ("UAJIG", "Unidad de Asuntos Jurídicos e Igualdad de Género", K.UNIT, "DG"),
    ("DCONS", "Departamento Consultivo y de Convenios", K.DEPARTMENT, "UAJIG"),
    ("DCONTE", "Departamento de lo Contencioso", K.DEPARTMENT, "UAJIG"),
    ("DNIG", "Departamento de Normatividad e Igualdad de Género", K.DEPARTMENT, "UAJIG"),
    ("UIPPE", "Unidad de Información, Planeación, Programación y Evaluación", K.UNIT, "DG"),
    ("DPLAN", "Departamento de Planeación y Programación", K.DEPARTMENT, "UIPPE"),
    ("DEVAL", "Departamento de Evaluación y Estadística", K.DEPARTMENT, "UIPPE"),
    ("DINF", "Departamento de Informática", K.DEPARTMENT, "UIPPE"),
    ("UT", "Unidad de Transparencia", K.UNIT, "DG"),
    ("OIC", "Órgano Interno de Control", K.UNIT, "DG"),
    ("OICQ", "Área de Quejas", K.DEPARTMENT, "OIC"),
    ("OICR", "Área de Responsabilidades", K.DEPARTMENT, "OIC"),
    ("OICA", "Área de Auditoría", K.DEPARTMENT, "OIC"),
    ("DAF", "Dirección de Administración y Finanzas", K.DIRECTORATE, "DG"),
    ("SRH", "Subdirección de Recursos Humanos", K.SUBDIRECTORATE, "DAF"),
    ("DNOM", "Departamento de Nóminas y Prestaciones", K.DEPARTMENT, "SRH"),
    ("DDP", "Departamento de Desarrollo de Personal", K.DEPARTMENT, "SRH"),
    ("SRMSG", "Subdirección de Recursos Materiales y Servicios Generales", K.SUBDIRECTORATE, "DAF"),
    ("DADQ", "Departamento de Adquisiciones", K.DEPARTMENT, "SRMSG"),
    ("DSG", "Departamento de Servicios Generales", K.DEPARTMENT, "SRMSG"),
    ("DCPAT", "Departamento de Control Patrimonial", K.DEPARTMENT, "SRMSG"),
    ("DARCH", "Departamento de Archivo", K.DEPARTMENT, "SRMSG"),
    ("SFIN", "Subdirección de Finanzas", K.SUBDIRECTORATE, "DAF"),
    ("DCONT", "Departamento de Contabilidad", K.DEPARTMENT, "SFIN"),
    ("DTES", "Departamento de Tesorería", K.DEPARTMENT, "SFIN"),
    ("DPRES", "Departamento de Presupuesto", K.DEPARTMENT, "SFIN"),
    ("DCOB", "Departamento de Cobranza y Recuperación de Créditos", K.DEPARTMENT, "SFIN"),
    ("DRTT", "Dirección de Regularización de la Tenencia de la Tierra", K.DIRECTORATE, "DG"),
    ("SREG", "Subdirección de Regularización", K.SUBDIRECTORATE, "DRTT"),
    ("DRP", "Departamento de Regularización de Predios", K.DEPARTMENT, "SREG"),
    ("DESC", "Departamento de Escrituración", K.DEPARTMENT, "SREG"),
    ("DRC", "Departamento de Registro y Catastro", K.DEPARTMENT, "SREG"),
    ("SAAE", "Subdirección de Asuntos Agrarios y Expropiaciones", K.SUBDIRECTORATE, "DRTT"),
    ("DVNA", "Departamento de Vinculación con Núcleos Agrarios", K.DEPARTMENT, "SAAE"),
    ("DEXP", "Departamento de Expropiaciones", K.DEPARTMENT, "SAAE"),
    ("DPV", "Dirección de Programas de Vivienda", K.DIRECTORATE, "DG"),
    ("SMV", "Subdirección de Mejoramiento de Vivienda", K.SUBDIRECTORATE, "DPV"),
    ("DMV", "Departamento de Mejoramiento de Vivienda", K.DEPARTMENT, "SMV"),
    ("DAUT", "Departamento de Autoconstrucción y Vivienda Progresiva", K.DEPARTMENT, "SMV"),
    ("SSRT", "Subdirección de Suelo y Reservas Territoriales", K.SUBDIRECTORATE, "DPV"),
    ("DRT", "Departamento de Reservas Territoriales", K.DEPARTMENT, "SSRT"),
    ("DLS", "Departamento de Lotes con Servicios", K.DEPARTMENT, "SSRT"),
    ("SFV", "Subdirección de Financiamiento y Vinculación", K.SUBDIRECTORATE, "DPV"),
    ("DCS", "Departamento de Créditos y Subsidios", K.DEPARTMENT, "SFV"),
    ("DT", "Dirección Técnica", K.DIRECTORATE, "DG"),
    ("SPDU", "Subdirección de Proyectos y Desarrollo Urbano", K.SUBDIRECTORATE, "DT"),
    ("DTOPO", "Departamento de Topografía", K.DEPARTMENT, "SPDU"),
    ("DPU", "Departamento de Proyectos Urbanos", K.DEPARTMENT, "SPDU"),
    ("SOS", "Subdirección de Obra y Supervisión", K.SUBDIRECTORATE, "DT"),
    ("DSO", "Departamento de Supervisión de Obra", K.DEPARTMENT, "SOS"),
    ("DCPO", "Departamento de Costos y Presupuestos de Obra", K.DEPARTMENT, "SOS"),
    ("DOR", "Dirección de Operación Regional", K.DIRECTORATE, "DG"),
    ("SCR", "Subdirección de Coordinación Regional", K.SUBDIRECTORATE, "DOR"),
    ("DSR", "Departamento de Seguimiento Regional", K.DEPARTMENT, "SCR"),
    ("SAC", "Subdirección de Atención Ciudadana", K.SUBDIRECTORATE, "DOR"),
    ("DMAC", "Departamento de Módulos de Atención Ciudadana", K.DEPARTMENT, "SAC"),
    ("DQS", "Departamento de Quejas y Sugerencias", K.DEPARTMENT, "SAC"),
]


def regional_units() -> list[tuple[str, str, OrgUnitKind, str]]:
    units = []
    for suffix, seat, _ in REGIONS:
        office = f"Delegación Regional {seat}"
        units.append((f"DEL{suffix}", office, K.REGIONAL_OFFICE, "DOR"))
        units.append((f"REG{suffix}", f"Departamento de Regularización de la {office}", K.DEPARTMENT, f"DEL{suffix}"))
        units.append((f"VIV{suffix}", f"Departamento de Vivienda de la {office}", K.DEPARTMENT, f"DEL{suffix}"))
    return units


UNITS = CENTRAL_UNITS + regional_units()
REGION_MUNICIPALITIES = {f"DEL{suffix}": municipalities for suffix, _, municipalities in REGIONS}
ALL_MUNICIPALITIES = [m for _, _, ms in REGIONS for m in ms] + ["San Antonio la Isla", "Tenango del Valle", "Ocoyoacac"]

CHECK_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def unit_codes(units) -> dict[str, str]:
    """Claves in the style of the State of Mexico's ("212C0101000200S"): sector and agency,
    then two digits per level below the Dirección General, then a check letter."""
    children: dict[str | None, list[str]] = {}
    for acronym, _, _, parent in units:
        children.setdefault(parent, []).append(acronym)
    codes = {"IMEVIS": "212C01", "DG": "212C0101000000L"}

    def walk(acronym: str, digits: list[int]):
        for index, child in enumerate(children.get(acronym, []), start=1):
            position = digits + [index]
            padded = (position + [0, 0, 0])[:3]
            number = "".join(f"{d:02d}" for d in padded)
            letter = CHECK_LETTERS[sum((i + 3) * int(c) for i, c in enumerate(number)) % len(CHECK_LETTERS)]
            codes[child] = f"212C0101{number}{letter}"
            walk(child, position)

    walk("DG", [])
    return codes


# --- people ---------------------------------------------------------------------------------

FEMALE = [
    "María Guadalupe",
    "Ana Laura",
    "Verónica",
    "Adriana",
    "Claudia",
    "Patricia",
    "Alejandra",
    "Gabriela",
    "Rosa María",
    "Leticia",
    "Martha Elena",
    "Silvia",
    "Norma Angélica",
    "Araceli",
    "Diana",
    "Karla",
    "Mariana",
    "Fernanda",
    "Daniela",
    "Itzel",
    "Xóchitl",
    "Yolanda",
    "Beatriz",
    "Lorena",
    "Elizabeth",
    "Mónica",
    "Sandra Luz",
    "Carolina",
    "Liliana",
    "Brenda",
    "Érika",
    "Paola",
    "Nayeli",
    "Rocío",
    "Teresa",
    "Jazmín",
    "Marisol",
    "Cecilia",
    "Angélica",
    "Miriam",
]
MALE = [
    "José Luis",
    "Juan Carlos",
    "Miguel Ángel",
    "Francisco Javier",
    "Jorge",
    "Ricardo",
    "Alejandro",
    "Eduardo",
    "Fernando",
    "Roberto",
    "Sergio",
    "Arturo",
    "Héctor",
    "Raúl",
    "Mario",
    "Óscar",
    "Gerardo",
    "Víctor Manuel",
    "Jesús",
    "Salvador",
    "Enrique",
    "Hugo",
    "Armando",
    "Rodrigo",
    "Israel",
    "Omar",
    "Iván",
    "Édgar",
    "Luis Fernando",
    "Carlos Alberto",
    "Pedro",
    "Daniel",
    "Emilio",
    "Marco Antonio",
    "Rubén",
    "Alfredo",
    "Guillermo",
    "Adrián",
    "Felipe",
    "Tomás",
]
SURNAMES = [
    "García",
    "Hernández",
    "Martínez",
    "López",
    "González",
    "Pérez",
    "Rodríguez",
    "Sánchez",
    "Ramírez",
    "Cruz",
    "Flores",
    "Gómez",
    "Morales",
    "Vázquez",
    "Reyes",
    "Jiménez",
    "Torres",
    "Díaz",
    "Gutiérrez",
    "Ruiz",
    "Mendoza",
    "Aguilar",
    "Ortiz",
    "Moreno",
    "Castillo",
    "Romero",
    "Álvarez",
    "Méndez",
    "Chávez",
    "Rivera",
    "Juárez",
    "Ramos",
    "Domínguez",
    "Herrera",
    "Medina",
    "Castro",
    "Vargas",
    "Guzmán",
    "Velázquez",
    "Rojas",
    "Contreras",
    "Salazar",
    "Luna",
    "Estrada",
    "Becerril",
    "Colín",
    "Albarrán",
    "Garduño",
    "Mercado",
    "Valdés",
    "Nava",
    "Arriaga",
    "Bernal",
    "Sotelo",
    "Olivares",
    "Zepeda",
    "Ávila",
    "Carbajal",
    "Montesinos",
    "Peñaloza",
    "Alcántara",
    "Dávila",
    "Maya",
    "Velasco",
    "Benítez",
]
TITLES = {
    True: ["Lic.", "Mtra.", "Ing.", "Arq.", "C.P.", "Dra."],
    False: ["Lic.", "Mtro.", "Ing.", "Arq.", "C.P.", "Dr."],
}


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return ".".join(plain.replace("-", " ").split())


def gendered(text: str, female: bool) -> str:
    """'Director{a}' / 'Delegad{o}' / 'Jef{e}' in the right gender."""
    return text.format(a="a" if female else "", o="a" if female else "o", e="a" if female else "e")


class People:
    """Fictitious, unique Mexican names."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def person(self, female: bool | None = None) -> tuple[str, bool]:
        while True:
            is_female = self.rng.random() < 0.5 if female is None else female
            first = self.rng.choice(FEMALE if is_female else MALE)
            name = f"{first} {self.rng.choice(SURNAMES)} {self.rng.choice(SURNAMES)}"
            if name not in self.used:
                self.used.add(name)
                return name, is_female

    def titled(self, female: bool | None = None) -> tuple[str, bool]:
        name, is_female = self.person(female)
        return f"{self.rng.choice(TITLES[is_female])} {name}", is_female


def head_position(name: str, kind: str, female: bool) -> str:
    if kind == K.GENERAL_DIRECTORATE:
        return gendered("Director{a} General", female)
    if name.startswith("Dirección"):
        return gendered("Director{a}", female) + name[len("Dirección") :]
    if name.startswith("Subdirección"):
        return gendered("Subdirector{a}", female) + name[len("Subdirección") :]
    if name.startswith("Departamento"):
        return gendered("Jef{e} del ", female) + name
    if name.startswith("Delegación Regional"):
        return gendered("Delegad{o} Regional", female) + name[len("Delegación Regional") :]
    if name.startswith("Secretaría Particular"):
        return gendered("Secretari{o} Particular", female)
    if name.startswith("Coordinación"):
        return gendered("Coordinador{a}", female) + name[len("Coordinación") :]
    return f"Titular {of(name)}"


def of(name: str) -> str:
    """'de la Dirección…', 'del Departamento…'."""
    masculine = name.startswith(("Departamento", "Órgano", "Área", "Instituto"))
    return f"{'del' if masculine else 'de la'} {name}"


# Users besides the heads and the registrars: (username, [(unit, role)], position, female?)
STAFF = [
    ("analista.nominas", [("DNOM", Role.STAFF)], "Analista de Nóminas"),
    ("analista.escrituracion", [("DESC", Role.STAFF)], "Analista de Escrituración"),
    ("analista.regularizacion", [("DRP", Role.STAFF)], "Analista de Regularización"),
    ("tecnico.informatica", [("DINF", Role.STAFF)], "Técnic{o} en Informática"),
    ("analista.contabilidad", [("DCONT", Role.STAFF)], "Analista Contable"),
    ("analista.mejoramiento", [("DMV", Role.STAFF)], "Promotor{a} de Mejoramiento de Vivienda"),
    ("analista.lotes", [("DLS", Role.STAFF)], "Analista de Lotes con Servicios"),
    ("abogado.consultivo", [("DCONS", Role.STAFF)], "Abogad{o} Dictaminador{a}"),
    ("abogado.contencioso", [("DCONTE", Role.STAFF)], "Abogad{o} Litigante"),
    ("auxiliar.adquisiciones", [("DADQ", Role.STAFF)], "Auxiliar Administrativ{o}"),
    ("topografo.dt", [("DTOPO", Role.STAFF)], "Topógraf{o}"),
    ("atencion.ciudadana", [("DMAC", Role.STAFF)], "Orientador{a} de Atención Ciudadana"),
    ("auxiliar.regtol", [("REGTOL", Role.STAFF)], "Auxiliar de Regularización"),
    ("promotor.vivcha", [("VIVCHA", Role.STAFF)], "Promotor{a} de Vivienda"),
    ("archivista", [("DARCH", Role.STAFF)], "Responsable del Archivo de Trámite"),
    # a registrar serving two departments
    (
        "registro.rh",
        [("DNOM", Role.REGISTRAR), ("DDP", Role.REGISTRAR)],
        "Enlace de Control de Gestión de Recursos Humanos",
    ),
    # read-only reporting
    ("consulta.dg", [("DG", Role.VIEWER)], "Analista de Estadística e Informes"),
    ("consulta.uippe", [("UIPPE", Role.VIEWER)], "Analista de Evaluación"),
    ("auditoria.oic", [("IMEVIS", Role.VIEWER)], "Auditor{a} del Órgano Interno de Control"),
]
# the head of the Departamento de Escrituración is on leave: the Subdirector(a) de Regularización stands in
VACANT_HEADS = {"DESC": "SREG"}
# units with their own control de gestión (registrar)
REGISTRAR_KINDS = {K.GENERAL_DIRECTORATE, K.DIRECTORATE, K.REGIONAL_OFFICE}


@dataclass
class Person:
    username: str
    full_name: str
    position: str
    female: bool
    grants: list[tuple[str, Role]]
    user: User | None = None


def plan_people(rng: random.Random, people: People, units: list) -> list[Person]:
    plan = [Person("admin", *_named(people, "Administrador{a} del Sistema MCS"), [("IMEVIS", Role.ADMIN)])]
    for acronym, name, kind, parent in units:
        if parent is None:
            continue
        if acronym not in VACANT_HEADS:
            full_name, female = people.person()
            grants = [(acronym, Role.HEAD)] + [(a, Role.HEAD) for a, by in VACANT_HEADS.items() if by == acronym]
            plan.append(
                Person(f"titular.{acronym.lower()}", full_name, head_position(name, kind, female), female, grants)
            )
        if kind in REGISTRAR_KINDS or (kind == K.UNIT and parent == "DG"):
            full_name, female = people.person()
            plan.append(
                Person(
                    f"registro.{acronym.lower()}",
                    full_name,
                    f"Responsable de Control de Gestión {of(name)}",
                    female,
                    [(acronym, Role.REGISTRAR)],
                )
            )
    for username, grants, position in STAFF:
        plan.append(Person(username, *_named(people, position), grants))
    return plan


def _named(people: People, position: str) -> tuple[str, str, bool]:
    full_name, female = people.person()
    return full_name, gendered(position, female), female


# --- senders ----------------------------------------------------------------------------------

# (organization, reference prefix, [positions])
FEDERAL = {
    "CONAVI": (
        "Comisión Nacional de Vivienda",
        "CONAVI/SGSDI",
        ["Subdirector{a} General de Subsidios y Desarrollo Institucional", "Coordinador{a} de Programas de Vivienda"],
    ),
    "SEDATU": (
        "Secretaría de Desarrollo Agrario, Territorial y Urbano",
        "SEDATU/OR-MEX",
        [
            "Titular de la Oficina de Representación en el Estado de México",
            "Director{a} General de Ordenamiento Territorial",
        ],
    ),
    "INFONAVIT": (
        "Instituto del Fondo Nacional de la Vivienda para los Trabajadores",
        "INFONAVIT/DR-MEX",
        ["Delegad{o} Regional en el Estado de México", "Gerente de Crédito"],
    ),
    "FOVISSSTE": (
        "Fondo de la Vivienda del ISSSTE",
        "FOVISSSTE/DEM",
        ["Jef{e} del Departamento de Vivienda en el Estado de México"],
    ),
    "INSUS": ("Instituto Nacional del Suelo Sustentable", "INSUS/REM", ["Representante en el Estado de México"]),
    "RAN": ("Registro Agrario Nacional", "RAN/DEM", ["Encargad{o} de la Representación Estatal"]),
    "PA": ("Procuraduría Agraria", "PA/RT", ["Residente en Toluca", "Visitador{a} Agrari{o}"]),
    "TUA": ("Tribunal Unitario Agrario del Distrito 9", "TUA9", ["Secretari{o} de Acuerdos"]),
    "SHF": ("Sociedad Hipotecaria Federal", "SHF/DGAV", ["Director{a} de Vivienda"]),
    "INEGI": (
        "Instituto Nacional de Estadística y Geografía",
        "INEGI/CEMEX",
        ["Coordinador{a} Estatal en el Estado de México"],
    ),
    "ASF": ("Auditoría Superior de la Federación", "ASF/AECF", ["Director{a} de Auditoría"]),
    "CFE": ("Comisión Federal de Electricidad", "CFE/DVM", ["Superintendente de Zona Toluca"]),
    "JDIST": (
        "Juzgado Primero de Distrito en Materia de Amparo en el Estado de México",
        "JD1/AMP",
        ["Secretari{o} del Juzgado"],
    ),
}
STATE = {
    "SEDUI": (
        "Secretaría de Desarrollo Urbano e Infraestructura",
        "SEDUI/DGV",
        ["Director{a} General de Vivienda", "Subsecretari{o} de Desarrollo Urbano"],
    ),
    "SF": (
        "Secretaría de Finanzas",
        "SF/SPP/DGPP",
        ["Subsecretari{o} de Planeación y Presupuesto", "Director{a} General de Planeación y Gasto Público"],
    ),
    "SFRM": ("Secretaría de Finanzas", "SF/DGRM", ["Director{a} General de Recursos Materiales"]),
    "SECOGEM": (
        "Secretaría de la Contraloría",
        "SECOGEM/DGCE",
        ["Director{a} General de Control y Evaluación", "Auditor{a} Especial"],
    ),
    "IFREM": (
        "Instituto de la Función Registral del Estado de México",
        "IFREM/OR-TOL",
        ["Registrador{a} de la Propiedad de la Oficina Registral de Toluca"],
    ),
    "IGECEM": (
        "Instituto de Información e Investigación Geográfica, Estadística y Catastral del Estado de México",
        "IGECEM/DC",
        ["Director{a} de Catastro"],
    ),
    "SGG": ("Secretaría General de Gobierno", "SGG/SSG", ["Subsecretari{o} General de Gobierno"]),
    "CODHEM": ("Comisión de Derechos Humanos del Estado de México", "CODHEM/VG", ["Visitador{a} General"]),
    "INFOEM": (
        "Instituto de Transparencia, Acceso a la Información Pública y Protección de Datos Personales del Estado de México y Municipios",
        "INFOEM/DGJV",
        ["Director{a} General Jurídic{o} y de Verificación"],
    ),
    "TRIJAEM": (
        "Tribunal de Justicia Administrativa del Estado de México",
        "TRIJAEM/SR1",
        ["Magistrad{o} de la Primera Sala Regional"],
    ),
    "LEGIS": ("Poder Legislativo del Estado de México", "LXII/DIP", ["Diputad{o} Local"]),
    "ISSEMYM": (
        "Instituto de Seguridad Social del Estado de México y Municipios",
        "ISSEMYM/CF",
        ["Coordinador{a} de Finanzas"],
    ),
    "CAEM": ("Comisión del Agua del Estado de México", "CAEM/DGPP", ["Director{a} General de Proyectos"]),
    "PC": (
        "Coordinación General de Protección Civil y Gestión Integral del Riesgo",
        "CGPC/DGR",
        ["Director{a} de Gestión de Riesgos"],
    ),
    "COPLADEM": (
        "Comité de Planeación para el Desarrollo del Estado de México",
        "COPLADEM/DG",
        ["Director{a} General"],
    ),
    "CGCS": ("Coordinación General de Comunicación Social", "CGCS/DI", ["Director{a} de Imagen Institucional"]),
    "JUZCIV": ("Juzgado Tercero Civil de Primera Instancia de Toluca", "JC3/TOL", ["Secretari{o} de Acuerdos"]),
    "CJ": ("Consejería Jurídica del Ejecutivo Estatal", "CJEM/DGJ", ["Director{a} General Jurídic{o}"]),
}
ORGANIZATIONS = {
    "NOTARIOS": ("Colegio de Notarios del Estado de México", "CNEM", ["President{e} del Consejo Directivo"]),
    "CANADEVI": (
        "Cámara Nacional de la Industria de Desarrollo y Promoción de Vivienda, Delegación Estado de México",
        "CANADEVI-EM",
        ["President{e}"],
    ),
    "HABITAT": ("Fundación Techo Solidario, A.C.", "FTS", ["Director{a} de Programas"]),
    "COLONOS": ("Asociación de Colonos de {col}, A.C.", None, ["President{e} de la Mesa Directiva", "Secretari{o}"]),
    "EJIDO": ("Comisariado Ejidal de {pueblo}", None, ["President{e} del Comisariado Ejidal"]),
    "INGENIEROS": ("Colegio de Ingenieros Civiles del Estado de México, A.C.", "CICEM", ["President{e}"]),
    "SUTEYM": (
        "Sindicato Único de Trabajadores de los Poderes, Municipios e Instituciones Descentralizadas del Estado de México",
        "SUTEYM",
        ["Secretari{o} General"],
    ),
    "CONSTRUCTORA": ("Constructora y Urbanizadora del Valle de Toluca, S.A. de C.V.", "CUVT", ["Representante Legal"]),
    "TALLER": ("Servicios Automotrices Nevado, S.A. de C.V.", None, ["Gerente de Ventas"]),
    "PERIODICO": ("Diario Regional del Valle de Toluca", None, ["Jef{e} de Información"]),
}
MUNICIPAL_POSITIONS = [
    "President{e} Municipal Constitucional",
    "Director{a} de Desarrollo Urbano",
    "Síndic{o} Municipal",
    "Secretari{o} del Ayuntamiento",
    "Director{a} de Catastro Municipal",
    "Director{a} de Obras Públicas",
]

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
STREETS = [
    "Calle Hidalgo",
    "Av. Morelos",
    "Calle Independencia",
    "Calle Allende",
    "Av. Juárez",
    "Calle Aldama",
    "Cerrada de los Pinos",
    "Privada Libertad",
    "Calle 5 de Mayo",
    "Av. Revolución",
    "Calle Nicolás Bravo",
    "Andador Girasoles",
    "Calle Francisco Villa",
    "Callejón del Sol",
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
MONTHS = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]
DEVELOPMENTS = [
    "Las Margaritas",
    "Los Sauces",
    "Villas del Nevado",
    "Rancho San José",
    "El Potrero",
    "Real de Tultepec",
]
MAIL_DOMAINS = ["example.com", "example.net", "example.org"]


# --- what arrives, by area -------------------------------------------------------------------
# (sender key, document types, subject, summary); sender keys: FEDERAL/STATE/ORGANIZATIONS keys,
# "MUN" (a municipality), "CIT" (a citizen). Placeholders are filled by `Filler`.

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
            "prev_month": lambda: MONTHS[(self.day.month - 2) % 12],
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

    def fill(self, template: str | None) -> str | None:
        return template.format_map(self) if template else None


# --- the loader -------------------------------------------------------------------------------


@dataclass
class Demo:
    rng: random.Random
    people: People
    units: dict[str, OrgUnit] = field(default_factory=dict)
    persons: list[Person] = field(default_factory=list)
    registrant: dict[str, Person] = field(default_factory=dict)  # unit acronym -> who registers there
    head_of: dict[str, Person] = field(default_factory=dict)
    references: dict[str, int] = field(default_factory=dict)


async def load_demo(settings: Settings, only_if_empty: bool = True) -> None:
    """Load the demo institution into the database of `settings` (already migrated)."""
    from mcs.app import build_services
    from models.principals import load_principal
    from resolvers.deadlines import run_deadline_pass

    started = time.perf_counter()
    clock = FrozenClock(tz_name=settings.timezone)
    services = build_services(settings, clock=clock)
    try:
        async with services.db.session() as session:
            has_units = (await session.execute(select(OrgUnit.id).limit(1))).first() is not None
            existing_documents = (await session.execute(select(func.count(Document.id)))).scalar_one()
        if has_units and only_if_empty:
            print("La base de datos ya tiene unidades administrativas: no se cargan los datos de demostración.")
            return
        real_now = Clock(settings.timezone).now()
        tz = ZoneInfo(settings.timezone)
        # reproducible; a forced reload onto earlier demo data draws new documents, not the same ones again
        seed = SEED if not existing_documents else f"{SEED}/{existing_documents}"
        rng = random.Random(seed)
        demo = Demo(rng=rng, people=People(rng))
        moments = receipt_moments(rng, real_now, tz, DOCUMENT_COUNT)
        clock.set(moments[0] - timedelta(days=14))  # the people were there before the first document
        await create_institution(services, demo)
        documents = plan_documents(demo, moments, tz)
        async with services.db.session() as session:
            calendar = await load_calendar(session)
        planner = WorkflowPlanner(
            demo, random.Random(f"{seed}/turnos"), calendar, tz, real_now, settings.yellow_threshold_days
        )
        planner.choose_targets(documents)
        planner.choose_routes(documents)
        for document in documents:
            planner.plan(document)
        planner.deadline_passes(max(moments[0].astimezone(tz).date(), planner.today - timedelta(days=WATCHED_DAYS)))
        async with services.db.session() as read_session:
            principals = {p.user.id: await load_principal(read_session, p.user.id) for p in demo.persons}
            shared = SharedSession(read_session)
            await shared.release()  # no idle transaction held while the use cases commit
            runner = WorkflowRunner(services, demo, principals, shared, calendar, seed)
            await runner.run(planner.actions, real_now)
        clock.set(real_now)
        await run_deadline_pass(services)  # what is due today or overdue, as of now
        stats = await demo_stats(services, demo, calendar)
        print_summary(demo, stats, time.perf_counter() - started)
    finally:
        await services.hub.close()
        await services.db.dispose()


async def create_institution(services, demo: Demo) -> None:
    """The org tree and its people; existing units and users (by siglas/username) are reused."""
    codes = unit_codes(UNITS)
    password_hash = await hash_password_in_thread(DEMO_PASSWORD)  # argon2 is slow on purpose: once for everyone
    async with services.db.transaction() as session:
        existing = {u.acronym.upper(): u for u in (await session.execute(select(OrgUnit))).scalars()}
        for acronym, name, kind, parent in UNITS:
            unit = existing.get(acronym)
            if unit is None:
                unit = await create_unit(
                    session,
                    code=codes[acronym],
                    acronym=acronym,
                    name=name,
                    kind=kind,
                    parent=demo.units[parent] if parent else None,
                )
            demo.units[acronym] = unit

        demo.persons = plan_people(demo.rng, demo.people, UNITS)
        names = [p.username for p in demo.persons]
        users = {
            u.username: u
            for u in (
                await session.execute(
                    select(User).where(User.username.in_(names)).options(selectinload(User.memberships))
                )
            ).scalars()
        }
        for person in demo.persons:
            wanted = [(demo.units[a].id, role.value) for a, role in person.grants]
            user = users.get(person.username)
            if user is None:
                user = User(
                    username=person.username,
                    password_hash=password_hash,
                    full_name=person.full_name,
                    position=person.position,
                    email=f"{person.username}@{EMAIL_DOMAIN}",
                    active=True,
                    token_version=0,
                    created_at=services.clock.now(),
                    memberships=[Membership(unit_id=u, role=r) for u, r in wanted],
                )
                session.add(user)
            else:  # --force on a database that has them: keep the person, make sure of the grants
                person.full_name, person.position = user.full_name, user.position or person.position
                have = {(m.unit_id, m.role) for m in user.memberships}
                user.memberships.extend(Membership(unit_id=u, role=r) for u, r in wanted if (u, r) not in have)
            person.user = user
            for acronym, role in person.grants:
                if role == Role.HEAD:
                    demo.head_of.setdefault(acronym, person)
                if role == Role.REGISTRAR:
                    demo.registrant[acronym] = person
        await session.flush()
    for acronym in demo.units:
        demo.registrant.setdefault(acronym, demo.head_of.get(acronym))


def receipt_moments(rng: random.Random, now: datetime, tz: ZoneInfo, count: int) -> list[datetime]:
    """`count` increasing moments in office hours of business days, over the 365 days to `now`."""
    calendar = BusinessCalendar()
    today = now.astimezone(tz).date()
    days = [today - timedelta(days=d) for d in range(364, 0, -1)]
    days = [d for d in days if calendar.is_business_day(d)]

    def weight(day: date) -> float:
        if (day.month == 12 and day.day >= 18) or (day.month == 1 and day.day <= 6):
            return 0.25  # winter vacation
        return 1.4 if day.weekday() == 0 else 1.0

    def moment(day: date) -> datetime:
        minutes = 8 * 60 + 30 + min(rng.randint(0, 9 * 60), rng.randint(0, 9 * 60))  # busier mornings
        local = datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, rng.randint(0, 59), tzinfo=tz)
        return local.astimezone(timezone.utc)

    # the first and last business day are always in, so the year is covered end to end
    chosen = [days[0], days[-1]] + rng.choices(days, weights=[weight(d) for d in days], k=count - 2)
    moments = [moment(d) for d in chosen]
    local_now = now.astimezone(tz)
    if calendar.is_business_day(today) and local_now.hour >= 10:  # a few from this very morning
        for _ in range(min(3, count // 50)):
            moments.pop(rng.randrange(2, len(moments)))
            span = int((local_now - local_now.replace(hour=8, minute=30)).total_seconds()) - 600
            moments.append(
                (
                    local_now.replace(hour=8, minute=30, second=0, microsecond=0)
                    + timedelta(seconds=rng.randint(0, span))
                ).astimezone(timezone.utc)
            )
    return sorted(moments)


@dataclass
class PlannedDocument:
    """A document to register at `at`, and what the workflow needs to know about it."""

    acronym: str  # the registering unit
    area: str | None  # what it is about (None: an internal memorandum)
    at: datetime
    data: object  # RegisterDocumentData
    registrant: Person
    id: int | None = None
    focus: "PlannedTurno | None" = None  # the deepest turno of the main line: decides the archive series
    target: TrafficLight | None = None  # the light its first turno shows today (a few recent documents)
    route: list[str] = field(default_factory=list)  # down to a department whose staff has it today
    route_light: TrafficLight | None = None  # …where it shows this light


def plan_documents(demo: Demo, moments: list[datetime], tz: ZoneInfo) -> list[PlannedDocument]:
    """The documents, drawn from `demo.rng` in receipt order (the same draws as ever)."""
    rng = demo.rng
    calendar = BusinessCalendar()
    places, weights = zip(*REGISTERING)
    earlier: list[tuple[str, str]] = []  # (organization, reference) of external documents, for resends
    documents = []
    for at in moments:
        day = at.astimezone(tz).date()
        acronym = rng.choices(places, weights=weights)[0]
        data, area = plan_document(demo, acronym, day, calendar, earlier)
        data.received_at = at
        documents.append(PlannedDocument(acronym, area, at, data, demo.registrant[acronym]))
    return documents


def plan_document(demo: Demo, acronym: str, day: date, calendar: BusinessCalendar, earlier: list):
    from resolvers.documents import RegisterDocumentData, SenderData

    rng = demo.rng
    unit = demo.units[acronym]
    municipalities = REGION_MUNICIPALITIES.get(acronym, ALL_MUNICIPALITIES)
    fill = Filler(rng, day, municipalities)
    head = demo.head_of.get(acronym)
    addressee = f"{head.full_name}, {head.position}" if head else unit.name
    priority = Priority.URGENT if rng.random() < 0.12 else Priority.NORMAL
    confidential = rng.random() < (0.3 if acronym == "OIC" else 0.04)

    if rng.random() < 0.15 and acronym in {"DG", "DAF", "DRTT", "DPV", "DT", "DOR", "UIPPE"} | set(
        REGION_MUNICIPALITIES
    ):
        types, subject, summary = rng.choice(INTERNAL)
        sender_unit = internal_sender(demo, acronym)
        sender_head = demo.head_of.get(sender_unit.acronym)
        female = sender_head.female if sender_head else False
        sender = SenderData(
            level=SenderLevel.INTERNAL,
            name=f"{rng.choice(TITLES[female])} {sender_head.full_name}" if sender_head else sender_unit.name,
            position=sender_head.position if sender_head else None,
            organization=sender_unit.name,
        )
        origin = Origin.INTERNAL
        reference = f"{sender_unit.code}/{next_number(demo, sender_unit.code)}/{day.year}"
        area = None
    else:
        area = AREA_OF.get(acronym) or (
            rng.choice(REGIONAL_AREAS) if acronym in REGION_MUNICIPALITIES else rng.choice(list(AREAS))
        )
        key, types, subject, summary = rng.choice(AREAS[area])
        sender, reference = external_sender(demo, key, fill)
        origin = Origin.EXTERNAL
        if reference and earlier and rng.random() < 0.03:
            # sent again (a reminder, or a copy to another unit): the duplicate warning shows it
            sender.organization, reference = rng.choice(earlier)
            summary = "Se remite nuevamente para su atención."
        if reference and sender.organization:
            earlier.append((sender.organization, reference))
        if key in {"JDIST", "JUZCIV", "TRIJAEM", "CODHEM"}:
            confidential = confidential or rng.random() < 0.3

    subject, summary = fill.fill(subject), fill.fill(summary)
    document_type = rng.choice(types)
    if not summary and rng.random() < 0.4:
        summary = f"Documento recibido en {unit.name}; se registra para su atención y seguimiento."
    document_date = day - timedelta(days=rng.choice([0, 0, 1, 1, 2, 3, 5, 7, 10]))
    due_date = None
    if rng.random() < 0.2 or priority == Priority.URGENT:
        due_date = calendar.add_business_days(day, rng.choice([3, 5, 5, 10, 15]))
    return RegisterDocumentData(
        unit_id=unit.id,
        origin=origin,
        document_type=document_type,
        subject=subject,
        sender=sender,
        reference=reference,
        summary=summary,
        addressee=addressee,
        document_date=document_date,
        due_date=due_date,
        priority=priority,
        confidential=confidential,
    ), area


def next_number(demo: Demo, prefix: str) -> int:
    demo.references[prefix] = demo.references.get(prefix, demo.rng.randint(20, 400)) + demo.rng.randint(1, 9)
    return demo.references[prefix]


def internal_sender(demo: Demo, acronym: str) -> OrgUnit:
    """Mostly a unit below the registering one (reports go up), otherwise a peer elsewhere."""
    unit = demo.units[acronym]
    below = [u for u in demo.units.values() if u.path.startswith(unit.path) and u.id != unit.id]
    others = [u for u in demo.units.values() if not u.path.startswith(unit.path) and not unit.path.startswith(u.path)]
    if below and (not others or demo.rng.random() < 0.7):
        return demo.rng.choice(below)
    return demo.rng.choice(others)


def external_sender(demo: Demo, key: str, fill: Filler):
    from resolvers.documents import SenderData

    rng = demo.rng
    year = fill.day.year
    name, female = demo.people.titled()
    if key == "CIT":
        name, female = demo.people.person()
        municipality = fill["mun"]
        slug = ascii_slug(name).split(".")
        email = f"{slug[0]}.{slug[-2]}{rng.randint(1, 99)}@{rng.choice(MAIL_DOMAINS)}" if rng.random() < 0.6 else None
        area_code = (
            "722" if municipality in REGION_MUNICIPALITIES["DELTOL"] else rng.choice(["55", "726", "716", "724"])
        )
        digits = 10 - len(area_code)
        number = f"{rng.randint(10 ** (digits - 1), 10**digits - 1)}"
        phone = f"{area_code} {number[:-4]} {number[-4:]}" if rng.random() < 0.8 else None
        address = (
            (
                f"{rng.choice(STREETS)} {rng.randint(1, 250)}, Col. {fill['col']}, {municipality}, "
                f"Estado de México, C.P. {rng.randint(50000, 57999)}"
            )
            if rng.random() < 0.85
            else None
        )
        return SenderData(level=SenderLevel.CITIZEN, name=f"C. {name}", email=email, phone=phone, address=address), None
    if key == "MUN":
        municipality = fill["mun"]
        initials = "".join(
            w[0] for w in ascii_slug(municipality).upper().split(".") if w not in {"DE", "LA", "EL", "DEL"}
        )
        prefix = f"MUN-{initials}/{rng.choice(['PM', 'DDU', 'SA', 'DOP'])}"
        return (
            SenderData(
                level=SenderLevel.MUNICIPAL,
                name=name,
                position=gendered(rng.choice(MUNICIPAL_POSITIONS), female),
                organization=f"H. Ayuntamiento de {municipality}",
            ),
            f"{prefix}/{next_number(demo, prefix):04d}/{year}",
        )
    for level, pool in (
        (SenderLevel.FEDERAL, FEDERAL),
        (SenderLevel.STATE, STATE),
        (SenderLevel.ORGANIZATION, ORGANIZATIONS),
    ):
        if key in pool:
            organization, prefix, positions = pool[key]
            reference = f"{prefix}/{next_number(demo, prefix):04d}/{year}" if prefix else None
            return (
                SenderData(
                    level=level,
                    name=name,
                    position=gendered(rng.choice(positions), female),
                    organization=fill.fill(organization),
                ),
                reference,
            )
    raise KeyError(key)


# --- the workflow ---------------------------------------------------------------------------------
# Every document's life is planned first (who turns it where, who answers when, what is returned,
# concluded, archived), as timed actions drawn from a generator of its own; then all the actions of
# all the documents run in time order through the real use cases, the frozen clock set to each
# moment, up to the real now. What was planned for later simply has not happened yet: the recent
# documents stay open in whatever state the cut finds them.

TURNED = 0.8  # documents that are turned (the rest are attended directly, or wait)
CANCELLED = 0.035  # first-level turnos cancelled (turned to the wrong unit), most sent again elsewhere
LATE = 0.12  # answers given after the deadline
RETURNED = 0.11  # first answers returned with observations
ARCHIVED = 0.5  # concluded documents that are filed
STALL_AFTER_DAYS = 40  # older turnos are done, but one in STALL_EVERY was forgotten somewhere…
STALL_EVERY = 30
STALLS = ("stall_received", "stall_returned", "stall_sent", "stall_answered")
WATCHED_DAYS = 120  # the deadline watcher's passes are replayed for the last months only (each costs a transaction)

# where each kind of matter goes from the Dirección General
AREA_DIRECTORATE = {
    "suelo": "DRTT",
    "vivienda": "DPV",
    "admin": "DAF",
    "obra": "DT",
    "regional": "DOR",
    "juridico": "UAJIG",
    "planeacion": "UIPPE",
    "transparencia": "UT",
    "control": "OIC",
    "comunicacion": "CCS",
}
# words in the subject or summary that point to a unit (accents and case ignored)
HINTS = {
    "SRH": ["personal", "laborados", "sindicaliz", "patrimonial", "vacacional", "enlace"],
    "DNOM": ["nomina", "cuotas", "laborados", "pliego petitorio", "vacacional"],
    "DDP": ["capacitacion", "designacion", "patrimonial"],
    "SFIN": [
        "presupuest",
        "ministracion",
        "cuenta publica",
        "auditoria financiera",
        "adeudo",
        "credito",
        "conciliacion",
        "subsidios",
        "recursos",
    ],
    "DPRES": ["presupuest", "ministracion", "suficiencia"],
    "DCONT": ["conciliacion", "cuenta publica", "auditoria financiera"],
    "DCOB": ["adeudo", "credito"],
    "SRMSG": ["papeleria", "vehic", "mantenimiento", "material de oficina", "equipo de computo"],
    "DADQ": ["compra", "papeleria", "material de oficina"],
    "DSG": ["vehic", "mantenimiento preventivo"],
    "DINF": ["computo", "informatica", "registros administrativos"],
    "DPLAN": ["programa anual", "anteproyecto", "trimestral"],
    "DEVAL": ["evaluacion", "informe de gobierno", "censo", "estadistic"],
    "SREG": ["regulariz", "escritur", "registral", "catastral", "alineamiento"],
    "DRP": ["regularizacion", "predio", "constancias", "asentamientos"],
    "DESC": ["escritur", "beneficiario", "notari"],
    "DRC": ["catastr", "registral", "cartografia"],
    "SAAE": ["ejid", "agrari", "expropia"],
    "DVNA": ["ejid", "agrari"],
    "SMV": ["mejoramiento", "materiales", "lluvias", "piso firme", "techo digno", "cuarto adicional"],
    "DMV": ["mejoramiento", "lluvias", "materiales"],
    "DAUT": ["autoconstruccion", "progresiva", "construccion solidaria"],
    "SSRT": ["reservas", "lotes con servicios", "lote con servicios"],
    "DRT": ["reservas territoriales"],
    "DLS": ["lotes con servicios", "lote con servicios"],
    "SFV": ["subsidio", "cofinanciamiento", "reglas de operacion", "vivienda social"],
    "DCS": ["subsidio", "cofinanciamiento"],
    "SPDU": ["topograf", "dictamen", "factibilidad", "proyecto"],
    "DTOPO": ["topograf", "levantamiento"],
    "DPU": ["factibilidad", "dictamen"],
    "SOS": ["estimacion", "urbanizacion", "electrificacion", "obra"],
    "DSO": ["estimacion", "supervision", "urbanizacion"],
    "DCPO": ["presupuesto de obra", "electrificacion"],
    "SCR": ["itinerante", "mesa de dialogo", "gestion ciudadana"],
    "DSR": ["mesa de dialogo", "gestion"],
    "SAC": ["queja", "atencion", "modulo"],
    "DMAC": ["modulo", "atencion"],
    "DQS": ["queja", "denuncia"],
    "DCONS": ["convenio", "reglamento", "gaceta"],
    "DCONTE": ["juicio", "amparo", "emplazamiento", "recurso de revision", "usucapion"],
    "DNIG": ["igualdad", "reglamento"],
    "OICQ": ["denuncia", "queja"],
    "OICR": ["responsabilidad", "denuncia"],
    "OICA": ["auditoria", "observaciones"],
    "SP": ["audiencia", "invitacion", "entrevista", "foro"],
    "CCS": ["entrevista", "imagen", "difusion", "ceremonia"],
    "UAJIG": ["juicio", "amparo", "convenio", "queja"],
}
REGIONAL_HINTS = {
    "REG": ["regulariz", "escritur", "predio", "lote"],
    "VIV": ["vivienda", "mejoramiento", "materiales", "lote con servicios"],
}
REGION_SUFFIXES = {suffix for suffix, _, _ in REGIONS}
MUNICIPALITY_DELEGATION = {m: d for d, ms in REGION_MUNICIPALITIES.items() for m in ms}
# the archive series of a matter, and of a unit's matters when the matter does not say
AREA_SERIES = {
    "suelo": "12C",
    "vivienda": "12C",
    "regional": "12C",
    "juridico": "2C",
    "transparencia": "11C",
    "planeacion": "11C",
    "control": "10C",
    "comunicacion": "9C",
    "obra": "6C",
}
UNIT_SERIES = {
    "SRH": "4C",
    "SRMSG": "6C",
    "DSG": "7C",
    "DARCH": "7C",
    "SFIN": "5C",
    "DAF": "5C",
    "DINF": "8C",
    "UIPPE": "11C",
    "UT": "11C",
    "CCS": "9C",
    "UAJIG": "2C",
    "OIC": "10C",
    "SP": "3C",
    "DG": "3C",
    "DT": "6C",
    "DRTT": "12C",
    "DPV": "12C",
    "DOR": "12C",
}

NOTES = {
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


def plain(text: str | None) -> str:
    return unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()


@dataclass
class PlannedTurno:
    document: PlannedDocument
    from_acronym: str
    to_acronym: str
    instruction: Instruction
    sent_at: datetime
    due: date | None  # the deadline it will have (as the use case computes it)
    business_days: int | None = None  # how it is asked for: a number of business days…
    due_date: date | None = None  # …or a date (or neither: none, or the parent's)
    notes: str | None = None
    parent: "PlannedTurno | None" = None
    depth: int = 0
    hold: bool = False  # still awaiting its answer today, whatever the draws say
    route: list[str] = field(default_factory=list)  # where it is delegated next (see PlannedDocument.route)
    route_light: TrafficLight | None = None
    awaiting: list = field(default_factory=list)  # (from, until or None, deadline): while the deadline runs
    id: int | None = None
    response_id: int | None = None


class WorkflowPlanner:
    """Plans the life of every document as timed actions (see the section comment)."""

    def __init__(
        self,
        demo: Demo,
        rng: random.Random,
        calendar: BusinessCalendar,
        tz: ZoneInfo,
        now: datetime,
        yellow_threshold: int,
    ):
        self.demo, self.rng, self.calendar, self.tz = demo, rng, calendar, tz
        self.today, self.yellow = now.astimezone(tz).date(), yellow_threshold  # plans depend on the day only
        self.actions: list[tuple[datetime, int, str, dict]] = []
        self.children: dict[str, list[str]] = {}
        self.parent_of: dict[str, str | None] = {}
        for acronym, _, _, parent in UNITS:
            self.parent_of[acronym] = parent
            self.children.setdefault(parent, []).append(acronym)
        self.staff: dict[str, list[Person]] = {}
        for person in demo.persons:
            for acronym, role in person.grants:
                if role == Role.STAFF:
                    self.staff.setdefault(acronym, []).append(person)
        self.stalls = 0
        self.turnos: list[PlannedTurno] = []

    # time
    def add(self, at: datetime, kind: str, **payload) -> None:
        self.actions.append((at, len(self.actions), kind, payload))

    def day_of(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def on_day(self, day: date, after: datetime | None = None) -> datetime:
        """A moment in office hours of `day` (or of the next business day), a little after `after`."""
        while True:
            while not self.calendar.is_business_day(day):
                day += timedelta(days=1)
            start = datetime(day.year, day.month, day.day, 8, 45, tzinfo=self.tz).astimezone(timezone.utc)
            end = datetime(day.year, day.month, day.day, 18, 0, tzinfo=self.tz).astimezone(timezone.utc)
            if after is not None:
                start = max(start, after + timedelta(minutes=self.rng.randint(5, 60)))
            if start < end:
                span = int((end - start).total_seconds())
                return start + timedelta(seconds=min(self.rng.randint(0, span), self.rng.randint(0, span)))
            day += timedelta(days=1)

    def later(self, moment: datetime, low: int, high: int) -> datetime:
        """Within `low`–`high` business days after `moment` (0: the same day, if time is left)."""
        return self.on_day(self.calendar.add_business_days(self.day_of(moment), self.rng.randint(low, high)), moment)

    # people
    def sender(self, acronym: str) -> Person:
        """Turns, evaluates, concludes: the registrar mostly, or the head."""
        registrar, head = self.demo.registrant.get(acronym), self.demo.head_of.get(acronym)
        if registrar is not None and registrar is not head and self.rng.random() < 0.6:
            return registrar
        return head or registrar

    def worker(self, acronym: str) -> Person:
        """Acknowledges and answers: the staff mostly, else the head or the registrar."""
        staff = self.staff.get(acronym)
        if staff and self.rng.random() < 0.7:
            return self.rng.choice(staff)
        return self.rng.choice(
            list(
                {
                    p.username: p for p in (self.demo.registrant.get(acronym), self.demo.head_of.get(acronym)) if p
                }.values()
            )
        )

    # where things go
    def weigh(self, candidates: list[str], doc: PlannedDocument, favourite: str | None = None) -> list[float]:
        text = plain(f"{doc.data.subject} {doc.data.summary or ''}")
        delegation = next((d for m, d in MUNICIPALITY_DELEGATION.items() if plain(m) in text), None)
        weights = []
        for acronym in candidates:
            regional = acronym[3:] in REGION_SUFFIXES  # REGTOL, VIVTOL: by the prefix
            hints = HINTS.get(acronym) or (REGIONAL_HINTS.get(acronym[:3], []) if regional else [])
            weight = 1.0
            if any(h in text for h in hints):
                weight *= 6
            if acronym == favourite:
                weight *= 10
            if acronym == delegation:
                weight *= 8 if doc.area in ("suelo", "vivienda", "regional") else 2
            elif acronym.startswith("DEL"):
                weight *= 0.3
            if acronym in self.staff:
                weight *= 3
            weights.append(weight)
        return weights

    def pick(self, candidates: list[str], weights: list[float], count: int) -> list[str]:
        chosen, candidates, weights = [], list(candidates), list(weights)
        while candidates and len(chosen) < count:
            i = self.rng.choices(range(len(candidates)), weights=weights)[0]
            chosen.append(candidates.pop(i))
            weights.pop(i)
        return chosen

    def first_level_candidates(self, acronym: str) -> list[str]:
        if self.children.get(acronym):
            return list(self.children[acronym])
        if acronym in ("UT", "CCS"):  # no units below: they ask the areas that hold the matter
            return ["DPV", "DRTT", "DAF", "DT", "DOR", "UAJIG"]
        return [a for a in self.children[self.parent_of[acronym]] if a != acronym]  # a peer department

    # plans
    def recent(
        self, documents: list[PlannedDocument], wanted: int, oldest: int = 1
    ) -> list[tuple[int, PlannedDocument]]:
        """Documents received `oldest`… business days ago, going back until there are `wanted` of
        them (fewer arrive in the winter holidays), with their age in business days."""
        aged = [(self.calendar.business_days_between(self.day_of(d.at), self.today), d) for d in documents]
        for window in (10, 15, 25, 40):
            found = [(ago, d) for ago, d in aged if oldest <= ago <= window and not d.target and not d.route]
            if len(found) >= wanted:
                break
        return found

    def choose_targets(self, documents: list[PlannedDocument]) -> None:
        """Whatever else happens, three recent documents have a first turno awaiting its answer today:
        one overdue, one near its deadline, one on time."""
        overdue = self.recent(documents, 2, oldest=4)
        if overdue:
            self.rng.choice(overdue)[1].target = TrafficLight.RED
        for light in (TrafficLight.YELLOW, TrafficLight.GREEN):
            rest = self.recent(documents, 3)
            if rest:
                self.rng.choice(rest)[1].target = light

    def choose_routes(self, documents: list[PlannedDocument], count: int = 3) -> None:
        """A few recent documents go down the hierarchy to departments with operative staff, where
        they wait today: the analysts have something in their inbox."""
        staff_units = list(
            dict.fromkeys(
                a
                for p in self.demo.persons
                if p.username.startswith("analista.")
                for a, r in p.grants
                if r == Role.STAFF
            )
        )
        self.rng.shuffle(staff_units)
        staff_units += [a for a in self.staff if a not in staff_units]
        routed = 0
        for unit in staff_units:
            lineage = [unit]
            while self.parent_of[lineage[-1]] is not None:
                lineage.append(self.parent_of[lineage[-1]])
            candidates = [d for _, d in self.recent(documents, 6) if d.acronym in lineage[1:4]]
            if candidates:
                chosen = self.rng.choice(candidates)
                chosen.route = list(reversed(lineage[: lineage.index(chosen.acronym)]))
                chosen.route_light = (TrafficLight.GREEN, TrafficLight.YELLOW, TrafficLight.RED)[routed]
                routed += 1
                if routed == count:
                    return

    def aim(self, turno: PlannedTurno, light: TrafficLight, day: date) -> None:
        """A deadline (in business days, not after the parent's) that shows `light` today."""
        add = self.calendar.add_business_days
        if light == TrafficLight.RED:
            due = add(day, self.rng.randint(1, max(1, self.calendar.business_days_between(day, self.today) - 1)))
        elif light == TrafficLight.YELLOW:
            due = add(self.today, self.rng.randint(1, max(1, self.yellow)))
        else:
            due = add(self.today, self.rng.randint(self.yellow + 2, self.yellow + 6))
        if turno.parent is not None and turno.parent.due is not None:
            due = min(due, turno.parent.due)
        turno.business_days, turno.due_date, turno.due = self.calendar.business_days_between(day, due), None, due
        turno.hold = True

    def plan(self, doc: PlannedDocument) -> None:
        rng = self.rng
        self.add(doc.at, "register", document=doc)
        leaf = not self.children.get(doc.acronym) and doc.acronym not in ("UT", "CCS")
        if rng.random() > (0.5 if leaf else TURNED) and not doc.target and not doc.route:
            if rng.random() < 0.85:  # attended directly, or filed for knowledge
                self.close(doc, self.later(doc.at, 0, 5))
            return
        candidates = self.first_level_candidates(doc.acronym)
        favourite = AREA_DIRECTORATE.get(doc.area) if doc.acronym == "DG" else None
        count = rng.choices([1, 2, 3], weights=[68, 25, 7])[0]
        units = self.pick(candidates, self.weigh(candidates, doc, favourite), count)
        if doc.route:
            units = [doc.route[0], *[u for u in units if u != doc.route[0]][: count - 1]]
        sent_at = (
            self.later(doc.at, 0, 1)
            if rng.random() < 0.4 and not (doc.target or doc.route)
            else self.on_day(self.day_of(doc.at), doc.at)
        )
        day = self.day_of(sent_at)
        recipients = []
        for i, unit in enumerate(units):
            instruction = (
                rng.choices([Instruction.RESPONSE, Instruction.ATTENTION, Instruction.OPINION], [45, 40, 15])[0]
                if i == 0
                else rng.choice([Instruction.OPINION, Instruction.ATTENTION])
            )
            recipients.append(self.first_level(doc, unit, instruction, sent_at, day))
        if rng.random() < 0.18:
            copy_to = self.copy_recipient(doc, units)
            if copy_to:
                recipients.append(
                    PlannedTurno(
                        doc,
                        doc.acronym,
                        copy_to,
                        Instruction.KNOWLEDGE,
                        sent_at,
                        None,
                        notes=rng.choice(NOTES[Instruction.KNOWLEDGE]),
                    )
                )
        doc.focus = recipients[0]
        if doc.target:
            self.aim(recipients[0], doc.target, day)
        if doc.route:
            recipients[0].route, recipients[0].route_light = doc.route[1:], doc.route_light
            self.aim(recipients[0], TrafficLight.GREEN if doc.route[1:] else doc.route_light, day)
        self.add(sent_at, "send", actor=self.sender(doc.acronym), document=doc, parent=None, turnos=recipients)
        taken = set(units) | {r.to_acronym for r in recipients}
        closes = [self.life(t, taken) for t in recipients]
        if all(closes):
            self.close(doc, max(closes))

    def first_level(self, doc, unit, instruction, sent_at, day) -> PlannedTurno:
        rng = self.rng
        turno = PlannedTurno(doc, doc.acronym, unit, instruction, sent_at, None, notes=rng.choice(NOTES[instruction]))
        r = rng.random()
        if r < 0.72:
            urgent = doc.data.priority == Priority.URGENT
            turno.business_days = rng.choice([3, 3, 5] if urgent else [3, 5, 5, 5, 7, 10, 10, 15])
            turno.due = self.calendar.add_business_days(day, turno.business_days)
        elif r < 0.93:
            own = doc.data.due_date
            turno.due_date = own if own and own > day else self.calendar.add_business_days(day, rng.randint(4, 20))
            turno.due = turno.due_date
        elif instruction == Instruction.OPINION:  # an opinion is always asked for by a date
            turno.business_days = 5
            turno.due = self.calendar.add_business_days(day, 5)
        return turno

    def copy_recipient(self, doc: PlannedDocument, taken: list[str]) -> str | None:
        parent = self.parent_of[doc.acronym]
        if doc.acronym == "DG":
            options = ["SP", "UIPPE", "OIC", "UAJIG"]
        elif parent not in (None, "IMEVIS") and self.rng.random() < 0.6:
            options = [parent]
        else:
            options = [a for a in self.children.get(parent, []) if a != doc.acronym]
        options = [a for a in options if a not in taken]
        return self.rng.choice(options) if options else None

    def fate(self, turno: PlannedTurno) -> str:
        if turno.instruction == Instruction.KNOWLEDGE:
            return "copy"
        if turno.parent is None and self.rng.random() < CANCELLED:
            return "cancel"
        if (self.today - self.day_of(turno.sent_at)).days > STALL_AFTER_DAYS:
            self.stalls += 1
            if self.stalls % STALL_EVERY == 0:
                return STALLS[(self.stalls // STALL_EVERY) % len(STALLS)]
        return "complete"

    def life(self, turno: PlannedTurno, taken: set[str]) -> datetime | None:
        """Plan what happens to a turno once sent; the moment it closes, or None if it never does."""
        rng, to = self.rng, turno.to_acronym
        self.turnos.append(turno)
        fate = "complete" if turno.hold else self.fate(turno)
        if fate == "copy":
            at = self.later(turno.sent_at, 0, 4)
            self.add(at, "acknowledge", turno=turno, actor=self.worker(to))
            return at
        if fate == "cancel":
            at = self.later(turno.sent_at, 0, 2)
            self.add(at, "cancel", turno=turno, actor=self.sender(turno.from_acronym))
            turno.awaiting.append((turno.sent_at, at, turno.due))
            options = [a for a in self.first_level_candidates(turno.from_acronym) if a not in taken]
            if not options or rng.random() < 0.25:
                return at
            # sent again, to the unit it belonged to
            unit = self.pick(options, self.weigh(options, turno.document), 1)[0]
            taken.add(unit)
            again_at = self.on_day(self.day_of(at), at)
            retry = self.first_level(turno.document, unit, turno.instruction, again_at, self.day_of(again_at))
            retry.notes = "Se returna por corresponder a su ámbito de competencia."
            if turno.document.focus is turno:
                turno.document.focus = retry
            self.add(
                again_at,
                "send",
                actor=self.sender(turno.from_acronym),
                document=turno.document,
                parent=None,
                turnos=[retry],
            )
            return self.life(retry, taken)
        if fate == "stall_sent":
            turno.awaiting.append((turno.sent_at, None, turno.due))
            return None
        received = self.later(turno.sent_at, 0, 2) if rng.random() < 0.25 else None  # else: answering says so
        if received:
            self.add(received, "acknowledge", turno=turno, actor=self.worker(to))
        if fate == "stall_received":
            turno.awaiting.append((turno.sent_at, None, turno.due))
            return None
        waiting_since = turno.sent_at
        ready = received or turno.sent_at
        below = self.children.get(to, [])
        if turno.route or below and turno.depth < 3 and rng.random() < (0.38 if turno.depth == 0 else 0.28):
            delegated_at = self.later(ready, 0, 1) if rng.random() < 0.3 else self.on_day(self.day_of(ready), ready)
            count = 2 if len(below) > 1 and rng.random() < 0.15 else 1
            units = self.pick(below, self.weigh(below, turno.document), count)
            if turno.route:
                units = [turno.route[0], *[u for u in units if u != turno.route[0]][: count - 1]]
            children = [self.delegated(turno, unit, delegated_at) for unit in units]
            if turno.route:
                children[0].route, children[0].route_light = turno.route[1:], turno.route_light
                self.aim(
                    children[0], TrafficLight.GREEN if turno.route[1:] else turno.route_light, self.day_of(delegated_at)
                )
            if turno.document.focus is turno:
                turno.document.focus = children[0]
            self.add(
                delegated_at, "send", actor=self.sender(to), document=turno.document, parent=turno, turnos=children
            )
            closes = [self.life(child, set()) for child in children]
            if not all(closes):
                turno.awaiting.append((waiting_since, None, turno.due))
                return None  # waits for what was delegated
            ready = max([delegated_at, *closes])
        for round_ in (1, 2):
            answered = self.answer_time(ready, turno.due, delegated=turno.parent is not None)
            if turno.hold and self.day_of(answered) <= self.today:  # not yet: it shows its light today
                answered = self.on_day(self.calendar.add_business_days(self.today, 1))
            self.add(
                answered,
                "respond",
                turno=turno,
                actor=self.worker(to),
                body=self.answer(turno, round_),
                reference=rng.random() < 0.85,
            )
            turno.awaiting.append((waiting_since, answered, turno.due))
            if fate == "stall_answered":
                return None
            evaluated = self.later(answered, 0, 3 if turno.parent is None else 1)
            if round_ == 1 and (fate == "stall_returned" or rng.random() < RETURNED):
                new_due = self.new_deadline(turno, evaluated) if rng.random() < 0.5 else None
                self.add(
                    evaluated,
                    "evaluate",
                    turno=turno,
                    actor=self.sender(turno.from_acronym),
                    decision=Decision.RETURN,
                    comment=rng.choice(RETURN_COMMENTS),
                    new_due_date=new_due,
                )
                if new_due:
                    turno.due = new_due
                if fate == "stall_returned":
                    turno.awaiting.append((evaluated, None, turno.due))
                    return None
                waiting_since = ready = evaluated
                continue
            self.add(
                evaluated,
                "evaluate",
                turno=turno,
                actor=self.sender(turno.from_acronym),
                decision=Decision.ACCEPT,
                comment=rng.choice(ACCEPT_COMMENTS),
                new_due_date=None,
            )
            return evaluated
        raise AssertionError("unreachable")

    def delegated(self, parent: PlannedTurno, unit: str, sent_at: datetime) -> PlannedTurno:
        rng, day = self.rng, self.day_of(sent_at)
        instruction = parent.instruction if rng.random() < 0.7 else Instruction.ATTENTION
        child = PlannedTurno(
            parent.document,
            parent.to_acronym,
            unit,
            instruction,
            sent_at,
            parent.due,
            notes=rng.choice(DELEGATION_NOTES),
            parent=parent,
            depth=parent.depth + 1,
        )
        if parent.due is None:
            child.business_days = rng.choice([3, 5, 5, 10])
            child.due = self.calendar.add_business_days(day, child.business_days)
            return child
        left = self.calendar.business_days_between(day, parent.due)
        if left < 1 or rng.random() < 0.15:
            return child  # no deadline of its own: the parent's
        days = rng.randint(max(1, left // 3), left - 2) if left >= 3 else rng.randint(1, left)  # time to integrate it
        child.due = self.calendar.add_business_days(day, days)
        if rng.random() < 0.25:
            child.due_date = child.due
        else:
            child.business_days = days
        return child

    def new_deadline(self, turno: PlannedTurno, at: datetime) -> date | None:
        day = self.day_of(at)
        due = self.calendar.add_business_days(day, self.rng.randint(3, 7))
        if turno.parent is not None and turno.parent.due is not None:
            due = min(due, turno.parent.due)
        return due if due > day else None

    def answer_time(self, ready: datetime, due: date | None, delegated: bool) -> datetime:
        """Mostly near the deadline, some after it; a delegated turno sooner (its answer goes up)."""
        rng, day = self.rng, self.day_of(ready)
        if due is None:
            return self.on_day(self.calendar.add_business_days(day, rng.randint(1, 8)), ready)
        left = self.calendar.business_days_between(day, due)
        if left < 0 or rng.random() < LATE * (0.6 if delegated else 1):
            return self.on_day(self.calendar.add_business_days(max(day, due), rng.randint(1, 7)), ready)
        share = rng.triangular(0.1, 1.0, 0.6) if delegated else rng.triangular(0.2, 1.0, 0.85)
        return self.on_day(self.calendar.add_business_days(day, round(left * share)), ready)

    def answer(self, turno: PlannedTurno, round_: int) -> str:
        if round_ == 2:
            return self.rng.choice(SECOND_ANSWERS)
        if turno.parent is None:
            return self.rng.choice(ANSWERS[turno.instruction])
        return self.rng.choice(DELEGATED_ANSWERS + ANSWERS[turno.instruction])

    def close(self, doc: PlannedDocument, after: datetime) -> None:
        if self.rng.random() < 0.04:
            return  # nobody got round to concluding it
        concluded = self.later(after, 0, 3)
        self.add(concluded, "conclude", document=doc, actor=self.sender(doc.acronym))
        if self.rng.random() < ARCHIVED:
            self.add(
                self.later(concluded, 1, 15),
                "archive",
                document=doc,
                actor=self.sender(doc.acronym),
                series=self.series(doc),
            )

    def series(self, doc: PlannedDocument) -> str:
        if doc.area in AREA_SERIES:
            return AREA_SERIES[doc.area]
        unit = doc.focus.to_acronym if doc.focus else doc.acronym
        while unit is not None:
            if unit in UNIT_SERIES:
                return UNIT_SERIES[unit]
            unit = self.parent_of.get(unit)
        return "3C"

    def deadline_passes(self, first: date) -> None:
        """The app's watcher runs all the time; here, from `first`, a pass runs early on each day it has
        something to announce (a turno awaiting its answer turned yellow or red), found by replaying
        the plan with the watcher's own rules. The first pass catches up with what was already
        overdue, as the watcher does after a downtime."""
        segments = [(t, start, end, due) for t in self.turnos for start, end, due in t.awaiting if due is not None]
        notified: dict[int, tuple[date | None, date | None]] = {}  # near, passed: for which deadline
        day = first
        while day <= self.today:
            at = datetime(day.year, day.month, day.day, 0, 5, tzinfo=self.tz).astimezone(timezone.utc)
            yellow_until = self.calendar.last_day_with_at_most(day, self.yellow)
            announces = False
            for turno, start, end, due in segments:
                if start <= at and (end is None or at < end) and due <= yellow_until:
                    near, passed = notified.get(id(turno), (None, None))
                    if due < day and passed != due:
                        notified[id(turno)], announces = (due, due), True
                    elif due >= day and near != due:
                        notified[id(turno)], announces = (due, passed), True
            if announces:
                self.add(at, "deadlines")
            day += timedelta(days=1)


class WorkflowRunner:
    """Runs the planned actions in time order through the use cases, each as its planned user."""

    def __init__(
        self,
        services,
        demo: Demo,
        principals: dict[int, Principal],
        session: SharedSession,
        calendar: BusinessCalendar,
        seed,
    ):
        self.services, self.demo, self.principals, self.session = services, demo, principals, session
        self.calendar = calendar
        self.counters: dict[str, int] = {}
        self.rng = random.Random(f"{seed}/numbers")  # official numbers, drawn as they are issued

    def context(self, person: Person):
        from resolvers.context import Context

        return Context(
            services=self.services, session=self.session, principal=self.principals[person.user.id], request_id="demo"
        )

    def number(self, prefix: str, first: int = 300) -> int:
        """The next number of a series (oficios of a unit, expedientes of a year): the year did not
        start with the demo, so it starts somewhere below `first`."""
        self.counters[prefix] = self.counters.get(prefix, self.rng.randint(1, first)) + self.rng.randint(1, 4)
        return self.counters[prefix]

    async def run(self, actions, until: datetime) -> int:
        done = 0
        for at, _, kind, payload in sorted(actions, key=lambda a: (a[0], a[1])):
            if at > until:
                break
            self.services.clock.set(at)
            await getattr(self, kind)(**payload)
            done += 1
        return done

    async def register(self, document: PlannedDocument) -> None:
        from resolvers.documents import register_document

        created, _ = await register_document(self.context(document.registrant), document.data)
        document.id = created.id

    async def send(
        self, actor: Person, document: PlannedDocument, parent: PlannedTurno | None, turnos: list[PlannedTurno]
    ) -> None:
        from resolvers.turnos import RecipientData, SendTurnoData, send_turno

        data = SendTurnoData(
            recipients=[
                RecipientData(
                    unit_id=self.demo.units[t.to_acronym].id,
                    instruction=t.instruction,
                    due_date=t.due_date,
                    business_days=t.business_days,
                    notes=t.notes,
                )
                for t in turnos
            ],
            document_id=document.id if parent is None else None,
            parent_turno_id=parent.id if parent is not None else None,
        )
        for planned, created in zip(turnos, (await send_turno(self.context(actor), data))[0]):
            planned.id = created.id

    async def acknowledge(self, turno: PlannedTurno, actor: Person) -> None:
        from resolvers.turnos import acknowledge_turno

        await acknowledge_turno(self.context(actor), turno.id)

    async def respond(self, turno: PlannedTurno, actor: Person, body: str, reference: bool) -> None:
        from resolvers.turnos import respond_turno

        today = self.services.clock.today()
        number = f"{turno.to_acronym}/{self.number(turno.to_acronym):04d}/{today.year}"
        before = today - timedelta(days=1)
        while not self.calendar.is_business_day(before):
            before -= timedelta(days=1)
        body = body.format(ref=number, date=long_date_es(before))
        response = await respond_turno(
            self.context(actor), turno.id, body=body, reference=number if reference else None
        )
        turno.response_id = response.id

    async def evaluate(
        self, turno: PlannedTurno, actor: Person, decision: Decision, comment: str | None, new_due_date: date | None
    ) -> None:
        from resolvers.turnos import evaluate_response

        await evaluate_response(
            self.context(actor), turno.response_id, decision=decision, comment=comment, new_due_date=new_due_date
        )

    async def cancel(self, turno: PlannedTurno, actor: Person) -> None:
        from resolvers.turnos import cancel_turno

        await cancel_turno(self.context(actor), turno.id)

    async def conclude(self, document: PlannedDocument, actor: Person) -> None:
        from resolvers.documents import conclude_document

        await conclude_document(self.context(actor), document.id)

    async def archive(self, document: PlannedDocument, actor: Person, series: str) -> None:
        from resolvers.documents import archive_document

        year = self.services.clock.local_date(self.services.clock.now()).year
        prefix = f"{document.acronym}/EXP/{year}"
        await archive_document(
            self.context(actor), document.id, series=series, file_number=f"{prefix}/{self.number(prefix, first=20):04d}"
        )

    async def deadlines(self) -> None:
        from resolvers.deadlines import run_deadline_pass

        await run_deadline_pass(self.services)


# --- the printout -----------------------------------------------------------------------------


@dataclass
class DemoStats:
    documents: dict[str, int]  # by status
    turnos: dict[str, int]  # by status
    responses: int
    returned: int  # responses returned with observations
    accepted_after_return: int  # turnos concluded in a second round
    late: int  # turnos answered after their deadline
    lights: dict[str, int]  # turnos awaiting an answer today, by traffic light
    deadline_events: dict[str, int]
    staff_user: str | None  # a STAFF user with turnos to attend, and how many
    staff_pending: int


async def demo_stats(services, demo: Demo, calendar: BusinessCalendar) -> DemoStats:
    today = services.clock.today()
    async with services.db.session() as session:

        def grouped(column, *where):
            return select(column, func.count()).where(*where).group_by(column)

        documents = dict((await session.execute(grouped(Document.status))).all())
        turnos = dict((await session.execute(grouped(Turno.status))).all())
        decisions = dict((await session.execute(grouped(Response.decision))).all())
        second = (
            await session.execute(
                select(func.count())
                .select_from(Turno)
                .where(Turno.status == TurnoStatus.CONCLUDED.value, Turno.rounds >= 2)
            )
        ).scalar_one()
        late = (
            await session.execute(select(func.count()).select_from(Turno).where(Turno.answered_on_time.is_(False)))
        ).scalar_one()
        events = dict(
            (
                await session.execute(
                    grouped(
                        Event.kind, Event.kind.in_([EventKind.DEADLINE_NEAR.value, EventKind.DEADLINE_PASSED.value])
                    )
                )
            ).all()
        )
        awaiting = (
            await session.execute(
                select(Turno.to_unit_id, Turno.status, Turno.due_date).where(
                    Turno.status.in_([s.value for s in AWAITING_ANSWER])
                )
            )
        ).all()
    lights = {light.value: 0 for light in TrafficLight}
    pending: dict[int, int] = {}
    for unit_id, status, due in awaiting:
        light = turno_light(status, due, None, calendar, today, services.settings.yellow_threshold_days)
        lights[light.value] += 1
        pending[unit_id] = pending.get(unit_id, 0) + 1
    staff = [
        (sum(pending.get(demo.units[a].id, 0) for a, r in p.grants if r == Role.STAFF), p.username)
        for p in demo.persons
        if any(r == Role.STAFF for _, r in p.grants)
    ]
    # an analyst with work waiting (analista.nominas when it has some), else whoever has most
    preferred = (
        [(n, u) for n, u in staff if n and u == "analista.nominas"]
        or sorted([(n, u) for n, u in staff if n and u.startswith("analista.")], key=lambda x: -x[0])
        or sorted([(n, u) for n, u in staff if n], key=lambda x: -x[0])
    )
    staff_pending, staff_user = preferred[0] if preferred else (0, None)
    return DemoStats(
        documents=documents,
        turnos=turnos,
        responses=sum(decisions.values()),
        returned=decisions.get("RETURN", 0),
        accepted_after_return=second,
        late=late,
        lights=lights,
        deadline_events=events,
        staff_user=staff_user,
        staff_pending=staff_pending,
    )


def print_summary(demo: Demo, stats: DemoStats, elapsed: float) -> None:
    users = {p.username: p for p in demo.persons}
    staff_user = stats.staff_user or "analista.nominas"
    shown = ["admin", "titular.dg", "registro.dg", "titular.deltol", "registro.deltol", staff_user, "consulta.dg"]
    role_names = {
        Role.ADMIN: "Administración",
        Role.HEAD: "Titular",
        Role.REGISTRAR: "Control de gestión",
        Role.STAFF: "Personal operativo",
        Role.VIEWER: "Consulta",
    }
    rows = []
    for username in shown:
        person = users[username]
        grants = ", ".join(f"{role_names[r]} · {demo.units[a].acronym}" for a, r in person.grants)
        rows.append((username, grants, person.full_name))
    widths = [max(len(r[i]) for r in rows + [("Usuario", "Rol · unidad", "Nombre")]) for i in range(3)]

    def line(values):
        return ("  " + "  ".join(v.ljust(w) for v, w in zip(values, widths))).rstrip()

    d, t, lights, deadlines = stats.documents, stats.turnos, stats.lights, stats.deadline_events
    print()
    print(
        f"Datos de demostración cargados en {elapsed:.1f} s: {len(demo.units)} unidades administrativas, "
        f"{len(demo.persons)} personas usuarias y {sum(d.values())} documentos del último año."
    )
    print("Instituto Mexiquense de la Vivienda Social (IMEVIS) — datos ficticios.")
    print(
        f"Documentos: {d.get('REGISTERED', 0)} registrados, {d.get('IN_PROGRESS', 0)} en trámite, "
        f"{d.get('CONCLUDED', 0)} concluidos y {d.get('ARCHIVED', 0)} archivados."
    )
    print(
        f"Turnos: {sum(t.values())} — {t.get('SENT', 0)} enviados, {t.get('RECEIVED', 0)} recibidos, "
        f"{t.get('ANSWERED', 0)} respondidos, {t.get('RETURNED', 0)} devueltos, {t.get('CONCLUDED', 0)} concluidos "
        f"y {t.get('CANCELLED', 0)} cancelados."
    )
    print(
        f"Respuestas: {stats.responses}; {stats.returned} devueltas con observaciones, "
        f"{stats.accepted_after_return} turnos aceptados en segunda vuelta, {stats.late} respondidos fuera de plazo."
    )
    print(
        f"Hoy, por atender: {lights['GREEN']} en verde, {lights['YELLOW']} en amarillo, {lights['RED']} en rojo "
        f"y {lights['NONE']} sin plazo; avisos de plazo: {deadlines.get('DEADLINE_NEAR', 0)} por vencer, "
        f"{deadlines.get('DEADLINE_PASSED', 0)} vencidos."
    )
    print()
    print(line(("Usuario", "Rol · unidad", "Nombre")))
    print(line(tuple("-" * w for w in widths)))
    for row in rows:
        print(line(row))
    print()
    print(f"Contraseña de todas las cuentas de demostración: {DEMO_PASSWORD}")
    print(
        "Titulares: titular.<siglas> (p. ej. titular.daf); control de gestión: registro.<siglas> (p. ej. registro.dpv)."
    )
    if stats.staff_user:
        print(
            f"{stats.staff_user} tiene {stats.staff_pending} turno{'s' if stats.staff_pending != 1 else ''} "
            "por atender en su bandeja (consulta `inbox`)."
        )
    print()
    print("En GraphiQL (la dirección la muestra `mcs serve` al arrancar), inicie sesión con:")
    print(f'  mutation {{ login(input:{{username:"admin", password:"{DEMO_PASSWORD}"}}) {{ token }} }}')
    print("y envíe el token en el encabezado:  Authorization: Bearer <token>")
