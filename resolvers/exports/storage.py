"""Where exports live on disk, and the names that tie a file to its export.

<files_dir>/exports/<id>-<random>.xlsx is a finished file (the export's `file_key`);
<files_dir>/exports/tmp/<id>-<random>/ is a running job's own folder, every temporary file of it
inside. An older version wrote .<id>-... part files straight under tmp/: they are matched too.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from pathlib import Path

from resolvers.context import Services

JOB_FILE = re.compile(r"^\.?(\d+)-")  # <id>-... (a job's folder, a finished file) or .<id>-... (an older part file)


def exports_dir(services: Services) -> Path:
    return Path(services.settings.files_dir) / "exports"


def new_job_folder(services: Services, export_id: int) -> Path:
    """A job's own folder for its temporary files (made by whoever writes there)."""
    return exports_dir(services) / "tmp" / f"{export_id}-{secrets.token_hex(8)}"


def new_file_key(export_id: int) -> str:
    """The name of a finished file under exports/ (its export's `file_key`)."""
    return f"{export_id}-{secrets.token_hex(12)}.xlsx"


def job_id(name: str) -> int | None:
    """The export a file or folder belongs to, by its name; None: nothing ties it to one."""
    match = JOB_FILE.match(name)
    return int(match.group(1)) if match else None


def remove_partials(directory: Path, export_ids: set[int]) -> int:
    """The temporary files of these exports' jobs (their folders under exports/tmp)."""
    tmp = directory / "tmp"
    if not tmp.is_dir():
        return 0
    return sum(remove_entry(p) for p in tmp.iterdir() if job_id(p.name) in export_ids)


def mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return time.time()


def remove_entry(path: Path) -> bool:
    """A file, or a job's folder with what is in it."""
    if path.is_dir() and not path.is_symlink():
        existed = path.exists()
        remove_tree(path)
        return existed
    return remove(path)


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def remove(path: Path) -> bool:
    try:
        os.remove(path)
        return True
    except FileNotFoundError:
        return False
