"""`journeymap diff`: a real git history where each commit makes one kind of change; the findings,
the text, Markdown and JSON renderings, the CLI's exit codes, and the HTML page in Chromium."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner, Result

from gitrepo import CHANGES, DIFF_SITE, J, TAGS, build_history, commit, git, init_repo, previous, touchpoint, write
from journeymap.diff import (RevisionContentError, RevisionError, SiteDiff, diff_sites, load_revision, read_revision)
from journeymap.diff_command import diff_command
from journeymap.diff_html import write_pages
from journeymap.diff_report import MARKER, NO_CHANGES, render, render_json, render_markdown, to_json

pytestmark = pytest.mark.slow  # every test here runs git


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_history(tmp_path_factory.mktemp("diff") / "repo")


def diff_of(repo: Path, base: str, head: str | None) -> SiteDiff:
    before, after = read_revision(repo, base), read_revision(repo, head)
    assert not before.errors and not after.errors, before.report + after.report
    assert before.site is not None and after.site is not None
    return diff_sites(before.site, after.site, base_label=before.label, head_label=after.label)


def step(repo: Path, tag: str) -> SiteDiff:
    """The diff made by one commit of the history."""
    return diff_of(repo, previous(tag), tag)


def only_journey(diff: SiteDiff, journey_id: str = "buy"):
    assert [j.id for j in diff.journeys] == [journey_id]
    return diff.journeys[0]


def run(args: list[str], cwd: Path | None = None) -> Result:
    """The diff command in-process (stdout and stderr apart), optionally from another folder."""
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(diff_command, args, catch_exceptions=False)
    finally:
        os.chdir(old)


# --- loading revisions ----------------------------------------------------------------------------


def test_a_revision_loads_like_a_checkout(repo: Path) -> None:
    site = load_revision(repo, "base")
    assert list(site.journeys) == ["buy", "help"]
    assert list(site.personas) == ["maya", "ruth"]
    buy = site.journeys["buy"]
    assert [s.id for s in buy.stages] == ["discover", "decide", "pay"]
    assert [tp.id for tp in buy.touchpoints] == ["sees-ad", "visits-site", "compares", "reads-reviews", "pays", "gets-receipt"]
    assert buy.touchpoint("compares").meta.emotion == {"maya": 2, "ruth": 4}


def test_no_revision_is_the_working_tree(repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    write(clone, {f"{J}/touchpoints/08-gets-newsletter.md": touchpoint("Gets the newsletter", "pay", "3")})
    journey = only_journey(diff_of(clone, "HEAD", None))
    assert [i.id for i in journey.touchpoints_added] == ["gets-newsletter"]
    assert read_revision(clone, None).label == "working tree"


def test_a_site_in_a_subfolder_of_the_repository(tmp_path: Path) -> None:
    root = tmp_path / "mono"
    init_repo(root, {f"journeys/{rel}": text for rel, text in DIFF_SITE.items()} | {"README.md": "other project\n"})
    write(root, {f"journeys/{J}/touchpoints/02-visits-site.md": None})
    commit(root, "remove a step", "next")
    site = load_revision(root / "journeys", "base")
    assert "visits-site" in [tp.id for tp in site.journeys["buy"].touchpoints]
    journey = only_journey(diff_of(root / "journeys", "base", "next"))
    assert [i.id for i in journey.touchpoints_removed] == ["visits-site"]


def test_unknown_revision_is_a_usage_error(repo: Path) -> None:
    with pytest.raises(RevisionError, match="unknown revision 'no-such-branch'"):
        read_revision(repo, "no-such-branch")
    with pytest.raises(RevisionError, match="is not a revision"):
        read_revision(repo, "--output=/tmp/x")  # never passed to git as an option


def test_not_a_git_repository(tmp_path: Path) -> None:
    write(tmp_path, DIFF_SITE)
    with pytest.raises(RevisionError, match="not inside a git repository"):
        read_revision(tmp_path, "main")


def test_content_that_does_not_load_is_reported_as_diagnostics(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo", DIFF_SITE)
    write(root, {f"{J}/touchpoints/04-reads-reviews.md": "---\ntitle: Reads reviews\nstage: [decide\n---\n"})
    commit(root, "break a file", "broken")
    revision = read_revision(root, "broken")
    assert [d.code for d in revision.errors] == ["JM004"]
    assert re.match(rf"broken:{J}/touchpoints/04-reads-reviews.md:\d+:\d+: error JM004 ", revision.report)
    assert "\n    ---\n" in revision.report  # the source line, read while the revision's files existed
    with pytest.raises(RevisionContentError) as caught:
        load_revision(root, "broken")
    assert caught.value.revision.errors == revision.errors
    # The file that does not load is not reported as removed: it is left out of the comparison.
    journey = only_journey(diff_sites(read_revision(root, "base").site, revision.site))  # type: ignore[arg-type]
    assert journey.touchpoints_removed == [] and journey.not_compared == ["reads-reviews"]


# --- findings, one kind of change per commit ------------------------------------------------------


def test_every_commit_of_the_history_is_one_kind_of_change(repo: Path) -> None:
    assert TAGS == ["base"] + [tag for tag, _, _ in CHANGES]
    assert diff_of(repo, "base", "base").is_empty


def test_touchpoint_added(repo: Path) -> None:
    journey = only_journey(step(repo, "add-touchpoint"))
    assert [(i.id, i.title, i.stage, i.stage_title, i.position) for i in journey.touchpoints_added] == [
        ("asks-chat", "Asks the chat about fit", "decide", "Decide", 5)]
    assert [(f.touchpoint, f.title, f.details["severity"]) for f in journey.pain_points.added] == [
        ("asks-chat", "Chat answers slowly", "medium")]
    assert not (journey.touchpoints_removed or journey.touchpoints_changed or journey.touchpoints_reordered or journey.emotions)


def test_touchpoint_removed(repo: Path) -> None:
    journey = only_journey(step(repo, "remove-touchpoint"))
    assert [(i.id, i.stage, i.position) for i in journey.touchpoints_removed] == [("visits-site", "discover", 2)]
    assert not (journey.touchpoints_added or journey.touchpoints_reordered)  # later steps shift, but are not "reordered"


def test_touchpoint_moved_to_another_stage(repo: Path) -> None:
    journey = only_journey(step(repo, "move-touchpoint"))
    assert [(m.id, m.old_stage, m.new_stage, m.old_stage_title, m.new_stage_title) for m in journey.touchpoints_moved] == [
        ("reads-reviews", "decide", "pay", "Decide", "Pay")]
    assert [(c.id, [(f.field, f.old, f.new) for f in c.fields]) for c in journey.touchpoints_changed] == [
        ("reads-reviews", [("stage", "decide", "pay")])]
    assert journey.touchpoints_reordered == []  # explained by the move


def test_touchpoints_reordered(repo: Path) -> None:
    journey = only_journey(step(repo, "reorder"))
    assert [(r.id, r.old_position, r.new_position) for r in journey.touchpoints_reordered] == [("gets-receipt", 6, 5)]
    assert not (journey.touchpoints_added or journey.touchpoints_removed or journey.touchpoints_changed)


def test_emotion_scores_changed_per_persona(repo: Path) -> None:
    journey = only_journey(step(repo, "emotion"))
    assert [(e.touchpoint, e.persona, e.old, e.new, e.delta) for e in journey.emotions] == [
        ("sees-ad", None, 3, 4, 1), ("compares", "maya", 2, 1, -1)]


def test_pain_points_added_and_removed(repo: Path) -> None:
    journey = only_journey(step(repo, "pain-points"))
    assert [(f.touchpoint, f.title, f.details["severity"]) for f in journey.pain_points.added] == [
        ("pays", "Card declined without a reason", "high")]
    assert [(f.touchpoint, f.title) for f in journey.pain_points.removed] == [("sees-ad", "Ad is generic")]
    assert not journey.opportunities


def test_opportunities_added_and_removed(repo: Path) -> None:
    journey = only_journey(step(repo, "opportunities"))
    assert [(f.touchpoint, f.title, f.details["impact"], f.details["effort"]) for f in journey.opportunities.added] == [
        ("pays", "Offer wallet payments", "high", "low")]
    assert [(f.touchpoint, f.title) for f in journey.opportunities.removed] == [("compares", "Compare view")]
    assert not journey.pain_points


def test_fields_changed_field_by_field(repo: Path) -> None:
    journey = only_journey(step(repo, "fields"))
    (receipt,) = journey.touchpoints_changed
    assert receipt.id == "gets-receipt"
    assert [(f.field, f.old, f.new) for f in receipt.fields] == [
        ("title", "Gets the receipt", "Gets a receipt by email"),
        ("action", "", "Opens the email."),
        ("body", "A receipt by email.", "A receipt as a PDF."),
    ]
    (decide,) = journey.stages_changed
    assert (decide.id, [(f.field, f.old, f.new) for f in decide.fields]) == (
        "decide", [("goal", "Pick a jacket", "Choose the right size")])


def test_persona_added(repo: Path) -> None:
    diff = step(repo, "add-persona")
    assert [(p.id, p.title) for p in diff.personas_added] == [("sam", "Sam")]
    assert diff.journeys == [] and not diff.is_empty


def test_stage_added(repo: Path) -> None:
    journey = only_journey(step(repo, "add-stage"))
    assert [(s.id, s.title, s.position) for s in journey.stages_added] == [("follow-up", "Follow-up", 4)]
    assert [i.id for i in journey.touchpoints_added] == ["answers-survey"]


def test_journey_removed(repo: Path) -> None:
    diff = step(repo, "remove-journey")
    journey = only_journey(diff, "help")
    assert journey.status == "removed"
    assert [i.id for i in journey.touchpoints_removed] == ["calls"]


def test_many_commits_at_once_and_in_reverse(repo: Path) -> None:
    forward = diff_of(repo, "base", "remove-journey")
    assert [(j.id, j.status) for j in forward.journeys] == [("buy", "changed"), ("help", "removed")]
    buy = forward.journeys[0]
    assert sorted(i.id for i in buy.touchpoints_added) == ["answers-survey", "asks-chat"]
    assert [i.id for i in buy.touchpoints_removed] == ["visits-site"]
    backward = diff_of(repo, "remove-journey", "base")
    assert [(j.id, j.status) for j in backward.journeys] == [("buy", "changed"), ("help", "added")]
    assert sorted(i.id for i in backward.journeys[0].touchpoints_removed) == ["answers-survey", "asks-chat"]
    assert [p.id for p in backward.personas_removed] == ["sam"]


# --- text, Markdown, JSON -------------------------------------------------------------------------


def test_empty_diff_in_every_format(repo: Path) -> None:
    diff = diff_of(repo, "fields", "fields")
    assert NO_CHANGES in render(diff, "text")
    markdown = render_markdown(diff)
    assert markdown.startswith(MARKER + "\n") and NO_CHANGES in markdown and "###" not in markdown
    data = json.loads(render_json(diff))
    assert data["empty"] is True and data["journeys"] == [] and data["summary"] == NO_CHANGES


def test_text_lists_each_kind_of_change(repo: Path) -> None:
    text = render(diff_of(repo, "base", "fields"), "text")
    assert text.splitlines()[0] == "journeymap diff base -> fields"
    for expected in ('+ asks-chat "Asks the chat about fit" in decide', '- visits-site "Visits the website" from discover',
                     '> reads-reviews "Reads reviews" moved: decide -> pay', "compares (maya): 2 -> 1  ▼ 1",
                     '+ "Card declined without a reason" (high) at pays', 'title: "Gets the receipt" -> "Gets a receipt by email"'):
        assert expected in text


def test_markdown_is_a_pull_request_comment(repo: Path) -> None:
    markdown = render_markdown(diff_of(repo, "base", "add-persona"))
    lines = markdown.splitlines()
    assert lines[0] == MARKER and lines[1] == "## Journey map changes"
    assert lines[3].startswith("**1 journey changed · 1 persona added · 1 stage changed · 1 touchpoint added, 1 removed,")
    assert "### Personas" in lines and "- ➕ Added **Sam** (`sam`)" in lines
    assert "### Buying a jacket (`buy`) · changed" in lines
    assert "- ➕ Added **Asks the chat about fit** (`asks-chat`) in *Decide*" in lines
    assert "- ➖ Removed ~~Visits the website~~ (`visits-site`) from *Discover*" in lines
    assert "- ↪️ Moved **Reads reviews** (`reads-reviews`) from *Decide* to *Pay*" in lines
    # The emotion table, with ▲ and ▼.
    table = lines[lines.index("**Emotion**") + 2:]
    assert table[0] == "| Touchpoint | Persona | Before | After | Change |"
    assert "| Sees an ad (`sees-ad`) | all | 3 | 4 | ▲ 1 |" in table
    assert "| Compares jackets (`compares`) | maya | 2 | 1 | ▼ 1 |" in table
    pains = lines[lines.index("**Pain points**"):]
    assert "- ➕ **Card declined without a reason** (high) at *Pays by card*" in pains
    assert "- ➖ ~~Ad is generic~~ at *Sees an ad*" in pains
    opportunities = lines[lines.index("**Opportunities**"):]
    assert "- ➕ **Offer wallet payments** (impact high, effort low) at *Pays by card*" in opportunities
    assert "- ➖ ~~Compare view~~ at *Compares jackets*" in opportunities
    assert "- ✏️ Changed **Gets a receipt by email** (`gets-receipt`)" in lines
    assert "  - `title`: “Gets the receipt” → “Gets a receipt by email”" in lines
    assert any("<summary>Text changes</summary>" in line for line in lines)


def test_markdown_escapes_content(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo", DIFF_SITE)
    nasty = "<script>alert(1)</script> *bold* [link](javascript:x) | pipe @octocat"
    write(root, {f"{J}/touchpoints/08-nasty.md": touchpoint(json.dumps(nasty), "pay", "2",
                                                             f"pain_points: [{json.dumps(nasty)}]\n")})
    commit(root, "nasty", "nasty")
    markdown = render_markdown(diff_of(root, "base", "nasty"))
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown
    assert not re.search(r"(?<!\\)\]\(", markdown) and "\\[link\\]" in markdown  # no link can form
    assert "\\*bold\\*" in markdown and "\\| pipe" in markdown
    assert "@octocat" not in markdown and "@\u200boctocat" in markdown


def test_markdown_too_long_for_a_comment_is_shortened(repo: Path) -> None:
    diff = diff_of(repo, "base", "fields")
    short = render_markdown(diff, max_chars=500)
    assert "too long for a comment" in short
    assert "- **Buying a jacket** (`buy`): changed," in short
    assert len(short) < len(render_markdown(diff))


def test_json_structure(repo: Path) -> None:
    data = json.loads(render_json(diff_of(repo, "base", "remove-journey")))
    assert data["version"] == 1
    assert (data["base"], data["head"], data["empty"]) == ("base", "remove-journey", False)
    assert list(data) == ["version", "base", "head", "empty", "summary", "counts", "content_errors", "config", "personas",
                          "journeys", "not_compared"]
    assert data["counts"]["touchpoints_added"] == 2 and data["counts"]["journeys_removed"] == 1
    assert data["personas"]["added"] == [{"id": "sam", "name": "Sam"}]
    buy, help_ = data["journeys"]
    assert (buy["id"], buy["status"], help_["id"], help_["status"]) == ("buy", "changed", "help", "removed")
    assert list(buy) == ["id", "title", "status", "fields", "stages", "touchpoints", "emotions", "pain_points",
                         "opportunities", "not_compared"]
    assert list(buy["touchpoints"]) == ["added", "removed", "changed", "moved", "reordered"]
    assert {"touchpoint": "compares", "title": "Compares jackets", "persona": "maya", "old": 2, "new": 1,
            "delta": -1} in buy["emotions"]
    assert buy["touchpoints"]["moved"] == [{"id": "reads-reviews", "title": "Reads reviews", "old_stage": "decide",
                                           "new_stage": "pay"}]
    assert {"touchpoint": "pays", "touchpoint_title": "Pays by card", "title": "Card declined without a reason",
            "description": "", "severity": "high"} in buy["pain_points"]["added"]
    receipt = next(c for c in buy["touchpoints"]["changed"] if c["id"] == "gets-receipt")
    assert {"field": "body", "old": "A receipt by email.", "new": "A receipt as a PDF."} in receipt["fields"]


def test_json_matches_the_documented_example(repo: Path) -> None:
    """docs/diff.md shows an example; real output has exactly the same keys at every level."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "diff.md").read_text(encoding="utf-8")
    example = json.loads(re.search(r"```json\n(.*?)\n```", doc, re.S).group(1))  # type: ignore[union-attr]
    actual = json.loads(render_json(diff_of(repo, "base", "remove-journey")))

    def shape(value: object) -> object:
        if isinstance(value, dict):
            return {key: shape(item) for key, item in value.items()}
        if isinstance(value, list):
            shapes = {json.dumps(shape(item), sort_keys=True) for item in value}
            return sorted(shapes)
        return type(value).__name__ if value is not None else "null"

    def keys(value: object, path: str = "") -> set[str]:
        found = set()
        if isinstance(value, dict):
            for key, item in value.items():
                found.add(f"{path}.{key}")
                found |= keys(item, f"{path}.{key}")
        elif isinstance(value, list):
            for item in value:
                found |= keys(item, f"{path}[]")
        return found

    assert keys(example) <= keys(actual) | {k for k in keys(example) if ".fields[]" in k}, keys(example) - keys(actual)
    assert example["version"] == actual["version"]
    assert list(example) == list(actual)
    assert shape(example["counts"]) == shape(actual["counts"])


def test_output_is_deterministic(repo: Path, tmp_path: Path) -> None:
    first, second = diff_of(repo, "base", "remove-journey"), diff_of(repo, "base", "remove-journey")
    for fmt in ("text", "markdown", "json"):
        assert render(first, fmt) == render(second, fmt)
    base, head = load_revision(repo, "base"), load_revision(repo, "remove-journey")
    write_pages(first, base, head, tmp_path / "one")
    write_pages(second, load_revision(repo, "base"), load_revision(repo, "remove-journey"), tmp_path / "two")
    one = {p.name: p.read_bytes() for p in (tmp_path / "one").iterdir()}
    two = {p.name: p.read_bytes() for p in (tmp_path / "two").iterdir()}
    assert one == two and sorted(one) == ["buy.html", "help.html", "index.html"]


def test_to_json_round_trips(repo: Path) -> None:
    diff = diff_of(repo, "base", "fields")
    assert json.loads(render_json(diff)) == json.loads(json.dumps(to_json(diff)))


# --- the command ----------------------------------------------------------------------------------


def test_command_prints_each_format_and_exits_0(repo: Path) -> None:
    for fmt, probe in (("text", "journeymap diff emotion -> pain-points"), ("markdown", MARKER),
                       ("json", '"version": 1')):
        result = run(["emotion", "pain-points", "--project", str(repo), "--format", fmt])
        assert result.exit_code == 0, result.stderr
        assert probe in result.stdout
    result = run(["fields", "fields", "--project", str(repo)])
    assert result.exit_code == 0 and NO_CHANGES in result.stdout


def test_command_defaults_to_the_working_tree_of_the_current_folder(repo: Path) -> None:
    git(repo, "checkout", "-q", "add-stage")
    try:
        result = run(["add-persona", "--format", "json"], cwd=repo)
    finally:
        git(repo, "checkout", "-q", "main")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["head"] == "working tree"
    assert [s["id"] for s in data["journeys"][0]["stages"]["added"]] == ["follow-up"]


def test_command_unknown_revision_exits_2(repo: Path) -> None:
    result = run(["nope", "--project", str(repo)])
    assert result.exit_code == 2
    assert "journeymap: unknown revision 'nope'" in result.stderr and result.stdout == ""


def test_command_outside_git_exits_2(tmp_path: Path) -> None:
    write(tmp_path, DIFF_SITE)
    result = run(["main", "--project", str(tmp_path)])
    assert result.exit_code == 2 and "not inside a git repository" in result.stderr


def test_command_bad_option_exits_2(repo: Path) -> None:
    result = run(["base", "--project", str(repo), "--format", "yaml"])
    assert result.exit_code == 2


def test_command_content_errors_exit_1_and_still_print_the_diff(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo", DIFF_SITE)
    write(root, {f"{J}/touchpoints/04-reads-reviews.md": "---\ntitle: [unclosed\n---\n",
                 f"{J}/touchpoints/08-new.md": touchpoint("A new step", "pay", "3")})
    result = run(["base", "--project", str(root), "--format", "markdown"])
    assert result.exit_code == 1
    assert re.search(rf"^{J}/touchpoints/04-reads-reviews.md:\d+:\d+: error JM004", result.stderr, re.M)
    assert "working tree has content errors" in result.stderr
    assert "- ➕ Added **A new step** (`new`)" in result.stdout
    assert "Removed ~~Reads reviews~~" not in result.stdout
    assert "working tree has 1 content error" in result.stdout


def test_command_without_a_site_in_a_revision_exits_1(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo", {"README.md": "nothing here yet\n"})
    write(root, DIFF_SITE)
    result = run(["base", "--project", str(root)])
    assert result.exit_code == 1
    assert "base:site_config.yml:1:1: error JM014" in result.stderr
    assert "no site could be loaded from base" in result.stderr


def test_command_writes_html_pages(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "pages"
    result = run(["base", "fields", "--project", str(repo), "--format", "json", "--html", str(out)])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["buy.html", "index.html"]
    assert "wrote 2 page(s)" in result.stderr
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="buy.html"' in index


def test_html_escapes_content_and_has_no_script(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo", DIFF_SITE)
    nasty = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    write(root, {f"{J}/touchpoints/08-nasty.md": touchpoint(json.dumps(nasty), "pay", "2", body=nasty)})
    commit(root, "nasty", "nasty")
    out = tmp_path / "pages"
    write_pages(diff_of(root, "base", "nasty"), load_revision(root, "base"), load_revision(root, "nasty"), out)
    page = (out / "buy.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<img" not in page and "onerror=alert" not in page.replace("onerror=alert(2)&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "default-src 'none'" in page  # and a policy that would refuse a script anyway


# --- the HTML page in Chromium --------------------------------------------------------------------


@pytest.fixture(scope="module")
def pages(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("pages")
    diff = diff_of(repo, "base", "fields")
    write_pages(diff, load_revision(repo, "base"), load_revision(repo, "fields"), out)
    yield out


@pytest.mark.browser
def test_html_page_marks_steps_and_overlays_both_curves(pages: Path, page) -> None:
    page.goto((pages / "buy.html").as_uri())
    assert page.evaluate("document.scripts.length") == 0

    added = page.locator("#step-asks-chat")
    assert added.get_attribute("data-status") == "added"
    assert added.locator(".badge.status").text_content() == "Added"
    assert added.evaluate("e => getComputedStyle(e).borderTopColor") == "rgb(26, 127, 55)"

    ghost = page.locator("#step-visits-site")
    assert ghost.get_attribute("data-status") == "removed" and "ghost" in (ghost.get_attribute("class") or "")
    assert ghost.locator(".badge.status").text_content() == "Removed"
    assert ghost.evaluate("e => getComputedStyle(e).borderTopStyle") == "dashed"
    assert float(ghost.evaluate("e => getComputedStyle(e).opacity")) < 1
    # The ghost stands where the step used to be: after "Sees an ad", in Discover.
    discover = page.locator("#stage-discover .step")
    assert [discover.nth(i).get_attribute("data-touchpoint") for i in range(discover.count())] == ["sees-ad", "visits-site"]

    changed = page.locator("#step-gets-receipt")
    assert changed.get_attribute("data-status") == "changed"
    cells = changed.locator(".cell.changed")
    assert sorted(cells.nth(i).get_attribute("data-field") for i in range(cells.count())) == ["action", "body"]
    title_cell = changed.locator(".cell.changed[data-field=body]")
    assert title_cell.locator("del").text_content() == "A receipt by email."
    assert title_cell.locator("ins").text_content() == "A receipt as a PDF."
    assert title_cell.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 248, 197)"
    emotion = page.locator("#step-compares .cell.changed[data-field=emotion]")
    assert emotion.locator("del").text_content() == "maya: 2; ruth: 4"
    assert emotion.locator("ins").text_content() == "maya: 1; ruth: 4"
    moved = page.locator("#step-reads-reviews")
    assert "Moved from Decide" in (moved.text_content() or "")
    assert page.locator("#stage-pay #step-reads-reviews").count() == 1

    # The new map: added and changed steps marked by their column ids, removed steps absent.
    svg = page.locator("#map svg#new-map")
    assert svg.count() == 1
    hit = page.locator("#new-step-asks-chat > rect").first
    assert hit.evaluate("e => getComputedStyle(e).stroke") == "rgb(26, 127, 55)"
    assert page.locator("#new-step-gets-receipt > rect").first.evaluate("e => getComputedStyle(e).stroke") == "rgb(191, 135, 0)"
    assert page.locator("#new-step-sees-ad > rect").first.evaluate("e => getComputedStyle(e).stroke") != "rgb(26, 127, 55)"
    assert page.locator("#new-step-visits-site").count() == 0

    # Both curves, overlaid on one chart: one per persona and side.
    chart = page.locator("#emotion svg.jm-chart")
    assert chart.count() == 1
    for css in ("series-base", "series-head"):
        curves = chart.locator(f"path.emotion-curve.{css}")
        assert curves.count() >= 2  # Maya and Ruth
        box = curves.first.bounding_box()
        assert box is not None and box["width"] > 50
    base_stroke = chart.locator("path.emotion-curve.series-base").first.evaluate("e => getComputedStyle(e).strokeDasharray")
    head_stroke = chart.locator("path.emotion-curve.series-head").first.evaluate("e => getComputedStyle(e).strokeDasharray")
    assert base_stroke != "none" and head_stroke == "none"  # before dashed, after solid
    legend = chart.locator(".jm-legend").text_content() or ""
    assert "Maya, base" in legend and "Maya, fields" in legend and "Ruth, base" in legend
    assert page.console_errors == []


@pytest.mark.browser
def test_html_index_links_every_changed_journey(repo: Path, tmp_path: Path, page) -> None:
    out = tmp_path / "pages"
    diff = diff_of(repo, "add-stage", "remove-journey")
    write_pages(diff, load_revision(repo, "add-stage"), load_revision(repo, "remove-journey"), out)
    page.goto((out / "index.html").as_uri())
    links = page.locator("main a")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == ["help.html"]
    page.goto((out / "help.html").as_uri())
    assert page.locator("#map").count() == 0  # no new map for a removed journey
    ghost = page.locator("#step-calls")
    assert ghost.get_attribute("data-status") == "removed"
    assert page.locator("#emotion path.emotion-curve.series-head").count() == 0
    assert page.console_errors == []


def test_cli_registers_the_diff_command() -> None:
    """`journeymap diff` is wired into the main command group (cli.py: main.add_command(diff_command))."""
    from journeymap.cli import main

    assert main.commands.get("diff") is diff_command
