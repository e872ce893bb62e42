"""OCR of scanned files (files/ocr.py): a scanned image and an image-only PDF become searchable.

Needs Tesseract with Spanish (tesseract-ocr, tesseract-ocr-spa) and poppler's pdftoppm
(poppler-utils); `make setup` installs them where apt-get is available. Without them these tests
are skipped with the reason shown, except under CI=true, where they fail (the `ocr_tools` fixture).
The scans are made without an imaging library (tests/scans.py).
"""

from __future__ import annotations

from resolvers.text_extraction import extract_pending
from tests.helpers import register_with
from tests.scans import scanned_pdf, scanned_png

SEARCH = """query($q: String) { documents(filter: {search: $q}) {
  edges { node { reference attachments { contentType textStatus } } } } }"""


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
