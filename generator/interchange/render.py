"""PNG and PDF exports: a journey's map as an image, its page as a printable document.

Both go through headless Chromium, driven by Playwright, so they look exactly like the map in a
browser (same fonts, same text measurement):

- PNG: the journey's standalone map SVG (map.css and a font subset inside, as written to map.svg)
  opened on its own and screenshot at its natural size times `scale` (device pixels per map unit).
- PDF: the site is built into a temporary folder and the journey's page printed on A3 landscape;
  the site's print stylesheet gives the map a page of its own.

Chromium is looked up as $JOURNEYMAP_CHROMIUM, /usr/bin/chromium, /usr/bin/chromium-browser, then
Playwright's own download. Where Playwright or Chromium is missing, `RenderUnavailable` says what to
install; the command line turns that into exit code 2 (never a traceback). Playwright is imported
only when an export runs, so the rest of journeymap works without it.
"""
from __future__ import annotations

import math
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from .. import urls as U
from ..model import Journey, Site, Touchpoint

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ENV = "JOURNEYMAP_CHROMIUM"
INSTALL_PLAYWRIGHT = "pip install playwright"
INSTALL_CHROMIUM = "apt-get install chromium"
MAX_PIXELS = 16384 * 16384  # beyond this Chromium's screenshots fail or exhaust memory
TIMEOUT_MS = 120_000
PDF_FORMAT = "A3"


class RenderError(Exception):
    """A PNG or PDF export could not run; the message is for the user."""


class RenderUnavailable(RenderError):
    """Playwright or Chromium is not installed: the message says what to install."""


def find_chromium() -> Path | None:
    """The Chromium binary to drive: $JOURNEYMAP_CHROMIUM, Debian's, or None (Playwright's download)."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise RenderUnavailable(f"{CHROMIUM_ENV} names '{configured}', which is not a file: point it at a "
                                    f"Chromium or Chrome binary, or unset it and install Chromium ({INSTALL_CHROMIUM})")
        return path
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return Path(found) if found else None


def check_available() -> None:
    """Raise RenderUnavailable early (before a slow build) when Playwright is missing or
    $JOURNEYMAP_CHROMIUM names no file; whether Chromium starts is known only by starting it."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise RenderUnavailable(_NO_PLAYWRIGHT) from None
    find_chromium()


_NO_PLAYWRIGHT = ("PNG and PDF export need the Python package playwright, which is not installed: "
                  f"run '{INSTALL_PLAYWRIGHT}' (it drives Chromium: '{INSTALL_CHROMIUM}' on Debian and Ubuntu)")


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser (Playwright's sync API), closed afterwards."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise RenderUnavailable(_NO_PLAYWRIGHT) from None
    executable = find_chromium()
    try:
        manager = sync_playwright().start()
    except Exception as exc:  # noqa: BLE001 - Playwright's driver is broken or cannot start
        raise RenderUnavailable(f"Playwright could not start ({_first_line(exc)}): reinstall it with "
                                f"'{INSTALL_PLAYWRIGHT}'") from None
    try:
        try:
            browser = manager.chromium.launch(executable_path=str(executable) if executable else None,
                                              args=CHROMIUM_ARGS, timeout=TIMEOUT_MS)
        except PlaywrightError as exc:
            if executable is None:
                raise RenderUnavailable("PNG and PDF export need Chromium, which was not found: install it with "
                                        f"'{INSTALL_CHROMIUM}' (Debian, Ubuntu) or 'playwright install chromium', "
                                        f"or set {CHROMIUM_ENV} to a Chromium or Chrome binary") from None
            raise RenderUnavailable(f"Chromium ({executable}) did not start: {_first_line(exc)}; reinstall it with "
                                    f"'{INSTALL_CHROMIUM}', or set {CHROMIUM_ENV} to another Chromium or Chrome "
                                    "binary") from None
        try:
            yield browser
        except PlaywrightError as exc:
            raise RenderError(f"Chromium failed while rendering: {_first_line(exc)}") from None
        finally:
            browser.close()
    finally:
        manager.stop()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --- PNG ------------------------------------------------------------------------------------------


def standalone_svg(site: Site, journey: Journey) -> tuple[str, float, float]:
    """The journey's map exactly as the site writes it to journeys/<id>/map.svg: (svg, width, height)."""
    from ..maps import render_journey_map

    scheme = U.UrlScheme(site.config.use_directory_urls)
    here = U.journey_map(journey.id)

    def link(tp: Touchpoint) -> str:
        return scheme.relative(here, U.touchpoint(tp.journey_id, tp.id))

    rendered = render_journey_map(site, journey, link=link, id_prefix="map-", standalone=True)
    return rendered.svg, rendered.width, rendered.height


def render_png(site: Site, journey: Journey, scale: float = 2.0) -> bytes:
    """The journey's full map as PNG bytes: natural size times `scale`, light colours."""
    svg, width, height = standalone_svg(site, journey)
    pixels = math.ceil(width * scale) * math.ceil(height * scale)
    if pixels > MAX_PIXELS:
        biggest = math.sqrt(MAX_PIXELS / max(width * height, 1))
        raise RenderError(f"the map is {width:g} x {height:g} units: at --scale {scale:g} the image would have "
                          f"{pixels:,} pixels, more than Chromium can capture; use --scale {math.floor(biggest * 10) / 10:g} or less")
    with tempfile.TemporaryDirectory(prefix="journeymap-png-") as folder:
        path = Path(folder) / "map.svg"
        path.write_text(svg, encoding="utf-8")
        with chromium() as browser:
            context = browser.new_context(device_scale_factor=scale, color_scheme="light",
                                          viewport={"width": min(max(math.ceil(width), 320), 4096),
                                                    "height": min(max(math.ceil(height), 240), 4096)})
            try:
                page = context.new_page()
                page.set_default_timeout(TIMEOUT_MS)
                page.goto(path.as_uri(), wait_until="load")
                page.evaluate("document.fonts.ready.then(() => true)")
                return page.locator("svg").first.screenshot(type="png", animations="disabled")
            finally:
                context.close()


# --- PDF ------------------------------------------------------------------------------------------


def render_pdf(root: Path, journey: Journey) -> bytes:
    """The journey's page of the built site, printed on A3 landscape with backgrounds.

    Builds the whole project into a temporary folder first (journeymap.build.build), so it raises
    DiagnosticError when the project has errors, like `journeymap build`.
    """
    from ..build import build

    check_available()
    with tempfile.TemporaryDirectory(prefix="journeymap-pdf-") as folder:
        result = build(root, Path(folder) / "site", include_drafts=journey.is_draft)
        page_file = result.site_dir / U.output_file(U.journey(journey.id))
        if not page_file.is_file():  # pragma: no cover - build always writes the journey's page
            raise RenderError(f"the build wrote no page for journey '{journey.id}'")
        with chromium() as browser:
            context = browser.new_context(color_scheme="light")
            try:
                page = context.new_page()
                page.set_default_timeout(TIMEOUT_MS)
                page.goto(page_file.as_uri(), wait_until="load")
                page.evaluate("document.fonts.ready.then(() => true)")
                return page.pdf(landscape=True, print_background=True, format=PDF_FORMAT, tagged=True, outline=True)
            finally:
                context.close()
