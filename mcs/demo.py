"""Demo data (in Spanish): an institution shaped like the Instituto Mexiquense de la Vivienda
Social (IMEVIS, Estado de México), its people in every role, and a year of correspondence.

`mcs demo` and `mcs serve --demo-if-empty` call `load_demo`. The org tree and the users are
written straight through the models; every document goes through the real registration use
case (`resolvers.documents.register_document`), so folios, chains and events are exactly what
the application would have produced. A frozen clock is moved to each receipt moment before
registering, which spreads the documents, their folio years and their events over the last
365 days. Everything random comes from one seeded generator: the same day gives the same data.

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

from mcs.settings import Settings
from models.calendar import BusinessCalendar
from models.clock import Clock, FrozenClock
from models.db import SharedSession
from models.documents import Document, Origin, Priority, SenderLevel
from models.org import OrgUnit, OrgUnitKind, create_unit
from models.permissions import Principal
from models.users import Membership, Role, User, hash_password

DEMO_PASSWORD = "mcs-demo-2026"
SEED = 2026
DOCUMENT_COUNT = 300
GRAPHQL_URL = "http://127.0.0.1:8000/graphql"
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

FEMALE = ["María Guadalupe", "Ana Laura", "Verónica", "Adriana", "Claudia", "Patricia", "Alejandra", "Gabriela",
          "Rosa María", "Leticia", "Martha Elena", "Silvia", "Norma Angélica", "Araceli", "Diana", "Karla",
          "Mariana", "Fernanda", "Daniela", "Itzel", "Xóchitl", "Yolanda", "Beatriz", "Lorena", "Elizabeth",
          "Mónica", "Sandra Luz", "Carolina", "Liliana", "Brenda", "Érika", "Paola", "Nayeli", "Rocío",
          "Teresa", "Jazmín", "Marisol", "Cecilia", "Angélica", "Miriam"]
MALE = ["José Luis", "Juan Carlos", "Miguel Ángel", "Francisco Javier", "Jorge", "Ricardo", "Alejandro",
        "Eduardo", "Fernando", "Roberto", "Sergio", "Arturo", "Héctor", "Raúl", "Mario", "Óscar", "Gerardo",
        "Víctor Manuel", "Jesús", "Salvador", "Enrique", "Hugo", "Armando", "Rodrigo", "Israel", "Omar", "Iván",
        "Édgar", "Luis Fernando", "Carlos Alberto", "Pedro", "Daniel", "Emilio", "Marco Antonio", "Rubén",
        "Alfredo", "Guillermo", "Adrián", "Felipe", "Tomás"]
SURNAMES = ["García", "Hernández", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez", "Ramírez",
            "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Reyes", "Jiménez", "Torres", "Díaz", "Gutiérrez",
            "Ruiz", "Mendoza", "Aguilar", "Ortiz", "Moreno", "Castillo", "Romero", "Álvarez", "Méndez", "Chávez",
            "Rivera", "Juárez", "Ramos", "Domínguez", "Herrera", "Medina", "Castro", "Vargas", "Guzmán",
            "Velázquez", "Rojas", "Contreras", "Salazar", "Luna", "Estrada", "Becerril", "Colín", "Albarrán",
            "Garduño", "Mercado", "Valdés", "Nava", "Arriaga", "Bernal", "Sotelo", "Olivares", "Zepeda", "Ávila",
            "Carbajal", "Montesinos", "Peñaloza", "Alcántara", "Dávila", "Maya", "Velasco", "Benítez"]
TITLES = {True: ["Lic.", "Mtra.", "Ing.", "Arq.", "C.P.", "Dra."], False: ["Lic.", "Mtro.", "Ing.", "Arq.", "C.P.", "Dr."]}


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
        return gendered("Director{a}", female) + name[len("Dirección"):]
    if name.startswith("Subdirección"):
        return gendered("Subdirector{a}", female) + name[len("Subdirección"):]
    if name.startswith("Departamento"):
        return gendered("Jef{e} del ", female) + name
    if name.startswith("Delegación Regional"):
        return gendered("Delegad{o} Regional", female) + name[len("Delegación Regional"):]
    if name.startswith("Secretaría Particular"):
        return gendered("Secretari{o} Particular", female)
    if name.startswith("Coordinación"):
        return gendered("Coordinador{a}", female) + name[len("Coordinación"):]
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
    ("registro.rh", [("DNOM", Role.REGISTRAR), ("DDP", Role.REGISTRAR)],
     "Enlace de Control de Gestión de Recursos Humanos"),
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
            plan.append(Person(f"titular.{acronym.lower()}", full_name, head_position(name, kind, female), female, grants))
        if kind in REGISTRAR_KINDS or (kind == K.UNIT and parent == "DG"):
            full_name, female = people.person()
            plan.append(Person(f"registro.{acronym.lower()}", full_name,
                               f"Responsable de Control de Gestión {of(name)}", female, [(acronym, Role.REGISTRAR)]))
    for username, grants, position in STAFF:
        plan.append(Person(username, *_named(people, position), grants))
    return plan


def _named(people: People, position: str) -> tuple[str, str, bool]:
    full_name, female = people.person()
    return full_name, gendered(position, female), female


# --- senders ----------------------------------------------------------------------------------

# (organization, reference prefix, [positions])
FEDERAL = {
    "CONAVI": ("Comisión Nacional de Vivienda", "CONAVI/SGSDI",
               ["Subdirector{a} General de Subsidios y Desarrollo Institucional", "Coordinador{a} de Programas de Vivienda"]),
    "SEDATU": ("Secretaría de Desarrollo Agrario, Territorial y Urbano", "SEDATU/OR-MEX",
               ["Titular de la Oficina de Representación en el Estado de México", "Director{a} General de Ordenamiento Territorial"]),
    "INFONAVIT": ("Instituto del Fondo Nacional de la Vivienda para los Trabajadores", "INFONAVIT/DR-MEX",
                  ["Delegad{o} Regional en el Estado de México", "Gerente de Crédito"]),
    "FOVISSSTE": ("Fondo de la Vivienda del ISSSTE", "FOVISSSTE/DEM", ["Jef{e} del Departamento de Vivienda en el Estado de México"]),
    "INSUS": ("Instituto Nacional del Suelo Sustentable", "INSUS/REM", ["Representante en el Estado de México"]),
    "RAN": ("Registro Agrario Nacional", "RAN/DEM", ["Encargad{o} de la Representación Estatal"]),
    "PA": ("Procuraduría Agraria", "PA/RT", ["Residente en Toluca", "Visitador{a} Agrari{o}"]),
    "TUA": ("Tribunal Unitario Agrario del Distrito 9", "TUA9", ["Secretari{o} de Acuerdos"]),
    "SHF": ("Sociedad Hipotecaria Federal", "SHF/DGAV", ["Director{a} de Vivienda"]),
    "INEGI": ("Instituto Nacional de Estadística y Geografía", "INEGI/CEMEX", ["Coordinador{a} Estatal en el Estado de México"]),
    "ASF": ("Auditoría Superior de la Federación", "ASF/AECF", ["Director{a} de Auditoría"]),
    "CFE": ("Comisión Federal de Electricidad", "CFE/DVM", ["Superintendente de Zona Toluca"]),
    "JDIST": ("Juzgado Primero de Distrito en Materia de Amparo en el Estado de México", "JD1/AMP", ["Secretari{o} del Juzgado"]),
}
STATE = {
    "SEDUI": ("Secretaría de Desarrollo Urbano e Infraestructura", "SEDUI/DGV",
              ["Director{a} General de Vivienda", "Subsecretari{o} de Desarrollo Urbano"]),
    "SF": ("Secretaría de Finanzas", "SF/SPP/DGPP",
           ["Subsecretari{o} de Planeación y Presupuesto", "Director{a} General de Planeación y Gasto Público"]),
    "SFRM": ("Secretaría de Finanzas", "SF/DGRM", ["Director{a} General de Recursos Materiales"]),
    "SECOGEM": ("Secretaría de la Contraloría", "SECOGEM/DGCE", ["Director{a} General de Control y Evaluación", "Auditor{a} Especial"]),
    "IFREM": ("Instituto de la Función Registral del Estado de México", "IFREM/OR-TOL",
              ["Registrador{a} de la Propiedad de la Oficina Registral de Toluca"]),
    "IGECEM": ("Instituto de Información e Investigación Geográfica, Estadística y Catastral del Estado de México",
               "IGECEM/DC", ["Director{a} de Catastro"]),
    "SGG": ("Secretaría General de Gobierno", "SGG/SSG", ["Subsecretari{o} General de Gobierno"]),
    "CODHEM": ("Comisión de Derechos Humanos del Estado de México", "CODHEM/VG", ["Visitador{a} General"]),
    "INFOEM": ("Instituto de Transparencia, Acceso a la Información Pública y Protección de Datos Personales del Estado de México y Municipios",
               "INFOEM/DGJV", ["Director{a} General Jurídic{o} y de Verificación"]),
    "TRIJAEM": ("Tribunal de Justicia Administrativa del Estado de México", "TRIJAEM/SR1", ["Magistrad{o} de la Primera Sala Regional"]),
    "LEGIS": ("Poder Legislativo del Estado de México", "LXII/DIP", ["Diputad{o} Local"]),
    "ISSEMYM": ("Instituto de Seguridad Social del Estado de México y Municipios", "ISSEMYM/CF", ["Coordinador{a} de Finanzas"]),
    "CAEM": ("Comisión del Agua del Estado de México", "CAEM/DGPP", ["Director{a} General de Proyectos"]),
    "PC": ("Coordinación General de Protección Civil y Gestión Integral del Riesgo", "CGPC/DGR", ["Director{a} de Gestión de Riesgos"]),
    "COPLADEM": ("Comité de Planeación para el Desarrollo del Estado de México", "COPLADEM/DG", ["Director{a} General"]),
    "CGCS": ("Coordinación General de Comunicación Social", "CGCS/DI", ["Director{a} de Imagen Institucional"]),
    "JUZCIV": ("Juzgado Tercero Civil de Primera Instancia de Toluca", "JC3/TOL", ["Secretari{o} de Acuerdos"]),
    "CJ": ("Consejería Jurídica del Ejecutivo Estatal", "CJEM/DGJ", ["Director{a} General Jurídic{o}"]),
}
ORGANIZATIONS = {
    "NOTARIOS": ("Colegio de Notarios del Estado de México", "CNEM", ["President{e} del Consejo Directivo"]),
    "CANADEVI": ("Cámara Nacional de la Industria de Desarrollo y Promoción de Vivienda, Delegación Estado de México",
                 "CANADEVI-EM", ["President{e}"]),
    "HABITAT": ("Fundación Techo Solidario, A.C.", "FTS", ["Director{a} de Programas"]),
    "COLONOS": ("Asociación de Colonos de {col}, A.C.", None, ["President{e} de la Mesa Directiva", "Secretari{o}"]),
    "EJIDO": ("Comisariado Ejidal de {pueblo}", None, ["President{e} del Comisariado Ejidal"]),
    "INGENIEROS": ("Colegio de Ingenieros Civiles del Estado de México, A.C.", "CICEM", ["President{e}"]),
    "SUTEYM": ("Sindicato Único de Trabajadores de los Poderes, Municipios e Instituciones Descentralizadas del Estado de México",
               "SUTEYM", ["Secretari{o} General"]),
    "CONSTRUCTORA": ("Constructora y Urbanizadora del Valle de Toluca, S.A. de C.V.", "CUVT", ["Representante Legal"]),
    "TALLER": ("Servicios Automotrices Nevado, S.A. de C.V.", None, ["Gerente de Ventas"]),
    "PERIODICO": ("Diario Regional del Valle de Toluca", None, ["Jef{e} de Información"]),
}
MUNICIPAL_POSITIONS = ["President{e} Municipal Constitucional", "Director{a} de Desarrollo Urbano", "Síndic{o} Municipal",
                       "Secretari{o} del Ayuntamiento", "Director{a} de Catastro Municipal", "Director{a} de Obras Públicas"]

COLONIAS = ["Centro", "San Isidro", "La Loma", "Ampliación San Miguel", "Ejido de San Lorenzo", "Lomas de la Cruz",
            "El Mirador", "Santa Cruz", "Las Palmas", "Benito Juárez", "Emiliano Zapata", "Guadalupe Victoria",
            "Valle Verde", "Los Reyes", "San Juan", "Independencia", "Tierra Blanca", "Colinas del Sol", "Las Flores",
            "Barrio de San Pedro", "Ampliación La Providencia", "Francisco I. Madero", "El Tejocote", "Plan de Ayala"]
STREETS = ["Calle Hidalgo", "Av. Morelos", "Calle Independencia", "Calle Allende", "Av. Juárez", "Calle Aldama",
           "Cerrada de los Pinos", "Privada Libertad", "Calle 5 de Mayo", "Av. Revolución", "Calle Nicolás Bravo",
           "Andador Girasoles", "Calle Francisco Villa", "Callejón del Sol"]
PUEBLOS = ["San Mateo Otzacatipan", "San Pablo Autopan", "Santiago Tlacotepec", "San Cristóbal Huichochitlán",
           "Santa María Ajoloapan", "San Juan Tlalpizahuac", "Santa Ana Jilotzingo", "San Francisco Tepojaco",
           "Santiago Cuautlalpan", "San Lucas Xochimanca"]
PROGRAMS = ["Piso Firme", "Techo Digno", "Cuarto Adicional", "Vivienda Progresiva", "Baño Digno", "Calentador Solar"]
MONTHS = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
          "noviembre", "diciembre"]
DEVELOPMENTS = ["Las Margaritas", "Los Sauces", "Villas del Nevado", "Rancho San José", "El Potrero", "Real de Tultepec"]
MAIL_DOMAINS = ["example.com", "example.net", "example.org"]


# --- what arrives, by area -------------------------------------------------------------------
# (sender key, document types, subject, summary); sender keys: FEDERAL/STATE/ORGANIZATIONS keys,
# "MUN" (a municipality), "CIT" (a citizen). Placeholders are filled by `Filler`.

AREAS: dict[str, list[tuple[str, tuple[str, ...], str, str | None]]] = {
    "suelo": [
        ("CIT", ("SOLICITUD_CIUDADANA",), "Solicitud de regularización del predio ubicado en la colonia {col}, municipio de {mun}",
         "Solicita la regularización de la tenencia del predio que ocupa desde hace {yrs} años; anexa constancia de posesión y croquis de localización."),
        ("CIT", ("SOLICITUD_CIUDADANA",), "Solicitud de escrituración del lote {lote}, manzana {mz}, colonia {col}, {mun}",
         "Pide información sobre los requisitos y el costo para obtener la escritura del lote adquirido a través del Instituto."),
        ("CIT", ("SOLICITUD_CIUDADANA", "OTRO"), "Solicitud de información sobre el estado del expediente de regularización {exp}",
         "Pregunta en qué etapa se encuentra el trámite que inició en {prev} y cuándo podrá recoger su escritura."),
        ("CIT", ("SOLICITUD_CIUDADANA",), "Corrección del nombre del beneficiario en la escritura del lote {lote}, manzana {mz}, {mun}",
         "Señala un error en el segundo apellido del titular y solicita la rectificación ante el notario."),
        ("MUN", ("OFICIO",), "Solicitud de apoyo para la regularización de asentamientos humanos en la colonia {col}, {mun}",
         "El Ayuntamiento solicita incluir la colonia en el programa de regularización {year} y ofrece la colaboración de su Dirección de Desarrollo Urbano."),
        ("MUN", ("OFICIO",), "Remisión de constancias de alineamiento y número oficial de predios en regularización en {mun}", None),
        ("IFREM", ("OFICIO",), "Observaciones a la calificación registral de escrituras del programa de regularización en {mun}",
         "Devuelve {n} escrituras con observaciones y solicita subsanarlas para continuar con su inscripción."),
        ("IGECEM", ("OFICIO",), "Actualización de la cartografía catastral de predios regularizados en {mun}", None),
        ("RAN", ("OFICIO",), "Solicitud de información sobre predios de origen ejidal en {pueblo}, municipio de {mun}", None),
        ("PA", ("OFICIO",), "Conciliación con ejidatarios de {pueblo} sobre la incorporación de tierras al desarrollo urbano", None),
        ("TUA", ("OFICIO",), "Notificación de acuerdo en el juicio agrario {juicio} relativo a tierras de {pueblo}",
         "Se notifica acuerdo que admite pruebas y fija fecha para la audiencia de ley."),
        ("NOTARIOS", ("OFICIO",), "Propuesta de aranceles preferenciales para la escrituración de predios regularizados", None),
        ("EJIDO", ("OFICIO", "SOLICITUD_CIUDADANA"), "Solicitud de reunión para tratar la regularización de la zona urbana ejidal de {pueblo}", None),
        ("INSUS", ("OFICIO",), "Propuesta de convenio de coordinación para la regularización de lotes en {mun}", None),
        ("SEDUI", ("OFICIO",), "Seguimiento al programa de regularización de la tenencia de la tierra en {mun}",
         "Solicita el avance de las metas de escrituración comprometidas para el ejercicio {year}."),
    ],
    "vivienda": [
        ("CIT", ("SOLICITUD_CIUDADANA",), "Solicitud de apoyo del programa de mejoramiento de vivienda ({prog})",
         "Solicita su inclusión en el padrón de beneficiarios; habita en la colonia {col}, {mun}, con {n} dependientes económicos."),
        ("CIT", ("SOLICITUD_CIUDADANA",), "Solicitud de lote con servicios para vivienda en {mun}", None),
        ("CIT", ("SOLICITUD_CIUDADANA", "OTRO"), "Queja por retraso en la entrega de materiales del programa {prog}",
         "Manifiesta que fue aceptada en el programa en {prev_month} y no ha recibido los materiales."),
        ("CONAVI", ("OFICIO", "CIRCULAR"), "Reglas de operación del Programa de Vivienda Social {year} y convocatoria a organismos ejecutores", None),
        ("CONAVI", ("OFICIO",), "Solicitud de informe sobre la aplicación de subsidios federales para vivienda del ejercicio {prev}", None),
        ("INFONAVIT", ("OFICIO",), "Propuesta de esquema de cofinanciamiento para vivienda de trabajadores en {mun}", None),
        ("FOVISSSTE", ("OFICIO",), "Solicitud de reservas territoriales para vivienda de trabajadores al servicio del Estado", None),
        ("SHF", ("INVITACION",), "Invitación al Foro Estatal de Vivienda {year}", None),
        ("SEDUI", ("OFICIO",), "Validación de la factibilidad de reservas territoriales en {mun}", None),
        ("SEDUI", ("OFICIO", "TARJETA_INFORMATIVA"), "Solicitud del avance del programa de lotes con servicios en {des}", None),
        ("MUN", ("OFICIO",), "Solicitud de inclusión del municipio de {mun} en el programa de mejoramiento de vivienda {year}", None),
        ("MUN", ("OFICIO",), "Padrón de familias afectadas por las lluvias en {mun} para apoyos de vivienda",
         "Remite el padrón de {n} familias damnificadas y solicita apoyos emergentes de láminas y cemento."),
        ("CANADEVI", ("OFICIO",), "Propuesta de convenio para desarrollar vivienda social en reservas territoriales del Instituto", None),
        ("HABITAT", ("INVITACION",), "Invitación a la jornada de construcción solidaria en {mun}", None),
        ("SF", ("OFICIO",), "Autorización de recursos para el programa de mejoramiento de vivienda {year}", None),
    ],
    "admin": [
        ("SF", ("CIRCULAR",), "Lineamientos para el cierre del ejercicio presupuestal {year}", None),
        ("SF", ("OFICIO",), "Calendario de ministración de recursos del presupuesto autorizado {year}", None),
        ("SECOGEM", ("OFICIO",), "Orden de auditoría financiera al ejercicio {prev}",
         "Notifica el inicio de la auditoría y solicita designar un enlace y poner a disposición la documentación comprobatoria."),
        ("SECOGEM", ("CIRCULAR",), "Recordatorio del plazo para presentar la declaración de situación patrimonial y de intereses", None),
        ("SFRM", ("CIRCULAR", "OFICIO"), "Convocatoria para la compra consolidada de papelería y consumibles de cómputo", None),
        ("ASF", ("OFICIO",), "Requerimiento de información para la fiscalización de la Cuenta Pública {prev}", None),
        ("ISSEMYM", ("OFICIO",), "Conciliación de cuotas y aportaciones de seguridad social del {quarter} trimestre", None),
        ("TALLER", ("OTRO", "OFICIO"), "Propuesta de servicios de mantenimiento preventivo del parque vehicular", None),
        ("SUTEYM", ("OFICIO",), "Pliego petitorio de las personas trabajadoras sindicalizadas del Instituto {year}", None),
        ("CIT", ("SOLICITUD_CIUDADANA",), "Solicitud de constancia de servicios laborados en el Instituto", None),
        ("CIT", ("SOLICITUD_CIUDADANA",), "Solicitud de convenio de pago del adeudo del crédito de vivienda {credito}",
         "Propone liquidar el saldo en {n} mensualidades y solicita la condonación de intereses moratorios."),
        ("CIT", ("SOLICITUD_CIUDADANA",), "Solicitud de carta de no adeudo del lote {lote}, manzana {mz}, {mun}", None),
    ],
    "obra": [
        ("MUN", ("OFICIO",), "Solicitud de dictamen técnico para la introducción de servicios en la colonia {col}, {mun}", None),
        ("CAEM", ("OFICIO",), "Factibilidad de dotación de agua potable para el desarrollo de lotes con servicios {des}", None),
        ("CONSTRUCTORA", ("OFICIO",), "Estimación número {n} de los trabajos de urbanización en {des}, {mun}", None),
        ("PC", ("OFICIO",), "Dictamen de riesgo de predios en la colonia {col}, {mun}",
         "Identifica {n} viviendas en zona de riesgo por deslave y recomienda su reubicación."),
        ("CIT", ("SOLICITUD_CIUDADANA",), "Solicitud de levantamiento topográfico del predio ubicado en la colonia {col}, {mun}", None),
        ("CFE", ("OFICIO",), "Presupuesto de obra para la electrificación del desarrollo {des}", None),
        ("INGENIEROS", ("OFICIO", "INVITACION"), "Invitación a la jornada técnica sobre vivienda resiliente", None),
    ],
    "juridico": [
        ("JUZCIV", ("OFICIO",), "Emplazamiento en el juicio ordinario civil de usucapión {juicio} sobre predio en {mun}",
         "Se corre traslado de la demanda y se concede un plazo de nueve días para contestarla."),
        ("JDIST", ("OFICIO",), "Requerimiento de informe justificado en el juicio de amparo {amparo}",
         "Se requiere rendir el informe justificado dentro de los quince días siguientes a la notificación."),
        ("TRIJAEM", ("OFICIO",), "Emplazamiento a juicio administrativo promovido contra la negativa de escrituración", None),
        ("CODHEM", ("OFICIO",), "Solicitud de informe sobre la queja {codhem}", None),
        ("NOTARIOS", ("OFICIO",), "Propuesta de convenio de colaboración para la escrituración de predios regularizados", None),
        ("CJ", ("OFICIO",), "Observaciones al proyecto de Reglamento Interior del Instituto", None),
        ("SGG", ("OFICIO",), "Publicación en la Gaceta del Gobierno de los acuerdos del Consejo Directivo", None),
    ],
    "planeacion": [
        ("SF", ("OFICIO",), "Solicitud del informe de avance trimestral del Programa Anual {year}", None),
        ("INEGI", ("OFICIO", "INVITACION"), "Solicitud de registros administrativos de vivienda para el Censo Nacional de Gobierno {year}", None),
        ("COPLADEM", ("OFICIO",), "Integración del Informe de Gobierno: aportación del sector vivienda", None),
        ("SECOGEM", ("OFICIO",), "Evaluación del desempeño del programa presupuestario Vivienda", None),
        ("SF", ("CIRCULAR",), "Lineamientos para la integración del anteproyecto de presupuesto {next}", None),
    ],
    "transparencia": [
        ("CIT", ("SOLICITUD_CIUDADANA",), "Solicitud de acceso a la información pública {saimex}: padrón de beneficiarios del programa {prog}", None),
        ("CIT", ("SOLICITUD_CIUDADANA",), "Solicitud de acceso a la información pública {saimex}: contratos de obra celebrados en {prev}", None),
        ("CIT", ("SOLICITUD_CIUDADANA",), "Solicitud de acceso a datos personales {saimex} (derechos ARCO)", None),
        ("INFOEM", ("OFICIO",), "Notificación del recurso de revisión {recurso} contra la respuesta a la solicitud {saimex}", None),
        ("INFOEM", ("OFICIO",), "Resultados de la verificación virtual de obligaciones de transparencia {year}", None),
    ],
    "control": [
        ("CIT", ("SOLICITUD_CIUDADANA", "OTRO"), "Denuncia por presuntas irregularidades en la asignación de lotes en {mun}", None),
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
        ("SGG", ("OFICIO",), "Atención a la mesa de diálogo con vecinos de la colonia {col}, {mun}",
         "Convoca a una mesa de diálogo por la inconformidad de vecinos con el avance de la regularización."),
        ("LEGIS", ("OFICIO",), "Gestión ciudadana de vecinos de la colonia {col}, {mun}, para regularizar sus predios", None),
        ("COLONOS", ("OFICIO", "SOLICITUD_CIUDADANA"), "Solicitud de regularización de la colonia {col}, {mun}",
         "La mesa directiva presenta la relación de {n} lotes cuyos poseedores solicitan su escrituración."),
    ],
}
AREA_OF = {
    "DG": None, "SP": None, "DAF": "admin", "SRH": "admin", "SRMSG": "admin", "SFIN": "admin",
    "DRTT": "suelo", "SREG": "suelo", "SAAE": "suelo", "DPV": "vivienda", "SMV": "vivienda", "SSRT": "vivienda",
    "SFV": "vivienda", "DT": "obra", "SPDU": "obra", "SOS": "obra", "DOR": "regional", "SCR": "regional",
    "SAC": "regional", "UAJIG": "juridico", "UIPPE": "planeacion", "UT": "transparencia", "OIC": "control",
    "CCS": "comunicacion", "DNOM": "admin", "DDP": "admin", "DESC": "suelo",
}
REGIONAL_AREAS = ["suelo", "suelo", "vivienda", "vivienda", "regional"]
# where documents are registered, and how often
REGISTERING = (
    [("DG", 50)] + [(a, 13) for a in ("DAF", "DRTT", "DPV", "DT", "DOR")]
    + [(a, 5) for a in ("UAJIG", "UIPPE", "UT", "OIC", "CCS")]
    + [(f"DEL{s}", 9) for s, _, _ in REGIONS]
    + [(a, 3) for a in ("SREG", "SMV", "SFIN", "SRH", "SSRT")]
    # departments with a registrar (or a head standing in), so their staff have an inbox too
    + [("DNOM", 2), ("DDP", 1), ("DESC", 2)]
)
# memoranda and reports between units: (types, subject, summary)
INTERNAL = [
    (("TARJETA_INFORMATIVA",), "Tarjeta informativa sobre el avance de escrituración en {mun}",
     "Se informa la entrega de {n} escrituras y las observaciones pendientes con el IFREM."),
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
        # reproducible; a forced reload onto earlier demo data draws new documents, not the same ones again
        rng = random.Random(SEED if not existing_documents else f"{SEED}/{existing_documents}")
        demo = Demo(rng=rng, people=People(rng))
        moments = receipt_moments(rng, real_now, ZoneInfo(settings.timezone), DOCUMENT_COUNT)
        clock.set(moments[0] - timedelta(days=14))  # the people were there before the first document
        await create_institution(services, demo)
        count = await register_documents(services, demo, moments)
        elapsed = time.perf_counter() - started
        print_summary(demo, count, elapsed)
    finally:
        await services.hub.close()
        await services.db.dispose()


async def create_institution(services, demo: Demo) -> None:
    """The org tree and its people; existing units and users (by siglas/username) are reused."""
    codes = unit_codes(UNITS)
    password_hash = hash_password(DEMO_PASSWORD)  # argon2 is slow on purpose: once for everyone
    async with services.db.transaction() as session:
        existing = {u.acronym.upper(): u for u in (await session.execute(select(OrgUnit))).scalars()}
        for acronym, name, kind, parent in UNITS:
            unit = existing.get(acronym)
            if unit is None:
                unit = await create_unit(session, code=codes[acronym], acronym=acronym, name=name, kind=kind,
                                         parent=demo.units[parent] if parent else None)
            demo.units[acronym] = unit

        demo.persons = plan_people(demo.rng, demo.people, UNITS)
        names = [p.username for p in demo.persons]
        users = {u.username: u for u in (await session.execute(
            select(User).where(User.username.in_(names)).options(selectinload(User.memberships))
        )).scalars()}
        for person in demo.persons:
            wanted = [(demo.units[a].id, role.value) for a, role in person.grants]
            user = users.get(person.username)
            if user is None:
                user = User(username=person.username, password_hash=password_hash, full_name=person.full_name,
                            position=person.position, email=f"{person.username}@{EMAIL_DOMAIN}", active=True,
                            token_version=0, created_at=services.clock.now(),
                            memberships=[Membership(unit_id=u, role=r) for u, r in wanted])
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
            moments.append((local_now.replace(hour=8, minute=30, second=0, microsecond=0)
                            + timedelta(seconds=rng.randint(0, span))).astimezone(timezone.utc))
    return sorted(moments)


async def register_documents(services, demo: Demo, moments: list[datetime]) -> int:
    from resolvers.auth import load_principal
    from resolvers.context import Context
    from resolvers.documents import register_document

    rng = demo.rng
    clock: FrozenClock = services.clock
    calendar = BusinessCalendar()
    places, weights = zip(*REGISTERING)
    earlier: list[tuple[str, str]] = []  # (organization, reference) of external documents, for resends
    principals: dict[int, Principal] = {}
    async with services.db.session() as read_session:
        for person in {p.username: p for p in demo.registrant.values() if p}.values():
            principals[person.user.id] = await load_principal(read_session, person.user.id)
        shared = SharedSession(read_session)
        await shared.release()  # no idle transaction held while the registrations commit
        for at in moments:
            clock.set(at)
            day = clock.local_date(at)
            acronym = rng.choices(places, weights=weights)[0]
            registrant = demo.registrant[acronym]
            data = plan_document(demo, acronym, day, calendar, earlier)
            data.received_at = at
            ctx = Context(services=services, session=shared, principal=principals[registrant.user.id],
                          request_id="demo")
            await register_document(ctx, data)
    return len(moments)


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

    if rng.random() < 0.15 and acronym in {"DG", "DAF", "DRTT", "DPV", "DT", "DOR", "UIPPE"} | set(REGION_MUNICIPALITIES):
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
    else:
        area = AREA_OF.get(acronym) or (rng.choice(REGIONAL_AREAS) if acronym in REGION_MUNICIPALITIES
                                        else rng.choice(list(AREAS)))
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
        unit_id=unit.id, origin=origin, document_type=document_type, subject=subject, sender=sender,
        reference=reference, summary=summary, addressee=addressee, document_date=document_date,
        due_date=due_date, priority=priority, confidential=confidential,
    )


def next_number(demo: Demo, prefix: str) -> int:
    demo.references[prefix] = demo.references.get(prefix, demo.rng.randint(20, 400)) + demo.rng.randint(1, 9)
    return demo.references[prefix]


def internal_sender(demo: Demo, acronym: str) -> OrgUnit:
    """Mostly a unit below the registering one (reports go up), otherwise a peer elsewhere."""
    unit = demo.units[acronym]
    below = [u for u in demo.units.values() if u.path.startswith(unit.path) and u.id != unit.id]
    others = [u for u in demo.units.values()
              if not u.path.startswith(unit.path) and not unit.path.startswith(u.path)]
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
        area_code = "722" if municipality in REGION_MUNICIPALITIES["DELTOL"] else rng.choice(["55", "726", "716", "724"])
        digits = 10 - len(area_code)
        number = f"{rng.randint(10 ** (digits - 1), 10 ** digits - 1)}"
        phone = f"{area_code} {number[:-4]} {number[-4:]}" if rng.random() < 0.8 else None
        address = (f"{rng.choice(STREETS)} {rng.randint(1, 250)}, Col. {fill['col']}, {municipality}, "
                   f"Estado de México, C.P. {rng.randint(50000, 57999)}") if rng.random() < 0.85 else None
        return SenderData(level=SenderLevel.CITIZEN, name=f"C. {name}", email=email, phone=phone, address=address), None
    if key == "MUN":
        municipality = fill["mun"]
        initials = "".join(w[0] for w in ascii_slug(municipality).upper().split(".") if w not in {"DE", "LA", "EL", "DEL"})
        prefix = f"MUN-{initials}/{rng.choice(['PM', 'DDU', 'SA', 'DOP'])}"
        return (SenderData(level=SenderLevel.MUNICIPAL, name=name, position=gendered(rng.choice(MUNICIPAL_POSITIONS), female),
                           organization=f"H. Ayuntamiento de {municipality}"),
                f"{prefix}/{next_number(demo, prefix):04d}/{year}")
    for level, pool in ((SenderLevel.FEDERAL, FEDERAL), (SenderLevel.STATE, STATE), (SenderLevel.ORGANIZATION, ORGANIZATIONS)):
        if key in pool:
            organization, prefix, positions = pool[key]
            reference = f"{prefix}/{next_number(demo, prefix):04d}/{year}" if prefix else None
            return (SenderData(level=level, name=name, position=gendered(rng.choice(positions), female),
                               organization=fill.fill(organization)), reference)
    raise KeyError(key)


# --- the printout -----------------------------------------------------------------------------

def print_summary(demo: Demo, documents: int, elapsed: float) -> None:
    users = {p.username: p for p in demo.persons}
    shown = ["admin", "titular.dg", "registro.dg", "titular.deltol", "registro.deltol", "analista.nominas", "consulta.dg"]
    role_names = {Role.ADMIN: "Administración", Role.HEAD: "Titular", Role.REGISTRAR: "Control de gestión",
                  Role.STAFF: "Personal operativo", Role.VIEWER: "Consulta"}
    rows = []
    for username in shown:
        person = users[username]
        grants = ", ".join(f"{role_names[r]} · {demo.units[a].acronym}" for a, r in person.grants)
        rows.append((username, grants, person.full_name))
    widths = [max(len(r[i]) for r in rows + [("Usuario", "Rol · unidad", "Nombre")]) for i in range(3)]

    def line(values):
        return ("  " + "  ".join(v.ljust(w) for v, w in zip(values, widths))).rstrip()

    print()
    print(f"Datos de demostración cargados en {elapsed:.1f} s: {len(demo.units)} unidades administrativas, "
          f"{len(demo.persons)} personas usuarias y {documents} documentos del último año.")
    print("Instituto Mexiquense de la Vivienda Social (IMEVIS) — datos ficticios.")
    print()
    print(line(("Usuario", "Rol · unidad", "Nombre")))
    print(line(tuple("-" * w for w in widths)))
    for row in rows:
        print(line(row))
    print()
    print(f"Contraseña de todas las cuentas de demostración: {DEMO_PASSWORD}")
    print("Titulares: titular.<siglas> (p. ej. titular.daf); control de gestión: registro.<siglas> (p. ej. registro.dpv).")
    print()
    print(f"GraphiQL: {GRAPHQL_URL}  (con `mcs serve`)")
    print("Para iniciar sesión ejecute:")
    print(f'  mutation {{ login(input:{{username:"admin", password:"{DEMO_PASSWORD}"}}) {{ token }} }}')
    print("y envíe el token en el encabezado:  Authorization: Bearer <token>")
