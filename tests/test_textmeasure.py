"""Tests for journeymap.textmeasure (HarfBuzz text measurement, wrapping, font embedding)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from conftest import require
from journeymap import textmeasure as tm

ELL = "\u2026"
FAMILY = "\U0001F468\u200d\U0001F469\u200d\U0001F467"  # 👨‍👩‍👧
FLAG_JP = "\U0001F1EF\U0001F1F5"  # 🇯🇵
E_ACUTE = "e\u0301"  # e + combining acute
THUMBS_MEDIUM = "\U0001F44D\U0001F3FD"  # 👍🏽
HEART = "\u2764\ufe0f"  # ❤️
KEYCAP = "1\ufe0f\u20e3"  # 1️⃣
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _no_space(s: str) -> str:
    return "".join(ch for ch in s if not ch.isspace())


# --------------------------------------------------------------------------------------
# Fonts and loading
# --------------------------------------------------------------------------------------


def test_bundled_font_files_exist() -> None:
    files = tm.font_files()
    assert files["regular"].is_file() and files["bold"].is_file()
    assert files["regular"] != files["bold"]
    assert files["regular"].read_bytes()[:4] in (b"OTTO", b"\x00\x01\x00\x00")
    assert files["regular_woff2"].read_bytes()[:4] == b"wOF2"
    assert files["bold_woff2"].read_bytes()[:4] == b"wOF2"
    assert (tm.DEFAULT_FONT_DIR / "OFL.txt").is_file()
    assert "SIL OPEN FONT LICENSE" in (tm.DEFAULT_FONT_DIR / "OFL.txt").read_text(encoding="utf-8")


def test_font_files_for_a_single_custom_file(tmp_path: Path) -> None:
    regular = tmp_path / "Foo-Regular.otf"
    regular.write_bytes(tm.font_files()["regular"].read_bytes())
    assert tm.font_files(regular) == {"regular": regular, "bold": regular}
    bold = tmp_path / "Foo-Bold.otf"
    bold.write_bytes(tm.font_files()["bold"].read_bytes())
    assert tm.font_files(regular)["bold"] == bold
    assert tm.font_files(tmp_path) == {"regular": regular, "bold": bold}
    with pytest.raises(FileNotFoundError):
        tm.font_files(tmp_path / "missing.otf")


def test_import_is_cheap_and_loads_no_font() -> None:
    code = (
        "import journeymap.textmeasure as t;"
        "assert t._load_font.cache_info().currsize == 0;"
        "assert t.font_metrics.cache_info().currsize == 0;"
        "assert not t._cache"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_woff2_input_is_decompressed_before_measuring() -> None:
    files = tm.font_files()
    otf = tm.FontMetrics(files["regular"])
    woff2 = tm.FontMetrics(files["regular_woff2"])
    for text in ("Hello world", "AVATAR Wave", "façade naïve"):
        assert woff2.width_em(text) == pytest.approx(otf.width_em(text))


# --------------------------------------------------------------------------------------
# measure()
# --------------------------------------------------------------------------------------


def test_measure_is_monotonic_and_scales_with_size() -> None:
    hello, hello_world = tm.measure("Hello", 16), tm.measure("Hello world", 16)
    assert 0 < hello < hello_world
    assert tm.measure("", 16) == 0
    assert tm.measure("Hello world", 32) == pytest.approx(2 * hello_world, abs=1 / 32)
    assert tm.measure("Hello world", 16, bold=True) > hello_world


def test_measure_known_chromium_values() -> None:
    # getComputedTextLength() in Chromium for <text font-family="Inter" font-size="16">,
    # with the bundled Inter 3.019 WOFF2 loaded through @font-face.
    assert tm.measure("Hello", 16) == pytest.approx(38.297, abs=0.02)
    assert tm.measure("Hello world", 16) == pytest.approx(84.734, abs=0.02)
    assert tm.measure("AVATAR Wave", 16) == pytest.approx(104.438, abs=0.02)
    assert tm.measure("Hello world", 16, bold=True) == pytest.approx(88.0, abs=0.02)


def test_kerning_is_applied() -> None:
    for size in (12, 16, 40):
        assert tm.measure("AV", size) < tm.measure("A", size) + tm.measure("V", size)
        assert tm.measure("To", size) < tm.measure("T", size) + tm.measure("o", size)


def test_whitespace_is_collapsed_like_svg_text() -> None:
    assert tm.measure("  Hello   world ", 16) == tm.measure("Hello world", 16)
    assert tm.measure("Hello\nworld", 16) == tm.measure("Hello world", 16)
    # A no-break space is not collapsible.
    assert tm.measure("Hello\u00a0\u00a0world", 16) > tm.measure("Hello world", 16)


def test_decomposed_accent_measures_like_precomposed() -> None:
    assert tm.measure(E_ACUTE, 16) == tm.measure("\u00e9", 16)


def test_missing_glyph_width_is_conservative() -> None:
    size = 16
    for cjk in ("日本語", "テキスト", "한국어", "中文字符"):
        assert tm.measure(cjk, size) >= 0.9 * size * len(cjk)
    # One emoji-sized estimate per emoji cluster, however many code points it has.
    for emoji in ("\U0001F600", FAMILY, FLAG_JP, THUMBS_MEDIUM, HEART, KEYCAP):
        width = tm.measure(emoji, size)
        assert 1.0 * size <= width <= 1.5 * size, emoji
    assert tm.measure(FAMILY + FLAG_JP, size) == pytest.approx(2 * tm.measure(FLAG_JP, size), abs=0.1)
    # Other scripts Inter lacks get at least 0.6 em per cluster.
    assert tm.measure("שלום", size) >= 0.6 * size * 4


def test_measure_cache_is_fast() -> None:
    strings = [f"Label {i}" for i in range(1000)]
    for s in strings:
        tm.measure(s, 14)
    start = time.perf_counter()
    for i in range(100_000):
        tm.measure(strings[i % 1000], 14)
    assert time.perf_counter() - start < 1.0


def test_rtl_text_is_shaped_with_its_script() -> None:
    require(DEJAVU.is_file(), "needs DejaVu Sans for Hebrew and Arabic glyphs (apt-get install fonts-dejavu-core)")
    metrics = tm.FontMetrics(DEJAVU)
    arabic = "مرحبا بالعالم"
    hebrew = "שלום עולם"
    assert metrics.has_glyphs(arabic) and metrics.has_glyphs(hebrew)
    # Arabic must be shaped as Arabic (joining forms) and right-to-left.
    as_arabic = metrics.shape_em(arabic, "Arab", "rtl")
    assert metrics.width_em(arabic) == pytest.approx(as_arabic)
    assert as_arabic != pytest.approx(metrics.shape_em(arabic, "Latn", "ltr"))
    # Values seen in Chromium (getComputedTextLength, DejaVu Sans, 16px).
    assert tm.measure(arabic, 16, font=DEJAVU) == pytest.approx(84.406, abs=0.05)
    assert tm.measure(hebrew, 16, font=DEJAVU) == pytest.approx(74.578, abs=0.05)
    assert tm.measure("Hello שלום world", 16, font=DEJAVU) == pytest.approx(130.188, abs=0.05)
    assert tm.measure("abc مرحبا 123", 16, font=DEJAVU) == pytest.approx(106.469, abs=0.05)


# --------------------------------------------------------------------------------------
# Grapheme clusters
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("abc", ["a", "b", "c"]),
        ("a\r\nb", ["a", "\r\n", "b"]),
        (E_ACUTE + "x", [E_ACUTE, "x"]),
        ("x" + FAMILY + "y", ["x", FAMILY, "y"]),
        (FLAG_JP + FLAG_JP, [FLAG_JP, FLAG_JP]),
        ("\U0001F1EF" + FLAG_JP, ["\U0001F1EF\U0001F1EF", "\U0001F1F5"]),  # RIs pair up
        (THUMBS_MEDIUM + HEART + KEYCAP, [THUMBS_MEDIUM, HEART, KEYCAP]),
        ("\u1100\u1161\u11a8\uac00", ["\u1100\u1161\u11a8", "\uac00"]),
        ("\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F", [
            "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F"]),
        ("עִבְרִית", ["עִ", "בְ", "רִ", "י", "ת"]),
    ],
)
def test_graphemes(text: str, expected: list[str]) -> None:
    assert tm.graphemes(text) == expected
    assert "".join(tm.graphemes(text)) == text


_GRAPHEME_ALPHABET = list("ab Z9,-\r\n\t") + [
    "\u0301", "\u0308", "\u20e3", "\u200d", "\u200c", "\ufe0f", "\ufe0e", "\U0001F3FB",
    "\U0001F1EF", "\U0001F1F5", "\U0001F468", "\U0001F469", "\u2764", "\U0001F600", "\u00a9",
    "\u65e5", "\u3042", "\u05e9", "\u05b8", "\u0645", "\u064e", "\u0600", "\u1100", "\u1161",
    "\u11a8", "\uac00", "\uac01", "\u0e01", "\u0e33", "\U000E0067", "\U000E007F", "\u00ad",
]


@given(st.text(alphabet=st.sampled_from(_GRAPHEME_ALPHABET), max_size=12))
def test_graphemes_agree_with_regex_X(text: str) -> None:
    import regex  # in the test extra: a missing package fails, never skips
    assert tm.graphemes(text) == regex.findall(r"\X", text)


# --------------------------------------------------------------------------------------
# wrap() and ellipsize()
# --------------------------------------------------------------------------------------

_ATOMS = [
    "journey", "map", "Customer", "onboarding", "AVATAR", "Wave", "a", "I", "ok,", "fine.",
    "very-long-hyphenated-word", "Donaudampfschifffahrtsgesellschaft", "façade", "naïve",
    "日本語", "のテキスト", "です。", "中文", "한국어", "😀", FAMILY, FLAG_JP, THUMBS_MEDIUM,
    HEART, KEYCAP, E_ACUTE, "a\u0308\u0301", "שלום", "עולם", "مرحبا", "بالعالم", "Ελληνικά",
    "Русский", "x\u00a0y", "1,000", "(test)", "\u2014", "\u200b",
]
_SEPARATORS = ["", " ", " ", " ", "  ", "\t", "\n"]

texts = st.lists(
    st.tuples(st.sampled_from(_ATOMS), st.sampled_from(_SEPARATORS)), max_size=20
).map(lambda parts: "".join(a + s for a, s in parts))
sizes = st.sampled_from([10, 12, 13.5, 16, 20])
# Wide enough for any single grapheme cluster (emoji: 1.3125 em) so lines can always fit.
width_factors = st.floats(min_value=1.4, max_value=30.0)


def _cluster_set(text: str) -> set[str]:
    """Grapheme clusters of a text, whitespace left out (wrap() turns breaks into spaces, and
    a space before a word that starts with a mark joins that mark's cluster)."""
    return {c.lstrip() for c in tm.graphemes(text) if not c.isspace()}


@given(texts, sizes, width_factors, st.booleans())
def test_wrap_lines_fit_and_preserve_text(text: str, size: float, factor: float, bold: bool) -> None:
    width = factor * size
    result = tm.wrap(text, width, size, bold)
    assert result.truncated is False
    for line in result.lines:
        assert tm.measure(line, size, bold) <= width, (line, width)
        assert line == line.strip(" "), "lines carry no leading/trailing spaces"
        # No line contains part of a grapheme cluster.
        assert _cluster_set(line) <= _cluster_set(text), line
    assert _no_space("".join(result.lines)) == _no_space(text)


@given(st.text(max_size=60), sizes)
def test_wrap_arbitrary_unicode(text: str, size: float) -> None:
    width = 20 * size
    result = tm.wrap(text, width, size)
    for line in result.lines:
        assert tm.measure(line, size) <= width, (line, width)
        assert _cluster_set(line) <= _cluster_set(text), line
    assert _no_space("".join(result.lines)) == _no_space(text)


@given(texts, sizes, width_factors, st.integers(min_value=1, max_value=3), st.booleans())
def test_wrap_max_lines_ellipsis_fits(text: str, size: float, factor: float, max_lines: int,
                                      bold: bool) -> None:
    width = factor * size
    full = tm.wrap(text, width, size, bold)
    result = tm.wrap(text, width, size, bold, max_lines=max_lines)
    assert len(result.lines) <= max_lines
    for line in result.lines:
        assert tm.measure(line, size, bold) <= width, (line, width)
    if len(full.lines) <= max_lines:
        assert result.truncated is False
        assert result.lines == full.lines
    else:
        assert result.truncated is True
        assert result.lines[:-1] == full.lines[: max_lines - 1]
        assert result.lines[-1].endswith(ELL)
        kept = result.lines[-1][: -len(ELL)]
        assert full.lines[max_lines - 1].startswith(kept)
        assert _cluster_set(kept) <= _cluster_set(text)


@given(texts, sizes, st.floats(min_value=0.0, max_value=30.0))
def test_ellipsize_fits(text: str, size: float, factor: float) -> None:
    width = factor * size
    out = tm.ellipsize(text, width, size)
    if tm.measure(text, size) <= width:
        assert out == text
    else:
        assert out == "" or out.endswith(ELL)
        assert tm.measure(out, size) <= width
        assert text.startswith(out[: -len(ELL)] if out else "")


def test_wrap_basic() -> None:
    size = 14
    text = "The quick brown fox jumps over the lazy dog"
    result = tm.wrap(text, 100, size)
    assert len(result.lines) > 1 and not result.truncated
    assert " ".join(result.lines) == text
    assert all(tm.measure(line, size) <= 100 for line in result.lines)
    assert tm.wrap("short", 500, size) == tm.Wrapped(["short"], False)
    assert tm.wrap("", 100, size) == tm.Wrapped([], False)
    assert tm.wrap("   \n  ", 100, size) == tm.Wrapped([], False)
    with pytest.raises(ValueError):
        tm.wrap(text, 100, size, max_lines=0)


def test_wrap_respects_hard_line_breaks() -> None:
    assert tm.wrap("one\ntwo", 500, 14).lines == ["one", "two"]
    assert tm.wrap("one\n\ntwo\n", 500, 14).lines == ["one", "", "two"]


def test_wrap_breaks_cjk_between_characters() -> None:
    size = 16
    text = "日本語のテキストを折り返す"
    result = tm.wrap(text, 4.5 * size, size)
    assert len(result.lines) >= 3
    assert "".join(result.lines) == text
    assert all(tm.measure(line, size) <= 4.5 * size for line in result.lines)
    # Kinsoku: a line never starts with closing punctuation.
    result = tm.wrap("これは日本語です。次の文です。", 4.5 * size, size)
    assert not any(line.startswith(("。", "、")) for line in result.lines)


def test_wrap_breaks_long_word_at_grapheme_boundaries() -> None:
    size = 16
    word = ("Super" + E_ACUTE + FAMILY + FLAG_JP) * 4
    result = tm.wrap(word, 4 * size, size)
    assert len(result.lines) > 1
    assert "".join(result.lines) == word
    for line in result.lines:
        assert tm.measure(line, size) <= 4 * size
        assert _cluster_set(line) <= _cluster_set(word)
        assert not line.startswith(("\u0301", "\u200d", "\U0001F1F5"))


def test_wrap_never_splits_clusters_in_narrow_width() -> None:
    size = 16
    for cluster in (FAMILY, FLAG_JP, E_ACUTE, THUMBS_MEDIUM, KEYCAP):
        text = cluster * 5
        # So narrow that only one cluster fits per line.
        result = tm.wrap(text, tm.measure(cluster, size) + 0.1, size)
        assert result.lines == [cluster] * 5


def test_wrap_truncates_with_ellipsis() -> None:
    size = 14
    text = "one two three four five six seven eight nine ten eleven twelve"
    result = tm.wrap(text, 80, size, max_lines=2)
    assert result.truncated and len(result.lines) == 2
    assert result.lines[-1].endswith(ELL)
    assert all(tm.measure(line, size) <= 80 for line in result.lines)
    # Exactly fitting text is not truncated.
    exact = tm.wrap(text, 80, size)
    again = tm.wrap(text, 80, size, max_lines=len(exact.lines))
    assert again == exact


def test_ellipsize() -> None:
    size = 14
    assert tm.ellipsize("Hello", 200, size) == "Hello"
    out = tm.ellipsize("Hello wonderful world", 60, size)
    assert out.endswith(ELL) and tm.measure(out, size) <= 60
    assert "Hello wonderful world".startswith(out[:-1])
    assert not out[:-1].endswith(" ")
    assert tm.ellipsize(FAMILY * 5, 2.9 * size, size) == FAMILY + ELL
    assert tm.ellipsize("Hello", 1, size) == ""


# --------------------------------------------------------------------------------------
# subset_font_data_uri()
# --------------------------------------------------------------------------------------


def test_subset_font_data_uri_is_deterministic_and_small() -> None:
    path = tm.font_files()["regular"]
    text = "Customer journey: onboarding → activation"
    first = tm.subset_font_data_uri(path, text)
    tm._subset_woff2.cache_clear()
    second = tm.subset_font_data_uri(path, text)
    assert first == second
    # Character order and repetition do not matter.
    tm._subset_woff2.cache_clear()
    assert tm.subset_font_data_uri(path, "".join(reversed(text)) + text) == first
    assert first.startswith("data:font/woff2;base64,")
    data = base64.b64decode(first.split(",", 1)[1])
    assert data[:4] == b"wOF2"
    assert len(data) < path.stat().st_size / 5


def test_subset_font_measures_like_full_font(tmp_path: Path) -> None:
    path = tm.font_files()["bold"]
    text = "AVATAR Wave — Töchter office"
    data = base64.b64decode(tm.subset_font_data_uri(path, text).split(",", 1)[1])
    subset_file = tmp_path / "subset.woff2"
    subset_file.write_bytes(data)
    sub = tm.FontMetrics(subset_file)
    full = tm.FontMetrics(path)
    for piece in (text, "AV", "office", "Wave"):
        assert sub.width_em(piece) == pytest.approx(full.width_em(piece))
    assert set(text) <= sub.covered | {" "}
    assert "x" not in sub.covered
