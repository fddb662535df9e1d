"""Regenerate the README's screenshots of the example map (light and dark): python scripts/screenshots.py"""
from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from journeymap.build import build

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CLIP = {"x": 0, "y": 0, "width": 1600, "height": 900}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        site = build(ROOT, Path(folder) / "site").site_dir
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for scheme in ("light", "dark"):
            page = browser.new_page(viewport={"width": 1600, "height": 900}, color_scheme=scheme)
            page.goto((site / "journeys" / "first-purchase" / "map.svg").as_uri())
            out = ROOT / "docs" / "images" / f"map-{scheme}.png"
            page.screenshot(path=str(out), clip=CLIP)
            print(f"wrote {out.relative_to(ROOT)}")
        browser.close()


if __name__ == "__main__":
    main()
