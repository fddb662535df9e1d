"""Parallel builds give the same bytes as one process, and the search documents the same index as the pages.

The sites here are small, so the parallel threshold (below which a build stays in one process) is
lowered to 0 to make the worker processes really run.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from helpers import REPO, make_site, tree_bytes
from journeymap import parallel
from journeymap.build import build
from journeymap.diagnostics import DiagnosticError
from journeymap.search import index_documents, index_search, search_document
from journeymap.site import render_site
from journeymap.validate import validate_project

sys.path.insert(0, str(REPO / "benchmarks"))
from synthetic import generate  # noqa: E402


@pytest.fixture
def always_parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 0)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = generate(tmp_path_factory.mktemp("parallel") / "project", journeys=4, touchpoints=6, seed=11)
    with open(root / "site_config.yml", "a", encoding="utf-8") as config:
        config.write("today: 2026-06-01\n")
    return root


def test_workers_fork_and_spawn_give_the_bytes_of_one_process(synthetic: Path, tmp_path: Path, always_parallel: None) -> None:
    one = build(synthetic, tmp_path / "one", jobs=1)
    assert one.stats.jobs == 1
    forked = build(synthetic, tmp_path / "fork", jobs=2, start_method="fork")
    assert forked.stats.jobs == 2
    spawned = build(synthetic, tmp_path / "spawn", jobs=2, start_method="spawn")
    assert spawned.stats.jobs == 2
    reference = tree_bytes(tmp_path / "one")
    assert tree_bytes(tmp_path / "fork") == reference
    assert tree_bytes(tmp_path / "spawn") == reference
    assert sorted(forked.pages) == sorted(one.pages)


def test_units_give_the_bytes_of_render_site(synthetic: Path, tmp_path: Path, always_parallel: None) -> None:
    """The unit-by-unit build writes exactly what render_site (the whole site at once) renders."""
    site, _ = validate_project(synthetic)
    files, copies = render_site(site)
    build(synthetic, tmp_path / "site", jobs=2)
    written = tree_bytes(tmp_path / "site")
    for rel, data in files.items():
        assert written[rel] == data, rel
    for rel, source in copies.items():
        assert written[rel] == Path(source).read_bytes(), rel
    extra = {rel for rel in written if rel not in files and rel not in copies}
    assert extra and all(rel.startswith("pagefind/") or rel == ".journeymap-site" for rel in extra)


def built_then_retitled(synthetic: Path, tmp_path: Path, touchpoint: str, jobs: int) -> tuple[Path, Path]:
    """A copy of the synthetic project built with a cache, then one touchpoint retitled (a title the
    shared pages list too). Returns the project and its cache folder."""
    import shutil

    root = tmp_path / "project"
    shutil.copytree(synthetic, root)
    cache = root / ".journeymap-cache"
    build(root, tmp_path / "site", jobs=jobs, cache_dir=cache)
    path = root / "content/journeys" / touchpoint
    lines = path.read_text(encoding="utf-8").split("\n")
    path.write_text("\n".join('title: "Retitled step"' if line.startswith("title:") else line for line in lines),
                    encoding="utf-8")
    return root, cache


def test_parallel_incremental_equals_clean(synthetic: Path, tmp_path: Path, always_parallel: None) -> None:
    root, cache = built_then_retitled(synthetic, tmp_path, "journey-0003/touchpoints/002-step-2.md", jobs=2)
    result = build(root, tmp_path / "site", jobs=2, cache_dir=cache)
    assert set(result.stats.rendered) == {"journey:journey-0003", "shared"}
    build(root, tmp_path / "clean", jobs=1)
    assert tree_bytes(tmp_path / "site") == tree_bytes(tmp_path / "clean")


def test_a_small_change_to_a_big_site_renders_its_journey_beside_the_shared_pages(
        synthetic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Big site (24 touchpoints over a threshold of 20), small change (6 touchpoints under it): one forked
    worker renders the journey while this process renders the shared pages; same bytes as a clean build."""
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 20)
    root, cache = built_then_retitled(synthetic, tmp_path, "journey-0001/touchpoints/003-step-3.md", jobs=1)
    result = build(root, tmp_path / "site", jobs=2, cache_dir=cache, start_method="fork")
    assert {"journey:journey-0001", "shared"} <= set(result.stats.rendered)
    assert len(result.stats.reused) >= 2  # (journey-0000 reads that journey's step titles)
    assert result.stats.jobs == 2
    build(root, tmp_path / "clean", jobs=1)
    assert tree_bytes(tmp_path / "site") == tree_bytes(tmp_path / "clean")


def test_a_template_error_in_a_worker_is_a_diagnostic(synthetic: Path, tmp_path: Path, always_parallel: None) -> None:
    import shutil

    root = tmp_path / "project"
    shutil.copytree(synthetic, root)
    (root / "overrides").mkdir()
    (root / "overrides" / "touchpoint.html").write_text("{% extends 'base.html' %}{% block content %}{{ no_such_value }}"
                                                        "{% endblock %}\n", encoding="utf-8")
    with open(root / "site_config.yml", "a", encoding="utf-8") as config:
        config.write("theme:\n  custom_dir: overrides\n")
    with pytest.raises(DiagnosticError) as caught:
        build(root, tmp_path / "site", jobs=2, start_method="fork")
    assert any(d.code == "JM121" for d in caught.value.diagnostics)
    assert not (tmp_path / "site").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []  # no staging folder left


def test_small_sites_stay_in_one_process(tmp_path: Path) -> None:
    root = make_site(tmp_path / "project")
    result = build(root, tmp_path / "site")
    assert result.stats.jobs == 1


@pytest.mark.slow
def test_search_documents_index_like_the_pages(example_site: Path, tmp_path: Path) -> None:
    """Pagefind over the search documents writes the same bundle as Pagefind over the full pages."""
    import shutil

    pages = tmp_path / "pages"
    shutil.copytree(example_site, pages, ignore=shutil.ignore_patterns("pagefind"))
    index_search(pages)
    docs = tmp_path / "docs"
    count = 0
    for path in sorted(pages.rglob("*.html")):
        document = search_document(path.read_text(encoding="utf-8"))
        if document is None:
            continue
        rel = path.relative_to(pages)
        (docs / rel).parent.mkdir(parents=True, exist_ok=True)
        (docs / rel).write_text(document, encoding="utf-8")
        count += 1
        assert len(document) < len(path.read_text(encoding="utf-8"))
    assert count > 10
    index_documents(docs, tmp_path / "bundle")
    assert tree_bytes(tmp_path / "bundle") == tree_bytes(pages / "pagefind")


def test_search_document_keeps_what_pagefind_reads() -> None:
    page = ('<!doctype html>\n<html lang="en"><head><title>T</title><link rel="x"></head><body><header>nav</header>'
            '<div hidden data-search-meta><span data-pagefind-filter="type">Touchpoint</span></div>'
            '<article class="a" data-pagefind-body><h1>Title</h1><article>inner</article><svg><text>map</text></svg>'
            '<p>Body</p></article><footer>f</footer></body></html>')
    document = search_document(page)
    assert document is not None
    assert '<html lang="en">' in document and "<title>T</title>" in document and "data-pagefind-filter" in document
    assert "<article>inner</article>" in document and "<p>Body</p></article>" in document
    assert "<svg" not in document and "nav" not in document and "<footer>" not in document
    assert search_document("<html><body><p>no body</p></body></html>") is None
    filters_outside = page.replace("<footer>f</footer>", '<footer data-pagefind-meta="x">f</footer>')
    assert search_document(filters_outside) == filters_outside  # kept whole: Pagefind reads that too


def test_a_first_build_subsets_the_map_font_in_another_process(synthetic: Path, tmp_path: Path) -> None:
    """parallel.FontsAhead: the subsets standalone maps embed are made by a second process while the build
    loads the site; they are the bytes this process would make, and the build that uses them equals a
    build without a cache."""
    from journeymap import maps
    from journeymap import textmeasure as tm

    cache = tmp_path / "cache"
    result = build(synthetic, tmp_path / "site", cache_dir=cache, jobs=1)
    made = {path.read_bytes() for path in (cache / "fonts").glob("subset-*.woff2")}
    files, chars = tm.font_files(None), "".join(sorted(maps.BASE_CHARS))
    assert {tm._make_subset(files[weight].resolve(), chars) for weight in ("regular", "bold")} <= made
    assert tree_bytes(tmp_path / "site") == tree_bytes(build(synthetic, tmp_path / "reference", jobs=1).site_dir)
    assert result.stats.rendered

    before = tm.SUBSET_CACHE_DIR
    try:
        tm.SUBSET_CACHE_DIR = cache / "fonts"
        assert parallel.FontsAhead(None).process is None  # subsets are there: nothing to start
        tm.SUBSET_CACHE_DIR = tmp_path / "empty"
        ahead = parallel.FontsAhead(None)
        assert ahead.process is not None
        ahead.wait()
        assert {path.read_bytes() for path in (tmp_path / "empty").glob("subset-*.woff2")} <= made
        assert len(list((tmp_path / "empty").glob("subset-*.woff2"))) == 2
    finally:
        tm.SUBSET_CACHE_DIR = before


def _subset_in_child(folder: str, chars: str, log: str, out: str) -> None:
    """In a worker: make a font subset through the cache, noting in `log` when it is made here."""
    import time

    from journeymap import textmeasure as tm

    real = tm._make_subset

    def slow(path: Path, text: str) -> bytes:
        with open(log, "a", encoding="utf-8") as note:
            note.write("made\n")
        time.sleep(0.5)  # long enough for the other process to ask for it meanwhile
        return real(path, text)

    tm._make_subset = slow
    tm.SUBSET_CACHE_DIR = Path(folder)
    Path(out).write_bytes(tm._subset_woff2(tm.font_files(None)["regular"].resolve(), chars))


def test_processes_that_need_the_same_font_subset_make_it_once(tmp_path: Path) -> None:
    """Two workers reaching the same map font subset at once (a build's first maps): one makes it,
    the other waits for it and reads it from the cache, instead of both spending 0.7 s of CPU."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # fresh processes: nothing memoised from this one
    log, chars = tmp_path / "made.log", "".join(sorted(set("Journey maps as code: áé")))
    workers = [context.Process(target=_subset_in_child, args=(str(tmp_path / "fonts"), chars, str(log),
                                                               str(tmp_path / f"out-{n}"))) for n in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    assert log.read_text(encoding="utf-8") == "made\n"
    assert (tmp_path / "out-0").read_bytes() == (tmp_path / "out-1").read_bytes() != b""
