"""Journey -> MapLayout: the geometry of a swimlane journey map, with no SVG in it.

A map is a grid. Columns are the journey's touchpoints (steps) in journey order, grouped under stage
bands; rows are the journey's lanes. Above the grid sit a header (journey title, state, personas) and
two header rows (stage bands, step titles); left of it a gutter with the lane titles and the emotion
scale.

Everything here is plain data: rectangles, text lines with their measured widths, markers, icons and
path data. The rules the layout keeps (and tests/test_layout.py checks):

- every text line is measured with textmeasure in the map font and fits the box it belongs to;
  overlong text wraps to a maximum number of lines and ends in an ellipsis, and the box keeps the
  full text as a tooltip;
- boxes never overlap, and every box lies inside its cell (a grid cell, a header region, a gutter cell);
- column widths and row heights follow their content; no text is smaller than 12 px;
- everything lies inside the map's width and height (the viewBox);
- the time grows linearly with the number of steps.

Three modes: the full map, one stage's detail (`stage_id`), and a compact overview of long journeys
(`overview=True`: narrow numbered columns, stage bands, the emotion curve and pain-point and
opportunity counts, each column a link to its step).
"""
from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from . import textmeasure as tm
from .model import Journey, Site, Stage, Touchpoint, lane_title
from .schema import HEX_COLOUR, PALETTE_TOKENS, LaneSpec

# --- sizes (px) -----------------------------------------------------------------------------------

MIN_FONT = 12
TITLE_SIZE = 22
STAGE_SIZE = 14
STEP_SIZE = 13
BODY_SIZE = 13
SMALL_SIZE = 12
LANE_TITLE_SIZE = 13
LINE_HEIGHT = {12: 16, 13: 18, 14: 19, 22: 28}

MARGIN = 24  # around the whole map
HEADER_GAP = 16  # between the header and the grid
STAGE_GAP = 8  # between two stages' columns
CELL_PAD = 6  # between a cell's edge and its cards
CARD_PAD = 8  # inside a card
CARD_GAP = 6  # between two cards of a cell
MIN_LANE_HEIGHT = 40
COLUMN_WIDTHS = (176, 208, 240)  # full map: the narrowest that fits the column's text
GUTTER_MIN, GUTTER_MAX = 132, 196
OVERVIEW_MIN_COLUMN = 28
OVERVIEW_PAD = 2  # between an overview column's edge and its step number
OVERVIEW_STEPS = 40  # longer journeys get an overview instead of one very wide map
MIN_MAP_WIDTH = 560

TEXT_LINES = 6  # actions, thoughts, custom lanes
ITEM_LINES = 3  # one list item, pain point or opportunity title
STEP_TITLE_LINES = 3
STAGE_TITLE_LINES = 2
STAGE_GOAL_LINES = 2
LANE_TITLE_LINES = 3
MAX_ITEMS = 5  # list items or cards shown per cell before "+N more"

SAFE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}\Z")
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_NEWLINES = re.compile(r"\s*\n\s*")
_PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]*$")


# --- the layout data ------------------------------------------------------------------------------


@dataclass(slots=True, unsafe_hash=True)
class Rect:
    """An axis-aligned rectangle. `role` holds the CSS classes it is drawn with."""

    x: float
    y: float
    w: float
    h: float
    role: str = ""

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def contains(self, other: "Rect", eps: float = 0.01) -> bool:
        return (other.x >= self.x - eps and other.y >= self.y - eps
                and other.right <= self.right + eps and other.bottom <= self.bottom + eps)

    def overlaps(self, other: "Rect", eps: float = 0.01) -> bool:
        """True when the interiors intersect (touching edges do not count)."""
        return (self.x < other.right - eps and other.x < self.right - eps
                and self.y < other.bottom - eps and other.y < self.bottom - eps)


@dataclass(slots=True)
class Box:
    """A drawn (or invisible, role "text-box") rectangle holding text or markers.

    `cell` is the region the box must lie in: a grid cell, a header band, a gutter cell.
    `group` says where the SVG puts it: "header", "gutter", "stage:<id>", "col:<touchpoint id>".
    `tooltip` keeps the full text when text in the box was cut, or describes the box.
    """

    rect: Rect
    cell: Rect
    group: str
    key: str
    tooltip: str | None = None
    radius: float = 0.0
    style: str | None = None  # a validated CSS custom property assignment (lane colour)

    @property
    def role(self) -> str:
        return self.rect.role


@dataclass(slots=True)
class TextLine:
    """One line of text. `x` is the anchor point, `y` the baseline; `width` is measured."""

    text: str
    x: float
    y: float
    width: float
    size: float
    bold: bool
    anchor: str  # "start": x is the left edge; "middle": the centre; "end": the right edge
    role: str
    box: Rect  # the rectangle the line must fit in
    group: str
    ascent: float
    descent: float
    rtl: bool = False

    @property
    def left(self) -> float:
        return {"start": self.x, "middle": self.x - self.width / 2, "end": self.x - self.width}[self.anchor]

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def top(self) -> float:
        return self.y - self.ascent

    @property
    def bottom(self) -> float:
        return self.y + self.descent

    @property
    def bounds(self) -> Rect:
        return Rect(self.left, self.top, self.width, self.ascent + self.descent)


@dataclass(slots=True)
class Marker:
    """A circle: an emotion point, a pain-point or opportunity badge, a bullet, a legend swatch."""

    kind: str  # "emotion", "pain", "opportunity", "bullet", "swatch", "count"
    cx: float
    cy: float
    r: float
    role: str
    group: str
    cell: Rect
    icon: str | None = None  # icon drawn inside (icons.MARKER_ICONS)
    tooltip: str | None = None
    box: Rect | None = None  # the card it belongs to, if any (drawn inside the card's group)

    @property
    def bounds(self) -> Rect:
        return Rect(self.cx - self.r, self.cy - self.r, 2 * self.r, 2 * self.r, self.role)


@dataclass(slots=True)
class Icon:
    """A channel icon (icons.ICON_PATHS) drawn in a size x size square at (x, y)."""

    name: str
    x: float
    y: float
    size: float
    role: str
    group: str
    cell: Rect
    box: Rect | None = None  # the card it belongs to

    @property
    def bounds(self) -> Rect:
        return Rect(self.x, self.y, self.size, self.size, self.role)


@dataclass(slots=True)
class PathShape:
    """SVG path data (absolute M, L, H, V, C commands only) and the points it passes through."""

    d: str
    role: str
    group: str
    key: str
    bounds: Rect


@dataclass(slots=True)
class Column:
    """One step of the journey: a column of the grid and the link to the step's page."""

    index: int  # 0-based position in the journey
    number: int  # 1-based step number shown on the map
    total: int
    touchpoint_id: str
    stage_id: str
    stage_title: str
    title: str
    x: float
    w: float
    href: str
    label: str  # accessible name of the column link
    hit: Rect  # the clickable area: step header and every lane

    @property
    def centre(self) -> float:
        return self.x + self.w / 2


@dataclass(slots=True)
class LaneRow:
    id: str
    key: str  # CSS-safe form of the id
    kind: str  # text, thought, list, channel, emotion, pain_points, opportunities
    title: str
    y: float
    h: float
    colour: str | None  # validated CSS value (hex, or var(--jm-<token>)) or None
    rect: Rect  # the whole row, gutter included


@dataclass(slots=True)
class StageBand:
    stage_id: str
    title: str
    index: int
    rect: Rect  # the band above the stage's columns
    span: Rect  # the stage's columns, from the band to the bottom of the grid


@dataclass(slots=True)
class EmotionPoint:
    column: str  # touchpoint id
    x: float
    y: float
    score: float
    coarse: bool  # taken from the stage's coarse emotion


@dataclass(slots=True)
class EmotionSeries:
    key: str  # persona id, or "all"
    label: str
    css_class: str  # series-1, series-2... (colour)
    points: list[EmotionPoint | None]  # one per column; None where there is no score
    paths: list[PathShape]  # one smooth path per unbroken run of points


@dataclass(slots=True)
class EmotionScale:
    min: int
    max: int
    plot: Rect  # the area scores map into (min at the bottom, max at the top)
    neutral_y: float
    levels: list[tuple[int, float, str]]  # (score, y, label)

    def y(self, score: float) -> float:
        return self.plot.bottom - (score - self.min) / (self.max - self.min) * self.plot.h


@dataclass(slots=True)
class LegendEntry:
    key: str
    label: str
    css_class: str


@dataclass
class MapLayout:
    """A laid-out journey map. All coordinates are px in the map's own space (0, 0, width, height)."""

    journey_id: str
    mode: str  # "full", "stage", "overview", "chart"
    width: float
    height: float
    title: str  # the SVG <title>
    desc: str  # the SVG <desc>
    font: Path | None  # the map font (None: the bundled one)
    columns: list[Column] = field(default_factory=list)
    lanes: list[LaneRow] = field(default_factory=list)
    stages: list[StageBand] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    texts: list[TextLine] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    icons: list[Icon] = field(default_factory=list)
    paths: list[PathShape] = field(default_factory=list)
    series: list[EmotionSeries] = field(default_factory=list)
    scale: EmotionScale | None = None
    legend: list[LegendEntry] = field(default_factory=list)
    header: Rect | None = None
    grid: Rect | None = None  # the grid, gutter included
    cells: dict[tuple[str, str], Rect] = field(default_factory=dict)  # (touchpoint id, lane key) -> cell
    palette: dict[str, str] = field(default_factory=dict)  # validated site palette (primary, accent)

    @property
    def view_box(self) -> Rect:
        return Rect(0, 0, self.width, self.height)


# --- helpers --------------------------------------------------------------------------------------


def clean_text(value: Any) -> str:
    """Content text as it is measured and drawn: XML-safe characters, collapsed spaces."""
    text = value if isinstance(value, str) else str(value)
    if _PRINTABLE_ASCII.match(text) and "  " not in text:
        return text.strip()
    return _clean(text)


@lru_cache(maxsize=65536)
def _clean(text: str) -> str:
    text = _XML_INVALID.sub("", text)
    text = _SPACES.sub(" ", text)
    return _NEWLINES.sub("\n", text).strip()


def safe_key(value: str) -> str:
    """A CSS/XML-safe token for a content id: the id itself when it is a slug, else a hash."""
    if SAFE_ID.match(value):
        return value
    return "x" + hashlib.sha1(value.encode("utf-8")).hexdigest()[:10]


def lane_colour(lane: LaneSpec) -> str | None:
    """The lane's colour as a CSS value, only if it is a valid hex colour or palette token."""
    colour = lane.color
    if colour is None:
        return None
    if HEX_COLOUR.match(colour):
        return colour.lower()
    if colour in PALETTE_TOKENS:
        return f"var(--jm-{colour})"
    return None


def is_rtl(text: str) -> bool:
    """True when the first strongly directional character is right-to-left."""
    if text.isascii():
        return False
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def map_font(site: Site) -> Path | None:
    """The configured map font (resolved against the site root), or None for the bundled font."""
    font = site.config.theme.font
    if not font:
        return None
    path = Path(font)
    return path if path.is_absolute() else (site.root / path)


@lru_cache(maxsize=1 << 16)
def _num(value: float) -> str:
    """A coordinate as SVG text: two decimals at most, no trailing zeros. Memoised: a map writes some
    20 numbers per element, mostly the same few hundred values."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def needs_overview(journey: Journey) -> bool:
    """True when the full map would be too wide to read: more than OVERVIEW_STEPS steps."""
    return len(journey.touchpoints) > OVERVIEW_STEPS


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# --- text -----------------------------------------------------------------------------------------


_TYPESETTERS: dict[Path | None, "Typesetter"] = {}


def clear_caches() -> None:
    """Forget every cached measurement (textmeasure's and the typesetters'): for benchmarks."""
    _TYPESETTERS.clear()
    tm.clear_cache()


class Typesetter:
    """Measures and wraps text in the map font, with a fast path for plain ASCII text.

    The fast path finds line breaks from cached word widths and then measures each line it keeps
    exactly; any doubt (a word wider than the line, a line that measures too wide, text to cut)
    falls back to textmeasure.wrap. Every width it returns is an exact measurement of the line.
    """

    CACHE_LIMIT = 200_000

    def __init__(self, font: Path | None):
        self.font = font
        regular, bold = tm.font_metrics(False, font), tm.font_metrics(True, font)
        self._ascent = max(regular.ascender, bold.ascender)
        self._descent = -min(regular.descender, bold.descender)
        self._space_em = {False: regular.width_em(" "), True: bold.width_em(" ")}
        self._widths: dict[tuple[str, float, bool], float] = {}

    @classmethod
    def for_font(cls, font: Path | None) -> "Typesetter":
        """One typesetter per font, so its width cache serves every map of a build."""
        key = font.resolve() if font is not None else None
        typesetter = _TYPESETTERS.get(key)
        if typesetter is None:
            typesetter = _TYPESETTERS[key] = cls(font)
        return typesetter

    def measure(self, text: str, size: float, bold: bool = False) -> float:
        key = (text, size, bold)
        width = self._widths.get(key)
        if width is None:
            if len(self._widths) >= self.CACHE_LIMIT:
                self._widths.clear()
            width = self._widths[key] = tm.measure(text, size, bold, self.font)
        return width

    def word_widths(self, words: list[str], size: float, bold: bool) -> list[float]:
        """`measure` of each word; cached widths looked up inline (a map measures some 10,000 words)."""
        get, measure = self._widths.get, self.measure
        return [get((word, size, bold)) or measure(word, size, bold) for word in words]

    def ascent(self, size: float) -> float:
        return self._ascent * size

    def descent(self, size: float) -> float:
        return self._descent * size

    def natural(self, text: str, size: float, bold: bool = False) -> float:
        """An estimate of the unwrapped width (sum of word widths), cheap for repeated words."""
        if _PRINTABLE_ASCII.match(text):
            space = self._space_em[bold] * size
            words = text.split()
            return sum(self.word_widths(words, size, bold)) + space * max(0, len(words) - 1)
        return self.measure(text.replace("\n", " "), size, bold)

    def wrap(self, text: str, width: float, size: float, bold: bool = False,
             max_lines: int | None = None) -> tuple[list[tuple[str, float]], bool]:
        """Lines of `text` (each with its measured width) no wider than `width`, and whether text was cut."""
        if not text:
            return [], False
        if _PRINTABLE_ASCII.match(text):
            fast = self._wrap_fast(text, width, size, bold, max_lines)
            if fast is not None:
                return fast, False
        wrapped = tm.wrap(text, width, size, bold, max_lines, self.font)
        lines = [(line, self.measure(line, size, bold)) for line in wrapped.lines if line.strip()]
        if any(w > width for _, w in lines):  # a single grapheme wider than the line: cut it
            lines = [(line, w) if w <= width else self._cut(line, width, size, bold) for line, w in lines]
            lines = [(line, w) for line, w in lines if line]
            return lines, True
        return lines, wrapped.truncated

    def ellipsize(self, text: str, width: float, size: float, bold: bool = False) -> tuple[str, float, bool]:
        line, w = self._cut(text, width, size, bold)
        return line, w, line != text

    def _cut(self, text: str, width: float, size: float, bold: bool) -> tuple[str, float]:
        line = tm.ellipsize(text, width, size, bold, self.font)
        w = self.measure(line, size, bold)
        return (line, w) if w <= width else ("", 0.0)

    def _wrap_fast(self, text: str, width: float, size: float, bold: bool,
                   max_lines: int | None) -> list[tuple[str, float]] | None:
        measure = self.measure
        space = self._space_em[bold] * size  # an estimate: kept lines are measured exactly below
        lines: list[list[str]] = []
        current: list[str] = []
        current_width = 0.0
        words = text.split()
        for word, word_width in zip(words, self.word_widths(words, size, bold)):
            if word_width > width:
                return None
            if current and current_width + space + word_width > width:
                lines.append(current)
                if max_lines is not None and len(lines) >= max_lines:
                    return None  # must be cut: the careful path adds the ellipsis
                current, current_width = [word], word_width
            elif current:
                current.append(word)
                current_width += space + word_width
            else:
                current, current_width = [word], word_width
        if current:
            lines.append(current)
        result = []
        for words in lines:
            line = " ".join(words)
            line_width = measure(line, size, bold)
            if line_width > width:
                return None
            result.append((line, line_width))
        return result


@dataclass
class _Block:
    """Wrapped text, not yet placed: a paragraph of a card."""

    lines: list[tuple[str, float]]
    size: int
    bold: bool
    role: str
    indent: float = 0.0  # room on the left for a marker, bullet or icon
    marker: str | None = None  # bullet, pain-<severity>, opportunity, icon:<name>
    truncated: bool = False
    gap_before: float = 0.0

    @property
    def height(self) -> float:
        return self.gap_before + max(1, len(self.lines)) * LINE_HEIGHT[self.size]


@dataclass
class _Card:
    role: str
    blocks: list[_Block]
    tooltip: str | None = None
    plain: bool = False  # no padding box drawn (a "+N more" note)
    height: float = field(init=False)

    def __post_init__(self) -> None:
        inner = sum(block.height for block in self.blocks)
        self.height = inner + (0 if self.plain else 2 * CARD_PAD)


# --- lane content ---------------------------------------------------------------------------------

BUILTIN_KINDS = {
    "actions": "text", "thoughts": "thought", "emotion": "emotion", "channels": "channel",
    "frontstage": "list", "backstage": "list", "support": "list",
    "pain_points": "pain_points", "opportunities": "opportunities", "owner": "text",
}


def lane_kind(lane: LaneSpec) -> str:
    if lane.extra is None and lane.id in BUILTIN_KINDS:
        return BUILTIN_KINDS[lane.id]
    return "custom"


def _custom_value(tp: Touchpoint, lane: LaneSpec) -> list[str]:
    key = lane.extra or lane.id
    value = tp.meta.extra.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [clean_text(item) for item in value if clean_text(item)]
    if isinstance(value, dict):
        return [clean_text(f"{k}: {v}") for k, v in value.items()]
    text = clean_text(value)
    return [text] if text else []


class _Content:
    """Builds the cards of one cell for a given inner width."""

    def __init__(self, site: Site, ts: Typesetter):
        self.site = site
        self.ts = ts

    def texts(self, tp: Touchpoint, lane: LaneSpec, kind: str) -> list[tuple[str, int, bool, float]]:
        """(text, size, bold, indent) of every paragraph the cell shows: used to choose widths."""
        meta = tp.meta
        if kind in ("text", "thought", "custom"):
            return [(t, BODY_SIZE, False, 0) for t in self._text_values(tp, lane, kind)]
        if kind == "list":
            return [(clean_text(item), BODY_SIZE, False, 12) for item in getattr(meta, lane.id)[:MAX_ITEMS]]
        if kind == "channel":
            return [(self._channel_title(tp), BODY_SIZE, False, 24)] if meta.channel else []
        if kind == "pain_points":
            return [(clean_text(p.title), BODY_SIZE, False, 24) for p in meta.pain_points[:MAX_ITEMS]]
        if kind == "opportunities":
            return [(clean_text(o.title), BODY_SIZE, False, 24) for o in meta.opportunities[:MAX_ITEMS]]
        return []

    def _text_values(self, tp: Touchpoint, lane: LaneSpec, kind: str) -> list[str]:
        meta = tp.meta
        if kind == "custom":
            return _custom_value(tp, lane)
        if lane.id == "actions":
            value = meta.action
        elif lane.id == "thoughts":
            value = meta.thought
        elif lane.id == "owner":
            team = self.site.config.teams.get(meta.owner) if meta.owner else None
            value = team.title if team else (meta.owner or "")
        else:
            value = ""
        text = clean_text(value)
        return [text] if text else []

    def _channel_title(self, tp: Touchpoint) -> str:
        channel = self.site.config.channels.get(tp.meta.channel or "")
        return clean_text(channel.title if channel else (tp.meta.channel or ""))

    def channel_icon(self, tp: Touchpoint) -> str:
        channel = self.site.config.channels.get(tp.meta.channel or "")
        return channel.icon if channel else "globe"

    def cards(self, tp: Touchpoint, lane: LaneSpec, kind: str, width: float) -> list[_Card]:
        """The cards of a cell whose cards are `width` wide."""
        inner = width - 2 * CARD_PAD
        ts = self.ts
        meta = tp.meta
        if kind in ("text", "thought", "custom"):
            values = self._text_values(tp, lane, kind)
            if kind == "custom" and len(values) > 1:
                return self._list_card(values, inner, "card card-list card-custom")
            cards = []
            for text in values:
                lines, cut = ts.wrap(text, inner, BODY_SIZE, False, TEXT_LINES)
                role = "card card-thought" if kind == "thought" else "card card-text"
                cards.append(_Card(role, [_Block(lines, BODY_SIZE, False, "text-body", truncated=cut)],
                                   tooltip=text if cut else None))
            return cards
        if kind == "list":
            items = [clean_text(item) for item in getattr(meta, lane.id)]
            items = [item for item in items if item]
            return self._list_card(items, inner, f"card card-list card-{lane.id}") if items else []
        if kind == "channel":
            if not meta.channel:
                return []
            title = self._channel_title(tp)
            lines, cut = ts.wrap(title, inner - 24, BODY_SIZE, False, 2)
            block = _Block(lines, BODY_SIZE, False, "text-body", indent=24,
                           marker="icon:" + self.channel_icon(tp), truncated=cut)
            return [_Card("card card-channel", [block], tooltip=title if cut else None)]
        if kind == "pain_points":
            cards = []
            for pain in meta.pain_points[:MAX_ITEMS]:
                title = clean_text(pain.title)
                lines, cut = ts.wrap(title, inner - 24, BODY_SIZE, False, ITEM_LINES)
                tip = f"Pain point ({pain.severity} severity): {title}"
                if pain.description:
                    tip += f" \u2014 {clean_text(pain.description)}"
                block = _Block(lines, BODY_SIZE, False, "text-body", indent=24, marker=f"pain sev-{pain.severity}",
                               truncated=cut)
                cards.append(_Card(f"card card-pain sev-{pain.severity}", [block], tooltip=tip))
            return cards + self._more(len(meta.pain_points), inner)
        if kind == "opportunities":
            cards = []
            for opp in meta.opportunities[:MAX_ITEMS]:
                title = clean_text(opp.title)
                lines, cut = ts.wrap(title, inner - 24, BODY_SIZE, False, ITEM_LINES)
                blocks = [_Block(lines, BODY_SIZE, False, "text-body", indent=24, marker="opportunity", truncated=cut)]
                facts = [f"Impact {clean_text(opp.impact)}" if opp.impact else "",
                         f"effort {clean_text(opp.effort)}" if opp.effort else ""]
                fact = ", ".join(f for f in facts if f)
                if fact:
                    fact = fact[0].upper() + fact[1:]
                    flines, fcut = ts.wrap(fact, inner - 24, SMALL_SIZE, False, 2)
                    blocks.append(_Block(flines, SMALL_SIZE, False, "text-meta", indent=24, truncated=fcut, gap_before=2))
                tip = f"Opportunity: {title}" + (f" ({fact})" if fact else "")
                if opp.description:
                    tip += f" \u2014 {clean_text(opp.description)}"
                cards.append(_Card("card card-opportunity", blocks, tooltip=tip))
            return cards + self._more(len(meta.opportunities), inner)
        return []

    def _list_card(self, items: list[str], inner: float, role: str) -> list[_Card]:
        blocks = []
        cut_any = False
        for index, item in enumerate(items[:MAX_ITEMS]):
            lines, cut = self.ts.wrap(item, inner - 12, BODY_SIZE, False, ITEM_LINES)
            cut_any = cut_any or cut
            blocks.append(_Block(lines, BODY_SIZE, False, "text-body", indent=12, marker="bullet", truncated=cut,
                                 gap_before=4 if index else 0))
        extra = len(items) - MAX_ITEMS
        if extra > 0:
            text = f"+{extra} more"
            lines, _ = self.ts.wrap(text, inner - 12, SMALL_SIZE, False, 1)
            blocks.append(_Block(lines, SMALL_SIZE, False, "text-meta", indent=12, gap_before=4))
            cut_any = True
        tooltip = "\n".join(f"\u2022 {item}" for item in items) if cut_any else None
        return [_Card(role, blocks, tooltip=tooltip)]

    def _more(self, count: int, inner: float) -> list[_Card]:
        extra = count - MAX_ITEMS
        if extra <= 0:
            return []
        lines, _ = self.ts.wrap(f"+{extra} more", inner, SMALL_SIZE, False, 1)
        return [_Card("text-box more", [_Block(lines, SMALL_SIZE, False, "text-meta")], plain=True)]


# --- emotion --------------------------------------------------------------------------------------


def _score_lookup(emotion: int | dict[str, int] | None, key: str | None) -> float | None:
    if emotion is None:
        return None
    if isinstance(emotion, dict):
        if key is None:
            values = list(emotion.values())
            return sum(values) / len(values) if values else None
        return emotion.get(key)
    return emotion


def emotion_series_keys(site: Site, journey: Journey) -> list[str | None]:
    """[None] for one shared curve, else the persona ids that have their own scores, in journey order."""
    named: set[str] = set()
    for stage in journey.stages:
        if isinstance(stage.meta.emotion, dict):
            named.update(stage.meta.emotion)
        for tp in stage.touchpoints:
            if isinstance(tp.meta.emotion, dict):
                named.update(tp.meta.emotion)
    if not named:
        return [None]
    ordered = [p for p in journey.meta.personas if p in named]
    return ordered + sorted(named - set(ordered))


def persona_name(site: Site, persona_id: str) -> str:
    persona = site.personas.get(persona_id)
    return clean_text(persona.meta.name) if persona else clean_text(persona_id)


def emotion_scores(journey: Journey, touchpoints: Sequence[Touchpoint],
                   key: str | None) -> list[tuple[float, bool] | None]:
    """Per step: (score, coarse) for one series (persona id, or None for the shared curve), or None."""
    stages = {stage.id: stage for stage in journey.stages}
    result: list[tuple[float, bool] | None] = []
    for tp in touchpoints:
        score = _score_lookup(tp.meta.emotion, key)  # None too when this persona has no score here
        if score is not None:
            result.append((float(score), False))
            continue
        stage = stages.get(tp.stage_id)
        coarse = _score_lookup(stage.meta.emotion, key) if stage and tp.meta.emotion is None else None
        result.append((float(coarse), True) if coarse is not None else None)
    return result


def emotion_bucket(score: float, low: int, high: int) -> int:
    """1 (lowest) .. 5 (highest): the colour class of an emotion score on any scale."""
    fraction = (min(max(score, low), high) - low) / (high - low)
    return 1 + int(round(fraction * 4))


def monotone_path(points: Sequence[tuple[float, float]]) -> str:
    """A smooth path through points (x increasing) that never overshoots: monotone cubic
    Hermite interpolation (Fritsch-Carlson), written as cubic Bezier segments."""
    if not points:
        return ""
    if len(points) == 1:
        x, y = points[0]
        return f"M{_num(x)} {_num(y)}"
    n = len(points)
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    h = [xs[i + 1] - xs[i] for i in range(n - 1)]
    delta = [(ys[i + 1] - ys[i]) / h[i] if h[i] else 0.0 for i in range(n - 1)]
    m = [0.0] * n
    m[0], m[-1] = delta[0], delta[-1]
    for i in range(1, n - 1):
        m[i] = 0.0 if delta[i - 1] * delta[i] <= 0 else (delta[i - 1] + delta[i]) / 2
    for i in range(n - 1):
        if delta[i] == 0:
            m[i] = m[i + 1] = 0.0
            continue
        a, b = m[i] / delta[i], m[i + 1] / delta[i]
        s = a * a + b * b
        if s > 9:
            t = 3 / math.sqrt(s)
            m[i], m[i + 1] = t * a * delta[i], t * b * delta[i]
    parts = [f"M{_num(xs[0])} {_num(ys[0])}"]
    for i in range(n - 1):
        c1x, c1y = xs[i] + h[i] / 3, ys[i] + m[i] * h[i] / 3
        c2x, c2y = xs[i + 1] - h[i] / 3, ys[i + 1] - m[i + 1] * h[i] / 3
        parts.append(f"C{_num(c1x)} {_num(c1y)} {_num(c2x)} {_num(c2y)} {_num(xs[i + 1])} {_num(ys[i + 1])}")
    return "".join(parts)


def _bounds(points: Iterable[tuple[float, float]], role: str = "") -> Rect:
    pts = list(points)
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    return Rect(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys), role)


# --- the builder ----------------------------------------------------------------------------------


class _Builder:
    """Collects primitives while laying out one map."""

    def __init__(self, layout: MapLayout, ts: Typesetter):
        self.layout = layout
        self.ts = ts

    def box(self, rect: Rect, cell: Rect, group: str, key: str, tooltip: str | None = None,
            radius: float = 0.0, style: str | None = None) -> Box:
        box = Box(rect, cell, group, key, tooltip, radius, style)
        self.layout.boxes.append(box)
        return box

    def baseline(self, top: float, size: int) -> float:
        """Baseline of a line whose line box starts at `top`, the glyphs centred in the line height."""
        lh = LINE_HEIGHT[size]
        glyphs = self.ts.ascent(size) + self.ts.descent(size)
        return top + (lh - glyphs) / 2 + self.ts.ascent(size)

    def block_lines(self, lines: list[tuple[str, float]], x: float, top: float, size: int, bold: bool,
                    role: str, box: Rect, group: str, anchor: str = "start", right: float | None = None) -> float:
        """Place wrapped lines from `top`; return the y below them.

        Right-to-left lines of a left-aligned block are aligned on the right instead: at `right`, or
        at the box's right edge less the block's left inset.
        """
        lh = LINE_HEIGHT[size]
        ascent, descent = self.ts.ascent(size), self.ts.descent(size)
        first = self.baseline(top, size)
        append = self.layout.texts.append
        for index, (text, width) in enumerate(lines):
            rtl = is_rtl(text)
            if rtl and anchor == "start":
                line_x = right if right is not None else box.right - (x - box.x)
                append(TextLine(text, line_x, first + index * lh, width, size, bold, "end", role, box, group,
                                ascent, descent, True))
                continue
            append(TextLine(text, x, first + index * lh, width, size, bold, anchor, role, box, group, ascent,
                            descent, rtl))
        return top + len(lines) * lh


def layout_journey(site: Site, journey: Journey, *, link: Callable[[Touchpoint], str] | None = None,
                   stage_id: str | None = None, overview: bool = False, memo: dict[tuple[Any, ...], Any] | None = None
                   ) -> MapLayout:
    """Lay out a journey's map: the full map, one stage's detail (`stage_id`) or the compact overview.

    `memo`: a dict shared by the layouts of one journey of one site. A step's column width, its
    wrapped title and its cells' cards depend only on the step, so the full map and the stage maps
    then compute them once (the stage maps are most of the full map again)."""
    if stage_id is not None and overview:
        raise ValueError("choose either stage_id or overview, not both")
    all_steps = journey.touchpoints
    if stage_id is not None:
        stage = journey.stage(stage_id)
        if stage is None:
            raise KeyError(f"journey '{journey.id}' has no stage '{stage_id}'")
        stages = [stage]
    else:
        stages = [stage for stage in journey.stages if stage.touchpoints]
    mode = "overview" if overview else ("stage" if stage_id is not None else "full")
    font = map_font(site)
    ts = Typesetter.for_font(font)
    layout = MapLayout(journey.id, mode, 0, 0, "", "", font)
    layout.palette = {key: value.lower() for key, value in site.config.theme.palette.items()
                      if HEX_COLOUR.match(value)}
    return _MapLayouter(site, journey, stages, all_steps, link, layout, ts, {} if memo is None else memo).run()


class _MapLayouter:
    def __init__(self, site: Site, journey: Journey, stages: list[Stage], all_steps: list[Touchpoint],
                 link: Callable[[Touchpoint], str] | None, layout: MapLayout, ts: Typesetter,
                 memo: dict[tuple[Any, ...], Any]):
        self.site = site
        self.memo = memo
        self.journey = journey
        self.stages = stages
        self.steps = [tp for stage in stages for tp in stage.touchpoints]
        self.number = {tp.id: index + 1 for index, tp in enumerate(all_steps)}
        self.total = len(all_steps)
        self.link = link or (lambda tp: f"#{safe_key(tp.id)}")
        self.layout = layout
        self.ts = ts
        self.b = _Builder(layout, ts)
        self.content = _Content(site, ts)
        self.overview = layout.mode == "overview"
        lanes = journey.lanes or list(site.config.lanes)
        if self.overview:
            lanes = [lane for lane in lanes if lane_kind(lane) in ("emotion", "pain_points", "opportunities")]
        self.lane_specs = lanes
        self.kinds = [lane_kind(lane) for lane in lanes]
        self.keys = [safe_key(lane.id) for lane in lanes]
        scale = site.config.emotion_scale
        self.low, self.high = scale.min, scale.max
        self.series_keys = emotion_series_keys(site, journey)
        self._labels: dict[int, str] | None = None

    # -- the steps ---------------------------------------------------------------------------------

    def run(self) -> MapLayout:
        widths = self._column_widths()
        gutter = self._gutter_width()
        x = MARGIN + gutter
        xs: list[float] = []
        stage_spans: list[tuple[Stage, float, float]] = []
        index = 0
        for s_index, stage in enumerate(self.stages):
            if s_index:
                x += STAGE_GAP
            start = x
            for _ in stage.touchpoints:
                xs.append(x)
                x += widths[index]
                index += 1
            stage_spans.append((stage, start, x))
        grid_right = x
        width = max(grid_right + MARGIN, MIN_MAP_WIDTH)
        self.width = width
        self.gutter = gutter
        self.xs, self.widths = xs, widths

        # Cell content depends only on widths: build it before placing rows.
        cell_cards = self._cell_cards() if not self.overview else {}
        top = MARGIN
        header_bottom = self._header(top, width)
        grid_top = header_bottom + HEADER_GAP
        band_h = self._stage_band_height(stage_spans)
        step_top = grid_top + band_h
        step_h = self._step_header_height()
        lanes_top = step_top + step_h
        lane_heights = self._lane_heights(cell_cards)
        y = lanes_top
        rows: list[LaneRow] = []
        for l_index, (lane, kind, key, h) in enumerate(zip(self.lane_specs, self.kinds, self.keys, lane_heights)):
            rect = Rect(MARGIN, y, grid_right - MARGIN, h, f"lane-row lane-{key} row-{'even' if l_index % 2 else 'odd'}")
            rows.append(LaneRow(lane.id, key, kind, clean_text(lane_title(lane)), y, h, lane_colour(lane), rect))
            y += h
        grid_bottom = y
        self.layout.lanes = rows
        self.layout.grid = Rect(MARGIN, grid_top, grid_right - MARGIN, grid_bottom - grid_top, "grid")
        self._columns(step_top, grid_bottom)
        self._stage_bands(stage_spans, grid_top, band_h, grid_bottom)
        self._step_headers(step_top, step_h)
        self._corner_labels(grid_top, band_h, step_top, step_h)
        self._gutter(rows)
        for row, lane in zip(rows, self.lane_specs):
            if row.kind == "emotion":
                self._emotion(row)
            elif self.overview:
                self._counts(row)
            else:
                self._cells(row, lane, cell_cards)
        self._grid_lines(rows, stage_spans, step_top, grid_bottom)
        if not self.steps:
            self._empty_note(lanes_top, grid_bottom)
        self.layout.width = width
        self.layout.height = grid_bottom + MARGIN
        self.layout.title, self.layout.desc = self._describe()
        return self.layout

    # -- widths ------------------------------------------------------------------------------------

    def _column_widths(self) -> list[float]:
        if self.overview:
            widest = max([self.ts.measure(str(n), SMALL_SIZE) for n in self.number.values()] + [0])
            counts = [len(tp.meta.pain_points) for tp in self.steps] + [len(tp.meta.opportunities) for tp in self.steps]
            badge = max([self.ts.measure(self._count_text(c), SMALL_SIZE, True) for c in counts if c] + [0])
            need = max(widest + 2 * OVERVIEW_PAD + 4, badge + 2 * OVERVIEW_PAD + 8, OVERVIEW_MIN_COLUMN)
            width = float(math.ceil(need / 4) * 4)
            return [width] * len(self.steps)
        return [self._column_width(tp) for tp in self.steps]

    def _column_width(self, tp: Touchpoint) -> float:
        key = ("width", tp.id)
        if key not in self.memo:
            self.memo[key] = self._choose_width(tp)
        return self.memo[key]

    def _choose_width(self, tp: Touchpoint) -> float:
        """The narrowest of COLUMN_WIDTHS that fits the step's texts."""
        texts: list[tuple[str, int, bool, float, int]] = [(clean_text(tp.meta.title), STEP_SIZE, True, 0, 2)]
        for lane, kind in zip(self.lane_specs, self.kinds):
            for text, size, bold, indent in self.content.texts(tp, lane, kind):
                texts.append((text, size, bold, indent, 4 if kind in ("text", "thought", "custom") else 2))
        needs = [(self.ts.natural(text, size, bold), indent, lines) for text, size, bold, indent, lines in texts if text]
        for candidate in COLUMN_WIDTHS:
            inner = candidate - 2 * CELL_PAD - 2 * CARD_PAD
            if all(natural <= (inner - indent) * lines * 0.9 for natural, indent, lines in needs):
                return float(candidate)
        return float(COLUMN_WIDTHS[-1])

    def _gutter_width(self) -> float:
        titles = [clean_text(lane_title(lane)) for lane in self.lane_specs]
        natural = max([self.ts.natural(t, LANE_TITLE_SIZE, True) for t in titles] + [0])
        width = min(max(natural + 28, GUTTER_MIN), GUTTER_MAX)
        if "emotion" in self.kinds:
            scale_w = self._scale_label_width()
            legend = max([self.ts.natural(persona_name(self.site, k), SMALL_SIZE) for k in self.series_keys if k]
                         + [0])
            title_col = max(64.0, min(legend + 20, 120.0))
            width = max(width, 16 + title_col + 8 + scale_w + 12)
        return float(math.ceil(width))

    def _scale_labels(self) -> dict[int, str]:
        if self._labels is not None:
            return self._labels
        labels = {k: clean_text(v) for k, v in self.site.config.emotion_scale.labels.items()
                  if self.low <= k <= self.high and clean_text(v)}
        if not labels:
            labels = {self.low: str(self.low), self.high: str(self.high)}
            mid = (self.low + self.high) / 2
            if mid == int(mid):
                labels[int(mid)] = str(int(mid))
        self._labels = dict(sorted(labels.items()))
        return self._labels

    def _scale_label_width(self) -> float:
        return min(max(self.ts.measure(label, SMALL_SIZE) for label in self._scale_labels().values()), 96.0)

    # -- header ------------------------------------------------------------------------------------

    def _header(self, top: float, width: float) -> float:
        b = self.b
        avail = width - 2 * MARGIN
        title = clean_text(self.journey.meta.title)
        lines, cut = self.ts.wrap(title, avail, TITLE_SIZE, True, 2)
        title_h = len(lines) * LINE_HEIGHT[TITLE_SIZE]
        # The chips flow under the title, wrapping to more rows when the map is narrow.
        chip_h = 24
        placed: list[tuple[float, float, float, str, str, float, str | None, str | None]] = []
        x, y = MARGIN, top + title_h + 8
        for role, text, swatch in self._header_chips():
            bold = role.startswith("chip-state")
            pad_left = 10 + (14 if swatch else 0)
            shown, text_w, was_cut = self.ts.ellipsize(text, avail - pad_left - 10, SMALL_SIZE, bold)
            if not shown:
                continue
            w = math.ceil(pad_left + text_w + 10)
            if x > MARGIN and x + w > MARGIN + avail:
                x, y = MARGIN, y + chip_h + 6
            placed.append((x, y, w, role, shown, text_w, swatch, text if was_cut else None))
            x += w + 6
        bottom = (y + chip_h) if placed else top + title_h
        region = Rect(MARGIN, top, avail, bottom - top, "header")
        self.layout.header = region
        if lines:
            title_box = b.box(Rect(MARGIN, top, avail, title_h, "text-box header-title"), region, "header", "title",
                              tooltip=title if cut else None)
            b.block_lines(lines, MARGIN, top, TITLE_SIZE, True, "map-title", title_box.rect, "header")
        for cx, cy, w, role, text, text_w, swatch, tooltip in placed:
            chip = b.box(Rect(cx, cy, w, chip_h, f"chip {role}"), region, "header", f"chip-{role}-{text}",
                         tooltip=tooltip, radius=chip_h / 2)
            text_x = cx + 10 + (14 if swatch else 0)
            b.block_lines([(text, text_w)], text_x, cy + (chip_h - LINE_HEIGHT[SMALL_SIZE]) / 2, SMALL_SIZE,
                          role.startswith("chip-state"), "chip-text", chip.rect, "header", right=chip.rect.right - 10)
            if swatch:
                self.layout.markers.append(Marker("swatch", cx + 14, cy + chip_h / 2, 5, f"swatch {swatch}",
                                                  "header", chip.rect, box=chip.rect))
        return bottom

    def _header_chips(self) -> list[tuple[str, str, str | None]]:
        """(role, text, swatch css class) of the header chips: state, stage, size, personas."""
        meta = self.journey.meta
        chips: list[tuple[str, str, str | None]] = []
        state = "Future state" if meta.state == "future" else "Current state"
        chips.append((f"chip-state chip-{meta.state}", state, None))
        if self.layout.mode == "stage":
            stage = self.stages[0]
            position = next(i for i, s in enumerate(self.journey.stages) if s.id == stage.id) + 1
            chips.append(("chip-info", f"Stage {position} of {len(self.journey.stages)}: {clean_text(stage.meta.title)}",
                          None))
        stages = len([s for s in self.journey.stages if s.touchpoints])
        count = f"{_plural(self.total, 'step')} in {_plural(stages, 'stage')}"
        chips.append(("chip-info", ("Overview: " + count) if self.overview else count, None))
        curves = {key: index for index, key in enumerate(self.series_keys) if key is not None}
        for persona in list(meta.personas) + [k for k in curves if k not in meta.personas]:
            swatch = f"series-{curves[persona] % 8 + 1}" if persona in curves and "emotion" in self.kinds else None
            chips.append(("chip-persona", persona_name(self.site, persona), swatch))
        return chips

    # -- header rows -------------------------------------------------------------------------------

    def _stage_title_lines(self, stage: Stage, width: float) -> tuple[list, bool, list, bool]:
        size = SMALL_SIZE if self.overview else STAGE_SIZE
        inner = width - 2 * CARD_PAD
        title, cut = self.ts.wrap(clean_text(stage.meta.title), inner, size, True,
                                  1 if self.overview else STAGE_TITLE_LINES)
        goal, goal_cut = ([], False)
        if not self.overview and stage.meta.goal:
            goal, goal_cut = self.ts.wrap(clean_text(stage.meta.goal), inner, SMALL_SIZE, False, STAGE_GOAL_LINES)
        return title, cut, goal, goal_cut

    def _stage_band_height(self, spans: list[tuple[Stage, float, float]]) -> float:
        size = SMALL_SIZE if self.overview else STAGE_SIZE
        tallest = LINE_HEIGHT[size]
        self._stage_text = {}
        for stage, start, end in spans:
            title, cut, goal, goal_cut = self._stage_title_lines(stage, end - start)
            self._stage_text[stage.id] = (title, cut, goal, goal_cut)
            h = max(1, len(title)) * LINE_HEIGHT[size] + (len(goal) * LINE_HEIGHT[SMALL_SIZE] + 2 if goal else 0)
            tallest = max(tallest, h)
        return tallest + 2 * CARD_PAD + 4

    def _step_title(self, tp: Touchpoint, width: float) -> tuple[list, bool]:
        key = ("step", tp.id, width)
        if key not in self.memo:
            self.memo[key] = self.ts.wrap(clean_text(tp.meta.title), width - 2 * CELL_PAD - 2 * CARD_PAD, STEP_SIZE,
                                          True, STEP_TITLE_LINES)
        return self.memo[key]

    def _step_header_height(self) -> float:
        if self.overview:
            return LINE_HEIGHT[SMALL_SIZE] + 2 * CARD_PAD + 2 * CELL_PAD
        self._step_text = {tp.id: self._step_title(tp, w) for tp, w in zip(self.steps, self.widths)}
        tallest = max([len(lines) for lines, _ in self._step_text.values()] + [1]) * LINE_HEIGHT[STEP_SIZE]
        return LINE_HEIGHT[SMALL_SIZE] + tallest + 2 * CARD_PAD + 2 * CELL_PAD

    # -- columns -----------------------------------------------------------------------------------

    def _columns(self, step_top: float, grid_bottom: float) -> None:
        stage_titles = {stage.id: clean_text(stage.meta.title) for stage in self.journey.stages}
        for tp, x, w in zip(self.steps, self.xs, self.widths):
            number = self.number[tp.id]
            title = clean_text(tp.meta.title)
            stage_title = stage_titles.get(tp.stage_id, tp.stage_id)
            label = f"Step {number} of {self.total}: {title} ({stage_title})"
            hit = Rect(x, step_top, w, grid_bottom - step_top, "col-hit")
            self.layout.columns.append(Column(number - 1, number, self.total, tp.id, tp.stage_id, stage_title, title,
                                              x, w, self.link(tp), label, hit))

    def _stage_bands(self, spans: list[tuple[Stage, float, float]], top: float, h: float, bottom: float) -> None:
        b = self.b
        size = SMALL_SIZE if self.overview else STAGE_SIZE
        for stage, start, end in spans:
            index = next(i for i, s in enumerate(self.journey.stages) if s.id == stage.id)
            cell = Rect(start, top, end - start, h - 4, "stage-cell")
            title, cut, goal, goal_cut = self._stage_text[stage.id]
            full = clean_text(stage.meta.title)
            tooltip = None
            if cut or goal_cut:
                tooltip = full + (f": {clean_text(stage.meta.goal)}" if stage.meta.goal else "")
            group = f"stage:{stage.id}"
            role = f"stage-band band-{index % 6 + 1}"
            box = b.box(Rect(start, top, end - start, h - 4, role), cell, group, f"stage-{stage.id}",
                        tooltip=tooltip, radius=6)
            y = b.block_lines(title, start + CARD_PAD, top + CARD_PAD, size, True, "stage-title", box.rect, group)
            if goal:
                b.block_lines(goal, start + CARD_PAD, y + 2, SMALL_SIZE, False, "stage-goal", box.rect, group)
            span = Rect(start, top, end - start, bottom - top, f"stage-span band-{index % 6 + 1}")
            self.layout.stages.append(StageBand(stage.id, full, index, box.rect, span))

    def _step_headers(self, top: float, h: float) -> None:
        b = self.b
        for column, tp in zip(self.layout.columns, self.steps):
            group = f"col:{tp.id}"
            cell = Rect(column.x, top, column.w, h, "step-cell")
            pad = OVERVIEW_PAD if self.overview else CELL_PAD
            rect = Rect(column.x + pad, top + CELL_PAD, column.w - 2 * pad, h - 2 * CELL_PAD, "step-head")
            if self.overview:
                text = str(column.number)
                box = b.box(rect, cell, group, f"step-{tp.id}", tooltip=None, radius=4)
                b.block_lines([(text, self.ts.measure(text, SMALL_SIZE))], rect.x + rect.w / 2, rect.y + CARD_PAD,
                              SMALL_SIZE, False, "step-number", box.rect, group, anchor="middle")
                continue
            lines, cut = self._step_text[tp.id]
            box = b.box(rect, cell, group, f"step-{tp.id}", tooltip=column.title if cut else None, radius=4)
            number = f"Step {column.number}"
            y = b.block_lines([(number, self.ts.measure(number, SMALL_SIZE))], rect.x + CARD_PAD, rect.y + CARD_PAD,
                              SMALL_SIZE, False, "step-number", box.rect, group)
            b.block_lines(lines, rect.x + CARD_PAD, y, STEP_SIZE, True, "step-title", box.rect, group)

    def _corner_labels(self, grid_top: float, band_h: float, step_top: float, step_h: float) -> None:
        for label, top, h in (("Stages", grid_top, band_h - 4), ("Steps", step_top, step_h)):
            cell = Rect(MARGIN, top, self.gutter, h, "corner-cell")
            if not self.steps:
                continue
            text_w = self.ts.measure(label, SMALL_SIZE)
            if text_w > self.gutter - 24:
                continue
            rect = Rect(MARGIN + 12, top + CARD_PAD, self.gutter - 24, LINE_HEIGHT[SMALL_SIZE], "text-box corner-label")
            box = self.b.box(rect, cell, "gutter", f"corner-{label.lower()}")
            self.b.block_lines([(label, text_w)], rect.x, rect.y, SMALL_SIZE, False, "corner-text", box.rect, "gutter")

    # -- gutter ------------------------------------------------------------------------------------

    def _gutter(self, rows: list[LaneRow]) -> None:
        b = self.b
        for row in rows:
            cell = Rect(MARGIN, row.y, self.gutter, row.h, "gutter-cell")
            style = f"--jm-lane: {row.colour}" if row.colour else None
            b.box(Rect(MARGIN + 4, row.y + 8, 4, max(8.0, row.h - 16), f"lane-swatch lane-{row.key}"), cell, "gutter",
                  f"swatch-{row.key}", radius=2, style=style)
            title_w = self._title_col() if row.kind == "emotion" else self.gutter - 28
            lines, cut = self.ts.wrap(row.title, title_w, LANE_TITLE_SIZE, True, LANE_TITLE_LINES)
            h = max(1, len(lines)) * LINE_HEIGHT[LANE_TITLE_SIZE]
            rect = Rect(MARGIN + 16, row.y + 8, title_w, h, "text-box lane-title")
            box = b.box(rect, cell, "gutter", f"lane-title-{row.key}", tooltip=row.title if cut else None)
            b.block_lines(lines, rect.x, rect.y, LANE_TITLE_SIZE, True, "lane-title-text", box.rect, "gutter")

    def _title_col(self) -> float:
        return self.gutter - 16 - 8 - self._scale_label_width() - 12

    # -- lanes -------------------------------------------------------------------------------------

    def _cell_cards(self) -> dict[tuple[int, int], list[_Card]]:
        cards: dict[tuple[int, int], list[_Card]] = {}
        for c_index, (tp, w) in enumerate(zip(self.steps, self.widths)):
            for l_index, (lane, kind) in enumerate(zip(self.lane_specs, self.kinds)):
                if kind == "emotion":
                    continue
                key = ("cards", tp.id, l_index, lane.id, w)
                cell_cards = self.memo.get(key)
                if cell_cards is None:
                    cell_cards = self.memo[key] = self.content.cards(tp, lane, kind, w - 2 * CELL_PAD)
                if cell_cards:
                    cards[(c_index, l_index)] = cell_cards
        return cards

    def _lane_heights(self, cell_cards: dict[tuple[int, int], list[_Card]]) -> list[float]:
        heights = []
        for l_index, (lane, kind) in enumerate(zip(self.lane_specs, self.kinds)):
            if kind == "emotion":
                heights.append(self._emotion_height())
                continue
            if self.overview:
                heights.append(48.0)
                continue
            tallest = 0.0
            for c_index in range(len(self.steps)):
                cards = cell_cards.get((c_index, l_index))
                if cards:
                    h = sum(card.height for card in cards) + CARD_GAP * (len(cards) - 1)
                    tallest = max(tallest, h)
            title = clean_text(lane_title(lane))
            lines, _ = self.ts.wrap(title, self.gutter - 28, LANE_TITLE_SIZE, True, LANE_TITLE_LINES)
            gutter_need = 16 + max(1, len(lines)) * LINE_HEIGHT[LANE_TITLE_SIZE]
            heights.append(float(math.ceil(max(MIN_LANE_HEIGHT, tallest + 2 * CELL_PAD, gutter_need))))
        return heights

    def _cells(self, row: LaneRow, lane: LaneSpec, cell_cards: dict[tuple[int, int], list[_Card]]) -> None:
        l_index = self.layout.lanes.index(row)
        style = f"--jm-lane: {row.colour}" if row.colour else None
        for c_index, column in enumerate(self.layout.columns):
            cell = Rect(column.x, row.y, column.w, row.h, "cell")
            self.layout.cells[(column.touchpoint_id, row.key)] = cell
            cards = cell_cards.get((c_index, l_index))
            if not cards:
                continue
            group = f"col:{column.touchpoint_id}"
            y = row.y + CELL_PAD
            for k_index, card in enumerate(cards):
                self._card(card, cell, column.x + CELL_PAD, y, column.w - 2 * CELL_PAD, group,
                           f"{row.key}-{column.touchpoint_id}-{k_index}", row.key, style)
                y += card.height + CARD_GAP

    def _card(self, card: _Card, cell: Rect, x: float, y: float, w: float, group: str, key: str, lane_key: str,
              style: str | None) -> None:
        b = self.b
        rect = Rect(x, y, w, card.height, f"{card.role} lane-{lane_key}")
        box = b.box(rect, cell, group, key, tooltip=card.tooltip, radius=0 if card.plain else 6, style=style)
        pad = 0 if card.plain else CARD_PAD
        top = y + pad
        for block in card.blocks:
            top += block.gap_before
            # Right-to-left paragraphs are mirrored: their marker on the right, the text aligned to it.
            rtl = bool(block.lines) and is_rtl(block.lines[0][0])
            if block.marker and block.lines:
                mid = top + LINE_HEIGHT[block.size] / 2

                def at(offset: float, size: float = 0.0) -> float:
                    """x of a marker `offset` px into the block's marker area (`size` wide for icons)."""
                    return (x + w - pad - offset - size) if rtl else (x + pad + offset)

                if block.marker == "bullet":
                    self.layout.markers.append(Marker("bullet", at(3), mid, 2.5, "bullet", group, cell, box=rect))
                elif block.marker.startswith("icon:"):
                    self.layout.icons.append(Icon(block.marker[5:], at(0, 18), mid - 9, 18, "channel-icon", group,
                                                  cell, box=rect))
                elif block.marker.startswith("pain"):
                    self.layout.markers.append(Marker("pain", at(8), mid, 8, f"badge badge-{block.marker}", group,
                                                      cell, icon="alert", box=rect))
                elif block.marker == "opportunity":
                    self.layout.markers.append(Marker("opportunity", at(8), mid, 8, "badge badge-opportunity", group,
                                                      cell, icon="bulb", box=rect))
            b.block_lines(block.lines, x + pad + block.indent, top, block.size, block.bold, block.role, box.rect, group,
                          right=x + w - pad - (block.indent if rtl else 0))
            top += len(block.lines) * LINE_HEIGHT[block.size]

    def _count_text(self, count: int) -> str:
        return str(count) if count < 100 else "99+"

    def _counts(self, row: LaneRow) -> None:
        """Overview: a badge with the number of pain points or opportunities of each step."""
        for column, tp in zip(self.layout.columns, self.steps):
            cell = Rect(column.x, row.y, column.w, row.h, "cell")
            self.layout.cells[(column.touchpoint_id, row.key)] = cell
            group = f"col:{column.touchpoint_id}"
            if row.kind == "pain_points":
                items = tp.meta.pain_points
                worst = max((("low", "medium", "high").index(p.severity) for p in items), default=0)
                role = f"badge badge-pain sev-{('low', 'medium', 'high')[worst]}"
            else:
                items = tp.meta.opportunities
                role = "badge badge-opportunity"
            if not items:
                continue
            text = self._count_text(len(items))
            text_w = self.ts.measure(text, SMALL_SIZE, True)
            r = max(10.0, math.ceil(text_w / 2 + 4))
            cy = row.y + row.h / 2
            what = "pain point" if row.kind == "pain_points" else "opportunity"
            plural = "opportunities" if what == "opportunity" else "pain points"
            tip = f"{len(items)} {what if len(items) == 1 else plural}"
            marker = Marker("count", column.centre, cy, r, role, group, cell, tooltip=tip)
            self.layout.markers.append(marker)
            self.b.block_lines([(text, text_w)], column.centre, cy - LINE_HEIGHT[SMALL_SIZE] / 2, SMALL_SIZE, True,
                               "badge-text", marker.bounds, group, anchor="middle")

    # -- emotion -----------------------------------------------------------------------------------

    def _marker_radius(self) -> float:
        if self.overview or len(self.series_keys) > 1:
            return 5.0 if self.overview else 6.0
        widest = max(self.ts.measure(_score_text(s), SMALL_SIZE, True) for s in range(self.low, self.high + 1)) \
            if self.high - self.low <= 100 else self.ts.measure(_score_text(self.high), SMALL_SIZE, True)
        return max(10.0, math.ceil(widest / 2 + 4))

    def _emotion_height(self) -> float:
        labels = sorted(self._scale_labels())
        gaps = [b - a for a, b in zip(labels, labels[1:])] or [self.high - self.low]
        unit = max((64 if self.overview else 112) / (self.high - self.low), 18 / min(gaps))
        plot_h = unit * (self.high - self.low)
        pad = self._marker_radius() + 8
        need = plot_h + 2 * pad
        # The gutter holds the lane title and, with several curves, a legend.
        title = clean_text(next(lane_title(l) for l, k in zip(self.lane_specs, self.kinds) if k == "emotion"))
        lines, _ = self.ts.wrap(title, self._title_col(), LANE_TITLE_SIZE, True, LANE_TITLE_LINES)
        legend = len(self.series_keys) if self.series_keys != [None] else 0
        gutter_need = 16 + max(1, len(lines)) * LINE_HEIGHT[LANE_TITLE_SIZE] + legend * (LINE_HEIGHT[SMALL_SIZE] + 4) + 8
        return float(math.ceil(max(need, gutter_need)))

    def _emotion(self, row: LaneRow) -> None:
        b = self.b
        r = self._marker_radius()
        pad = r + 8
        labels = self._scale_labels()
        plot_h_total = row.h - 2 * pad
        grid_left = MARGIN + self.gutter
        grid_right = self.layout.grid.right
        plot = Rect(grid_left, row.y + pad, max(0.0, grid_right - grid_left), plot_h_total, "emotion-plot")

        def y_of(score: float) -> float:
            return plot.bottom - (min(max(score, self.low), self.high) - self.low) / (self.high - self.low) * plot.h

        neutral = (self.low + self.high) / 2
        gutter_cell = Rect(MARGIN, row.y, self.gutter, row.h, "gutter-cell")
        scale_w = self._scale_label_width()
        levels = []
        for score, label in labels.items():
            y = y_of(score)
            levels.append((score, y, label))
            shown, w, cut = self.ts.ellipsize(label, scale_w, SMALL_SIZE)
            right = MARGIN + self.gutter - 12
            rect = Rect(right - scale_w, y - LINE_HEIGHT[SMALL_SIZE] / 2, scale_w, LINE_HEIGHT[SMALL_SIZE],
                        "text-box scale-label")
            box = b.box(rect, gutter_cell, "gutter", f"scale-{score}", tooltip=label if cut else None)
            if shown:
                b.block_lines([(shown, w)], right, rect.y, SMALL_SIZE, False, "scale-text", box.rect, "gutter",
                              anchor="end")
            if score != neutral and plot.w:
                self.layout.paths.append(PathShape(f"M{_num(grid_left)} {_num(y)}H{_num(grid_right)}", "level-line",
                                                   "grid", f"level-{score}", Rect(grid_left, y, plot.w, 0)))
        if plot.w:
            ny = y_of(neutral)
            self.layout.paths.append(PathShape(f"M{_num(grid_left)} {_num(ny)}H{_num(grid_right)}", "neutral-line",
                                               "grid", "neutral", Rect(grid_left, ny, plot.w, 0)))
        self.layout.scale = EmotionScale(self.low, self.high, plot, y_of(neutral), levels)

        # Legend under the lane title, when each persona has a curve.
        title_lines = max(1, len(self.ts.wrap(row.title, self._title_col(), LANE_TITLE_SIZE, True,
                                              LANE_TITLE_LINES)[0]))
        legend_top = row.y + 8 + title_lines * LINE_HEIGHT[LANE_TITLE_SIZE] + 8
        multi = self.series_keys != [None]
        for s_index, key in enumerate(self.series_keys):
            css = f"series-{s_index % 8 + 1}"
            label = persona_name(self.site, key) if key else "All customers"
            self.layout.legend.append(LegendEntry(key or "all", label, css))
            if not multi:
                continue
            y = legend_top + s_index * (LINE_HEIGHT[SMALL_SIZE] + 4)
            rect = Rect(MARGIN + 16, y, self._title_col(), LINE_HEIGHT[SMALL_SIZE], f"text-box legend-entry {css}")
            shown, w, cut = self.ts.ellipsize(label, rect.w - 16, SMALL_SIZE)
            box = b.box(rect, gutter_cell, "gutter", f"legend-{safe_key(key)}", tooltip=label if cut else None)
            self.layout.markers.append(Marker("swatch", rect.x + 5, y + rect.h / 2, 5, f"swatch {css}", "gutter",
                                              gutter_cell, box=rect))
            if shown:
                b.block_lines([(shown, w)], rect.x + 16, y, SMALL_SIZE, False, "legend-text", box.rect, "gutter",
                              right=rect.right)

        # The curves and their markers.
        for column in self.layout.columns:
            self.layout.cells[(column.touchpoint_id, row.key)] = Rect(column.x, row.y, column.w, row.h, "cell")
        per_series = [emotion_scores(self.journey, self.steps, key) for key in self.series_keys]
        spacing = 2 * r + 2
        if len(self.series_keys) > 1 and self.layout.columns:
            narrowest = min(column.w for column in self.layout.columns)
            pad = OVERVIEW_PAD if self.overview else CELL_PAD
            spacing = min(spacing, (narrowest - 2 * pad - 2 * r) / (len(self.series_keys) - 1))
        offsets = _marker_offsets(per_series, spacing if multi else 0)
        for s_index, (key, scores) in enumerate(zip(self.series_keys, per_series)):
            css = f"series-{s_index % 8 + 1}"
            label = persona_name(self.site, key) if key else "All customers"
            points: list[EmotionPoint | None] = []
            for column, item, dx in zip(self.layout.columns, scores, offsets[s_index]):
                if item is None:
                    points.append(None)
                    continue
                score, coarse = item
                point = EmotionPoint(column.touchpoint_id, column.centre, y_of(score), score, coarse)
                points.append(point)
                bucket = emotion_bucket(score, self.low, self.high)
                role = f"emotion-marker {css} emo-{bucket}" + (" coarse" if coarse else "") + ("" if multi else " by-emotion")
                group = f"col:{column.touchpoint_id}"
                cell = self.layout.cells[(column.touchpoint_id, row.key)]
                who = f"{label}: " if multi else ""
                word = labels.get(int(score)) if score == int(score) else None
                tip = f"{who}{_score_text(score)}" + (f" ({word})" if word else "") + (" (stage estimate)" if coarse else "")
                marker = Marker("emotion", column.centre + dx, point.y, r, role, group, cell, tooltip=tip)
                self.layout.markers.append(marker)
                if not multi and not self.overview:
                    text = _score_text(score)
                    w = self.ts.measure(text, SMALL_SIZE, True)
                    b.block_lines([(text, w)], marker.cx, marker.cy - LINE_HEIGHT[SMALL_SIZE] / 2, SMALL_SIZE, True,
                                  "marker-score", marker.bounds, group, anchor="middle")
            paths = []
            run: list[EmotionPoint] = []
            for point in points + [None]:
                if point is not None:
                    run.append(point)
                    continue
                if len(run) >= 2:
                    pts = [(p.x, p.y) for p in run]
                    paths.append(PathShape(monotone_path(pts), f"emotion-curve {css}" + ("" if multi else " single"),
                                           "curves",
                                           f"curve-{safe_key(key or 'all')}-{run[0].column}", _bounds(pts)))
                run = []
            self.layout.paths.extend(paths)
            self.layout.series.append(EmotionSeries(key or "all", label, css, points, paths))

    # -- grid lines and notes ----------------------------------------------------------------------

    def _grid_lines(self, rows: list[LaneRow], spans: list[tuple[Stage, float, float]], top: float,
                    bottom: float) -> None:
        for column, next_column in zip(self.layout.columns, self.layout.columns[1:]):
            if next_column.stage_id != column.stage_id:
                continue
            x = column.x + column.w
            self.layout.paths.append(PathShape(f"M{_num(x)} {_num(top)}V{_num(bottom)}", "col-line", "grid",
                                               f"col-line-{column.touchpoint_id}", Rect(x, top, 0, bottom - top)))
        if not rows:
            return
        left, right = MARGIN, self.layout.grid.right
        for row in rows[1:]:
            self.layout.paths.append(PathShape(f"M{_num(left)} {_num(row.y)}H{_num(right)}", "lane-line", "grid",
                                               f"lane-line-{row.key}", Rect(left, row.y, right - left, 0)))

    def _empty_note(self, top: float, bottom: float) -> None:
        text = f"This {'stage' if self.layout.mode == 'stage' else 'journey'} has no steps yet."
        w = self.ts.measure(text, BODY_SIZE)
        cell = Rect(MARGIN + self.gutter, top, self.width - 2 * MARGIN - self.gutter, max(bottom - top, 0), "cell")
        if cell.w < w + 16 or cell.h < LINE_HEIGHT[BODY_SIZE]:
            return
        rect = Rect(cell.x + 8, cell.y, w, LINE_HEIGHT[BODY_SIZE], "text-box empty-note")
        box = self.b.box(rect, cell, "gutter", "empty")
        self.b.block_lines([(text, w)], rect.x, rect.y, BODY_SIZE, False, "empty-text", box.rect, "gutter")

    # -- words -------------------------------------------------------------------------------------

    def _describe(self) -> tuple[str, str]:
        journey = self.journey
        title = clean_text(journey.meta.title)
        stages = [s for s in self.journey.stages if s.touchpoints]
        state = "future-state" if journey.meta.state == "future" else "current-state"
        if self.layout.mode == "stage":
            stage = self.stages[0]
            heading = f"Journey map: {title}, stage {clean_text(stage.meta.title)}"
            intro = (f"Detail of the stage {clean_text(stage.meta.title)} of the {state} journey {title}: "
                     f"{_plural(len(self.steps), 'step')} of {self.total}.")
        elif self.overview:
            heading = f"Journey map overview: {title}"
            intro = (f"Compact overview of the {state} journey {title}: {_plural(self.total, 'step')} in "
                     f"{_plural(len(stages), 'stage')} ({', '.join(clean_text(s.meta.title) for s in stages)}). "
                     "Each numbered column links to its step.")
        else:
            heading = f"Journey map: {title}"
            intro = (f"Swimlane map of the {state} journey {title}: {_plural(self.total, 'step')} in "
                     f"{_plural(len(stages), 'stage')} ({', '.join(clean_text(s.meta.title) for s in stages)}).")
        parts = [intro]
        if self.lane_specs:
            parts.append("Lanes: " + ", ".join(clean_text(lane_title(lane)) for lane in self.lane_specs) + ".")
        for series in self.layout.series:
            points = [p for p in series.points if p is not None]
            if not points:
                continue
            low = min(points, key=lambda p: p.score)
            high = max(points, key=lambda p: p.score)
            step = {c.touchpoint_id: c for c in self.layout.columns}
            who = f" for {series.label}" if len(self.layout.series) > 1 else ""
            parts.append(f"Emotion{who} is lowest ({_score_text(low.score)} of {self.high}) at step "
                         f"{step[low.column].number}, {step[low.column].title}, and highest "
                         f"({_score_text(high.score)} of {self.high}) at step {step[high.column].number}, "
                         f"{step[high.column].title}.")
        pains = sum(len(tp.meta.pain_points) for tp in self.steps)
        opportunities = sum(len(tp.meta.opportunities) for tp in self.steps)
        parts.append(f"{_plural(pains, 'pain point')} and "
                     f"{opportunities} {'opportunity' if opportunities == 1 else 'opportunities'}.")
        return heading, " ".join(parts)


def _score_text(score: float) -> str:
    return str(int(score)) if score == int(score) else f"{score:.1f}"


def _marker_offsets(per_series: list[list[tuple[float, bool] | None]], spacing: float) -> list[list[float]]:
    """Horizontal offsets that keep markers of different series with the same score at one step apart."""
    offsets = [[0.0] * len(scores) for scores in per_series]
    if spacing <= 0 or len(per_series) < 2:
        return offsets
    for step in range(len(per_series[0])):
        by_score: dict[float, list[int]] = {}
        for s_index, scores in enumerate(per_series):
            item = scores[step]
            if item is not None:
                by_score.setdefault(item[0], []).append(s_index)
        for members in by_score.values():
            if len(members) < 2:
                continue
            for position, s_index in enumerate(members):
                offsets[s_index][step] = (position - (len(members) - 1) / 2) * spacing
    return offsets


# --- the emotion chart (comparison and persona pages) ---------------------------------------------


@dataclass(slots=True)
class ChartSeries:
    label: str
    scores: list[float | None]
    css_class: str


CHART_COLUMN = 88
CHART_PLOT_H = 132


def layout_emotion_chart(site: Site, columns: list[str], groups: list[tuple[str, int]],
                         series: list[ChartSeries], *, title: str) -> MapLayout:
    """A small line chart: one smooth curve per series over labelled columns grouped in bands."""
    font = map_font(site)
    ts = Typesetter.for_font(font)
    layout = MapLayout("", "chart", 0, 0, clean_text(title), "", font)
    b = _Builder(layout, ts)
    scale = site.config.emotion_scale
    low, high = scale.min, scale.max
    labels = {k: clean_text(v) for k, v in scale.labels.items() if low <= k <= high and clean_text(v)} or \
        {low: str(low), high: str(high)}
    labels = dict(sorted(labels.items()))
    scale_w = min(max(ts.measure(v, SMALL_SIZE) for v in labels.values()), 96.0)
    gutter = math.ceil(scale_w + 24)
    n = len(columns)
    grid_left = MARGIN + gutter
    width = max(grid_left + n * CHART_COLUMN + MARGIN, 360)
    grid_right = grid_left + n * CHART_COLUMN
    avail = width - 2 * MARGIN

    # Legend on top.
    top = MARGIN
    x = MARGIN
    y = top
    legend_h = LINE_HEIGHT[SMALL_SIZE] + 8
    region_items = []
    for entry in series:
        label = clean_text(entry.label)
        shown, w, cut = ts.ellipsize(label, avail - 24, SMALL_SIZE)
        item_w = math.ceil(24 + w + 4)
        if x > MARGIN and x + item_w > MARGIN + avail:
            x, y = MARGIN, y + legend_h
        region_items.append((x, y, item_w, shown, w, label if cut else None, entry.css_class, label))
        x += item_w + 12
    legend_bottom = (y + legend_h) if series else top
    legend_region = Rect(MARGIN, top, avail, legend_bottom - top, "legend")
    for lx, ly, lw, shown, w, tip, css, label in region_items:
        rect = Rect(lx, ly, lw, legend_h, f"text-box legend-entry {css}")
        box = b.box(rect, legend_region, "legend", f"legend-{safe_key(label)}-{lx}", tooltip=tip)
        layout.paths.append(PathShape(f"M{_num(lx + 2)} {_num(ly + legend_h / 2)}H{_num(lx + 18)}",
                                      f"legend-line {css}", "legend", f"legend-line-{lx}-{ly}",
                                      Rect(lx + 2, ly + legend_h / 2, 16, 0)))
        if shown:
            b.block_lines([(shown, w)], lx + 24, ly + 4, SMALL_SIZE, False, "legend-text", box.rect, "legend")
    layout.legend = [LegendEntry(safe_key(clean_text(s.label)), clean_text(s.label), s.css_class) for s in series]

    # Group bands.
    band_top = legend_bottom + 8
    band_h = LINE_HEIGHT[SMALL_SIZE] + 8
    col = 0
    for g_index, (name, count) in enumerate(groups):
        count = max(0, min(count, n - col))
        if not count:
            continue
        gx = grid_left + col * CHART_COLUMN
        cell = Rect(gx, band_top, count * CHART_COLUMN, band_h, "band-cell")
        name = clean_text(name)
        shown, w, cut = ts.ellipsize(name, cell.w - 2 * CARD_PAD, SMALL_SIZE, True)
        box = b.box(Rect(gx + 1, band_top, count * CHART_COLUMN - 2, band_h, f"stage-band band-{g_index % 6 + 1}"),
                    cell, "bands", f"band-{g_index}", tooltip=name if cut else None, radius=4)
        if shown:
            b.block_lines([(shown, w)], gx + CARD_PAD, band_top + 4, SMALL_SIZE, True, "stage-title", box.rect, "bands")
        col += count

    # Plot.
    plot_top = band_top + band_h + 8
    r = 5.0
    gaps = [b2 - a for a, b2 in zip(list(labels), list(labels)[1:])] or [high - low]
    plot_h = max(CHART_PLOT_H, 18 * (high - low) / min(gaps))
    plot = Rect(grid_left, plot_top + r + 4, n * CHART_COLUMN, plot_h, "emotion-plot")

    def y_of(score: float) -> float:
        return plot.bottom - (min(max(score, low), high) - low) / (high - low) * plot.h

    lane = Rect(MARGIN, plot_top, grid_right - MARGIN, plot_h + 2 * (r + 4), "chart-lane")
    gutter_cell = Rect(MARGIN, lane.y, gutter, lane.h, "gutter-cell")
    levels = []
    for score, label in labels.items():
        y = y_of(score)
        levels.append((score, y, label))
        shown, w, cut = ts.ellipsize(label, scale_w, SMALL_SIZE)
        right = grid_left - 12
        rect = Rect(right - scale_w, y - LINE_HEIGHT[SMALL_SIZE] / 2, scale_w, LINE_HEIGHT[SMALL_SIZE],
                    "text-box scale-label")
        box = b.box(rect, gutter_cell, "gutter", f"scale-{score}", tooltip=label if cut else None)
        if shown:
            b.block_lines([(shown, w)], right, rect.y, SMALL_SIZE, False, "scale-text", box.rect, "gutter",
                          anchor="end")
        if n:
            layout.paths.append(PathShape(f"M{_num(grid_left)} {_num(y)}H{_num(grid_right)}", "level-line", "grid",
                                          f"level-{score}", Rect(grid_left, y, n * CHART_COLUMN, 0)))
    neutral_y = y_of((low + high) / 2)
    if n:
        layout.paths.append(PathShape(f"M{_num(grid_left)} {_num(neutral_y)}H{_num(grid_right)}", "neutral-line",
                                      "grid", "neutral", Rect(grid_left, neutral_y, n * CHART_COLUMN, 0)))
    layout.scale = EmotionScale(low, high, plot, neutral_y, levels)
    for c_index in range(1, n):
        x = grid_left + c_index * CHART_COLUMN
        layout.paths.append(PathShape(f"M{_num(x)} {_num(lane.y)}V{_num(lane.bottom)}", "col-line", "grid",
                                      f"col-line-{c_index}", Rect(x, lane.y, 0, lane.h)))
    for s_index, entry in enumerate(series):
        run: list[tuple[float, float]] = []
        paths = []
        points: list[EmotionPoint | None] = []
        for c_index in range(n + 1):
            score = entry.scores[c_index] if c_index < min(n, len(entry.scores)) else None
            if score is not None and c_index < n:
                cx = grid_left + c_index * CHART_COLUMN + CHART_COLUMN / 2
                cy = y_of(score)
                run.append((cx, cy))
                points.append(EmotionPoint(str(c_index), cx, cy, float(score), False))
                cell = Rect(grid_left + c_index * CHART_COLUMN, lane.y, CHART_COLUMN, lane.h, "cell")
                layout.markers.append(Marker("emotion", cx, cy, r, f"emotion-marker {entry.css_class} "
                                             f"emo-{emotion_bucket(score, low, high)}", "plot", cell,
                                             tooltip=f"{clean_text(entry.label)}: {_score_text(score)}"))
                continue
            if c_index < n:
                points.append(None)
            if len(run) >= 2:
                paths.append(PathShape(monotone_path(run), f"emotion-curve {entry.css_class}", "curves",
                                       f"curve-{s_index}-{len(paths)}", _bounds(run)))
            run = []
        layout.paths.extend(paths)
        layout.series.append(EmotionSeries(str(s_index), clean_text(entry.label), entry.css_class, points, paths))

    # Column labels under the plot.
    label_top = lane.bottom + 6
    label_h = 2 * LINE_HEIGHT[SMALL_SIZE]
    for c_index, name in enumerate(columns):
        name = clean_text(name)
        cx = grid_left + c_index * CHART_COLUMN
        cell = Rect(cx, label_top, CHART_COLUMN, label_h + 4, "label-cell")
        lines, cut = ts.wrap(name, CHART_COLUMN - 8, SMALL_SIZE, False, 2)
        rect = Rect(cx + 4, label_top, CHART_COLUMN - 8, label_h, "text-box column-label")
        box = b.box(rect, cell, "labels", f"label-{c_index}", tooltip=name if cut else None)
        for l_index, (text, w) in enumerate(lines):
            b.block_lines([(text, w)], cx + CHART_COLUMN / 2, label_top + l_index * LINE_HEIGHT[SMALL_SIZE], SMALL_SIZE,
                          False, "column-label-text", box.rect, "labels", anchor="middle")
    layout.grid = Rect(MARGIN, band_top, grid_right - MARGIN, label_top + label_h + 4 - band_top, "grid")
    layout.header = legend_region
    layout.width = width
    layout.height = label_top + label_h + 4 + MARGIN
    described = []
    for entry in series:
        values = [s for s in entry.scores if s is not None]
        if values:
            described.append(f"{clean_text(entry.label)} ranges from {_score_text(min(values))} to "
                             f"{_score_text(max(values))}")
    layout.desc = (f"Emotion chart over {_plural(n, 'step')} on a scale of {low} to {high}. "
                   + ("; ".join(described) + "." if described else "No scores."))
    return layout
