"""The maps on the example's real journey pages, measured by Chromium itself."""
from __future__ import annotations

import pytest

from conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JOURNEYS = sorted(p.name for p in (ROOT / "content" / "journeys").iterdir() if (p / "journey.md").is_file())

# Every text line's box must lie inside its card; no two cards may intersect (1 px tolerance).
GEOMETRY = """() => {
  const maps = [...document.querySelectorAll('svg.jm-map')];
  const out = {maps: maps.length, boxes: 0, texts: 0, overflow: [], overlaps: []};
  for (const svg of maps) {
    const rects = [];
    for (const group of svg.querySelectorAll('g.box')) {
      const shape = group.querySelector(':scope > rect');
      if (!shape) continue;
      const card = shape.getBBox();
      rects.push({box: card, id: (group.closest('a') || {}).id || group.getAttribute('class')});
      for (const text of group.querySelectorAll('text')) {
        out.texts += 1;
        const b = text.getBBox();
        const width = text.getComputedTextLength();
        if (b.x < card.x - 1 || b.x + width > card.x + card.width + 1 ||
            b.y < card.y - 1 || b.y + b.height > card.y + card.height + 1) {
          out.overflow.push(text.textContent);
        }
      }
    }
    out.boxes += rects.length;
    rects.sort((a, b) => a.box.x - b.box.x);
    for (let i = 0; i < rects.length; i++) {
      const a = rects[i].box;
      for (let j = i + 1; j < rects.length && rects[j].box.x < a.x + a.width - 1; j++) {
        const b = rects[j].box;
        if (b.y < a.y + a.height - 1 && a.y < b.y + b.height - 1) {
          out.overlaps.push([rects[i].id, rects[j].id]);
        }
      }
    }
  }
  return out;
}"""


@pytest.mark.parametrize("journey", JOURNEYS)
def test_no_text_overflows_and_no_cards_intersect(page: object, example_server: str, journey: str) -> None:
    page.goto(f"{example_server}journeys/{journey}/")  # type: ignore[attr-defined]
    page.evaluate("document.fonts.ready")  # type: ignore[attr-defined]
    found = page.evaluate(GEOMETRY)  # type: ignore[attr-defined]
    assert found["maps"] >= 1 and found["boxes"] > 20 and found["texts"] > 50, found
    assert found["overflow"] == [], found["overflow"][:10]
    assert found["overlaps"] == [], found["overlaps"][:10]
    assert page.console_errors == []  # type: ignore[attr-defined]


def _first_column(page: object) -> tuple[object, str]:
    column = page.locator("svg.jm-map a.jm-col").first  # type: ignore[attr-defined]
    touchpoint = column.get_attribute("href").rstrip("/").rsplit("/", 1)[-1]
    return column, touchpoint


def test_clicking_a_column_opens_its_touchpoint(page: object, example_server: str) -> None:
    page.goto(f"{example_server}journeys/{JOURNEYS[0]}/")  # type: ignore[attr-defined]
    column, touchpoint = _first_column(page)
    with page.expect_navigation():  # type: ignore[attr-defined]
        column.click()  # type: ignore[attr-defined]
    assert page.url.endswith(f"/touchpoints/{touchpoint}/")  # type: ignore[attr-defined]


def test_enter_on_a_focused_column_opens_its_touchpoint(page: object, example_server: str) -> None:
    page.goto(f"{example_server}journeys/{JOURNEYS[0]}/")  # type: ignore[attr-defined]
    column, touchpoint = _first_column(page)
    column.focus()  # type: ignore[attr-defined]
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")  # type: ignore[attr-defined]
    assert focused and focused.startswith("Step 1 of"), focused
    with page.expect_navigation():  # type: ignore[attr-defined]
        page.keyboard.press("Enter")  # type: ignore[attr-defined]
    assert page.url.endswith(f"/touchpoints/{touchpoint}/")  # type: ignore[attr-defined]
