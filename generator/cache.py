"""What incremental builds remember: inputs and outputs by content hash, in `.journeymap-cache/`.

A build's output depends on (1) the content files, (2) site_config.yml, (3) the theme folders
(templates, assets, the bundled map font), (4) a custom map font (`theme.font`), (5) journeymap's own
code and version, the Python version and the versions of the libraries that shape output (Jinja2,
MarkupSafe, markdown-it-py, mdit-py-plugins, svgwrite, uharfbuzz, fontTools, Pagefind, pydantic,
PyYAML), and (6) the build options (`--drafts`). Every one of them is hashed: (2)-(6) make the
*global key*; a change there rebuilds everything. Content files are hashed one by one (never their
modification times; `KnownHashes` only spares reading again a file whose stat signature is as when it
was hashed), and each unit of work (see site.py) records which files and which cross-journey facts it
read, so a change re-renders only the units that read it.

The cache folder holds:
- `documents.marshal`: parsed content files by content hash (front matter data and text, body), so a build
  re-parses only the files that changed (`DocumentCache`);
- `build-<target>.json`: one manifest per output folder: the global key, every input's hash, the
  diagnostics of the last successful build, each unit's key and output files, and every output
  file's hash and (size, mtime, inode) as last written;
- `search-<target>/`: the search documents of every page (what Pagefind indexes), so a rebuild can
  re-index without re-rendering;
- `charts.marshal` (the persona pages' emotion charts) and `fonts/` (subsets of the map font);
- `inputs.marshal` (content hashes by stat signature: `KnownHashes`) and `shown.marshal` (what each
  touchpoint shows the site-wide pages, by content hash: `SiteRenderer.shared_reads`).

Manifests of output folders that no longer exist, and all but the most recent few, are pruned.

Anything unreadable or from another format version is ignored (the build is then a full build).
Outputs are verified against the manifest by size, modification time and inode before they are
reused (hard-linked into the new build), so an output edited by hand is re-rendered, never trusted.
"""
from __future__ import annotations

import hashlib
import json
import marshal
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator

from . import __version__
from .content import LazyDocument, SourceDocument, load_document
from .diagnostics import Diagnostic, Severity

FORMAT = 5
TEMPLATE_CACHE_DIR: Path | None = None  # set by build(): compiled templates kept between builds (site.py)
CACHE_DIR = ".journeymap-cache"
LIBRARIES = ("jinja2", "markupsafe", "markdown-it-py", "mdit-py-plugins", "svgwrite", "uharfbuzz", "fonttools",
             "pagefind", "pagefind-bin", "pydantic", "pydantic-core", "pyyaml")
SKIP_NAMES = {"__pycache__", ".DS_Store", "Thumbs.db"}


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def digest_json(value: Any) -> str:
    return digest(json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8"))


# --- what shapes every output -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    from importlib import metadata

    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "-"
    return versions


@lru_cache(maxsize=1)
def code_digest() -> str:
    """journeymap's own source: a development checkout changes code without changing the version."""
    here = Path(__file__).resolve().parent
    parts = []
    for path in sorted(here.rglob("*.py")):
        if "__pycache__" not in path.parts:
            parts.append(path.relative_to(here).as_posix() + ":" + digest(path.read_bytes()))
    return digest("\n".join(parts).encode("utf-8"))


def global_key(inputs: "Inputs", options: dict[str, Any]) -> str:
    """Everything that shapes every output: tool, libraries, Python, options, config, theme, font."""
    return digest_json({
        "format": FORMAT, "version": __version__, "code": code_digest(), "python": sys.version_info[:2],
        "libraries": library_versions(), "options": options,
        "config": inputs.config, "theme": inputs.theme, "font": inputs.font, "content_dir": inputs.content_dir,
    })


# --- inputs -------------------------------------------------------------------------------------------


@dataclass
class Inputs:
    """Every input file by content hash. Keys of `content` are paths relative to the content folder."""

    config: str | None  # hash of site_config.yml (None: missing)
    content_dir: str
    content: dict[str, str]
    theme: list[tuple[str, dict[str, str]]]  # per theme folder in lookup order: (folder, {relative path: hash})
    font: str | None
    data: dict[str, bytes] = field(default_factory=dict, repr=False)  # the content files' bytes, read once


def _files(folder: Path | str) -> Iterator[tuple[str, str]]:
    """Every file under folder (relative POSIX path, path), sorted; dot files and caches left out.
    Paths are strings: a Path per file costs 10 us, and a project has thousands."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(".") or entry.name in SKIP_NAMES:
            continue
        try:
            if entry.is_dir():
                for rel, path in _files(entry.path):
                    yield entry.name + "/" + rel, path
            elif entry.is_file():
                yield entry.name, entry.path
        except OSError:
            continue


def _hash_file(path: Path | str) -> tuple[str, bytes | None]:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return "unreadable", None
    return digest(data), data


def read_settings(root: Path) -> dict[str, Any]:
    """The few settings that say where inputs live, read leniently (validation happens later)."""
    try:
        import yaml

        data = yaml.load((root / "site_config.yml").read_bytes(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except Exception:  # noqa: BLE001 - an invalid config is reported by the real loader
        data = None
    if not isinstance(data, dict):
        data = {}
    theme = data.get("theme") if isinstance(data.get("theme"), dict) else {}
    text = lambda value, default: value if isinstance(value, str) and value else default  # noqa: E731
    return {"content_dir": text(data.get("content_dir"), "content"), "site_dir": text(data.get("site_dir"), "site"),
            "custom_dir": text(theme.get("custom_dir"), None), "font": text(theme.get("font"), None)}


RECENT_NS = 2_000_000_000  # a file changed this shortly before a scan is hashed again by the next one


class KnownHashes:
    """Content hashes of files by stat signature (size, modification and change times, inode, device):
    a content file whose signature is as when it was hashed is not read again (as git's index does).
    The cache stays keyed by content hashes; this only avoids re-reading 5,000 unchanged files. A file
    changed within RECENT_NS of the scan is not remembered: timestamps are coarse, and a second write in
    the same tick, of the same size, would keep the signature."""

    def __init__(self, entries: dict[str, tuple[tuple[int, ...], str]] | None = None):
        self.entries = entries or {}
        self.changed = False

    @classmethod
    def load(cls, path: Path) -> "KnownHashes":
        try:
            with open(path, "rb") as handle:
                header, entries = marshal.loads(handle.read())
            return cls(entries) if header == [FORMAT, sys.version_info[:2]] else cls()
        except Exception:  # noqa: BLE001 - missing or damaged: every file is read
            return cls()

    def save(self, path: Path) -> None:
        if self.changed:
            _atomic_write(path, marshal.dumps([[FORMAT, sys.version_info[:2]], self.entries]))
            self.changed = False

    def hash_files(self, files: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str, bytes | None]]:
        """(relative path, content hash, the bytes when the file was read) for each file; forgets the
        files not among them."""
        entries, self.entries = self.entries, {}
        recent = time.time_ns() - RECENT_NS
        for rel, name in files:
            try:
                st = os.stat(name)
            except OSError:
                yield rel, "unreadable", None
                continue
            signature = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
            known = entries.get(name)
            if known is not None and known[0] == signature:
                self.entries[name] = known
                yield rel, known[1], None
                continue
            content_hash, raw = _hash_file(name)
            if content_hash != "unreadable" and max(st.st_mtime_ns, st.st_ctime_ns) < recent:
                self.entries[name] = (signature, content_hash)
            self.changed = True
            yield rel, content_hash, raw
        self.changed = self.changed or len(self.entries) != len(entries)


def scan_inputs(root: Path, keep_data: bool = True, known: KnownHashes | None = None) -> tuple[Inputs, dict[str, Any]]:
    """Hash every input of the project in `root`. Returns the inputs and the settings used to find them.
    `known` gives the hashes of content files that did not change since it last saw them (not read)."""
    from .themes import default_theme_dir

    settings = read_settings(root)
    config_hash, _ = _hash_file(root / "site_config.yml")
    content_dir = root / settings["content_dir"]
    content: dict[str, str] = {}
    data: dict[str, bytes] = {}
    files = _files(content_dir)
    hashed = known.hash_files(files) if known is not None else ((rel, *_hash_file(path)) for rel, path in files)
    for rel, content_hash, raw in hashed:
        content[rel] = content_hash
        if keep_data and raw is not None and rel.endswith(".md"):
            data[rel] = raw
    folders = [default_theme_dir()]
    if settings["custom_dir"]:
        folders.insert(0, (root / settings["custom_dir"]).resolve())
    theme = [(str(folder), {rel: _hash_file(path)[0] for rel, path in _files(folder)}) for folder in folders]
    font = None
    if settings["font"]:
        font_path = Path(settings["font"])
        font = _hash_file(font_path if font_path.is_absolute() else root / font_path)[0]
    inputs = Inputs(config_hash if config_hash != "unreadable" else None, settings["content_dir"], content, theme, font, data)
    return inputs, settings


# --- parsed documents ------------------------------------------------------------------------------


class DocumentCache:
    """Parsed content files by (path, content hash): a loader for model.load_site / walk_content.

    A cached document is rebuilt from plain data (marshal: fast to read); its marks (line and column
    of every value, needed only to report problems) are rebuilt when first used.
    """

    def __init__(self, entries: dict[str, tuple] | None = None):
        self.entries: dict[str, tuple] = entries or {}
        self.used: dict[str, tuple] = {}
        self.links: dict[str, tuple] = {}  # Markdown body -> its links (markdown.LINKS_MEMO)
        self.links_changed = False
        self.hashes: dict[str, str] = {}  # rel path (as the loader sees it) -> content hash, from scan_inputs
        self.data: dict[str, bytes] = {}
        self.hits = self.misses = 0
        # The documents made from the entries, reused while their file is unchanged: in a long-running
        # process (serve) each is then checked against the schema once (SourceDocument.validated).
        self.objects: dict[str, tuple[str, SourceDocument | None]] = {}

    @classmethod
    def load(cls, path: Path) -> "DocumentCache":
        try:
            with open(path, "rb") as handle:  # marshal.load(file) reads object by object: 4x slower
                header, entries, links = marshal.loads(handle.read())
            if header != [FORMAT, code_digest(), sys.version_info[:2]]:
                return cls()
            cache = cls(entries)
            cache.links = links
            return cache
        except Exception:  # noqa: BLE001 - a missing or damaged cache is an empty one
            return cls()

    def save(self, path: Path) -> None:
        _atomic_write(path, marshal.dumps([[FORMAT, code_digest(), sys.version_info[:2]], self.used, self.links]))

    def __call__(self, file: str | Path, rel: str, kind: str, id_: str, journey: str | None, order: int | None) -> tuple[Any, list[Diagnostic]]:
        raw = self.data.get(rel)
        content_hash = self.hashes.get(rel)
        key = f"{rel}\0{kind}\0{id_}\0{journey}\0{order}"
        entry = self.entries.get(key)
        # scan_inputs read the file, or knew its hash without reading it (KnownHashes): read only to parse
        if content_hash is None or (raw is None and (entry is None or entry[0] != content_hash)):
            try:
                raw = Path(file).read_bytes()
            except OSError:
                return load_document(file, rel, kind, id_, journey, order)
            content_hash = digest(raw)
        if entry is not None and entry[0] == content_hash:
            self.hits += 1
            self.used[key] = entry
            made = self.objects.get(key)
            if made is None or made[0] != content_hash:
                made = self.objects[key] = (content_hash, _document(entry))
            return made[1], [_diagnostic(d) for d in entry[2]]
        self.misses += 1
        doc, problems = load_document(file, rel, kind, id_, journey, order, raw)  # the bytes hashed, not a later version
        entry = (content_hash, _document_row(doc) if doc is not None else None, [d.to_dict() for d in problems])
        self.entries[key] = self.used[key] = entry
        self.objects[key] = (content_hash, doc)
        return doc, problems


def _document_row(doc: LazyDocument) -> tuple:
    # No marks (hundreds per file, read only to report a problem): the document finds them from its
    # front matter text when asked (LazyDocument); kept as bytes, which marshal reads without decoding.
    front = doc.front.encode("utf-8") if isinstance(doc.front, str) else doc.front
    return (doc.path, doc.kind, doc.id, doc.journey, doc.order, doc.data, front, doc.front_line, doc.body, doc.body_line)


def _document(entry: tuple) -> LazyDocument | None:
    row = entry[1]
    return None if row is None else LazyDocument(*row)


def _diagnostic(data: dict[str, Any]) -> Diagnostic:
    return Diagnostic(data["file"], data["line"], data["column"], data["code"], Severity(data["severity"]),
                      data["message"], data.get("hint", ""))


def diagnostics_from(rows: Iterable[dict[str, Any]]) -> list[Diagnostic]:
    return [_diagnostic(row) for row in rows]


# --- the manifest of one output folder ----------------------------------------------------------------


@dataclass
class Manifest:
    """What the last successful build into one site_dir read and wrote."""

    key: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)  # {"content": {...}, "config": ..., "theme": [...], "font": ...}
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    today: str = ""
    units: dict[str, dict[str, Any]] = field(default_factory=dict)  # unit id -> {"key", "files": [output paths], "links": [...]}
    outputs: dict[str, list[Any]] = field(default_factory=dict)  # output path -> [hash, size, mtime_ns, inode]
    copies: dict[str, str] = field(default_factory=dict)  # output path -> hash of the source copied
    search: dict[str, Any] = field(default_factory=dict)  # {"key", "docs": {path: hash}}
    pages: list[str] = field(default_factory=list)  # rendered files (BuildResult.pages)
    site_dir: str = ""  # the output folder it describes

    @classmethod
    def load(cls, path: Path) -> "Manifest | None":
        try:
            data = json.loads(path.read_bytes())
            if data.get("format") != FORMAT:
                return None
            data.pop("format")
            return cls(**data)
        except Exception:  # noqa: BLE001 - a missing or damaged manifest means a full build
            return None

    def save(self, path: Path) -> None:
        data = {"format": FORMAT, **self.__dict__}
        _atomic_write(path, json.dumps(data, separators=(",", ":"), sort_keys=True).encode("utf-8"))


KEEP_MANIFESTS = 8


def prune(cache_dir: Path, keep: Path) -> None:
    """Forget output folders that no longer exist, and all but the KEEP_MANIFESTS most recently built
    (with their search documents): every `--site-dir` would otherwise leave a copy behind for ever."""
    manifests = sorted(cache_dir.glob("build-*.json"), key=lambda path: path.stat().st_mtime, reverse=True)
    for index, path in enumerate(manifests):
        if path == keep:
            continue
        stale = index >= KEEP_MANIFESTS
        if not stale:
            try:
                site_dir = json.loads(path.read_bytes()).get("site_dir", "")
                stale = not site_dir or not Path(site_dir).is_dir()
            except (OSError, ValueError):
                stale = True
        if stale:
            path.unlink(missing_ok=True)
            search = cache_dir / ("search-" + path.stem.removeprefix("build-"))
            if search.is_dir():
                import shutil

                shutil.rmtree(search, ignore_errors=True)


def manifest_path(cache_dir: Path, site_dir: Path, options: dict[str, Any]) -> Path:
    """One manifest per (output folder, options)."""
    return cache_dir / f"build-{digest_json([str(site_dir.resolve()), options])[:16]}.json"


def stat_signature(path: Path | str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def verify_outputs(site_dir: Path, outputs: dict[str, list[Any]], paths: Iterable[str] | None = None) -> set[str]:
    """The output files (of `paths`, default all) that are still exactly as the manifest recorded them."""
    good = set()
    for rel in (outputs if paths is None else paths):
        recorded = outputs.get(rel)
        if recorded is not None and stat_signature(f"{site_dir}/{rel}") == recorded[1:]:  # no pathlib: 10,000 files
            good.add(rel)
    return good


def site_files(site_dir: Path) -> set[str]:
    """Every file under site_dir (relative POSIX paths), dot files included."""
    found: set[str] = set()
    stack = [("", site_dir)]
    while stack:
        prefix, folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            rel = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                stack.append((rel + "/", Path(entry.path)))
            else:
                found.add(rel)
    return found


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def ensure_cache_dir(cache_dir: Path) -> None:
    """Create the cache folder with a note and a .gitignore of its own (in case the project lacks one)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    ignore = cache_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# journeymap's build cache: safe to delete, never commit.\n*\n", encoding="utf-8")
