"""The hostile corpus (tests/hostile/): prepare it for a build, and build it once per test run.

Plain functions and one shared-build helper, used by tests/test_hostile.py and
tests/test_hostile_browser.py. What git cannot hold comfortably is made at test time: the NUL byte
(`@@NUL@@` in the committed files) and the 1 MB thought (`@@1MB@@`).
"""
from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

from conftest import shared_build  # noqa: F401 - re-exported for the hostile tests

HOSTILE = Path(__file__).resolve().parent / "hostile"
CORPUS = HOSTILE / "site"
REFUSED = HOSTILE / "refused"

# A 1 MB string of hostile text: just under the 1 MiB file cap together with the rest of its file.
BIG_LENGTH = 1_000_000
BIG_UNIT = "</text><script>alert('big')</script>&lt;b&gt; "
BIG = (BIG_UNIT * (BIG_LENGTH // len(BIG_UNIT) + 1))[:BIG_LENGTH]

# Script elements the theme itself puts in every page (the only ones allowed).
THEME_SCRIPTS = ("assets/theme-init.js", "assets/site.js")


def prepare_corpus(dest: Path, *, directory_urls: bool = True, big: bool = True) -> Path:
    """Copy the corpus to `dest` and finish it: a real NUL byte, the 1 MB thought (or a short one)."""
    shutil.copytree(CORPUS, dest)
    for path in sorted((dest / "content").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        if "@@" not in text:
            continue
        text = text.replace("@@NUL@@", "\x00").replace("@@1MB@@", BIG if big else BIG_UNIT * 3)
        path.write_text(text, encoding="utf-8")
    if not directory_urls:
        config = dest / "site_config.yml"
        config.write_text(config.read_text(encoding="utf-8") + "use_directory_urls: false\n", encoding="utf-8")
    return dest


def build_corpus(folder: Path, *, directory_urls: bool = True) -> Path:
    """Prepare and build the corpus in `folder`; returns the site folder."""
    from journeymap.build import build

    project = prepare_corpus(folder / "project", directory_urls=directory_urls)
    return build(project).site_dir


def pages(site_dir: Path) -> list[Path]:
    """Every page a reader can open: the HTML pages and the standalone map SVGs."""
    return sorted(p for p in site_dir.rglob("*") if p.suffix in (".html", ".svg") and "assets" not in p.parts)


# --- what a page's markup would make a browser do (a fast check on the files; the browser test is the real one)

UNSAFE_SCHEME = re.compile(r"^(javascript|data|vbscript|file):", re.I)
URL_ATTRS = {"href", "src", "xlink:href", "action", "formaction", "srcset", "poster", "data", "background", "ping"}
ACTIVE_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "foreignobject", "base", "form",
               "style", "link", "meta", "svg", "img", "math", "template", "noscript"}
# Elements the theme writes itself; any other appearance of an ACTIVE_TAGS element is content markup.
THEME_ALLOWED = {"svg", "img", "link", "meta", "form", "noscript", "script"}


def _clean(value: str) -> str:
    """An attribute value as a browser reads its scheme: control characters and whitespace removed."""
    return re.sub(r"[\x00-\x20\x7f-\x9f]", "", value)


class IdCollector(HTMLParser):
    """Collects what a page's markup would make a browser do: elements, attributes, script sources."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in ACTIVE_TAGS and tag not in THEME_ALLOWED:
            self.problems.append(f"<{tag}> element")
        if tag == "script":
            src = values.get("src", "")
            json_data = values.get("type") == "application/json" and values.get("id") == "jm-site"
            if not (json_data or any(src.endswith(name) for name in THEME_SCRIPTS)):
                self.problems.append(f"script {values}")
        if tag == "img" and "onerror" in values:
            self.problems.append("img onerror")
        if tag == "meta" and "http-equiv" in values:
            self.problems.append("meta http-equiv")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in URL_ATTRS and UNSAFE_SCHEME.match(_clean(value)):
                self.problems.append(f"<{tag} {name}={value[:40]!r}>")
            if name in URL_ATTRS and _clean(value).startswith(("//", "/\\", "\\")):
                self.problems.append(f"<{tag} {name}={value[:40]!r}> leaves the site")
            if name == "style" and re.search(r"url\(|expression|javascript|[;{}]\s*\w+\s*\{", value, re.I):
                self.problems.append(f"<{tag} style={value[:40]!r}>")
            if name == "id":
                self.ids.append(value)


def markup_problems(html: str) -> list[str]:
    parser = IdCollector()
    parser.feed(html)
    parser.close()
    return parser.problems
