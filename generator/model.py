"""SourceDocuments -> Site: typed journeys, stages, touchpoints and personas, in journey order.

This step checks each file against its schema and puts the pieces together (ids, order). Cross-file
rules (references, scales, review dates) belong to validate.py.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, TypeVar, get_args, get_origin

from pydantic import BaseModel, ValidationError

from .content import Mark, SourceDocument, gc_paused, load_document, walk_content
from .diagnostics import Diagnostic, did_you_mean, error
from .schema import (BUILTIN_LANES, JourneyMeta, LaneSpec, PersonaMeta, SiteConfig, StageMeta,
                     TouchpointMeta)

CONFIG_FILE = "site_config.yml"
M = TypeVar("M", bound=BaseModel)


@dataclass
class Persona:
    id: str
    meta: PersonaMeta
    source: SourceDocument

    @property
    def body(self) -> str:
        return self.source.body


@dataclass
class Touchpoint:
    id: str
    journey_id: str
    meta: TouchpointMeta
    source: SourceDocument

    @property
    def body(self) -> str:
        return self.source.body

    @property
    def stage_id(self) -> str:
        return self.meta.stage

    def scores(self) -> dict[str | None, int]:
        """Emotion per persona id; the key None holds a score shared by every persona."""
        emotion = self.meta.emotion
        if emotion is None:
            return {}
        return dict(emotion) if isinstance(emotion, dict) else {None: emotion}


@dataclass
class Stage:
    id: str
    journey_id: str
    meta: StageMeta
    source: SourceDocument
    touchpoints: list[Touchpoint] = field(default_factory=list)

    @property
    def body(self) -> str:
        return self.source.body


@dataclass
class Journey:
    id: str
    meta: JourneyMeta
    source: SourceDocument
    stages: list[Stage] = field(default_factory=list)
    lanes: list[LaneSpec] = field(default_factory=list)
    unplaced: list[Touchpoint] = field(default_factory=list)  # touchpoints naming an unknown stage
    broken_ids: set[str] = field(default_factory=set)  # stage/touchpoint ids whose files failed to load

    @property
    def body(self) -> str:
        return self.source.body

    @property
    def touchpoints(self) -> list[Touchpoint]:
        """Every step in journey order: stage order, then touchpoint order within the stage."""
        return [tp for stage in self.stages for tp in stage.touchpoints]

    def stage(self, stage_id: str) -> Stage | None:
        return next((stage for stage in self.stages if stage.id == stage_id), None)

    def touchpoint(self, touchpoint_id: str) -> Touchpoint | None:
        return next((tp for tp in self.touchpoints if tp.id == touchpoint_id), None)

    @property
    def is_draft(self) -> bool:
        return self.meta.status == "draft"


@dataclass
class Site:
    root: Path
    config: SiteConfig
    config_source: SourceDocument | None
    journeys: dict[str, Journey]  # sorted by id
    personas: dict[str, Persona]  # sorted by id
    content_dir: Path
    assets: list[str] = field(default_factory=list)  # non-Markdown files, relative to content_dir
    content_files: set[str] = field(default_factory=set)  # every .md file, relative to content_dir
    config_ok: bool = True
    broken: set[tuple[str, str]] = field(default_factory=set)  # (kind, id) of personas and journeys whose files failed

    def published(self, include_drafts: bool = False) -> list[Journey]:
        """The journeys a build publishes, in id order."""
        return [j for j in self.journeys.values() if include_drafts or not j.is_draft]


# --- schema diagnostics ---------------------------------------------------------------------------


def validate_meta(doc: SourceDocument, model: type[M]) -> tuple[M | None, list[Diagnostic]]:
    """Check a document's front matter against its model; every problem becomes a Diagnostic."""
    done = doc.validated.get(model)
    if done is None:
        done = doc.validated[model] = _validate_meta(doc, model)
    return done[0], list(done[1])


def _validate_meta(doc: SourceDocument, model: type[M]) -> tuple[M | None, list[Diagnostic]]:
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        errors = exc.errors()
    # A misspelt required key is one mistake: report the unknown key (with its did-you-mean), not also the missing one.
    misspelt = {path[:-1] + (close[0],) for err in errors if err["type"] == "extra_forbidden"
                for path in [_data_path(doc.data, err["loc"])] if path
                for close in [difflib.get_close_matches(str(path[-1]), sorted(_fields_at(model, path[:-1])), n=1, cutoff=0.6)] if close}
    diagnostics = [_schema_diagnostic(doc, model, err) for err in errors
                   if not (err["type"] == "missing" and _data_path(doc.data, err["loc"]) in misspelt)]
    # Keep going without the bad top-level fields, so reference checks still see the rest of the file.
    bad = {err["loc"][0] for err in errors if err["loc"]}
    if any(key in model.model_fields and model.model_fields[key].is_required() for key in bad):
        return None, diagnostics
    try:
        return model.model_validate({k: v for k, v in doc.data.items() if k not in bad}), diagnostics
    except ValidationError:
        return None, diagnostics


def _schema_diagnostic(doc: SourceDocument, model: type[BaseModel], err: Any) -> Diagnostic:
    path = _data_path(doc.data, err["loc"])
    dotted = ".".join(str(part) for part in path) or "(front matter)"
    kind = err["type"]
    if kind == "extra_forbidden":
        where = doc.mark(path, key=True)
        allowed = _fields_at(model, path[:-1])
        return error(doc.path, where.line, where.column, "JM101",
                     f"unknown field '{path[-1]}'{did_you_mean(str(path[-1]), allowed)}",
                     f"allowed fields here: {', '.join(sorted(allowed))}" + ("; free-form data goes under 'extra:'" if "extra" in allowed else ""))
    if kind == "missing":
        missing = err["loc"][-1]
        owner = path[:-1] if path and path[-1] == missing else path  # _data_path keeps the missing key itself
        where = doc.mark(owner) if owner else doc.marks.get((), Mark(1, 1))
        parent = f" in '{'.'.join(str(part) for part in owner)}'" if owner else ""
        return error(doc.path, where.line, where.column, "JM102", f"required field '{missing}' is missing{parent}",
                     f"add a line '{missing}: ...'" + _describe(model, owner + (missing,)))
    where = doc.mark(path)
    message = err["msg"].removeprefix("Value error, ")
    return error(doc.path, where.line, where.column, "JM103", f"invalid value for '{dotted}': {message}",
                 "fix the value" + _describe(model, path))


def _data_path(data: Any, loc: Iterable[Any]) -> tuple[str | int, ...]:
    """Keep the parts of a pydantic error location that index into the data (drop union tags)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not part.startswith(("function-", "list[", "dict[", "int", "str")):
            path.append(part)  # a missing or unknown key
            break
    return tuple(path)


def _model_at(model: type[BaseModel], path: tuple[str | int, ...]) -> type[BaseModel] | None:
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return None
        current = _inner_model(current.model_fields[part].annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    """Find the BaseModel inside list[...], Optional[...], Annotated[...], dict[str, ...]."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in reversed(get_args(annotation)) if get_origin(annotation) is not None or get_args(annotation) else ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _fields_at(model: type[BaseModel], path: tuple[str | int, ...]) -> list[str]:
    found = _model_at(model, path)
    return list(found.model_fields) if found else []


def _describe(model: type[BaseModel], path: tuple[str | int, ...]) -> str:
    keys = [part for part in path if isinstance(part, str)]
    parent = _model_at(model, tuple(path[:-1])) if path else None
    if not keys or parent is None or keys[-1] not in parent.model_fields:
        return ""
    description = parent.model_fields[keys[-1]].description
    return f" ({keys[-1]}: {description})" if description else ""


# --- assembly -------------------------------------------------------------------------------------


def load_config(root: Path) -> tuple[SiteConfig | None, SourceDocument | None, list[Diagnostic]]:
    """Read and check site_config.yml in `root`."""
    path = root / CONFIG_FILE
    if not path.is_file():
        return None, None, [error(CONFIG_FILE, 1, 1, "JM014", f"no {CONFIG_FILE} in {root}",
                                  "run journeymap in the folder holding site_config.yml, pass --project DIR, or create a site with 'journeymap new DIR'")]
    doc, problems = load_document(path, CONFIG_FILE, "config", "site_config", None, None)
    if doc is None:
        return None, None, problems
    config, schema_problems = validate_meta(doc, SiteConfig)
    return config, doc, problems + schema_problems


def load_site(root: Path, loader: Any = None) -> tuple[Site | None, list[Diagnostic]]:
    """Load site_config.yml and every content file under `root`; None when nothing can be loaded.

    `loader` is passed to walk_content (a cache of parsed documents, see cache.py)."""
    with gc_paused():
        return _load_site(root.resolve(), loader)


def _load_site(root: Path, loader: Any) -> tuple[Site | None, list[Diagnostic]]:
    config, config_doc, diagnostics = load_config(root)
    if config_doc is None:
        return None, diagnostics
    # A bad value drops its whole field (a vocabulary, a scale): checking references against what is left
    # would only report follow-up errors, so cross-file checks wait until the config is fixed.
    config_ok = config is not None and not any(d.code in ("JM102", "JM103") for d in diagnostics)
    config = config or SiteConfig(site_name="(invalid site_config.yml)")
    content_dir = root / config.content_dir
    if not content_dir.is_dir():
        where = config_doc.mark(("content_dir",))
        diagnostics.append(error(CONFIG_FILE, where.line, where.column, "JM016", f"content folder '{config.content_dir}' does not exist",
                                 "create it, or set 'content_dir:' in site_config.yml to the folder holding personas/ and journeys/"))
    tree = walk_content(content_dir, root, loader)
    diagnostics += tree.diagnostics
    personas = _personas(tree.documents, diagnostics)
    journeys = _journeys(tree.documents, config, diagnostics, tree.failed)
    site = Site(root, config, config_doc, journeys, personas, content_dir, tree.assets, tree.files, config_ok)
    # Files that failed are already reported: remember their ids so references to them do not cascade.
    site.broken = {(kind, id_) for kind, _, id_ in tree.failed if kind in ("persona", "journey")}
    site.broken |= {(doc.kind, doc.id) for doc in tree.documents if doc.kind == "persona" and doc.id not in personas}
    site.broken |= {("journey", doc.journey) for doc in tree.documents if doc.journey and doc.journey not in journeys}
    return site, diagnostics


def _personas(documents: list[SourceDocument], diagnostics: list[Diagnostic]) -> dict[str, Persona]:
    personas: dict[str, Persona] = {}
    for doc in documents:
        if doc.kind != "persona":
            continue
        meta, problems = validate_meta(doc, PersonaMeta)
        diagnostics += problems
        if meta is not None:
            personas[doc.id] = Persona(doc.id, meta, doc)
    return dict(sorted(personas.items()))


def _journeys(documents: list[SourceDocument], config: SiteConfig, diagnostics: list[Diagnostic],
              failed: Iterable[tuple[str, str | None, str]] = ()) -> dict[str, Journey]:
    by_journey: dict[str, list[SourceDocument]] = {}
    for doc in documents:
        if doc.journey is not None:
            by_journey.setdefault(doc.journey, []).append(doc)
    failed_ids: dict[str, set[tuple[str, str]]] = {}
    for kind, journey_id, id_ in failed:
        if journey_id is not None:
            failed_ids.setdefault(journey_id, set()).add((kind, id_))
    journeys: dict[str, Journey] = {}
    for journey_id in sorted(by_journey):
        journey = _journey(journey_id, by_journey[journey_id], config, diagnostics, failed_ids.get(journey_id, set()))
        if journey is not None:
            journeys[journey_id] = journey
    return journeys


def _journey(journey_id: str, docs: list[SourceDocument], config: SiteConfig, diagnostics: list[Diagnostic],
             failed: set[tuple[str, str]] = set()) -> Journey | None:  # noqa: B006 - never mutated
    head = next((doc for doc in docs if doc.kind == "journey"), None)
    if head is None and ("journey", journey_id) in failed:
        return None  # journey.md did not parse; that error is reported already
    if head is None:
        first = docs[0]
        diagnostics.append(error(first.path, 1, 1, "JM102", f"journey folder '{journey_id}' has no journey.md",
                                 f"add content/journeys/{journey_id}/journey.md with at least 'title:'"))
        return None
    meta, problems = validate_meta(head, JourneyMeta)
    diagnostics += problems
    if meta is None:
        return None
    journey = Journey(journey_id, meta, head, lanes=list(meta.lanes or config.lanes))
    journey.broken_ids = {id_ for kind, id_ in failed if kind in ("stage", "touchpoint")}
    stages = _unique(journey, [d for d in docs if d.kind == "stage"], StageMeta, diagnostics)
    touchpoints = _unique(journey, [d for d in docs if d.kind == "touchpoint"], TouchpointMeta, diagnostics)
    journey.stages = [Stage(doc.id, journey_id, meta_, doc) for doc, meta_ in
                      _ordered(stages, meta.stages, head, ("stages",), "stage", diagnostics, journey.broken_ids)]
    for stage in journey.stages:
        members = [(doc, m) for doc, m in touchpoints if m.stage == stage.id]
        stage.touchpoints = [Touchpoint(doc.id, journey_id, m, doc) for doc, m in
                             _ordered(members, stage.meta.touchpoints, stage.source, ("touchpoints",), "touchpoint", diagnostics,
                                      journey.broken_ids)]
    known = {stage.id for stage in journey.stages}
    journey.unplaced = [Touchpoint(doc.id, journey_id, m, doc) for doc, m in touchpoints if m.stage not in known]
    return journey


def _unique(journey: Journey, docs: list[SourceDocument], model: type[M], diagnostics: list[Diagnostic]) -> list[tuple[SourceDocument, M]]:
    """Validate documents of one kind; report duplicate ids; remember ids of files that failed."""
    seen: dict[str, SourceDocument] = {}
    result: list[tuple[SourceDocument, M]] = []
    for doc in docs:
        if doc.id in seen:
            diagnostics.append(error(doc.path, 1, 1, "JM112", f"duplicate {doc.kind} id '{doc.id}' (also {seen[doc.id].path})",
                                     "ids come from file names without the NN- prefix; rename one of the files"))
            continue
        seen[doc.id] = doc
        meta, problems = validate_meta(doc, model)
        diagnostics += problems
        if meta is None:
            journey.broken_ids.add(doc.id)
        else:
            result.append((doc, meta))
    return result


def _ordered(items: list[tuple[SourceDocument, M]], listed: list[str] | None, owner: SourceDocument,
             key: tuple[str], what: str, diagnostics: list[Diagnostic], broken: set[str] = set()) -> list[tuple[SourceDocument, M]]:  # noqa: B006
    """Order by NN- prefix then id, unless `listed` gives the order; mismatches are JM117."""
    by_prefix = sorted(items, key=lambda item: (item[0].order is None, item[0].order or 0, item[0].id))
    if listed is None:
        return by_prefix
    by_id = {doc.id: (doc, meta) for doc, meta in items}  # ids are unique here (_unique)
    ordered: list[tuple[SourceDocument, M]] = []
    placed: set[str] = set()  # by id: comparing documents by value would read their marks (and be quadratic)
    for index, item_id in enumerate(listed):
        if item_id not in by_id and item_id not in broken:  # a file that failed is reported already
            where = owner.mark(key + (index,))
            diagnostics.append(error(owner.path, where.line, where.column, "JM117",
                                     f"'{key[0]}' lists unknown {what} '{item_id}'{did_you_mean(item_id, by_id)}",
                                     f"list only ids of existing {what} files, or remove the '{key[0]}:' list to order by file name"))
        elif item_id in by_id and item_id not in placed:
            ordered.append(by_id[item_id])
            placed.add(item_id)
    for doc, meta in by_prefix:
        if doc.id not in placed:
            where = owner.mark(key)
            diagnostics.append(error(owner.path, where.line, where.column, "JM117",
                                     f"{what} '{doc.id}' is missing from the '{key[0]}' list",
                                     f"add '{doc.id}' to '{key[0]}:' or remove the list to order by file name"))
            ordered.append((doc, meta))
            placed.add(doc.id)
    return ordered


def lane_title(lane: LaneSpec) -> str:
    return lane.title or BUILTIN_LANES.get(lane.id, lane.id.replace("_", " ").capitalize())
