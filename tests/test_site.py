"""The built site (issue 4): pages, relative URLs, escaping, determinism, theme overrides, output safety,
search; and, in a real browser, navigation under a sub-path and from file://, accessibility and HTML
validity of every page of the example.

Small sites are written inline into temporary folders (helpers.make_site); browser tests are marked
`browser` and use headless Debian Chromium.
"""
from __future__ import annotations

import json
import mimetypes
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from helpers import JOURNEY, REPO, STAGE, TOUCHPOINT, make_site, tree_bytes
from journeymap.build import build
from journeymap.diagnostics import DiagnosticError
from journeymap.output import MARKER
from journeymap.search import index_search
from journeymap.site import render_site
from journeymap.urls import UrlScheme
from journeymap.validate import validate_project

mimetypes.add_type("image/svg+xml", ".svg")
mimetypes.add_type("font/woff2", ".woff2")

# --- a small but complete site -------------------------------------------------------------------

RICH_CONFIG = """\
site_name: Test site
today: 2026-01-01
phases:
  buy: {title: Buy}
repo_url: https://github.com/example/journeys
teams:
  shop: {title: Shop team, contact: shop@example.com}
  care: {title: Customer care}
channels:
  web: {title: Website, icon: globe}
  phone: {title: Phone, icon: headset}
"""
RICH: dict[str, str] = {
    "site_config.yml": RICH_CONFIG,
    "content/personas/ann.md": "---\nname: Ann Example\nrole: Buyer\ngoals: [Buy fast]\nquote: Quick please.\n---\nAnn's story.\n",
    "content/personas/bob.md": "---\nname: Bob Example\nrole: Returner\n---\nBob.\n",
    JOURNEY: ("---\ntitle: Buying a jacket\nsummary: From shop to till.\npersonas: [ann, bob]\nowner: shop\n"
              "compares_with: j2\n---\nSee [the stage](stages/01-buy.md), [Ann](../../personas/ann.md) and "
              "[the future](../j2/journey.md#about).\n\n## Background\n\nText.\n"),
    STAGE: ("---\ntitle: Buy\nphase: buy\ngoal: Pay quickly\nmetrics:\n  - {name: Conversion, value: '5%', note: Up}\n---\n"
            "The stage.\n"),
    TOUCHPOINT: ("---\ntitle: Pays at the till\nstage: buy\nchannel: web\nowner: shop\naction: Pays by card\n"
                 "thought: Is this safe?\nemotion: {ann: 2, bob: 4}\nfrontstage: [Cashier]\nbackstage: [Payment API]\n"
                 "pain_points:\n  - {title: Slow terminal, severity: high, description: Takes a minute}\n"
                 "  - Queue too long\n"
                 "opportunities:\n  - {title: Tap to pay, impact: high, effort: low}\n  - {title: Self checkout, impact: low, effort: high}\n"
                 "evidence:\n  - {title: Survey 2026, url: 'https://example.com/survey', kind: survey}\n"
                 "last_reviewed: 2025-12-01\nnext: [gets-receipt, j2/pays]\nextra: {kpi: 3 min}\n---\nThe step.\n"),
    "content/journeys/j/touchpoints/02-gets-receipt.md": ("---\ntitle: Gets a receipt\nstage: buy\nchannel: phone\nowner: care\n"
                                                          "emotion: {ann: 3, bob: 3}\n---\n"),
    "content/journeys/j2/journey.md": ("---\ntitle: Buying a jacket (future)\npersonas: [ann]\nowner: shop\nstate: future\n"
                                       "compares_with: j\n---\nThe future.\n"),
    "content/journeys/j2/stages/01-buy.md": "---\ntitle: Buy\nphase: buy\n---\n",
    "content/journeys/j2/touchpoints/01-pays.md": ("---\ntitle: Taps to pay\nstage: buy\nchannel: web\nemotion: {ann: 5}\n"
                                                   "pain_points: [Queue too long]\n---\n"),
}


def rich_site(tmp_path: Path, files: dict[str, str | None] | None = None) -> Path:
    return make_site(tmp_path, {**RICH, **(files or {})}, base=False)


def built(root: Path, **kwargs: object) -> Path:
    result = build(root, **kwargs)  # type: ignore[arg-type]
    return result.site_dir


def read(site: Path, rel: str) -> str:
    return (site / rel).read_text(encoding="utf-8")


# --- link checking -------------------------------------------------------------------------------


class _Scan(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.handlers: list[str] = []  # on* attributes: never allowed

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "id" in values and values["id"]:
            self.ids.add(values["id"])
        self.handlers += [f"<{tag} {k}>" for k, _ in attrs if k.lower().startswith("on")]
        for name in ("href", "src", "action"):
            if values.get(name) is not None:
                self.links.append(values[name] or "")


def scan(path: Path) -> _Scan:
    parser = _Scan()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def broken_links(site: Path, directory_urls: bool = True) -> list[str]:
    """Every internal link of every page that does not lead to a file (or to an id in it)."""
    problems = []
    ids: dict[Path, set[str]] = {}
    for page in sorted(site.rglob("*.html")):
        if page.name == "404.html":
            continue
        for url in scan(page).links:
            if url.startswith(("https:", "http:", "mailto:")):
                continue
            if url.startswith("/"):
                problems.append(f"{page.relative_to(site)}: absolute link {url}")
                continue
            path, _, fragment = url.partition("#")
            path = unquote(path.split("?", 1)[0])
            target = (page.parent / path).resolve() if path else page
            if target.is_dir():
                if not directory_urls:
                    problems.append(f"{page.relative_to(site)}: folder link {url} (file:// shows a listing)")
                target = target / "index.html"
            if not target.is_file():
                problems.append(f"{page.relative_to(site)}: {url} -> missing {target}")
                continue
            if fragment and target.suffix == ".html":
                known = ids.setdefault(target, scan(target).ids)
                if unquote(fragment) not in known:
                    problems.append(f"{page.relative_to(site)}: {url} -> no id '{fragment}'")
    return problems


# --- pages and URLs ------------------------------------------------------------------------------


def test_every_page_exists(tmp_path: Path) -> None:
    site = built(rich_site(tmp_path))
    for rel in ["index.html", "404.html", "search/index.html", "personas/index.html", "personas/ann/index.html",
                "pain-points/index.html", "opportunities/index.html", "teams/index.html",
                "journeys/j/index.html", "journeys/j/map.svg", "journeys/j/stages/buy/index.html",
                "journeys/j/touchpoints/pay/index.html", "journeys/j/touchpoints/gets-receipt/index.html",
                "journeys/j2/index.html", "compare/j/index.html", "assets/site.css", "assets/site.js",
                "assets/map.css", "assets/palette.css", "assets/theme-init.js", MARKER]:
        assert (site / rel).is_file(), rel
    assert not (site / "compare/j2").exists(), "a mutual pair gets one comparison page, named after the current state"
    assert not (site / "sitemap.xml").exists()


def test_url_scheme() -> None:
    urls = UrlScheme(True)
    assert urls.relative("journeys/j/touchpoints/t/", "journeys/j/") == "../../"
    assert urls.relative("journeys/j/", "journeys/j/touchpoints/t/") == "touchpoints/t/"
    assert urls.relative("", "") == "./"
    assert urls.relative("journeys/j/", "journeys/j/") == "./"
    assert urls.relative("journeys/j/", "assets/site.css") == "../../assets/site.css"
    assert urls.relative("404.html", "search/") == "search/"
    files = UrlScheme(False)
    assert files.relative("journeys/j/touchpoints/t/", "journeys/j/") == "../../index.html"
    assert files.relative("", "personas/p/", "x") == "personas/p/index.html#x"
    assert files.relative("personas/p/", "") == "../../index.html"


def test_links_are_relative_and_resolve(tmp_path: Path) -> None:
    site = built(rich_site(tmp_path))
    assert broken_links(site) == []


def test_file_urls_link_to_index_html(tmp_path: Path) -> None:
    root = rich_site(tmp_path, {"site_config.yml": RICH_CONFIG + "use_directory_urls: false\n"})
    site = built(root)
    assert broken_links(site, directory_urls=False) == []
    home = read(site, "index.html")
    assert 'href="journeys/j/index.html"' in home
    tp = read(site, "journeys/j/touchpoints/pay/index.html")
    assert 'href="../../index.html"' in tp  # the journey, from one of its touchpoints
    assert 'href="../../../../index.html"' in tp  # home


def test_markdown_links_become_page_links(tmp_path: Path) -> None:
    site = built(rich_site(tmp_path))
    page = read(site, "journeys/j/index.html")
    assert '<a href="stages/buy/">the stage</a>' in page
    assert '<a href="../../personas/ann/">Ann</a>' in page
    assert '<a href="../j2/#about">the future</a>' in page
    assert 'id="background"' in page  # heading anchors from markdown-it


def test_journey_page_has_map_table_and_lists(tmp_path: Path) -> None:
    site = built(rich_site(tmp_path))
    page = read(site, "journeys/j/index.html")
    assert "<svg" in page and 'href="touchpoints/pay/"' in page  # the inline map links its columns
    table = page.split('class="jm-table jm-grid-table"', 1)[1].split("</table>", 1)[0]
    for cell in ("Pays by card", "Is this safe?", "Cashier", "Payment API", "Slow terminal", "Tap to pay", "Website"):
        assert cell in table, cell
    assert "data-pagefind-body" in page
    assert "Shop team" in page and "Ann Example" in page
    assert "https://github.com/example/journeys/blob/main/content/journeys/j/journey.md" in page
    svg = (site / "journeys/j/map.svg").read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and 'href="touchpoints/pay/"' in svg
    home = read(site, "index.html")
    assert 'src="journeys/j/map.svg"' in home


def test_touchpoint_page_shows_every_field(tmp_path: Path) -> None:
    site = built(rich_site(tmp_path))
    page = read(site, "journeys/j/touchpoints/pay/index.html")
    for text in ("Pays at the till", "Pays by card", "Is this safe?", "Cashier", "Payment API", "Slow terminal",
                 "Takes a minute", "Queue too long", "Tap to pay", "Self checkout", "Survey 2026",
                 "https://example.com/survey", "2025-12-01", "Gets a receipt", "Taps to pay", "3 min", "The step.",
                 "Ann Example", "Bob Example", "Shop team", "Website"):
        assert text in page, text
    assert 'href="../gets-receipt/"' in page  # next in journey order
    assert 'href="../../../j2/touchpoints/pays/"' in page  # a `next` step in another journey
    assert "https://github.com/example/journeys/edit/main/content/journeys/j/touchpoints/01-pay.md" in page
    first = read(site, "journeys/j/touchpoints/pay/index.html")
    assert 'rel="prev"' not in first and 'rel="next"' in first
    last = read(site, "journeys/j/touchpoints/gets-receipt/index.html")
    assert 'rel="prev"' in last and 'rel="next"' not in last


def test_comparison_page(tmp_path: Path) -> None:
    site = built(rich_site(tmp_path))
    page = read(site, "compare/j/index.html")
    resolved = page.split('id="resolved"', 1)[1]
    assert "Slow terminal" in resolved.split("</section>", 1)[0]
    assert "Queue too long" not in resolved.split("</section>", 1)[0]  # still a pain point in the future state
    assert "Pays at the till" in page and "Taps to pay" in page  # steps only in one of them
    assert "series-current" in page and "series-future" in page  # both curves
    assert 'id="persona-ann"' in page  # per-persona curves
    future = read(site, "journeys/j2/index.html")
    assert 'href="../../compare/j/"' in future


def test_persona_and_index_pages(tmp_path: Path) -> None:
    site = built(rich_site(tmp_path))
    persona = read(site, "personas/ann/index.html")
    assert "Buying a jacket" in persona and "Buying a jacket (future)" in persona and "<svg" in persona
    pains = read(site, "pain-points/index.html")
    for anchor in ('id="phase-buy"', 'id="channel-web"', 'id="team-shop"'):
        assert anchor in pains
    opps = read(site, "opportunities/index.html")
    assert opps.index("Tap to pay") < opps.index("Self checkout")  # high impact, low effort first
    assert 'class="jm-matrix"' in opps and 'role="img"' in opps
    teams = read(site, "teams/index.html")
    assert 'id="team-care"' in teams and "Gets a receipt" in teams and "mailto:shop@example.com" in teams


def test_drafts_are_left_out_unless_asked(tmp_path: Path) -> None:
    root = rich_site(tmp_path, {"content/journeys/d/journey.md": "---\ntitle: Draft one\nstatus: draft\n---\n",
                                "content/journeys/d/stages/01-s.md": "---\ntitle: S\n---\n",
                                "content/journeys/d/touchpoints/01-t.md": "---\ntitle: T\nstage: s\n---\n"})
    site = built(root)
    assert not (site / "journeys/d").exists() and "Draft one" not in read(site, "index.html")
    site = built(root, include_drafts=True)
    assert (site / "journeys/d/index.html").is_file() and "Draft one" in read(site, "index.html")


def test_long_journeys_get_an_overview_and_stage_maps(tmp_path: Path) -> None:
    files: dict[str, str | None] = {
        "site_config.yml": RICH_CONFIG,
        "content/journeys/long/journey.md": "---\ntitle: Long one\n---\n",
        "content/journeys/long/stages/01-a.md": "---\ntitle: First half\n---\n",
        "content/journeys/long/stages/02-b.md": "---\ntitle: Second half\n---\n",
    }
    for n in range(45):
        files[f"content/journeys/long/touchpoints/{n + 1:02d}-t{n}.md"] = (
            f"---\ntitle: Step {n}\nstage: {'a' if n < 20 else 'b'}\nemotion: {1 + n % 5}\n---\n")
    site = built(make_site(tmp_path, files, base=False))
    page = read(site, "journeys/long/index.html")
    assert 'id="map-overview"' in page and 'id="map-stage-a"' in page and 'id="map-stage-b"' in page
    assert page.count('class="jm-mapbox"') == 3
    assert 'href="touchpoints/t44/"' in page
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert "<svg" in read(site, "journeys/long/stages/b/index.html")
    assert broken_links(site) == []


# --- safety --------------------------------------------------------------------------------------

EVIL = '<script>alert("x")</script>'


def test_content_is_escaped(tmp_path: Path) -> None:
    root = rich_site(tmp_path, {
        "site_config.yml": RICH_CONFIG.replace("site_name: Test site", "site_name: 'Evil </script><script>alert(1)</script>'"),
        TOUCHPOINT: (f"---\ntitle: '{EVIL}'\nstage: buy\naction: '<img src=x onerror=alert(1)>'\n"
                     f"pain_points: ['{EVIL}']\nextra: {{kpi: '{EVIL}'}}\n---\n"
                     "<script>alert(2)</script> and <img src=x onerror=alert(3)> and [x](#ok)\n"),
        "content/personas/bob.md": f"---\nname: '{EVIL}'\n---\n",
    })
    site = built(root)
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        assert "<script>alert" not in text, page
        assert scan(page).handlers == [], page
        for script in re.findall(r"<script[^>]*>", text):
            assert 'src="' in script or 'type="application/json"' in script, (page, script)
        for body in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', text, re.S):
            assert "<" not in body and json.loads(body)
    tp = read(site, "journeys/j/touchpoints/pay/index.html")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in tp or "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in tp
    svg = (site / "journeys/j/map.svg").read_text(encoding="utf-8")
    assert "<script" not in svg


def test_site_dir_refuses_content_root_and_foreign_folders(tmp_path: Path) -> None:
    for bad in ("content", ".", "content/inner"):
        root = rich_site(tmp_path / bad.replace("/", "_").replace(".", "dot"),
                         {"site_config.yml": RICH_CONFIG + f"site_dir: {bad}\n"})
        before = tree_bytes(root)
        with pytest.raises(DiagnosticError) as info:
            build(root)
        assert [d.code for d in info.value.diagnostics] == ["JM120"]
        assert tree_bytes(root) == before, bad
    root = rich_site(tmp_path / "foreign", {"site_config.yml": RICH_CONFIG + "site_dir: public\n"})
    (root / "public").mkdir()
    (root / "public" / "important.txt").write_text("not ours", encoding="utf-8")
    with pytest.raises(DiagnosticError) as info:
        build(root)
    assert "not empty" in info.value.diagnostics[0].message
    assert (root / "public" / "important.txt").read_text(encoding="utf-8") == "not ours"
    assert sorted(p.name for p in (root / "public").iterdir()) == ["important.txt"]


def test_keep_files_survive_a_rebuild(tmp_path: Path) -> None:
    root = rich_site(tmp_path, {"site_config.yml": RICH_CONFIG + "keep_files: [keep.txt]\n"})
    site = built(root)
    (site / "CNAME").write_text("journeys.example.com\n", encoding="utf-8")
    (site / "keep.txt").write_text("mine\n", encoding="utf-8")
    (site / "stray.txt").write_text("old\n", encoding="utf-8")
    built(root)
    assert (site / "CNAME").read_text(encoding="utf-8") == "journeys.example.com\n"
    assert (site / "keep.txt").read_text(encoding="utf-8") == "mine\n"
    assert not (site / "stray.txt").exists()


def test_failed_build_leaves_previous_site_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = rich_site(tmp_path)
    site = built(root)
    before = tree_bytes(site)
    (root / TOUCHPOINT).write_text(RICH[TOUCHPOINT].replace("Pays at the till", "Pays at the new till"), encoding="utf-8")

    import journeymap.output as output

    calls = {"n": 0}
    real_copy = shutil.copyfile

    def failing_copy(src: object, dst: object, *args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full (simulated)")
        return real_copy(src, dst, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(output.shutil, "copyfile", failing_copy)
    with pytest.raises(OSError):
        build(root)
    monkeypatch.undo()
    assert tree_bytes(site) == before
    assert [p.name for p in tmp_path.iterdir() if ".building-" in p.name or ".old-" in p.name] == []

    # a broken template override fails while rendering: nothing is written either
    (root / "overrides").mkdir()
    (root / "overrides" / "touchpoint.html").write_text("{% extends 'base.html' %}{% block content %}{{ nope(",
                                                        encoding="utf-8")
    (root / "site_config.yml").write_text(RICH_CONFIG + "theme: {custom_dir: overrides}\n", encoding="utf-8")
    with pytest.raises(DiagnosticError) as info:
        build(root)
    assert info.value.diagnostics[0].code == "JM121"
    assert info.value.diagnostics[0].file == "overrides/touchpoint.html"
    assert tree_bytes(site) == before


# --- theme --------------------------------------------------------------------------------------


def test_custom_dir_overrides_templates_and_assets(tmp_path: Path) -> None:
    root = rich_site(tmp_path, {
        "site_config.yml": RICH_CONFIG + "theme:\n  custom_dir: overrides\n  palette: {primary: '#123456', accent: '#abcdef'}\n"
                                         "  logo: images/logo.svg\n  favicon: images/logo.svg\n",
        "overrides/home.html": "{% extends 'base.html' %}{% block content %}<p>Custom home</p>{% endblock %}\n",
        "overrides/templates/partials/journey_nav.html": "<p>Custom nav</p>\n",
        "overrides/assets/site.css": "/* custom css */\n",
        "overrides/assets/extra.js": "/* extra */\n",
        "content/images/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>\n',
    })
    site = built(root)
    assert "<p>Custom home</p>" in read(site, "index.html")
    assert "<p>Custom nav</p>" in read(site, "journeys/j/index.html")
    assert read(site, "assets/site.css") == "/* custom css */\n"
    assert (site / "assets/extra.js").is_file() and (site / "assets/site.js").is_file()
    assert "--jm-primary: #123456;" in read(site, "assets/palette.css")
    home = read(site, "index.html")
    assert 'src="assets/brand/logo.svg"' in home and 'href="assets/brand/favicon.svg"' in home
    assert (site / "assets/brand/logo.svg").is_file() and (site / "media/images/logo.svg").is_file()


def test_sitemap_and_canonical_only_with_site_url(tmp_path: Path) -> None:
    root = rich_site(tmp_path, {"site_config.yml": RICH_CONFIG + "site_url: https://example.com/docs/\n"})
    site = built(root)
    sitemap = read(site, "sitemap.xml")
    assert "<loc>https://example.com/docs/journeys/j/touchpoints/pay/</loc>" in sitemap
    assert "<loc>https://example.com/docs/</loc>" in sitemap and "404" not in sitemap
    assert '<link rel="canonical" href="https://example.com/docs/journeys/j/">' in read(site, "journeys/j/index.html")
    not_found = read(site, "404.html")
    assert 'href="/docs/assets/site.css"' in not_found and 'href="/docs/search/"' in not_found


def test_output_is_deterministic(tmp_path: Path) -> None:
    root = rich_site(tmp_path / "project")
    site, _ = validate_project(root)
    assert site is not None
    first = render_site(site)
    second = render_site(site)
    assert first == second
    a = build(root, tmp_path / "a").site_dir
    b = build(root, tmp_path / "b").site_dir
    index_search(a)
    index_search(b)
    index_search(b)  # re-indexing gives the same bytes too
    assert tree_bytes(a) == tree_bytes(b)
    assert (a / "pagefind" / "pagefind.js").is_file()
    assert list((a / "pagefind" / "filter").iterdir())  # the `type` filter


def test_page_ids_are_unique(tmp_path: Path) -> None:
    root = rich_site(tmp_path, {JOURNEY: RICH[JOURNEY] + "\n## Stages\n\n## Map\n\n## Pain points\n"})
    site = built(root)
    for page in site.rglob("*.html"):
        ids = re.findall(r'\sid="([^"]+)"', page.read_text(encoding="utf-8"))
        assert len(ids) == len(set(ids)), (page, sorted(i for i in ids if ids.count(i) > 1))


# --- the example, in a browser --------------------------------------------------------------------

VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@pytest.fixture(scope="module")
def example_build(example_site: Path) -> Path:
    """The run's shared example build (served at /sub/), with its search index."""
    return example_site


@pytest.fixture(scope="module")
def example_files(example_file_site: Path) -> Path:
    return example_file_site


@pytest.fixture(scope="module")
def sub_server(example_server: str) -> str:
    return example_server


def _go(page: object, action: object) -> None:
    """Run `action` (a callable) and wait for the navigation it starts."""
    with page.expect_navigation():  # type: ignore[attr-defined]
        action()  # type: ignore[operator]


def _walkthrough(page: object, start: str, search: bool) -> None:
    """home -> journey -> a map column -> its touchpoint -> breadcrumb back -> search -> dark mode."""
    p = page  # type: ignore[assignment]
    p.goto(start)
    assert p.locator("h1").first.text_content() == "Northwind Outfitters journeys"
    _go(p, lambda: p.locator(".jm-journey-card-title a", has_text="First purchase (current state)").click())
    assert p.locator("h1").first.text_content() == "First purchase (current state)"
    column = p.locator(".jm-map-canvas svg a[href*='touchpoints/compares-jackets']").first
    column.scroll_into_view_if_needed()
    _go(p, column.click)
    assert "touchpoints/compares-jackets" in p.url
    assert p.locator("h1").first.text_content() == "Compares jackets on the website"
    _go(p, lambda: p.locator(".jm-crumbs a", has_text="First purchase (current state)").click())
    assert p.locator("h1").first.text_content() == "First purchase (current state)"
    assert p.url.endswith(("first-purchase/", "first-purchase/index.html"))
    p.fill("#jm-header-q", "warranty")
    if search:
        p.locator("#jm-search-popup a").first.wait_for(timeout=10000)  # live results under the box
        _go(p, lambda: p.keyboard.press("Enter"))  # the search page with every result
        assert "search/" in p.url and "q=warranty" in p.url
        result = p.locator(".jm-results a.jm-result-title").first
        result.wait_for(timeout=10000)
        title = result.text_content()
        _go(p, result.click)
        assert p.locator("h1").first.text_content() == title
        assert "warranty" in p.locator("main").text_content().lower()
    else:
        _go(p, lambda: p.keyboard.press("Enter"))
        notice = p.locator("[data-search-file]")
        notice.wait_for(state="visible")
        assert "needs the site to be served" in " ".join(notice.text_content().split())
        _go(p, p.go_back)
    if search:  # the type filters of the search page
        p.goto(start + "search/?q=maya&type=Persona")
        p.locator(".jm-results a.jm-result-title").first.wait_for(timeout=10000)
        kinds = p.locator(".jm-results .jm-badge").all_text_contents()
        assert kinds and set(kinds) == {"Persona"}
        p.go_back()
    html = p.locator("html")
    assert html.get_attribute("data-theme") != "dark"
    p.click("[data-theme-toggle]")
    assert html.get_attribute("data-theme") == "dark"
    assert p.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 255, 255)"
    p.reload()
    assert p.locator("html").get_attribute("data-theme") == "dark"  # remembered
    assert p.get_attribute("[data-theme-toggle]", "aria-pressed") == "true"


@pytest.mark.browser
def test_walkthrough_under_a_sub_path(page: object, sub_server: str) -> None:
    _walkthrough(page, sub_server, search=True)
    assert page.console_errors == []  # type: ignore[attr-defined]


@pytest.mark.browser
def test_walkthrough_from_file_urls(page: object, example_files: Path) -> None:
    _walkthrough(page, (example_files / "index.html").as_uri(), search=False)
    assert page.console_errors == []  # type: ignore[attr-defined]


@pytest.mark.browser
def test_map_zooms_and_comparison_shows_both_curves(page: object, sub_server: str) -> None:
    p = page  # type: ignore[assignment]
    p.goto(sub_server + "journeys/first-purchase/")
    svg = p.locator(".jm-map-canvas svg").first
    width = float(svg.get_attribute("width"))
    p.click("[data-map-zoom='in']")
    assert float(svg.get_attribute("width")) == pytest.approx(width * 1.25, abs=2)
    p.click("[data-map-zoom='fit']")
    fitted = svg.bounding_box()
    viewport = p.locator(".jm-map-viewport").first.bounding_box()
    assert fitted["width"] <= viewport["width"]
    p.goto(sub_server + "compare/first-purchase/")
    chart = p.locator("[data-compare-chart] svg")
    assert chart.locator(".emotion-curve.series-current").count() >= 1
    assert chart.locator(".emotion-curve.series-future").count() >= 1
    assert chart.locator(".emotion-curve.series-current").first.bounding_box()["width"] > 100
    assert p.console_errors == []  # type: ignore[attr-defined]


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_passes_axe(browser: object, sub_server: str, example_build: Path, scheme: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = browser.new_context(color_scheme=scheme)  # type: ignore[attr-defined]
    page = context.new_page()
    failures = []
    pages = sorted(p.relative_to(example_build).as_posix() for p in example_build.rglob("*.html"))
    if scheme == "dark":  # colours only: a sample of every kind of page
        pages = [p for p in pages if p.count("/") <= 2 or p.endswith(("compares-jackets/index.html", "consideration/index.html"))]
    for rel in pages:
        page.goto(sub_server + rel)
        result = axe.run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}})
        for violation in result.response["violations"]:
            failures.append(f"{rel}: {violation['id']} {[n['target'] for n in violation['nodes'][:3]]}")
    context.close()
    assert failures == []


@pytest.mark.slow
def test_every_page_is_valid_html(example_build: Path, example_files: Path) -> None:
    from conftest import require

    require(VNU.is_file() and shutil.which("java") is not None,
            "Nu HTML checker not installed (npm install vnu-jar; needs java)")
    for site in (example_build, example_files):
        result = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--skip-non-html", str(site)],
                                capture_output=True, text=True, timeout=600, check=False)
        assert result.returncode == 0, result.stderr[-4000:] + result.stdout[-4000:]


def test_example_links_resolve_and_load_nothing_from_elsewhere(example_build: Path, example_files: Path) -> None:
    assert broken_links(example_build) == []
    assert broken_links(example_files, directory_urls=False) == []
    for page in example_build.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r'\ssrc="(https?:)?//', text), page  # no CDN, no remote script or image
        assert not re.search(r'<link[^>]+href="(https?:)?//', text), page
    for css in (example_build / "assets").glob("*.css"):
        assert not re.search(r"url\(\s*[\"']?(https?:)?//", css.read_text(encoding="utf-8")), css
