"""Reading files' text is bounded (files/extraction.py): each file is read in a worker process
with wall-clock, CPU and memory limits, OCR reads a bounded number of pages of a bounded pixel
count, and a reading cut short is recorded (textStatus PARTIAL, textCutShort) with what was read
before the cut still searchable. The hostile files are tests/samples.py's slow_text_pdf (pypdf:
about 10 s and 250 MB a page) and huge_page_pdf (a 100 × 100 inch page: 4 GB in Tesseract).

Limits are made small here to keep the tests short; behaviour is asserted, not durations.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import os
from contextlib import contextmanager
from pathlib import Path

import pytest

from files import ocr
from files.extraction import Limits, extract
from resolvers.text_extraction import extract_pending
from tests.samples import huge_page_pdf, pdf, pdf_with_text, slow_text_pdf
from tests.helpers import register_with
from tests.scans import large_text_pdf, rasterize

FIELDS = "reference attachments { textStatus textCutShort { reason pagesRead message } }"
SEARCH = "query($q: String) { documents(filter: {search: $q}) { edges { node { reference } } } }"
DOCUMENT = "query($id: ID!) { node(id: $id) { ... on Document { " + FIELDS + " } } }"


def limit(services, **changes) -> None:
    services.settings = dataclasses.replace(services.settings, **changes)


def _status_mb(field: str) -> float:
    line = next(entry for entry in Path("/proc/self/status").read_text().splitlines() if entry.startswith(field + ":"))
    return int(line.split()[1]) / 1024


@contextmanager
def memory_growth():
    """How far this process's (the server's) resident memory rose during the block: its peak
    (VmHWM, reset first) where Linux lets a process reset it, else its end."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        field = "VmHWM"
    except OSError:
        field = "VmRSS"
    before = _status_mb("VmRSS")
    growth = {}
    yield growth
    growth["mb"] = _status_mb(field) - before


async def found(api, world, word: str) -> list[str]:
    edges = (await api.ok(SEARCH, {"q": word}, token=world.tokens["da_head"]))["documents"]["edges"]
    return [e["node"]["reference"] for e in edges]


async def attachment_of(api, world, document_id: str) -> dict:
    node = (await api.ok(DOCUMENT, {"id": document_id}, token=world.tokens["da_head"]))["node"]
    [attachment] = node["attachments"]
    return attachment


async def test_a_slow_pdf_stops_at_the_time_limit_and_its_first_pages_stay_searchable(api, world, services):
    limit(services, text_extraction_timeout_seconds=5)
    hostile = await register_with(api, world, [("lento.pdf", slow_text_pdf(), "application/pdf")], reference="LENTO/1")
    normal = await register_with(
        api, world, [("oficio.pdf", pdf_with_text("Oficio del tlacuache"), "application/pdf")], reference="NORMAL/1"
    )
    assert hostile["errors"] == [] and normal["errors"] == []

    with memory_growth() as growth:
        extraction = asyncio.create_task(extract_pending(services))
        answered = 0
        while not extraction.done():  # the server answers while the file is being read
            assert await api.ok("{ __typename }") == {"__typename": "Query"}
            answered += 1
            await asyncio.sleep(0.1)
        assert await extraction == 2
    assert answered >= 3
    assert growth["mb"] < 100  # pypdf ran elsewhere: it takes about 250 MB a page

    slow = await attachment_of(api, world, hostile["document"]["id"])
    assert slow["textStatus"] == "PARTIAL"
    cut = slow["textCutShort"]
    assert cut["reason"] == "TIME_LIMIT"
    assert 1 <= cut["pagesRead"] < 20  # the first page is quick, the next ones take seconds each
    read = cut["pagesRead"]
    assert cut["message"] == (
        "Se agotó el tiempo para leer el texto del archivo. "
        + ("Se leyó 1 página de 20" if read == 1 else f"Se leyeron {read} de 20 páginas")
        + "; lo que no se leyó no aparece en las búsquedas."
    )
    # what was read before the cut is indexed; what was not, is not
    assert await found(api, world, "ornitorrinco") == ["LENTO/1"]
    assert await found(api, world, "quetzal") == []

    letter = await attachment_of(api, world, normal["document"]["id"])
    assert (letter["textStatus"], letter["textCutShort"]) == ("DONE", None)
    assert await found(api, world, "tlacuache") == ["NORMAL/1"]


async def test_a_pdf_past_the_memory_limit_is_recorded_as_such(api, world, services):
    limit(services, text_extraction_memory_mb=160)  # the second page needs about 250 MB
    document = (
        await register_with(
            api, world, [("pesado.pdf", slow_text_pdf(pages=3), "application/pdf")], reference="PESADO/1"
        )
    )["document"]
    with memory_growth() as growth:
        assert await extract_pending(services) == 1
    assert growth["mb"] < 100
    attachment = await attachment_of(api, world, document["id"])
    assert attachment["textStatus"] == "PARTIAL"
    assert attachment["textCutShort"]["reason"] == "MEMORY_LIMIT"
    assert attachment["textCutShort"]["pagesRead"] == 1
    assert attachment["textCutShort"]["message"] == (
        "Leer el texto del archivo requería más memoria de la permitida. Se leyó 1 página de 3; "
        "lo que no se leyó no aparece en las búsquedas."
    )
    assert await found(api, world, "ornitorrinco") == ["PESADO/1"]


async def test_a_text_layer_with_nul_characters_is_stored(api, world, services):
    """PostgreSQL refuses NUL in text: once, such a file failed every extraction pass, and the
    files queued after it were never read."""
    content = b"BT /F1 12 Tf 72 720 Td (Oficio del ajolote\\000) Tj ET"
    nul = pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> "
            b"/Contents 4 0 R >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        ]
    )
    first = await register_with(api, world, [("nulo.pdf", nul, "application/pdf")], reference="NULO/1")
    second = await register_with(
        api, world, [("oficio.pdf", pdf_with_text("Oficio del tlacuache"), "application/pdf")], reference="NORMAL/1"
    )
    assert await extract_pending(services) == 2
    for document in (first["document"], second["document"]):
        assert (await attachment_of(api, world, document["id"]))["textStatus"] == "DONE"
    assert await found(api, world, "ajolote") == ["NULO/1"]


@pytest.mark.usefixtures("ocr_tools")
async def test_a_huge_page_is_read_at_a_bounded_pixel_count(api, world, services):
    limit(services, ocr_max_megapixels=4)
    document = (
        await register_with(api, world, [("plano.pdf", huge_page_pdf(), "application/pdf")], reference="PLANO/1")
    )["document"]
    with memory_growth() as growth:
        assert await extract_pending(services) == 1
    assert growth["mb"] < 100
    attachment = await attachment_of(api, world, document["id"])
    assert attachment["textStatus"] == "PARTIAL"
    assert attachment["textCutShort"]["reason"] == "PAGE_TOO_LARGE"
    assert attachment["textCutShort"]["pagesRead"] == 1
    assert attachment["textCutShort"]["message"].startswith("Alguna página es demasiado grande")


def test_pages_are_rendered_at_200_dpi_within_the_pixel_budget():
    assert ocr.fit(612, 792, 25_000_000) == (1700, 2200, False)  # letter
    assert ocr.fit(7200, 7200, 25_000_000) == (5000, 5000, True)  # 100 × 100 inches: 50 dpi, not 20000²
    width, height, reduced = ocr.fit(1, 14_400_000, 25_000_000)  # a lying page box
    assert reduced and width * height <= 25_000_000


def scanned_pages(tmp: Path, pages: list[str]) -> list[bytes]:
    """Each text as the gray pixels of a letter page at 100 dpi (PGM)."""
    images = []
    for i, text in enumerate(pages):
        (tmp / str(i)).mkdir()
        images.append(rasterize(large_text_pdf(text), tmp / str(i), "-gray").read_bytes())
    return images


def scanned_multipage_pdf(images: list[bytes]) -> bytes:
    """An image-only PDF, one page per PGM."""
    import zlib

    count = len(images)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % (3 + 3 * i) for i in range(count)), count),
    ]
    for i, pgm in enumerate(images):
        _magic, width, height, _maxval, pixels = pgm.split(maxsplit=4)
        image = zlib.compress(pixels)
        content = b"q 612 0 0 792 0 0 cm /Im0 Do Q"
        objects += [
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im0 %d 0 R >> >> "
            b"/Contents %d 0 R >>" % (5 + 3 * i, 4 + 3 * i),
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Type /XObject /Subtype /Image /Width %s /Height %s /ColorSpace /DeviceGray /BitsPerComponent 8 "
            b"/Filter /FlateDecode /Length %d >>\nstream\n" % (width, height, len(image)) + image + b"\nendstream",
        ]
    return pdf(objects)


def multipage_tiff(images: list[bytes]) -> bytes:
    from PIL import Image

    frames = [Image.open(io.BytesIO(pgm)) for pgm in images]
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")
    return out.getvalue()


@pytest.mark.usefixtures("ocr_tools")
async def test_ocr_reads_at_most_the_page_limit_of_a_scan(api, world, services, tmp_path):
    limit(services, ocr_max_pages=2)
    images = scanned_pages(tmp_path, ["Oficio del ornitorrinco", "Anexo uno", "Anexo del quetzal"])
    scan = await register_with(
        api, world, [("escaneo.pdf", scanned_multipage_pdf(images), "application/pdf")], reference="ESCANEO/1"
    )
    tiff = await register_with(
        api, world, [("escaneo.tif", multipage_tiff(images), "image/tiff")], reference="ESCANEO/2"
    )
    assert await extract_pending(services) == 2
    for document in (scan["document"], tiff["document"]):
        attachment = await attachment_of(api, world, document["id"])
        assert attachment["textStatus"] == "PARTIAL"
        assert (attachment["textCutShort"]["reason"], attachment["textCutShort"]["pagesRead"]) == ("PAGE_LIMIT", 2)
    assert attachment["textCutShort"]["message"].startswith(
        "De un documento escaneado solo se lee el texto de las primeras páginas. Se leyeron 2 "
    )
    assert sorted(await found(api, world, "ornitorrinco")) == ["ESCANEO/1", "ESCANEO/2"]
    assert await found(api, world, "quetzal") == []  # page 3: not read


async def test_the_worker_and_its_process_group_are_killed_at_the_time_limit(tmp_path):
    path = tmp_path / "lento.pdf"
    path.write_bytes(slow_text_pdf())
    result = await extract(path, "pdf", Limits(timeout_seconds=2), ocr=False)
    assert result.cut == "TIME"
    assert result.pages == 20 and 1 <= result.pages_read < 20
    assert result.text.startswith("Oficio del ornitorrinco\f")  # page 1, complete
    with pytest.raises(ProcessLookupError):
        os.killpg(result.pid, 0)  # nothing of it is left


async def test_a_damaged_pdf_fails_without_a_cut(tmp_path):
    path = tmp_path / "roto.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer garbage\n%%EOF")
    result = await extract(path, "pdf", Limits(timeout_seconds=10), ocr=False)
    assert (result.cut, result.pages_read, result.text) == ("BROKEN", 0, "")


def processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue  # ended meanwhile
    return found


async def test_cancelling_the_reading_kills_the_worker(tmp_path):
    """The server stopping (its background task cancelled) leaves no worker behind."""
    path = tmp_path / "lento.pdf"
    path.write_bytes(slow_text_pdf())
    reading = asyncio.create_task(extract(path, "pdf", Limits(timeout_seconds=60), ocr=False))
    for _ in range(100):
        await asyncio.sleep(0.05)
        if processes_mentioning(str(path)):
            break
    assert processes_mentioning(str(path)) != []
    reading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reading
    assert processes_mentioning(str(path)) == []
