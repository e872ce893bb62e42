"""OCR of scanned documents with Tesseract (Debian's tesseract-ocr and tesseract-ocr-spa), when
the machine has it; `available()` is reported by the status query and /health."""

from __future__ import annotations

import logging
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

log = logging.getLogger("mcs.files")


@lru_cache(maxsize=1)
def available() -> bool:
    if shutil.which("tesseract") is None:
        return False
    try:
        langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "spa" in langs.split()


def image_text(path: Path) -> str:
    result = subprocess.run(["tesseract", str(path), "stdout", "-l", "spa"], capture_output=True, text=True, timeout=300)
    return result.stdout if result.returncode == 0 else ""


def scanned_pdf_text(path: Path) -> str:
    """Rasterize each page (poppler's pdftoppm) and read it; '' when pdftoppm is missing."""
    if shutil.which("pdftoppm") is None:
        log.warning("pdftoppm (poppler-utils) is missing: the scanned PDF %s is not OCR'd", path.name)
        return ""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-r", "200", "-png", str(path), f"{tmp}/page"], capture_output=True, timeout=600)
        return "\n".join(image_text(page) for page in sorted(Path(tmp).glob("page*.png")))
