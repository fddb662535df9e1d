"""Full-text search from static files: a Pagefind index of the built pages.

Pagefind reads the finished HTML, so it runs on the staging folder after every page is written and
before the staging folder is swapped in (build.py calls `index_search`). It indexes only the parts of
pages marked `data-pagefind-body` (journeys, stages, touchpoints, personas: the map's table
alternative, pain points and opportunities included), skips `data-pagefind-ignore`, and reads a
`type` filter and meta from each page. The index is split into chunks that the browser fetches on
demand, so a 10,000-touchpoint site stays fast.

Pagefind 1.x writes everything deterministically except its filter chunks, whose values come out in
hash-map order; `_canonical_filters` rewrites them sorted, under content-derived names, and updates
the metadata that names them, so two builds of the same pages are byte-identical (tested).

Big sites get a sharded index (see "shards" below): one Pagefind bundle per group of pages, merged in
the browser, so an edit re-indexes one group and no Pagefind process holds the whole site in memory.

Pagefind's browser code loads WebAssembly and ES modules, which browsers refuse from file://; the
search page says so plainly there, and everything else works.
"""
from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import importlib.util
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .output import copy_new, link_new, remove_trees

BUNDLE_DIR = "pagefind"
# Pagefind writes ready-made UIs we do not use; the theme has its own, so leave them out.
# Page furniture that would only clutter excerpts: heading permalinks, step numbers, eyebrows, stat tiles.
EXCLUDE = ".header-anchor, .jm-step-no, .jm-eyebrow, .jm-stats, .jm-map-toolbar"
UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
          "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")


class SearchIndexError(RuntimeError):
    """Pagefind could not be run or failed; the message carries its output."""


@functools.cache
def pagefind_command() -> list[str]:
    """Pagefind's binary, found as `python -m pagefind` finds it (PAGEFIND_BINARY_PATH, then the
    pagefind_bin_extended and pagefind_bin packages): run directly, it starts 0.1 s sooner than through
    the Python wrapper, which counts once per search shard. The wrapper is the fallback."""
    configured = os.environ.get("PAGEFIND_BINARY_PATH")
    if configured:
        return [configured]
    for package in ("pagefind_bin_extended", "pagefind_bin"):
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        for folder in spec.submodule_search_locations:
            for name in ("pagefind_extended", "pagefind", "pagefind_extended.exe", "pagefind.exe"):
                binary = Path(folder) / name
                if binary.is_file() and os.access(binary, os.X_OK):
                    return [str(binary)]
    return [sys.executable, "-m", "pagefind"]


def index_search(staging_dir: Path) -> None:
    """Write the search index for the site in `staging_dir` into `staging_dir/pagefind/` (one bundle,
    from the whole pages: for sites whose templates mark no search body)."""
    staging_dir = Path(staging_dir)
    _pagefind(staging_dir, staging_dir / BUNDLE_DIR)


def index_documents(docs_dir: Path, bundle: Path) -> None:
    """Write the search index of the search documents in `docs_dir` (see `search_document`, same
    relative paths as the pages) into `bundle`: the same index as `index_search` of the full pages."""
    _pagefind(Path(docs_dir), Path(bundle))


def _pagefind(site_dir: Path, bundle: Path) -> None:
    if bundle.exists():
        shutil.rmtree(bundle)
    command = pagefind_command() + ["--site", str(site_dir), "--output-path", str(bundle),
                                      "--exclude-selectors", EXCLUDE, "--silent"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SearchIndexError(f"could not run Pagefind ({' '.join(command[:3])}): {exc}") from exc
    if result.returncode != 0 or not (bundle / "pagefind.js").is_file():
        output = (result.stderr or result.stdout or "").strip()
        raise SearchIndexError(f"Pagefind failed with exit code {result.returncode}: {output[-2000:]}\n"
                               "is the 'pagefind[bin]' package installed?")
    for name in UNUSED:
        (bundle / name).unlink(missing_ok=True)
    try:
        _canonical_filters(bundle)
    except (SearchIndexError, ValueError, KeyError, IndexError, OSError):
        pass  # a Pagefind format we do not know: keep its (working, possibly unordered) output
    _write_shard_list(bundle, [])  # site.js always reads the list: a bundle on its own merges nothing


# --- shards ---------------------------------------------------------------------------------------
# Pagefind has no incremental mode, and its time and memory grow with the pages it indexes (840 MB for
# 5,600 pages). So a big site's index is sharded: the pages of no journey (home, personas, ...) form one
# shard and the journeys' pages K more, by a hash of the journey id, so an edit changes one shard and
# membership moves only when K does. K follows the journeys' page count, known before they render, so
# a build indexes a shard as soon as its journeys are written (`ShardIndexer`). Each shard is its own Pagefind bundle: the first (the non-journey
# shard, or the first journey shard when it is empty) in pagefind/, the bundle pages import; the others
# in pagefind/shards/<name>/, listed in pagefind/shards.json, which site.js reads to `mergeIndex` them.
# Small sites (K = 1) keep a single bundle of every page and an empty list.

SHARD_PAGES = 450  # journey pages per shard, roughly (internal: the tests lower it to get several shards)
SHARD_DIR = "shards"
SHARD_LIST = "shards.json"
SITE_SHARD = "site"
SEARCH_JOBS = 2  # Pagefind processes at once; one takes about 90 MB for a shard of 500 documents
_SECONDARY_UNUSED = ("pagefind.js", "pagefind-worker.js", SHARD_LIST)  # and wasm.*: only the primary's are loaded


@dataclass(frozen=True)
class Shard:
    name: str  # "site" or "j<number>"
    folder: str  # its bundle, relative to the site: BUNDLE_DIR for the primary
    docs: tuple[str, ...]  # its search documents: the pages' paths, relative to the site
    key: str  # changes exactly when its bundle would: folder and documents with their hashes
    hashes: tuple[str, ...] = ()  # the documents' content hashes, as in `docs`: their names in the store


def shard_count(pages: int) -> int:
    """K, the number of journey shards for a site whose journeys have `pages` pages (known before any
    is rendered, so a build can index a shard while other journeys still render)."""
    return max(1, math.ceil(pages / SHARD_PAGES))


def journey_pages(journeys: Iterable[Any]) -> int:
    """The pages of these journeys (each has a page, a page per stage and one per touchpoint): what K follows."""
    return sum(1 + len(journey.stages) + len(journey.touchpoints) for journey in journeys)


def journey_shard(journey_id: str, count: int) -> str:
    number = int.from_bytes(hashlib.blake2b(journey_id.encode("utf-8"), digest_size=8).digest(), "big") % count
    return f"j{number:03d}"


def secondary_folder(name: str) -> str:
    return f"{BUNDLE_DIR}/{SHARD_DIR}/{name}"


def make_shard(name: str, folder: str, docs: Mapping[str, str]) -> Shard:
    """The shard `name`, with its bundle in `folder`, of the search documents `docs` (path -> hash)."""
    rels = tuple(sorted(docs))
    record = json.dumps([folder, [[rel, docs[rel]] for rel in rels]], separators=(",", ":"))
    return Shard(name, folder, rels, hashlib.blake2b(record.encode("utf-8"), digest_size=16).hexdigest(),
                 tuple(docs[rel] for rel in rels))


def plan_shards(docs: Mapping[str, str], journeys: Mapping[str, Iterable[str]], count: int) -> list[Shard]:
    """The non-empty shards of the search documents `docs` (path -> hash), the primary first.
    `journeys`: journey id -> its output paths, spread over `count` shards (see `shard_count`); every
    other document goes to the "site" shard."""
    owner: dict[str, str] = {}
    if count > 1:
        for journey_id, files in journeys.items():
            name = journey_shard(journey_id, count)
            owner.update((rel, name) for rel in files)
    groups: dict[str, dict[str, str]] = {}
    for rel in sorted(docs):
        groups.setdefault(owner.get(rel, SITE_SHARD), {})[rel] = docs[rel]
    names = sorted(groups, key=lambda name: (name != SITE_SHARD, name))
    return [make_shard(name, BUNDLE_DIR if index == 0 else secondary_folder(name), groups[name])
            for index, name in enumerate(names)]


def bundle_of(rel: str) -> str | None:
    """The shard folder a site file belongs to (None for files outside pagefind/ and for the list)."""
    parts = rel.split("/")
    if parts[0] != BUNDLE_DIR or len(parts) < 2 or rel == f"{BUNDLE_DIR}/{SHARD_LIST}":
        return None
    if parts[1] == SHARD_DIR and len(parts) > 3:
        return "/".join(parts[:3])
    return BUNDLE_DIR


def index_shards(shards: Sequence[Shard], docs_dir: Path, site: Path, jobs: int = SEARCH_JOBS,
                 current: Path | None = None) -> None:
    """Index each shard's documents (from the store `docs_dir`) into site/<shard.folder>, `jobs` Pagefind
    processes at a time, biggest first (no long run left alone at the end). `current`: the site whose
    bundles the new ones replace (see ShardIndexer)."""
    indexer = ShardIndexer(docs_dir, site, jobs, current)
    try:
        for shard in sorted(shards, key=lambda shard: -len(shard.docs)):
            indexer.submit(shard)
    finally:
        indexer.finish()


class ShardIndexer:
    """Pagefind runs on shards as they are submitted, `jobs` at a time, in threads that wait for the
    processes: a build submits a shard as soon as its documents are written, while pages still render.
    Each run reads a folder of hard links to just its shard's documents, at their pages' paths (Pagefind
    takes a result's URL from its file's path). `finish` waits for every run and raises the first failure.
    `current`: the site the new bundles replace; a shard whose bundle is there is written by Pagefind
    into memory (`memory_folder`), then put in place file by file (`_place_tree`)."""

    def __init__(self, docs_dir: Path, site: Path, jobs: int = SEARCH_JOBS, current: Path | None = None):
        self.docs_dir, self.site, self.current = Path(docs_dir), Path(site), current
        self.pool = ThreadPoolExecutor(max_workers=max(1, min(jobs, os.cpu_count() or 1)))
        self.work: Path | None = None
        self.submitted: dict[str, tuple[Shard, Future]] = {}

    def submit(self, shard: Shard, busy: bool = False) -> None:
        """Index `shard`. `busy`: this process is rendering meanwhile, so its documents are linked by a
        child process (a thread making a thousand links beside a rendering thread waits for the GIL after
        each one, up to 5 ms: Python's switch interval), which costs a Python start (70 ms of CPU)."""
        if self.work is None:
            self.work = Path(tempfile.mkdtemp(prefix=".journeymap-shards-", dir=self.docs_dir.parent))
        self.submitted[shard.name] = (shard, self.pool.submit(self._index, shard, self.work, busy))

    def has(self, shard: Shard) -> bool:
        """Whether exactly this shard (name, folder, documents) was submitted."""
        return shard.name in self.submitted and self.submitted[shard.name][0] == shard

    def finish(self, cancel: bool = False) -> None:
        try:
            self.pool.shutdown(wait=True, cancel_futures=cancel)
            if not cancel:
                for _, future in self.submitted.values():
                    future.result()  # raises the first failure
        finally:
            if self.work is not None:
                remove_trees([self.work], "process")  # a folder per page: 0.5 s of rmdir at 5,000 touchpoints
                self.work = None

    def _index(self, shard: Shard, work: Path, busy: bool) -> None:
        source = work / shard.name
        if busy:
            _link_documents(shard, self.docs_dir, source)
        else:
            for rel, content_hash in zip(shard.docs, shard.hashes):
                link_new(source, rel, f"{self.docs_dir}/{stored_name(content_hash)}")
        previous = self.current / shard.folder if self.current is not None else None
        ram = memory_folder() if previous is not None and previous.is_dir() else None
        if ram is not None:
            out = Path(tempfile.mkdtemp(prefix=f"{MEMORY_PREFIX}{shard.name}-", dir=ram))
        else:  # beside its target: renames
            out = Path(tempfile.mkdtemp(prefix=f".pagefind-{shard.name}-", dir=self.site))
        try:
            index_documents(source, out / "bundle")
            if shard.folder != BUNDLE_DIR:
                _strip_secondary(out / "bundle")
            if ram is not None and previous is not None:
                _place_tree(out / "bundle", self.site / shard.folder, previous)
            else:
                _move_tree(out / "bundle", self.site / shard.folder)
        finally:
            shutil.rmtree(out, ignore_errors=True)


# ShardIndexer.submit(busy=True): the links made in a child process.
_LINKER = """
import json, os, shutil, sys
store, root, made = sys.argv[1], sys.argv[2], set()
for rel, name in json.load(sys.stdin):
    path = os.path.join(root, rel)
    folder = os.path.dirname(path)
    if folder not in made:
        os.makedirs(folder, exist_ok=True)
        made.add(folder)
    try:
        os.link(os.path.join(store, name), path)
    except OSError:
        shutil.copyfile(os.path.join(store, name), path)
"""


def _link_documents(shard: Shard, store: Path, folder: Path) -> None:
    """folder/<page path> for each of the shard's documents: a hard link to it in the store."""
    pairs = json.dumps([[rel, stored_name(content_hash)] for rel, content_hash in zip(shard.docs, shard.hashes)])
    result = subprocess.run([sys.executable, "-I", "-S", "-c", _LINKER, str(store), str(folder)], input=pairs,
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SearchIndexError(f"could not link the search documents of shard {shard.name}: {result.stderr[-2000:]}")


# --- the store of search documents ----------------------------------------------------------------------
# One file per distinct document, named by its content hash: a build writes the documents of the pages it
# rendered and reuses every other one where it is, without copying or linking anything; `prune_store`
# removes the documents no page has any more.


def stored_name(content_hash: str) -> str:
    return content_hash + ".html"


def store_document(store: Path | str, content_hash: str, data: bytes) -> None:
    """Put a document in the store, unless it is there already (the same name means the same bytes).
    Written under a temporary name, then renamed: a build stopped halfway leaves no partial document."""
    path = f"{store}/{stored_name(content_hash)}"
    if os.path.exists(path):
        return
    os.makedirs(store, exist_ok=True)
    temp = f"{path}.{os.getpid()}.tmp"
    with open(temp, "wb") as out:
        out.write(data)
    os.replace(temp, path)


def prune_store(store: Path, keep: Iterable[str]) -> None:
    """Remove whatever in the store is not a document of `keep` (content hashes): old documents, and the
    leftovers of a stopped build."""
    wanted = {stored_name(content_hash) for content_hash in keep}
    try:
        entries = list(os.scandir(store))
    except OSError:
        return
    for entry in entries:
        if entry.name not in wanted:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def write_shard_list(site: Path, shards: Sequence[Shard]) -> None:
    """site/pagefind/shards.json: the bundles site.js merges into the primary one."""
    _write_shard_list(Path(site) / BUNDLE_DIR, [shard.folder for shard in shards[1:]])


def _write_shard_list(bundle: Path, folders: list[str]) -> None:
    # Paths relative to the primary bundle, so the site works under any sub-path.
    shards = [folder[len(BUNDLE_DIR) + 1:] + "/" for folder in folders]
    path = bundle / SHARD_LIST
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # never write through a hard link to the current site's file
    path.write_text(json.dumps({"shards": shards}, separators=(",", ":")) + "\n", encoding="utf-8")


def _strip_secondary(bundle: Path) -> None:
    """A merged bundle is read for its entry, metadata and chunks only (`mergeIndex` uses the primary's
    code and WebAssembly)."""
    for name in _SECONDARY_UNUSED:
        (bundle / name).unlink(missing_ok=True)
    for path in bundle.glob("wasm.*.pagefind"):
        path.unlink()


MEMORY_FOLDER = "/dev/shm"
MEMORY_NEEDED = 512 << 20  # free bytes: a shard's bundle is 3-7 MB, but a container's /dev/shm can be 64 MB
MEMORY_PREFIX = ".journeymap-pagefind-"  # Pagefind's output folders there
LEFTOVER_AGE = 3600  # seconds: far beyond any Pagefind run (timed out after 600 s)


@functools.cache
def memory_folder() -> str | None:
    """A folder in memory (tmpfs) for Pagefind's output when it re-indexes a shard, or None. Pagefind
    writes a file per page: over a shard of 500 pages it took 0.61 s writing to this project's test
    disk and 0.49 s writing to memory, though only a few of its files differ from the shard's bundle in
    the site: those are copied, the others linked from it (`_place_tree`)."""
    try:
        stats = os.statvfs(MEMORY_FOLDER)
    except (OSError, AttributeError):  # no such folder; no statvfs (Windows)
        return None
    if stats.f_bavail * stats.f_frsize < MEMORY_NEEDED or not os.access(MEMORY_FOLDER, os.W_OK | os.X_OK):
        return None
    sweep_leftovers(MEMORY_FOLDER)
    return MEMORY_FOLDER


def sweep_leftovers(folder: str) -> None:
    """Remove the output folders that a build killed during a Pagefind run left in memory, where they
    would stay until the machine restarts (those of runs still going are recent: left alone)."""
    too_old = time.time() - LEFTOVER_AGE
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            with contextlib.suppress(OSError):
                if entry.name.startswith(MEMORY_PREFIX) and entry.stat(follow_symlinks=False).st_mtime < too_old:
                    shutil.rmtree(entry.path, ignore_errors=True)


def _place_tree(source: Path, dest: Path, previous: Path) -> None:
    """Put the bundle `source` (in another file system) at `dest`: each file that `previous` (the same
    shard's bundle in the current site) has with the same bytes as a hard link to it, any other as a copy."""
    base = str(source)
    for folder, _, names in os.walk(base):
        for name in names:
            rel = os.path.join(folder, name)[len(base) + 1:]
            new, old = os.path.join(folder, name), os.path.join(previous, rel)
            if _same_bytes(new, old):
                link_new(dest, rel, old)
            else:
                copy_new(dest, rel, new)


def _same_bytes(path: str, other: str) -> bool:
    try:
        if os.path.getsize(path) != os.path.getsize(other):
            return False
        with open(path, "rb") as first, open(other, "rb") as second:
            return first.read() == second.read()
    except OSError:
        return False


def _move_tree(source: Path, dest: Path) -> None:
    if not source.is_dir():
        return  # nothing was written (Pagefind stubbed out in tests)
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, dest)  # one rename, not one per file (a shard has a fragment per page)
        return
    for path in sorted(source.rglob("*")):
        if path.is_file():
            target = dest / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)


# --- search documents -------------------------------------------------------------------------------
# Pagefind parses every page in full, maps included, to index the few parts marked data-pagefind-body:
# at 5,000 touchpoints that is 200 MB of HTML. A page's search document is the part Pagefind reads
# (the <html> tag with its lang, the <title>, the hidden search meta and the data-pagefind-body element,
# without inline SVG, whose text Pagefind does not index), about a fifth of the bytes, and gives the
# same index (tests/test_parallel.py compares them). Pages that do not have exactly one body element,
# or that carry data-pagefind-* attributes elsewhere, are indexed whole.

_BODY = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)\b[^>]*\sdata-pagefind-body[\s>=]")
_HTML_TAG = re.compile(r"<html\b[^>]*>")
_TITLE = re.compile(r"<title>.*?</title>", re.S)
_META = re.compile(r"<div hidden data-search-meta>.*?</div>", re.S)
_SVG = re.compile(r"<svg\b.*?</svg>", re.S)
_ATTR = re.compile(r"data-pagefind-(?!ignore\b|body\b)")  # filters, meta, sort...: read outside the body too


def search_document(html: str) -> str | None:
    """The search document of a page (see above): None for a page Pagefind skips (no body element),
    the whole page when it cannot be reduced safely. (str.find first, regular expressions only where
    the text is: pages with maps are half a megabyte.)"""
    at = html.find("data-pagefind-body")
    if at < 0:
        return None
    opening = html.rfind("<", 0, at)
    found = _BODY.match(html, opening) if opening >= 0 else None
    if found is None or html.find("data-pagefind-body", found.end()) >= 0:
        return html  # not an attribute we understand, or a second body element: Pagefind reads the page whole
    tag = found.group(1)
    end = None
    depth = 0
    for match in re.compile(rf"<(/?){tag}\b").finditer(html, found.start()):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            close = html.find(">", match.end())
            end = close + 1 if close >= 0 else None
            break
    head, title, meta = _HTML_TAG.search(html), _TITLE.search(html), _META.search(html)
    if end is None or head is None:
        return html
    region = html[found.start():end]
    body = _without_svg(region)
    parts = [head.group(0), "<head>", title.group(0) if title else "", "</head><body>",
             meta.group(0) if meta else "", body, "</body></html>"]
    kept = head.group(0) + (title.group(0) if title else "") + (meta.group(0) if meta else "") + region
    if html.count("data-pagefind-") != kept.count("data-pagefind-"):
        count = lambda text: len(_ATTR.findall(text))  # noqa: E731
        if count(html) != count(kept):
            return html  # data-pagefind-* attributes outside what we keep: keep the page whole
    if body.count("data-pagefind-") != region.count("data-pagefind-"):
        return html  # ... or inside an <svg>
    return "<!doctype html>\n" + "".join(parts) + "\n"


def _without_svg(text: str) -> str:
    """text with every `<svg ...>...</svg>` removed (what re.sub(r"<svg\\b.*?</svg>", "", text, flags=re.S) does)."""
    pieces = []
    position = 0
    while True:
        start = text.find("<svg", position)
        while start >= 0 and start + 4 < len(text) and (text[start + 4].isalnum() or text[start + 4] == "_"):
            start = text.find("<svg", start + 4)  # <svgfoo is another tag (\\b)
        if start < 0:
            break
        stop = text.find("</svg>", start + 4)
        if stop < 0:
            break
        pieces.append(text[position:start])
        position = stop + len("</svg>")
    pieces.append(text[position:])
    return "".join(pieces)


# --- deterministic filter chunks ------------------------------------------------------------------

MAGIC = b"pagefind_dcd"


def _canonical_filters(bundle: Path) -> None:
    """Sort the values inside every filter chunk, rename chunks and metadata after their content."""
    entry_path = bundle / "pagefind-entry.json"
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    for language, info in sorted(entry.get("languages", {}).items()):
        meta_path = bundle / f"pagefind.{info['hash']}.pf_meta"
        meta_raw = _read_chunk(meta_path)
        if _cbor_dump(_cbor_load(meta_raw)) != meta_raw:
            raise SearchIndexError("Pagefind metadata does not round-trip")
        renames: dict[str, str] = {}
        for old in sorted(_filter_hashes(meta_raw)):
            chunk = bundle / "filter" / f"{old}.pf_filter"
            if not chunk.is_file():
                continue
            data = _read_chunk(chunk)
            if _cbor_dump(_cbor_load(data)) != data:
                raise SearchIndexError("Pagefind filter chunk does not round-trip")
            value = _sort_filter(_cbor_load(data))
            new_data = _cbor_dump(value)
            new = f"{language}_{hashlib.sha256(new_data).hexdigest()[:7]}"
            chunk.unlink()
            _write_chunk(bundle / "filter" / f"{new}.pf_filter", new_data)
            renames[old] = new
        if not renames:
            continue
        meta = _rename_strings(_cbor_load(meta_raw), renames)
        meta_data = _cbor_dump(meta)
        meta_hash = f"{language}_{hashlib.sha256(meta_data).hexdigest()[:10]}"
        meta_path.unlink()
        _write_chunk(bundle / f"pagefind.{meta_hash}.pf_meta", meta_data)
        info["hash"] = meta_hash
    entry_path.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def _read_chunk(path: Path) -> bytes:
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(MAGIC):
        raise SearchIndexError(f"unexpected Pagefind chunk format in {path.name}")
    return data[len(MAGIC):]


def _write_chunk(path: Path, data: bytes) -> None:
    path.write_bytes(gzip.compress(MAGIC + data, compresslevel=9, mtime=0))


def _filter_hashes(meta_raw: bytes) -> set[str]:
    """Every string in the metadata that names a filter chunk (language_hash)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            if len(node) == 2 and all(isinstance(x, str) for x in node) and "_" in node[1]:
                found.add(node[1])
            for child in node:
                walk(child)

    walk(_cbor_load(meta_raw))
    return found


def _sort_filter(value: Any) -> Any:
    """A filter chunk is [name, [[value, [page ids...]], ...]]: order the values by their text."""
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], list):
        return [value[0], sorted(value[1], key=lambda item: str(item[0]) if isinstance(item, list) and item else "")]
    return value


def _rename_strings(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, list):
        return [_rename_strings(child, renames) for child in node]
    if isinstance(node, str):
        return renames.get(node, node)
    return node


# A minimal CBOR codec: the subset Pagefind writes (unsigned ints, byte and text strings, arrays, maps).

def _cbor_load(data: bytes) -> Any:
    value, end = _cbor_item(data, 0)
    if end != len(data):
        raise SearchIndexError("unexpected trailing data in a Pagefind chunk")
    return value


def _cbor_item(data: bytes, pos: int) -> tuple[Any, int]:
    head = data[pos]
    major, info = head >> 5, head & 0x1F
    pos += 1
    if info < 24:
        arg = info
    elif info in (24, 25, 26, 27):
        size = 1 << (info - 24)
        arg = int.from_bytes(data[pos:pos + size], "big")
        pos += size
    else:
        raise SearchIndexError("unsupported CBOR item in a Pagefind chunk")
    if major == 0:
        return arg, pos
    if major == 2:
        return _Bytes(data[pos:pos + arg]), pos + arg
    if major == 3:
        return data[pos:pos + arg].decode("utf-8"), pos + arg
    if major == 4:
        items = []
        for _ in range(arg):
            item, pos = _cbor_item(data, pos)
            items.append(item)
        return items, pos
    if major == 5:
        pairs = []
        for _ in range(arg):
            key, pos = _cbor_item(data, pos)
            value, pos = _cbor_item(data, pos)
            pairs.append((key, value))
        return _Map(pairs), pos
    raise SearchIndexError("unsupported CBOR type in a Pagefind chunk")


class _Bytes(bytes):
    pass


class _Map(list):
    pass


def _cbor_head(major: int, arg: int) -> bytes:
    if arg < 24:
        return bytes([major << 5 | arg])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if arg < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | info]) + struct.pack(fmt, arg)
    raise SearchIndexError("CBOR integer too large")


def _cbor_dump(value: Any) -> bytes:
    if isinstance(value, bool) or value is None:
        raise SearchIndexError("unsupported value in a Pagefind chunk")
    if isinstance(value, int):
        return _cbor_head(0, value)
    if isinstance(value, _Bytes):
        return _cbor_head(2, len(value)) + bytes(value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _cbor_head(3, len(raw)) + raw
    if isinstance(value, _Map):
        return _cbor_head(5, len(value)) + b"".join(_cbor_dump(k) + _cbor_dump(v) for k, v in value)
    if isinstance(value, list):
        return _cbor_head(4, len(value)) + b"".join(_cbor_dump(item) for item in value)
    raise SearchIndexError("unsupported value in a Pagefind chunk")
