"""Write an in-memory journey as content files, all or nothing.

Importers build a `NewJourney` (stages and touchpoints as pydantic metas, in journey order) and call
`write_journey`. Files are rendered like `journeymap new` writes them: front matter with a
`# yaml-language-server: $schema=` comment pointing at the project's schemas/ folder, YAML from
yaml.safe_dump. Every rendered file is parsed back with the real loader and compared with the meta it
came from, so what we write always reads back as the same model.

All files go into a hidden temporary folder beside the journey first (the loader ignores dot-folders)
and are moved into place only at the end; an existing journey folder is replaced only with `force`,
and then its journey.md (narrative and fields) and any non-Markdown files are kept.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from ..content import ID_PATTERN, parse_yaml, split_front_matter
from ..diagnostics import DiagnosticError, error
from ..model import Site
from ..output import swap_in
from ..schema import SCHEMA_FILES, JourneyMeta, PersonaMeta, StageMeta, TouchpointMeta


@dataclass
class NewStage:
    id: str
    meta: StageMeta
    body: str = ""


@dataclass
class NewTouchpoint:
    id: str
    meta: TouchpointMeta
    body: str = ""


@dataclass
class NewJourney:
    """A journey read from another format. Fields left None keep the existing journey.md's value."""

    id: str
    stages: list[NewStage]
    touchpoints: list[NewTouchpoint]  # in journey order: stage order, then order within the stage
    title: str | None = None
    summary: str | None = None
    personas: list[str] = field(default_factory=list)  # persona ids the journey needs
    extra: dict[str, Any] = field(default_factory=dict)
    new_personas: dict[str, PersonaMeta] = field(default_factory=dict)  # persona files to create if missing


@dataclass
class WriteResult:
    journey_dir: Path
    files: list[Path]  # every file written, absolute
    personas_created: list[str]
    replaced: bool  # an existing journey folder was replaced (--force)


# --- rendering ------------------------------------------------------------------------------------


def unique_id(base: str, used: set[str]) -> str:
    """`base`, or `base-2`, `base-3`... (within the 64-character id limit) if it is taken."""
    if base not in used:
        return base
    number = 2
    while f"{base[:60]}-{number}" in used:
        number += 1
    return f"{base[:60]}-{number}"


def humanise(slug: str) -> str:
    """'first-purchase' -> 'First purchase'."""
    text = re.sub(r"[-_]+", " ", slug).strip()
    return text[:1].upper() + text[1:] if text else slug


def schema_comment(kind: str, file: Path, root: Path) -> str:
    """The yaml-language-server comment naming the project's schema for `kind`, relative to `file`."""
    rel = os.path.relpath(root / "schemas" / SCHEMA_FILES[kind], file.parent).replace(os.sep, "/")
    return f"# yaml-language-server: $schema={rel}\n"


def _front_data(meta: BaseModel) -> dict[str, Any]:
    data = meta.model_dump(exclude_defaults=True)
    if isinstance(meta, JourneyMeta) and data.get("lanes"):
        # a built-in lane with nothing but its id is written the short way: `- actions`
        data["lanes"] = [lane["id"] if set(lane) == {"id"} else lane for lane in data["lanes"]]
    if isinstance(meta, TouchpointMeta) and data.get("pain_points"):
        # severity is always shown, even the default, so a reader never has to know the default
        data["pain_points"] = [{"title": p.title, "severity": p.severity, **({"description": p.description} if p.description else {})}
                               for p in meta.pain_points]
    return data


def render(kind: str, meta: BaseModel, body: str, file: Path, root: Path) -> str:
    """One content file's text; checked to read back as the same meta."""
    data = _front_data(meta)
    front = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1_000_000, default_flow_style=False) if data else ""
    body = body.strip("\n")
    text = "---\n" + schema_comment(kind, file, root) + front + "---\n" + (body + "\n" if body else "")
    _check_round_trip(text, meta, file.name)
    return text


def _check_round_trip(text: str, meta: BaseModel, name: str) -> None:
    front, _, _ = split_front_matter(text, name)
    data, _, _, problems = parse_yaml(front, name, 2)
    again = type(meta).model_validate(data or {})
    if problems or again != meta:
        raise RuntimeError(f"{name}: the written front matter does not read back as the same value "
                           f"({problems or again!r} != {meta!r})")


def journey_meta(journey: NewJourney, existing: JourneyMeta | None) -> JourneyMeta:
    """journey.md's fields: the existing ones (if any) updated with what the import brings."""
    stage_ids = [stage.id for stage in journey.stages]
    if existing is None:
        return JourneyMeta(title=journey.title or humanise(journey.id), summary=journey.summary or "",
                           personas=list(journey.personas), extra=dict(journey.extra))
    update: dict[str, Any] = {}
    if journey.title and journey.title != existing.title:
        update["title"] = journey.title
    if journey.summary and journey.summary != existing.summary:
        update["summary"] = journey.summary
    missing = [p for p in journey.personas if p not in existing.personas]
    if missing:
        update["personas"] = list(existing.personas) + missing
    if any(existing.extra.get(key) != value for key, value in journey.extra.items()):
        update["extra"] = {**existing.extra, **journey.extra}
    if existing.stages is not None and list(existing.stages) != stage_ids:
        update["stages"] = stage_ids  # keep an explicit order list, in the imported order
    return existing.model_copy(update=update) if update else existing


# --- writing --------------------------------------------------------------------------------------


def _number(index: int, count: int) -> str:
    return str(index + 1).zfill(max(2, len(str(count))))


def plan(site: Site, journey: NewJourney) -> dict[str, str | bytes]:
    """Every file of the journey folder (relative to it) -> its content."""
    root, target = site.root, site.content_dir / "journeys" / journey.id
    existing = site.journeys.get(journey.id)
    meta = journey_meta(journey, existing.meta if existing else None)
    files: dict[str, str | bytes] = {}
    head = target / "journey.md"
    if existing is not None and meta == existing.meta and head.is_file():
        files["journey.md"] = head.read_bytes()  # nothing changes: keep the file byte for byte
    else:
        files["journey.md"] = render("journey", meta, existing.body if existing else "", head, root)
    for index, stage in enumerate(journey.stages):
        rel = f"stages/{_number(index, len(journey.stages))}-{stage.id}.md"
        files[rel] = render("stage", stage.meta, stage.body, target / rel, root)
    for index, tp in enumerate(journey.touchpoints):
        rel = f"touchpoints/{_number(index, len(journey.touchpoints))}-{tp.id}.md"
        files[rel] = render("touchpoint", tp.meta, tp.body, target / rel, root)
    return files


def _check_ids(journey: NewJourney) -> None:
    for kind, ids in (("journey", [journey.id]), ("stage", [s.id for s in journey.stages]),
                      ("touchpoint", [t.id for t in journey.touchpoints]), ("persona", list(journey.new_personas))):
        bad = [i for i in ids if not ID_PATTERN.match(i)]
        if bad or len(set(ids)) != len(ids):
            raise ValueError(f"importer produced invalid or duplicate {kind} ids: {ids}")  # a bug, not user input


def journey_exists(site: Site, journey_id: str) -> DiagnosticError:
    folder = site.content_dir / "journeys" / journey_id
    shown = folder / "journey.md" if (folder / "journey.md").is_file() else folder
    try:
        rel = shown.relative_to(site.root).as_posix()
    except ValueError:
        rel = shown.as_posix()
    return DiagnosticError([error(rel, 1, 1, "JM134", f"journey '{journey_id}' already exists",
                                  "pass --force to replace its stages and touchpoints (journey.md is kept), "
                                  "or choose another id with --journey")])


def write_journey(site: Site, journey: NewJourney, force: bool = False) -> WriteResult:
    """Write the journey (and missing persona files) into the site's content folder, all or nothing.

    Raises DiagnosticError (JM134) when the journey folder exists and `force` is false.
    """
    _check_ids(journey)
    journeys_dir = site.content_dir / "journeys"
    target = journeys_dir / journey.id
    if target.is_symlink() or (target.exists() and not target.is_dir()) or (target.exists() and not force):
        raise journey_exists(site, journey.id)
    files = plan(site, journey)
    personas_dir = site.content_dir / "personas"
    persona_texts = {pid: render("persona", meta, "", personas_dir / f"{pid}.md", site.root)
                     for pid, meta in journey.new_personas.items()
                     if pid not in site.personas and not (personas_dir / f"{pid}.md").exists()}
    journeys_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{journey.id}.importing-", dir=journeys_dir))
    os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it private; the journey folder should not be
    pending: list[tuple[Path, Path]] = []
    try:
        for rel, content in files.items():
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        if target.is_dir():
            _carry_over(target, staging)
        if persona_texts:
            personas_dir.mkdir(parents=True, exist_ok=True)
        for pid, text in persona_texts.items():
            temp = personas_dir / f".{pid}.importing-{os.getpid()}.md"
            temp.write_text(text, encoding="utf-8")
            pending.append((temp, personas_dir / f"{pid}.md"))
        replaced = target.exists()
        swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for temp, _ in pending:
            temp.unlink(missing_ok=True)
        raise
    created: list[str] = []
    for temp, final in pending:
        if final.exists():
            temp.unlink(missing_ok=True)
        else:
            os.replace(temp, final)
            created.append(final.stem)
    written = [target / rel for rel in files] + [personas_dir / f"{pid}.md" for pid in created]
    return WriteResult(target, written, created, replaced)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _carry_over(old: Path, staging: Path) -> None:
    """Keep what an import does not own: files beside journey.md, and non-Markdown files in stages/ and touchpoints/."""
    for entry in sorted(old.iterdir()):
        if entry.name == "journey.md":
            continue
        if entry.name in ("stages", "touchpoints") and entry.is_dir() and not entry.is_symlink():
            for item in sorted(entry.iterdir()):
                if not item.name.endswith(".md") and not (staging / entry.name / item.name).exists():
                    (staging / entry.name).mkdir(exist_ok=True)
                    _copy(item, staging / entry.name / item.name)
            continue
        if not (staging / entry.name).exists():
            _copy(entry, staging / entry.name)


def _copy(source: Path, dest: Path) -> None:
    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, dest, symlinks=True)
    else:
        shutil.copy2(source, dest, follow_symlinks=False)


