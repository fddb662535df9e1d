"""Property tests: whatever the files hold, loading and validating only ever yield Diagnostics.

The CI profile (derandomised, deadline=None) is registered in tests/conftest.py; each example checks
its own time bound instead. Long inputs are marked slow.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from helpers import BASE_SITE, JOURNEY, STAGE, TOUCHPOINT, make_site, run_cli
from journeymap.diagnostics import CODES, Diagnostic
from journeymap.schema import META_MODELS
from journeymap.validate import validate_project

SECONDS_PER_EXAMPLE = 5.0
PERSONA = "content/personas/maya.md"
FILES_BY_KIND = {"touchpoint": TOUCHPOINT, "stage": STAGE, "journey": JOURNEY, "persona": PERSONA}
FIELD_NAMES = sorted({name for model in META_MODELS.values() for name in model.model_fields}
                     | {"severity", "impact", "effort", "url", "kind", "value", "note", "min", "max", "labels", "icon"})
TRICKY = ["NO", "on", "~", "null", "", "2024-01-01", "2024-13-45", "3", "-1", "9", "0", "1e3", "0x1F", ".inf",
          "web", "buy", "pay", "maya", "j", "j/pay", "other/x", "high", "huge", "actions", "kpi", "#1f5fa8",
          "javascript:alert(1)", "../stages/01-buy.md", "images/x.png", "https://example.com", "a" * 300]


def check_site(root: Path) -> list[Diagnostic]:
    """Validate a site; assert the result is only well-formed Diagnostics, in time."""
    start = time.perf_counter()
    site, diagnostics = validate_project(root)
    elapsed = time.perf_counter() - start
    assert elapsed < SECONDS_PER_EXAMPLE, f"validation took {elapsed:.1f}s"
    assert isinstance(diagnostics, list)
    for d in diagnostics:
        assert isinstance(d, Diagnostic)
        assert d.code in CODES, d
        assert d.line >= 1 and d.column >= 1, d
        assert d.message, d
        assert not Path(d.file).is_absolute() or d.code == "JM014", d
    return diagnostics


def site_with(files: dict[str, str | bytes | None], base: bool = True) -> tuple[tempfile.TemporaryDirectory[str], Path]:
    holder = tempfile.TemporaryDirectory(prefix="jm-fuzz-")
    return holder, make_site(Path(holder.name), files, base=base)


# --- strategies -------------------------------------------------------------------------------------

scalars = st.one_of(st.sampled_from(TRICKY), st.text(max_size=20), st.integers(-10, 10))
keys = st.one_of(st.sampled_from(FIELD_NAMES + ["maya", "ruth", "kpi", "1"]), st.text(min_size=1, max_size=10))
values = st.recursive(scalars, lambda children: st.one_of(st.lists(children, max_size=4),
                                                          st.dictionaries(keys, children, max_size=4)), max_leaves=20)
mappings = st.dictionaries(keys, values, max_size=8)
kinds = st.sampled_from(sorted(FILES_BY_KIND))

YAML_TOKENS = ["title", "stage", "emotion", "extra", "channel", "next", ":", ": ", " ", "  ", "\t", "\n", "- ", "[", "]",
               "{", "}", ",", "'", '"', "&a ", "*a", "!!str ", "!x ", "? ", "|", ">", "#", "---", "...", "%YAML 1.1",
               "\\", "\x00", "\x85", "\u2028", "\ufeff", "\r", "buy", "9", "maya", "é", "\U0001f600"]
yaml_ish = st.lists(st.sampled_from(YAML_TOKENS), max_size=40).map("".join)
MD_TOKENS = ["[", "]", "(", ")", "![", "](", "#", "*", "`", "```", "|", "-", "<", ">", "\n", "\n\n", " ", "text",
             "../", "stages/01-buy.md", "javascript:", "JaVa\tscript:", "data:", "mailto:x", "https://e.com", "//evil",
             "%6a", "&#106;", "\\", "[ref]: ", "<http://x>", "\r\n", "\x00", "\u2028", "é"]
markdown = st.lists(st.sampled_from(MD_TOKENS), max_size=60).map("".join)


def render_yaml(data: dict, flow: bool) -> str:
    return yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True, sort_keys=False)


# --- properties -------------------------------------------------------------------------------------


@given(front=st.text(), kind=kinds)
def test_arbitrary_text_as_front_matter(front: str, kind: str) -> None:
    holder, root = site_with({FILES_BY_KIND[kind]: f"---\n{front}\n---\nbody\n"})
    with holder:
        check_site(root)


@given(front=yaml_ish, kind=kinds)
def test_yaml_shaped_noise_as_front_matter(front: str, kind: str) -> None:
    holder, root = site_with({FILES_BY_KIND[kind]: f"---\n{front}\n---\n"})
    with holder:
        check_site(root)


@given(raw=st.binary(max_size=300), kind=kinds)
def test_arbitrary_bytes_as_a_file(raw: bytes, kind: str) -> None:
    holder, root = site_with({FILES_BY_KIND[kind]: raw})
    with holder:
        check_site(root)


@given(data=mappings, flow=st.booleans(), kind=st.sampled_from(sorted(FILES_BY_KIND) + ["config"]))
def test_arbitrary_mappings(data: dict, flow: bool, kind: str) -> None:
    text = render_yaml(data, flow)
    if kind == "config":
        files: dict[str, str | bytes | None] = {"site_config.yml": text}
    else:
        files = {FILES_BY_KIND[kind]: f"---\n{text}---\n"}
    holder, root = site_with(files)
    with holder:
        check_site(root)


@given(data=mappings, flow=st.booleans())
def test_arbitrary_fields_on_a_valid_touchpoint(data: dict, flow: bool) -> None:
    """Random fields merged into a touchpoint that is otherwise valid reach the cross-file rules."""
    base = {"title": "Pays", "stage": "buy", **data}
    holder, root = site_with({TOUCHPOINT: f"---\n{render_yaml(base, flow)}---\n",
                              JOURNEY: "---\ntitle: J\npersonas: [maya]\n---\n",
                              PERSONA: "---\nname: Maya\n---\n"})
    with holder:
        check_site(root)


@given(body=markdown, kind=kinds)
def test_arbitrary_markdown_bodies(body: str, kind: str) -> None:
    front = {"touchpoint": "title: P\nstage: buy", "stage": "title: S", "journey": "title: J", "persona": "name: M"}[kind]
    holder, root = site_with({FILES_BY_KIND[kind]: f"---\n{front}\n---\n{body}"})
    with holder:
        found = check_site(root)
    assert {d.code for d in found} <= {"JM116", "JM119", "JM203"}, found


@given(body=st.text())
def test_arbitrary_unicode_bodies(body: str) -> None:
    holder, root = site_with({TOUCHPOINT: f"---\ntitle: P\nstage: buy\n---\n{body}"})
    with holder:
        check_site(root)


SEGMENTS = ["journeys", "personas", "stages", "touchpoints", "j", "k", "journey.md", "01-a.md", "a.md", "02-a.md",
            "Bad Name.md", "x.txt", ".hidden.md", "03-.md", "maya.md"]
paths = st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=4).map(lambda parts: "content/" + "/".join(parts))
file_texts = st.one_of(
    st.sampled_from(["---\ntitle: T\n---\n", "---\ntitle: T\nstage: a\n---\n", "---\nname: N\n---\n",
                     "---\ntitle: T\nstage: a\nnext: [a, k/a]\nemotion: {maya: 2}\n---\n[x](../stages/01-a.md)\n",
                     "---\ntitle: T\npersonas: [maya]\nstages: [a]\ncompares_with: k\n---\n",
                     "---\ntitle: T\ntouchpoints: [a]\n---\n", "no front matter", ""]),
    yaml_ish.map(lambda text: f"---\n{text}\n---\n"),
)
trees = st.dictionaries(paths, file_texts, max_size=8)


@given(tree=trees, config=st.one_of(st.none(), st.just(BASE_SITE["site_config.yml"]), yaml_ish))
def test_small_random_file_trees(tree: dict[str, str], config: str | None) -> None:
    files: dict[str, str | bytes | None] = dict(tree)
    if config is not None:
        files["site_config.yml"] = config
    holder = tempfile.TemporaryDirectory(prefix="jm-fuzz-")
    with holder:
        root = Path(holder.name)
        for rel, text in sorted(files.items()):
            path = root / rel
            try:  # a path may be both a file and a folder in one draw: keep the first
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            except (FileExistsError, IsADirectoryError, NotADirectoryError):
                continue
        check_site(root)
        result = run_cli(["validate", "--project", str(root)])
        assert result.exit_code in (0, 1), result.output
        assert "Traceback" not in result.output


# --- long inputs --------------------------------------------------------------------------------------


LONG_SECONDS = 20.0


def timed(root: Path) -> list[Diagnostic]:
    start = time.perf_counter()
    _, found = validate_project(root)
    assert time.perf_counter() - start < LONG_SECONDS
    return found


@pytest.mark.slow
@pytest.mark.parametrize("front, expected", [
    ("extra: " + "[" * 100_000, {"JM010"}),
    ("extra: " + "{a: " * 50_000, {"JM010"}),
    ("extra:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 200)), {"JM010"}),
    ("title: T\nstage: buy\naction: " + "x" * 1_000_000, set()),
    ("title: T\nstage: buy\nextra:\n" + "".join(f"  key{i}: value {i}\n" for i in range(40_000)), set()),
    ("title: T\nstage: buy\nfrontstage:\n" + "  - item\n" * 100_000, set()),
    ("title: T\nstage: buy\n" + "extra: {}\n" * 30_000, {"JM006"}),
    ("title: T\nstage: buy\naction: >\n" + "  folded text line\n" * 50_000, set()),
], ids=["deep-flow-list", "deep-flow-map", "deep-block-map", "long-line", "many-keys", "long-list", "many-duplicates",
        "long-folded-scalar"])
def test_long_front_matter(front: str, expected: set[str], tmp_path: Path) -> None:
    text = f"---\n{front}\n---\n"
    assert len(text.encode()) < 1024 * 1024
    root = make_site(tmp_path, {TOUCHPOINT: text})
    assert {d.code for d in timed(root)} == expected


@pytest.mark.slow
def test_long_body(tmp_path: Path) -> None:
    body = "".join(f"Paragraph {i} with [a link](../stages/0{i % 3}-buy.md) and `code`.\n\n" for i in range(8_000))
    root = make_site(tmp_path, {TOUCHPOINT: "---\ntitle: T\nstage: buy\n---\n" + body[: 1024 * 1024 - 100]})
    found = timed(root)
    assert {d.code for d in found} == {"JM116"}


@pytest.mark.slow
def test_many_files(tmp_path: Path) -> None:
    files: dict[str, str | bytes | None] = {}
    for j in range(10):
        files[f"content/journeys/j{j}/journey.md"] = f"---\ntitle: J{j}\nstages: [{', '.join(f's{s}' for s in range(10))}]\n---\n"
        for s in range(10):
            files[f"content/journeys/j{j}/stages/{s:02d}-s{s}.md"] = f"---\ntitle: S{s}\n---\n"
            for t in range(10):
                files[f"content/journeys/j{j}/touchpoints/{s:02d}{t}-t{s}-{t}.md"] = (
                    f"---\ntitle: T\nstage: s{s}\nnext: [t{s}-{(t + 1) % 10}, j{(j + 1) % 10}/t0-0]\n---\n")
    root = make_site(tmp_path, files, base=False)
    (root / "site_config.yml").write_text("site_name: Many\n", encoding="utf-8")
    assert timed(root) == []
