"""Who writes to the institution (data), and the senders and references of planned documents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.documents import SenderLevel
from models.org import OrgUnit, is_in_subtree

from mcs.demo.org import REGION_MUNICIPALITIES
from mcs.demo.people import ascii_slug, gendered

if TYPE_CHECKING:
    from mcs.demo.institution import Demo
    from mcs.demo.subjects import Filler

# by the sender keys of subjects.AREAS: (organization, reference prefix, [positions])
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
MAIL_DOMAINS = ["example.com", "example.net", "example.org"]


def next_number(demo: Demo, prefix: str) -> int:
    """The next reference of a sender's series: the year did not start with the demo."""
    demo.references[prefix] = demo.references.get(prefix, demo.rng.randint(20, 400)) + demo.rng.randint(1, 9)
    return demo.references[prefix]


def internal_sender(demo: Demo, acronym: str) -> OrgUnit:
    """Mostly a unit below the registering one (reports go up), otherwise a peer elsewhere."""
    unit = demo.units[acronym]
    below = [u for u in demo.units.values() if is_in_subtree(u.path, unit.path) and u.id != unit.id]
    others = [
        u for u in demo.units.values() if not is_in_subtree(u.path, unit.path) and not is_in_subtree(unit.path, u.path)
    ]
    if below and (not others or demo.rng.random() < 0.7):
        return demo.rng.choice(below)
    return demo.rng.choice(others)


def external_sender(demo: Demo, key: str, fill: Filler):
    """The sender (SenderData) of a document from outside, by its key, and its reference if it has one."""
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
            organization, series, positions = pool[key]
            reference = f"{series}/{next_number(demo, series):04d}/{year}" if series else None
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
