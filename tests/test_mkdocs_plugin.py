"""The MkDocs plugin (journeymap.mkdocs_plugin) in real `mkdocs build` runs of small sites.

Each site is a temporary copy of the bundled example (site_config.yml + content, `today:` pinned so
the review check never depends on the date) plus a docs/ folder and an mkdocs.yml. The builds run as
subprocesses (`python -m mkdocs build`), the way users run them, so the plugin is found through its
`mkdocs.plugins` entry point. The built pages are then served over HTTP and checked in Chromium.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import static_server
from helpers import REPO

PINNED_TODAY = "today: 2026-11-20\n"  # within the review period of every example touchpoint

INDEX_MD = """\
# Our customers

The first purchase, as it works today:

```journeymap
first-purchase
```

To embed a map, write:

````markdown
```journeymap
support-request
```
````
"""

GUIDE_MD = """\
# Support guide

Some text before the map.

```journeymap
support-request
```

| Not | A map |
|---|---|
| a | table |
"""

PLAIN_YML = """\
site_name: Docs with journeys
theme:
  name: mkdocs
  highlightjs: false
plugins:
  - search
  - journeymap
"""

MATERIAL_YML = """\
site_name: Docs with journeys (Material)
theme:
  name: material
  font: false
markdown_extensions:
  - admonition
  - attr_list
  - md_in_html
  - tables
  - pymdownx.superfences
plugins:
  - search
  - journeymap:
      project: cx
      nav_title: Customer journeys
nav:
  - Home: index.md
  - Support guide: guide/support.md
"""


def _example_project(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "content", folder / "content")
    config = (REPO / "site_config.yml").read_text(encoding="utf-8")
    (folder / "site_config.yml").write_text(config + PINNED_TODAY, encoding="utf-8")
    return folder


def _docs_site(root: Path, mkdocs_yml: str, project_dir: str = ".") -> Path:
    _example_project(root / project_dir)
    (root / "docs" / "guide").mkdir(parents=True)
    (root / "docs" / "index.md").write_text(INDEX_MD, encoding="utf-8")
    (root / "docs" / "guide" / "support.md").write_text(GUIDE_MD, encoding="utf-8")
    (root / "mkdocs.yml").write_text(mkdocs_yml, encoding="utf-8")
    return root


def mkdocs(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", *args], cwd=root, capture_output=True,
                          text=True, timeout=300, check=False)


def _warnings(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("WARNING")]


# --- builds checked in the browser ------------------------------------------------------------------

EMBED_JS = """
async () => {
  await document.fonts.ready;
  const boxes = [...document.querySelectorAll('.journeymap-embed')];
  return boxes.map(box => {
    const svg = box.querySelector('svg');
    const rect = svg.getBoundingClientRect();
    return {
      journey: box.dataset.journey,
      width: rect.width, height: rect.height,
      natural: Number(svg.getAttribute('width')),
      visible: rect.width > 0 && rect.height > 0 && getComputedStyle(svg).visibility === 'visible',
      scrolls: box.scrollWidth > box.clientWidth,
      links: [...svg.querySelectorAll('a')].map(a => new URL(a.getAttribute('href'), location.href).href),
      underlined: [...svg.querySelectorAll('a')].some(a => getComputedStyle(a).textDecorationLine !== 'none'),
      font: document.fonts.check('bold 12px "jm-map-font"') &&
            [...document.fonts].some(f => f.family.replace(/"/g, '') === 'jm-map-font' && f.status === 'loaded'),
    };
  });
}
"""


def _check_embeds(page: object, url: str, base: str, journey_id: str, step_ids: list[str]) -> None:
    page.goto(url)  # type: ignore[attr-defined]
    embeds = page.evaluate(EMBED_JS)  # type: ignore[attr-defined]
    assert [e["journey"] for e in embeds] == [journey_id]
    embed = embeds[0]
    assert embed["visible"]
    assert embed["width"] == pytest.approx(embed["natural"], abs=1), "the theme shrank the map"
    assert embed["scrolls"], "a wide map scrolls inside its box"
    assert embed["font"], "map.css and its fonts are copied and linked"
    assert not embed["underlined"], "the theme's link underline does not reach the map's text"
    target = f"{base}journeys/{journey_id}/"
    assert sorted(set(embed["links"])) == sorted(f"{target}#jm-step-{tp}" for tp in step_ids)


def _journey_steps(root: Path, journey_id: str) -> list[str]:
    from journeymap.model import load_site

    site, _ = load_site(root)
    assert site is not None
    return [tp.id for tp in site.journeys[journey_id].touchpoints]


def _check_journey_page(page: object, base: str, journey_id: str, title: str, step_ids: list[str]) -> None:
    page.goto(f"{base}journeys/{journey_id}/#jm-step-{step_ids[0]}")  # type: ignore[attr-defined]
    assert page.locator("h1").first.text_content().strip() == title  # type: ignore[attr-defined]
    for tp in step_ids:
        assert page.locator(f"#jm-step-{tp}").count() == 1  # type: ignore[attr-defined]
    svg = page.locator(".journeymap-embed svg")  # type: ignore[attr-defined]
    assert svg.count() == 1 and svg.is_visible()
    own = page.evaluate("() => [...document.querySelectorAll('.journeymap-embed svg a')].map(a => a.getAttribute('href'))")  # type: ignore[attr-defined]
    assert own and all(href.startswith("#jm-step-") for href in own)


@pytest.mark.slow
@pytest.mark.browser
def test_plain_theme_build_embeds_maps(tmp_path: Path, page: object) -> None:
    root = _docs_site(tmp_path, PLAIN_YML)
    result = mkdocs(root, "--strict")
    assert result.returncode == 0, result.stderr
    assert _warnings(result.stderr) == []
    site = root / "site"
    for journey_id in ("first-purchase", "first-purchase-future", "support-request"):
        assert (site / "journeys" / journey_id / "index.html").is_file()
    assert (site / "assets/journeymap/map.css").is_file() and (site / "assets/journeymap/fonts/Inter-Bold.woff2").is_file()

    with static_server(site) as base:
        _check_plain_site(root, page, base)


def _check_plain_site(root: Path, page: object, base: str) -> None:
    fp_steps = _journey_steps(root, "first-purchase")
    _check_embeds(page, base, base, "first-purchase", fp_steps)
    # The fenced example inside a ````markdown block stays code.
    assert "support-request" in page.locator("pre code").first.text_content()  # type: ignore[attr-defined]
    # The automatic nav has the journeys under "Journeys".
    nav = page.locator(".navbar .dropdown:has(> a:text-is('Journeys')) .dropdown-item")  # type: ignore[attr-defined]
    assert "First purchase (current state)" in [t.strip() for t in nav.all_text_contents()]

    sr_steps = _journey_steps(root, "support-request")
    _check_embeds(page, f"{base}guide/support/", base, "support-request", sr_steps)
    _check_journey_page(page, base, "first-purchase", "First purchase (current state)", fp_steps)
    assert page.console_errors == []  # type: ignore[attr-defined]


@pytest.mark.slow
@pytest.mark.browser
def test_material_theme_build_embeds_maps(tmp_path: Path, page: object) -> None:
    root = _docs_site(tmp_path, MATERIAL_YML, project_dir="cx")
    result = mkdocs(root, "--strict")
    assert result.returncode == 0, result.stderr
    assert _warnings(result.stderr) == []
    assert "not included in the \"nav\"" not in result.stderr

    with static_server(root / "site") as base:
        _check_material_site(root, page, base)


def _check_material_site(root: Path, page: object, base: str) -> None:
    fp_steps = _journey_steps(root / "cx", "first-purchase")
    _check_embeds(page, base, base, "first-purchase", fp_steps)
    # An explicit nav gets a "Customer journeys" section (nav_title) after the user's entries.
    section = page.locator(".md-nav--primary > .md-nav__list > .md-nav__item--nested").last  # type: ignore[attr-defined]
    assert section.locator("label").first.text_content().strip() == "Customer journeys"
    titles = [t.strip() for t in section.locator(".md-nav__link").all_text_contents()]
    assert "Support request for a faulty product" in titles

    _check_embeds(page, f"{base}guide/support/", base, "support-request", _journey_steps(root / "cx", "support-request"))
    _check_journey_page(page, base, "first-purchase", "First purchase (current state)", fp_steps)
    # Map colours follow Material's scheme, not the system's: light here even for a reader in dark mode,
    # dark once the page switches to the "slate" scheme.
    page.emulate_media(color_scheme="dark")  # type: ignore[attr-defined]
    page.reload()  # type: ignore[attr-defined]
    assert page.evaluate("() => document.documentElement.dataset.theme") == "light"  # type: ignore[attr-defined]
    light_bg = page.evaluate("() => getComputedStyle(document.querySelector('svg.jm-map')).getPropertyValue('--jm-map-bg').trim()")  # type: ignore[attr-defined]
    assert light_bg.lower() in ("#fff", "#ffffff")
    page.evaluate("() => document.body.setAttribute('data-md-color-scheme', 'slate')")  # type: ignore[attr-defined]
    page.wait_for_function("() => document.documentElement.dataset.theme === 'dark' && getComputedStyle("  # type: ignore[attr-defined]
                           "document.querySelector('svg.jm-map')).getPropertyValue('--jm-map-bg').trim() !== '#ffffff'")
    assert page.console_errors == []  # type: ignore[attr-defined]


# --- strict mode and warnings ---------------------------------------------------------------------------


def _broken_touchpoint(root: Path) -> None:
    tp = root / "content/journeys/first-purchase/touchpoints/10-pays.md"
    text = tp.read_text(encoding="utf-8")
    tp.write_text(re.sub(r"^stage: .*$", "stage: purchse", text, count=1, flags=re.MULTILINE), encoding="utf-8")


@pytest.mark.slow
def test_strict_build_fails_on_a_broken_touchpoint(tmp_path: Path) -> None:
    root = _docs_site(tmp_path, PLAIN_YML)
    _broken_touchpoint(root)

    strict = mkdocs(root, "--strict")
    assert strict.returncode != 0
    warnings = _warnings(strict.stderr)
    assert any("journeymap:" in w and "JM104" in w and "10-pays.md" in w for w in warnings), strict.stderr
    assert "Aborted with" in strict.stdout + strict.stderr  # MkDocs prints its Abort on stdout

    # Without --strict the site builds; the broken journey is left out, with a warning where it is embedded.
    relaxed = mkdocs(root)
    assert relaxed.returncode == 0, relaxed.stderr
    assert any("index.md:5: journey 'first-purchase' has errors" in w for w in _warnings(relaxed.stderr)), relaxed.stderr
    assert not (root / "site/journeys/first-purchase").exists()
    assert (root / "site/journeys/support-request/index.html").is_file()
    assert 'class="journeymap-missing"' in (root / "site/index.html").read_text(encoding="utf-8")

    # The plugin's own `strict: true` fails the build without --strict.
    (root / "mkdocs.yml").write_text(PLAIN_YML.replace("  - journeymap\n", "  - journeymap:\n      strict: true\n"), encoding="utf-8")
    own = mkdocs(root)
    assert own.returncode != 0
    assert "JM104" in own.stderr and "strict: true" in own.stdout + own.stderr


@pytest.mark.slow
def test_unknown_journey_in_a_directive_is_a_warning(tmp_path: Path) -> None:
    root = _docs_site(tmp_path, PLAIN_YML)
    (root / "docs/guide/support.md").write_text("# Guide\n\n```journeymap\nsupport-requst\n```\n", encoding="utf-8")
    result = mkdocs(root, "--strict")
    assert result.returncode != 0
    assert any("guide/support.md:3: unknown journey 'support-requst'" in w and "did you mean 'support-request'" in w
               for w in _warnings(result.stderr)), result.stderr


# --- in-process unit checks ---------------------------------------------------------------------------------


def test_fences_other_than_journeymap_are_left_alone() -> None:
    from journeymap.mkdocs_plugin import JourneymapPlugin

    plugin = JourneymapPlugin()
    text = "# T\n\n~~~python\n```journeymap\nx\n```\n~~~\n\n```journeymap-other\nx\n```\n"

    class FakeFile:
        src_uri = "t.md"
        url = "t/"

    class FakePage:
        file = FakeFile()

    assert plugin.on_page_markdown(text, page=FakePage(), config=None, files=None) == text  # type: ignore[arg-type]


def test_table_cells_escape_markdown() -> None:
    from journeymap.mkdocs_plugin import _cell

    assert _cell("a | b *c* [d](e) <f> & 1.") == r"a \| b \*c\* \[d\]\(e\) &lt;f&gt; &amp; 1."
    assert _cell("1. first\nsecond") == r"1\. first second"
    assert _cell("- item") == r"\- item"
