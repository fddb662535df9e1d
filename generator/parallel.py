"""Render journeys on every core: each journey is a unit of work (see site.py), done in a worker process.

Workers are forked from the build process after it has loaded and validated the site and set up the
renderer, so they start with everything in memory (no re-loading, no pickling of the model) and only a
journey id goes to them. Each worker writes its journey's files straight into the staging folder (and
their search documents into the search folder) and sends back only their hashes and the link targets
the journey looked up. The parent renders the shared pages meanwhile.

Fork is the default because it is the cheapest start (measured in docs/performance.md: spawn pays
for importing journeymap, loading the site and compiling the templates again in every worker); where
fork is unavailable, or the build runs in a process with other threads (`journeymap serve`), the
workers are spawned and load the site themselves (`_spawned_init`).

Output does not depend on the number of workers: each file is the product of one unit alone, and
tests/test_parallel.py compares parallel, in-process and incremental builds byte for byte.
"""
from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import sys
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol

from .build import compare_owner
from .cache import digest

# Below this many touchpoints to render, one process does it all: starting workers costs more.
PARALLEL_THRESHOLD = 400


@dataclass
class UnitOutput:
    """What rendering one unit produced: output path -> hash, search document path -> hash."""

    files: dict[str, str] = field(default_factory=dict)
    docs: dict[str, str] = field(default_factory=dict)
    links: list[str] = field(default_factory=list)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


class Kept(Protocol):
    """Output path -> (hash, search document hash) of site_dir's file, for those that may be kept."""

    def get(self, rel: str) -> tuple[str, str | None] | None: ...


def write_unit(pages: dict[str, bytes], staging: Path, docs_dir: Path | None, kept: Kept | None = None) -> UnitOutput:
    """Write a unit's files into staging and their search documents into the store docs_dir. A page
    whose bytes equal the file `kept` lists (site_dir's, updated in place) is not written: it stays as it
    is, and so does its search document, already in the store (an edit re-renders a journey's 57 pages and
    changes a few of them)."""
    from .output import write_new
    from .search import search_document, store_document

    out = UnitOutput()
    for rel, data in sorted(pages.items()):
        content_hash = digest(data)
        known = kept.get(rel) if kept is not None else None
        if known is not None and known[0] == content_hash:
            out.files[rel] = content_hash
            if known[1] is not None:
                out.docs[rel] = known[1]
            continue
        write_new(staging, rel, data)
        out.files[rel] = content_hash
        if docs_dir is not None and rel.endswith(".html"):
            document = search_document(data.decode("utf-8"))
            if document is not None:
                encoded = document.encode("utf-8")
                out.docs[rel] = digest(encoded)
                store_document(docs_dir, out.docs[rel], encoded)
    return out


def render_journey(renderer: Any, task: str, staging: Path, docs_dir: Path | None, kept: Kept | None = None) -> UnitOutput:
    """Render and write one task: a journey (by id) or a comparison page (see build.compare_owner)."""
    owner = compare_owner(task)
    pages = renderer.compare_unit(owner) if owner is not None else renderer.journey_unit(renderer.site.journeys[task])
    out = write_unit(pages, staging, docs_dir, kept)
    out.links = sorted(renderer.content_pages.looked_up or ())
    _GC["units"] += 1
    if _GC["paused"] and _GC["units"] % GC_EVERY == 0:
        gc.collect()
    return out


# --- garbage collection ------------------------------------------------------------------------------
# The loaded site is a few hundred thousand long-lived objects; Python's collector walks them all again
# and again while pages are rendered (15% of the render time at 5,000 touchpoints). While rendering,
# they are frozen (gc.freeze: also keeps forked workers from copying the memory pages the collector
# would touch), automatic collection is off, and the cycles rendering leaves behind are collected every
# few journeys instead.

GC_EVERY = 4
_GC: dict[str, Any] = {"paused": False, "units": 0}


@contextmanager
def quiet_gc() -> Iterator[None]:
    if _GC["paused"]:
        yield
        return
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    _GC["paused"] = True
    try:
        yield
    finally:
        _GC["paused"] = False
        gc.unfreeze()
        if enabled:
            gc.enable()


# --- worker processes ---------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _forked_init() -> None:
    """Nothing to load: the renderer came with the fork (and the frozen, paused collector)."""
    gc.disable()
    _GC["paused"] = True


def _spawned_init(site_pickle: bytes, include_drafts: bool, staging: str, docs_dir: str | None) -> None:
    """A spawned worker gets the parent's validated site, pickled (the files may have changed since)."""
    import pickle

    from .site import SiteRenderer

    site = pickle.loads(site_pickle)
    _WORKER.update(renderer=SiteRenderer(site, include_drafts), staging=Path(staging),
                   docs_dir=Path(docs_dir) if docs_dir else None)
    gc.freeze()
    gc.disable()
    _GC["paused"] = True


def subset_map_fonts(font: Path | None) -> None:
    """Subset the map font (None: the bundled one) to what standalone maps in plain English embed."""
    try:
        from . import maps
        from . import textmeasure as tm

        files = tm.font_files(font)
        chars = "".join(sorted(maps.BASE_CHARS))
        for weight in ("regular", "bold"):
            tm.subset_font_data_uri(files[weight], chars)
    except Exception:  # noqa: BLE001 - a font problem is reported by the map that needs it
        pass


class FontsAhead:
    """Subsetting the map font takes a second of one core (fontTools), and a build without cached subsets
    would do it after loading the site, while the other core waits. So such a build starts it in another
    process first, which writes the subsets into textmeasure.SUBSET_CACHE_DIR while this process loads
    and validates the site; `wait()` before rendering, which then reads them from there."""

    def __init__(self, font: Path | None):
        from . import textmeasure as tm

        self.process: Any = None
        folder = tm.SUBSET_CACHE_DIR
        if folder is None or (folder.is_dir() and any(folder.glob("subset-*.woff2"))):
            return  # nowhere to hand them over, or subsets made before (possibly of another font: made when used)
        import subprocess

        code = ("import sys; from pathlib import Path; from journeymap import textmeasure as tm; "
                "from journeymap.parallel import subset_map_fonts; tm.SUBSET_CACHE_DIR = Path(sys.argv[1]); "
                "subset_map_fonts(Path(sys.argv[2]) if sys.argv[2] else None)")
        try:
            self.process = subprocess.Popen([sys.executable, "-c", code, str(folder), str(font or "")],
                                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL)
        except OSError:
            self.process = None  # made when first needed, as without this

    def wait(self) -> None:
        if self.process is not None:
            self.process.wait()
            self.process = None


def _warm(renderer: Any) -> None:
    """Compile every template and subset the map font once, before forking, instead of in every worker."""
    from .layout import map_font

    subset_map_fonts(map_font(renderer.site))
    env = renderer.env
    for name in env.list_templates():
        if name.endswith((".html", ".xml")):
            try:
                env.get_template(name)
            except Exception:  # noqa: BLE001 - a broken override is reported when a page uses it
                pass


def _task(journey_id: str) -> tuple[str, UnitOutput | list[Any]]:
    from .diagnostics import DiagnosticError

    try:
        return journey_id, render_journey(_WORKER["renderer"], journey_id, _WORKER["staging"], _WORKER["docs_dir"],
                                          _WORKER.get("kept"))  # spawned workers write every page
    except DiagnosticError as exc:  # it does not pickle: send its diagnostics
        return journey_id, list(exc.diagnostics)


def _deliver(on_result: Callable[[str, UnitOutput], None], future: Future) -> None:
    """Hand a finished journey's output to `on_result` (in the pool's result thread); failures are
    raised by the main loop, which reads every future."""
    if future.cancelled() or future.exception() is not None:
        return
    journey_id, output = future.result()
    if isinstance(output, UnitOutput):
        try:
            on_result(journey_id, output)
        except Exception:  # noqa: BLE001 - only a head start is lost: the build does that work later
            pass


def start_method(requested: str | None = None) -> str:
    """fork when possible and safe (no other threads in this process), else spawn."""
    if requested:
        return requested
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1 and sys.platform != "darwin":
        return "fork"
    return "spawn"


def render_journeys(renderer: Any, journey_ids: list[str], staging: Path, docs_dir: Path | None, *, jobs: int,
                    root: Path, include_drafts: bool, side_work: Callable[[], None] | None = None,
                    on_done: Callable[[str], None] | None = None, method: str | None = None,
                    on_result: Callable[[str, UnitOutput], None] | None = None,
                    group: Callable[[str], Any] | None = None, kept: Kept | None = None) -> dict[str, UnitOutput]:
    """Render the journeys `journey_ids` (and comparison pages: see render_journey) (with `jobs` processes; 1 = in this process) and run
    `side_work` (the shared pages) in this process meanwhile. Returns journey id -> UnitOutput.
    `on_result(journey_id, output)` is called as soon as a journey is written, even while `side_work`
    runs: from another thread when there are workers. Workers take the journeys biggest first, within
    their `group(journey_id)` in order (a search shard: so that shards are complete early)."""
    with quiet_gc():
        return _render_journeys(renderer, journey_ids, staging, docs_dir, jobs=jobs, include_drafts=include_drafts,
                                side_work=side_work, on_done=on_done, method=method, on_result=on_result,
                                group=group, kept=kept)


def _render_journeys(renderer: Any, journey_ids: list[str], staging: Path, docs_dir: Path | None, *, jobs: int,
                     include_drafts: bool, side_work: Callable[[], None] | None, on_done: Callable[[str], None] | None,
                     method: str | None, on_result: Callable[[str, UnitOutput], None] | None,
                     group: Callable[[str], Any] | None = None, kept: Kept | None = None) -> dict[str, UnitOutput]:
    results: dict[str, UnitOutput] = {}
    if jobs <= 1 or not journey_ids or (len(journey_ids) == 1 and side_work is None):
        if side_work is not None:
            side_work()
        for journey_id in journey_ids:
            results[journey_id] = render_journey(renderer, journey_id, staging, docs_dir, kept)
            if on_result:
                on_result(journey_id, results[journey_id])
            if on_done:
                on_done(journey_id)
        return results
    method = start_method(method)
    context = multiprocessing.get_context(method)
    if method == "fork":
        _warm(renderer)
        _WORKER.update(renderer=renderer, staging=staging, docs_dir=docs_dir, kept=kept)
        initializer, initargs = _forked_init, ()
    else:
        import pickle

        initializer = _spawned_init
        initargs = (pickle.dumps(renderer.site, protocol=pickle.HIGHEST_PROTOCOL), include_drafts, str(staging),
                    str(docs_dir) if docs_dir else None)
    # Biggest journeys first, so no worker is left with a long one at the end.
    size = {j.id: len(j.touchpoints) for j in renderer.journeys}
    order = sorted(journey_ids, key=lambda jid: (group(jid) if group else 0, -size.get(jid, 0), jid))
    from .diagnostics import DiagnosticError

    pool = ProcessPoolExecutor(max_workers=min(jobs, len(order)), mp_context=context, initializer=initializer,
                               initargs=initargs)
    try:
        pending: set[Future] = {pool.submit(_task, journey_id) for journey_id in order}
        if on_result is not None:
            for future in pending:
                future.add_done_callback(functools.partial(_deliver, on_result))
        if side_work is not None:
            side_work()
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                journey_id, output = future.result()
                if isinstance(output, list):
                    raise DiagnosticError(output)
                results[journey_id] = output
                if on_done:
                    on_done(journey_id)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        _WORKER.clear()
    return results
