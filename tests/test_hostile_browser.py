"""The hostile corpus in a real browser: every page of its site, served over http and opened from disk.

For each page (every HTML page and each standalone map.svg) headless Chromium must show:
- no dialog (alert/confirm/prompt) and no uncaught script error;
- no element or attribute from the corpus in the DOM: scripts are only the theme's own, no on*
  attribute, no iframe/object/embed/foreignObject/style from content, no javascript:/data:/vbscript:
  href, src or xlink:href;
- no request to anywhere but the site itself (everything else is aborted and reported);
- the hostile text shown literally, as text.
The search page runs real queries over the Pagefind index built from the corpus.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import static_server
from hostile_corpus import THEME_SCRIPTS, build_corpus, pages, shared_build

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOM_CHECK = r"""
([themeScripts, svgDocument]) => {
  const problems = [];
  const unsafe = /^(javascript|data|vbscript):/i;
  const urlAttrs = ["href", "src", "xlink:href", "action", "formaction", "srcset", "poster", "data", "background", "ping"];
  const forbidden = ["iframe", "frame", "frameset", "object", "embed", "applet", "foreignobject", "base", "template",
                     "math", "audio", "video", "source", "track", "portal"];
  for (const el of document.querySelectorAll("*")) {
    const tag = el.localName.toLowerCase();
    if (forbidden.includes(tag)) problems.push("element " + tag);
    if (tag === "style" && !svgDocument) problems.push("style element in a page");
    if (tag === "script") {
      const src = el.getAttribute("src") || "";
      const data = el.getAttribute("type") === "application/json" && el.id === "jm-site";
      if (!data && !themeScripts.some(name => src.endsWith(name))) problems.push("script " + el.outerHTML.slice(0, 80));
    }
    if (tag === "meta" && el.hasAttribute("http-equiv")) problems.push("meta http-equiv");
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\u0000-\u0020\u007f-\u009f]/g, "");
      if (name.startsWith("on")) problems.push(tag + " " + name);
      if (urlAttrs.includes(name) && unsafe.test(value)) problems.push(tag + " " + name + "=" + value.slice(0, 60));
      if (name === "style" && /url\(|expression|javascript|[{}]/i.test(attr.value)) problems.push(tag + " style=" + attr.value);
    }
  }
  for (const a of document.querySelectorAll("a[href]")) {  // what a click would open
    const href = a.href && a.href.baseVal !== undefined ? a.href.baseVal : a.href;
    let protocol = "";
    try { protocol = new URL(href, document.baseURI).protocol; } catch (e) { protocol = "invalid"; }
    if (!["http:", "https:", "mailto:", "file:"].includes(protocol)) problems.push("link to " + protocol + " " + href);
  }
  const clobbered = [];
  if (typeof window.location.href !== "string") clobbered.push("location");
  if (typeof document.cookie !== "string") clobbered.push("cookie");
  if (({}).polluted !== undefined || Object.prototype.polluted !== undefined) clobbered.push("prototype");
  if (!svgDocument) {
    const site = document.getElementById("jm-site");
    if (!site || site.localName !== "script") clobbered.push("jm-site");
    const main = document.getElementById("main");
    if (!main || main.localName !== "main") clobbered.push("main");
  }
  return {problems, clobbered};
}
"""

TEXT_OF = "(selector) => [...document.querySelectorAll(selector)].map(e => e.textContent)"


@pytest.fixture(scope="module")
def http_site(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    return shared_build(tmp_path_factory.getbasetemp(), worker_id, "hostile-http", build_corpus)


@pytest.fixture(scope="module")
def file_site(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    return shared_build(tmp_path_factory.getbasetemp(), worker_id, "hostile-file",
                        lambda folder: build_corpus(folder, directory_urls=False))


@pytest.fixture(scope="module")
def http_base(http_site: Path) -> Iterator[str]:
    with static_server(http_site) as base:
        yield base


class Watch:
    """One browser context that records dialogs, errors and every request leaving the site."""

    def __init__(self, browser: Any, allowed_prefix: str):
        self.context = browser.new_context()
        self.allowed = allowed_prefix
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("request", self._request)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _ok(self, url: str) -> bool:
        return url.startswith(self.allowed) or url.startswith("data:font/woff2")  # the map's embedded font

    def _request(self, request: Any) -> None:
        if not self._ok(request.url):
            self.outside.append(request.url)

    def _route(self, route: Any) -> None:
        if self._ok(route.request.url):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def check(self, url: str, svg: bool = False) -> dict[str, Any]:
        self.page.goto(url, wait_until="load")
        self.page.wait_for_timeout(50)  # let deferred handlers (if any had slipped in) fire
        return self.page.evaluate(DOM_CHECK, [list(THEME_SCRIPTS), svg])

    def close(self) -> None:
        self.context.close()


def _visit_all(browser: Any, site_dir: Path, base: str, allowed: str) -> Watch:
    watch = Watch(browser, allowed)
    found: dict[str, Any] = {}
    for path in pages(site_dir):
        rel = path.relative_to(site_dir).as_posix()
        result = watch.check(base + rel, svg=path.suffix == ".svg")
        if result["problems"] or result["clobbered"]:
            found[rel] = result
    assert not found, found
    assert not watch.dialogs, watch.dialogs
    assert not watch.outside, watch.outside
    assert not [e for e in watch.errors if "alert" in e or "jm-" in e], watch.errors
    return watch


def test_every_page_over_http_is_inert(browser: Any, http_site: Path, http_base: str) -> None:
    watch = _visit_all(browser, http_site, http_base, http_base)
    try:
        page = watch.page
        # The hostile text is displayed literally, as text.
        page.goto(http_base + "journeys/xss/")
        assert page.text_content("h1") == "<script>alert(1)</script> journey \"quoted\" & 'single'"
        prose = page.text_content(".jm-prose") or ""
        assert "Raw HTML is text: <script>alert(14)</script> <img src=x onerror=alert(15)>" in prose
        assert "&lt;script&gt;alert(31)&lt;/script&gt;" not in prose and "<script>alert(31)</script>" in prose
        summary = page.text_content(".jm-lead") or ""
        assert summary.startswith('"><img src=x onerror=alert(2)><svg onload=alert(3)> </text><script>alert(4)</script>]]>')
        map_text = "".join(page.evaluate(TEXT_OF, "svg.jm-map text, svg.jm-map title"))
        assert "</text><script>alert(7)</script>" in map_text or "</text><script>alert(7)" in map_text
        assert "<script>alert(201)" in map_text
        page.goto(http_base + "journeys/xss/touchpoints/title/")
        assert page.text_content("h1") == "<script>alert(201)</script>"
        assert page.text_content(".jm-thought") == "</text></svg><script>alert(204)</script><svg><text>"
        page.goto(http_base + "journeys/xss/stages/script/")
        assert page.text_content("h1") == "</text><script>alert(101)</script><text>"
        page.goto(http_base + "journeys/xss/stages/location/")
        assert "{{ 7*7 }} {% if true %}ssti{% endif %}" in (page.text_content("#main") or "")
        page.goto(http_base + "personas/mallory/")
        assert page.text_content("h1") == "<script>alert(501)</script> Mallory"
        page.goto(http_base + "journeys/xss/touchpoints/bidi/")
        assert "\u202efdp.exe\u202c" in (page.text_content("h1") or "")
        assert len(page.text_content(".jm-thought") or "") == 1_000_000
    finally:
        watch.close()


def test_search_over_the_hostile_index_is_inert(browser: Any, http_site: Path, http_base: str) -> None:
    """`</script>` and markup inside the search index come back as text in results and excerpts."""
    watch = Watch(browser, http_base)
    try:
        page = watch.page
        for query in ("alert", "script", "onerror", "Mallory"):
            page.goto(http_base + "search/?q=" + query)
            page.wait_for_selector(".jm-result", timeout=15_000)
            result = page.evaluate(DOM_CHECK, [list(THEME_SCRIPTS), False])
            assert result == {"problems": [], "clobbered": []}, (query, result)
        titles = page.evaluate(TEXT_OF, ".jm-result-title")
        assert any("<script>alert(501)</script>" in title for title in titles), titles
        page.goto(http_base + "search/?q=alert")
        page.wait_for_selector(".jm-result", timeout=15_000)
        excerpts = "".join(page.evaluate(TEXT_OF, ".jm-result-excerpt"))
        assert "alert" in excerpts
        page.fill("#jm-header-q", "onerror")  # the header's live results popup
        page.wait_for_selector(".jm-popup-list li", timeout=15_000)
        result = page.evaluate(DOM_CHECK, [list(THEME_SCRIPTS), False])
        assert result == {"problems": [], "clobbered": []}, result
        assert not watch.dialogs and not watch.outside, (watch.dialogs, watch.outside)
    finally:
        watch.close()


def test_every_page_from_disk_is_inert(browser: Any, file_site: Path) -> None:
    base = file_site.as_uri() + "/"
    watch = _visit_all(browser, file_site, base, base)
    try:
        watch.page.goto(base + "journeys/xss/touchpoints/title/index.html")
        assert watch.page.text_content("h1") == "<script>alert(201)</script>"
        links = watch.page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
        local = [href for href in links if href.startswith("file:")]
        assert local and all(re.sub(r"[#?].*$", "", href).startswith(base) for href in local), local
    finally:
        watch.close()
