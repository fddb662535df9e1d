"""The standalone map in a real browser: Chromium draws every text line no wider than the layout measured.

Each map is the standalone SVG (map.css and the embedded font subset inside) placed in a temporary
HTML page. For every <text>, Chromium's getComputedTextLength() must not exceed the width the layout
measured with HarfBuzz by more than 1 px, and its bounding box must lie inside the box the layout put
it in (1 px tolerance). Text is matched to the layout by position and content.

The page-level browser tests (click / Enter on a column reaching the touchpoint page, axe) belong with
the site pages.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from journeymap.layout import MapLayout, _num, layout_journey
from journeymap.maps import standalone_css
from journeymap.model import Site, Touchpoint
from journeymap.svg import map_svg, palette_style

from test_layout import example_site, synthetic_journey, synthetic_site

pytestmark = pytest.mark.browser

MEASURE_JS = """
async () => {
  await document.fonts.ready;
  const faces = [...document.fonts].filter(f => f.family.replace(/"/g, '') === 'jm-map-font');
  return {
    faces: faces.map(f => f.status),
    texts: [...document.querySelectorAll('svg text')].map(t => {
      const box = t.getBBox();
      return [t.getAttribute('x'), t.getAttribute('y'), t.textContent, t.getComputedTextLength(),
              box.x, box.y, box.width, box.height];
    }),
  };
}
"""


def link(tp: Touchpoint) -> str:
    return f"#{tp.id}"


@pytest.fixture()
def map_browser(browser: object) -> object:
    """The run's shared Chromium (tests/conftest.py); a second Playwright instance per worker clashes."""
    return browser


def _check_in_browser(browser, site: Site, layout: MapLayout, tmp_path: Path) -> int:
    svg = map_svg(layout, id_prefix="m-", css=standalone_css(site, layout), root_style=palette_style(layout.palette))
    page_file = tmp_path / "map.html"
    page_file.write_text(f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>map</title></head>'
                         f'<body style="margin:0">{svg}</body></html>', encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(page_file.as_uri())
        result = page.evaluate(MEASURE_JS)
    finally:
        page.close()
    assert result["faces"] and set(result["faces"]) == {"loaded"}, result["faces"]
    lines = {(_num(line.x), _num(line.y), line.text): line for line in layout.texts}
    assert len(result["texts"]) == len(layout.texts)
    problems = []
    for x, y, text, length, bx, by, bw, bh in result["texts"]:
        line = lines[(x, y, text)]
        if length > line.width + 1:
            problems.append(f"{text!r}: browser {length:.2f} px > measured {line.width:.2f} px")
        box = line.box
        if bx < box.x - 1 or bx + bw > box.right + 1:
            problems.append(f"{text!r}: drawn from x={bx:.1f} to {bx + bw:.1f}, box {box.x:.1f}..{box.right:.1f}")
    assert not problems, "\n".join(problems[:20])
    return len(result["texts"])


@pytest.mark.parametrize("journey_id", ["first-purchase", "first-purchase-future", "support-request"])
@pytest.mark.parametrize("mode", ["full", "overview"])
def test_example_map_text_fits_in_chromium(map_browser, tmp_path: Path, journey_id: str, mode: str) -> None:
    site = example_site()
    layout = layout_journey(site, site.journeys[journey_id], link=link, overview=mode == "overview")
    assert _check_in_browser(map_browser, site, layout, tmp_path) > 20


def test_international_text_fits_in_chromium(map_browser, tmp_path: Path) -> None:
    texts = ["顧客はサイズガイドを確認し、チャットで質問してから二つのサイズを注文します。",
             "הלקוחה משווה מעילים באתר ושואלת בצ'אט על המידה לפני ההזמנה",
             "Loves it 😍🎉👍🏽 then 👨‍👩‍👧‍👦 family order 🇳🇴 flags",
             "العميل يقارن السترات على الموقع ويسأل عن المقاس قبل الطلب"]
    site = synthetic_site()
    journey = synthetic_journey(site, 4, step_fields=lambda i: {"action": texts[i], "thought": texts[i] * 2,
                                                                "pain_points": [texts[i]]})
    layout = layout_journey(site, journey, link=link)
    _check_in_browser(map_browser, site, layout, tmp_path)


def test_columns_are_links_by_click_and_keyboard(map_browser, tmp_path: Path) -> None:
    site = example_site()
    journey = site.journeys["support-request"]
    layout = layout_journey(site, journey, link=lambda tp: f"#reached-{tp.id}")
    svg = map_svg(layout, id_prefix="m-", css=standalone_css(site, layout))
    page_file = tmp_path / "links.html"
    page_file.write_text(f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>links</title></head>'
                         f'<body style="margin:0"><a href="#top" id="before">before</a>{svg}</body></html>',
                         encoding="utf-8")
    page = map_browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(page_file.as_uri())
        third = journey.touchpoints[2]
        page.click(f"#m-step-{third.id} rect.col-hit", position={"x": 40, "y": 200})
        assert page.evaluate("location.hash") == f"#reached-{third.id}"
        # Keyboard: Tab from the link before the map reaches the columns in journey order; Enter follows.
        page.focus("#before")
        for _ in range(2):
            page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
        assert focused == layout.columns[1].label
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == f"#reached-{journey.touchpoints[1].id}"
    finally:
        page.close()
