"""The demo's people (fictitious): names, positions and the accounts planned for each unit."""

from __future__ import annotations

import random
from dataclasses import dataclass

from models.text import fold
from models.users import Role, User

from mcs.demo.org import K

DEMO_PASSWORD = "mcs-demo-2026"
EMAIL_DOMAIN = "imevis.example"  # a reserved domain (RFC 2606): nobody receives these
ROLE_NAMES = {
    Role.ADMIN: "Administración",
    Role.HEAD: "Titular",
    Role.REGISTRAR: "Control de gestión",
    Role.STAFF: "Personal operativo",
    Role.VIEWER: "Consulta",
}

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
    """'Peñaloza Dávila' -> 'penaloza.davila': folded, and ASCII only (it goes into e-mail addresses)."""
    return ".".join(fold(text).encode("ascii", "ignore").decode().replace("-", " ").split())


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
    user: User | None = None  # set by create_institution (mcs/demo/institution.py)

    @property
    def user_id(self) -> int:
        if self.user is None:
            raise RuntimeError(f"{self.username}: no user yet (create_institution makes them)")
        return self.user.id


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
