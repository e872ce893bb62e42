"""Scans for the OCR tests (tests/test_ocr.py, tests/test_extraction_limits.py, the web tests), made
without an imaging library: a PDF with large Helvetica text is rasterized by pdftoppm, once to a
PNG (a scanned image) and once to raw gray pixels wrapped as the only content of a new PDF (a
scanned PDF: no text layer, so pypdf reads nothing and OCR has to). They need pdftoppm
(poppler-utils): tests that use them take the `ocr_tools` fixture (tests/conftest.py)."""

from __future__ import annotations

import subprocess
import zlib
from pathlib import Path

from tests.samples import pdf

# objects 1 and 2 of a one-page PDF: the catalog and the page tree (the page is object 3)
PAGE_TREE = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"]


def pdf_stream(dictionary: bytes, data: bytes) -> bytes:
    """A PDF stream object of `data`, with these entries besides its /Length."""
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def large_text_pdf(*lines: str) -> bytes:
    """A letter-size page with `lines` in 36 pt Helvetica (ASCII), the source of the scans."""
    content = ("BT /F1 36 Tf 60 700 Td 48 TL " + " ".join(f"({line}) Tj T*" for line in lines) + " ET").encode("ascii")
    return pdf(
        PAGE_TREE
        + [
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
            pdf_stream(b"", content),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        ]
    )


def rasterize(pdf: bytes, tmp: Path, *options: str) -> Path:
    """The first page of `pdf` at 100 dpi, rendered by pdftoppm with `options` (-png, -gray...) into `tmp`."""
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
    return rasterize(large_text_pdf(*lines), tmp, "-png").read_bytes()


def scanned_pdf(tmp: Path, *lines: str) -> bytes:
    """An image-only PDF: one page whose only content is a gray bitmap of `lines`."""
    pgm = rasterize(large_text_pdf(*lines), tmp, "-gray").read_bytes()  # P5 <w> <h> 255 <pixels>
    magic, width, height, _maxval, pixels = pgm.split(maxsplit=4)
    assert magic == b"P5" and len(pixels) == int(width) * int(height)
    image = zlib.compress(pixels)
    return pdf(
        PAGE_TREE
        + [
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>",
            pdf_stream(b"", b"q 612 0 0 792 0 0 cm /Im0 Do Q"),
            pdf_stream(
                b"/Type /XObject /Subtype /Image /Width %s /Height %s /ColorSpace /DeviceGray /BitsPerComponent 8 "
                b"/Filter /FlateDecode" % (width, height),
                image,
            ),
        ]
    )
