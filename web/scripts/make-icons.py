"""Draw the app's icons (web/public/icons/*.png) from the SVG below, once; the PNGs are committed.

    cd /work/main && .venv/bin/python web/scripts/make-icons.py

Chromium (through Playwright, as the browser tests use it) renders the SVG at each size; Pillow
then stores each PNG as a small palette image. The icon: the app's burgundy (--brand in
web/src/app.css), a white envelope, and a gold check (the header's current-page gold): the
correspondence, and its follow-up.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parents[1] / "public" / "icons"
CHROMIUM = os.environ.get("MCS_TEST_CHROMIUM", "/usr/bin/chromium")

BRAND, GOLD = "#611232", "#e8c36a"
ART = f"""
  <rect x="96" y="146" width="320" height="220" rx="26" fill="#fff"/>
  <path d="M124 178 256 276 388 178" fill="none" stroke="{BRAND}" stroke-width="24" stroke-linecap="round" stroke-linejoin="round"/>
  <circle cx="388" cy="362" r="82" fill="{GOLD}" stroke="{BRAND}" stroke-width="22"/>
  <path d="M350 364 377 391 428 338" fill="none" stroke="{BRAND}" stroke-width="24" stroke-linecap="round" stroke-linejoin="round"/>
"""


def svg(maskable: bool) -> str:
    """`any`: a rounded square on transparency. `maskable`: the square bleeds to the edges and the
    art keeps within the safe circle (80 % of the width) that platforms may crop to."""
    if maskable:
        body = f'<rect width="512" height="512" fill="{BRAND}"/><g transform="translate(256 256) scale(.8) translate(-288 -300)">{ART}</g>'
    else:
        body = f'<rect width="512" height="512" rx="112" fill="{BRAND}"/><g transform="translate(256 256) scale(.84) translate(-288 -300)">{ART}</g>'
    return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">{body}</svg>'


ICONS = [  # file, size, maskable
    ("icon-192.png", 192, False),
    ("icon-512.png", 512, False),
    ("icon-maskable-512.png", 512, True),
    ("apple-touch-icon.png", 180, True),  # iOS rounds the corners itself and shows no transparency
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT.parent.parent / "scripts" / "icon.svg").write_text(svg(False) + "\n")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        for name, size, maskable in ICONS:
            page.set_viewport_size({"width": size, "height": size})
            page.set_content(
                f"<style>html,body{{margin:0;background:transparent}}svg{{display:block;width:{size}px;"
                f"height:{size}px}}</style>{svg(maskable)}"
            )
            png = page.screenshot(omit_background=True, clip={"x": 0, "y": 0, "width": size, "height": size})
            image = Image.open(io.BytesIO(png)).convert("RGBA")
            assert image.size == (size, size), image.size
            if maskable:
                image = image.convert("RGB")  # opaque: no alpha channel to keep
            small = image.quantize(colors=64, method=Image.Quantize.FASTOCTREE)
            small.save(OUT / name, optimize=True)
            print(f"{OUT / name}: {size}x{size}, {(OUT / name).stat().st_size} bytes")
        browser.close()


if __name__ == "__main__":
    main()
