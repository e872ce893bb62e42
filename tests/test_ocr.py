"""OCR of scanned files (files/ocr.py): a scanned image and an image-only PDF become searchable.

Needs Tesseract with Spanish (tesseract-ocr, tesseract-ocr-spa) and poppler's pdftoppm
(poppler-utils); `make setup` installs them where apt-get is available. Without them these tests
are skipped with the reason shown, except under CI=true, where they fail.

The scans are made here without an imaging library: a PDF with large Helvetica text is
rasterized by pdftoppm, once to a PNG (the scanned image) and once to raw gray pixels wrapped as
the only content of a new PDF (a scanned PDF: no text layer, so pypdf reads nothing and OCR has
to).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest

from files import ocr
from resolvers.text_extraction import extract_pending
from tests.samples import pdf
from tests.helpers import register_with

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SEARCH = """query($q: String) { documents(filter: {search: $q}) {
  edges { node { reference attachments { contentType textStatus } } } } }"""


@pytest.fixture
def ocr_tools():
    missing = [
        what
        for what, present in [
            ("tesseract with Spanish (tesseract-ocr, tesseract-ocr-spa)", ocr.available()),
            ("pdftoppm (poppler-utils)", shutil.which("pdftoppm") is not None),
        ]
        if not present
    ]
    if missing:
        message = f"OCR tools missing: {', '.join(missing)}; `make setup` installs them where apt-get is available"
        if IN_CI:
            pytest.fail(f"{message}; CI=true requires them", pytrace=False)
        pytest.skip(message)


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


PAGE_TREE = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"]


def large_text_pdf(*lines: str) -> bytes:
    """A letter-size page with `lines` in 36 pt Helvetica (ASCII), the source of the scans."""
    content = ("BT /F1 36 Tf 60 700 Td 48 TL " + " ".join(f"({line}) Tj T*" for line in lines) + " ET").encode("ascii")
    return pdf(
        PAGE_TREE
        + [
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
            _stream(b"", content),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        ]
    )


def _rasterize(pdf: bytes, tmp: Path, *options: str) -> Path:
    source = tmp / "source.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "100", "-singlefile", *options, str(source), str(tmp / "page")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return next(p for p in tmp.iterdir() if p.name.startswith("page."))


def scanned_png(tmp: Path, *lines: str) -> bytes:
    return _rasterize(large_text_pdf(*lines), tmp, "-png").read_bytes()


def scanned_pdf(tmp: Path, *lines: str) -> bytes:
    """An image-only PDF: one page whose only content is a gray bitmap of `lines`."""
    pgm = _rasterize(large_text_pdf(*lines), tmp, "-gray").read_bytes()  # P5 <w> <h> 255 <pixels>
    magic, width, height, _maxval, pixels = pgm.split(maxsplit=4)
    assert magic == b"P5" and len(pixels) == int(width) * int(height)
    image = zlib.compress(pixels)
    return pdf(
        PAGE_TREE
        + [
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>",
            _stream(b"", b"q 612 0 0 792 0 0 cm /Im0 Do Q"),
            _stream(
                b"/Type /XObject /Subtype /Image /Width %s /Height %s /ColorSpace /DeviceGray /BitsPerComponent 8 "
                b"/Filter /FlateDecode" % (width, height),
                image,
            ),
        ]
    )


async def test_scanned_image_and_scanned_pdf_are_found_by_search(api, world, services, tmp_path, ocr_tools):
    (tmp_path / "png").mkdir()
    (tmp_path / "pdf").mkdir()
    image = scanned_png(tmp_path / "png", "Oficio del ornitorrinco", "de la Huasteca")
    scan = scanned_pdf(tmp_path / "pdf", "Acuse de Zacatecas", "Expediente 2026")
    first = await register_with(
        api, world, [("foto del oficio.png", image, "image/png")], subject="Oficio escaneado", reference="OCR/IMG/1"
    )
    second = await register_with(
        api, world, [("acuse.pdf", scan, "application/pdf")], subject="Acuse escaneado", reference="OCR/PDF/1"
    )
    assert first["errors"] == [] and second["errors"] == []
    assert [(a["contentType"], a["textStatus"]) for a in second["document"]["attachments"]] == [
        ("application/pdf", "PENDING")
    ]
    assert second["document"]["attachments"][0]["unreadable"] is False

    assert await extract_pending(services) == 2  # what the background task does every few seconds

    token = world.tokens["da_head"]
    for word, reference, content_type in [
        ("ornitorrinco", "OCR/IMG/1", "image/png"),
        ("Ornitorrinco", "OCR/IMG/1", "image/png"),
        ("zacatecas", "OCR/PDF/1", "application/pdf"),
    ]:
        found = (await api.ok(SEARCH, {"q": word}, token=token))["documents"]["edges"]
        assert [(e["node"]["reference"], e["node"]["attachments"]) for e in found] == [
            (reference, [{"contentType": content_type, "textStatus": "DONE"}])
        ], word
    # a word in neither scan finds neither document
    assert (await api.ok(SEARCH, {"q": "chihuahua"}, token=token))["documents"]["edges"] == []
