"""OCR of scanned documents with Tesseract (Debian's tesseract-ocr and tesseract-ocr-spa) and
poppler's pdftoppm, when the machine has them; `available()` is reported by /health.

Only `available()` runs in the server. The rest runs in the text-extraction worker
(files/extract_worker.py), whose memory and CPU limits the tools inherit; the server's wall clock
kills the worker's whole process group, tools included.
"""

from __future__ import annotations

import ctypes
import logging
import math
import os
import shutil
import signal
import subprocess
from functools import lru_cache
from pathlib import Path

log = logging.getLogger("mcs.files")

DPI = 200  # how a scanned PDF page is rendered, unless that exceeds the pixel budget


@lru_cache(maxsize=1)
def available() -> bool:
    if shutil.which("tesseract") is None:
        return False
    try:
        langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "spa" in langs.split()


def renders_pdfs() -> bool:
    return shutil.which("pdftoppm") is not None


class ToolFailed(Exception):
    """pdftoppm or tesseract did not finish; `reason` is how the worker records it."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason  # "MEMORY", "TIME" or "BROKEN"


def fit(width: float, height: float, max_pixels: int, dpi: float = DPI) -> tuple[int, int, bool]:
    """Pixel size of a width × height (points) page at `dpi`, scaled down to at most max_pixels;
    the flag says whether it was scaled down (the page is read at a lower resolution)."""
    w, h = abs(width) / 72 * dpi, abs(height) / 72 * dpi
    reduced = w * h > max_pixels
    if reduced:
        scale = math.sqrt(max_pixels / (w * h))
        w, h = w * scale, h * scale
    return max(1, int(w)), max(1, int(h)), reduced


def render_page(pdf: Path, number: int, width: int, height: int, out_dir: Path) -> Path:
    """Page `number` (1-based) as a gray PGM of exactly width × height pixels: poppler sizes it by
    these numbers, not by its own idea of the page, so a lying page box cannot make it larger.
    (PGM, not PNG: this pdftoppm ignores -gray for PNG, and Tesseract holds RGB at 4 bytes a pixel.)"""
    _run(
        [
            "pdftoppm",
            "-f",
            str(number),
            "-l",
            str(number),
            "-singlefile",
            "-gray",
            "-scale-to-x",
            str(width),
            "-scale-to-y",
            str(height),
            str(pdf),
            str(out_dir / "page"),
        ]
    )
    return out_dir / "page.pgm"


def tesseract(image: Path) -> str:
    out = _run(["tesseract", str(image), "stdout", "-l", "spa"])
    return out.decode("utf-8", "replace").replace("\f", "\n")  # tesseract ends a page with \f: ours mark pages


def _run(command: list[str]) -> bytes:
    # one thread: CPU time stays within wall time, and each thread's malloc arena would count
    # against the address-space limit
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    result = subprocess.run(command, capture_output=True, env=env, preexec_fn=_die_with_parent(), check=False)
    if result.returncode == 0:
        return result.stdout
    err = result.stderr.decode("utf-8", "replace")[-500:]
    if result.returncode == -signal.SIGXCPU:
        reason = "TIME"
    # leptonica says "... not made" when an allocation fails; C++ aborts on bad_alloc
    elif result.returncode < 0 or "not made" in err or "alloc" in err.lower() or "memory" in err.lower():
        reason = "MEMORY"
    else:
        reason = "BROKEN"
    raise ToolFailed(reason, f"{command[0]} exited {result.returncode}: {err.strip()}")


def _die_with_parent():
    """A preexec_fn making the tool die when the worker dies (Linux's PR_SET_PDEATHSIG), or None.
    libc is looked up before the fork; the worker is single-threaded, so preexec_fn is safe there."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, signal.SIGKILL)
