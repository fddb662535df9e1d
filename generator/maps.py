"""Journey maps and emotion charts as SVG: what the page renderer (site.py) calls.

    layout.py  Journey -> MapLayout (geometry, measured text)
    svg.py     MapLayout -> SVG text
    maps.py    both steps, plus the standalone file's styles and embedded font

A map comes in three forms: the full swimlane map, one stage's detail (`stage_id`) and, for long
journeys (`needs_overview`), a compact overview. Inline maps (in a page) rely on the page's
stylesheets (map.css); a standalone map (`standalone=True`, written as map.svg) carries map.css and
a subset of the map font inside, so it looks the same wherever it is opened.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from . import textmeasure as tm
from .layout import ChartSeries, MapLayout, layout_emotion_chart, layout_journey, needs_overview
from .model import Journey, Site, Touchpoint
from .svg import chart_svg, map_svg, palette_style

__all__ = ["RenderedMap", "CurveSeries", "render_journey_map", "render_emotion_chart", "needs_overview",
           "map_css", "standalone_css"]

EMBEDDED_FAMILY = "jm-map-font"
BASE_CHARS = frozenset(chr(c) for c in range(0x20, 0x7F)) | frozenset("\u2026\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u00b7\u00d7")
_FONT_FACE_BLOCK = re.compile(r"/\* font-face:start \*/.*?/\* font-face:end \*/", re.S)


@dataclass(frozen=True)
class RenderedMap:
    svg: str  # SVG markup; the inline form has no XML declaration
    width: float
    height: float


@dataclass(frozen=True)
class CurveSeries:
    label: str
    scores: list[float | None]
    css_class: str  # selects the colour, e.g. "series-1", "series-current", "series-future"


def render_journey_map(site: Site, journey: Journey, *, link: Callable[[Touchpoint], str], id_prefix: str,
                       standalone: bool = False, stage_id: str | None = None, overview: bool = False) -> RenderedMap:
    """The journey's map as SVG: the full map, one stage's detail (`stage_id`) or the compact overview.

    `link(tp)` gives the relative URL of a touchpoint's page; each column links there. `id_prefix`
    starts every id in the SVG, so several maps can share a page. `standalone=True` adds the XML
    declaration, map.css and the map font (a subset, as a data: URI) for a self-contained map.svg.
    """
    layout = layout_journey(site, journey, link=link, stage_id=stage_id, overview=overview)
    return draw_journey_map(site, layout, id_prefix=id_prefix, standalone=standalone)


def draw_journey_map(site: Site, layout: MapLayout, *, id_prefix: str, standalone: bool = False) -> RenderedMap:
    """Draw a laid-out map; one layout can be drawn both inline and as the standalone map.svg."""
    if standalone:
        svg = map_svg(layout, id_prefix=id_prefix, css=standalone_css(site, layout),
                      root_style=palette_style(layout.palette), xml_declaration=True)
    else:
        svg = map_svg(layout, id_prefix=id_prefix)
    return RenderedMap(svg, layout.width, layout.height)


def render_emotion_chart(site: Site, columns: list[str], groups: list[tuple[str, int]], series: list[CurveSeries], *,
                         id_prefix: str, title: str) -> str:
    """A small SVG line chart: one smooth curve per series over the columns, grouped under bands, with a legend."""
    layout = layout_emotion_chart(site, columns, groups,
                                  [ChartSeries(s.label, list(s.scores), s.css_class) for s in series], title=title)
    return chart_svg(layout, id_prefix=id_prefix)


# --- styles for standalone files ------------------------------------------------------------------


def map_css_path(site: Site) -> Path:
    """assets/map.css from the theme lookup order (theme.custom_dir first, then the default theme)."""
    from .themes import theme_dirs

    for folder in theme_dirs(site):
        candidate = folder / "assets" / "map.css"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("assets/map.css not found in the theme")


@lru_cache(maxsize=8)
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def map_css(site: Site) -> str:
    return _read(map_css_path(site))


def standalone_css(site: Site, layout: MapLayout) -> str:
    """map.css without its @font-face rules (they point at files), plus the map font as data: URIs
    reduced to the characters the map uses."""
    css = _FONT_FACE_BLOCK.sub("", map_css(site)).strip()
    files = tm.font_files(layout.font)
    faces = []
    for weight, bold in ((400, False), (700, True)):
        used = set("".join(line.text for line in layout.texts if line.bold == bold))
        if not used:
            continue
        # A fixed base set (printable ASCII and common punctuation) plus what the map uses: maps in plain
        # English share one subset, which textmeasure caches, instead of one slow subsetting run per map.
        chars = "".join(sorted(used | BASE_CHARS))
        uri = tm.subset_font_data_uri(files["bold" if bold else "regular"], chars)
        faces.append(f'@font-face {{ font-family: "{EMBEDDED_FAMILY}"; font-weight: {weight}; font-style: normal; '
                     f'src: url("{uri}") format("woff2"); }}')
    return "\n".join(faces + [css]) + "\n"
