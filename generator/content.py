"""Load content files: split front matter from Markdown, parse YAML strictly, keep a mark for every value.

YAML is parsed from the event stream, not constructed: that lets us refuse tags, anchors and aliases,
report duplicate keys with both lines, and keep every scalar as the string the author wrote, so the
model (not YAML 1.1 guessing) decides whether `NO` is a boolean or a title.
"""
from __future__ import annotations

import gc
import os
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Literal

import yaml

from .diagnostics import Diagnostic, error, warning

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 32
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}\Z")  # \Z: "$" would let a trailing newline through
ORDERED_NAME = re.compile(r"^(?:(\d+)-)?(.*)\Z", re.S)
NULLS = {"", "~", "null", "Null", "NULL"}
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Kind = Literal["config", "persona", "journey", "stage", "touchpoint"]
Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Mark:
    """A 1-based position in a file."""

    line: int
    column: int


@dataclass
class SourceDocument:
    """One content file, split and parsed: front matter as plain data (scalars are strings) plus marks."""

    path: str  # POSIX path relative to the project root, as printed in diagnostics
    kind: Kind
    id: str
    journey: str | None = None
    order: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    marks: dict[Path_, Mark] = field(default_factory=dict)  # where each value starts
    key_marks: dict[Path_, Mark] = field(default_factory=dict)  # where each mapping key starts
    body: str = ""
    body_line: int = 1
    raw: bytes = b""
    real_path: str | None = None  # relative to content_dir, links resolved: set by walk_content when none is on the way
    # model.validate_meta's result per model: a document reused between builds (serve) is checked once
    validated: dict[type, tuple[Any, list[Diagnostic]]] = field(default_factory=dict, compare=False, repr=False)

    def mark(self, path: Path_, key: bool = False) -> Mark:
        """The position of the value (or key) at `path`, or of its nearest ancestor that has one."""
        table = self.key_marks if key else self.marks
        for end in range(len(path), 0, -1):
            found = table.get(path[:end]) or self.marks.get(path[:end])
            if found:
                return found
        return self.marks.get((), Mark(1, 1))


class _MarksOnRead:
    """A LazyDocument's `marks` or `key_marks`: found by parsing the front matter again when first read.
    The dataclass __init__ assigns an empty default, which is ignored."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = "_" + name

    def __get__(self, doc: "LazyDocument | None", owner: type | None = None) -> Any:
        if doc is None:
            return self
        if getattr(doc, self.slot) is None:
            doc._parse_marks()
        return getattr(doc, self.slot)

    def __set__(self, doc: "LazyDocument", value: dict[Path_, Mark]) -> None:
        if value:
            setattr(doc, self.slot, value)


class LazyDocument(SourceDocument):
    """A SourceDocument whose marks are found when first read, by parsing its front matter again with
    marks: they are needed only to report a problem, and recording ~100 per file cost more than the parse.
    `front` may be UTF-8 bytes (as the cache keeps it: decoded only if needed)."""

    marks = _MarksOnRead()  # type: ignore[assignment]
    key_marks = _MarksOnRead()  # type: ignore[assignment]

    def __init__(self, path: str, kind: Kind, id_: str, journey: str | None, order: int | None, data: dict[str, Any],
                 front: str | bytes, front_line: int, body: str, body_line: int):
        self.front, self.front_line = front, front_line
        self._marks: dict[Path_, Mark] | None = None
        self._key_marks: dict[Path_, Mark] | None = None
        super().__init__(path, kind, id_, journey, order, data, body=body, body_line=body_line)

    def _parse_marks(self) -> None:
        front = self.front.decode("utf-8") if isinstance(self.front, bytes) else self.front
        _, self._marks, self._key_marks, _ = parse_yaml(front, self.path, self.front_line)


class YamlProblem(Exception):
    """A problem that stops parsing one file."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


@contextmanager
def gc_paused(freeze: bool = False) -> Iterator[None]:
    """Loading makes a few hundred thousand long-lived objects and almost no cycles: the collector
    would walk them again and again as they pile up (a third of the load time at 5,000 touchpoints).
    `freeze`: keep it from walking them at all afterwards (gc.freeze), once, when it is turned on again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()


# --- front matter ---------------------------------------------------------------------------------


def split_front_matter(text: str, path: str) -> tuple[str, str, int]:
    """Return (yaml_text, body, body_first_line); raise YamlProblem when the fences are wrong."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        raise YamlProblem(error(
            path, 1, 1, "JM002", "front matter missing: the file must start with a line '---'",
            "start the file with '---', then the YAML fields, then a closing '---', then the Markdown body",
        ))
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1:]), index + 2
    raise YamlProblem(error(
        path, 1, 1, "JM003", "front matter opened on line 1 is never closed",
        "did you forget the closing '---'? Put a line '---' after the last YAML field",
    ))


# --- strict YAML ----------------------------------------------------------------------------------


class _TreeBuilder:
    """Builds plain data from YAML events, recording marks and collecting non-fatal problems."""

    def __init__(self, path: str, line_offset: int):
        self.path = path
        self.offset = line_offset
        self.marks: dict[Path_, Mark] = {}
        self.key_marks: dict[Path_, Mark] = {}
        self.problems: list[Diagnostic] = []

    def mark(self, event: yaml.Event) -> Mark:
        return Mark(event.start_mark.line + self.offset, event.start_mark.column + 1)

    def build(self, events: Iterator[yaml.Event]) -> Any:
        value: Any = None
        documents = 0
        for event in events:
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:  # YAML would keep only one of them: refuse to guess which
                    where = self.mark(event)
                    raise YamlProblem(error(
                        self.path, where.line, where.column, "JM004", "a second YAML document starts here",
                        "a file holds one YAML document: remove this '---' line or merge the two parts",
                    ))
                value = self.node(next(events), events, ())
            elif isinstance(event, yaml.StreamEndEvent):
                break
        return value

    def check(self, event: yaml.Event) -> None:
        where = self.mark(event)
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            self.problems.append(error(
                self.path, where.line, where.column, "JM007", f"YAML tag '{tag}' is not allowed",
                "remove the tag: content is plain data; quote the value if it must stay text",
            ))
        if getattr(event, "anchor", None) is not None:
            self.problems.append(error(
                self.path, where.line, where.column, "JM008", f"YAML anchor '&{event.anchor}' is not allowed",
                "write the value out in full; anchors and aliases are not supported",
            ))

    def node(self, event: yaml.Event, events: Iterator[yaml.Event], path: Path_) -> Any:
        if len(path) > MAX_DEPTH:
            where = self.mark(event)
            raise YamlProblem(error(
                self.path, where.line, where.column, "JM010", f"nesting deeper than {MAX_DEPTH} levels",
                "flatten the data: no field of the content model nests this deep",
            ))
        self.marks[path] = self.mark(event)
        if isinstance(event, yaml.AliasEvent):
            where = self.mark(event)
            raise YamlProblem(error(
                self.path, where.line, where.column, "JM008", f"YAML alias '*{event.anchor}' is not allowed",
                "write the value out in full; anchors and aliases are not supported",
            ))
        self.check(event)
        if isinstance(event, yaml.ScalarEvent):
            if not event.style and event.value in NULLS and event.tag is None:  # plain style is None or ""
                return None
            return event.value
        if isinstance(event, yaml.SequenceStartEvent):
            items: list[Any] = []
            for child in events:
                if isinstance(child, yaml.SequenceEndEvent):
                    return items
                items.append(self.node(child, events, path + (len(items),)))
        if isinstance(event, yaml.MappingStartEvent):
            return self.mapping(events, path)
        raise AssertionError(f"unexpected YAML event {event!r}")  # the parser guarantees structure

    def mapping(self, events: Iterator[yaml.Event], path: Path_) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_event in events:
            if isinstance(key_event, yaml.MappingEndEvent):
                return result
            where = self.mark(key_event)
            if isinstance(key_event, yaml.AliasEvent):
                raise YamlProblem(error(
                    self.path, where.line, where.column, "JM008", f"YAML alias '*{key_event.anchor}' is not allowed",
                    "write the value out in full; anchors and aliases are not supported",
                ))
            if not isinstance(key_event, yaml.ScalarEvent):
                raise YamlProblem(error(
                    self.path, where.line, where.column, "JM004", "a mapping key must be a plain name",
                    "use 'name: value'; lists and maps cannot be keys",
                ))
            self.check(key_event)
            key = key_event.value
            if key in result:
                first = self.key_marks[path + (key,)]
                self.problems.append(error(
                    self.path, where.line, where.column, "JM006",
                    f"duplicate key '{key}' (first defined on line {first.line})",
                    "remove one of the two; YAML keeps only the last silently, we refuse to guess",
                ))
            else:
                self.key_marks[path + (key,)] = where
            result[key] = self.node(next(events), events, path + (key,))
        return result


def parse_yaml(text: str, path: str, first_line: int) -> tuple[Any, dict[Path_, Mark], dict[Path_, Mark], list[Diagnostic]]:
    """Parse YAML text that starts on `first_line` of `path`. Fatal problems raise YamlProblem."""
    builder = _TreeBuilder(path, first_line)
    try:
        data = builder.build(iter(yaml.parse(text, Loader=YAML_LOADER)))
    except yaml.MarkedYAMLError as exc:
        raise YamlProblem(_syntax_diagnostic(exc, path, first_line, text)) from None
    except yaml.YAMLError as exc:  # errors without a position (e.g. reader errors)
        raise YamlProblem(error(path, first_line, 1, "JM004", f"YAML error: {exc}", "check the YAML syntax")) from None
    return data, builder.marks, builder.key_marks, builder.problems


class _NeedsMarks(Exception):
    """The fast reader met something to report (or refuse): the marking builder reads the text again."""


class _DataReader:
    """Plain data from YAML events, without marks, giving up (_NeedsMarks) at anything _TreeBuilder
    would report: a tag, an anchor or alias, a duplicate or non-scalar key, deep nesting, a second
    document. For a clean file both give the same data; this one in 40% of the time."""

    def __init__(self, next_event: Callable[[], Any]):
        self.next_event = next_event

    def document(self) -> Any:
        value, documents = None, 0
        while True:
            event = self.next_event()
            kind = event.__class__
            if kind is yaml.StreamEndEvent:
                return value
            if kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _NeedsMarks
                value = self.node(self.next_event(), 0)

    def node(self, event: Any, depth: int) -> Any:
        kind = event.__class__
        if depth > MAX_DEPTH or kind is yaml.AliasEvent or event.anchor is not None or event.tag not in (None, "!"):
            raise _NeedsMarks
        if kind is yaml.ScalarEvent:
            if not event.style and event.value in NULLS and event.tag is None:
                return None
            return event.value
        if kind is yaml.SequenceStartEvent:
            items: list[Any] = []
            while True:
                child = self.next_event()
                if child.__class__ is yaml.SequenceEndEvent:
                    return items
                items.append(self.node(child, depth + 1))
        if kind is yaml.MappingStartEvent:
            return self.mapping(depth)
        raise _NeedsMarks

    def mapping(self, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while True:
            key = self.next_event()
            kind = key.__class__
            if kind is yaml.MappingEndEvent:
                return result
            if kind is not yaml.ScalarEvent or key.anchor is not None or key.tag not in (None, "!") or key.value in result:
                raise _NeedsMarks
            # interned: the same few field names in every file (less memory, and the cache reads faster)
            result[sys.intern(key.value)] = self.node(self.next_event(), depth + 1)


def parse_yaml_data(text: str) -> Any:
    """The data of YAML text as parse_yaml finds it, without marks (see LazyDocument). Raises _NeedsMarks
    when parse_yaml would report a problem (a syntax error included)."""
    parser = YAML_LOADER(text)
    try:
        return _DataReader(parser.get_event).document()
    except yaml.YAMLError:
        raise _NeedsMarks from None
    finally:
        parser.dispose()


def _syntax_diagnostic(exc: yaml.MarkedYAMLError, path: str, first_line: int, text: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line = (mark.line if mark else 0) + first_line
    column = (mark.column if mark else 0) + 1
    problem = (exc.problem or exc.context or "syntax error").strip()
    source_line = text.split("\n")[line - first_line] if mark and line - first_line < len(text.split("\n")) else ""
    if "\t" in problem or "tab" in problem.lower() or source_line[: max(column, 1)].lstrip(" ").startswith("\t"):
        tab_column = source_line.index("\t") + 1 if "\t" in source_line else column
        return error(path, line, tab_column, "JM005", "tab character used for indentation",
                     "indent YAML with spaces only (two per level); replace the tab with spaces")
    hint = "check the indentation and quoting on this line"
    if "mapping values are not allowed" in problem:
        hint = "a value containing ': ' must be quoted, e.g. title: \"Step: one\""
    elif "could not find expected ':'" in problem:
        hint = "each field is 'name: value'; did you forget a ':' or quote a value containing '#' or ':'?"
    return error(path, line, column, "JM004", f"YAML syntax error: {problem}", hint)


# --- files ----------------------------------------------------------------------------------------


def read_text(file: Path, rel: str) -> str:
    """Read a UTF-8 file within the size cap, normalising newlines; raise YamlProblem otherwise."""
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _too_big(rel, size)
        raw = file.read_bytes()
    except OSError as exc:
        raise YamlProblem(error(rel, 1, 1, "JM001", f"file cannot be read: {exc.strerror or exc}",
                                "check that the file exists and is readable")) from None
    return decode_text(raw, rel)


def decode_text(raw: bytes, rel: str) -> str:
    """A file's bytes as text (UTF-8, within the size cap, newlines normalised); raise YamlProblem otherwise."""
    if len(raw) > MAX_FILE_BYTES:
        raise _too_big(rel, len(raw))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlProblem(error(rel, line, 1, "JM001", "file is not valid UTF-8", "save the file as UTF-8")) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _too_big(rel: str, size: int) -> YamlProblem:
    return YamlProblem(error(rel, 1, 1, "JM009", f"file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit",
                             "split the content or move large data out of the file"))


def load_document(file: str | Path, rel: str, kind: Kind, id_: str, journey: str | None, order: int | None,
                  raw: bytes | None = None) -> tuple[SourceDocument | None, list[Diagnostic]]:
    """Load one content file (from `raw`, its bytes, when the caller has read them). Returns (None,
    diagnostics) when it cannot be parsed at all."""
    try:
        text = read_text(Path(file), rel) if raw is None else decode_text(raw, rel)
        if kind == "config":
            front, body, body_line, first_line = text, "", 1, 1
        else:
            front, body, body_line = split_front_matter(text, rel)
            first_line = 2
        try:
            data, marks, problems = parse_yaml_data(front), None, []
        except _NeedsMarks:
            data, *marks, problems = parse_yaml(front, rel, first_line)
    except YamlProblem as problem:
        return None, [problem.diagnostic]
    if data is None:
        data = {}
    doc = LazyDocument(rel, kind, id_, journey, order, data, front, first_line, body, body_line)
    if marks:
        doc.marks, doc.key_marks = marks
    if not isinstance(data, dict):
        where = doc.marks.get((), Mark(first_line, 1))
        return None, problems + [error(rel, where.line, where.column, "JM011", "front matter must be a set of 'field: value' lines",
                                       "write one 'name: value' per line between the '---' fences")]
    return doc, problems


def parse_name(name: str) -> tuple[int | None, str]:
    """'03-purchase' -> (3, 'purchase'); 'purchase' -> (None, 'purchase')."""
    match = ORDERED_NAME.match(name)
    assert match is not None
    number, rest = match.groups()
    if number is not None and rest:
        return int(number), rest
    return None, name


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")
    return slug[:64] or "item"


def _id_problem(rel: str, id_: str, what: str) -> Diagnostic:
    return error(rel, 1, 1, "JM012", f"invalid {what} id '{id_}' in the file name",
                 f"ids are lower-case letters, digits, '-' and '_' (at most 64); rename it, e.g. '{slugify(id_)}'")


@dataclass
class ContentTree:
    """Every loadable document of a content folder, plus the problems found loading it."""

    documents: list[SourceDocument]
    diagnostics: list[Diagnostic]
    assets: list[str]  # non-Markdown files (images...), relative to the content folder
    files: set[str] = field(default_factory=set)  # every file, relative to the content folder
    failed: list[tuple[Kind, str | None, str]] = field(default_factory=list)  # (kind, journey, id) of files that did not parse


def classify(parts: tuple[str, ...]) -> tuple[Kind, str | None, str] | None:
    """Map a path inside content/ to (kind, journey id, file stem), or None if it is not a content file."""
    stem = parts[-1][:-3]
    if len(parts) == 2 and parts[0] == "personas":
        return "persona", None, stem
    if len(parts) == 3 and parts[0] == "journeys" and parts[2] == "journey.md":
        return "journey", parts[1], parts[1]
    if len(parts) == 4 and parts[0] == "journeys" and parts[2] in ("stages", "touchpoints"):
        return ("stage" if parts[2] == "stages" else "touchpoint"), parts[1], stem
    return None


def walk_content(content_dir: Path, project_root: Path, loader: Callable[..., tuple[SourceDocument | None, list[Diagnostic]]] | None = None) -> ContentTree:
    """Load every Markdown file under content_dir, in sorted order; refuse symlinks that leave it.

    `loader` replaces `load_document` (same arguments and result): build.py passes one that reuses
    documents parsed by an earlier build when the file's bytes are unchanged.
    """
    load = loader or load_document
    tree = ContentTree([], [], [])
    documents, diagnostics, assets = tree.documents, tree.diagnostics, tree.assets
    root = content_dir.resolve()
    prefix = display_prefix(content_dir, project_root)
    for file, parts, linked in _sorted_files(str(content_dir), (), root, project_root, diagnostics):
        inside = "/".join(parts)
        rel = prefix + inside
        tree.files.add(inside)
        if not parts[-1].endswith(".md"):
            assets.append(inside)
            continue
        where = classify(parts)
        if where is None:
            diagnostics.append(warning(rel, 1, 1, "JM015", "file is not part of the content model and is ignored",
                                       "content files live in personas/, journeys/<id>/journey.md, journeys/<id>/stages/ or journeys/<id>/touchpoints/"))
            continue
        kind, journey, stem = where
        order, id_ = parse_name(stem) if kind in ("stage", "touchpoint") else (None, stem)
        bad = [(value, what) for value, what in ((journey, "journey"), (id_, kind)) if value is not None and not ID_PATTERN.match(value)]
        if bad:
            diagnostics.append(_id_problem(rel, bad[0][0], bad[0][1]))
            tree.failed.append((kind, journey, id_))
            continue
        doc, problems = load(file, rel, kind, id_, journey, order)  # a str: a cached document needs no Path
        diagnostics.extend(problems)
        if doc is not None:
            doc.real_path = None if linked else inside
            documents.append(doc)
        else:
            tree.failed.append((kind, journey, id_))
    return tree


def _sorted_files(folder: str, parts: tuple[str, ...], root: Path, project_root: Path, diagnostics: list[Diagnostic],
                  ancestors: frozenset[str] = frozenset(), linked: bool = False) -> Iterator[tuple[str, tuple[str, ...], bool]]:
    """Every file under `folder` as (path, its parts relative to the content folder, whether a symlink is
    on the way), in name order."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    ancestors = ancestors | {os.path.realpath(folder)}  # real folders on the way down: a link back is a loop
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            link = entry.is_symlink()
            if link:
                target = Path(os.path.realpath(entry.path))  # never raises on loops, unlike Path.resolve() on 3.11
                if not target.is_relative_to(root):
                    diagnostics.append(error(_display_path(Path(entry.path), project_root), 1, 1, "JM013",
                                             "symlink points outside the content folder",
                                             "copy the file into the content folder instead of linking to it"))
                    continue
                if str(target) in ancestors:
                    raise OSError("symlink loop")
            is_dir, is_file = entry.is_dir(), entry.is_file()
        except OSError:  # a symlink loop, or an entry we may not stat
            diagnostics.append(error(_display_path(Path(entry.path), project_root), 1, 1, "JM001",
                                     "file cannot be read (a symlink loop or no permission)",
                                     "remove the link or fix the file's permissions"))
            continue
        if is_dir:
            yield from _sorted_files(entry.path, parts + (entry.name,), root, project_root, diagnostics, ancestors, linked or link)
        elif is_file:
            yield entry.path, parts + (entry.name,), linked or link


def display_prefix(folder: Path, project_root: Path) -> str:
    """What a file's path inside `folder` (relative to it, POSIX) needs in front to be its display path:
    the path relative to the project, as diagnostics print it (one relative_to per folder, not per file)."""
    shown = _display_path(folder, project_root)
    return "" if shown == "." else shown.rstrip("/") + "/"


def _display_path(path: Path, project_root: Path) -> str:
    try:
        return path.relative_to(project_root).as_posix()
    except ValueError:
        return path.as_posix()
