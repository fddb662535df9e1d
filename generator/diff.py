"""A semantic diff of two content models: what changed in the journeys, not which YAML lines moved.

Two steps, each with a plain data type:

- `read_revision` / `load_revision`: a git revision (or the working tree) -> Site. A revision's files
  (site_config.yml, the content folder, and the theme font / custom_dir it names) are materialised
  from git's object store into a temporary folder and loaded with the ordinary loader, so a revision
  loads exactly like a checkout would. Content that does not load is reported as Diagnostics.
- `diff_sites`: Site x Site -> SiteDiff (plain dataclasses, deterministic order), which the renderers
  in diff_report.py (text, Markdown, JSON) and diff_html.py (pages per changed journey) turn into output.

What counts as a change, and in which order findings are listed, is documented in docs/diff.md.
"""
from __future__ import annotations

import bisect
import os
import posixpath
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable

from .diagnostics import Diagnostic, sort_diagnostics
from .model import CONFIG_FILE, Journey, Persona, Site, Stage, Touchpoint, load_config, load_site

WORKING_TREE = "working tree"


# --- loading a revision ---------------------------------------------------------------------------


class RevisionError(Exception):
    """A usage problem: not a git repository, git missing, or an unknown revision (exit code 2)."""


class RevisionContentError(Exception):
    """A revision's content does not load (raised by `load_revision`; carries the diagnostics)."""

    def __init__(self, revision: "Revision"):
        errors = [d for d in revision.diagnostics if d.is_error]
        super().__init__(f"{revision.label}: {len(errors)} content error(s)")
        self.revision = revision


@dataclass
class Revision:
    """One side of a diff: the loaded site (None if nothing loads), its load diagnostics and a label."""

    label: str  # the revision as the user gave it, or "working tree"
    commit: str | None  # the full commit id, None for the working tree
    site: Site | None
    diagnostics: list[Diagnostic]
    report: str = ""  # the diagnostics as text, rendered while the files still existed

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


def load_revision(project: Path, rev: str | None, *, workdir: Path | None = None) -> Site:
    """The site of the project at git revision `rev` (None: the working tree).

    Raises RevisionError for usage problems (unknown revision, not a git repository) and
    RevisionContentError when the revision's content has load errors.
    """
    revision = read_revision(project, rev, workdir=workdir)
    if revision.site is None or revision.errors:
        raise RevisionContentError(revision)
    return revision.site


def read_revision(project: Path, rev: str | None, *, workdir: Path | None = None) -> Revision:
    """Load one side of a diff. Content problems become diagnostics; only usage problems raise.

    Files of a revision are written under `workdir` (which the caller keeps as long as it renders
    from the Site, e.g. maps that need the site's font); without it, a temporary folder is used and
    removed once the site is loaded (the Site keeps its documents in memory).
    """
    from .report import format_text

    project = project.resolve()
    if rev is None:
        site, diagnostics = load_site(project)
        diagnostics = sort_diagnostics(diagnostics)
        report = "\n".join(format_text(d, project) for d in diagnostics if d.is_error)
        return Revision(WORKING_TREE, None, site, diagnostics, report)
    git = _Git(project)
    commit = git.commit(rev)
    if workdir is not None:
        return _materialised(git, rev, commit, Path(tempfile.mkdtemp(prefix="rev-", dir=workdir)))
    with tempfile.TemporaryDirectory(prefix="journeymap-diff-") as tmp:
        return _materialised(git, rev, commit, Path(tmp))


def _materialised(git: "_Git", rev: str, commit: str, tmp: Path) -> Revision:
    from .report import format_text

    repo = tmp / "repo"
    root = repo / git.prefix if git.prefix else repo
    root.mkdir(parents=True, exist_ok=True)
    git.checkout(commit, [posixpath.join(git.prefix, CONFIG_FILE)], repo)
    config, _, _ = load_config(root)
    wanted = [config.content_dir if config else "content"]
    if config is not None:
        wanted += [path for path in (config.theme.font, config.theme.custom_dir) if path]
    paths = [_repo_path(git.prefix, path) for path in wanted]
    git.checkout(commit, [path for path in paths if path is not None], repo)
    site, diagnostics = load_site(root)
    diagnostics = sort_diagnostics(diagnostics)
    report = "\n".join(f"{rev}:{format_text(d, root)}" for d in diagnostics if d.is_error)
    return Revision(rev, commit, site, diagnostics, report)


def _repo_path(prefix: str, path: str) -> str | None:
    """A path relative to the project as a path relative to the repository top; None if it leaves it."""
    if PurePosixPath(path).is_absolute():
        return None
    joined = posixpath.normpath(posixpath.join(prefix, path))
    return None if joined == ".." or joined.startswith("../") else ("" if joined == "." else joined)


class _Git:
    """The few git plumbing commands a diff needs; every call is an argument list, never a shell."""

    def __init__(self, project: Path):
        self.project = project
        if not project.is_dir():
            raise RevisionError(f"project folder '{project}' does not exist")
        top = self._run(["rev-parse", "--show-toplevel"], cwd=project, what="find the git repository")
        self.top = Path(top.decode().strip())
        self.prefix = self._run(["rev-parse", "--show-prefix"], cwd=project).decode().strip().rstrip("/")

    def _run(self, args: list[str], *, cwd: Path | None = None, input: bytes | None = None, what: str = "") -> bytes:
        try:
            result = subprocess.run(["git", *args], cwd=cwd or self.top, input=input, capture_output=True, check=False,
                                    env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
        except FileNotFoundError:
            raise RevisionError("git is not installed (journeymap diff reads revisions with git)") from None
        if result.returncode != 0:
            detail = result.stderr.decode(errors="replace").strip().splitlines()
            reason = detail[-1] if detail else f"git {args[0]} failed"
            if what == "find the git repository":
                raise RevisionError(f"{self.project} is not inside a git repository ({reason})")
            raise RevisionError(f"git {args[0]} failed: {reason}")
        return result.stdout

    def commit(self, rev: str) -> str:
        if not rev or rev.startswith("-") or "\0" in rev or "\n" in rev:
            raise RevisionError(f"'{rev}' is not a revision")
        try:
            out = self._run(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"])
        except RevisionError:
            raise RevisionError(f"unknown revision '{rev}' (is it fetched? in CI, check out with fetch-depth: 0)") from None
        return out.decode().strip()

    def checkout(self, commit: str, paths: list[str], into: Path) -> None:
        """Write the blobs under `paths` at `commit` into `into` (paths relative to the repository top)."""
        if not paths:
            return
        specs = [] if "" in paths else [f":(literal){path}" for path in paths]  # "" is the whole tree
        listing = self._run(["ls-tree", "-r", "-z", "--full-tree", commit, "--", *specs])
        entries: list[tuple[str, str, str]] = []  # (mode, object id, path)
        for record in listing.split(b"\0"):
            if not record:
                continue
            meta, _, path = record.partition(b"\t")
            mode, kind, oid = meta.decode().split()
            if kind == "blob" and mode in ("100644", "100755", "120000"):
                entries.append((mode, oid, path.decode("utf-8", errors="surrogateescape")))
        if not entries:
            return
        batch = self._run(["cat-file", "--batch"], input="".join(f"{oid}\n" for _, oid, _ in entries).encode())
        root = into.resolve()
        offset = 0
        for mode, oid, path in entries:
            header_end = batch.index(b"\n", offset)
            size = int(batch[offset:header_end].split()[2])
            data = batch[header_end + 1:header_end + 1 + size]
            offset = header_end + 1 + size + 1
            target = (root / path)
            if not str(target.resolve(strict=False)).startswith(str(root) + os.sep):
                continue  # never write outside the folder, whatever the tree holds
            target.parent.mkdir(parents=True, exist_ok=True)
            if mode == "120000":
                os.symlink(os.fsdecode(data), target)  # the loader refuses links that leave the content folder
            else:
                target.write_bytes(data)


# --- the diff model -------------------------------------------------------------------------------


@dataclass
class FieldChange:
    """One front-matter field (or `body`) whose value changed: JSON-ready old and new values."""

    field: str
    old: Any
    new: Any


@dataclass
class Item:
    """A stage, touchpoint or persona that was added or removed."""

    id: str
    title: str
    stage: str | None = None  # touchpoints: the stage id it is in (new side for added, old for removed)
    position: int | None = None  # touchpoints: 1-based place in journey order; stages: in stage order
    stage_title: str | None = None


@dataclass
class ItemChange:
    """A stage, touchpoint or persona present on both sides whose fields changed."""

    id: str
    title: str
    fields: list[FieldChange]
    stage: str | None = None
    stage_title: str | None = None

    def changed(self, name: str) -> bool:
        return any(change.field == name for change in self.fields)


@dataclass
class Move:
    """A touchpoint that now belongs to another stage."""

    id: str
    title: str
    old_stage: str
    new_stage: str
    old_stage_title: str
    new_stage_title: str


@dataclass
class Reorder:
    """A stage or touchpoint whose place changed beyond what additions, removals and moves explain."""

    id: str
    title: str
    old_position: int  # 1-based; touchpoints: place in journey order, stages: in stage order
    new_position: int


@dataclass
class EmotionChange:
    """An emotion score of a touchpoint present on both sides; persona None is a score for everyone."""

    touchpoint: str
    title: str
    persona: str | None
    old: int | None
    new: int | None

    @property
    def delta(self) -> int | None:
        return None if self.old is None or self.new is None else self.new - self.old


@dataclass
class Finding:
    """A pain point or opportunity added, removed or changed (identified by touchpoint and title)."""

    touchpoint: str
    touchpoint_title: str
    title: str
    details: dict[str, Any]  # severity/description or impact/effort/description (new side; old for removed)
    fields: list[FieldChange] = field(default_factory=list)  # for changed ones


@dataclass
class FindingsDiff:
    added: list[Finding] = field(default_factory=list)
    removed: list[Finding] = field(default_factory=list)
    changed: list[Finding] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass
class JourneyDiff:
    """Everything that changed in one journey; `status` is added, removed or changed."""

    id: str
    title: str
    status: str
    fields: list[FieldChange] = field(default_factory=list)
    stages_added: list[Item] = field(default_factory=list)
    stages_removed: list[Item] = field(default_factory=list)
    stages_changed: list[ItemChange] = field(default_factory=list)
    stages_reordered: list[Reorder] = field(default_factory=list)
    touchpoints_added: list[Item] = field(default_factory=list)
    touchpoints_removed: list[Item] = field(default_factory=list)
    touchpoints_changed: list[ItemChange] = field(default_factory=list)
    touchpoints_moved: list[Move] = field(default_factory=list)
    touchpoints_reordered: list[Reorder] = field(default_factory=list)
    emotions: list[EmotionChange] = field(default_factory=list)
    pain_points: FindingsDiff = field(default_factory=FindingsDiff)
    opportunities: FindingsDiff = field(default_factory=FindingsDiff)
    not_compared: list[str] = field(default_factory=list)  # stage/touchpoint ids whose file failed to load on a side

    def __bool__(self) -> bool:
        return self.status != "changed" or any((
            self.fields, self.stages_added, self.stages_removed, self.stages_changed, self.stages_reordered,
            self.touchpoints_added, self.touchpoints_removed, self.touchpoints_changed, self.touchpoints_moved,
            self.touchpoints_reordered, self.emotions, self.pain_points, self.opportunities, self.not_compared))


@dataclass
class SiteDiff:
    """The semantic difference between two sites; empty lists mean no change of that kind."""

    base: str = ""
    head: str = ""
    config: list[FieldChange] = field(default_factory=list)  # top-level keys of site_config.yml
    personas_added: list[Item] = field(default_factory=list)
    personas_removed: list[Item] = field(default_factory=list)
    personas_changed: list[ItemChange] = field(default_factory=list)
    journeys: list[JourneyDiff] = field(default_factory=list)  # added, removed and changed; by id
    not_compared: list[str] = field(default_factory=list)  # "persona:x" / "journey:y" whose files failed to load
    base_errors: int = 0  # load errors of each side (set by the command); their files are not compared
    head_errors: int = 0

    @property
    def journeys_added(self) -> list[JourneyDiff]:
        return [j for j in self.journeys if j.status == "added"]

    @property
    def journeys_removed(self) -> list[JourneyDiff]:
        return [j for j in self.journeys if j.status == "removed"]

    @property
    def journeys_changed(self) -> list[JourneyDiff]:
        return [j for j in self.journeys if j.status == "changed"]

    @property
    def is_empty(self) -> bool:
        return not (self.config or self.personas_added or self.personas_removed or self.personas_changed or self.journeys)


# --- comparing ------------------------------------------------------------------------------------


def diff_sites(base: Site, head: Site, *, base_label: str = "", head_label: str = "") -> SiteDiff:
    """Compare two loaded sites. Items whose files failed to load on either side are not compared."""
    result = SiteDiff(base_label, head_label)
    broken = base.broken | head.broken
    result.not_compared = sorted(f"{kind}:{id_}" for kind, id_ in broken)
    result.config = _fields(_dump(base.config), _dump(head.config)) if base.config_ok and head.config_ok else []
    personas = _compare_keys(base.personas, head.personas, {id_ for kind, id_ in broken if kind == "persona"})
    for persona_id, old, new in personas:
        if old is None:
            result.personas_added.append(Item(persona_id, new.meta.name))
        elif new is None:
            result.personas_removed.append(Item(persona_id, old.meta.name))
        else:
            changes = _doc_fields(old, new)
            if changes:
                result.personas_changed.append(ItemChange(persona_id, new.meta.name, changes))
    journeys = _compare_keys(base.journeys, head.journeys, {id_ for kind, id_ in broken if kind == "journey"})
    for journey_id, old_j, new_j in journeys:
        found = diff_journeys(old_j, new_j)
        if found:
            result.journeys.append(found)
    return result


def _compare_keys(old: dict[str, Any], new: dict[str, Any], skip: set[str]) -> list[tuple[str, Any, Any]]:
    return [(key, old.get(key), new.get(key)) for key in sorted(set(old) | set(new)) if key not in skip]


def diff_journeys(old: Journey | None, new: Journey | None) -> JourneyDiff:
    """Compare two versions of a journey; None on one side means the journey was added or removed."""
    assert old is not None or new is not None
    some = new or old
    assert some is not None
    status = "added" if old is None else "removed" if new is None else "changed"
    result = JourneyDiff(some.id, some.meta.title, status)
    skip = (old.broken_ids if old else set()) | (new.broken_ids if new else set())
    result.not_compared = sorted(skip)
    if old is not None and new is not None:
        result.fields = _doc_fields(old, new)
    _stages(result, old, new, skip)
    _touchpoints(result, old, new, skip)
    return result


def _stages(result: JourneyDiff, old: Journey | None, new: Journey | None, skip: set[str]) -> None:
    old_stages = [s for s in (old.stages if old else []) if s.id not in skip]
    new_stages = [s for s in (new.stages if new else []) if s.id not in skip]
    old_by_id = {s.id: s for s in old_stages}
    new_by_id = {s.id: s for s in new_stages}
    for index, stage in enumerate(new_stages, 1):
        before = old_by_id.get(stage.id)
        if before is None:
            result.stages_added.append(Item(stage.id, stage.meta.title, position=index))
            continue
        changes = _doc_fields(before, stage)
        if changes:
            result.stages_changed.append(ItemChange(stage.id, stage.meta.title, changes))
    for index, stage in enumerate(old_stages, 1):
        if stage.id not in new_by_id:
            result.stages_removed.append(Item(stage.id, stage.meta.title, position=index))
    old_pos = {s.id: i for i, s in enumerate(old_stages, 1)}
    new_pos = {s.id: i for i, s in enumerate(new_stages, 1)}
    common = [s.id for s in new_stages if s.id in old_pos]
    for stage_id in _out_of_order(common, old_pos):
        result.stages_reordered.append(Reorder(stage_id, new_by_id[stage_id].meta.title, old_pos[stage_id], new_pos[stage_id]))


def all_touchpoints(journey: Journey | None) -> list[Touchpoint]:
    """Journey order, then touchpoints that name an unknown stage (a validation error, but still content)."""
    return (journey.touchpoints + journey.unplaced) if journey else []


def _touchpoints(result: JourneyDiff, old: Journey | None, new: Journey | None, skip: set[str]) -> None:
    old_tps = [tp for tp in all_touchpoints(old) if tp.id not in skip]
    new_tps = [tp for tp in all_touchpoints(new) if tp.id not in skip]
    old_by_id = {tp.id: tp for tp in old_tps}
    new_by_id = {tp.id: tp for tp in new_tps}
    old_stage = _stage_titles(old)
    new_stage = _stage_titles(new)
    old_pos = {tp.id: i for i, tp in enumerate(old_tps, 1)}
    new_pos = {tp.id: i for i, tp in enumerate(new_tps, 1)}
    for tp in new_tps:
        before = old_by_id.get(tp.id)
        if before is None:
            result.touchpoints_added.append(Item(tp.id, tp.meta.title, tp.stage_id, new_pos[tp.id], new_stage(tp.stage_id)))
            _findings(result, None, tp)
            continue
        changes = _doc_fields(before, tp)
        if changes:
            result.touchpoints_changed.append(ItemChange(tp.id, tp.meta.title, changes, tp.stage_id, new_stage(tp.stage_id)))
        if before.stage_id != tp.stage_id:
            result.touchpoints_moved.append(Move(tp.id, tp.meta.title, before.stage_id, tp.stage_id,
                                                 old_stage(before.stage_id), new_stage(tp.stage_id)))
        result.emotions += _emotions(before, tp)
        _findings(result, before, tp)
    for tp in old_tps:
        if tp.id not in new_by_id:
            result.touchpoints_removed.append(Item(tp.id, tp.meta.title, tp.stage_id, old_pos[tp.id], old_stage(tp.stage_id)))
            _findings(result, tp, None)
    # Reordering: touchpoints that stayed in their stage, compared within that stage, so that a moved
    # stage or touchpoint does not make every neighbour look reordered.
    for stage_id in dict.fromkeys(tp.stage_id for tp in new_tps):
        common = [tp.id for tp in new_tps if tp.stage_id == stage_id and tp.id in old_by_id
                  and old_by_id[tp.id].stage_id == stage_id]
        for tp_id in _out_of_order(common, old_pos):
            result.touchpoints_reordered.append(Reorder(tp_id, new_by_id[tp_id].meta.title, old_pos[tp_id], new_pos[tp_id]))
    result.touchpoints_reordered.sort(key=lambda r: r.new_position)


def _out_of_order(sequence: list[str], old_position: dict[str, int]) -> list[str]:
    """Ids of `sequence` (new order) outside one longest run that keeps the old order.

    Those are the fewest items whose moves explain the new order. Among runs of equal length the one
    ending in the smallest old positions is kept, so the answer is deterministic: when two neighbours
    swap, the one that moved forward is reported.
    """
    values = [old_position[item] for item in sequence]
    # Longest increasing subsequence, O(n log n), with predecessor links.
    tails: list[int] = []  # index into values of the smallest tail of a run of each length
    previous: list[int] = [-1] * len(values)
    tail_values: list[int] = []
    for index, value in enumerate(values):
        place = bisect.bisect_left(tail_values, value)
        if place > 0:
            previous[index] = tails[place - 1]
        if place == len(tails):
            tails.append(index)
            tail_values.append(value)
        else:
            tails[place] = index
            tail_values[place] = value
    keep: set[int] = set()
    cursor = tails[-1] if tails else -1
    while cursor != -1:
        keep.add(cursor)
        cursor = previous[cursor]
    return [item for index, item in enumerate(sequence) if index not in keep]


def _emotions(old: Touchpoint, new: Touchpoint) -> list[EmotionChange]:
    """Per-persona score changes; a shared score counts for every persona the other side names."""
    before, after = old.scores(), new.scores()
    named = sorted({key for key in (*before, *after) if key is not None})
    keys: list[str | None] = list(named) or [None]
    changes = []
    for persona in keys:
        was = before.get(persona, before.get(None))
        now = after.get(persona, after.get(None))
        if was != now:
            changes.append(EmotionChange(new.id, new.meta.title, persona, was, now))
    return changes


def _findings(result: JourneyDiff, old: Touchpoint | None, new: Touchpoint | None) -> None:
    some = new or old
    assert some is not None
    for kind, target in (("pain_points", result.pain_points), ("opportunities", result.opportunities)):
        before = [item.model_dump(mode="json") for item in (getattr(old.meta, kind) if old else [])]
        after = [item.model_dump(mode="json") for item in (getattr(new.meta, kind) if new else [])]
        old_titles = Counter(item["title"] for item in before)
        new_titles = Counter(item["title"] for item in after)
        seen: Counter[str] = Counter()
        for item in after:
            seen[item["title"]] += 1
            if seen[item["title"]] > old_titles[item["title"]]:
                target.added.append(Finding(some.id, some.meta.title, item["title"], _details(item)))
                continue
            match = [x for x in before if x["title"] == item["title"]][seen[item["title"]] - 1]
            changes = _fields(match, item)
            if changes:
                target.changed.append(Finding(some.id, some.meta.title, item["title"], _details(item), changes))
        seen.clear()
        for item in before:
            seen[item["title"]] += 1
            if seen[item["title"]] > new_titles[item["title"]]:
                target.removed.append(Finding(some.id, (old or some).meta.title, item["title"], _details(item)))


def _details(item: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in item.items() if key != "title"}


# --- field comparison -----------------------------------------------------------------------------


def _dump(meta: Any) -> dict[str, Any]:
    return meta.model_dump(mode="json")


def _doc_fields(old: Journey | Stage | Touchpoint | Persona, new: Journey | Stage | Touchpoint | Persona) -> list[FieldChange]:
    """Every front-matter field whose value differs (defaults filled in), then the body."""
    changes = _fields(_dump(old.meta), _dump(new.meta))
    if _body(old.body) != _body(new.body):
        changes.append(FieldChange("body", _body(old.body), _body(new.body)))
    return changes


def _fields(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    """Changed keys in the order the model declares them (new keys last, sorted)."""
    keys = list(old) + sorted(set(new) - set(old))
    return [FieldChange(key, old.get(key), new.get(key)) for key in keys if old.get(key) != new.get(key)]


def _body(text: str) -> str:
    """Bodies compare without leading/trailing blank lines and trailing spaces at line ends."""
    return "\n".join(line.rstrip() for line in text.strip("\n").split("\n")).strip()


def _stage_titles(journey: Journey | None) -> Callable[[str], str]:
    """Stage id -> its title in `journey` (the id itself for a stage that does not exist there)."""
    titles = {stage.id: stage.meta.title for stage in journey.stages} if journey else {}
    return lambda stage_id: titles.get(stage_id, stage_id)
