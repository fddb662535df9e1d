"""Property tests through the whole build: load, validate, layout, SVG, pages and the written folder.

tests/test_fuzz.py fuzzes loading and validation; here generated front matter (every field, with
hostile and arbitrary text), Markdown bodies and file trees go through `journeymap.build.build`. Every
example must either build or raise DiagnosticError (and then write nothing); no other exception, no
markup from content in a page, no file outside site_dir, and each example within a time bound.

Pagefind is replaced by a no-op here (it is a separate program, run on the finished pages; the hostile
corpus tests run it for real). The CI profile from conftest applies; the build tests run a quarter of its
examples each (a build costs more than a validation). Long inputs check that time grows roughly linearly
with input size: the large input is 4x the small one, and quadratic behaviour would take about 16x.
"""
from __future__ import annotations

import string
import tempfile
import time
import xml.etree.ElementTree as ET
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator
from unittest import mock

import pytest
import yaml
from hypothesis import event, given, settings
from hypothesis.control import currently_in_test_context
from hypothesis import strategies as st

from helpers import JOURNEY, STAGE, TOUCHPOINT, make_site
from hostile_corpus import markup_problems
from journeymap import search
from journeymap.build import build
from journeymap.diagnostics import CODES, Diagnostic, DiagnosticError
from journeymap.site import render_site
from journeymap.validate import validate_project

SECONDS_PER_BUILD = 20.0  # generous: a slow CI machine and the first font subsetting of a run
BUILD_EXAMPLES = max(10, settings.default.max_examples // 4)
PERSONA = "content/personas/maya.md"
CONFIG = """\
site_name: Fuzz <site> & "co"
today: 2026-01-01
channels:
  web: {title: Website, icon: globe}
teams:
  shop: {title: Shop team}
phases:
  buy: {title: Buy}
lanes: [actions, thoughts, emotion, channels, frontstage, backstage, support, pain_points, opportunities, owner,
        {id: kpi, title: KPI, extra: kpi, color: accent}]
"""

# --- strategies -------------------------------------------------------------------------------------

HOSTILE = ["<script>alert(1)</script>", "</text><script>alert(2)</script>", "]]>", "<![CDATA[", "<foreignObject>",
           "\" onmouseover=\"alert(3)", "' onfocus='alert(4)'", "javascript:alert(5)", "&#106;avascript:", "data:,x",
           "red;}body{display:none}", "</style>", "</title>", "<!--", "-->", "{{ 7*7 }}", "{% raw %}", "${x}", "%s",
           "\u202e", "\u2066", "\u200b", "\u2028", "\x00", "\x1b", "\x7f", "\ufeff", "\U0001f600", "é", "漢字",
           "مرحبا", "&amp;", "&lt;", "\\", "\t", "\n", "  ", "", "__proto__", "constructor", "location", "jm-site"]
WORDS = ["pays", "the", "till", "a", "very-long-word-" * 4, "x" * 80, "Ünïcödé", "W" * 12]
text = st.one_of(st.text(max_size=30), st.lists(st.sampled_from(HOSTILE + WORDS), max_size=8).map(" ".join),
                 st.lists(st.sampled_from(HOSTILE + WORDS), max_size=6).map("".join))
short_lists = st.lists(text, max_size=4)
keys = st.one_of(st.sampled_from(["kpi", "note", "__proto__", "<b>", "on load", "1"]), st.text(min_size=1, max_size=8))
values = st.recursive(st.one_of(text, st.integers(-5, 5), st.booleans(), st.none()),
                      lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=3)),
                      max_leaves=8)
extra = st.dictionaries(keys, values, max_size=4)
urls = st.one_of(st.sampled_from(["https://example.test/?q=<script>alert(1)</script>", "mailto:a@example.test?x=\"y\"",
                                  "#frag", "../stages/01-buy.md", "../stages/01-buy.md#x\"><b>", "http://example.test/'>",
                                  "javascript:alert(1)", "JaVa\tScRiPt:alert(1)", "//evil.example", "../../../../etc/passwd",
                                  "data:text/html,x", "vbscript:x"]), text)
emotion = st.one_of(st.integers(1, 5), st.dictionaries(st.just("maya"), st.integers(1, 5), min_size=1), st.integers(-3, 9))
colours = st.sampled_from(["#123", "#abcdef", "#ABCDEF", "primary", "accent", "negative", "red;}body{", "#fff\n", "url(x)"])
builtin_lanes = ["actions", "thoughts", "emotion", "channels", "frontstage", "backstage", "support", "pain_points",
                 "opportunities", "owner"]
lanes = st.lists(st.one_of(st.sampled_from(builtin_lanes),
                           st.fixed_dictionaries({"id": st.sampled_from(builtin_lanes + ["kpi"])},
                                                 optional={"title": text, "color": colours, "extra": st.just("kpi")})),
                 max_size=12)

touchpoints = st.fixed_dictionaries({"title": text, "stage": st.just("buy")}, optional={
    "channel": st.sampled_from(["web"]), "actor": st.sampled_from(["customer", "frontstage", "backstage"]),
    "action": text, "thought": text, "emotion": emotion,
    "frontstage": st.one_of(text, short_lists), "backstage": st.one_of(text, short_lists), "support": short_lists,
    "pain_points": st.lists(st.one_of(text, st.fixed_dictionaries({"title": text}, optional={
        "severity": st.sampled_from(["low", "medium", "high"]), "description": text})), max_size=4),
    "opportunities": st.lists(st.one_of(text, st.fixed_dictionaries({"title": text}, optional={
        "impact": st.sampled_from(["low", "medium", "high"]), "effort": st.sampled_from(["low", "medium", "high"]),
        "description": text})), max_size=4),
    "owner": st.just("shop"),
    "evidence": st.lists(st.fixed_dictionaries({"title": text}, optional={"url": urls, "kind": text}), max_size=3),
    "last_reviewed": st.dates().map(str), "next": st.lists(st.sampled_from(["pay", "j/pay"]), max_size=2),
    "extra": st.one_of(extra, st.fixed_dictionaries({"kpi": values})),
})
journeys = st.fixed_dictionaries({"title": text, "personas": st.just(["maya"])}, optional={
    "summary": text, "owner": st.just("shop"), "state": st.sampled_from(["current", "future"]), "lanes": lanes,
    "tags": short_lists, "extra": extra})
stages = st.fixed_dictionaries({"title": text}, optional={
    "goal": text, "phase": st.just("buy"), "emotion": emotion,
    "metrics": st.lists(st.fixed_dictionaries({"name": text, "value": text}, optional={"note": text}), max_size=3),
    "extra": extra})
personas = st.fixed_dictionaries({"name": text}, optional={
    "role": text, "goals": st.one_of(text, short_lists), "frustrations": short_lists, "quote": text,
    "tags": short_lists, "extra": extra})

MD_TOKENS = ["[", "]", "(", ")", "![", "](", "# ", "## ", "### ", "*", "_", "`", "```", "|", "|---|", "- ", "1. ", "> ",
             "    ", "\n", "\n\n", " ", "text", "../stages/01-buy.md", "../journey.md#x", "javascript:", "JaVa\tscript:",
             "data:", "mailto:x", "https://e.test", "//evil", "%6a", "&#106;", "&amp;", "&lt;script&gt;", "\\", "[r]: ",
             "<http://x>", "<script>", "</script>", "<img src=x onerror=alert(1)>", "\x00", "\u2028", "\u202e", "é",
             "location", "jm-site", "main", "__proto__"]
markdown = st.lists(st.one_of(st.sampled_from(MD_TOKENS), text), max_size=60).map("".join)


def front(data: dict[str, Any], body: str = "") -> str:
    return "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000) + "---\n" + body


# --- the property -------------------------------------------------------------------------------------


@contextmanager
def no_search() -> Iterator[None]:
    """Pagefind's entry points as no-ops (build.py imports them from journeymap.search when it runs)."""
    with ExitStack() as stack:
        for name in ("index_search", "index_documents"):
            if hasattr(search, name):
                stack.enter_context(mock.patch.object(search, name, lambda *args, **kwargs: None))
        yield


def check_build(root: Path) -> str:
    """Build `root`: only DiagnosticError may stop it; nothing outside site_dir; pages inert. -> outcome."""
    outer = root.parent
    before = set(outer.rglob("*"))
    site_dir = root / "site"
    start = time.perf_counter()
    try:
        with no_search():
            result = build(root)
    except DiagnosticError as exc:
        assert exc.diagnostics and all(isinstance(d, Diagnostic) and d.code in CODES and d.message for d in exc.diagnostics)
        assert not site_dir.exists(), "a refused build wrote its output"
        outcome = "refused"
    else:
        assert result.site_dir.resolve() == site_dir.resolve()
        outcome = "built"
    elapsed = time.perf_counter() - start
    assert elapsed < SECONDS_PER_BUILD, f"build took {elapsed:.1f}s"
    created = set(outer.rglob("*")) - before
    resolved = site_dir.resolve()
    assert all(path.resolve().is_relative_to(resolved) for path in created), sorted(map(str, created))[:5]
    if outcome == "built":
        for path in site_dir.rglob("*"):
            assert not path.is_symlink()
            if path.suffix == ".html":
                assert markup_problems(path.read_text(encoding="utf-8")) == [], path
            elif path.suffix == ".svg" and "assets" not in path.parts:
                ET.parse(path)  # standalone maps stay well-formed XML whatever the text
    return outcome


def fuzz_site(files: dict[str, str | bytes | None]) -> str:
    with tempfile.TemporaryDirectory(prefix="jm-fuzz-build-") as holder:
        root = make_site(Path(holder) / "project", {"site_config.yml": CONFIG, PERSONA: front({"name": "Maya"}), **files})
        outcome = check_build(root)
    if currently_in_test_context():
        event(outcome)  # --hypothesis-show-statistics shows how many examples got through
    return outcome


build_settings = settings(max_examples=BUILD_EXAMPLES)


@build_settings
@given(tp=touchpoints, body=markdown)
def test_fuzzed_touchpoints_build(tp: dict[str, Any], body: str) -> None:
    fuzz_site({TOUCHPOINT: front(tp, body), JOURNEY: front({"title": "J", "personas": ["maya"]})})


@build_settings
@given(journey=journeys, stage=stages, persona=personas, body=markdown)
def test_fuzzed_journeys_stages_and_personas_build(journey: dict[str, Any], stage: dict[str, Any],
                                                   persona: dict[str, Any], body: str) -> None:
    fuzz_site({JOURNEY: front(journey, body), STAGE: front(stage, body), PERSONA: front(persona, body)})


@build_settings
@given(body=st.text(max_size=300))
def test_arbitrary_unicode_bodies_build(body: str) -> None:
    fuzz_site({TOUCHPOINT: front({"title": "T", "stage": "buy"}, body),
               JOURNEY: front({"title": "J", "personas": ["maya"]})})


GOOD_IDS = ["buy", "pay", "look", "a", "b-2", "c_3", "0", "x" * 64]
BAD_IDS = ["Bad", "x y", "ü", "..", "a..b", "x" * 65]
ids = st.sampled_from(GOOD_IDS * 12 + BAD_IDS)  # mostly good, so most trees get through to the pages
file_trees = st.fixed_dictionaries({
    "stages": st.lists(st.tuples(st.integers(0, 12), ids), min_size=1, max_size=4, unique_by=lambda item: item[1]),
    "touchpoints": st.lists(st.tuples(st.integers(0, 12), ids, st.integers(0, 12)), max_size=6,
                            unique_by=lambda item: item[1]),
    "stage_order": st.sampled_from(["none", "reversed", "random"]),
    "random_order": st.lists(ids, max_size=4),
    "assets": st.lists(st.text(alphabet=string.ascii_letters + " .-_..üф漢" + "%&#?", min_size=1, max_size=12)
                       .filter(lambda name: not name.startswith(".")), max_size=3),
    "journey_folder": st.sampled_from(["j"] * 6 + ["k-2", "J", "my journey", "a..b"]),
})


@build_settings
@given(tree=file_trees)
def test_fuzzed_file_trees_build(tree: dict[str, Any]) -> None:
    """Stage and touchpoint files named from a pool of good and bad ids, NN- prefixes, order lists and
    assets with awkward names."""
    folder = f"content/journeys/{tree['journey_folder']}"
    journey: dict[str, Any] = {"title": "J", "personas": ["maya"]}
    if tree["stage_order"] == "reversed":
        journey["stages"] = [stage_id for _, stage_id in reversed(tree["stages"])]
    elif tree["stage_order"] == "random":
        journey["stages"] = tree["random_order"]
    files: dict[str, str | bytes | None] = {JOURNEY: None, STAGE: None, TOUCHPOINT: None,
                                            f"{folder}/journey.md": front(journey)}
    for number, stage_id in tree["stages"]:
        files[f"{folder}/stages/{number:02d}-{stage_id}.md"] = front({"title": stage_id})
    stage_ids = [stage_id for _, stage_id in tree["stages"]]
    for number, tp_id, which in tree["touchpoints"]:
        stage_id = stage_ids[which % len(stage_ids)] if which < 12 else "nowhere"
        files[f"{folder}/touchpoints/{number:02d}-{tp_id}.md"] = front({"title": tp_id, "stage": stage_id, "emotion": 3},
                                                                        f"[back](../stages/{number:02d}-{stage_id}.md)\n")
    for name in tree["assets"]:
        files[f"content/images/{name}"] = b"\x89PNG\r\n\x1a\n"
    fuzz_site(files)


# --- long inputs: time grows roughly linearly --------------------------------------------------------


def _site(holder: str, files: dict[str, str | bytes | None]) -> Path:
    return make_site(Path(holder), {"site_config.yml": CONFIG, PERSONA: front({"name": "Maya"}), **files})


def _seconds(root: Path) -> float:
    """Seconds to load, validate, lay out, draw and render the pages of the site in `root`."""
    start = time.perf_counter()
    site, diagnostics = validate_project(root)
    assert site is not None and not [d for d in diagnostics if d.is_error], diagnostics[:3]
    render_site(site)
    return time.perf_counter() - start


def assert_linear(make: Callable[[int], dict[str, str | bytes | None]], small: int) -> None:
    """Time the site for an empty input, `small` units and `4 * small` units (the best of two runs each,
    interleaved, so that a busy machine slows all three alike). Less the empty input's time, the large
    input may take at most 8x the small one (linear is 4x, quadratic 16x); the small one counts as at
    least 0.1 s and 0.5 s of slack absorb timer noise on cheap inputs."""
    with tempfile.TemporaryDirectory(prefix="jm-scale-") as holder:
        roots = [_site(f"{holder}/{n}", make(n)) for n in (0, small, 4 * small)]
        best = [float("inf")] * 3
        for _ in range(2):
            for index, root in enumerate(roots):
                best[index] = min(best[index], _seconds(root))
    base, t_small, t_large = best[0], max(best[1] - best[0], 0.1), best[2] - best[0]
    assert t_large <= 8 * t_small + 0.5, f"small {best[1] - base:.2f}s, large {t_large:.2f}s (base {base:.2f}s)"


def _tp(body: str = "", **fields: Any) -> dict[str, str | bytes | None]:
    return {TOUCHPOINT: front({"title": "T", "stage": "buy", **fields}, body),
            JOURNEY: front({"title": "J", "personas": ["maya"]})}


LONG_INPUTS: dict[str, Callable[[int], dict[str, str | bytes | None]]] = {
    "thought": lambda n: _tp(thought="Which jacket is waterproof? </text><script>x</script> " * (n // 13)),
    "one-long-word": lambda n: _tp(title="W" * (n // 4), action="é" * (n // 4)),
    "list-items": lambda n: _tp(frontstage=[f"item {i} <b>" for i in range(n // 5)]),
    "pain-points": lambda n: _tp(pain_points=[{"title": f"pain {i}", "severity": "high"} for i in range(n // 25)]),
    "extra-map": lambda n: _tp(extra={f"key{i}": f"<i>value {i}</i>" for i in range(n // 10)}),
    "markdown-table": lambda n: _tp("| a | b |\n|---|---|\n" + "| <x> | [l](../stages/01-buy.md) |\n" * (n // 30)),
    "markdown-nesting": lambda n: _tp(">" * (n // 10) + " deep\n\n" + "".join("  " * i + "- item\n" for i in range(int((n // 2) ** 0.5)))
                                      + "\n\n" + "> - " * (n // 40) + "deep\n"),
    "markdown-same-heading": lambda n: _tp("## Same heading\n\n" * (n // 20)),
    "markdown-emphasis": lambda n: _tp("*a _b " * (n // 6)),
    "markdown-brackets": lambda n: _tp("[" * (n // 2) + "](" * (n // 4)),
    "markdown-links-one-line": lambda n: _tp(" ".join(f"[a](../stages/01-buy.md#s{i}) [b](https://e.test/{i})"
                                                      for i in range(n // 50))),
    "markdown-reference-links": lambda n: _tp("[a][r] " * (n // 7) + "\n\n[r]: https://e.test/\n"),
}


# Units of the small input per case (default 50,000): enough for the case to cost about 0.1-0.2 s.
SMALL = {"markdown-brackets": 20_000, "markdown-emphasis": 20_000, "markdown-table": 20_000, "markdown-links-one-line": 30_000,
         "markdown-reference-links": 20_000, "markdown-same-heading": 30_000, "pain-points": 25_000}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(LONG_INPUTS))
def test_long_inputs_scale_linearly(name: str) -> None:
    assert_linear(LONG_INPUTS[name], SMALL.get(name, 50_000))


@pytest.mark.slow
def test_very_long_inputs_build_in_time() -> None:
    """The biggest inputs the file cap allows (about 1 MB each) build, within the time bound."""
    for files in (_tp(thought="x " * 450_000), _tp("## Same heading\n" * 60_000),
                  _tp(frontstage=[f"item {i}" for i in range(10_000)], backstage=[f"b{i}" for i in range(10_000)])):
        assert fuzz_site(files) == "built"
