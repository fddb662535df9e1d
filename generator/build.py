"""`journeymap build`: validate, render what changed on every core, write the site atomically.

    scan     hash every input: content, config, theme, fonts (cache.py)
    shortcut nothing changed and site_dir is exactly as the last build left it: done, nothing loaded
    load     load and validate the site (documents parsed by an earlier build are reused by hash)
    plan     which units of work must be rendered: the journeys whose inputs changed, the shared
             pages when any content changed; everything else is reused from the current site
    render   journeys in worker processes, shared pages in this one (parallel.py)
    write    into a staging folder: a full build writes every file; an incremental one only the
             files of the units it rendered
    search   Pagefind over the pages' search documents, only when one of them changed
    swap     a full build's staging folder replaces site_dir; an incremental build moves its new
             files into site_dir and deletes the ones that are gone, leaving the rest untouched (a
             failed build leaves the old site as it was, before either); the manifest records what
             this build read and wrote, for the next one

Without a cache (`cache_dir=None`, `state=None`, the default for the Python API) every build is a
full build; `journeymap build` keeps its cache in <project>/.journeymap-cache/ and `journeymap serve`
keeps it in memory (`BuildState`). `clean=True` ignores whatever was cached.
"""
from __future__ import annotations

import datetime as dt
import marshal
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from .cache import (CACHE_DIR, DocumentCache, Inputs, KnownHashes, Manifest, diagnostics_from, digest, digest_json, ensure_cache_dir,
                    global_key, manifest_path, prune, scan_inputs, site_files, stat_signature, verify_outputs)
from .diagnostics import Diagnostic, DiagnosticError
from .output import (ALWAYS_KEPT, MARKER, MARKER_TEXT, check_site_dir, checked_path, copy_new, link_new, make_staging,
                     swap_in, update_in_place, write_new)

SHARED = "shared"
JOURNEY_UNIT = "journey:"  # + a journey id: the unit of that journey's pages, in the manifest
COMPARE_UNIT = "compare:"  # + the id of the journey that owns a comparison page: its unit, and its render task
Progress = Callable[[int, int], None]  # (units done, units to render); (0, 0) while the search index is written


@dataclass
class BuildStats:
    """What a build did: for the progress line, the benchmark and the tests."""

    skipped: bool = False  # nothing had changed: nothing was loaded or written
    rendered: list[str] = field(default_factory=list)  # units rendered (journey:<id>, shared)
    reused: list[str] = field(default_factory=list)  # units taken from the current site
    written: int = 0  # files written
    linked: int = 0  # files kept from the current site (untouched, or hard-linked into a new folder)
    search: str = ""  # "indexed", "reused" or "" (no search index written)
    shards: dict[str, str] = field(default_factory=dict)  # search shard -> "indexed" or "reused" (search.py)
    jobs: int = 1
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class BuildResult:
    site: Any  # the validated Site; None when the build was skipped because nothing had changed
    site_dir: Path
    diagnostics: list[Diagnostic]
    pages: list[str] = field(default_factory=list)
    stats: BuildStats = field(default_factory=BuildStats)


@dataclass
class BuildState:
    """What a long-running process (`journeymap serve`) keeps between builds instead of a cache folder:
    the parsed documents, the last manifest per output folder and the search documents."""

    documents: DocumentCache = field(default_factory=DocumentCache)
    known: KnownHashes = field(default_factory=KnownHashes)  # content hashes by stat signature (scan_inputs)
    manifests: dict[str, Manifest] = field(default_factory=dict)
    charts: dict[str, str] = field(default_factory=dict)
    charts_key: str = ""
    reads_memo: dict[str, tuple[str, str]] = field(default_factory=dict)  # see SiteRenderer.shared_reads
    reads_key: str = ""  # the build key reads_memo was made for
    folder: Path | None = None  # holds the search documents and font subsets; removed by close()
    docs_current: dict[str, Path] = field(default_factory=dict)  # output folder -> its search document store
    pinned: dict[Path, int] = field(default_factory=dict)  # stores a deferred index is reading: not pruned
    lock: Any = field(default_factory=lambda: __import__("threading").Lock())

    def docs_dir(self, name: str) -> Path:
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="journeymap-state-"))
        return self.folder / name

    def docs_store(self, target: Path) -> Path:
        store = self.docs_current.get(str(target))
        if store is None:
            self.docs_dir("")
            store = Path(tempfile.mkdtemp(prefix="search-", dir=self.folder))
            self.docs_current[str(target)] = store
        return store

    def pin(self, store: Path) -> None:
        with self.lock:
            self.pinned[store] = self.pinned.get(store, 0) + 1

    def unpin(self, store: Path) -> None:
        with self.lock:
            self.pinned[store] -= 1
            if self.pinned[store] == 0:
                del self.pinned[store]

    def prune(self, store: Path, keep: Iterable[str]) -> None:
        """prune_store, unless a deferred index is reading the store (the next build prunes it)."""
        from .search import prune_store

        with self.lock:
            if store not in self.pinned:
                prune_store(store, keep)

    def close(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def build(root: Path, site_dir: Path | None = None, include_drafts: bool = False, strict: bool = False, *,
          jobs: int | None = None, clean: bool = False, cache_dir: Path | None = None, state: BuildState | None = None,
          progress: Progress | None = None, start_method: str | None = None, search: str = "now") -> BuildResult:
    """Build the project in `root`. Raises DiagnosticError (and writes nothing) when content has errors.

    `jobs`: worker processes (default: every core; 1 renders in this process; small sites always use
    one). `cache_dir` (or `state`) makes the build incremental; `clean` forces a full build.
    `search="later"` (with `state`, for `journeymap serve`): when pages changed, keep the current search
    index and leave re-indexing to the caller (`index_later`), so the new pages are served at once.
    """
    from . import cache, textmeasure

    run = _Build(Path(root).resolve(), site_dir, include_drafts, strict, jobs, clean, cache_dir, state, progress,
                 start_method)
    run.search_mode = search if state is not None else "now"
    previous = textmeasure.SUBSET_CACHE_DIR, cache.TEMPLATE_CACHE_DIR
    if cache_dir is not None:  # font subsets and compiled templates survive between builds
        textmeasure.SUBSET_CACHE_DIR = Path(cache_dir) / "fonts"
        cache.TEMPLATE_CACHE_DIR = Path(cache_dir) / "templates"
    elif state is not None:  # made by workers, read by this process
        textmeasure.SUBSET_CACHE_DIR = state.docs_dir("fonts")
        cache.TEMPLATE_CACHE_DIR = state.docs_dir("templates")
    try:
        return run.build()
    finally:
        textmeasure.SUBSET_CACHE_DIR, cache.TEMPLATE_CACHE_DIR = previous


_Files = tuple[dict[str, str], dict[str, str]]  # a unit's outputs and search documents: path -> hash


@dataclass
class _Plan:
    """What a build renders, and what it keeps of the current site (`_Build.plan`)."""

    reuse: bool  # site_dir is the last build's, with this global key: it is updated in place
    good: set[str]  # its files that are as the manifest recorded them
    old_units: dict[str, dict[str, Any]]  # unit name -> its manifest entry (empty unless reuse)
    tasks: list[str]  # every render task: journey ids, then COMPARE_UNIT + the owner of each comparison page
    to_render: list[str]  # the tasks whose unit key changed, or whose files are not good
    shared_key: str
    shared_entry: dict[str, Any] | None  # the shared unit's manifest entry, when it is kept as it is
    copies: dict[str, tuple[Path, str]]  # files the site copies: output path -> (source, hash)

    @property
    def shared_reused(self) -> bool:
        return self.shared_entry is not None


class _Build:
    def __init__(self, root: Path, site_dir: Path | None, include_drafts: bool, strict: bool, jobs: int | None,
                 clean: bool, cache_dir: Path | None, state: BuildState | None, progress: Progress | None,
                 start_method: str | None):
        self.root, self.include_drafts, self.strict, self.clean = root, include_drafts, strict, clean
        self.site_dir = Path(site_dir).resolve() if site_dir is not None else None
        self.jobs, self.cache_dir, self.state, self.progress = jobs, cache_dir, state, progress
        self.start_method = start_method
        self.options = {"drafts": bool(include_drafts)}
        self.stats = BuildStats()
        self.started = self.lap = time.perf_counter()
        self.inputs: Inputs | None = None
        self.known: KnownHashes | None = None  # content hashes by stat signature, from the cache or state
        self.shown: dict[str, tuple[str, str]] | None = None  # reads_memo, from the cache folder
        self.shown_before: dict[str, tuple[str, str]] = {}
        self.key = ""
        self.loaded_documents: DocumentCache | None = None
        self.search_mode = "now"
        self.search_shards: dict[str, str] = {}  # search shard -> key of its bundle in the site (manifest)
        self.stored: set[str] | None = None  # the names in the search document store (stored_documents)
        self.shard_count = 1  # K, the number of journey search shards (search.shard_count)
        self.in_place = False  # an incremental build: update site_dir file by file (see update_in_place)
        self.fonts: Any = None  # parallel.FontsAhead: the map font subsets, made while the site loads

    def timed(self, name: str) -> None:
        now = time.perf_counter()
        self.stats.timings[name] = round(now - self.lap, 4)
        self.lap = now

    @property
    def incremental(self) -> bool:
        return self.cache_dir is not None or self.state is not None

    # --- the steps ------------------------------------------------------------------------------

    def build(self) -> BuildResult:
        if self.incremental:
            self.known = self.known_hashes()
            self.inputs, settings = scan_inputs(self.root, known=self.known)
            self.key = global_key(self.inputs, self.options)
            self.timed("scan")
            guess = self.site_dir or (self.root / settings["site_dir"]).resolve()
            if not self.clean:
                skipped = self.shortcut(guess)
                if skipped is not None:
                    return skipped
            from .parallel import FontsAhead

            font = Path(settings["font"]) if settings["font"] else None
            self.fonts = FontsAhead(font if font is None or font.is_absolute() else self.root / font)
        site, diagnostics = self.load()
        target = self.site_dir or (site.root / site.config.site_dir).resolve()
        check_site_dir(target, site.root, _sources(site))
        manifest = None if self.clean or not self.incremental else self.manifest(target)
        return self.render_and_write(site, diagnostics, target, manifest)

    def shortcut(self, target: Path) -> BuildResult | None:
        """The result of the last build when nothing it read has changed and site_dir is as it left it."""
        manifest = self.manifest(target)
        if manifest is None or manifest.key != self.key or manifest.today != _today():
            return None
        if manifest.inputs != _inputs_record(self.inputs) or not (target / MARKER).is_file():
            return None
        if self.current_files(target, manifest) != set(manifest.outputs) | {MARKER}:
            return None
        if len(verify_outputs(target, manifest.outputs)) != len(manifest.outputs):
            return None
        diagnostics = diagnostics_from(manifest.diagnostics)
        if self.strict and diagnostics:
            raise DiagnosticError(diagnostics)
        self.stats.skipped = True
        self.stats.reused = sorted(manifest.units)
        self.save_known()
        self.timed("shortcut")
        return BuildResult(None, target, diagnostics, list(manifest.pages), self.stats)

    def load(self) -> tuple[Any, list[Diagnostic]]:
        from .content import gc_paused

        # frozen: the site lives as long as the build (render_journeys unfreezes it when done)
        with gc_paused(freeze=True):
            site, diagnostics, documents, links_before = self.validate()
        if documents is not None:
            documents.data = {}
            if site is not None:  # keep the links of the bodies that still exist
                bodies = {doc.body for doc in _all_documents(site)}
                documents.links = {body: links for body, links in documents.links.items() if body in bodies}
                documents.links_changed = len(documents.links) != links_before
            self.loaded_documents = documents  # saved with the manifest, after a successful build
        self.timed("load")
        failing = [d for d in diagnostics if d.is_error or self.strict]
        if site is None or failing:
            raise DiagnosticError(diagnostics)
        return site, diagnostics

    def validate(self) -> tuple[Any, list[Diagnostic], DocumentCache | None, int]:
        """validate_project, reusing the documents (and body links) an earlier build parsed."""
        from . import markdown
        from .content import display_prefix
        from .validate import validate_project

        documents = self.documents()
        if documents is not None and self.inputs is not None:
            prefix = display_prefix(self.root / self.inputs.content_dir, self.root)  # as walk_content shows paths
            documents.hashes = {prefix + rel: content_hash for rel, content_hash in self.inputs.content.items()}
            documents.data = {prefix + rel: raw for rel, raw in self.inputs.data.items()}
        markdown.LINKS_MEMO = documents.links if documents is not None else None
        try:
            site, diagnostics = validate_project(self.root, loader=documents)
        finally:
            markdown.LINKS_MEMO = None
        return site, diagnostics, documents, len(documents.links) if documents is not None else 0

    def render_and_write(self, site: Any, diagnostics: list[Diagnostic], target: Path,
                         manifest: Manifest | None) -> BuildResult:
        from .site import SiteRenderer

        renderer = SiteRenderer(site, self.include_drafts)
        renderer.charts = self.load_charts()
        plan = self.plan(renderer, target, manifest)
        self.timed("plan")
        if plan.reuse and manifest and not plan.to_render and plan.shared_reused \
                and self.nothing_to_write(target, manifest, plan.copies):
            return self.nothing_changed(site, target, diagnostics, manifest)

        staging = make_staging(target)
        docs_new = self.docs_store(target)
        early = None
        try:
            kept_units, kept_shared = self.keep_units(plan, target, staging, manifest, docs_new)
            early = self.early_shards(renderer, plan.to_render, kept_units, docs_new, staging, target, manifest, plan.good)
            if early is not None and kept_shared is not None:
                early.shared(kept_shared[1])
            units, outputs, docs = self.render_units(renderer, plan, kept_units, kept_shared, staging, docs_new,
                                                     manifest, early)
            recorded = self.index_and_update(site, renderer, plan, target, staging, docs_new, manifest,
                                             units, outputs, docs, early)
        except BaseException:
            if early is not None:
                early.stop()
            shutil.rmtree(staging, ignore_errors=True)
            if not self.incremental:  # a kept store only gained documents: the next build prunes them
                shutil.rmtree(docs_new, ignore_errors=True)
            raise
        self.finish_store(docs_new, docs)
        self.timed("swap")
        pages = sorted(outputs)
        if self.incremental:
            self.save_manifest(target, Manifest(
                key=self.key, inputs=_inputs_record(self.inputs), diagnostics=[d.to_dict() for d in diagnostics],
                today=_today(), units=units, outputs=recorded, copies={rel: plan.copies[rel][1] for rel in plan.copies},
                search={"key": "deferred" if self.stats.search == "deferred" else _search_key(docs),
                        "docs": docs, "shards": self.search_shards, "count": self.shard_count},
                pages=pages))
        self.timed("manifest")
        return BuildResult(site, target, diagnostics, pages, self.stats)

    def plan(self, renderer: Any, target: Path, manifest: Manifest | None) -> _Plan:
        """Which units must be rendered, and which the current site keeps (by their keys)."""
        from .search import journey_pages, shard_count

        reuse = manifest is not None and manifest.key == self.key and (target / MARKER).is_file()
        good = verify_outputs(target, manifest.outputs) if reuse and manifest else set()
        self.in_place = reuse
        old_units = manifest.units if reuse and manifest else {}
        tasks = [journey.id for journey in renderer.journeys] + [COMPARE_UNIT + owner for owner in renderer.compare_owners()]
        to_render: list[str] = []
        for task in tasks:
            unit = _unit_name(task)
            entry = old_units.get(unit)
            if entry is not None and all(rel in good for rel in entry["files"]):
                if self.unit_key(_unit_reads(renderer, task, entry["links"])) == entry["key"]:
                    self.stats.reused.append(unit)
                    continue
            to_render.append(task)
        shared_key = digest_json([self.key, sorted(renderer.shared_reads(self.inputs.content, self.reads_memo()).items())
                                  if self.inputs else None,
                                  sorted(j.id for j in renderer.journeys)])
        shared_entry = old_units.get(SHARED)
        shared_reused = bool(shared_entry and shared_entry["key"] == shared_key and all(rel in good for rel in shared_entry["files"]))
        self.shard_count = shard_count(journey_pages(renderer.journeys))  # known before they render
        return _Plan(reuse, good, old_units, tasks, to_render, shared_key, shared_entry if shared_reused else None,
                     self.copies(renderer))

    def nothing_changed(self, site: Any, target: Path, diagnostics: list[Diagnostic], manifest: Manifest) -> BuildResult:
        """Nothing to render or write: the manifest is brought up to date (diagnostics, input hashes)."""
        self.stats.skipped = True
        self.stats.reused.append(SHARED)
        manifest.diagnostics = [d.to_dict() for d in diagnostics]
        manifest.today = _today()
        manifest.inputs = _inputs_record(self.inputs)
        self.save_manifest(target, manifest)
        self.save_documents(self.loaded_documents)
        return BuildResult(site, target, diagnostics, list(manifest.pages), self.stats)

    def keep_units(self, plan: _Plan, target: Path, staging: Path, manifest: Manifest | None, docs_new: Path
                   ) -> tuple[dict[str, _Files], _Files | None]:
        """The outputs and search documents of each render task not rendered again, and of the shared
        unit if it is not, kept from the current site."""
        kept: dict[str, _Files] = {}
        rendering = set(plan.to_render)
        for task in plan.tasks:
            if task not in rendering:
                kept[task] = ({}, {})
                self.reuse_files(plan.old_units[_unit_name(task)]["files"], target, staging, manifest, *kept[task], docs_new)
        if plan.shared_entry is None:
            return kept, None
        shared: _Files = ({}, {})
        self.reuse_files(plan.shared_entry["files"], target, staging, manifest, *shared, docs_new)
        return kept, shared

    def render_units(self, renderer: Any, plan: _Plan, kept_units: dict[str, _Files], kept_shared: _Files | None,
                     staging: Path, docs_new: Path, manifest: Manifest | None, early: _EarlyShards | None
                     ) -> tuple[dict[str, dict[str, Any]], dict[str, str], dict[str, str]]:
        """Render the planned units into staging (journeys in workers, the shared pages in this process
        meanwhile); returns every unit's manifest entry, and every output's and search document's hash,
        those of the units kept included."""
        from .parallel import render_journeys, write_unit

        total = len(plan.to_render) + (0 if plan.shared_reused else 1)
        done = [0]

        def tick(_: str = "") -> None:
            done[0] += 1
            if self.progress:
                self.progress(done[0], total)

        shared_output: list[Any] = []
        kept = self.kept_outputs(manifest, plan.good, docs_new) if plan.reuse else None

        def shared() -> None:
            if not plan.shared_reused:
                shared_output.append(write_unit(renderer.shared_unit(), staging, docs_new, kept))
                if early is not None:
                    early.shared(shared_output[0].docs)
                tick()

        jobs = self.render_jobs(renderer, plan.to_render, plan.shared_reused)
        self.stats.jobs = jobs
        if self.progress:
            self.progress(0, total)
        if self.fonts is not None:
            self.fonts.wait()
        rendered = render_journeys(renderer, plan.to_render, staging, docs_new, jobs=jobs, root=self.root,
                                   include_drafts=self.include_drafts, side_work=shared, on_done=tick,
                                   method=self.start_method, on_result=early.rendered if early else None,
                                   group=early.rank if early else None, kept=kept)
        self.timed("render")
        return self.collect_units(renderer, plan, rendered, kept_units, kept_shared,
                                  shared_output[0] if shared_output else None, staging, kept)

    def collect_units(self, renderer: Any, plan: _Plan, rendered: dict[str, Any], kept_units: dict[str, _Files],
                      kept_shared: _Files | None, shared_output: Any, staging: Path, kept: _Kept | None
                      ) -> tuple[dict[str, dict[str, Any]], dict[str, str], dict[str, str]]:
        """Every unit's manifest entry, and every output's and search document's hash, from the units
        rendered and those kept; the sitemap, which lists them all, is written here."""
        from .parallel import write_unit

        units: dict[str, dict[str, Any]] = {}
        outputs: dict[str, str] = {}  # output path -> hash
        docs: dict[str, str] = {}  # search document path -> hash
        for task in plan.tasks:
            unit = _unit_name(task)
            if task in rendered:
                out = rendered[task]
                units[unit] = {"key": self.unit_key(_unit_reads(renderer, task, out.links)), "files": sorted(out.files),
                               "links": out.links}
                self.stats.rendered.append(unit)
                self.stats.written += len(out.files)
                files, documents = out.files, out.docs
            else:
                units[unit] = plan.old_units[unit]
                files, documents = kept_units[task]
            outputs.update(files)
            docs.update(documents)
        if plan.shared_entry is not None and kept_shared is not None:
            units[SHARED] = plan.shared_entry
            files, documents = kept_shared
            self.stats.reused.append(SHARED)
        else:
            out = shared_output
            sitemap = renderer.sitemap(set(outputs) | set(out.files))
            if sitemap is not None:
                out.files.update(write_unit({"sitemap.xml": sitemap}, staging, None, kept).files)
            units[SHARED] = {"key": plan.shared_key, "files": sorted(out.files), "links": []}
            self.stats.rendered.append(SHARED)
            self.stats.written += len(out.files)
            files, documents = out.files, out.docs
        outputs.update(files)
        docs.update(documents)
        return units, outputs, docs

    def index_and_update(self, site: Any, renderer: Any, plan: _Plan, target: Path, staging: Path, docs_new: Path,
                         manifest: Manifest | None, units: dict[str, dict[str, Any]], outputs: dict[str, str],
                         docs: dict[str, str], early: _EarlyShards | None) -> dict[str, list[Any]]:
        """Copy the files the site copies, write the search index, then bring site_dir up to date (in
        place, or by swapping staging in); returns the new manifest's outputs."""
        copied = self.write_copies(plan.copies, target, staging, plan.good, manifest if plan.reuse else None)
        kept = self.keep_files(site, target, staging)
        self.timed("write")
        if self.progress:
            self.progress(0, 0)  # total 0: a step without a count (the search index)
        # While Pagefind indexes the shards started early: list site_dir (for strays) and save the
        # caches, which hold facts by content hash, whatever the search step does (0.1 s of a
        # one-file change at 5,000 touchpoints). Nothing writes to site_dir until the update below.
        present = self.current_files(target, manifest) if self.in_place and manifest is not None else set()
        if self.incremental:
            self.save_documents(self.loaded_documents)
            if not plan.shared_reused:
                self.save_charts(renderer.charts_used)
        search = self.search(target, staging, docs_new, docs, manifest if plan.reuse else None, plan.good, units, early)
        self.timed("search")
        recorded, moves = self.record({**outputs, **copied, **kept, **search}, target, staging, manifest, plan.good)
        if self.in_place:
            update_in_place(staging, target, moves, present - set(recorded) - {MARKER})
        else:
            write_new(staging, MARKER, MARKER_TEXT.encode("utf-8"))
            swap_in(staging, target, self.remove_mode)
        return recorded

    # --- pieces -------------------------------------------------------------------------------------

    def record(self, hashes: dict[str, str], target: Path, staging: Path, manifest: Manifest | None,
               good: set[str]) -> tuple[dict[str, list[Any]], list[str]]:
        """Output path -> [hash, size, mtime, inode] of the new site, and (in place) the staged files to
        move into site_dir. In place, a file this build did not write, or wrote with the bytes site_dir
        already has, stays as it is and keeps its entry in the last manifest."""
        recorded: dict[str, list[Any]] = {}
        moves: list[str] = []
        old = manifest.outputs if self.in_place and manifest is not None else {}
        for rel, content_hash in hashes.items():
            entry = old.get(rel)
            if entry is not None and entry[0] == content_hash and rel in good:
                recorded[rel] = entry
                continue
            signature = stat_signature(f"{staging}/{rel}")
            if signature is not None:
                moves.append(rel)
            elif self.in_place:  # not written by this build: a kept file (CNAME, ...) or a changed search file
                signature = stat_signature(f"{target}/{rel}")
            if signature is not None:
                recorded[rel] = [content_hash] + signature
        return recorded, moves

    def render_jobs(self, renderer: Any, to_render: list[str], shared_reused: bool) -> int:
        """Worker processes for this build: every core for a big render; one worker beside this process
        when a big site changed a little (its journeys render while this process renders the shared pages,
        which list the whole site); none for a small site, where starting a worker costs more."""
        from .parallel import PARALLEL_THRESHOLD, default_jobs, start_method

        jobs = self.jobs or default_jobs()
        if sum(len(renderer.site.journeys[task].touchpoints) for task in to_render if compare_owner(task) is None) \
                >= PARALLEL_THRESHOLD:
            return jobs
        big = sum(len(j.touchpoints) for j in renderer.journeys) >= PARALLEL_THRESHOLD
        if big and to_render and not shared_reused and jobs > 1 and start_method(self.start_method) == "fork":
            return 2
        return 1

    def unit_key(self, reads: dict[str, Any]) -> str:
        content = self.inputs.content if self.inputs else {}
        return digest_json([self.key, [(path, content.get(path)) for path in reads["files"]], reads["facts"]])

    def copies(self, renderer: Any) -> dict[str, tuple[Path, str]]:
        """Output path -> (source file, source hash) for the theme assets, content media and brand files."""
        result = {}
        for rel, source in renderer._copies().items():
            if rel in ("assets/palette.css", "sitemap.xml"):
                continue  # a generated file wins over a copied one (as in SiteRenderer.render)
            try:
                result[rel] = (source, digest(Path(source).read_bytes()))
            except OSError:
                result[rel] = (source, "unreadable")
        return result

    def reads_memo(self) -> dict[str, tuple[str, str]] | None:
        """The memo of SiteRenderer.shared_reads (what each touchpoint shows the shared pages), for the
        same global key: serve keeps it in memory, the command line in shown.marshal (5,000 touchpoints:
        0.05 s less per build)."""
        if self.state is not None:
            if self.state.reads_key != self.key:
                self.state.reads_key, self.state.reads_memo = self.key, {}
            return self.state.reads_memo
        if self.cache_dir is None:
            return None
        if self.shown is None:
            self.shown = self.read_keyed("shown.marshal")
            self.shown_before = dict(self.shown)
        return self.shown

    def save_reads_memo(self) -> None:
        if self.shown is None or self.cache_dir is None or self.inputs is None:
            return
        memo = {rel: value for rel, value in self.shown.items() if rel in self.inputs.content}
        if memo != self.shown_before:
            self.write_keyed("shown.marshal", memo)

    def current_files(self, target: Path, manifest: Manifest) -> set[str]:
        """The files in site_dir. With `state` (journeymap serve, whose site_dir is a private folder that
        only its builds write) the last build's outputs, without walking the folder (5,900 folders at
        5,000 touchpoints: 0.07 s of every rebuild); else the folder walked, so strays are found."""
        if self.state is not None:
            return set(manifest.outputs) | ({MARKER} if (target / MARKER).is_file() else set())
        return site_files(target)

    def nothing_to_write(self, target: Path, manifest: Manifest, copies: dict[str, tuple[Path, str]]) -> bool:
        if manifest.copies != {rel: value[1] for rel, value in copies.items()}:
            return False
        if manifest.search.get("key") != _search_key(manifest.search.get("docs", {})):
            return False
        return self.current_files(target, manifest) == set(manifest.outputs) | {MARKER} and \
            len(verify_outputs(target, manifest.outputs)) == len(manifest.outputs)

    def reuse_files(self, files: list[str], target: Path, staging: Path, manifest: Manifest | None,
                    outputs: dict[str, str], docs: dict[str, str], store: Path) -> None:
        """Hard-link a reused unit's files from the current site; its search documents stay in the store."""
        from .search import stored_name

        assert manifest is not None
        old_docs = manifest.search.get("docs", {})
        stored = self.stored_documents(store)
        for rel in files:
            self.carry_over(staging, target, rel)
            outputs[rel] = manifest.outputs[rel][0]
            self.stats.linked += 1
            if rel in old_docs:
                if stored_name(old_docs[rel]) in stored:
                    docs[rel] = old_docs[rel]
                else:  # the kept search document is gone: make it again from the page
                    self.store_again(rel, target, store, docs)

    def kept_outputs(self, manifest: Manifest | None, good: set[str], store: Path) -> _Kept:
        assert manifest is not None
        return _Kept(manifest.outputs, good, manifest.search.get("docs", {}), self.stored_documents(store))

    def carry_over(self, staging: Path, target: Path, rel: str) -> None:
        """Keep an unchanged file of the current site: hard-linked into a new site folder; in place it
        simply stays where it is."""
        if not self.in_place:
            link_new(staging, rel, f"{target}/{rel}")  # strings: 10,000 pathlib joins cost 0.1 s

    def stored_documents(self, store: Path) -> set[str]:
        """The names in the search document store, listed once per build."""
        if self.stored is None:
            try:
                self.stored = set(os.listdir(store))
            except OSError:
                self.stored = set()
        return self.stored

    @staticmethod
    def store_again(rel: str, target: Path, store: Path, docs: dict[str, str]) -> None:
        from .search import search_document, store_document

        document = search_document((target / rel).read_text(encoding="utf-8"))
        if document is not None:
            encoded = document.encode("utf-8")
            docs[rel] = digest(encoded)
            store_document(store, docs[rel], encoded)

    def write_copies(self, copies: dict[str, tuple[Path, str]], target: Path, staging: Path, good: set[str],
                     manifest: Manifest | None) -> dict[str, str]:
        manifest_outputs: dict[str, str] = {}
        old = manifest.outputs if manifest is not None else {}
        for rel, (source, content_hash) in sorted(copies.items()):
            if rel in good and rel in old and old[rel][0] == content_hash:
                self.carry_over(staging, target, rel)
                self.stats.linked += 1
            else:
                copy_new(staging, rel, Path(source))
                self.stats.written += 1
            manifest_outputs[rel] = content_hash
        return manifest_outputs

    def keep_files(self, site: Any, target: Path, staging: Path) -> dict[str, str]:
        """Files hosts need (CNAME, .nojekyll, ... and keep_files) carried over from the current site."""
        kept: dict[str, str] = {}
        for name in sorted(set(ALWAYS_KEPT) | set(site.config.keep_files)):
            current = target / name
            if current.is_file() and not (staging / name).exists():
                try:
                    if not self.in_place:  # in place it stays where it is
                        link_new(staging, name, current)
                    else:
                        checked_path(staging, name)
                except ValueError:
                    continue  # a keep_files entry that is not a plain relative path
                kept[name] = digest(current.read_bytes())
        return kept

    def search(self, target: Path, staging: Path, docs_dir: Path | None, docs: dict[str, str],
               manifest: Manifest | None, good: set[str], units: dict[str, dict[str, Any]],
               early: _EarlyShards | None = None) -> dict[str, str]:
        """Write staging/pagefind: one bundle per search shard (search.py), each reused from the current
        site when its documents did not change, else indexed again (unless `early` already did). Returns
        its files' hashes."""
        from .search import BUNDLE_DIR, index_search, index_shards, plan_shards, write_shard_list

        if not docs or docs_dir is None:
            if self.in_place:  # Pagefind reads the whole site: the pages this build did not write too
                for rel in sorted(rel for unit in units.values() for rel in unit["files"]):
                    if rel.endswith(".html") and not os.path.exists(f"{staging}/{rel}"):
                        link_new(staging, rel, f"{target}/{rel}")
            index_search(staging)  # no page has a search body (custom templates): index the pages whole
            self.stats.search, self.search_shards = "indexed", {}
            return _bundle_hashes(staging, {})
        shards = plan_shards(docs, _journey_files(units), self.shard_count)
        old = manifest.search.get("shards", {}) if manifest is not None else {}
        old_files = _shard_files(manifest.outputs if manifest is not None else {})
        fresh = [shard for shard in shards if self.shard_fresh(shard, old, old_files, good)]
        current = target / BUNDLE_DIR
        outputs = manifest.outputs if manifest is not None else {}
        if self.search_mode == "later" and fresh and (current / "pagefind.js").is_file():
            # serve: keep the current index until index_later has written the new one
            self.stats.search, self.search_shards = "deferred", dict(old)
            if self.in_place:  # the current bundle stays where it is
                return _bundle_hashes(target, outputs, [rel for rel in outputs if rel.startswith(BUNDLE_DIR + "/")], good)
            for path in sorted(current.rglob("*")):
                if path.is_file():
                    link_new(staging, path.relative_to(target).as_posix(), path)
            return _bundle_hashes(staging, outputs)
        kept: dict[str, str] = {}
        for shard in shards:
            if shard not in fresh:
                for rel in old_files[shard.folder]:
                    self.carry_over(staging, target, rel)
                    kept[rel] = outputs[rel][0]
                self.stats.linked += len(old_files[shard.folder])
        if early is not None:
            early.finish(fresh)
        else:
            index_shards(fresh, docs_dir, staging, current=target if self.in_place else None)
        write_shard_list(staging, shards)
        self.stats.search = "indexed" if fresh else "reused"
        self.stats.shards = {shard.name: "indexed" if shard in fresh else "reused" for shard in shards}
        self.search_shards = {shard.name: shard.key for shard in shards}
        return {**kept, **_bundle_hashes(staging, outputs)}

    @staticmethod
    def shard_fresh(shard: Any, old: dict[str, str], old_files: dict[str, list[str]], good: set[str]) -> bool:
        """Whether a search shard must be indexed: its bundle in site_dir is not of these documents."""
        return not (old.get(shard.name) == shard.key and old_files.get(shard.folder)
                    and all(rel in good for rel in old_files[shard.folder]))

    def early_shards(self, renderer: Any, to_render: list[str], reused: dict[str, _Files],
                     docs_dir: Path | None, staging: Path, target: Path, manifest: Manifest | None,
                     good: set[str]) -> _EarlyShards | None:
        """What indexes a shard as soon as its pages are written, in an incremental build (None for a full
        build, whose render keeps every core busy already: measured, starting Pagefind early only slowed
        it; for a single shard; and for serve's index later)."""
        from .search import ShardIndexer, journey_shard

        if not self.in_place or manifest is None or docs_dir is None or self.search_mode == "later" \
                or self.shard_count < 2 or not to_render:
            return None
        members: dict[str, list[str]] = {}  # shard -> its render tasks (a comparison page: its owner's shard)
        for journey in renderer.journeys:
            members.setdefault(journey_shard(journey.id, self.shard_count), []).append(journey.id)
        for owner in renderer.compare_owners():
            members[journey_shard(owner, self.shard_count)].append(COMPARE_UNIT + owner)
        old, old_files = manifest.search.get("shards", {}), _shard_files(manifest.outputs)
        return _EarlyShards(ShardIndexer(docs_dir, staging, current=target), members, set(to_render),
                            {jid: documents for jid, (_, documents) in reused.items()},
                            lambda shard: self.shard_fresh(shard, old, old_files, good))

    # --- cache storage -------------------------------------------------------------------------------

    def documents(self) -> DocumentCache | None:
        if self.state is not None:
            return self.state.documents
        if self.cache_dir is not None and not self.clean:
            return DocumentCache.load(Path(self.cache_dir) / "documents.marshal")
        if self.cache_dir is not None:
            return DocumentCache()
        return None

    def known_hashes(self) -> KnownHashes | None:
        if self.state is not None:
            return self.state.known
        if self.cache_dir is not None and not self.clean:
            return KnownHashes.load(Path(self.cache_dir) / "inputs.marshal")
        return KnownHashes() if self.cache_dir is not None else None

    def save_known(self) -> None:
        if self.state is None and self.cache_dir is not None and self.known is not None and self.known.changed:
            ensure_cache_dir(Path(self.cache_dir))
            self.known.save(Path(self.cache_dir) / "inputs.marshal")

    def save_documents(self, documents: DocumentCache | None) -> None:
        self.save_known()
        self.save_reads_memo()
        if documents is None:
            return
        if self.state is not None:
            documents.entries = dict(documents.used)
            documents.used = {}
            return
        if self.cache_dir is None:
            return
        if documents.misses or len(documents.used) != len(documents.entries) or documents.links_changed:
            ensure_cache_dir(Path(self.cache_dir))
            documents.save(Path(self.cache_dir) / "documents.marshal")

    def load_charts(self) -> dict[str, str]:
        """Emotion charts drawn by earlier builds with the same global key (see SiteRenderer._chart)."""
        if self.clean or not self.incremental:
            return {}
        if self.state is not None:
            return dict(self.state.charts) if self.state.charts_key == self.key else {}
        return self.read_keyed("charts.marshal")

    def save_charts(self, charts: dict[str, str]) -> None:
        if self.state is not None:
            self.state.charts, self.state.charts_key = dict(charts), self.key
        elif self.cache_dir is not None:
            self.write_keyed("charts.marshal", charts)

    def read_keyed(self, name: str) -> dict[str, Any]:
        """A dict the cache folder keeps for this build's global key (charts.marshal, shown.marshal):
        empty when there is none, it was made for another key, it is damaged, or the build is --clean."""
        if self.cache_dir is None or self.clean:
            return {}
        try:
            with open(Path(self.cache_dir) / name, "rb") as handle:  # marshal.load(file) reads object by object: slower
                key, value = marshal.loads(handle.read())
            return value if key == self.key and isinstance(value, dict) else {}
        except Exception:  # noqa: BLE001 - none kept, or a damaged file: work it out again
            return {}

    def write_keyed(self, name: str, value: dict[str, Any]) -> None:
        from .cache import _atomic_write

        assert self.cache_dir is not None
        ensure_cache_dir(Path(self.cache_dir))
        _atomic_write(Path(self.cache_dir) / name, marshal.dumps([self.key, value]))

    def manifest(self, target: Path) -> Manifest | None:
        cache = self.__dict__.setdefault("_manifest_cache", {})
        if str(target) in cache:
            return cache[str(target)]
        manifest = None
        if self.state is not None:
            manifest = self.state.manifests.get(str(target))
        elif self.cache_dir is not None:
            manifest = Manifest.load(manifest_path(Path(self.cache_dir), target, self.options))
        cache[str(target)] = manifest
        return manifest

    def save_manifest(self, target: Path, manifest: Manifest) -> None:
        if self.state is not None:
            self.state.manifests[str(target)] = manifest
        elif self.cache_dir is not None:
            ensure_cache_dir(Path(self.cache_dir))
            manifest.site_dir = str(target)
            path = manifest_path(Path(self.cache_dir), target, self.options)
            manifest.save(path)
            prune(Path(self.cache_dir), path)

    def docs_store(self, target: Path) -> Path:
        """The store of search documents of this output folder (search.py): kept between builds in the
        cache folder or the serve state, a temporary folder for a build without a cache. A clean build
        starts it empty."""
        if self.state is not None:
            store = self.state.docs_store(target)
        elif self.cache_dir is not None:
            ensure_cache_dir(Path(self.cache_dir))
            store = Path(self.cache_dir) / ("search-" + manifest_path(Path("."), target, self.options).stem.removeprefix("build-"))
        else:
            return Path(tempfile.mkdtemp(prefix="journeymap-search-"))
        if self.clean:
            shutil.rmtree(store, ignore_errors=True)
        store.mkdir(parents=True, exist_ok=True)
        return store

    def finish_store(self, store: Path, docs: dict[str, str]) -> None:
        """After a successful build: a temporary store is removed, a kept one loses the documents no page has."""
        from .search import prune_store

        if not self.incremental:
            shutil.rmtree(store, ignore_errors=True)
        elif self.state is not None:
            self.state.prune(store, docs.values())
        else:
            prune_store(store, docs.values())

    @property
    def remove_mode(self) -> str:
        """How the replaced site is deleted: by a background process for incremental builds (a thread
        where `rm` is missing), so a small change does not wait for 10,000 unlinks."""
        return "process" if self.incremental else "now"


def index_later(state: BuildState, site_dir: Path, is_current: Callable[[], bool]) -> Callable[..., bool]:
    """For a build made with search="later": a function that writes the search index of the current
    search documents (re-indexing only the shards that changed, see `_Build.search`) and, if
    `is_current()` still holds (no newer build, checked under the caller's lock), puts it in place in
    site_dir and records it, so the next build can reuse it."""
    from .search import BUNDLE_DIR, index_shards, plan_shards, write_shard_list

    target = Path(site_dir).resolve()
    docs = state.docs_current.get(str(target))
    manifest = state.manifests.get(str(target))
    if docs is None or manifest is None:
        return lambda lock=None: False
    shards = plan_shards(manifest.search.get("docs", {}), _journey_files(manifest.units), manifest.search.get("count", 1))
    in_site = dict(manifest.search.get("shards", {}))
    state.pin(docs)

    def work(lock: Any = None) -> bool:
        temp = Path(tempfile.mkdtemp(prefix=f".{target.name}.search-", dir=target.parent))
        try:
            files = _shard_files(manifest.outputs)
            fresh = []
            for shard in shards:
                kept = files.get(shard.folder, [])
                if in_site.get(shard.name) != shard.key or not kept or \
                        len(verify_outputs(target, manifest.outputs, kept)) != len(kept):
                    fresh.append(shard)
                    continue
                for rel in kept:
                    link_new(temp, rel, f"{target}/{rel}")
            index_shards(fresh, docs, temp, current=target)
            write_shard_list(temp, shards)
            hashes = _bundle_hashes(temp, manifest.outputs)
            with (lock if lock is not None else _NoLock()):
                if not is_current() or state.manifests.get(str(target)) is not manifest:
                    return False
                current = target / BUNDLE_DIR
                if current.exists():
                    os.replace(current, temp / "old")
                os.replace(temp / BUNDLE_DIR, current)
                for rel in [rel for rel in manifest.outputs if rel.startswith(BUNDLE_DIR + "/")]:
                    del manifest.outputs[rel]
                for rel, content_hash in hashes.items():
                    signature = stat_signature(target / rel)
                    if signature is not None:
                        manifest.outputs[rel] = [content_hash] + signature
                manifest.search["shards"] = {shard.name: shard.key for shard in shards}
                manifest.search["key"] = _search_key(manifest.search.get("docs", {}))
                return True
        finally:
            shutil.rmtree(temp, ignore_errors=True)
            state.unpin(docs)

    return work


class _EarlyShards:
    """Starts Pagefind on a search shard (a ShardIndexer run) as soon as its documents are all written:
    a journey shard when the last of its journeys is rendered, the "site" shard when the shared pages
    are, while the other journeys still render; `finish` then indexes whatever else must be. `rendered`
    may be called from another thread (parallel.py's result thread)."""

    def __init__(self, indexer: Any, members: dict[str, list[str]], to_render: set[str],
                 docs: dict[str, dict[str, str]], fresh: Callable[[Any], bool]):
        import threading

        self.indexer, self.members, self.docs, self.fresh = indexer, members, docs, fresh
        self.waiting = {name: set(ids) & to_render for name, ids in members.items()}
        self.shard_of = {jid: name for name, ids in members.items() for jid in ids}
        self.order = {name: index for index, name in enumerate(sorted(members))}
        # The first journey shard is the primary bundle (in pagefind/ itself) when the "site" shard is
        # empty: its folder is known once the shared pages are.
        self.first = min(members, default="")
        self.site_docs: dict[str, str] | None = None
        self.lock = threading.Lock()
        self.closed = False

    def rank(self, journey_id: str) -> int:
        """The order journeys render in, a shard after another: shards are complete early."""
        return self.order.get(self.shard_of.get(journey_id, ""), len(self.order))

    def rendered(self, journey_id: str, output: Any) -> None:
        with self.lock:
            if self.closed:
                return
            self.docs[journey_id] = output.docs
            name = self.shard_of.get(journey_id)
            if name is not None and journey_id in self.waiting[name]:
                self.waiting[name].discard(journey_id)
                self._start(name)

    def shared(self, documents: dict[str, str]) -> None:
        """The shared pages are written, with these search documents."""
        from .search import BUNDLE_DIR, SITE_SHARD, make_shard

        with self.lock:
            if self.closed:
                return
            self.site_docs = documents
            if documents:
                self._submit(make_shard(SITE_SHARD, BUNDLE_DIR, documents))
            if self.first:
                self._start(self.first)

    def _start(self, name: str) -> None:
        from .search import make_shard, secondary_folder

        if self.waiting[name] or (name == self.first and not self.site_docs):
            return
        self._submit(make_shard(name, secondary_folder(name),
                                {rel: h for jid in self.members[name] for rel, h in self.docs[jid].items()}))

    def _submit(self, shard: Any) -> None:
        if shard.docs and shard.name not in self.indexer.submitted and self.fresh(shard):
            self.indexer.submit(shard, busy=True)

    def finish(self, fresh: list[Any]) -> None:
        """Index the shards of `fresh` not yet indexed (biggest first), wait for all, and redo any indexed
        early that the final plan does not have as it was (a safety net: none is expected)."""
        with self.lock:
            self.closed = True
        submitted = dict(self.indexer.submitted)
        redo = [shard for shard in fresh if shard.name in submitted and not self.indexer.has(shard)]
        try:
            for shard in sorted(fresh, key=lambda shard: -len(shard.docs)):
                if shard.name not in submitted:
                    self.indexer.submit(shard)
        finally:
            self.indexer.finish()
        for shard, _ in submitted.values():
            if shard not in fresh:
                shutil.rmtree(self.indexer.site / shard.folder, ignore_errors=True)
        if redo:
            from .search import index_shards

            index_shards(redo, self.indexer.docs_dir, self.indexer.site, current=self.indexer.current)

    def stop(self) -> None:
        with self.lock:
            self.closed = True
        self.indexer.finish(cancel=True)


@dataclass
class _Kept:
    """The files of site_dir that a re-rendered page with the same bytes may leave as they are (see
    parallel.write_unit): those still as the manifest recorded them, whose search document is in the
    store. Looked up per rendered page (a one-file change renders 60 of 11,000)."""

    outputs: dict[str, list[Any]]
    good: set[str]
    docs: dict[str, str]
    stored: set[str]

    def get(self, rel: str) -> tuple[str, str | None] | None:
        """(hash, search document hash) of site_dir's file `rel`, or None if it may not be kept."""
        from .search import stored_name

        if rel not in self.good:
            return None
        doc = self.docs.get(rel)
        return None if doc is not None and stored_name(doc) not in self.stored else (self.outputs[rel][0], doc)


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


# --- helpers -------------------------------------------------------------------------------------------


def _all_documents(site: Any) -> list[Any]:
    docs = [persona.source for persona in site.personas.values()]
    for journey in site.journeys.values():
        docs.append(journey.source)
        docs += [stage.source for stage in journey.stages]
        docs += [tp.source for tp in journey.touchpoints + journey.unplaced]
    return docs


def _inputs_record(inputs: Inputs | None) -> dict[str, Any]:
    if inputs is None:
        return {}
    return {"config": inputs.config, "content_dir": inputs.content_dir, "content": inputs.content,
            "theme": [[folder, files] for folder, files in inputs.theme], "font": inputs.font}


def _search_key(docs: dict[str, str]) -> str:
    return digest_json(sorted(docs.items()))


def _journey_files(units: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Journey id -> its output paths and those of the comparison page it owns (which search shard a
    document belongs to)."""
    files: dict[str, list[str]] = {}
    for unit, entry in units.items():
        for prefix in (JOURNEY_UNIT, COMPARE_UNIT):
            if unit.startswith(prefix):
                files.setdefault(unit[len(prefix):], []).extend(entry["files"])
    return files


def compare_owner(task: str) -> str | None:
    """The journey that owns the comparison page a render task renders; None for a journey's task."""
    return task[len(COMPARE_UNIT):] if task.startswith(COMPARE_UNIT) else None


def _unit_name(task: str) -> str:
    """The manifest's name of a render task's unit: journey:<id>, or compare:<owner> as the task is."""
    return task if compare_owner(task) is not None else JOURNEY_UNIT + task


def _unit_reads(renderer: Any, task: str, links: Iterable[str]) -> dict[str, Any]:
    owner = compare_owner(task)
    if owner is not None:
        return renderer.compare_reads(owner, links)
    return renderer.journey_reads(renderer.site.journeys[task], links)


def _shard_files(outputs: dict[str, Any]) -> dict[str, list[str]]:
    """Search shard folder -> its files among the recorded outputs."""
    from .search import bundle_of

    files: dict[str, list[str]] = {}
    for rel in outputs:
        folder = bundle_of(rel)
        if folder is not None:
            files.setdefault(folder, []).append(rel)
    return files


def _bundle_hashes(site: Path, outputs: dict[str, list[Any]], files: list[str] | None = None,
                   good: set[str] | None = None) -> dict[str, str]:
    """Hashes of the files in site/pagefind (of `files`, if given; one that is missing is left out): a file
    that is still the one `outputs` recorded (a hard link, same inode, size and time; or listed in
    `good`) keeps its recorded hash, any other is read."""
    from .search import BUNDLE_DIR

    base = str(site)
    if files is None:  # strings, not Paths: a bundle has a file per search document (5,600 at 5,000 touchpoints)
        files = sorted(os.path.join(folder, name)[len(base) + 1:].replace(os.sep, "/")
                       for folder, _, names in os.walk(f"{base}/{BUNDLE_DIR}") for name in names)
    hashes = {}
    for rel in files:
        recorded = outputs.get(rel)
        if recorded is not None and ((good is not None and rel in good) or stat_signature(f"{base}/{rel}") == recorded[1:]):
            hashes[rel] = recorded[0]
            continue
        try:
            with open(f"{base}/{rel}", "rb") as handle:
                hashes[rel] = digest(handle.read())
        except OSError:
            continue  # gone: serve's next index writes the bundle again
    return hashes


def _today() -> str:
    """The date review warnings are computed for (see validate.review_today): cached diagnostics are
    only reused on the same day (or with the same SOURCE_DATE_EPOCH)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date().isoformat()
    return dt.date.today().isoformat()


def _sources(site: Any) -> dict[str, Path]:
    from .themes import theme_dirs

    sources = {"the content folder": site.content_dir}
    for index, folder in enumerate(theme_dirs(site)):
        sources[f"the theme folder {index + 1}"] = folder
    return sources


def default_cache_dir(root: Path) -> Path:
    return Path(root).resolve() / CACHE_DIR
