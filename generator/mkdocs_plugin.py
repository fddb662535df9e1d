"""MkDocs plugin: a journeymap project's journeys inside an existing MkDocs site (plain or Material).

    # mkdocs.yml
    plugins:
      - search
      - journeymap:
          project: journeys     # folder holding site_config.yml, relative to mkdocs.yml (default ".")
          nav_title: Journeys   # title of the nav section holding the journey pages
          strict: false         # true: fail the build on any journeymap problem, even without --strict
          drafts: false         # true: also publish journeys with status: draft

What it does, hook by hook (MkDocs 1.6):

- on_config: loads and validates the project (journeymap.validate.validate_project); every diagnostic,
  error or warning, is logged as a WARNING on the `mkdocs.plugins.journeymap` logger, so
  `mkdocs build --strict` fails on it (MkDocs counts warnings of every `mkdocs.*` logger in strict
  mode). Journeys with errors are left out. Adds the map styles to extra_css and a small script that
  makes maps follow the theme's light or dark scheme to extra_javascript.
- on_files: one generated page per published journey, `journeys/<id>.md` (title, summary, personas,
  the map, a table of the steps), plus map.css, its fonts and the plugin's CSS/JS under
  assets/journeymap/.
- on_nav: with an explicit `nav`, a section `nav_title` holding the journey pages is appended, unless
  the nav lists them itself; with MkDocs' automatic nav, their folder's section is titled `nav_title`.
- on_page_markdown: a fenced block whose info string is `journeymap`, at the start of a line, holding
  a journey id, becomes the journey's map (inline SVG in a scrollable <div class="journeymap-embed">);
  its columns link to the steps' rows on the journey's generated page. An unknown id is a warning.
"""
from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from .diagnostics import Diagnostic, did_you_mean
from .model import Journey, Site, Touchpoint

log = get_plugin_logger("journeymap")  # the logger `mkdocs.plugins.journeymap`, messages prefixed "journeymap: "

PAGES_DIR = "journeys"
ASSETS_DIR = "assets/journeymap"
FENCE_INFO = "journeymap"
_FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n]*?)[ \t]*$")

EMBED_CSS = """\
/* journeymap MkDocs plugin: embedded journey maps (the map's own styles are in map.css). */
.journeymap-embed {
  overflow-x: auto;
  margin: 1em 0 1.5em;
  border: 1px solid rgba(127, 127, 127, 0.3);
  border-radius: 4px;
}
.journeymap-embed > svg {
  display: block;
  max-width: none !important;  /* natural size: themes shrink SVGs to the column, which makes maps unreadable */
  height: auto;
}
.journeymap-embed:focus-visible { outline: 2px solid currentColor; outline-offset: 2px; }
/* themes underline links; in a map the whole column is the link */
.journeymap-embed svg a, .journeymap-embed svg a:hover, .journeymap-embed svg a:focus { text-decoration: none; }
.journeymap-missing {
  margin: 1em 0;
  padding: 0.6em 0.9em;
  border-left: 4px solid #d64545;
  background: rgba(214, 69, 69, 0.08);
}
.journeymap-steps-note { opacity: 0.8; }
"""

THEME_SYNC_JS = """\
/* journeymap MkDocs plugin: maps follow the page's colour scheme (Material's palette, the mkdocs
   theme's colour mode) rather than the system setting, through <html data-theme="light|dark">.
   A theme that says nothing is taken as light. */
(function () {
  var root = document.documentElement;
  var dark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  var ours = !root.hasAttribute("data-theme");
  function sync() {
    var scheme = document.body ? document.body.getAttribute("data-md-color-scheme") : null;
    var bs = root.getAttribute("data-bs-theme");
    var mode;
    if (scheme) mode = scheme === "slate" ? "dark" : "light";
    else if (bs === "dark" || bs === "light") mode = bs;
    else if (bs === "auto") mode = dark && dark.matches ? "dark" : "light";
    else if (ours) mode = "light";
    if (mode && root.getAttribute("data-theme") !== mode) root.setAttribute("data-theme", mode);
  }
  sync();
  if (window.MutationObserver) {
    if (document.body) new MutationObserver(sync).observe(document.body, {attributes: true, attributeFilter: ["data-md-color-scheme"]});
    new MutationObserver(sync).observe(root, {attributes: true, attributeFilter: ["data-bs-theme"]});
  }
  if (dark && dark.addEventListener) dark.addEventListener("change", sync);
})();
"""


class JourneymapConfig(base.Config):
    project = c.Type(str, default=".")
    nav_title = c.Type(str, default="Journeys")
    strict = c.Type(bool, default=False)
    drafts = c.Type(bool, default=False)


@dataclass
class _Embed:
    journey_id: str
    line: int
    extra: bool  # more than one line in the block


class JourneymapPlugin(BasePlugin[JourneymapConfig]):
    """`plugins: [journeymap]`: journey pages, embedded maps, and journeymap's diagnostics as MkDocs warnings."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.root: Path | None = None
        self.site: Site | None = None
        self.diagnostics: list[Diagnostic] = []
        self.journeys: dict[str, Journey] = {}  # journeys that get a page and can be embedded
        self.left_out: dict[str, str] = {}  # journey id -> why it is not published
        self.pages: dict[str, File] = {}  # journey id -> its page (generated, or the user's own file)
        self.generated: list[File] = []
        self.base = Path.cwd()

    # --- config and validation ------------------------------------------------------------------

    def on_config(self, config: Any) -> Any:
        from .validate import validate_project

        self._reset()
        self.base = Path(config.config_file_path).resolve().parent if config.config_file_path else Path.cwd()
        self.root = (self.base / self.config.project).resolve()
        site, diagnostics = validate_project(self.root)
        self.site, self.diagnostics = site, diagnostics
        for diagnostic in diagnostics:
            log.warning(self._describe(diagnostic))
        if self.config.strict and diagnostics:
            errors = sum(d.is_error for d in diagnostics)
            raise PluginError(f"journeymap: {errors} error(s) and {len(diagnostics) - errors} warning(s) in {self._show(self.root)} "
                              "(the plugin's 'strict: true' fails the build on any of them)")
        if site is not None and site.config_ok:
            self._choose_journeys(site, diagnostics)
            self._check_content_dir(site, config)
        for css in (f"{ASSETS_DIR}/map.css", f"{ASSETS_DIR}/journeymap.css"):
            if css not in config.extra_css:
                config.extra_css.append(css)
        script = f"{ASSETS_DIR}/journeymap.js"
        if script not in [str(item) for item in config.extra_javascript]:
            config.extra_javascript.append(script)
        return config

    def _choose_journeys(self, site: Site, diagnostics: list[Diagnostic]) -> None:
        journeys_dir = site.content_dir / "journeys"
        for journey in site.journeys.values():
            if journey.is_draft and not self.config.drafts:
                self.left_out[journey.id] = "is a draft (status: draft); set 'drafts: true' for the journeymap plugin to publish drafts"
                continue
            folder = Path(os.path.relpath(journeys_dir / journey.id, site.root)).as_posix() + "/"
            if journey.unplaced or any(d.is_error and d.file.startswith(folder) for d in diagnostics):
                self.left_out[journey.id] = "has errors (reported above), so it is left out"
                continue
            self.journeys[journey.id] = journey
        for kind, id_ in sorted(site.broken):
            if kind == "journey" and id_ not in self.left_out:
                self.left_out[id_] = "has errors (reported above), so it is left out"

    def _check_content_dir(self, site: Site, config: Any) -> None:
        docs = Path(config.docs_dir).resolve()
        content = site.content_dir.resolve()
        if content.is_relative_to(docs) or docs.is_relative_to(content):
            log.warning(f"the content folder {self._show(content)} and docs_dir {self._show(docs)} overlap: MkDocs would publish "
                        "the content files as pages of their own; keep the journeymap project outside docs_dir")

    def _show(self, path: Path) -> str:
        try:
            return os.path.relpath(path, self.base)
        except ValueError:  # pragma: no cover - another drive on Windows
            return str(path)

    def _describe(self, diagnostic: Diagnostic) -> str:
        path = self._show(self.root / diagnostic.file) if self.root else diagnostic.file
        text = f"{path}:{diagnostic.line}:{diagnostic.column}: {diagnostic.severity.value} {diagnostic.code} {diagnostic.message}"
        hint = diagnostic.hint
        if diagnostic.code == "JM014":  # the CLI's hint names --project; here it is the plugin's option
            hint = "set the journeymap plugin's 'project:' option in mkdocs.yml to the folder holding site_config.yml"
        return text + (f"\n  hint: {hint}" if hint else "")

    # --- files -----------------------------------------------------------------------------------

    def on_files(self, files: Files, *, config: Any) -> Files:
        inclusion = InclusionLevel.NOT_IN_NAV if config.nav is not None else InclusionLevel.UNDEFINED
        for journey in self.journeys.values():
            src_uri = f"{PAGES_DIR}/{journey.id}.md"
            existing = files.get_file_from_path(src_uri)
            if existing is not None:
                log.warning(f"docs page {src_uri} exists, so journeymap does not generate the page of journey '{journey.id}' "
                            "(maps of this journey link to that page); rename the page to get the generated one")
                self.pages[journey.id] = existing
                continue
            page = File.generated(config, src_uri, content=self._journey_markdown(journey), inclusion=inclusion)
            files.append(page)
            self.pages[journey.id] = page
            self.generated.append(page)
        self._add_assets(files, config)
        return files

    def _add_assets(self, files: Files, config: Any) -> None:
        from .maps import map_css_path
        from .themes import default_theme_dir

        css = map_css_path(self.site) if self.site is not None else default_theme_dir() / "assets" / "map.css"
        fonts = css.parent / "fonts"
        if not fonts.is_dir():
            fonts = default_theme_dir() / "assets" / "fonts"
        assets: list[File] = [File.generated(config, f"{ASSETS_DIR}/map.css", abs_src_path=str(css)),
                              File.generated(config, f"{ASSETS_DIR}/journeymap.css", content=EMBED_CSS),
                              File.generated(config, f"{ASSETS_DIR}/journeymap.js", content=THEME_SYNC_JS)]
        for font in sorted(fonts.iterdir()):
            if font.suffix in (".woff2", ".txt"):  # the fonts map.css names, and their licence (OFL.txt)
                assets.append(File.generated(config, f"{ASSETS_DIR}/fonts/{font.name}", abs_src_path=str(font)))
        for asset in assets:
            if files.get_file_from_path(asset.src_uri) is None:
                files.append(asset)

    # --- navigation ------------------------------------------------------------------------------

    def on_nav(self, nav: Navigation, *, config: Any, files: Files) -> Navigation:
        pages = [file.page for file in self.generated if isinstance(file.page, Page)]
        if not pages:
            return nav
        listed = [page for page in pages if page in nav.pages]
        if listed:
            if config.nav is None:  # automatic nav: MkDocs made a section of the journeys/ folder
                parent = listed[0].parent
                if isinstance(parent, Section):
                    parent.title = self.config.nav_title
            return nav
        section = Section(self.config.nav_title, list(pages))
        for page in pages:
            page.parent = section
        nav.items.append(section)
        previous = nav.pages[-1] if nav.pages else None
        for page in pages:
            page.previous_page = previous
            if previous is not None:
                previous.next_page = page
            previous = page
        pages[-1].next_page = None
        nav.pages.extend(pages)
        return nav

    # --- serve -----------------------------------------------------------------------------------

    def on_serve(self, server: Any, *, config: Any, builder: Any) -> Any:
        """`mkdocs serve` rebuilds when site_config.yml, the content or the custom theme change."""
        if self.root is None:
            return server
        watched = [self.root / "site_config.yml"]
        if self.site is not None:
            watched.append(self.site.content_dir)
            if self.site.config.theme.custom_dir:
                watched.append(self.root / self.site.config.theme.custom_dir)
        for path in watched:
            if path.exists():
                server.watch(str(path))
        return server

    # --- embeds ----------------------------------------------------------------------------------

    def on_page_markdown(self, markdown: str, *, page: Page, config: Any, files: Files) -> str:
        lines = markdown.split("\n")
        out: list[str] = []
        count = 0
        index = 0
        while index < len(lines):
            opened = _FENCE_OPEN.match(lines[index])
            if opened is None:
                out.append(lines[index])
                index += 1
                continue
            fence = opened.group("fence")
            end = _closing_fence(lines, index + 1, fence)
            info = opened.group("info").strip()
            if info.split()[:1] != [FENCE_INFO] or (fence[0] == "`" and "`" in info):
                out.extend(lines[index:end + 1])  # another fenced block: left as it is, directives inside too
                index = end + 1
                continue
            body = [line.strip() for line in lines[index + 1:end] if line.strip()]
            count += 1
            embed = _Embed(body[0] if body else "", index + 1, len(body) > 1)
            out.extend(["", self._embed(embed, page, count), ""])
            index = end + 1
        return "\n".join(out) if count else markdown

    def _embed(self, embed: _Embed, page: Page, count: int) -> str:
        where = f"{page.file.src_uri}:{embed.line}"
        if embed.extra:
            log.warning(f"{where}: a journeymap block holds one journey id; the lines after '{embed.journey_id}' are ignored")
        journey = self.journeys.get(embed.journey_id)
        if journey is None:
            if not embed.journey_id:
                reason = "the journeymap block names no journey: put a journey id on the line inside it"
            elif embed.journey_id in self.left_out:
                reason = f"journey '{embed.journey_id}' {self.left_out[embed.journey_id]}"
            else:
                known = ", ".join(sorted(self.journeys)) or "none"
                reason = (f"unknown journey '{embed.journey_id}' in a journeymap block"
                          f"{did_you_mean(embed.journey_id, self.journeys)} (journeys: {known})")
            log.warning(f"{where}: {reason}")
            return ('<div class="journeymap-missing" role="note"><p>Journey map not shown: '
                    f'{html.escape(reason)}.</p></div>')
        target = self.pages.get(journey.id)
        own = target is not None and target.src_uri == page.file.src_uri
        base_url = "" if own or target is None else get_relative_url(target.url, page.file.url)

        def link(tp: Touchpoint) -> str:
            return f"{base_url}#{_step_anchor(tp)}"

        from .maps import render_journey_map
        from .svg import palette_style

        rendered = render_journey_map(self.site, journey, link=link, id_prefix=f"jm-{journey.id}-{count}-")  # type: ignore[arg-type]
        svg = re.sub(r"\n\s*\n", "\n", rendered.svg.strip())  # a blank line would end Markdown's raw HTML block
        palette = {k: v.lower() for k, v in self.site.config.theme.palette.items()} if self.site else {}  # type: ignore[union-attr]
        style = palette_style(palette)
        label = f"Journey map: {journey.meta.title} (scrolls sideways)"
        attrs = f' style="{html.escape(style)}"' if style else ""
        return (f'<div class="journeymap-embed" role="region" tabindex="0" aria-label="{html.escape(label)}" '
                f'data-journey="{html.escape(journey.id)}"{attrs}>\n{svg}\n</div>')

    # --- generated journey pages -----------------------------------------------------------------

    def _journey_markdown(self, journey: Journey) -> str:
        site = self.site
        assert site is not None
        meta = journey.meta
        lines = [f"# {_inline(meta.title)}", ""]
        if meta.summary:
            lines += [_inline(meta.summary), ""]
        facts = []
        names = [site.personas[p].meta.name if p in site.personas else p for p in meta.personas]
        if names:
            facts.append(f"**Personas:** {_inline(', '.join(names))}")
        if meta.owner:
            team = site.config.teams.get(meta.owner)
            facts.append(f"**Owner:** {_inline(team.title if team else meta.owner)}")
        facts.append(f"**State:** {'future' if meta.state == 'future' else 'current'}")
        lines += [" · ".join(facts), "", f"```{FENCE_INFO}", journey.id, "```", "", "## Steps", ""]
        scale = site.config.emotion_scale
        lines += ["| # | Stage | Step | Channel | Emotion | Pain points | Opportunities |",
                  "|--:|---|---|---|---|---|---|"]
        number = 0
        for stage in journey.stages:
            for tp in stage.touchpoints:
                number += 1
                tm = tp.meta
                step = f"**{_cell(tm.title)}**" + (f"<br>{_cell(tm.action)}" if tm.action else "")
                channel = site.config.channels.get(tm.channel or "")
                emotions = []
                for who, value in sorted(tp.scores().items(), key=lambda item: (item[0] is not None, item[0] or "")):
                    label = scale.labels.get(value, "")
                    name = (site.personas[who].meta.name if who in site.personas else who) if who else ""
                    emotions.append(_cell(f"{name + ': ' if name else ''}{value}{f' ({label})' if label else ''}"))
                pains = [_cell(f"{p.title} ({p.severity})") for p in tm.pain_points]
                opps = [_cell(o.title + _ratings(o.impact, o.effort)) for o in tm.opportunities]
                lines.append("| " + " | ".join([
                    f'<span id="{_step_anchor(tp)}">{number}</span>',
                    _cell(stage.meta.title),
                    step,
                    _cell(channel.title if channel else (tm.channel or "")),
                    "<br>".join(emotions),
                    "<br>".join(pains),
                    "<br>".join(opps),
                ]) + " |")
        if number == 0:
            lines += ["", "*This journey has no steps yet.*"]
        return "\n".join(lines) + "\n"


def _closing_fence(lines: list[str], start: int, fence: str) -> int:
    """Index of the line closing a fenced block opened with `fence` (the last line when unclosed)."""
    closing = re.compile(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$")
    for index in range(start, len(lines)):
        if closing.match(lines[index]):
            return index
    return len(lines) - 1


def _ratings(impact: str | None, effort: str | None) -> str:
    parts = [f"{name} {value}" for name, value in (("impact", impact), ("effort", effort)) if value]
    return f" ({', '.join(parts)})" if parts else ""


def _step_anchor(tp: Touchpoint) -> str:
    return f"jm-step-{tp.id}"


# Python-Markdown's backslash escapes (plus '|', which its tables extension adds): only these, since a
# backslash before any other character stays visible.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+!|])")
_LIST_START = re.compile(r"^(\d+)([.)])")


def _inline(text: str) -> str:
    """Plain text as inline Markdown: one line, HTML escaped, Markdown punctuation backslash-escaped,
    and never read as the start of a list, heading or quote."""
    flat = " ".join(text.split())
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", html.escape(flat, quote=False))
    escaped = _LIST_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)
    return "\\" + escaped if escaped.startswith("-") else escaped


def _cell(text: str) -> str:
    """Plain text for a Markdown table cell."""
    return _inline(text)
