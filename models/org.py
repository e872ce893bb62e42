"""The org tree: administrative units with a materialized path for subtree queries.

`path` is "/<root id>/.../<own id>/": a unit's descendants are the units whose path starts
with its own, which is one indexed prefix match on either database.
"""

from __future__ import annotations

from enum import Enum

from sqlalchemy import Boolean, ForeignKey, Index, String, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId
from models.errors import DomainError, ErrorCode, required_message, too_long_message, validation


class OrgUnitKind(str, Enum):
    GENERAL_DIRECTORATE = "GENERAL_DIRECTORATE"
    DIRECTORATE = "DIRECTORATE"
    SUBDIRECTORATE = "SUBDIRECTORATE"
    DEPARTMENT = "DEPARTMENT"
    REGIONAL_OFFICE = "REGIONAL_OFFICE"
    UNIT = "UNIT"


class OrgUnit(Base):
    __tablename__ = "org_units"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    acronym: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(30))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    path: Mapped[str] = mapped_column(String(1000), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        # text_pattern_ops lets PostgreSQL use the index for `path LIKE 'prefix%'` in any collation
        Index("ix_org_units_path", "path", postgresql_ops={"path": "text_pattern_ops"}),
    )

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to the parent."""
        return lineage_of(self.path)[:-1]

    @property
    def lineage_ids(self) -> list[int]:
        """Ids from the root down to this unit itself: the audience of what happens here."""
        return lineage_of(self.path)


def lineage_of(path: str) -> list[int]:
    """The ids a materialized path names, from the root down to the unit itself."""
    return [int(p) for p in path.strip("/").split("/") if p]


def is_in_subtree(path: str, root_path: str) -> bool:
    """True when the unit with `path` is the unit with `root_path` or one of its descendants."""
    return path.startswith(root_path)


CODE_MAX, ACRONYM_MAX, NAME_MAX = 40, 30, 300


def _clean(value: str | None, field: str, label: str, maximum: int) -> str:
    value = (value or "").strip()
    if not value:
        raise validation(required_message(label), field)
    if len(value) > maximum:
        raise validation(too_long_message(label, maximum), field)
    return value


async def _ensure_unique(session: AsyncSession, column, value: str, field: str, label: str, exclude_id: int | None):
    query = select(OrgUnit.id).where(func.lower(column) == value.lower())
    if exclude_id is not None:
        query = query.where(OrgUnit.id != exclude_id)
    if (await session.execute(query)).first():
        raise DomainError(ErrorCode.CONFLICT, f"Ya existe una unidad con {label} «{value}».", field)


async def create_unit(
    session: AsyncSession, *, code: str, acronym: str, name: str, kind: OrgUnitKind, parent: OrgUnit | None
) -> OrgUnit:
    code = _clean(code, "code", "La clave", CODE_MAX)
    acronym = _clean(acronym, "acronym", "Las siglas", ACRONYM_MAX).upper()
    name = _clean(name, "name", "El nombre", NAME_MAX)
    await _ensure_unique(session, OrgUnit.code, code, "code", "la clave", None)
    await _ensure_unique(session, OrgUnit.acronym, acronym, "acronym", "las siglas", None)
    if parent is not None and not parent.active:
        raise validation("La unidad superior está inactiva.", "parentId")
    unit = OrgUnit(
        code=code,
        acronym=acronym,
        name=name,
        kind=OrgUnitKind(kind).value,
        parent_id=parent.id if parent else None,
        active=True,
        path="",
    )
    session.add(unit)
    await session.flush()  # the id is part of the path
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    await session.flush()
    return unit


async def update_unit(
    session: AsyncSession,
    unit: OrgUnit,
    *,
    code: str | None = None,
    acronym: str | None = None,
    name: str | None = None,
    kind: OrgUnitKind | None = None,
    new_parent: OrgUnit | None = None,
    move_to_root: bool = False,
    active: bool | None = None,
) -> OrgUnit:
    """Rename, move (never under itself or a descendant) or (de)activate a unit."""
    if code is not None:
        code = _clean(code, "code", "La clave", CODE_MAX)
        await _ensure_unique(session, OrgUnit.code, code, "code", "la clave", unit.id)
        unit.code = code
    if acronym is not None:
        acronym = _clean(acronym, "acronym", "Las siglas", ACRONYM_MAX).upper()
        await _ensure_unique(session, OrgUnit.acronym, acronym, "acronym", "las siglas", unit.id)
        unit.acronym = acronym
    if name is not None:
        unit.name = _clean(name, "name", "El nombre", NAME_MAX)
    if kind is not None:
        unit.kind = OrgUnitKind(kind).value
    if new_parent is not None or move_to_root:
        if new_parent is not None and not new_parent.active:
            raise validation("La unidad superior está inactiva.", "parentId")
        if new_parent is not None and is_in_subtree(new_parent.path, unit.path):
            raise validation("No se puede mover una unidad debajo de sí misma o de una de sus subunidades.", "parentId")
        old_path = unit.path
        new_path = f"{new_parent.path if new_parent else '/'}{unit.id}/"
        unit.parent_id = new_parent.id if new_parent else None
        if new_path != old_path:
            # rewrite the prefix of the whole subtree in one statement
            await session.execute(
                update(OrgUnit)
                .where(OrgUnit.path.startswith(old_path, autoescape=True))
                .values(path=new_path + func.substr(OrgUnit.path, len(old_path) + 1))
                .execution_options(synchronize_session=False)
            )
            await session.refresh(unit)
    if active is not None:
        unit.active = active
    await session.flush()
    return unit
