"""The sharded search index (generator/search.py, "shards"): big sites get one Pagefind bundle per group
of journeys plus one for the other pages, merged in the browser.

The synthetic site here is small (8 journeys x 5 touchpoints, 88 journey pages); `SHARD_PAGES`, an
internal constant, is lowered so that it gets several shards, as a site of thousands of touchpoints
does with the default. A made-up word is written into touchpoints of journeys in different shards and
into a persona, so the browser test knows exactly which pages a search must find.
"""
from __future__ import annotations

import re
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from conftest import static_server
from helpers import REPO, tree_bytes
from journeymap import search
from journeymap.build import BuildState, build, index_later

sys.path.insert(0, str(REPO / "benchmarks"))
from synthetic import generate  # noqa: E402

WORD = "quokkazeta"
SMALL_SHARDS = 20  # journey pages per shard for this site: K = ceil(88 / 20) = 5 journey shards
MARKED = ("journey-0000", "journey-0003", "journey-0004", "journey-0006")  # touchpoints that carry WORD


@contextmanager
def shard_pages(count: int) -> Iterator[None]:
    before = search.SHARD_PAGES
    search.SHARD_PAGES = count
    try:
        yield
    finally:
        search.SHARD_PAGES = before


def make_project(root: Path) -> Path:
    generate(root, journeys=8, touchpoints=5)
    for journey in MARKED:
        path = sorted((root / "content" / "journeys" / journey / "touchpoints").iterdir())[1]
        path.write_text(path.read_text(encoding="utf-8") + f"\nThe {WORD} moment.\n", encoding="utf-8")
    persona = root / "content" / "personas" / "maya.md"
    persona.write_text(persona.read_text(encoding="utf-8") + f"\nShe likes {WORD}.\n", encoding="utf-8")
    return root


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


@pytest.fixture()
def pagefind_runs(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The folders Pagefind is run on (one per shard indexed)."""
    runs: list[Path] = []
    real = search.index_documents

    def counted(docs_dir: Path, bundle: Path) -> None:
        runs.append(Path(docs_dir))
        real(docs_dir, bundle)

    monkeypatch.setattr(search, "index_documents", counted)
    return runs


def shard_list(site: Path) -> list[str]:
    import json

    return json.loads((site / "pagefind" / "shards.json").read_text(encoding="utf-8"))["shards"]


def gone_soon(path: Path, seconds: float = 30) -> bool:
    """Whether path disappears within `seconds` (a background `rm -rf` removes it)."""
    import time

    deadline = time.monotonic() + seconds
    while path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def journey_shard_of(journey_id: str, site: object) -> str:
    """The shard of a journey of the built `site` (K follows the journeys' page count)."""
    return search.journey_shard(journey_id, search.shard_count(search.journey_pages(site.journeys.values())))  # type: ignore[attr-defined]


@pytest.mark.slow
def test_a_big_site_gets_several_shards_and_an_edit_reindexes_one(project: Path, tmp_path: Path,
                                                                  pagefind_runs: list[Path]) -> None:
    site, cache = tmp_path / "site", tmp_path / "cache"
    with shard_pages(SMALL_SHARDS):
        first = build(project, site, cache_dir=cache, jobs=1)
        shards = first.stats.shards
        assert len(shards) >= 4 and set(shards.values()) == {"indexed"} and "site" in shards
        assert len(pagefind_runs) == len(shards)
        listed = shard_list(site)
        assert listed == [f"shards/{name}/" for name in sorted(shards) if name != "site"]
        assert (site / "pagefind" / "pagefind.js").is_file()  # the primary bundle, where it always was
        for folder in listed:  # merged bundles: entry, metadata and chunks; the primary's code and wasm
            bundle = site / "pagefind" / folder
            assert (bundle / "pagefind-entry.json").is_file() and list((bundle / "fragment").iterdir())
            assert not (bundle / "pagefind.js").exists() and not list(bundle.glob("wasm.*"))

        # one touchpoint of journey-0005 (no comparison partner, no persona reads it): one shard again
        touchpoint = sorted((project / "content/journeys/journey-0005/touchpoints").iterdir())[2]
        touchpoint.write_text(touchpoint.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
        del pagefind_runs[:]
        second = build(project, site, cache_dir=cache, jobs=1)
        expected = journey_shard_of("journey-0005", first.site)
        assert second.stats.shards == {name: "indexed" if name == expected else "reused" for name in shards}
        assert second.stats.search == "indexed" and len(pagefind_runs) == 1
        assert gone_soon(pagefind_runs[0])  # the folder of links to the shard's documents (removed in the background)

        build(project, tmp_path / "clean")  # no cache: every shard indexed
        assert tree_bytes(site) == tree_bytes(tmp_path / "clean")

        del pagefind_runs[:]
        third = build(project, site, cache_dir=cache, jobs=1)  # nothing changed
        assert third.stats.skipped and pagefind_runs == []


@pytest.mark.slow
@pytest.mark.parametrize("jobs", [1, 2])
def test_an_incremental_build_indexes_a_shard_while_other_pages_still_render(
        project: Path, tmp_path: Path, jobs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """In an incremental build a shard goes to Pagefind as soon as its pages are written (in this
    process, or from the worker pool's result thread), and the site is still the one a clean build makes."""
    from journeymap import parallel

    events: list[str] = []
    real_submit, real_render = search.ShardIndexer.submit, parallel._render_journeys

    def submit(self: search.ShardIndexer, shard: search.Shard, busy: bool = False) -> None:
        events.append(f"submit {shard.name}" + (" busy" if busy else ""))
        real_submit(self, shard, busy)

    def render(*args: object, **kwargs: object) -> object:
        result = real_render(*args, **kwargs)
        events.append("rendered all")
        return result

    monkeypatch.setattr(search.ShardIndexer, "submit", submit)
    monkeypatch.setattr(parallel, "_render_journeys", render)
    site, cache = tmp_path / "site", tmp_path / "cache"
    with shard_pages(SMALL_SHARDS):
        build(project, site, cache_dir=cache, jobs=jobs)
        assert "rendered all" in events and not any(event.endswith("busy") for event in events)  # a full build
        del events[:]
        persona = project / "content" / "personas" / "maya.md"  # journeys in most shards name her
        persona.write_text(persona.read_text(encoding="utf-8").replace("Maya", "Maia"), encoding="utf-8")
        result = build(project, site, cache_dir=cache, jobs=jobs)
        indexed = sorted(name for name, how in result.stats.shards.items() if how == "indexed")
        assert len(indexed) >= 3 and "site" in indexed
        assert sorted(event.split()[1] for event in events if event.startswith("submit")) == indexed  # each once
        early = events[:events.index("rendered all")]
        assert all(event.endswith(" busy") for event in early)  # linked by a child process
        # each shard starts early; with workers, the last may miss: their result thread calls back after
        # the futures are done, and then the build submits it itself
        assert len(early) >= len(indexed) - (jobs > 1), events
        build(project, tmp_path / "clean")
        assert tree_bytes(site) == tree_bytes(tmp_path / "clean")


@pytest.mark.slow
def test_a_shard_that_fails_to_index_early_leaves_the_site_as_it_was(project: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Pagefind failing on a shard started early (in a thread, while pages render) fails the build with
    SearchIndexError, and site_dir keeps every byte of the last build; nothing is left beside it."""
    site, cache = tmp_path / "site", tmp_path / "cache"
    with shard_pages(SMALL_SHARDS):
        build(project, site, cache_dir=cache, jobs=1)
        before = tree_bytes(site)
        persona = project / "content" / "personas" / "maya.md"  # journeys in most shards name her
        persona.write_text(persona.read_text(encoding="utf-8").replace("Maya", "Maia"), encoding="utf-8")
        broken = tmp_path / "pagefind"
        broken.write_text("#!/bin/sh\necho 'no index today' >&2\nexit 3\n", encoding="utf-8")
        broken.chmod(0o755)
        monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(broken))
        search.pagefind_command.cache_clear()
        try:
            with pytest.raises(search.SearchIndexError, match="no index today"):
                build(project, site, cache_dir=cache, jobs=1)
        finally:
            search.pagefind_command.cache_clear()
        assert tree_bytes(site) == before
        assert sorted(path.name for path in tmp_path.iterdir()) == ["cache", "pagefind", "project", "site"]
        assert all(gone_soon(path) for path in cache.glob(".journeymap-shards-*"))  # removed in the background
        monkeypatch.delenv("PAGEFIND_BINARY_PATH")
        build(project, site, cache_dir=cache, jobs=1)  # Pagefind back: the next build catches up
        build(project, tmp_path / "clean")
        assert tree_bytes(site) == tree_bytes(tmp_path / "clean")


def inodes(folder: Path) -> dict[str, int]:
    return {path.relative_to(folder).as_posix(): path.stat().st_ino for path in folder.rglob("*") if path.is_file()}


@pytest.mark.slow
@pytest.mark.parametrize("in_memory", [True, False])
@pytest.mark.parametrize("how", ["build", "serve"])
def test_a_reindexed_shard_keeps_the_files_it_shares_with_the_bundle_it_replaces(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_memory: bool, how: str) -> None:
    """Re-indexing a shard, Pagefind writes into a folder in memory (when there is one) and only the
    files that differ from the shard's bundle in the site are copied into it; the others are that
    bundle's files, hard links, not new files. The site is the one a clean build makes either way."""
    memory = tmp_path / "memory"
    memory.mkdir()
    monkeypatch.setattr(search, "memory_folder", lambda: str(memory) if in_memory else None)
    bundles: list[Path] = []
    real = search.index_documents
    monkeypatch.setattr(search, "index_documents", lambda docs, bundle: (bundles.append(bundle), real(docs, bundle))[1])
    site, cache, state = tmp_path / "site", tmp_path / "cache", BuildState()
    try:
        with shard_pages(SMALL_SHARDS):
            first = build(project, site, cache_dir=cache, jobs=1) if how == "build" else \
                build(project, site, state=state, search="later")
            bundle = site / "pagefind" / "shards" / journey_shard_of("journey-0005", first.site)
            before = inodes(bundle)
            touchpoint = sorted((project / "content/journeys/journey-0005/touchpoints").iterdir())[2]
            touchpoint.write_text(touchpoint.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
            del bundles[:]
            if how == "build":
                build(project, site, cache_dir=cache, jobs=1)
            else:
                build(project, site, state=state, search="later")
                assert index_later(state, site, lambda: True)() is True
            after = inodes(bundle)
            kept = {rel for rel in after if before.get(rel) == after[rel]}
            fragments = [rel for rel in after if rel.startswith("fragment/")]
            assert len(bundles) == 1 and bundles[0].is_relative_to(memory) == in_memory
            if in_memory or how == "build":  # every fragment but the edited page's is the file it was
                # (on disk, Pagefind writes them all and the build moves only those that differ)
                assert len(kept & set(fragments)) == len(fragments) - 1, sorted(set(after) - kept)
            else:  # serve swaps in the whole new bundle
                assert not kept
            assert list(memory.iterdir()) == []  # Pagefind's output in memory is removed
            build(project, tmp_path / "clean")
            assert tree_bytes(site) == tree_bytes(tmp_path / "clean")
    finally:
        state.close()


def test_output_that_a_killed_build_left_in_memory_is_removed(tmp_path: Path) -> None:
    """A build killed while Pagefind wrote into memory leaves its folder there until the machine
    restarts; the next one that uses the memory folder removes such folders once they are an hour old
    (a run still going is recent) and nothing else."""
    import os
    import time

    old, recent = tmp_path / f"{search.MEMORY_PREFIX}j003-abc", tmp_path / f"{search.MEMORY_PREFIX}j004-def"
    other = tmp_path / "someone-elses"
    for folder in (old, recent, other):
        (folder / "bundle" / "fragment").mkdir(parents=True)
        (folder / "bundle" / "fragment" / "en_1.pf_fragment").write_bytes(b"x")
    hour_ago = time.time() - search.LEFTOVER_AGE - 60
    os.utime(old, (hour_ago, hour_ago))
    os.utime(other, (hour_ago, hour_ago))
    search.sweep_leftovers(str(tmp_path))
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([recent.name, other.name])


@pytest.mark.slow
def test_shards_are_deterministic_and_follow_the_shard_count(project: Path, tmp_path: Path) -> None:
    site, cache = tmp_path / "site", tmp_path / "cache"
    with shard_pages(SMALL_SHARDS):
        build(project, site, cache_dir=cache, jobs=1)
        build(project, tmp_path / "again")
        assert tree_bytes(site) == tree_bytes(tmp_path / "again")
        assert len(shard_list(site)) >= 3
    # K changes (here to 1: a small site's single bundle): everything is indexed again, and correctly
    persona = project / "content" / "personas" / "ruth.md"
    persona.write_text(persona.read_text(encoding="utf-8") + "\nA new line.\n", encoding="utf-8")
    result = build(project, site, cache_dir=cache, jobs=1)
    assert result.stats.shards == {"site": "indexed"} and shard_list(site) == []
    assert not (site / "pagefind" / "shards").exists()
    build(project, tmp_path / "single")
    assert tree_bytes(site) == tree_bytes(tmp_path / "single")


@pytest.mark.slow
def test_serve_indexes_the_changed_shard_later(project: Path, tmp_path: Path, pagefind_runs: list[Path]) -> None:
    """search="later" (journeymap serve): the current index is served at once, then index_later
    re-indexes only the changed shard and records it, so the next build reuses every shard."""
    site, state = tmp_path / "site", BuildState()
    try:
        with shard_pages(SMALL_SHARDS):
            build(project, site, state=state, search="later")  # no index yet: written now
            touchpoint = sorted((project / "content/journeys/journey-0002/touchpoints").iterdir())[0]
            touchpoint.write_text(touchpoint.read_text(encoding="utf-8") + "\nChanged.\n", encoding="utf-8")
            del pagefind_runs[:]
            result = build(project, site, state=state, search="later")
            assert result.stats.search == "deferred" and pagefind_runs == []
            assert index_later(state, site, lambda: True)() is True
            assert len(pagefind_runs) == 1
            build(project, tmp_path / "clean")
            assert tree_bytes(site) == tree_bytes(tmp_path / "clean")
            del pagefind_runs[:]
            touchpoint.write_text(touchpoint.read_text(encoding="utf-8") + "\nAgain.\n", encoding="utf-8")
            again = build(project, site, state=state)  # search now: the other shards come from index_later's
            assert list(again.stats.shards.values()).count("indexed") == 1 and len(pagefind_runs) == 1
    finally:
        state.close()


# --- in the browser ---------------------------------------------------------------------------------


def expected_types(docs_dir: Path) -> dict[str, int]:
    """The `type` of every search document that contains WORD (what a search for it must find)."""
    counts: dict[str, int] = {}
    for path in docs_dir.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if WORD in text.lower():
            kind = re.search(r'data-pagefind-filter="type"[^>]*>([^<]+)<', text).group(1)  # type: ignore[union-attr]
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def status_count(page: object, query: str) -> int:
    """The result count the search page shows for `query` (a URL query string)."""
    p = page  # type: ignore[assignment]
    p.goto(query)
    status = p.locator("[data-search-status]")
    p.wait_for_function("document.querySelector('[data-search-status]').textContent.includes('for “')", timeout=20000)
    text = status.text_content()
    return 0 if text.startswith("No results") else int(text.split()[0])


@pytest.mark.slow
@pytest.mark.browser
def test_search_merges_the_shards_in_the_browser(page: object, tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    www = tmp_path / "www"
    with shard_pages(SMALL_SHARDS):
        result = build(project, www / "sub", cache_dir=tmp_path / "cache")
    docs_dir = next((tmp_path / "cache").glob("search-*"))
    with shard_pages(SMALL_SHARDS):
        shard_of = {journey: journey_shard_of(journey, result.site) for journey in MARKED}
    assert len(set(shard_of.values())) >= 2, shard_of  # the word is in several journey shards
    assert len(result.stats.shards) >= 4
    expected = expected_types(docs_dir)
    assert expected == {"Touchpoint": len(MARKED), "Persona": 1}

    with static_server(www) as base:
        p = page  # type: ignore[assignment]
        search_url = base + f"sub/search/?q={WORD}"
        assert status_count(p, search_url) == sum(expected.values())
        # the count shows first; the results follow once their fragments are loaded
        p.wait_for_function(f"document.querySelectorAll('.jm-results a.jm-result-title').length === {sum(expected.values())}",
                            timeout=20000)
        links = p.locator(".jm-results a.jm-result-title").evaluate_all("els => els.map(e => e.href)")
        found = {re.search(r"/journeys/(journey-\d+)/", link).group(1) for link in links if "/journeys/" in link}
        assert found == set(MARKED)
        assert all(link.startswith(base + "sub/") for link in links)  # under the sub-path, from every shard
        assert len({shard_of[journey] for journey in found}) >= 2
        assert any("/personas/maya/" in link for link in links)  # from the non-journey (primary) shard

        for kind in ("Touchpoint", "Persona", "Journey", "Stage"):  # the type filter, across the shards
            assert status_count(p, search_url + f"&type={kind}") == expected.get(kind, 0), kind
        merged = p.evaluate("""async (word) => {
            const config = JSON.parse(document.getElementById('jm-site').textContent);
            const module = await import(new URL(config.pagefind, document.baseURI).href);  // site.js's instance
            const found = await module.search(word);
            return {count: found.results.length, types: found.filters.type};
        }""", WORD)
        assert merged["count"] == sum(expected.values())
        assert {kind: n for kind, n in merged["types"].items() if n} == expected
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_pagefind_runs_as_its_binary_the_one_the_python_wrapper_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    search.pagefind_command.cache_clear()
    try:
        command = search.pagefind_command()
        assert command[0] != sys.executable  # the binary itself: no Python start per shard
        direct = subprocess.run([*command, "--version"], capture_output=True, text=True, check=True).stdout
        wrapped = subprocess.run([sys.executable, "-m", "pagefind", "--version"], capture_output=True, text=True,
                                 check=True).stdout
        assert direct == wrapped and direct.startswith("pagefind ")
        search.pagefind_command.cache_clear()
        monkeypatch.setenv("PAGEFIND_BINARY_PATH", "/opt/pagefind/pagefind")  # honoured, as by the wrapper
        assert search.pagefind_command() == ["/opt/pagefind/pagefind"]
    finally:
        search.pagefind_command.cache_clear()
