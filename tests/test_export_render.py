"""`journeymap export png|pdf`: real exports of the example journey through headless Chromium.

The exports run as subprocesses (`python -m journeymap export ...`), as users run them; the example
(site_config.yml + content) is copied into a temporary folder first. The PNG is checked from its
bytes (size from the IHDR header) and its pixels counted in a canvas in Chromium; the PDF by its
header and /MediaBox.
"""
from __future__ import annotations

import base64
import math
import re
import shutil
import struct
import sys
from pathlib import Path

import pytest
from helpers import REPO, make_site, run_cli, run_journeymap

JOURNEY = "first-purchase"
PINNED_TODAY = "today: 2026-11-20\n"
A3_LANDSCAPE = (1190.55, 841.89)  # points


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    shutil.copytree(REPO / "content", root / "content")
    config = (REPO / "site_config.yml").read_text(encoding="utf-8")
    (root / "site_config.yml").write_text(config + PINNED_TODAY, encoding="utf-8")
    return root


def _chromium_or_skip() -> None:
    from conftest import CHROMIUM, require

    require(CHROMIUM.exists(), f"{CHROMIUM} not installed (apt-get install chromium)")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


COUNT_JS = """
async (src) => {
  const img = new Image();
  img.src = src;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0, colour = 0, transparent = 0;
  for (let i = 0; i < d.length; i += 4) {
    const [r, g, b, a] = [d[i], d[i + 1], d[i + 2], d[i + 3]];
    if (a < 250) transparent++;
    if (a > 0 && (r < 235 || g < 235 || b < 235)) ink++;
    if (Math.max(r, g, b) - Math.min(r, g, b) > 60) colour++;
  }
  return {width: canvas.width, height: canvas.height, ink, colour, transparent, total: d.length / 4};
}
"""


@pytest.mark.slow
@pytest.mark.browser
def test_png_export_of_the_example_journey(project: Path, tmp_path: Path, page: object) -> None:
    from journeymap.interchange.render import standalone_svg
    from journeymap.model import load_site

    site, _ = load_site(project)
    assert site is not None
    _, width, height = standalone_svg(site, site.journeys[JOURNEY])
    out = tmp_path / "out" / "map.png"
    result = run_journeymap(["export", "png", JOURNEY, "--scale", "0.5", "-o", str(out), "--project", str(project)])
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stderr
    data = out.read_bytes()
    w, h = png_size(data)
    assert (w, h) == (math.ceil(width * 0.5), math.ceil(height * 0.5)) or (
        abs(w - width * 0.5) <= 1 and abs(h - height * 0.5) <= 1), (w, h, width, height)

    page.set_content("<!doctype html><title>count</title>")  # type: ignore[attr-defined]
    counts = page.evaluate(COUNT_JS, "data:image/png;base64," + base64.b64encode(data).decode())  # type: ignore[attr-defined]
    assert (counts["width"], counts["height"]) == (w, h)
    assert counts["transparent"] == 0, "the map has an opaque background"
    assert counts["ink"] > 0.08 * counts["total"], counts  # text, cards, grid: far from blank
    assert counts["colour"] > 0.005 * counts["total"], counts  # lane colours and the emotion curves
    assert counts["ink"] < 0.9 * counts["total"], counts  # light colours, not a dark or black image


@pytest.mark.slow
@pytest.mark.browser
def test_png_default_scale_and_output(project: Path) -> None:
    from journeymap.interchange.render import standalone_svg
    from journeymap.model import load_site

    _chromium_or_skip()
    site, _ = load_site(project)
    assert site is not None
    _, width, height = standalone_svg(site, site.journeys["support-request"])
    result = run_journeymap(["export", "png", "support-request"], cwd=project)
    assert result.returncode == 0, result.stderr
    w, h = png_size((project / "support-request.png").read_bytes())  # default: JOURNEY.png, --scale 2
    assert abs(w - 2 * width) <= 1 and abs(h - 2 * height) <= 1, (w, h, width, height)


@pytest.mark.slow
@pytest.mark.browser
def test_pdf_export_is_a_landscape_document(project: Path, tmp_path: Path) -> None:
    _chromium_or_skip()
    out = tmp_path / "fp.pdf"
    result = run_journeymap(["export", "pdf", JOURNEY, "-o", str(out), "-p", str(project)])
    assert result.returncode == 0, result.stderr
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    boxes = {tuple(float(n) for n in box.split()) for box in re.findall(rb"/MediaBox\s*\[\s*([-\d.\s]+?)\s*\]", data)}
    assert boxes, "no /MediaBox"
    for x0, y0, x1, y1 in boxes:
        width, height = x1 - x0, y1 - y0
        assert width > height, "landscape"
        assert width == pytest.approx(A3_LANDSCAPE[0], abs=2) and height == pytest.approx(A3_LANDSCAPE[1], abs=2)
    assert len(re.findall(rb"/Type\s*/Page\b", data)) >= 2  # the map's own page, then the rest of the journey page
    assert not (project / "site").exists(), "the PDF build goes to a temporary folder"


# --- errors: no browser needed ---------------------------------------------------------------------


def test_unknown_journey_is_a_usage_error(project: Path) -> None:
    result = run_cli(["export", "png", "first-purchse", "-p", str(project)])
    assert result.exit_code == 2
    assert "no journey 'first-purchse' (did you mean 'first-purchase'?)" in result.stderr


def test_content_errors_exit_1_with_diagnostics(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/journeys/j/touchpoints/01-pay.md": "---\ntitle: Pays\nstage: by\n---\n"})
    for kind in ("png", "pdf"):
        result = run_cli(["export", kind, "j", "-p", str(root), "-o", str(tmp_path / f"x.{kind}")])
        assert result.exit_code == 1, result.output
        assert "JM104" in result.stderr
        assert not (tmp_path / f"x.{kind}").exists()


def test_pdf_needs_the_whole_site_to_build(tmp_path: Path) -> None:
    root = make_site(tmp_path, {
        "content/journeys/other/journey.md": "---\ntitle: Other\nowner: nobody\n---\n",
    })
    result = run_cli(["export", "pdf", "j", "-p", str(root), "-o", str(tmp_path / "j.pdf")])
    assert result.exit_code == 1
    assert "JM10" in result.stderr and "does not build" in result.stderr
    assert not (tmp_path / "j.pdf").exists()


def test_missing_playwright_says_what_to_install(project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "playwright", None)
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)
    for kind in ("png", "pdf"):
        result = run_cli(["export", kind, JOURNEY, "-p", str(project), "-o", str(tmp_path / f"x.{kind}")])
        assert result.exit_code == 2, result.output
        assert "pip install playwright" in result.stderr and "Traceback" not in result.output
        assert not (tmp_path / f"x.{kind}").exists()


@pytest.mark.slow
def test_missing_chromium_says_what_to_install(project: Path, tmp_path: Path) -> None:
    import playwright  # noqa: F401 - in the test extra: a missing package fails, never skips
    missing = run_journeymap(["export", "png", JOURNEY, "-p", str(project)], env={"JOURNEYMAP_CHROMIUM": str(tmp_path / "nope")})
    assert missing.returncode == 2
    assert "apt-get install chromium" in missing.stderr and "Traceback" not in missing.stderr
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\nexit 1\n")
    broken.chmod(0o755)
    failing = run_journeymap(["export", "png", JOURNEY, "-p", str(project)], env={"JOURNEYMAP_CHROMIUM": str(broken)})
    assert failing.returncode == 2
    assert "did not start" in failing.stderr and "apt-get install chromium" in failing.stderr
    assert "Traceback" not in failing.stderr
    assert not (project / f"{JOURNEY}.png").exists()


def test_scale_limits() -> None:
    result = run_cli(["export", "png", JOURNEY, "--scale", "0", "-p", str(REPO)])
    assert result.exit_code == 2 and "--scale" in result.stderr
