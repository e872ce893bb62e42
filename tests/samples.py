"""Small files built in the tests: a real PDF with a known text layer, a PNG, an executable, and
two hostile PDFs that are tiny but costly to read (tests/test_extraction_limits.py)."""

from __future__ import annotations

import struct
import zlib


def pdf_with_text(*lines: str) -> bytes:
    """A one-page PDF whose text layer is `lines` (WinAnsi: Spanish accents survive)."""

    def escape(text: str) -> str:
        raw = text.encode("cp1252")
        return "".join(
            c if 32 <= ord(c) < 127 and c not in "()\\" else f"\\{ord(c):03o}" for c in raw.decode("latin-1")
        )

    content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({escape(line)}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def executable() -> bytes:
    with open("/bin/ls", "rb") as f:
        return f.read(64 * 1024)


def pdf(objects: list[bytes]) -> bytes:
    """A PDF of these objects (numbered from 1; the first is the catalog)."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _stream(data: bytes, filters: int = 0) -> bytes:
    for _ in range(filters):
        data = zlib.compress(data, 9)
    names = b"[" + b" ".join([b"/FlateDecode"] * filters) + b"]" if filters else b"[]"
    return b"<< /Length %d /Filter %s >>\nstream\n" % (len(data), names) + data + b"\nendstream"


def slow_text_pdf(
    pages: int = 20, operators: int = 900_000, first: str = "Oficio del ornitorrinco", last: str = "Anexo del quetzal"
) -> bytes:
    """6 KB that cost pypdf about 10 s and 250 MB per page: every page but the first also draws
    one shared content stream of `operators` empty strings, each on a new line ("()'": no text,
    but parsed and interpreted one by one; 900,000 stay within pypdf 7.1's budget of 2 million
    tokens per stream), compressed twice. The first page says `first`, the last `last`, the
    others "hoja"."""
    slow = _stream(b"BT /F1 1 Tf " + b"()' " * operators + b"ET", filters=2)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % (5 + 2 * i) for i in range(pages)), pages),
        slow,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i in range(pages):
        words = first if i == 0 else last if i == pages - 1 else "hoja"
        contents = b"%d 0 R" % (6 + 2 * i) if i == 0 else b"[%d 0 R 3 0 R]" % (6 + 2 * i)
        objects += [
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
            b"/Contents " + contents + b" >>",
            _stream(b"BT /F1 12 Tf 72 720 Td (" + words.encode("ascii") + b") Tj ET"),
        ]
    return pdf(objects)


def huge_page_pdf(inches: int = 100) -> bytes:
    """Under 1 KB: one image-only page of inches × inches (7200 × 7200 points by default), a 2×2
    gray checkerboard stretched over it. No text layer, so OCR renders it: at 200 dpi, 400 million
    pixels."""
    side = inches * 72
    image = zlib.compress(bytes([0, 255, 255, 0]))
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /XObject << /Im0 5 0 R >> >> "
            b"/Contents 4 0 R >>" % (side, side),
            _stream(b"q %d 0 0 %d 0 0 cm /Im0 Do Q" % (side, side)),
            b"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 8 "
            b"/Filter /FlateDecode /Length %d >>\nstream\n" % len(image) + image + b"\nendstream",
        ]
    )
