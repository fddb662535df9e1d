"""Incremental builds are never stale: after any change, an incremental build equals a clean one.

Each test generates a small synthetic site (benchmarks/synthetic.py: 3 journeys x 8 touchpoints,
personas, per-persona emotions, a current/future pair journey-0001 -> journey-0000, `next` steps from
each journey's last step into the next journey), builds it with a cache, changes something, builds
again incrementally, and compares the result byte for byte with a build from scratch (no cache). The
tests also check that only the units that read the change were rendered.

Who reads what in the generated site: journey-0000 has personas maya, ruth; journey-0001 ruth,
daniel, amira (and compares with journey-0000); journey-0002 daniel, amira. Step 8 of each journey
leads to step 1 of the next (0 -> 1 -> 2 -> 0).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from helpers import REPO, run_journeymap, tree_bytes
from journeymap.build import build
from journeymap.diagnostics import DiagnosticError

sys.path.insert(0, str(REPO / "benchmarks"))
from synthetic import generate  # noqa: E402

J0, J1, J2 = "journey:journey-0000", "journey:journey-0001", "journey:journey-0002"
C1 = "compare:journey-0001"  # the comparison page journey-0001 owns (journey-0001 -> journey-0000)
ALL = {J0, J1, J2, C1, "shared"}


class Project:
    def __init__(self, root: Path, tmp_path: Path):
        self.root = root
        self.site = tmp_path / "site"
        self.cache = root / ".journeymap-cache"
        self.tmp = tmp_path
        self.clean_count = 0

    def path(self, rel: str) -> Path:
        return self.root / "content" / rel

    def edit(self, rel: str, old: str, new: str) -> None:
        path = self.path(rel) if not rel.endswith(".yml") else self.root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def line(self, rel: str, key: str) -> str:
        """The line of front matter starting with `key:`."""
        return next(line for line in self.path(rel).read_text(encoding="utf-8").split("\n") if line.startswith(key + ":"))

    def build(self, **options):  # type: ignore[no-untyped-def]
        return build(self.root, self.site, cache_dir=self.cache, jobs=1, **options)

    def manifest(self) -> dict:  # type: ignore[type-arg]
        """The manifest of the last build (one output folder)."""
        return json.loads(next(self.cache.glob("build-*.json")).read_text(encoding="utf-8"))

    def assert_clean(self, site: Path | None = None) -> None:
        """The incremental site equals a build from scratch, byte for byte."""
        self.clean_count += 1
        reference = self.tmp / f"clean-{self.clean_count}"
        build(self.root, reference, jobs=1)
        got, want = tree_bytes(site or self.site), tree_bytes(reference)
        assert sorted(got) == sorted(want)
        differing = sorted(name for name in want if got[name] != want[name])
        assert not differing, differing
        assert folders(site or self.site) == folders(reference)  # no empty folder left by an update in place


def folders(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_dir()}


def file_identities(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under root -> (inode, modification time): what changes when a file is replaced."""
    return {path.relative_to(root).as_posix(): (path.stat().st_ino, path.stat().st_mtime_ns)
            for path in root.rglob("*") if path.is_file()}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = generate(tmp_path / "project", journeys=3, touchpoints=8, seed=7)
    (root / "site_config.yml").write_text((root / "site_config.yml").read_text(encoding="utf-8") + "today: 2026-06-01\n",
                                          encoding="utf-8")
    proj = Project(root, tmp_path)
    result = proj.build()
    assert set(result.stats.rendered) == ALL and not result.stats.reused
    return proj


def rendered(result) -> set[str]:  # type: ignore[no-untyped-def]
    return set(result.stats.rendered)


def test_no_change_rebuild_reads_nothing_and_writes_nothing(project: Project) -> None:
    before = {p: os.stat(p) for p in project.site.rglob("*")}
    result = project.build()
    assert result.stats.skipped and result.site is None and not result.stats.rendered
    after = {p: os.stat(p) for p in project.site.rglob("*")}
    assert {p: (s.st_ino, s.st_mtime_ns) for p, s in before.items()} == {p: (s.st_ino, s.st_mtime_ns) for p, s in after.items()}
    assert result.pages and all((project.site / page).is_file() for page in result.pages)


def test_touchpoint_edit_renders_its_journey_and_the_shared_pages(project: Project) -> None:
    rel = "journeys/journey-0002/touchpoints/003-step-3.md"
    project.edit(rel, project.line(rel, "title"), 'title: "Waits for the courier"')  # listed site-wide
    result = project.build()
    assert rendered(result) == {J2, "shared"}
    assert J0 in result.stats.reused and J1 in result.stats.reused
    assert result.stats.linked > 0 and result.stats.search == "indexed"
    project.assert_clean()


def test_an_incremental_build_replaces_only_the_files_that_changed(project: Project) -> None:
    before, folder = file_identities(project.site), project.site.stat().st_ino
    rel = "journeys/journey-0002/touchpoints/003-step-3.md"
    project.edit(rel, project.line(rel, "action"), 'action: "Checks the tracking page twice"')
    result = project.build()
    assert rendered(result) == {J2}
    after = file_identities(project.site)
    replaced = {name for name in after if before.get(name) != after[name]}
    assert "journeys/journey-0002/touchpoints/step-3/index.html" in replaced
    assert replaced <= {name for name in after if name.startswith(("journeys/journey-0002/", "pagefind/"))}, replaced
    assert project.site.stat().st_ino == folder  # updated where it is, not swapped for a new folder
    assert [p.name for p in project.tmp.iterdir() if p.name.startswith(".site.")] == []  # no staging left beside it
    project.assert_clean()


def test_an_update_in_place_removes_stray_files_and_keeps_host_files(project: Project) -> None:
    (project.site / "journeys" / "stray" / "deep").mkdir(parents=True)
    (project.site / "journeys" / "stray" / "deep" / "index.html").write_bytes(b"not ours")
    (project.site / "CNAME").write_bytes(b"journeys.example.com\n")  # a file hosts need (output.ALWAYS_KEPT)
    rel = "journeys/journey-0000/touchpoints/002-step-2.md"
    project.edit(rel, project.line(rel, "action"), 'action: "Reads the returns policy"')
    result = project.build()
    assert rendered(result) == {J0, C1}  # journey-0001's comparison page shows journey-0000, not its other pages
    assert not (project.site / "journeys" / "stray").exists()  # the file and the folders it leaves empty
    assert (project.site / "CNAME").read_bytes() == b"journeys.example.com\n"
    (project.site / "CNAME").unlink()
    project.assert_clean()


def edit_front_matter(path: Path, field: str, value: object) -> None:
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    data = yaml.safe_load(front)
    data[field] = value
    path.write_text("---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False) + "---\n" + body, encoding="utf-8")


# A value for each touchpoint field the shared pages do not show (site.SHARED_IGNORES), and one for some
# they do show: editing the first kind renders the touchpoint's journey only, the second the shared pages too.
NOT_SHOWN_SITE_WIDE = {
    "action": "Checks the parcel tracker.", "thought": "Where is it now?", "frontstage": ["Courier calls"],
    "backstage": ["Depot scans the parcel"], "support": ["Tracking system"],
    "evidence": [{"title": "Tracker logs", "url": "https://example.com/logs"}], "next": ["journey-0000/step-2"],
    "extra": {"kpi": "Calls per parcel"}, "last_reviewed": dt.date(2026, 5, 1), "actor": "frontstage",
}
SHOWN_SITE_WIDE = {
    "title": "Tracks the parcel", "emotion": 2, "owner": "logistics", "channel": "app",
    "pain_points": [{"title": "Tracker is vague", "severity": "high"}],
    "opportunities": [{"title": "Live courier map", "impact": "high", "effort": "low"}],
}


def test_every_field_the_shared_pages_do_not_show_leaves_them_as_they_were(project: Project) -> None:
    from journeymap.site import SHARED_IGNORES

    assert set(NOT_SHOWN_SITE_WIDE) == SHARED_IGNORES
    path = project.path("journeys/journey-0002/touchpoints/003-step-3.md")
    for field_name, value in NOT_SHOWN_SITE_WIDE.items():
        edit_front_matter(path, field_name, value)
        assert rendered(project.build()) == {J2}, field_name
        project.assert_clean()  # the shared pages kept are exactly what a clean build makes
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more paragraph of the step.\n", encoding="utf-8")
    assert rendered(project.build()) == {J2}  # the Markdown body is shown on the journey's pages only
    project.assert_clean()
    for field_name, value in SHOWN_SITE_WIDE.items():
        edit_front_matter(path, field_name, value)
        assert rendered(project.build()) == {J2, "shared"}, field_name
        project.assert_clean()


def test_with_custom_templates_any_touchpoint_edit_renders_the_shared_pages(project: Project) -> None:
    (project.root / "overrides").mkdir()
    with open(project.root / "site_config.yml", "a", encoding="utf-8") as config:
        config.write("theme:\n  custom_dir: overrides\n")
    project.build()
    edit_front_matter(project.path("journeys/journey-0002/touchpoints/003-step-3.md"), "action", "Checks again.")
    assert rendered(project.build()) == {J2, "shared"}  # a custom template may show any field
    project.assert_clean()


def test_with_custom_templates_a_journey_reads_the_journey_it_is_compared_with(project: Project) -> None:
    """The default journey page shows the title and state of the journey it is compared with; a custom
    one gets the whole journey, so any edit of that journey renders it again."""
    overrides = project.root / "overrides"
    overrides.mkdir()
    (overrides / "journey.html").write_text(
        '{% extends "base.html" %}{% block content %}'
        '{% if counterpart %}<p>{{ counterpart.touchpoints[1].meta.action }}</p>{% endif %}{% endblock %}\n', encoding="utf-8")
    with open(project.root / "site_config.yml", "a", encoding="utf-8") as config:
        config.write("theme:\n  custom_dir: overrides\n")
    project.build()
    rel = "journeys/journey-0000/touchpoints/002-step-2.md"
    edit_front_matter(project.path(rel), "action", "Reads the returns policy twice")
    assert {J0, J1, C1} <= rendered(project.build())  # journey-0001 compares itself with journey-0000
    assert b"Reads the returns policy twice" in (project.site / "journeys/journey-0001/index.html").read_bytes()
    project.assert_clean()


def test_title_read_by_another_journeys_next_step(project: Project) -> None:
    rel = "journeys/journey-0002/touchpoints/001-step-1.md"
    project.edit(rel, project.line(rel, "title"), 'title: "Opens the renewal letter"')
    result = project.build()
    assert rendered(result) == {J2, J1, "shared"}  # journey-0001's last step links here by title
    project.assert_clean()


def test_journey_title_edit_reaches_its_pair_and_next_steps(project: Project) -> None:
    rel = "journeys/journey-0000/journey.md"
    project.edit(rel, project.line(rel, "title"), 'title: "Renamed journey"')
    result = project.build()
    assert rendered(result) == ALL  # 0001 compares with it, 0002's last step leads into it
    project.assert_clean()


def test_persona_edit_renders_only_the_journeys_that_name_it(project: Project) -> None:
    project.edit("personas/maya.md", "name: \"Maya Okafor\"", "name: \"Maya O.\"")
    result = project.build()
    assert rendered(result) == {J0, C1, "shared"}  # 0000 names maya; 0001's comparison page shows 0000
    project.assert_clean()
    project.edit("personas/grace.md", "name: \"Grace Mensah\"", "name: \"Grace M.\"")
    assert rendered(project.build()) == {"shared"}  # nobody's persona: only the persona pages
    project.assert_clean()


def test_compares_with_edit(project: Project) -> None:
    project.edit("journeys/journey-0001/journey.md", "compares_with: journey-0000\n", "")
    result = project.build()
    assert rendered(result) == {J1, "shared"}  # journey-0000 never showed journey-0001 (it does not name it)
    assert not (project.site / "compare").exists() and C1 not in project.manifest()["units"]
    project.assert_clean()
    project.edit("journeys/journey-0002/journey.md", "state: current\n", "state: future\ncompares_with: journey-0001\n")
    result = project.build()
    assert rendered(result) == {J2, "compare:journey-0002", "shared"}
    project.assert_clean()


def test_deleting_and_renaming_touchpoints(project: Project) -> None:
    project.path("journeys/journey-0002/touchpoints/005-step-5.md").unlink()
    result = project.build()
    assert J2 in rendered(result) and J0 in result.stats.reused
    project.assert_clean()
    old = project.path("journeys/journey-0002/touchpoints/004-step-4.md")
    old.rename(old.with_name("004-step-four.md"))
    project.build()
    project.assert_clean()


def test_deleting_and_renaming_journeys(project: Project) -> None:
    shutil.move(str(project.path("journeys/journey-0002")), str(project.path("journeys/journey-0009")))
    project.edit("journeys/journey-0001/touchpoints/008-step-8.md", "journey-0002/step-1", "journey-0009/step-1")
    project.edit("journeys/journey-0009/touchpoints/008-step-8.md", "journey-0000/step-1", "journey-0009/step-1")
    result = project.build()
    assert {"journey:journey-0009", J1, C1} <= rendered(result)  # 0001's step 8 leads to 0009 now; it shows 0001
    assert not (project.site / "journeys" / "journey-0002").exists()
    project.assert_clean()
    shutil.rmtree(project.path("journeys/journey-0009"))
    project.edit("journeys/journey-0001/touchpoints/008-step-8.md", "next: [journey-0009/step-1]\n", "")
    project.build()
    project.assert_clean()


def test_link_targets_are_dependencies(project: Project) -> None:
    """A body link to another journey's page: when that journey becomes a draft, the link must change."""
    project.edit("journeys/journey-0000/journey.md", "## Findings", "See [the other journey](../journey-0002/journey.md).\n\n## Findings")
    project.build()
    project.assert_clean()
    project.edit("journeys/journey-0002/journey.md", "status: published", "status: draft")
    result = project.build()
    assert J0 in rendered(result)  # only its link target changed
    project.assert_clean()


def test_config_and_theme_changes_rebuild_everything(project: Project) -> None:
    project.edit("site_config.yml", "site_name: Synthetic journeys", "site_name: Renamed site")
    assert rendered(project.build()) == ALL
    project.assert_clean()
    overrides = project.root / "overrides"
    overrides.mkdir()
    (overrides / "404.html").write_text('{% extends "base.html" %}{% block content %}<p>Gone.</p>{% endblock %}\n',
                                        encoding="utf-8")
    with open(project.root / "site_config.yml", "a", encoding="utf-8") as config:
        config.write("theme:\n  custom_dir: overrides\n")
    assert rendered(project.build()) == ALL
    project.assert_clean()
    (overrides / "404.html").write_text('{% extends "base.html" %}{% block content %}<p>Not here.</p>{% endblock %}\n',
                                        encoding="utf-8")
    assert rendered(project.build()) == ALL  # a theme file is an input of every page
    assert b"Not here." in (project.site / "404.html").read_bytes()
    project.assert_clean()


def test_compiled_templates_are_kept_between_builds(project: Project) -> None:
    folders = list((project.cache / "templates").iterdir())
    assert len(folders) == 1  # one folder, named after journeymap's code
    compiled = {path: path.stat().st_mtime_ns for path in folders[0].glob("*.cache")}
    assert len(compiled) >= 10  # every page template and partial
    rel = "journeys/journey-0002/touchpoints/003-step-3.md"
    project.edit(rel, project.line(rel, "title"), 'title: "Waits for the courier"')
    assert rendered(project.build()) == {J2, "shared"}
    assert {path: path.stat().st_mtime_ns for path in folders[0].glob("*.cache")} == compiled  # read, not compiled again
    project.assert_clean()


def test_search_documents_are_stored_once_by_content(project: Project) -> None:
    """The store keeps one file per search document, named by its hash: an edit writes the documents of
    the pages it changed, leaves every other one untouched and removes the ones no page has any more."""
    store = next(project.cache.glob("search-*"))
    before = {path.name: path.stat().st_ino for path in store.iterdir()}
    rel = "journeys/journey-0002/touchpoints/003-step-3.md"
    project.edit(rel, project.line(rel, "action"), 'action: "Waits for the courier, again."')
    project.build()
    after = {path.name: path.stat().st_ino for path in store.iterdir()}
    manifest = project.manifest()
    assert set(after) == {f"{content_hash}.html" for content_hash in manifest["search"]["docs"].values()}
    kept = set(before) & set(after)
    assert 0 < len(set(after) - kept) < 5 and len(kept) > len(after) - 5  # the edited step's pages only
    assert all(before[name] == after[name] for name in kept)  # not written again
    victim = store / f"{manifest['search']['docs']['journeys/journey-0000/index.html']}.html"
    victim.unlink()  # a document lost from the cache is made again from its page (journey-0000 is reused)
    project.edit(rel, 'action: "Waits for the courier, again."', 'action: "Waits for the courier, once more."')
    assert J0 in project.build().stats.reused
    assert victim.is_file()
    project.assert_clean()


def test_an_output_changed_by_hand_is_rendered_again(project: Project) -> None:
    page = project.site / "journeys" / "journey-0001" / "touchpoints" / "step-2" / "index.html"
    page.write_bytes(b"tampered")
    result = project.build()
    assert not result.stats.skipped and rendered(result) == {J1}
    project.assert_clean()
    (project.site / "stray.html").write_bytes(b"not ours")
    result = project.build()  # a clean build would not have it: the site is written again, without it
    assert not (project.site / "stray.html").exists()
    project.assert_clean()


def test_a_failed_build_changes_nothing(project: Project) -> None:
    snapshot = tree_bytes(project.site)
    rel = "journeys/journey-0000/touchpoints/002-step-2.md"
    good = project.path(rel).read_text(encoding="utf-8")
    project.edit(rel, "stage: ", "stage: [unclosed\nstage: ")
    with pytest.raises(DiagnosticError):
        project.build()
    assert tree_bytes(project.site) == snapshot
    project.path(rel).write_text(good, encoding="utf-8")
    result = project.build()
    assert result.stats.skipped  # back to what was built: nothing to do
    project.assert_clean()


def test_clean_and_drafts_options(project: Project) -> None:
    assert rendered(project.build(clean=True)) == ALL
    project.assert_clean()
    project.edit("journeys/journey-0002/journey.md", "status: published", "status: draft")
    project.edit("journeys/journey-0001/touchpoints/008-step-8.md", "next: [journey-0002/step-1]\n", "")
    project.build()
    project.assert_clean()
    with_drafts = build(project.root, project.tmp / "drafts", include_drafts=True, cache_dir=project.cache, jobs=1)
    assert J2 in with_drafts.stats.rendered  # another option: its own manifest, built in full
    reference = build(project.root, project.tmp / "drafts-clean", include_drafts=True, jobs=1)
    assert tree_bytes(project.tmp / "drafts") == tree_bytes(reference.site_dir)


@pytest.mark.slow
def test_cli_uses_the_cache(tmp_path: Path) -> None:
    root = generate(tmp_path / "p", journeys=2, touchpoints=4, seed=3)
    first = run_journeymap(["build", "--jobs", "1"], cwd=root)
    assert first.returncode == 0, first.stderr
    assert "\r" not in first.stderr and "rendering" not in first.stderr  # no progress line off a terminal
    assert (root / ".journeymap-cache").is_dir()
    second = run_journeymap(["build"], cwd=root)
    assert second.returncode == 0 and "Nothing changed" in second.stderr
    third = run_journeymap(["build", "--clean"], cwd=root)
    assert third.returncode == 0 and "Built" in third.stderr
    touchpoint = sorted((root / "content" / "journeys").glob("*/touchpoints/*.md"))[0]
    touchpoint.write_text(touchpoint.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    fourth = run_journeymap(["build"], cwd=root)
    assert fourth.returncode == 0 and "(1 journey rendered, 1 unchanged)" in fourth.stderr, fourth.stderr


def test_serve_keeps_the_model_and_indexes_search_after_serving(project: Project) -> None:
    from journeymap.serve import Builder

    served = project.tmp / "served"
    builder = Builder(project.root, served)
    try:
        builder()
        assert not builder.failed and builder.state is not None
        assert builder.indexing is None  # the first build writes its search index itself
        project.assert_clean(served)
        rel = "journeys/journey-0001/touchpoints/004-step-4.md"
        project.edit(rel, project.line(rel, "thought"), 'thought: "Where is my parcel now?"')
        builder()
        assert not builder.failed
        page = served / "journeys" / "journey-0001" / "touchpoints" / "step-4" / "index.html"
        assert "Where is my parcel now?" in page.read_text(encoding="utf-8")  # served before the search index
        assert builder.indexing is not None
        builder.indexing.join(120)
        project.assert_clean(served)  # and then the search index caught up
        builder()  # nothing changed since: the index written in the background is reused
        project.assert_clean(served)
        manifest = builder.state.manifests[str(served.resolve())]
        assert manifest.search["key"] != "deferred"
    finally:
        builder.close(wait=True)


def test_serve_mends_a_search_file_deleted_by_hand(project: Project) -> None:
    """serve updates its folder in place and keeps the current search index while it re-indexes: a file
    of that index deleted by hand must neither stop the build nor survive into the next index."""
    from journeymap.serve import Builder

    served = project.tmp / "served"
    builder = Builder(project.root, served)
    try:
        builder()
        victim = next(path for path in sorted((served / "pagefind" / "fragment").iterdir()))
        victim.unlink()
        rel = "journeys/journey-0002/touchpoints/006-step-6.md"
        project.edit(rel, project.line(rel, "action"), 'action: "Asks a neighbour to take the parcel"')
        builder()
        assert not builder.failed, builder.diagnostics
        assert builder.indexing is not None
        builder.indexing.join(120)
        project.assert_clean(served)  # the deleted fragment is back, with every other search file
    finally:
        builder.close(wait=True)


def test_serve_checks_only_the_changed_files_again(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """With `state` (serve), a file that did not change is neither checked against the schema again nor
    dumped again for the shared pages' reads; what a change shows still reaches every page."""
    from journeymap import model
    from journeymap.build import BuildState

    checked: list[str] = []
    real = model._validate_meta
    monkeypatch.setattr(model, "_validate_meta", lambda doc, kind: checked.append(doc.path) or real(doc, kind))
    served, state = project.tmp / "served", BuildState()
    try:
        build(project.root, served, state=state, jobs=1)
        assert len(checked) > 40 and len(state.reads_memo) > 20
        del checked[:]
        rel = "journeys/journey-0002/touchpoints/003-step-3.md"
        edit_front_matter(project.path(rel), "title", "Tracks the parcel")  # shown on the site-wide pages
        result = build(project.root, served, state=state, jobs=1)
        assert checked == ["site_config.yml", f"content/{rel}"] and rendered(result) == {J2, "shared"}  # config: read anew
        project.assert_clean(served)
        project.edit("site_config.yml", "site_name: Synthetic journeys", "site_name: Renamed site")
        key = state.reads_key
        assert rendered(build(project.root, served, state=state, jobs=1)) == ALL
        assert state.reads_key != key  # a new config: what files show is worked out again
        project.assert_clean(served)
    finally:
        state.close()


def test_unchanged_files_are_not_read_again_and_a_changed_one_always_is(project: Project,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """KnownHashes: a content file whose stat signature is unchanged is not read again, by the command
    line (inputs.marshal) or serve; an edit that keeps the size and puts the modification time back (as
    `cp -p` or `rsync -a` do) still changes the change time, so it is read and rendered."""
    from journeymap import cache

    monkeypatch.setattr(cache, "RECENT_NS", 0)  # the files were written just now: remember them anyway
    project.build(clean=True)
    assert (project.cache / "inputs.marshal").is_file()
    read: list[str] = []
    real = cache._hash_file
    content = project.root / "content"
    monkeypatch.setattr(cache, "_hash_file", lambda path: read.append(str(path)) or real(path))
    assert project.build().stats.skipped
    assert str(project.root / "site_config.yml") in read and len(list(content.rglob("*.md"))) > 30
    assert not set(read) & {str(path) for path in content.rglob("*")}  # no content file was read
    rel = "journeys/journey-0002/touchpoints/003-step-3.md"
    path = project.path(rel)
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    action = project.line(rel, "action")
    path.write_text(text.replace(action, action[:-3] + "ZZ" + action[-1:]), encoding="utf-8")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    del read[:]
    result = project.build()
    assert set(read) & {str(path) for path in content.rglob("*")} == {str(path)}
    assert rendered(result) == {J2}
    project.assert_clean()


def test_a_file_changed_just_before_a_scan_is_hashed_again_next_time() -> None:
    """Timestamps are coarse: a second write in the same tick, of the same size, keeps the signature, so
    a file changed within RECENT_NS of a scan is not remembered."""
    from journeymap.cache import KnownHashes

    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        old, new = Path(folder) / "old.md", Path(folder) / "new.md"
        old.write_text("a", encoding="utf-8")
        new.write_text("b", encoding="utf-8")
        hour_ago = old.stat().st_mtime_ns - 3600 * 10**9
        os.utime(old, ns=(hour_ago, hour_ago))  # the change time stays recent: still not remembered
        known = KnownHashes()
        assert [rel for rel, _, raw in known.hash_files([("old.md", str(old)), ("new.md", str(new))]) if raw is not None] == ["old.md", "new.md"]
        assert known.entries == {}


def test_the_cache_forgets_output_folders_that_are_gone(project: Project) -> None:
    other = project.tmp / "other-site"
    build(project.root, other, cache_dir=project.cache, jobs=1)
    assert len(list(project.cache.glob("build-*.json"))) == 2
    assert len(list(project.cache.glob("search-*"))) == 2
    shutil.rmtree(other)
    project.edit("personas/grace.md", "name: \"Grace Mensah\"", "name: \"Grace M.\"")
    project.build()  # a build that writes prunes the cache (one that finds nothing to do touches nothing)
    assert len(list(project.cache.glob("build-*.json"))) == 1
    assert len([p for p in project.cache.glob("search-*") if ".old-" not in p.name]) == 1
