"""The demo institution's org tree (data): the IMEVIS central units and its regional offices, with
the municipalities each one serves, and the claves of the units."""

from __future__ import annotations

from models.org import OrgUnitKind

K = OrgUnitKind

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

# (acronym, name, kind, parent acronym); codes are derived from the position in the tree
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
REGION_SUFFIXES = {suffix for suffix, _, _ in REGIONS}
MUNICIPALITY_DELEGATION = {m: d for d, ms in REGION_MUNICIPALITIES.items() for m in ms}  # who serves each one

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
