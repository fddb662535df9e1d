"""Site + maps -> pages: every HTML page, the standalone map SVGs, sitemap.xml and the theme assets.

`render_site` returns what build.py writes: (output path -> bytes, output path -> file to copy). It
reads nothing but the Site, the theme folders and the content assets, and it is deterministic: every
loop runs in a sorted or journey order, ids come from content ids, nothing carries a date.

Which pages read what (for incremental and parallel builds):
- per journey (that journey, its personas, the config, the title and state of the journey it is
  compared with): journeys/<j>/ (+ map.svg), its stages and touchpoints;
- per comparison (both journeys and their personas): compare/<j>/, named after the journey that owns it;
- shared (every published journey): home, personas/, personas/<p>/, pain-points/, opportunities/,
  teams/, search/, 404.html, sitemap.xml, and the journey navigation of the header.

build.py renders these units separately (`journey_unit`, `compare_unit`, `shared_unit`, `sitemap`), in
worker processes and only when their inputs changed. `journey_reads` and `compare_reads` list everything
such a unit reads beyond its journeys' own files; a new cross-journey read in a journey page must be
added there, or incremental builds go stale (tests/test_incremental.py compares them with clean builds).

Templates live in theme/templates (and `theme.custom_dir`, looked up first, see theme.py); they get
model objects plus the small view structures built here. Autoescape is on; only markdown-it output,
the SVG the map renderer draws (which escapes its text) and a journey's navigation (rendered by its
autoescaped template once per journey, its URL-quoted links filled in per page) are marked safe.
"""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from statistics import mean
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

from jinja2 import (BytecodeCache, ChoiceLoader, Environment, FileSystemBytecodeCache, FileSystemLoader,
                    StrictUndefined, TemplateError, TemplateNotFound, TemplateSyntaxError)
from markupsafe import Markup

from . import __version__
from . import urls as U
from .cache import digest_json
from .diagnostics import DiagnosticError, error
from .links import classify, resolve_relative
from .markdown import render as render_markdown
from .model import Journey, Persona, Site, Stage, Touchpoint, lane_title
from .schema import Opportunity, PainPoint
from .themes import theme_dirs
from .validate import content_relative

try:  # the map renderer (generator/maps.py) is written alongside; the site still builds without it
    from . import maps as _maps
except ImportError:  # pragma: no cover - only while maps.py does not exist yet
    _maps = None  # type: ignore[assignment]

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
TOP_NAV = [("Journeys", U.HOME), ("Personas", U.PERSONAS), ("Pain points", U.PAIN_POINTS),
           ("Opportunities", U.OPPORTUNITIES), ("Teams", U.TEAMS)]
ASSET_SKIP = {".DS_Store", "Thumbs.db"}
_NAV_HERE, _NAV_OPEN, _NAV_NONE = Markup(' aria-current="page"'), Markup(" jm-nav-open"), Markup("")


# --- view structures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    title: str
    key: str
    fragment: str = ""


@dataclass(frozen=True)
class Score:
    """One emotion score as shown: who (persona name or None), the number, its label, a 1..5 bucket."""

    who: str | None
    value: int
    label: str
    bucket: int


@dataclass(frozen=True)
class Cell:
    """One cell of the map's table alternative: `kind` tells the template how to show `items`."""

    kind: str  # text | list | emotion | channel | pains | opps | team
    items: tuple[Any, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.items


@dataclass(frozen=True)
class Row:
    lane_id: str
    title: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: the key of partials/macros.html `pain_row`
class PainEntry:
    pain: PainPoint
    journey: Journey
    stage: Stage
    touchpoint: Touchpoint
    index: int


@dataclass(frozen=True)
class OppEntry:
    opp: Opportunity
    journey: Journey
    stage: Stage
    touchpoint: Touchpoint
    index: int
    rank: int = 0


@dataclass
class Group:
    """A titled group of entries on an index page (a phase, a channel, a team)."""

    id: str
    title: str
    entries: list[Any] = field(default_factory=list)
    icon: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class MapView:
    """An inline map for a page: its SVG (safe), size and an optional heading."""

    svg: Markup
    width: float
    height: float
    title: str = ""
    id: str = ""
    link: Link | None = None


@dataclass(frozen=True)
class _NavMarkup:
    """A journey's navigation markup with its page-dependent parts blank: `urls` (position, target
    key, fragment), `here` (page key -> positions of its aria-current attribute), `open` (position
    of a stage's open class, the keys of the stage and its steps)."""

    parts: list[str]
    urls: list[tuple[int, str, str]]
    here: dict[str, list[int]]
    open: list[tuple[int, frozenset[str]]]

    @classmethod
    def of(cls, parts: list[str], slots: list[tuple[str, Any]]) -> _NavMarkup:
        """From markup split at its slots (odd parts) and what each slot is: ("url", (key, fragment)),
        ("here", key) or ("open", keys)."""
        parts = [part if index % 2 == 0 else "" for index, part in enumerate(parts)]
        urls, here, open_ = [], {}, []
        for number, (kind, value) in enumerate(slots):
            index = 2 * number + 1
            if kind == "url":
                urls.append((index, *value))
            elif kind == "here":
                here.setdefault(value, []).append(index)
            else:
                open_.append((index, value))
        return cls(parts, urls, here, open_)

    def fill(self, urls: U.UrlScheme, current: str) -> Markup:
        """The markup on the page `current` (the autoescaped template wrote it; links are URL-quoted)."""
        out = self.parts.copy()
        relative = urls.relative
        for index, target, fragment in self.urls:
            out[index] = relative(current, target, fragment)
        for index in self.here.get(current, ()):
            out[index] = _NAV_HERE
        for index, keys in self.open:
            if current in keys:
                out[index] = _NAV_OPEN
        return Markup("".join(out))


@dataclass(frozen=True)
class ComparePair:
    journey: Journey  # the journey whose page this is (the one declaring compares_with)
    before: Journey
    after: Journey


# --- entry point -------------------------------------------------------------------------------------


def render_site(site: Site, include_drafts: bool = False) -> tuple[dict[str, bytes], dict[str, Path]]:
    """Render every page and list the files to copy. Output path -> bytes, output path -> source file."""
    return SiteRenderer(site, include_drafts).render()


class SiteRenderer:
    def __init__(self, site: Site, include_drafts: bool = False):
        self.site = site
        self.assets = frozenset(site.assets)
        self.config = site.config
        self.urls = U.UrlScheme(site.config.use_directory_urls)
        self.journeys = site.published(include_drafts)
        self.journey_ids = {j.id for j in self.journeys}
        self.content_dir = site.content_dir.resolve()
        self.env = self._environment()
        self.pages: dict[str, bytes] = {}
        self.content_pages = _LinkTable(self._content_pages())
        self._drawn_maps: dict[tuple[Any, ...], tuple[list[str], list[Touchpoint], float, float]] = {}
        self._layouts: dict[tuple[Any, ...], tuple[Any, list[Touchpoint]]] = {}  # per journey unit, like _drawn_maps
        self._layout_memos: dict[str, dict[tuple[Any, ...], Any]] = {}  # likewise (layout_journey's `memo`)
        self._navs: dict[str, tuple[list[dict[str, Any]], _NavMarkup | None]] = {}  # likewise
        self.charts: dict[str, str] = {}  # emotion charts drawn by an earlier build with the same config and theme
        self.charts_used: dict[str, str] = {}
        self.compare = self._compare_pairs()
        self.brand = self._brand()
        self.step_no = {(j.id, tp.id): n for j in self.journeys for n, tp in enumerate(j.touchpoints, 1)}
        self.stage_no = {(j.id, st.id): n for j in self.journeys for n, st in enumerate(j.stages, 1)}
        self.has_map_css = any((folder / "assets" / "map.css").is_file() for folder in theme_dirs(site))
        self.pains = [entry for journey in self.journeys for entry in _pain_entries(journey)]
        self.phases_with_pains = frozenset(entry.stage.meta.phase for entry in self.pains)

    @cached_property
    def opps(self) -> list[OppEntry]:
        """Every opportunity of the site, ranked: for the shared pages only, so not made when they are
        not rendered."""
        return _ranked(self.config.impact_scale, self.config.effort_scale,
                       [entry for journey in self.journeys for entry in _opp_entries(journey)])

    # --- orchestration ---------------------------------------------------------------------------

    def render(self) -> tuple[dict[str, bytes], dict[str, Path]]:
        pages: dict[str, bytes] = {}
        for journey in self.journeys:
            pages.update(self.journey_unit(journey))
        for owner in self.compare_owners():
            pages.update(self.compare_unit(owner))
        pages.update(self.shared_unit())
        sitemap = self.sitemap(pages)
        if sitemap is not None:
            pages[U.SITEMAP] = sitemap
        self.pages = pages
        return dict(sorted(self.pages.items())), dict(sorted(self._copies().items()))

    # --- units of work (build.py) ---------------------------------------------------------------

    def journey_unit(self, journey: Journey) -> dict[str, bytes]:
        """Every file of one journey: its pages and map.svg."""
        self._start_unit()
        self._journey_pages(journey)
        pages, self.pages = self.pages, {}
        return pages

    def compare_owners(self) -> list[str]:
        """The journeys that own a comparison page (see _compare_pairs), in journey order."""
        return [journey.id for journey in self.journeys
                if (pair := self.compare.get(journey.id)) is not None and pair.journey is journey]

    def compare_unit(self, owner: str) -> dict[str, bytes]:
        """The comparison page of the pair `owner` owns: its own unit, so that an edit of one journey of
        a pair renders that journey and this page, not both journeys."""
        self._start_unit()
        self._compare_page(self.compare[owner])
        pages, self.pages = self.pages, {}
        return pages

    def _start_unit(self) -> None:
        self.pages = {}
        self._drawn_maps = {}
        self._layouts = {}
        self._layout_memos = {}
        self._navs = {}
        self.content_pages.looked_up = set()

    def shared_unit(self) -> dict[str, bytes]:
        """The pages that read many journeys, and palette.css (not the sitemap: see `sitemap`)."""
        self.pages = {}
        self._home()
        self._personas()
        self._pain_points()
        self._opportunities()
        self._teams()
        self._page(U.SEARCH, "search.html", title="Search", section=None, crumbs=[], search_page=True)
        self._page(U.NOT_FOUND, "404.html", title="Page not found", section=None, crumbs=[])
        self.pages["assets/palette.css"] = self._palette_css().encode("utf-8")
        pages, self.pages = self.pages, {}
        return pages

    def sitemap(self, paths: Iterable[str]) -> bytes | None:
        """sitemap.xml listing every page among `paths` (all output paths), or None without site_url."""
        if not self.config.site_url:
            return None
        self.pages = {}
        self._sitemap(paths)
        return self.pages.pop(U.SITEMAP)

    def journey_reads(self, journey: Journey, link_targets: Iterable[str]) -> dict[str, Any]:
        """What the journey unit of `journey` reads, beyond the config and the theme.

        `files`: content files (relative to the content folder) whose bytes it reads: its own, those of
        the journeys it is compared with (either direction) and of the personas it or they name.
        `facts`: plain values it reads from other journeys, computed from the current site, and how
        each link target its Markdown and evidence looked up resolves now (`journey_unit` records
        those in `content_pages.looked_up`).
        """
        # The default templates show of the journey it is compared with its title and state (a custom
        # theme gets the whole journey, so it reads its files, as the comparison page does).
        related = [journey] + (self._related(journey) if self.config.theme.custom_dir else [])
        pair, counterpart = self.compare.get(journey.id), self._counterpart(journey)
        facts = {
            "published": journey.id in self.journey_ids,
            "compare": [pair.journey.id, pair.before.id, pair.after.id] if pair else None,
            "counterpart": [counterpart.id, counterpart.meta.title, counterpart.meta.state] if counterpart else None,
            "next": [self._next_steps(journey, tp) for tp in journey.touchpoints],
            "phases_with_pains": sorted(
                (phase, phase in self.phases_with_pains)
                for phase in {stage.meta.phase for stage in journey.stages if stage.meta.phase}),
        }
        return self._reads(related, facts, link_targets)

    def compare_reads(self, owner: str, link_targets: Iterable[str]) -> dict[str, Any]:
        """What the comparison unit of `owner` reads: both journeys' files and their personas'."""
        pair = self.compare[owner]
        facts = {"compare": [pair.journey.id, pair.before.id, pair.after.id]}
        return self._reads([pair.journey] + self._related(pair.journey), facts, link_targets)

    def _related(self, journey: Journey) -> list[Journey]:
        return [other for other in self.journeys if other is not journey and (
            other.id == journey.meta.compares_with or other.meta.compares_with == journey.id)]

    def _reads(self, related: list[Journey], facts: dict[str, Any], link_targets: Iterable[str]) -> dict[str, Any]:
        """The files of the journeys `related` (and of the personas they name), with `facts`."""
        persona_ids = sorted({pid for j in related for pid in _persona_refs(j)})
        files = sorted({self._rel(doc) for j in related for doc in _journey_docs(j)}
                       | {self._rel(self.site.personas[pid].source) for pid in persona_ids if pid in self.site.personas})
        facts = {**facts, "personas": [(pid, pid in self.site.personas) for pid in persona_ids],
                 "related": [(j.id, j.id in self.journey_ids) for j in related],
                 "links": self.link_facts(link_targets)}
        return {"files": files, "facts": facts}

    def shared_reads(self, content: dict[str, str], memo: dict[str, tuple[str, str]] | None = None) -> dict[str, str]:
        """What the shared unit reads: every content file (relative path -> content hash), except that a
        touchpoint counts by the fields the shared pages show, not by its Markdown body nor the
        SHARED_IGNORES fields, so an edit of what a customer does or thinks at one step does not re-render
        the site-wide pages. With theme.custom_dir, templates may show anything: every file counts whole.
        `memo` (relative path -> (content hash, digest of what it shows)) keeps what unchanged files show,
        for the same config (journeymap serve keeps one)."""
        if self.config.theme.custom_dir:
            return dict(content)
        reads = dict(content)
        memo = {} if memo is None else memo
        for journey in self.site.journeys.values():
            for tp in journey.touchpoints + journey.unplaced:
                rel = self._rel(tp.source)
                if rel in reads:
                    known = memo.get(rel)
                    if known is None or known[0] != content[rel]:
                        shown = tp.meta.model_dump(mode="json", exclude=SHARED_IGNORES)  # its digest: a short key
                        known = memo[rel] = (content[rel], digest_json(shown))
                    reads[rel] = known[1]
        return reads

    def link_facts(self, targets: Iterable[str]) -> list[tuple[str, str | None, bool]]:
        """How each link target resolves now: (target, page key or None, is a content asset)."""
        return [(target, dict.get(self.content_pages, target), target in self.assets) for target in sorted(targets)]

    # --- templates ----------------------------------------------------------------------------------

    def _environment(self) -> Environment:
        loaders = []
        for folder in theme_dirs(self.site):
            loaders.append(FileSystemLoader(str(folder / "templates")))
            if folder != theme_dirs(self.site)[-1]:
                loaders.append(FileSystemLoader(str(folder)))  # custom_dir/<template>.html, as in MkDocs
        # auto_reload off: a renderer lives for one build, so templates need not be stat()ed on every page.
        env = Environment(loader=ChoiceLoader(loaders), autoescape=True, undefined=StrictUndefined,
                          trim_blocks=False, lstrip_blocks=True, keep_trailing_newline=True, auto_reload=False,
                          bytecode_cache=_bytecode_cache())
        env.globals.update(
            config=self.config,
            version=__version__,
            team_title=self._team_title,
            channel_title=self._channel_title,
            phase_title=self._phase_title,
            lane_title=lane_title,
            severity_order=SEVERITY_ORDER,
            memoised=_memoised,
        )
        try:  # the map's channel icons, so a channel looks the same on the map and in the pages
            from .icons import ICON_PATHS

            env.globals["channel_icon_paths"] = dict(ICON_PATHS)
        except ImportError:  # pragma: no cover
            env.globals["channel_icon_paths"] = {}
        env.filters["tojson_safe"] = _json_for_script
        env.filters["extra_value"] = _extra_value
        return env

    def _page(self, key: str, template: str, *, title: str, section: str | None, crumbs: list[Link],
              body_html: Markup | None = None, **context: Any) -> None:
        taken = _ids_in(body_html or "")
        is_404 = key == U.NOT_FOUND
        base_path = urlsplit(self.config.site_url).path if is_404 and self.config.site_url else None

        def url(target: str, fragment: str = "") -> str:
            if base_path is not None:  # 404.html is served at any depth: path-absolute links from site_url
                rel = self.urls.href(target)
                return base_path.rstrip("/") + "/" + rel + ("#" + fragment if fragment else "")
            return self.urls.relative(key, target, fragment)

        def sid(name: str) -> str:
            return name if name not in taken else f"{name}-section"

        values = dict(
            page=dict(key=key, title=title, section=section, canonical=self._canonical(key)),
            url=url,
            asset=lambda path: url("assets/" + path),
            sid=sid,
            crumbs=crumbs,
            nav=[dict(title=t, key=k, active=(section == k)) for t, k in TOP_NAV],
            brand=self.brand,
            site_json=_site_json(url(U.HOME), url(U.SEARCH), url("pagefind/pagefind.js"), self.config.use_directory_urls),
            body_html=body_html,
            search_page=False,
            journey_nav=None,
            journey_nav_html=None,
            prev=None,
            next=None,
            edit_url=None,
            source_url=None,
            search_kind=None,
            page_kind=template.rsplit(".", 1)[0].replace("_", "-"),
            has_map_css=self.has_map_css,
        )
        values.update(context)
        try:
            html = self.env.get_template(template).render(values)
        except TemplateSyntaxError as exc:
            raise DiagnosticError([error(_template_path(exc.filename, self.site), exc.lineno or 1, 1, "JM121",
                                         f"template error in {exc.name or template}: {exc.message}",
                                         "fix the template in theme.custom_dir")]) from None
        except TemplateNotFound as exc:
            raise DiagnosticError([error("site_config.yml", 1, 1, "JM121", f"template not found: {exc.name}",
                                         "a template override in theme.custom_dir extends or includes a template that does not exist")]) from None
        except TemplateError as exc:
            raise DiagnosticError([error("site_config.yml", 1, 1, "JM121", f"template error while rendering {template} for {key or 'the home page'}: {exc}",
                                         "check the templates in theme.custom_dir")]) from None
        self.pages[U.output_file(key)] = html.encode("utf-8")

    def _canonical(self, key: str) -> str | None:
        if not self.config.site_url or key == U.NOT_FOUND:
            return None
        return self.urls.absolute(self.config.site_url, key)

    # --- markdown ------------------------------------------------------------------------------------

    def _content_pages(self) -> dict[str, str]:
        """Content-relative path -> page key, for every published document."""
        pages: dict[str, str] = {}
        for persona in self.site.personas.values():
            pages[self._rel(persona.source)] = U.persona(persona.id)
        for journey in self.journeys:
            pages[self._rel(journey.source)] = U.journey(journey.id)
            for stage in journey.stages:
                pages[self._rel(stage.source)] = U.stage(journey.id, stage.id)
                for tp in stage.touchpoints:
                    pages[self._rel(tp.source)] = U.touchpoint(journey.id, tp.id)
        return pages

    def _rel(self, doc: Any) -> str:
        return content_relative(self.site, doc)

    def _markdown(self, doc: Any, key: str) -> Markup:
        if not doc.body.strip():
            return Markup("")
        source = self._rel(doc)

        def resolve(base: str, href: str) -> str | None:
            target, fragment = resolve_relative(base, href)
            if target is None:
                return None
            frag = fragment.lstrip("#")
            if target in self.content_pages:
                return self.urls.relative(key, self.content_pages[target], frag)
            if target in self.site.assets:
                return self.urls.relative(key, U.media(target), frag)
            return None

        return Markup(render_markdown(doc.body, source, resolve))  # markdown-it output: raw HTML is off

    def _edit_url(self, doc: Any) -> tuple[str | None, str | None]:
        """('edit this file' URL, 'view source' URL) when repo_url is set."""
        repo = self.config.repo_url
        if not repo or classify(repo) != "external":
            return None, None
        edit_uri = self.config.edit_uri.strip("/")
        edit = "/".join(part for part in (repo.rstrip("/"), edit_uri, doc.path) if part)
        view = edit
        if edit_uri.startswith("edit/"):
            view = "/".join((repo.rstrip("/"), "blob/" + edit_uri[len("edit/"):], doc.path))
        return edit, view

    # --- vocabulary helpers ---------------------------------------------------------------------

    def _team_title(self, team_id: str | None) -> str:
        if not team_id:
            return ""
        team = self.config.teams.get(team_id)
        return team.title if team else team_id

    def _channel_title(self, channel_id: str | None) -> str:
        if not channel_id:
            return ""
        channel = self.config.channels.get(channel_id)
        return channel.title if channel else channel_id

    def _channel_icon(self, channel_id: str | None) -> str:
        channel = self.config.channels.get(channel_id or "")
        return channel.icon if channel else "globe"

    def _phase_title(self, phase_id: str | None) -> str:
        if not phase_id:
            return ""
        phase = self.config.phases.get(phase_id)
        return phase.title if phase else phase_id

    def _persona_name(self, persona_id: str) -> str:
        persona = self.site.personas.get(persona_id)
        return persona.meta.name if persona else persona_id

    def _score(self, who: str | None, value: int) -> Score:
        scale = self.config.emotion_scale
        label = scale.labels.get(value, "")
        span = max(scale.max - scale.min, 1)
        bucket = 1 + round((min(max(value, scale.min), scale.max) - scale.min) * 4 / span)
        return Score(who, value, label, bucket)

    def _scores(self, tp: Touchpoint) -> list[Score]:
        return [self._score(self._persona_name(who) if who else None, value)
                for who, value in sorted(tp.scores().items(), key=lambda item: (item[0] is not None, item[0] or ""))]

    def _stage_scores(self, stage: Stage) -> list[Score]:
        emotion = stage.meta.emotion
        if emotion is None:
            return []
        if isinstance(emotion, dict):
            return [self._score(self._persona_name(who), value) for who, value in sorted(emotion.items())]
        return [self._score(None, emotion)]

    # --- maps ---------------------------------------------------------------------------------------

    def _map(self, journey: Journey, from_key: str, *, id_prefix: str, standalone: bool = False,
             stage_id: str | None = None, overview: bool = False) -> MapView:
        def link(tp: Touchpoint) -> str:
            return self.urls.relative(from_key, U.touchpoint(tp.journey_id, tp.id))

        if _maps is None:  # pragma: no cover - placeholder until maps.py exists
            return _placeholder_map(journey, link, stage_id)
        # A stage's map shows on the journey page and on the stage page: the same drawing with links from
        # another folder. It is drawn once, with numbered slots (NUL-delimited: YAML refuses NUL, so no
        # content can hold one) where the links go, and the links are filled in per page.
        key = (journey.id, id_prefix, standalone, stage_id, overview)
        drawn = self._drawn_maps.get(key)
        if drawn is None:
            layout, slots = self._slotted_layout(journey, stage_id, overview)
            rendered = _maps.draw_journey_map(self.site, layout, id_prefix=id_prefix, standalone=standalone)
            parts = rendered.svg.split("\0")
            if len(parts) != 2 * len(slots) + 1 or any(parts[2 * i + 1] != str(i) for i in range(len(slots))):
                rendered = _maps.render_journey_map(self.site, journey, link=link, id_prefix=id_prefix,
                                                   standalone=standalone, stage_id=stage_id, overview=overview)
                return MapView(Markup(rendered.svg), rendered.width, rendered.height)
            drawn = self._drawn_maps[key] = (parts, slots, rendered.width, rendered.height)
        parts, slots, width, height = drawn
        svg = "".join(part if index % 2 == 0 else _svg_attr(link(slots[int(part)]))
                      for index, part in enumerate(parts))
        return MapView(Markup(svg), width, height)

    def _slotted_layout(self, journey: Journey, stage_id: str | None, overview: bool) -> tuple[Any, list[Touchpoint]]:
        """One layout per map shape, with link slots: the inline map and map.svg are drawn from the same one."""
        key = (journey.id, stage_id, overview)
        if key not in self._layouts:
            slots: list[Touchpoint] = []

            def slot(tp: Touchpoint) -> str:
                slots.append(tp)
                return f"\0{len(slots) - 1}\0"

            memo = self._layout_memos.setdefault(journey.id, {})  # the stage maps reuse the full map's cells
            layout = _maps.layout_journey(self.site, journey, link=slot, stage_id=stage_id, overview=overview, memo=memo)
            self._layouts[key] = (layout, slots)
        return self._layouts[key]

    def _needs_overview(self, journey: Journey) -> bool:
        return bool(_maps is not None and _maps.needs_overview(journey))

    def _chart(self, columns: list[str], groups: list[tuple[str, int]], series: list[tuple[str, list[float | None], str]],
               *, id_prefix: str, title: str) -> Markup:
        if _maps is None:  # pragma: no cover
            return Markup('<p class="jm-placeholder">{}</p>').format(title)
        # A chart is a pure function of its arguments (and the config and theme, fixed for a renderer): the
        # persona pages draw one per journey of each persona, and incremental builds keep them (`charts`).
        key = json.dumps([columns, groups, series, id_prefix, title], ensure_ascii=False, separators=(",", ":"))
        svg = self.charts.get(key)
        if svg is None:
            curves = [_maps.CurveSeries(label, scores, css) for label, scores, css in series]
            svg = _maps.render_emotion_chart(self.site, columns, groups, curves, id_prefix=id_prefix, title=title)
        self.charts_used[key] = svg
        return Markup(svg)

    # --- journey pages --------------------------------------------------------------------------------

    def _journey_pages(self, journey: Journey) -> None:
        key = U.journey(journey.id)
        standalone = self._map(journey, U.journey_map(journey.id), id_prefix="map-", standalone=True)
        self.pages[U.journey_map(journey.id)] = standalone.svg.encode("utf-8")
        maps: list[MapView]
        if self._needs_overview(journey):
            overview = self._map(journey, key, id_prefix="overview-", overview=True)
            maps = [MapView(overview.svg, overview.width, overview.height, "Overview", "map-overview")]
            for stage in journey.stages:
                if stage.touchpoints:
                    detail = self._map(journey, key, id_prefix=f"map-{stage.id}-", stage_id=stage.id)
                    maps.append(MapView(detail.svg, detail.width, detail.height, stage.meta.title, f"map-stage-{stage.id}",
                                        Link(stage.meta.title, U.stage(journey.id, stage.id))))
        else:
            maps = [self._map(journey, key, id_prefix="map-")]
        body = self._markdown(journey.source, key)
        edit, view = self._edit_url(journey.source)
        self._page(key, "journey.html", title=journey.meta.title, section=U.HOME,
                   crumbs=[Link("Journeys", U.HOME)], body_html=body, journey=journey, maps=maps,
                   **self._journey_nav(journey, key), rows=self._rows(journey),
                   stages=[self._stage_view(journey, stage) for stage in journey.stages],
                   pains=_pain_entries(journey), opps=_ranked(self.config.impact_scale, self.config.effort_scale, _opp_entries(journey)),
                   personas=self._journey_personas(journey), compare=self.compare.get(journey.id),
                   counterpart=self._counterpart(journey), edit_url=edit, source_url=view,
                   map_file=U.journey_map(journey.id), search_kind="Journey",
                   stats=_journey_stats(journey))
        stages = journey.stages
        for index, stage in enumerate(stages):
            self._stage_page(journey, stage, stages[index - 1] if index else None,
                             stages[index + 1] if index + 1 < len(stages) else None)
        tps = journey.touchpoints
        for index, tp in enumerate(tps):
            self._touchpoint_page(journey, tp, tps[index - 1] if index else None,
                                  tps[index + 1] if index + 1 < len(tps) else None)

    def _stage_page(self, journey: Journey, stage: Stage, prev: Stage | None, nxt: Stage | None) -> None:
        key = U.stage(journey.id, stage.id)
        edit, view = self._edit_url(stage.source)
        stage_map = None
        if stage.touchpoints:
            stage_map = self._map(journey, key, id_prefix=f"map-{stage.id}-", stage_id=stage.id)
        phase_has_pains = bool(stage.meta.phase) and stage.meta.phase in self.phases_with_pains
        self._page(key, "stage.html", title=stage.meta.title, section=U.HOME, phase_link=phase_has_pains,
                   crumbs=[Link("Journeys", U.HOME), Link(journey.meta.title, U.journey(journey.id))],
                   body_html=self._markdown(stage.source, key), journey=journey, stage=stage,
                   view=self._stage_view(journey, stage), stage_map=stage_map,
                   tps=[self._tp_view(tp) for tp in stage.touchpoints],
                   **self._journey_nav(journey, key),
                   prev=Link(prev.meta.title, U.stage(journey.id, prev.id)) if prev else None,
                   next=Link(nxt.meta.title, U.stage(journey.id, nxt.id)) if nxt else None,
                   edit_url=edit, source_url=view, search_kind="Stage")

    def _touchpoint_page(self, journey: Journey, tp: Touchpoint, prev: Touchpoint | None, nxt: Touchpoint | None) -> None:
        key = U.touchpoint(journey.id, tp.id)
        stage = journey.stage(tp.stage_id)
        assert stage is not None
        edit, view = self._edit_url(tp.source)
        self._page(key, "touchpoint.html", title=tp.meta.title, section=U.HOME,
                   crumbs=[Link("Journeys", U.HOME), Link(journey.meta.title, U.journey(journey.id)),
                           Link(stage.meta.title, U.stage(journey.id, stage.id))],
                   body_html=self._markdown(tp.source, key), journey=journey, stage=stage, tp=tp,
                   view=self._tp_view(tp), step_count=len(journey.touchpoints), next_steps=self._next_steps(journey, tp),
                   evidence=[(item, self._evidence_href(item.url, self._rel(tp.source), key)) for item in tp.meta.evidence],
                   extra=sorted(tp.meta.extra.items()),
                   **self._journey_nav(journey, key),
                   prev=Link(prev.meta.title, U.touchpoint(journey.id, prev.id)) if prev else None,
                   next=Link(nxt.meta.title, U.touchpoint(journey.id, nxt.id)) if nxt else None,
                   edit_url=edit, source_url=view, search_kind="Touchpoint")

    def _evidence_href(self, href: str | None, base: str, key: str) -> str | None:
        if not href:
            return None
        kind = classify(href)
        if kind in ("external", "mailto", "anchor"):
            return href
        if kind == "relative":
            target, fragment = resolve_relative(base, href)  # relative to the touchpoint's file, like body links
            if target in self.content_pages:
                return self.urls.relative(key, self.content_pages[target], fragment.lstrip("#"))
            if target in self.site.assets:
                return self.urls.relative(key, U.media(target), fragment.lstrip("#"))
        return None

    def _next_steps(self, journey: Journey, tp: Touchpoint) -> list[tuple[str, str | None, str | None]]:
        """(title, page key or None, journey title when another journey) for each `next` reference."""
        steps = []
        for ref in tp.meta.next:
            journey_id, _, tp_id = ref.rpartition("/")
            other = self.site.journeys.get(journey_id) if journey_id else journey
            target = other.touchpoint(tp_id) if other else None
            if other is None or target is None or other.id not in self.journey_ids:
                steps.append((ref, None, None))
            else:
                steps.append((target.meta.title, U.touchpoint(other.id, target.id),
                              other.meta.title if other is not journey else None))
        return steps

    def _journey_nav(self, journey: Journey, current: str) -> dict[str, Any]:
        """The page context of a journey's navigation: `journey_nav` for the templates and, when the
        default partial draws it, `journey_nav_html`, its markup for the page `current`."""
        stages, markup = self._nav_drawn(journey)
        nav = dict(journey=journey, key=U.journey(journey.id), current=current, stages=stages,
                   compare=self.compare.get(journey.id),
                   here=lambda key: _NAV_HERE if key == current else _NAV_NONE,
                   open=lambda s: _NAV_OPEN if current == s["key"] or any(t["key"] == current for t in s["tps"])
                   else _NAV_NONE)
        if markup is None:
            return dict(journey_nav=nav)
        return dict(journey_nav=nav, journey_nav_html=markup.fill(self.urls, current))

    def _nav_drawn(self, journey: Journey) -> tuple[list[dict[str, Any]], _NavMarkup | None]:
        """A journey's navigation drawn once for all its pages (50 links on each of 57 pages): the stage
        list, and the markup split at NUL-delimited slots with what fills each per page (the links,
        aria-current, the open stage). Markup None: a custom partial, rendered per page as before."""
        drawn = self._navs.get(journey.id)
        if drawn is not None:
            return drawn
        stages = [dict(stage=stage, key=U.stage(journey.id, stage.id),
                       tps=[dict(tp=tp, key=U.touchpoint(journey.id, tp.id)) for tp in stage.touchpoints])
                  for stage in journey.stages]
        template = self.env.get_template("partials/journey_nav.html")
        slots: list[tuple[str, Any]] = []

        def slot(kind: str, value: Any) -> Markup:
            slots.append((kind, value))
            return Markup(f"\0{len(slots) - 1}\0")

        markup = None
        if template.filename and Path(template.filename).is_relative_to(theme_dirs(self.site)[-1]):
            nav = dict(journey=journey, key=U.journey(journey.id), current=None, stages=stages,
                       compare=self.compare.get(journey.id), here=lambda key: slot("here", key),
                       open=lambda s: slot("open", frozenset([s["key"]] + [t["key"] for t in s["tps"]])))
            parts = template.render(journey_nav=nav, url=lambda target, fragment="": slot("url", (target, fragment))
                                    ).split("\0")
            if len(parts) == 2 * len(slots) + 1 and all(parts[2 * i + 1] == str(i) for i in range(len(slots))):
                markup = _NavMarkup.of(parts, slots)  # else a NUL in the markup: render per page
        drawn = self._navs[journey.id] = (stages, markup)
        return drawn

    def _stage_view(self, journey: Journey, stage: Stage) -> dict[str, Any]:
        values = [score for tp in stage.touchpoints for score in tp.scores().values()]
        avg = mean(values) if values else None
        return dict(stage=stage, key=U.stage(journey.id, stage.id), count=len(stage.touchpoints),
                    number=self.stage_no.get((journey.id, stage.id)), of=len(journey.stages),
                    pains=sum(len(tp.meta.pain_points) for tp in stage.touchpoints),
                    opps=sum(len(tp.meta.opportunities) for tp in stage.touchpoints),
                    average=round(avg, 1) if avg is not None else None,
                    average_score=self._score(None, round(avg)) if avg is not None else None,
                    scores=self._stage_scores(stage),
                    phase=self._phase_title(stage.meta.phase),
                    channels=sorted({tp.meta.channel for tp in stage.touchpoints if tp.meta.channel}))

    def _tp_view(self, tp: Touchpoint) -> dict[str, Any]:
        return dict(tp=tp, key=U.touchpoint(tp.journey_id, tp.id), scores=self._scores(tp),
                    number=self.step_no.get((tp.journey_id, tp.id)),
                    channel=self._channel_title(tp.meta.channel), icon=self._channel_icon(tp.meta.channel),
                    owner=self._team_title(tp.meta.owner))

    def _journey_personas(self, journey: Journey) -> list[Persona]:
        return [self.site.personas[p] for p in journey.meta.personas if p in self.site.personas]

    def _counterpart(self, journey: Journey) -> Journey | None:
        other = self.site.journeys.get(journey.meta.compares_with or "")
        return other if other is not None and other.id in self.journey_ids and other is not journey else None

    # --- the map's table alternative -----------------------------------------------------------------

    def _rows(self, journey: Journey) -> list[Row]:
        rows = []
        for lane in journey.lanes:
            cells = tuple(self._cell(lane.id, lane.extra, tp) for tp in journey.touchpoints)
            rows.append(Row(lane.id, lane_title(lane), cells))
        return rows

    def _cell(self, lane: str, extra: str | None, tp: Touchpoint) -> Cell:
        meta = tp.meta
        if extra is not None or lane not in _BUILTIN_CELLS:
            value = meta.extra.get(extra or lane)
            return Cell("text", (_extra_value(value),) if value not in (None, "", [], {}) else ())
        if lane == "actions":
            return Cell("text", (meta.action,) if meta.action else ())
        if lane == "thoughts":
            return Cell("text", (meta.thought,) if meta.thought else ())
        if lane == "emotion":
            return Cell("emotion", tuple(self._scores(tp)))
        if lane == "channels":
            return Cell("channel", ((self._channel_icon(meta.channel), self._channel_title(meta.channel)),) if meta.channel else ())
        if lane in ("frontstage", "backstage", "support"):
            return Cell("list", tuple(getattr(meta, lane)))
        if lane == "pain_points":
            return Cell("pains", tuple(meta.pain_points))
        if lane == "opportunities":
            return Cell("opps", tuple(meta.opportunities))
        if lane == "owner":
            return Cell("team", ((meta.owner, self._team_title(meta.owner)),) if meta.owner else ())
        return Cell("text")

    # --- comparison ---------------------------------------------------------------------------------------

    def _compare_pairs(self) -> dict[str, ComparePair]:
        """journey id -> the comparison page it belongs to. A mutual pair gets one page, named after its
        current-state journey (or the smaller id when both have the same state)."""
        pairs: dict[str, ComparePair] = {}
        for journey in self.journeys:
            other = self._counterpart(journey)
            if other is None:
                continue
            mutual = other.meta.compares_with == journey.id
            if mutual and not _owns_pair(journey, other):
                continue
            before, after = (other, journey) if journey.meta.state == "future" and other.meta.state == "current" else (journey, other)
            pair = ComparePair(journey, before, after)
            pairs[journey.id] = pair
            if mutual:
                pairs[other.id] = pair
        return pairs

    def _compare_page(self, pair: ComparePair) -> None:
        key = U.compare(pair.journey.id)
        before, after = pair.before, pair.after
        stage_ids = _merge_orders([s.id for s in before.stages], [s.id for s in after.stages])
        titles = [(before.stage(s) or after.stage(s)).meta.title for s in stage_ids]  # type: ignore[union-attr]
        groups = _phase_groups([before.stage(s) or after.stage(s) for s in stage_ids], self._phase_title)  # type: ignore[misc]
        curve_b = [_stage_average(before.stage(s)) for s in stage_ids]
        curve_a = [_stage_average(after.stage(s)) for s in stage_ids]
        label_b, label_a = _state_label(before), _state_label(after)
        overall = self._chart(titles, groups, [(label_b, curve_b, "series-current"), (label_a, curve_a, "series-future")],
                              id_prefix="compare-", title=f"Emotion by stage: {label_b} and {label_a}")
        table = [dict(title=t, before=b, after=a, delta=(round(a - b, 1) if a is not None and b is not None else None),
                      key_b=U.stage(before.id, s) if before.stage(s) else None,
                      key_a=U.stage(after.id, s) if after.stage(s) else None)
                 for s, t, b, a in zip(stage_ids, titles, curve_b, curve_a)]
        per_persona = []
        for persona_id in [p for p in before.meta.personas if p in after.meta.personas]:
            if not (_has_persona_scores(before, persona_id) or _has_persona_scores(after, persona_id)):
                continue
            pb = [_stage_average(before.stage(s), persona_id) for s in stage_ids]
            pa = [_stage_average(after.stage(s), persona_id) for s in stage_ids]
            name = self._persona_name(persona_id)
            chart = self._chart(titles, groups, [(f"{name}, {label_b}", pb, "series-current"), (f"{name}, {label_a}", pa, "series-future")],
                                id_prefix=f"compare-{persona_id}-", title=f"{name}: emotion by stage, {label_b} and {label_a}")
            per_persona.append(dict(persona=self.site.personas.get(persona_id), id=persona_id, name=name, chart=chart))
        after_titles = {_norm(p.title) for tp in after.touchpoints for p in tp.meta.pain_points}
        before_titles = {_norm(p.title) for tp in before.touchpoints for p in tp.meta.pain_points}
        resolved = [e for e in _pain_entries(before) if _norm(e.pain.title) not in after_titles]
        remaining = [e for e in _pain_entries(before) if _norm(e.pain.title) in after_titles]
        new = [e for e in _pain_entries(after) if _norm(e.pain.title) not in before_titles]
        ids_b, ids_a = {tp.id for tp in before.touchpoints}, {tp.id for tp in after.touchpoints}
        only_b = [self._tp_view(tp) for tp in before.touchpoints if tp.id not in ids_a]
        only_a = [self._tp_view(tp) for tp in after.touchpoints if tp.id not in ids_b]
        self._page(key, "compare.html", title=f"{before.meta.title} compared with {after.meta.title}", section=U.HOME,
                   crumbs=[Link("Journeys", U.HOME), Link(pair.journey.meta.title, U.journey(pair.journey.id))],
                   pair=pair, before=before, after=after, label_before=label_b, label_after=label_a,
                   overall=overall, table=table, per_persona=per_persona, resolved=_dedupe(resolved),
                   remaining=_dedupe(remaining), new=_dedupe(new), only_before=only_b, only_after=only_a,
                   shared_steps=len(ids_a & ids_b), **self._journey_nav(pair.journey, key))

    # --- shared pages -------------------------------------------------------------------------------------

    def _home(self) -> None:
        cards = []
        for journey in self.journeys:
            stats = _journey_stats(journey)
            cards.append(dict(journey=journey, key=U.journey(journey.id), thumb=U.journey_map(journey.id),
                              personas=self._journey_personas(journey), owner=self._team_title(journey.meta.owner),
                              compare=self.compare.get(journey.id), stats=stats))
        totals = dict(journeys=len(self.journeys), touchpoints=sum(len(j.touchpoints) for j in self.journeys),
                      personas=len(self._used_personas()), pains=len(self.pains), opps=len(self.opps))
        self._page(U.HOME, "home.html", title=self.config.site_name, section=U.HOME, crumbs=[], cards=cards,
                   totals=totals, personas=[self._persona_card(p) for p in self._used_personas()],
                   quick_wins=[o for o in self.opps if _quadrant(self.config, o.opp) == "quick-win"][:5],
                   top_pains=sorted(self.pains, key=lambda e: SEVERITY_ORDER[e.pain.severity])[:5])

    def _used_personas(self) -> list[Persona]:
        used = {p for j in self.journeys for p in j.meta.personas}
        return [p for p in self.site.personas.values() if p.id in used or not self.journeys]

    def _persona_card(self, persona: Persona) -> dict[str, Any]:
        return dict(persona=persona, key=U.persona(persona.id), image=self._image(persona.meta.image),
                    journeys=[j for j in self.journeys if persona.id in j.meta.personas])

    def _image(self, image: str | None) -> str | None:
        """A persona image as a key (content asset) or an https URL; None when unusable."""
        if not image:
            return None
        kind = classify(image)
        if kind == "external":
            return image
        if kind == "relative":
            target, _ = resolve_relative("x", image)
            if target in self.site.assets:
                return U.media(target)
        return None

    def _personas(self) -> None:
        self._page(U.PERSONAS, "personas.html", title="Personas", section=U.PERSONAS, crumbs=[],
                   personas=[self._persona_card(p) for p in self.site.personas.values()])
        for persona in self.site.personas.values():
            key = U.persona(persona.id)
            journeys = []
            for journey in self.journeys:
                if persona.id not in journey.meta.personas:
                    continue
                tps = journey.touchpoints
                scores = [_persona_score(journey, tp, persona.id) for tp in tps]
                chart = None
                if any(score is not None for score in scores):
                    chart = self._chart([tp.meta.title for tp in tps],
                                        [(s.meta.title, len(s.touchpoints)) for s in journey.stages if s.touchpoints],
                                        [(persona.meta.name, scores, _series_class(self.site, journey, persona.id))],
                                        id_prefix=f"emotion-{journey.id}-", title=f"{persona.meta.name}: emotion across {journey.meta.title}")
                known = [s for s in scores if s is not None]
                lows = sorted(((s, tp) for s, tp in zip(scores, tps) if s is not None), key=lambda item: item[0])[:3]
                journeys.append(dict(journey=journey, key=U.journey(journey.id), chart=chart,
                                     average=round(mean(known), 1) if known else None,
                                     lows=[dict(tp=tp, key=U.touchpoint(journey.id, tp.id), score=self._score(None, round(s)))
                                           for s, tp in lows]))
            edit, view = self._edit_url(persona.source)
            self._page(key, "persona.html", title=persona.meta.name, section=U.PERSONAS,
                       crumbs=[Link("Personas", U.PERSONAS)], body_html=self._markdown(persona.source, key),
                       persona=persona, image=self._image(persona.meta.image), journeys=journeys,
                       extra=sorted(persona.meta.extra.items()), edit_url=edit, source_url=view, search_kind="Persona")

    def _pain_points(self) -> None:
        config = self.config
        by_phase = _grouped(self.pains, lambda e: e.stage.meta.phase, list(config.phases),
                            lambda k: self._phase_title(k), "phase")
        by_channel = _grouped(self.pains, lambda e: e.touchpoint.meta.channel, list(config.channels),
                              lambda k: self._channel_title(k), "channel")
        for group in by_channel:
            group.icon = self._channel_icon(group.id.removeprefix("channel-")) if group.id != "channel-none" else None
        by_team = _grouped(self.pains, lambda e: e.touchpoint.meta.owner or e.journey.meta.owner, list(config.teams),
                           lambda k: self._team_title(k), "team")
        for group in by_team:
            if group.id != "team-none":
                group.link = group.id
        counts = {s: sum(1 for e in self.pains if e.pain.severity == s) for s in SEVERITY_ORDER}
        self._page(U.PAIN_POINTS, "pain_points.html", title="Pain points", section=U.PAIN_POINTS, crumbs=[],
                   pains=self.pains, by_phase=by_phase, by_channel=by_channel, by_team=by_team, counts=counts)

    def _opportunities(self) -> None:
        matrix = Markup(_matrix_svg(self.config, self.opps))
        rated = [o for o in self.opps if o.opp.impact and o.opp.effort]
        quadrants = []
        for qid, title, note in QUADRANTS:
            quadrants.append(dict(id=qid, title=title, note=note,
                                  entries=[o for o in rated if _quadrant(self.config, o.opp) == qid]))
        self._page(U.OPPORTUNITIES, "opportunities.html", title="Opportunities", section=U.OPPORTUNITIES, crumbs=[],
                   opps=self.opps, matrix=matrix, quadrants=quadrants,
                   unrated=[o for o in self.opps if not (o.opp.impact and o.opp.effort)])

    def _teams(self) -> None:
        teams = []
        owner_ids = sorted(set(self.config.teams) | {j.meta.owner for j in self.journeys if j.meta.owner}
                           | {tp.meta.owner for j in self.journeys for tp in j.touchpoints if tp.meta.owner})
        for team_id in owner_ids:
            team = self.config.teams.get(team_id)
            journeys = [j for j in self.journeys if j.meta.owner == team_id]
            owned = [(j, [self._tp_view(tp) for tp in j.touchpoints if tp.meta.owner == team_id]) for j in self.journeys]
            owned = [(j, tps) for j, tps in owned if tps]
            pains = [e for e in self.pains if (e.touchpoint.meta.owner or e.journey.meta.owner) == team_id]
            opps = [o for o in self.opps if (o.touchpoint.meta.owner or o.journey.meta.owner) == team_id]
            contact = team.contact if team else ""
            teams.append(dict(id=team_id, title=self._team_title(team_id), contact=contact,
                              contact_href=_contact_href(contact), journeys=journeys, owned=owned,
                              pains=pains, opps=opps, touchpoints=sum(len(t) for _, t in owned)))
        self._page(U.TEAMS, "teams.html", title="Teams", section=U.TEAMS, crumbs=[], teams=teams)

    def _sitemap(self, paths: Iterable[str] | None = None) -> None:
        keys = sorted(k[: -len("index.html")] for k in (self.pages if paths is None else paths) if k.endswith("index.html"))
        entries = [self.urls.absolute(self.config.site_url or "", key) for key in keys]
        template = self.env.get_template("sitemap.xml")
        self.pages[U.SITEMAP] = template.render(entries=entries).encode("utf-8")

    # --- theme, assets, brand ------------------------------------------------------------------------------

    def _palette_css(self) -> str:
        palette = self.config.theme.palette
        lines = ["/* Generated from theme.palette in site_config.yml. */"]
        if palette:
            props = "".join(f"  --jm-{name}: {palette[name]};\n" for name in sorted(palette))
            lines.append(":root {\n" + props + "}")
        for weight, rel in zip((400, 700), self._custom_font()):  # theme.font: the maps are measured in it
            url = rel.removeprefix("assets/")
            lines.append(f'@font-face {{ font-family: "jm-map-font"; font-weight: {weight}; font-style: normal; '
                         f'font-display: block; src: url("{url}"); }}')
        return "\n".join(lines) + "\n"

    def _custom_font(self) -> dict[str, Path]:
        """Output path -> font file, regular then bold, for a configured theme.font; {} for the bundled font."""
        from .layout import map_font
        from .textmeasure import font_files

        font = map_font(self.site)
        if font is None:
            return {}
        files = font_files(font)
        return {f"assets/fonts/custom/{weight}{files[weight].suffix.lower()}": files[weight] for weight in ("regular", "bold")}

    def _brand(self) -> dict[str, Any]:
        theme = self.config.theme
        brand: dict[str, Any] = {"logo": None, "favicon": "assets/favicon.svg", "favicon_type": "image/svg+xml"}
        for name in ("logo", "favicon"):
            value = getattr(theme, name)
            if not value:
                continue
            source = self._brand_source(value)
            if source is None:
                raise DiagnosticError([error("site_config.yml", 1, 1, "JM121", f"theme.{name} '{value}' not found",
                                             "give a path inside theme.custom_dir or the content folder")])
            brand[name] = f"assets/brand/{name}{source.suffix.lower()}"
            brand[f"{name}_source"] = source
            if name == "favicon":
                brand["favicon_type"] = _IMAGE_TYPES.get(source.suffix.lower(), "image/png")
        return brand

    def _brand_source(self, value: str) -> Path | None:
        if classify(value) != "relative" or value.startswith("/"):
            return None
        folders = theme_dirs(self.site)[:-1] + [self.content_dir]
        for folder in folders:
            folder = folder.resolve()
            candidate = (folder / value).resolve()
            if candidate.is_file() and candidate.is_relative_to(folder):
                return candidate
        return None

    def _copies(self) -> dict[str, Path]:
        copies: dict[str, Path] = {}
        for folder in reversed(theme_dirs(self.site)):  # default theme first, custom_dir overrides
            assets = folder / "assets"
            if not assets.is_dir():
                continue
            for path in sorted(assets.rglob("*")):
                if path.is_file() and path.name not in ASSET_SKIP and not path.name.startswith("."):
                    rel = path.relative_to(assets).as_posix()
                    copies["assets/" + rel] = path
        for rel in sorted(self.site.assets):
            copies[U.media(rel)] = self.content_dir / rel
        copies.update(self._custom_font())
        for name in ("logo", "favicon"):
            if self.brand.get(f"{name}_source"):
                copies[self.brand[name]] = self.brand[f"{name}_source"]
        for key in list(copies):
            if key in self.pages:  # a generated file (palette.css) wins over a copied one
                del copies[key]
        return copies


# --- helpers without state ---------------------------------------------------------------------------


def _svg_attr(href: str) -> str:
    """A link target as svg.py writes an attribute value (checked, escaped like ElementTree)."""
    from .svg import _escape_attr, _href

    return _escape_attr(_href(href))


class _LinkTable(dict):
    """Content-relative path -> page key; remembers which paths were looked up (`looked_up`), so an
    incremental build knows which link targets a journey's pages depend on."""

    looked_up: set[str] | None = None

    def __contains__(self, key: object) -> bool:
        if self.looked_up is not None and isinstance(key, str):
            self.looked_up.add(key)
        return dict.__contains__(self, key)

    def __getitem__(self, key: str) -> str:
        if self.looked_up is not None:
            self.looked_up.add(key)
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        if self.looked_up is not None:
            self.looked_up.add(key)
        return dict.get(self, key, default)


def _persona_refs(journey: Journey) -> set[str]:
    """Persona ids a journey names: its personas and every per-persona emotion score."""
    refs = set(journey.meta.personas)
    for stage in journey.stages:
        if isinstance(stage.meta.emotion, dict):
            refs.update(stage.meta.emotion)
        for tp in stage.touchpoints:
            if isinstance(tp.meta.emotion, dict):
                refs.update(tp.meta.emotion)
    return refs


def _journey_docs(journey: Journey) -> list[Any]:
    """The source documents of a journey (journey.md, stages, touchpoints, unplaced touchpoints)."""
    return ([journey.source] + [stage.source for stage in journey.stages] + [tp.source for tp in journey.touchpoints]
            + [tp.source for tp in journey.unplaced])

_BUILTIN_CELLS = {"actions", "thoughts", "emotion", "channels", "frontstage", "backstage", "support",
                  "pain_points", "opportunities", "owner"}
_IMAGE_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon", ".jpg": "image/jpeg",
                ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp"}
QUADRANTS = [
    ("quick-win", "Quick wins", "High impact, low effort: do these first."),
    ("big-bet", "Big bets", "High impact, high effort: plan and fund them."),
    ("fill-in", "Fill-ins", "Low impact, low effort: when there is slack."),
    ("money-pit", "Reconsider", "Low impact, high effort: question these."),
]


def _json_for_script(value: Any) -> str:
    """JSON safe inside <script>: '<', '>', '&' and line separators escaped."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


@lru_cache(maxsize=256)
def _site_json(root: str, search: str, pagefind: str, directory_urls: bool) -> Markup:
    """The page's settings for site.js: the same for every page at the same depth."""
    return Markup(_json_for_script({"root": root, "search": search, "pagefind": pagefind,
                                    "directoryUrls": directory_urls}))


# Touchpoint fields no shared page of the default theme shows (home, personas, pain points, opportunities,
# teams, search, 404, sitemap): an edit of only these, or of a touchpoint's body, leaves those pages as they
# were (`shared_reads`). tests/test_incremental.py edits each one and compares with a clean build.
SHARED_IGNORES = frozenset({"action", "thought", "frontstage", "backstage", "support", "evidence", "next", "extra",
                            "last_reviewed", "actor"})
def _bytecode_cache() -> BytecodeCache | None:
    """Compiled templates from earlier builds, saving the 0.15 s that compiling the theme takes on every
    incremental build. Jinja checks each against its source; the folder is per journeymap code, which
    sets the Environment's options (older folders are removed)."""
    from . import cache

    if cache.TEMPLATE_CACHE_DIR is None:
        return None
    folder = cache.TEMPLATE_CACHE_DIR / cache.code_digest()[:16]
    try:
        if not folder.is_dir():
            shutil.rmtree(cache.TEMPLATE_CACHE_DIR, ignore_errors=True)
            folder.mkdir(parents=True)
    except OSError:
        return None  # an unwritable cache folder: compile as usual
    return FileSystemBytecodeCache(str(folder))


def _memoised(macro: Callable[..., Markup]) -> Callable[..., Markup]:
    """A template macro whose output depends only on its arguments (partials/icons.html `icon`),
    rendered once per distinct arguments."""
    results: dict[tuple[Any, ...], Markup] = {}

    def call(*args: Any, **kwargs: Any) -> Markup:
        key = (args, tuple(sorted(kwargs.items()))) if kwargs else args
        result = results.get(key)
        if result is None:
            result = results[key] = macro(*args, **kwargs)
        return result

    return call


def _extra_value(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_extra_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_extra_value(v) for v in value)
    return "" if value is None else str(value)


_ID_ATTR = re.compile(r'\sid="([^"]+)"')


def _ids_in(html: str) -> set[str]:
    return set(_ID_ATTR.findall(str(html)))


def _template_path(filename: str | None, site: Site) -> str:
    if not filename:
        return "site_config.yml"
    try:
        return Path(filename).resolve().relative_to(site.root.resolve()).as_posix()
    except ValueError:
        return filename


def _placeholder_map(journey: Journey, link: Callable[[Touchpoint], str], stage_id: str | None) -> MapView:  # pragma: no cover
    """A plain list of links standing in for the map while generator/maps.py is missing."""
    from markupsafe import escape

    items = "".join(f'<li><a href="{escape(link(tp))}">{escape(tp.meta.title)}</a></li>'
                    for tp in journey.touchpoints if stage_id is None or tp.stage_id == stage_id)
    return MapView(Markup(f'<ol class="jm-placeholder-map">{items}</ol>'), 600, 200)


def _pain_entries(journey: Journey) -> list[PainEntry]:
    return [PainEntry(pain, journey, stage, tp, index)
            for stage in journey.stages for tp in stage.touchpoints for index, pain in enumerate(tp.meta.pain_points)]


def _opp_entries(journey: Journey) -> list[OppEntry]:
    return [OppEntry(opp, journey, stage, tp, index)
            for stage in journey.stages for tp in stage.touchpoints for index, opp in enumerate(tp.meta.opportunities)]


def _scale_index(scale: list[str], value: str | None) -> int | None:
    return scale.index(value) if value in scale else None


def _ranked(impact_scale: list[str], effort_scale: list[str], entries: list[OppEntry]) -> list[OppEntry]:
    """Highest impact first, then lowest effort; unrated last; ties keep journey order."""
    def key(item: tuple[int, OppEntry]) -> tuple[int, int, int, int]:
        position, entry = item
        impact = _scale_index(impact_scale, entry.opp.impact)
        effort = _scale_index(effort_scale, entry.opp.effort)
        return (impact is None, -(impact or 0), effort if effort is not None else len(effort_scale), position)

    ordered = sorted(enumerate(entries), key=key)
    return [OppEntry(e.opp, e.journey, e.stage, e.touchpoint, e.index, rank) for rank, (_, e) in enumerate(ordered, 1)]


def _level(scale: list[str], value: str | None) -> str | None:
    """'high' or 'low' half of a scale (the middle of an odd scale counts as low)."""
    index = _scale_index(scale, value)
    if index is None:
        return None
    return "high" if index >= len(scale) / 2 else "low"


def _quadrant(config: Any, opp: Opportunity) -> str | None:
    impact = _level(config.impact_scale, opp.impact)
    effort = _level(config.effort_scale, opp.effort)
    if impact is None or effort is None:
        return None
    return {("high", "low"): "quick-win", ("high", "high"): "big-bet", ("low", "low"): "fill-in",
            ("low", "high"): "money-pit"}[(impact, effort)]


def _matrix_svg(config: Any, opps: list[OppEntry]) -> str:
    """The impact/effort 2x2 matrix: one numbered dot per rated opportunity (numbers match the ranking)."""
    from markupsafe import escape

    impacts, efforts = list(config.impact_scale), list(config.effort_scale)
    size, pad_left, pad_bottom, pad_top, pad_right = 480, 64, 56, 16, 16
    plot = size - pad_left - pad_right
    height = plot + pad_top + pad_bottom
    cell_w, cell_h = plot / max(len(efforts), 1), plot / max(len(impacts), 1)
    mid_x = pad_left + plot / 2
    mid_y = pad_top + plot / 2
    out = [f'<svg class="jm-matrix" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {height:.0f}" '
           f'role="img" aria-labelledby="matrix-title matrix-desc">',
           '<title id="matrix-title">Opportunities by impact and effort</title>',
           f'<desc id="matrix-desc">A two by two matrix: effort from {escape(efforts[0] if efforts else "")} (left) to '
           f'{escape(efforts[-1] if efforts else "")} (right), impact from {escape(impacts[0] if impacts else "")} (bottom) to '
           f'{escape(impacts[-1] if impacts else "")} (top). Numbers match the ranked list.</desc>']
    quads = [("quick-win", "Quick wins", pad_left, pad_top), ("big-bet", "Big bets", mid_x, pad_top),
             ("fill-in", "Fill-ins", pad_left, mid_y), ("money-pit", "Reconsider", mid_x, mid_y)]
    for qid, label, x, y in quads:
        out.append(f'<rect class="jm-q jm-q-{qid}" x="{x:.1f}" y="{y:.1f}" width="{plot / 2:.1f}" height="{plot / 2:.1f}"/>')
        out.append(f'<text class="jm-q-label" x="{x + 8:.1f}" y="{y + 20:.1f}">{escape(label)}</text>')
    out.append(f'<line class="jm-axis" x1="{pad_left}" y1="{pad_top + plot}" x2="{pad_left + plot}" y2="{pad_top + plot}"/>')
    out.append(f'<line class="jm-axis" x1="{pad_left}" y1="{pad_top}" x2="{pad_left}" y2="{pad_top + plot}"/>')
    for i, name in enumerate(efforts):
        out.append(f'<text class="jm-tick" text-anchor="middle" x="{pad_left + cell_w * (i + 0.5):.1f}" '
                   f'y="{pad_top + plot + 18}">{escape(name)}</text>')
    for i, name in enumerate(impacts):
        out.append(f'<text class="jm-tick" text-anchor="end" x="{pad_left - 8}" '
                   f'y="{pad_top + plot - cell_h * (i + 0.5) + 4:.1f}">{escape(name)}</text>')
    out.append(f'<text class="jm-axis-title" text-anchor="middle" x="{pad_left + plot / 2:.1f}" y="{height - 10:.0f}">Effort →</text>')
    out.append(f'<text class="jm-axis-title" text-anchor="middle" transform="rotate(-90)" x="{-(pad_top + plot / 2):.1f}" y="16">Impact →</text>')
    cells: dict[tuple[int, int], list[OppEntry]] = {}
    for entry in opps:
        i, e = _scale_index(impacts, entry.opp.impact), _scale_index(efforts, entry.opp.effort)
        if i is not None and e is not None:
            cells.setdefault((i, e), []).append(entry)
    for (i, e), entries in sorted(cells.items()):
        per_row = max(1, int((cell_w - 16) // 26))
        for n, entry in enumerate(entries):
            row, col = divmod(n, per_row)
            cols = min(len(entries), per_row)
            cx = pad_left + cell_w * e + cell_w / 2 + (col - (cols - 1) / 2) * 26
            rows = (len(entries) + per_row - 1) // per_row
            cy = pad_top + plot - cell_h * (i + 0.5) + (row - (rows - 1) / 2) * 26 + 8
            out.append(f'<g class="jm-dot jm-dot-{_quadrant(config, entry.opp)}"><circle cx="{cx:.1f}" cy="{cy:.1f}" r="11"/>'
                       f'<text text-anchor="middle" x="{cx:.1f}" y="{cy + 4:.1f}">{entry.rank}</text></g>')
    out.append("</svg>")
    return "".join(out)


def _grouped(entries: list[PainEntry], key: Callable[[PainEntry], str | None], order: list[str],
             title: Callable[[str], str], prefix: str) -> list[Group]:
    groups: dict[str, Group] = {}
    for group_id in order:
        groups[group_id] = Group(f"{prefix}-{group_id}", title(group_id))
    none = Group(f"{prefix}-none", f"No {prefix}")
    for entry in entries:
        value = key(entry)
        if value is None:
            none.entries.append(entry)
        else:
            groups.setdefault(value, Group(f"{prefix}-{value}", title(value))).entries.append(entry)
    result = [g for g in groups.values() if g.entries]
    for group in result:
        group.entries.sort(key=lambda e: SEVERITY_ORDER[e.pain.severity])  # stable: journey order within a severity
    if none.entries:
        none.entries.sort(key=lambda e: SEVERITY_ORDER[e.pain.severity])
        result.append(none)
    return result


def _journey_stats(journey: Journey) -> dict[str, Any]:
    tps = journey.touchpoints
    scores = [score for tp in tps for score in tp.scores().values()]
    return dict(stages=len(journey.stages), touchpoints=len(tps),
                pains=sum(len(tp.meta.pain_points) for tp in tps),
                opps=sum(len(tp.meta.opportunities) for tp in tps),
                high=sum(1 for tp in tps for p in tp.meta.pain_points if p.severity == "high"),
                average=round(mean(scores), 1) if scores else None,
                channels=len({tp.meta.channel for tp in tps if tp.meta.channel}))


def _persona_score(journey: Journey, tp: Touchpoint, persona_id: str) -> float | None:
    scores = tp.scores()
    if persona_id in scores:
        return float(scores[persona_id])
    if None in scores:
        return float(scores[None])
    stage = journey.stage(tp.stage_id)
    if stage is not None and stage.meta.emotion is not None:
        emotion = stage.meta.emotion
        if isinstance(emotion, dict):
            return float(emotion[persona_id]) if persona_id in emotion else None
        return float(emotion)
    return None


def _stage_average(stage: Stage | None, persona_id: str | None = None) -> float | None:
    """Mean emotion of a stage's touchpoints (one persona's, or everyone's); the stage's own emotion otherwise."""
    if stage is None:
        return None
    values: list[int] = []
    for tp in stage.touchpoints:
        scores = tp.scores()
        if persona_id is None:
            values += list(scores.values())
        elif persona_id in scores:
            values.append(scores[persona_id])
        elif None in scores:
            values.append(scores[None])
    if not values and stage.meta.emotion is not None:
        emotion = stage.meta.emotion
        if isinstance(emotion, dict):
            values = [emotion[persona_id]] if persona_id in emotion else ([] if persona_id else list(emotion.values()))
        else:
            values = [emotion]
    return round(mean(values), 2) if values else None


def _has_persona_scores(journey: Journey, persona_id: str) -> bool:
    return any(persona_id in tp.scores() for tp in journey.touchpoints)


def _merge_orders(first: list[str], second: list[str]) -> list[str]:
    """Both id lists merged, keeping each one's order (ids only in `second` go after their predecessor)."""
    merged = list(first)
    for index, item in enumerate(second):
        if item in merged:
            continue
        previous = next((second[j] for j in range(index - 1, -1, -1) if second[j] in merged), None)
        merged.insert(merged.index(previous) + 1 if previous is not None else 0, item)
    return merged


def _phase_groups(stages: list[Stage], title: Callable[[str | None], str]) -> list[tuple[str, int]]:
    """Runs of consecutive stages sharing a lifecycle phase: the header groups of a by-stage chart."""
    groups: list[tuple[str, int]] = []
    for stage in stages:
        label = title(stage.meta.phase) or ""
        if groups and groups[-1][0] == label:
            groups[-1] = (label, groups[-1][1] + 1)
        else:
            groups.append((label, 1))
    return groups


def _series_class(site: Site, journey: Journey, persona_id: str) -> str:
    """The colour class the journey's map gives this persona's curve, so charts and maps agree."""
    try:
        from .layout import emotion_series_keys

        keys = [k for k in emotion_series_keys(site, journey) if k is not None]
    except ImportError:  # pragma: no cover
        keys = []
    return f"series-{keys.index(persona_id) % 8 + 1}" if persona_id in keys else "series-1"


def _state_label(journey: Journey) -> str:
    return "Future state" if journey.meta.state == "future" else "Current state"


def _owns_pair(journey: Journey, other: Journey) -> bool:
    """Which of a mutual pair names the comparison page: the current state, else the smaller id."""
    if journey.meta.state != other.meta.state:
        return journey.meta.state == "current"
    return journey.id < other.id


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _dedupe(entries: list[PainEntry]) -> list[PainEntry]:
    seen: set[str] = set()
    result = []
    for entry in entries:
        if _norm(entry.pain.title) not in seen:
            seen.add(_norm(entry.pain.title))
            result.append(entry)
    return result


def _contact_href(contact: str) -> str | None:
    contact = contact.strip()
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", contact):
        return "mailto:" + contact
    if classify(contact) == "external":
        return contact
    return None

