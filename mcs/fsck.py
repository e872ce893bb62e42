"""`mcs fsck`: do the database and the files' store agree?

- every attachment row has its file, with the size and (unless --quick) the SHA-256 it names
- every stored file is named by some row, or is reported as an orphan (a file placed by a
  transaction that then failed: harmless, content-addressed; `--delete-orphans` removes those
  older than an hour, never one a transaction in flight may be about to name)
- staged uploads still in `tmp/` are counted (the periodic sweep removes abandoned ones)

Used after restoring a backup (docs/operations.md): both halves must match.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select

from files.storage import LocalStorage
from models.attachments import Attachment
from models.db import Database

ORPHAN_MIN_AGE_SECONDS = 3600


@dataclass
class Report:
    rows: int = 0  # distinct stored contents the rows name
    stored: int = 0
    missing: list[str] = field(default_factory=list)  # sha256 named by rows, no file
    corrupt: list[str] = field(default_factory=list)  # file present, other size or content
    orphans: list[str] = field(default_factory=list)  # file no row names
    orphans_deleted: int = 0
    staged: int = 0

    @property
    def ok(self) -> bool:
        return not self.missing and not self.corrupt

    def lines(self) -> list[str]:
        out = [f"Archivos nombrados por la base de datos: {self.rows}; archivos guardados: {self.stored}."]
        for sha in self.missing:
            out.append(f"FALTA      {sha}: la base de datos lo nombra y no está en el almacén")
        for sha in self.corrupt:
            out.append(f"DAÑADO     {sha}: su contenido no corresponde a su SHA-256 o a su tamaño")
        for sha in self.orphans:
            out.append(f"HUÉRFANO   {sha}: ningún registro lo nombra")
        if self.orphans_deleted:
            out.append(f"Se borraron {self.orphans_deleted} archivos huérfanos de más de una hora.")
        if self.staged:
            out.append(f"Cargas temporales en tmp/: {self.staged} (la limpieza periódica borra las abandonadas).")
        out.append(
            "Correcto: cada registro tiene su archivo íntegro."
            if self.ok
            else f"Con problemas: {len(self.missing)} faltantes, {len(self.corrupt)} dañados."
        )
        return out


async def check(db: Database, storage: LocalStorage, *, quick: bool = False, delete_orphans: bool = False) -> Report:
    report = Report()
    async with db.session() as session:
        named = dict(
            (
                await session.execute(select(Attachment.sha256, func.max(Attachment.size)).group_by(Attachment.sha256))
            ).all()
        )
    report.rows = len(named)
    found: set[str] = set()
    limit = time.time() - ORPHAN_MIN_AGE_SECONDS
    for name, path in storage.stored():
        report.stored += 1
        size = named.get(name)
        if size is None:
            report.orphans.append(name)
            if delete_orphans and path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
                report.orphans_deleted += 1
            continue
        found.add(name)
        if path.stat().st_size != size or (not quick and await asyncio.to_thread(storage.hash_file, path) != name):
            report.corrupt.append(name)
    report.missing = sorted(set(named) - found)
    report.staged = sum(1 for _ in storage.tmp.iterdir()) if storage.tmp.is_dir() else 0
    return report
