"""theme.font: the maps are measured in the configured font and the pages draw them in it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import ROOT, require, static_server
from test_map_pages import GEOMETRY

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


def _project(tmp_path: Path, font: str) -> Path:
    shutil.copytree(ROOT / "content", tmp_path / "content")
    config = (ROOT / "site_config.yml").read_text(encoding="utf-8").replace("theme: {}", "")
    (tmp_path / "site_config.yml").write_text(config + f"\ntheme:\n  font: {font}\n", encoding="utf-8")
    return tmp_path


def test_a_missing_font_is_a_diagnostic(tmp_path: Path) -> None:
    from journeymap.validate import validate_project

    _, diagnostics = validate_project(_project(tmp_path, "fonts/nope.woff2"))
    assert [(d.code, d.file) for d in diagnostics] == [("JM121", "site_config.yml")]
    assert "not a TTF or OTF file" in diagnostics[0].message


@pytest.mark.slow
@pytest.mark.browser
def test_maps_fit_in_the_configured_font(tmp_path: Path, page: object) -> None:
    require((DEJAVU / "DejaVuSans.ttf").is_file(), "fonts-dejavu-core not installed")
    from journeymap.build import build

    project = _project(tmp_path, "DejaVuSans.ttf")
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        shutil.copyfile(DEJAVU / name, project / name)
    site = build(project, tmp_path / "www" / "sub").site_dir
    css = (site / "assets" / "palette.css").read_text(encoding="utf-8")
    assert 'url("fonts/custom/regular.ttf")' in css and 'url("fonts/custom/bold.ttf")' in css
    assert (site / "assets" / "fonts" / "custom" / "bold.ttf").read_bytes() == (DEJAVU / "DejaVuSans-Bold.ttf").read_bytes()
    with static_server(site.parent) as base:
        page.goto(f"{base}sub/journeys/first-purchase/")  # type: ignore[attr-defined]
        page.evaluate("document.fonts.ready")  # type: ignore[attr-defined]
        loaded = page.evaluate("[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")  # type: ignore[attr-defined]
        found = page.evaluate(GEOMETRY)  # type: ignore[attr-defined]
        samples = page.evaluate("""[...document.querySelectorAll('svg.jm-map text.text-body')].slice(0, 20)
            .map(t => [t.textContent, parseFloat(t.getAttribute('font-size')), t.getComputedTextLength()])""")  # type: ignore[attr-defined]
    assert any("jm-map-font" in family for family in loaded), loaded
    from journeymap.textmeasure import measure

    # Drawn in the configured font, not the bundled one: HarfBuzz on DejaVu predicts Chromium's widths.
    assert len(samples) == 20
    for text, size, width in samples:
        assert abs(measure(text, size, font=project / "DejaVuSans.ttf") - width) <= 1, (text, width)
    assert found["texts"] > 50 and found["overflow"] == [] and found["overlaps"] == [], found
