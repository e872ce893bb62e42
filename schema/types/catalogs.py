"""Catalog entries (document types; archival series come with the workflow)."""

import strawberry


@strawberry.type(name="DocumentType")
class DocumentTypeEntry:
    code: str
    name: str
    active: bool

    @classmethod
    def from_model(cls, m) -> "DocumentTypeEntry":
        return cls(code=m.code, name=m.name, active=m.active)


@strawberry.type(name="ArchiveSeries")
class ArchiveSeriesEntry:
    code: str
    name: str
    active: bool

    @classmethod
    def from_model(cls, m) -> "ArchiveSeriesEntry":
        return cls(code=m.code, name=m.name, active=m.active)
