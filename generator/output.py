"""Write a built site atomically: into a temporary folder beside site_dir, then swap it in; or, for an
incremental build, update the last build in place, file by file (`update_in_place`).

Safety rules: site_dir may not be, contain or lie inside the content folder, the theme, the project
root, the home folder or /; a non-empty site_dir is replaced only if it carries our marker file (so we
never delete a folder we did not create); files hosts need (CNAME, .nojekyll, _headers, keep_files)
are carried over into the new build.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterable, Mapping

from .diagnostics import DiagnosticError, error

MARKER = ".journeymap-site"
MARKER_TEXT = "This folder was written by journeymap build; the next build replaces it.\n"
ALWAYS_KEPT = ("CNAME", ".nojekyll", "_headers", "_redirects")


def check_site_dir(site_dir: Path, project_root: Path, sources: Mapping[str, Path]) -> None:
    """Refuse a site_dir that is, contains or lies inside a source folder (content, theme), or that is
    or contains the project root, the home folder or / (resolved paths, not string prefixes)."""
    target = site_dir.resolve()
    outer = {"/": Path("/"), "the home folder": Path.home(), "the project root": project_root}
    for name, path in {**outer, **sources}.items():
        path = path.resolve()
        inside = name in sources and target.is_relative_to(path)
        if path.is_relative_to(target) or inside:
            raise DiagnosticError([error("site_config.yml", 1, 1, "JM120",
                                         f"site_dir '{site_dir}' is, contains or lies inside {name} ({path})",
                                         "choose a separate output folder such as 'site'")])
    if target.exists() and not target.is_dir():
        raise DiagnosticError([error("site_config.yml", 1, 1, "JM120", f"site_dir '{site_dir}' exists and is not a folder",
                                     "choose a folder name for the output")])
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).is_file():
        raise DiagnosticError([error("site_config.yml", 1, 1, "JM120",
                                     f"site_dir '{site_dir}' is not empty and was not written by journeymap",
                                     f"choose an empty or new folder; journeymap replaces only folders holding its {MARKER} marker")])


def write_site(site_dir: Path, files: Mapping[str, bytes], copies: Mapping[str, Path], keep: Iterable[str] = (),
               finish: Callable[[Path], None] | None = None) -> None:
    """Write `files` (relative path -> bytes) and `copies` (relative path -> source file) as site_dir.

    Everything is written to a sibling temporary folder first; `finish(staging)` runs on the complete
    folder (the search indexer reads the written pages); only then is it swapped in.
    """
    target = site_dir.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it 0700; a web server running as another user must read the site
        for rel, data in sorted(files.items()):
            _safe_path(staging, rel).write_bytes(data)
        for rel, source in sorted(copies.items()):
            shutil.copyfile(source, _safe_path(staging, rel))
        for name in sorted(set(ALWAYS_KEPT) | set(keep)):
            kept = target / name
            if kept.is_file() and not (staging / name).exists():
                shutil.copy2(kept, _safe_path(staging, name))
        if finish is not None:
            finish(staging)
        (staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


# --- a staging folder written file by file (build.py, parallel.py) ---------------------------------------
# The folder is fresh (mkdtemp) and only ever gets regular files and folders, so a path is safe when it
# is relative and has no empty, '.' or '..' part: checked without a system call per file. Files are
# created, never rewritten in place: an unchanged file may be a hard link to the current site's file,
# which must stay byte-identical until the swap (a failed build leaves the old site as it was).

_made_dirs: set[str] = set()


def checked_path(root: Path | str, rel: str) -> str:
    """root/rel for a relative path that cannot leave root; raises ValueError otherwise. A string, not a
    Path: a big site's build joins 30,000 of them."""
    parts = rel.split("/")
    if not rel or rel.startswith("/") or "\0" in rel or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"refusing to write outside the site folder: {rel!r}")
    return f"{root}/{rel}"


def _parent(path: str) -> None:
    parent = os.path.dirname(path)
    if parent not in _made_dirs:
        try:
            os.mkdir(parent)  # its own parent mostly exists already: one system call, not makedirs' three
        except FileExistsError:
            pass
        except FileNotFoundError:
            os.makedirs(parent, exist_ok=True)
        _made_dirs.add(parent)


def write_new(root: Path | str, rel: str, data: bytes) -> str:
    """Create root/rel with `data` (a new file: an existing one is unlinked first, never overwritten)."""
    path = checked_path(root, rel)
    _parent(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        os.unlink(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return path


def link_new(root: Path | str, rel: str, source: Path | str) -> str:
    """Create root/rel as a hard link to `source` (the same bytes without copying them), or a copy
    where hard links are not possible."""
    path = checked_path(root, rel)
    _parent(path)
    try:
        os.link(source, path)
    except FileExistsError:
        os.unlink(path)
        return link_new(root, rel, source)
    except FileNotFoundError:  # a folder of that name was made and removed since (_made_dirs remembers it)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.link(source, path)
    except OSError:
        shutil.copyfile(source, path)
    return path


def copy_new(root: Path | str, rel: str, source: Path | str) -> str:
    path = checked_path(root, rel)
    _parent(path)
    if os.path.lexists(path):
        os.unlink(path)
    shutil.copyfile(source, path)
    return path


def make_staging(site_dir: Path) -> Path:
    """A fresh folder beside site_dir to build the next site in (see swap_in)."""
    target = site_dir.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
    staging.chmod(0o755)  # mkdtemp makes it 0700; a web server running as another user must read the site
    _made_dirs.clear()
    return staging


def _safe_path(root: Path, rel: str) -> Path:
    """root/rel, refusing any path that would leave root; creates the parent folders."""
    path = (root / rel).resolve()
    if not path.is_relative_to(root.resolve()) or path == root.resolve():
        raise ValueError(f"refusing to write outside the site folder: {rel!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def swap_in(staging: Path, target: Path, remove: str = "now") -> None:
    """Replace target with staging; the old build is removed only after the new one is in place.

    `remove`: "now" deletes the old folder before returning; "thread" or "process" delete it in the
    background (a long-running server; a command that should not wait for 10,000 unlinks), and the
    next swap sweeps up any old folder such a deletion left behind.
    """
    if not target.exists():
        os.replace(staging, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.replace(target, old)  # onto the empty folder just made: a unique name, even for builds in one process
    try:
        os.replace(staging, target)
    except BaseException:
        os.replace(old, target)
        raise
    leftovers = [path for path in target.parent.glob(f".{target.name}.old-*") if path != old]
    remove_trees([old] + leftovers, remove)


def update_in_place(staging: Path, target: Path, moves: Iterable[str], stale: Iterable[str]) -> None:
    """Bring target (the last build) up to date from staging (the files an incremental build wrote):
    delete `stale` (files the new site does not have), then move `moves` from staging into place, each
    with one rename (a reader sees the old file or the new one, never a partial file); staging is
    removed. Unchanged files are not touched, so a one-file change does not rebuild a folder tree of
    thousands of pages (a new folder costs as much as a new file: 0.2 ms each on some disks). If this
    stops half-way, the manifest of the last build no longer matches the replaced or deleted files, so
    the next build renders them again."""
    try:
        folders: set[str] = set()
        for rel in sorted(stale):
            path = checked_path(target, rel)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            folders.add(os.path.dirname(path))
        _remove_empty_folders(folders, str(target))
        for rel in sorted(moves):
            path = checked_path(target, rel)
            try:
                os.replace(f"{staging}/{rel}", path)
            except FileNotFoundError:  # a new folder
                os.makedirs(os.path.dirname(path), exist_ok=True)
                os.replace(f"{staging}/{rel}", path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _remove_empty_folders(folders: set[str], root: str) -> None:
    """Remove each folder that is now empty, and its parents up to root (a deleted journey's folders)."""
    for folder in sorted(folders, key=len, reverse=True):
        while folder != root and folder.startswith(root + "/"):
            try:
                os.rmdir(folder)
            except OSError:  # not empty (or already gone)
                break
            folder = os.path.dirname(folder)


def remove_trees(paths: list[Path], how: str = "now") -> None:
    """Delete folders now, or in a background thread or a detached process."""
    if not paths:
        return
    if how == "process" and os.name == "posix" and shutil.which("rm"):
        import subprocess

        try:
            subprocess.Popen(["rm", "-rf", "--", *map(str, paths)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
            return
        except OSError:
            pass
    if how in ("thread", "process"):
        import threading

        threading.Thread(target=lambda: [shutil.rmtree(path, ignore_errors=True) for path in paths], daemon=True,
                         name="journeymap-remove").start()
        return
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)
