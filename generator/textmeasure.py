"""Text measurement, line wrapping and font embedding for journey maps.

Widths are computed by shaping text with HarfBuzz (uharfbuzz) in the map font, which gives
the same advance as Chromium's ``SVGTextContentElement.getComputedTextLength()`` for text set
in that font (kerning, ligatures and contextual alternates included; Chromium rounds the
total up to 1/64 px and so does :func:`measure`).

Characters the font lacks (CJK, emoji, scripts the font does not cover) are rendered by the
browser with whatever fallback font the viewer has, so they get a conservative estimate per
grapheme cluster instead (see :data:`WIDE_EM`, :data:`EMOJI_EM`, :data:`COMPLEX_EM`,
:data:`NARROW_EM` and :data:`FALLBACK_MARGIN`).  A viewer with no font at all for a script
sees 1-em "tofu" boxes per character, which these estimates do not try to cover.

Nothing is loaded at import time: fonts are opened on first use and cached.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import functools
import io
import math
import re
import unicodedata
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Iterator

__all__ = [
    "DEFAULT_FONT_DIR",
    "FONT_FAMILY",
    "EMOJI_EM",
    "WIDE_EM",
    "COMPLEX_EM",
    "NARROW_EM",
    "FALLBACK_MARGIN",
    "ELLIPSIS",
    "FontMetrics",
    "Wrapped",
    "clear_cache",
    "ellipsize",
    "font_files",
    "font_metrics",
    "graphemes",
    "measure",
    "subset_font_data_uri",
    "wrap",
]

#: CSS family name of the bundled font.
FONT_FAMILY = "Inter"
#: Estimated width (in em) of an East Asian wide/fullwidth character the font lacks
#: (Noto Sans CJK and the other common CJK fonts use 1 em).
WIDE_EM = 1.0
#: Estimated width (in em) of an emoji cluster the font lacks.  Chromium with Noto Color
#: Emoji advances 1.248 em per emoji, so 1.0 em would be too small to be conservative.
EMOJI_EM = 1.25
#: Estimated width (in em) of a cluster of a Brahmic or South-East Asian script the font
#: lacks (Devanagari ... Sinhala, Thai, Lao, Tibetan, Myanmar, Khmer): their clusters are wider.
COMPLEX_EM = 0.8
#: Estimated width (in em) of any other character the font lacks (Hebrew and Arabic in their
#: usual fallback fonts are 0.4-0.55 em on average).
NARROW_EM = 0.6
#: Extra fraction added to every estimated (fallback) cluster width.
FALLBACK_MARGIN = 0.05
#: The character appended to truncated text.
ELLIPSIS = "\u2026"

_REGULAR_FILES = ("Inter-Regular.otf", "Inter-Regular.ttf")
_BOLD_FILES = ("Inter-Bold.otf", "Inter-Bold.ttf", "Inter-SemiBold.otf", "Inter-SemiBold.ttf")


# --------------------------------------------------------------------------------------
# Locating the bundled font
# --------------------------------------------------------------------------------------


def _find_default_font_dir() -> Path:
    """The bundled font folder: ``journeymap.theme`` package data, else the source checkout."""
    here = Path(__file__).resolve().parent
    try:
        from importlib.util import find_spec

        # Only a *package* journeymap.theme holds the assets; never import a plain module
        # of that name (it could be slow or import this module back).
        spec = find_spec("journeymap.theme")
        if spec is not None and spec.submodule_search_locations is not None:
            from importlib.resources import files

            candidate = files("journeymap.theme").joinpath("assets").joinpath("fonts")
            if isinstance(candidate, Path) and candidate.is_dir():
                return candidate
            for location in spec.submodule_search_locations:
                candidate = Path(location) / "assets" / "fonts"
                if candidate.is_dir():
                    return candidate
    except Exception:  # not installed as a package, namespace quirks, zipped install...
        pass
    for fallback in (here / "theme" / "assets" / "fonts", here.parent / "theme" / "assets" / "fonts"):
        if fallback.is_dir():
            return fallback
    return here.parent / "theme" / "assets" / "fonts"


#: Folder holding the bundled map font (Inter Regular/Bold, OTF + WOFF2, OFL.txt).
DEFAULT_FONT_DIR: Path = _find_default_font_dir()


def _first_existing(folder: Path, names: tuple[str, ...]) -> Path | None:
    for name in names:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def font_files(font: Path | None = None) -> dict[str, Path]:
    """Font files for a map: ``regular`` and ``bold`` (TTF/OTF, used for measuring) and,
    when present beside them, ``regular_woff2`` and ``bold_woff2`` (for the browser).

    ``font`` may be ``None`` (the bundled Inter), a folder (its ``*-Regular.*`` and
    ``*-Bold.*``/``*-SemiBold.*`` files are used) or a single font file (its bold
    sibling is looked up by replacing ``Regular`` with ``Bold``/``SemiBold`` in the file
    name, or appending ``-Bold``; without one the regular file is used for bold too).
    """
    if font is None:
        folder = DEFAULT_FONT_DIR
        regular = _first_existing(folder, _REGULAR_FILES)
        bold = _first_existing(folder, _BOLD_FILES)
        if regular is None:
            raise FileNotFoundError(f"bundled font not found in {folder}")
    else:
        font = Path(font)
        if font.is_dir():
            regular = next(
                (p for p in sorted(font.iterdir()) if p.suffix.lower() in (".otf", ".ttf")
                 and p.stem.lower().endswith("-regular")), None)
            if regular is None:
                raise FileNotFoundError(f"no *-Regular.otf/.ttf font in {font}")
            bold = None
            for weight in ("Bold", "SemiBold"):
                bold = bold or next(
                    (p for p in sorted(font.iterdir()) if p.suffix.lower() in (".otf", ".ttf")
                     and p.stem.lower().endswith("-" + weight.lower())), None)
        else:
            if not font.is_file():
                raise FileNotFoundError(f"font file not found: {font}")
            regular, bold = font, None
            stem, suffix = font.stem, font.suffix
            names = []
            if "Regular" in stem:
                names += [stem.replace("Regular", w) + suffix for w in ("Bold", "SemiBold")]
            names += [f"{stem}-Bold{suffix}", f"{stem}Bold{suffix}"]
            bold = _first_existing(font.parent, tuple(names))
    result: dict[str, Path] = {"regular": regular, "bold": bold or regular}
    for key in ("regular", "bold"):
        woff2 = result[key].with_suffix(".woff2")
        if woff2.is_file() and result[key].suffix.lower() != ".woff2":
            result[key + "_woff2"] = woff2
    return result


# --------------------------------------------------------------------------------------
# Fonts
# --------------------------------------------------------------------------------------

_X_ADVANCE = attrgetter("x_advance")  # of a HarfBuzz glyph position

# Characters that make the browser prefer a colour-emoji font for their cluster even when
# the map font has the base character: VS16, keycap, skin-tone modifiers, regional indicators.
_EMOJI_FORCERS = frozenset(
    ["\ufe0f", "\u20e3"]
    + [chr(c) for c in range(0x1F3FB, 0x1F400)]
    + [chr(c) for c in range(0x1F1E6, 0x1F200)]
)


class FontMetrics:
    """A font file opened with HarfBuzz, able to shape and measure text.

    Widths are returned in em (font units / unitsPerEm) so one instance serves all sizes.
    WOFF/WOFF2 files are decompressed first (HarfBuzz silently mis-measures WOFF2 blobs).
    """

    def __init__(self, path: Path) -> None:
        import uharfbuzz as hb

        self.path = Path(path)
        data = self.path.read_bytes()
        if data[:4] in (b"wOF2", b"wOFF"):
            from fontTools.ttLib import TTFont

            tt = TTFont(io.BytesIO(data), recalcTimestamp=False)
            tt.flavor = None
            out = io.BytesIO()
            tt.save(out)
            data = out.getvalue()
        self._hb = hb
        self.face = hb.Face(hb.Blob(data))
        self.font = hb.Font(self.face)
        self.upem: int = self.face.upem
        extents = self.font.get_font_extents("ltr")
        #: Ascender, descender (negative) and line gap, in em.
        self.ascender: float = extents.ascender / self.upem
        self.descender: float = extents.descender / self.upem
        self.line_gap: float = extents.line_gap / self.upem
        #: Characters with a glyph in the font (minus those that force emoji presentation).
        self.covered: frozenset[str] = frozenset(chr(c) for c in self.face.unicodes) - _EMOJI_FORCERS

    def __repr__(self) -> str:
        return f"FontMetrics({str(self.path)!r})"

    def shape_em(self, text: str, script: str | None = None, direction: str | None = None) -> float:
        """Advance width of ``text`` shaped as one run, in em.

        Without ``script``/``direction`` they are guessed from the text by HarfBuzz.
        """
        hb = self._hb
        buf = hb.Buffer()
        buf.add_str(text)
        if script is None:
            buf.guess_segment_properties()
        else:
            buf.script = script
            buf.direction = direction or "ltr"
        hb.shape(self.font, buf)
        return sum(map(_X_ADVANCE, buf.glyph_positions)) / self.upem

    def has_glyphs(self, cluster: str) -> bool:
        """True if the font renders the whole grapheme cluster itself (no fallback)."""
        covered = self.covered
        for ch in cluster:
            if ch not in covered and not _is_default_ignorable(ch):
                return False
        return True

    def width_em(self, text: str) -> float:
        """Width of ``text`` in em: shaped where the font has glyphs, estimated elsewhere."""
        if not text:
            return 0.0
        if text.isascii():
            if self.covered.issuperset(text):
                return self.shape_em(text, "Latn", "ltr")
        elif self.covered.issuperset(text):
            return sum(self.shape_em(item) for item in _script_items(text))
        total = 0.0
        run: list[str] = []
        for cluster in graphemes(text):
            if self.has_glyphs(cluster) and not (_EMOJI_FORCERS.intersection(cluster)):
                run.append(cluster)
                continue
            if run:
                total += sum(self.shape_em(item) for item in _script_items("".join(run)))
                run.clear()
            total += _fallback_em(cluster)
        if run:
            total += sum(self.shape_em(item) for item in _script_items("".join(run)))
        return total


@functools.lru_cache(maxsize=64)
def _load_font(path: Path) -> FontMetrics:
    return FontMetrics(path)


@functools.lru_cache(maxsize=64)
def font_metrics(bold: bool = False, font: Path | None = None) -> FontMetrics:
    """The (cached) :class:`FontMetrics` for a weight of the map font (see :func:`font_files`)."""
    files = font_files(font)
    return _load_font(files["bold" if bold else "regular"].resolve())


# --------------------------------------------------------------------------------------
# Unicode helpers: scripts, grapheme clusters, emoji
# --------------------------------------------------------------------------------------

_script_cache: dict[str, str | None] = {}


def _script_of(ch: str) -> str | None:
    """ISO 15924 script of a character per HarfBuzz, or None for Common/Inherited/Unknown."""
    try:
        return _script_cache[ch]
    except KeyError:
        pass
    if ch.isascii():
        script = "Latn" if ch.isalpha() else None
    else:
        import uharfbuzz as hb

        buf = hb.Buffer()
        buf.add_str(ch)
        buf.guess_segment_properties()
        script = buf.script
        if script in ("Zyyy", "Zinh", "Zzzz"):
            script = None
    _script_cache[ch] = script
    return script


def _script_items(text: str) -> list[str]:
    """Split text into runs of one script each (Common/Inherited characters join the
    surrounding run), as browsers do before shaping."""
    items: list[str] = []
    current: str | None = None
    start = 0
    for i, ch in enumerate(text):
        script = _script_of(ch)
        if script is None or script == current:
            continue
        if current is not None:
            items.append(text[start:i])
            start = i
        current = script
    items.append(text[start:])
    return items


# Extended_Pictographic (emoji-data.txt, Unicode 17.0, as used by current ICU/regex), as
# inclusive ranges.
_EXT_PICT_RANGES: tuple[tuple[int, int], ...] = (
    (0x00A9, 0x00A9), (0x00AE, 0x00AE), (0x203C, 0x203C), (0x2049, 0x2049),
    (0x2122, 0x2122), (0x2139, 0x2139), (0x2194, 0x2199), (0x21A9, 0x21AA),
    (0x231A, 0x231B), (0x2328, 0x2328), (0x23CF, 0x23CF), (0x23E9, 0x23F3),
    (0x23F8, 0x23FA), (0x24C2, 0x24C2), (0x25AA, 0x25AB), (0x25B6, 0x25B6),
    (0x25C0, 0x25C0), (0x25FB, 0x25FE), (0x2600, 0x2604), (0x260E, 0x260E),
    (0x2611, 0x2611), (0x2614, 0x2615), (0x2618, 0x2618), (0x261D, 0x261D),
    (0x2620, 0x2620), (0x2622, 0x2623), (0x2626, 0x2626), (0x262A, 0x262A),
    (0x262E, 0x262F), (0x2638, 0x263A), (0x2640, 0x2640), (0x2642, 0x2642),
    (0x2648, 0x2653), (0x265F, 0x2660), (0x2663, 0x2663), (0x2665, 0x2666),
    (0x2668, 0x2668), (0x267B, 0x267B), (0x267E, 0x267F), (0x2692, 0x2697),
    (0x2699, 0x2699), (0x269B, 0x269C), (0x26A0, 0x26A1), (0x26A7, 0x26A7),
    (0x26AA, 0x26AB), (0x26B0, 0x26B1), (0x26BD, 0x26BE), (0x26C4, 0x26C5),
    (0x26C8, 0x26C8), (0x26CE, 0x26CF), (0x26D1, 0x26D1), (0x26D3, 0x26D4),
    (0x26E9, 0x26EA), (0x26F0, 0x26F5), (0x26F7, 0x26FA), (0x26FD, 0x26FD),
    (0x2702, 0x2702), (0x2705, 0x2705), (0x2708, 0x270D), (0x270F, 0x270F),
    (0x2712, 0x2712), (0x2714, 0x2714), (0x2716, 0x2716), (0x271D, 0x271D),
    (0x2721, 0x2721), (0x2728, 0x2728), (0x2733, 0x2734), (0x2744, 0x2744),
    (0x2747, 0x2747), (0x274C, 0x274C), (0x274E, 0x274E), (0x2753, 0x2755),
    (0x2757, 0x2757), (0x2763, 0x2764), (0x2795, 0x2797), (0x27A1, 0x27A1),
    (0x27B0, 0x27B0), (0x27BF, 0x27BF), (0x2934, 0x2935), (0x2B05, 0x2B07),
    (0x2B1B, 0x2B1C), (0x2B50, 0x2B50), (0x2B55, 0x2B55), (0x3030, 0x3030),
    (0x303D, 0x303D), (0x3297, 0x3297), (0x3299, 0x3299), (0x1F004, 0x1F004),
    (0x1F02C, 0x1F02F), (0x1F094, 0x1F09F), (0x1F0AF, 0x1F0B0), (0x1F0C0, 0x1F0C0),
    (0x1F0CF, 0x1F0D0), (0x1F0F6, 0x1F0FF), (0x1F170, 0x1F171), (0x1F17E, 0x1F17F),
    (0x1F18E, 0x1F18E), (0x1F191, 0x1F19A), (0x1F1AE, 0x1F1E5), (0x1F201, 0x1F20F),
    (0x1F21A, 0x1F21A), (0x1F22F, 0x1F22F), (0x1F232, 0x1F23A), (0x1F23C, 0x1F23F),
    (0x1F249, 0x1F25F), (0x1F266, 0x1F321), (0x1F324, 0x1F393), (0x1F396, 0x1F397),
    (0x1F399, 0x1F39B), (0x1F39E, 0x1F3F0), (0x1F3F3, 0x1F3F5), (0x1F3F7, 0x1F3FA),
    (0x1F400, 0x1F4FD), (0x1F4FF, 0x1F53D), (0x1F549, 0x1F54E), (0x1F550, 0x1F567),
    (0x1F56F, 0x1F570), (0x1F573, 0x1F57A), (0x1F587, 0x1F587), (0x1F58A, 0x1F58D),
    (0x1F590, 0x1F590), (0x1F595, 0x1F596), (0x1F5A4, 0x1F5A5), (0x1F5A8, 0x1F5A8),
    (0x1F5B1, 0x1F5B2), (0x1F5BC, 0x1F5BC), (0x1F5C2, 0x1F5C4), (0x1F5D1, 0x1F5D3),
    (0x1F5DC, 0x1F5DE), (0x1F5E1, 0x1F5E1), (0x1F5E3, 0x1F5E3), (0x1F5E8, 0x1F5E8),
    (0x1F5EF, 0x1F5EF), (0x1F5F3, 0x1F5F3), (0x1F5FA, 0x1F64F), (0x1F680, 0x1F6C5),
    (0x1F6CB, 0x1F6D2), (0x1F6D5, 0x1F6E5), (0x1F6E9, 0x1F6E9), (0x1F6EB, 0x1F6F0),
    (0x1F6F3, 0x1F6FF), (0x1F7DA, 0x1F7FF), (0x1F80C, 0x1F80F), (0x1F848, 0x1F84F),
    (0x1F85A, 0x1F85F), (0x1F888, 0x1F88F), (0x1F8AE, 0x1F8AF), (0x1F8BC, 0x1F8BF),
    (0x1F8C2, 0x1F8CF), (0x1F8D9, 0x1F8FF), (0x1F90C, 0x1F93A), (0x1F93C, 0x1F945),
    (0x1F947, 0x1F9FF), (0x1FA58, 0x1FA5F), (0x1FA6E, 0x1FAFF), (0x1FC00, 0x1FFFD),
)
_EXT_PICT_STARTS = [r[0] for r in _EXT_PICT_RANGES]


def _is_ext_pict(cp: int) -> bool:
    i = bisect.bisect_right(_EXT_PICT_STARTS, cp) - 1
    return i >= 0 and cp <= _EXT_PICT_RANGES[i][1]


def _is_default_ignorable(ch: str) -> bool:
    """Default_Ignorable_Code_Point (approximately): invisible, zero width when the font lacks it."""
    cp = ord(ch)
    return (
        cp in (0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFEFF, 0xFFA0)
        or 0x180B <= cp <= 0x180F
        or 0x200B <= cp <= 0x200F
        or 0x202A <= cp <= 0x202E
        or 0x2060 <= cp <= 0x206F
        or 0xFE00 <= cp <= 0xFE0F
        or 0xFFF0 <= cp <= 0xFFF8
        or 0x1BCA0 <= cp <= 0x1BCA3
        or 0x1D173 <= cp <= 0x1D17A
        or 0xE0000 <= cp <= 0xE0FFF
    )


# Grapheme_Cluster_Break property values (UAX #29).
_OTHER, _CR, _LF, _CONTROL, _EXTEND, _ZWJ, _RI, _PREPEND, _SPACINGMARK, _L, _V, _T, _LV, _LVT = range(14)
_PREPEND_CPS = frozenset(
    [0x0600, 0x0601, 0x0602, 0x0603, 0x0604, 0x0605, 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2,
     0x0D4E, 0x110BD, 0x110CD, 0x111C2, 0x111C3, 0x1193F, 0x11941, 0x11A3A, 0x11A84, 0x11A85,
     0x11A86, 0x11A87, 0x11A88, 0x11A89, 0x11D46]
)
# Spacing marks (Mc) that are nevertheless not SpacingMark (Myanmar, Tai Tham, ...).
_MC_NOT_SPACINGMARK = frozenset(
    [0x102B, 0x102C, 0x1038, 0x1062, 0x1063, 0x1064, 0x1067, 0x1068, 0x1069, 0x106A, 0x106B,
     0x106C, 0x106D, 0x1083, 0x1087, 0x1088, 0x1089, 0x108A, 0x108B, 0x108C, 0x108F, 0x109A,
     0x109B, 0x109C, 0x1A61, 0x1A63, 0x1A64, 0xAA7B, 0xAA7D, 0x11720, 0x11721]
)
# Spacing marks (Mc) with Other_Grapheme_Extend: Extend, not SpacingMark.
_MC_EXTEND = frozenset(
    [0x09BE, 0x09D7, 0x0B3E, 0x0B57, 0x0BBE, 0x0BD7, 0x0CC2, 0x0CD5, 0x0CD6, 0x0D3E, 0x0D57,
     0x0DCF, 0x0DDF, 0x1B35, 0x302E, 0x302F, 0x1133E, 0x11357, 0x114B0, 0x114BD, 0x115AF,
     0x11930, 0x1D165, 0x1D16E, 0x1D16F, 0x1D170, 0x1D171, 0x1D172]
)
_gcb_cache: dict[str, int] = {}


def _gcb(ch: str) -> int:
    """Grapheme_Cluster_Break property of a character (approximated from General_Category)."""
    try:
        return _gcb_cache[ch]
    except KeyError:
        pass
    cp = ord(ch)
    if cp == 0x0D:
        prop = _CR
    elif cp == 0x0A:
        prop = _LF
    elif cp == 0x200D:
        prop = _ZWJ
    elif 0x1F1E6 <= cp <= 0x1F1FF:
        prop = _RI
    elif 0x1100 <= cp <= 0x115F or 0xA960 <= cp <= 0xA97C:
        prop = _L
    elif 0x1160 <= cp <= 0x11A7 or 0xD7B0 <= cp <= 0xD7C6:
        prop = _V
    elif 0x11A8 <= cp <= 0x11FF or 0xD7CB <= cp <= 0xD7FB:
        prop = _T
    elif 0xAC00 <= cp <= 0xD7A3:
        prop = _LV if (cp - 0xAC00) % 28 == 0 else _LVT
    elif (cp == 0x200C or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F
          or 0xFF9E <= cp <= 0xFF9F):
        prop = _EXTEND
    elif cp in _PREPEND_CPS:
        prop = _PREPEND
    elif cp in (0x0E33, 0x0EB3):  # Thai/Lao SARA AM: Lo, but SpacingMark
        prop = _SPACINGMARK
    elif cp in _MC_NOT_SPACINGMARK:
        prop = _OTHER
    elif cp in _MC_EXTEND:
        prop = _EXTEND
    else:
        cat = unicodedata.category(ch)
        if cat in ("Mn", "Me"):
            prop = _EXTEND
        elif cat == "Mc":
            prop = _SPACINGMARK
        elif cat in ("Cc", "Zl", "Zp", "Cf") or (cat == "Cn" and _is_default_ignorable(ch)):
            prop = _CONTROL
        else:
            prop = _OTHER
    _gcb_cache[ch] = prop
    return prop


def graphemes(text: str) -> list[str]:
    """Split text into extended grapheme clusters (UAX #29, without the Indic conjunct rule).

    Handles CR LF, combining marks, spacing marks, Hangul syllables, ZWJ emoji sequences,
    variation selectors, emoji modifiers, tag sequences and regional-indicator pairs.
    """
    if text.isascii():
        if "\r\n" not in text:
            return list(text)
    out: list[str] = []
    start = 0
    prev = -1
    ri_odd = False  # an odd number of regional indicators precede (in the current run)
    pict = False  # inside ExtPict Extend* ...
    pict_zwj = False  # ... followed by ZWJ
    for i, ch in enumerate(text):
        cur = _gcb(ch)
        if prev < 0:
            brk = False
        elif prev == _CR and cur == _LF:
            brk = False
        elif prev in (_CONTROL, _CR, _LF) or cur in (_CONTROL, _CR, _LF):
            brk = True
        elif prev == _L and cur in (_L, _V, _LV, _LVT):
            brk = False
        elif prev in (_LV, _V) and cur in (_V, _T):
            brk = False
        elif prev in (_LVT, _T) and cur == _T:
            brk = False
        elif cur in (_EXTEND, _ZWJ, _SPACINGMARK) or prev == _PREPEND:
            brk = False
        elif pict_zwj and prev == _ZWJ and _is_ext_pict(ord(ch)):
            brk = False
        elif prev == _RI and cur == _RI:
            brk = not ri_odd
        else:
            brk = True
        if brk:
            out.append(text[start:i])
            start = i
        # Update the emoji-sequence and regional-indicator state.
        if _is_ext_pict(ord(ch)):
            pict, pict_zwj = True, False
        elif cur == _EXTEND and pict:
            pict_zwj = False
        elif cur == _ZWJ and pict:
            pict, pict_zwj = False, True
        else:
            pict = pict_zwj = False
        ri_odd = (not ri_odd) if cur == _RI else False
        prev = cur
    if start < len(text):
        out.append(text[start:])
    return out


def _is_emoji_cluster(cluster: str) -> bool:
    return _is_ext_pict(ord(cluster[0])) or bool(_EMOJI_FORCERS.intersection(cluster))


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _is_complex_script(ch: str) -> bool:
    cp = ord(ch)
    return 0x0900 <= cp <= 0x109F or 0x1780 <= cp <= 0x17FF or 0xA8E0 <= cp <= 0xA8FF


def _fallback_em(cluster: str) -> float:
    """Conservative width estimate (em) of a grapheme cluster the font cannot render."""
    if all(_is_default_ignorable(ch) for ch in cluster):
        return 0.0
    if _is_emoji_cluster(cluster):
        base = EMOJI_EM
    elif _is_wide(cluster[0]):
        base = WIDE_EM
    elif _is_complex_script(cluster[0]):
        base = COMPLEX_EM
    else:
        base = NARROW_EM
    return base * (1.0 + FALLBACK_MARGIN)


# --------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------

_CACHE_LIMIT = 500_000
# Key: (text, bold, font) -> width in em.  Widths scale linearly with the font size (no
# hinting in Chromium's SVG text), so one entry serves every size.
_cache: dict[tuple[str, bool, Path | None], float] = {}
_COLLAPSIBLE_WS = re.compile(r"[ \t\n\r\f]+")


def _collapse_whitespace(text: str) -> str:
    """What SVG/CSS default white-space processing leaves of a text: runs of spaces, tabs and
    line breaks become one space, leading and trailing ones disappear (NBSP is kept)."""
    if "  " in text or text[:1] == " " or text[-1:] == " " or not text.isprintable():
        return _COLLAPSIBLE_WS.sub(" ", text).strip(" ")
    return text


def clear_cache() -> None:
    """Forget all cached measurements (fonts stay loaded)."""
    _cache.clear()


def measure(text: str, size: float, bold: bool = False, font: Path | None = None) -> float:
    """Advance width of ``text`` in px at ``size`` px, as Chromium's getComputedTextLength.

    The text is measured as one line the way an SVG ``<text>`` with default white-space
    handling shows it: runs of spaces/tabs/line breaks count as one space and leading or
    trailing ones are ignored (as in Chromium).  The result is rounded up to 1/64 px like
    Chromium's.  Characters missing from the font get conservative estimates (see module docs).
    """
    key = (text, bold, font)
    em = _cache.get(key)
    if em is None:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        em = font_metrics(bold, font).width_em(_collapse_whitespace(text))
        _cache[key] = em
    return math.ceil(em * size * 64.0 - 1e-6) / 64.0


# --------------------------------------------------------------------------------------
# Wrapping and truncation
# --------------------------------------------------------------------------------------


@dataclass
class Wrapped:
    """Result of :func:`wrap`: the lines, and whether text was dropped to honour ``max_lines``
    (then the last line ends with ``…``)."""

    lines: list[str] = field(default_factory=list)
    truncated: bool = False


# Line-break opportunities: spaces break (and are dropped); NBSP, U+2007 and U+202F do not.
_BREAK_SPACES = re.compile(r"[ \t\f\v\u1680\u2000-\u2006\u2008-\u200a\u205f\u3000]+")
# Closing punctuation, small kana etc. that must not start a line (kinsoku), and opening
# punctuation that must not end one.
_NO_BREAK_BEFORE = frozenset(
    "、。，．,.:;!?！？：；)]}）］｝〕〉》」』】〙〗〟’”»›ー々ゝゞヽヾ・‥…〜～%‰℃"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
    "\u00a0\u2007\u202f\u2060\ufeff"
)
_NO_BREAK_AFTER = frozenset("([{（［｛〔〈《「『【〘〖〝‘“«‹\u00a0\u2007\u202f\u2060\ufeff")
_HYPHENS = frozenset("-\u2010\u2013\u2014")


def _breaks_anywhere(cluster: str) -> bool:
    """Ideographic-like clusters (CJK, kana, Hangul, fullwidth forms, emoji) that allow a
    line break before and after them."""
    ch = cluster[0]
    return _is_wide(ch) or _is_ext_pict(ord(ch)) or "\U0001F1E6" <= ch <= "\U0001F1FF"


def _word_pieces(word: str) -> list[str]:
    """Split a space-free word at its internal break opportunities: around CJK/emoji
    clusters, after a zero-width space, and after a hyphen between letters."""
    if word.isascii() and "-" not in word:
        return [word]
    clusters = graphemes(word)
    pieces: list[str] = []
    start = 0
    for i in range(1, len(clusters)):
        prev, cur = clusters[i - 1], clusters[i]
        if cur[0] in _NO_BREAK_BEFORE or prev[-1] in _NO_BREAK_AFTER:
            continue
        if (
            _breaks_anywhere(prev)
            or _breaks_anywhere(cur)
            or prev[-1] == "\u200b"
            or (prev[0] in _HYPHENS and i >= 2 and clusters[i - 2][0].isalpha() and cur[0].isalpha())
        ):
            pieces.append("".join(clusters[start:i]))
            start = i
    pieces.append("".join(clusters[start:]))
    return pieces


def _fit_prefix(text: str, width: float, size: float, bold: bool, font: Path | None,
                suffix: str = "") -> str:
    """Longest grapheme prefix ``p`` of ``text`` with ``p.rstrip() + suffix`` no wider than
    ``width`` (returned with the suffix), or ``""`` if not even the suffix fits."""
    clusters = graphemes(text)

    def fits(n: int) -> bool:
        return measure("".join(clusters[:n]).rstrip() + suffix, size, bold, font) <= width

    lo, hi = 0, len(clusters)  # fits(lo) is assumed; find the largest n that fits.
    if not fits(0):
        return ""
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return "".join(clusters[:lo]).rstrip() + suffix


def _paragraph_lines(paragraph: str, width: float, size: float, bold: bool,
                     font: Path | None) -> Iterator[str]:
    """Greedy line breaking of one paragraph (no hard line breaks inside)."""
    current = ""
    for word in _BREAK_SPACES.split(paragraph):
        if not word:
            continue
        for p_index, piece in enumerate(_word_pieces(word)):
            if current:
                sep = " " if p_index == 0 else ""
                candidate = current + sep + piece
                if measure(candidate, size, bold, font) <= width:
                    current = candidate
                    continue
                yield current
                current = ""
            if measure(piece, size, bold, font) <= width:
                current = piece
                continue
            # A piece wider than the line: break it between grapheme clusters.
            for cluster in graphemes(piece):
                candidate = current + cluster
                if current and measure(candidate, size, bold, font) > width:
                    yield current
                    current = cluster
                else:
                    current = candidate
    if current:
        yield current


def wrap(text: str, width: float, size: float, bold: bool = False,
         max_lines: int | None = None, font: Path | None = None) -> Wrapped:
    """Break ``text`` into lines no wider than ``width`` px at font size ``size``.

    Greedy: breaks at spaces (which are dropped), between CJK/emoji clusters, after
    zero-width spaces and after hyphens inside words; respects line breaks in the text
    (``\\n``; an empty paragraph gives an empty line).  A word wider than ``width`` is broken
    between grapheme clusters; grapheme clusters are never split (a single cluster wider
    than ``width`` gets a line of its own and overflows).  With ``max_lines``, text beyond
    that many lines is dropped, the last kept line ends with ``…`` and still fits, and
    ``truncated`` is True (if not even ``…`` fits, that line is empty).

    Returns a :class:`Wrapped`; ``lines`` is empty for empty or blank text.
    """
    if max_lines is not None and max_lines < 1:
        raise ValueError("max_lines must be at least 1")
    paragraphs = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    filled = [i for i, p in enumerate(paragraphs) if _BREAK_SPACES.sub("", p)]
    if not filled:
        return Wrapped([], False)
    paragraphs = paragraphs[filled[0]:filled[-1] + 1]  # drop leading/trailing blank lines
    lines: list[str] = []
    limit = None if max_lines is None else max_lines + 1
    for paragraph in paragraphs:
        produced = False
        for line in _paragraph_lines(paragraph, width, size, bold, font):
            lines.append(line)
            produced = True
            if limit is not None and len(lines) >= limit:
                break
        if not produced:
            lines.append("")
        if limit is not None and len(lines) >= limit:
            break
    if max_lines is None or len(lines) <= max_lines:
        return Wrapped(lines, False)
    lines = lines[:max_lines]
    lines[-1] = _fit_prefix(lines[-1], width, size, bold, font, ELLIPSIS)
    return Wrapped(lines, True)


def ellipsize(text: str, width: float, size: float, bold: bool = False,
              font: Path | None = None) -> str:
    """``text`` unchanged if it fits ``width`` px, else its longest grapheme prefix that fits
    followed by ``…`` (trailing spaces before the ``…`` are dropped; ``""`` if not even
    ``…`` fits)."""
    if measure(text, size, bold, font) <= width:
        return text
    return _fit_prefix(text, width, size, bold, font, ELLIPSIS)


# --------------------------------------------------------------------------------------
# Embedding
# --------------------------------------------------------------------------------------


#: Folder where font subsets are kept between processes (build.py sets it to the build cache):
#: subsetting takes about a second per font, and every build process would otherwise pay it again.
SUBSET_CACHE_DIR: Path | None = None


@functools.lru_cache(maxsize=32)
def _subset_woff2(path: Path, chars: str) -> bytes:
    folder = SUBSET_CACHE_DIR
    if folder is None:
        return _make_subset(path, chars)
    import hashlib
    import os
    import tempfile

    import fontTools

    key = hashlib.blake2b(path.read_bytes() + b"\0" + chars.encode("utf-8") + b"\0" + fontTools.version.encode(),
                          digest_size=16).hexdigest()
    cached = folder / f"subset-{key}.woff2"
    try:
        return cached.read_bytes()
    except OSError:
        pass
    # Workers that need the same subset at once (a build's first maps) make it once: the others wait
    # for it (0.7 s of CPU each at 5,000 touchpoints), while the build's other processes use the cores.
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
    with _cache_lock(folder / f"subset-{key}.lock"):
        try:
            return cached.read_bytes()  # made while this process waited
        except OSError:
            pass
        data = _make_subset(path, chars)
        try:
            handle, temp = tempfile.mkstemp(dir=folder, suffix=".tmp")
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temp, cached)
        except OSError:
            pass  # an unwritable cache only costs time
    return data


@contextlib.contextmanager
def _cache_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` between processes (none where the platform or folder has none)."""
    try:
        import fcntl

        handle = open(path, "a+b")  # noqa: SIM115 - closed below, after the lock is released
    except (ImportError, OSError):
        yield
        return
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except OSError:
            pass
        yield
    finally:
        handle.close()  # releases the lock


def _make_subset(path: Path, chars: str) -> bytes:
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff2"
    options.recalc_timestamp = False  # keep head.modified: identical input -> identical bytes
    options.name_IDs = ["*"]  # keep copyright and licence strings (OFL)
    options.notdef_outline = True
    options.layout_features = ["*"]  # keep kerning, ligatures, contextual alternates...
    tt = subset.load_font(str(path), options, dontLoadGlyphNames=True)
    try:
        subsetter = subset.Subsetter(options=options)
        subsetter.populate(text=chars)
        subsetter.subset(tt)
        out = io.BytesIO()
        subset.save_font(tt, out, options)
    finally:
        tt.close()
    return out.getvalue()


def subset_font_data_uri(path: Path, text: str) -> str:
    """A ``data:font/woff2;base64,…`` URI of the font at ``path`` reduced to the characters
    of ``text`` (plus space and ``…``), for embedding in standalone SVG files.

    Deterministic: the same font and the same set of characters give the same bytes.
    """
    chars = "".join(sorted(set(text) | {" ", ELLIPSIS}))
    data = _subset_woff2(Path(path).resolve(), chars)
    return "data:font/woff2;base64," + base64.b64encode(data).decode("ascii")
