"""Cheap start-up: commands import only what they use (checked with `python -X importtime`).

`journeymap --help` needs click and nothing heavy; `validate` loads and checks content (PyYAML,
pydantic, markdown-it for links) but never the renderer (Jinja2, svgwrite, HarfBuzz); a build that
finds nothing changed loads nothing at all (no model, no templates).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import make_site

pytestmark = pytest.mark.slow

HEAVY = {"jinja2", "svgwrite", "uharfbuzz", "pydantic", "markdown_it", "fontTools", "mkdocs"}
RENDERER = {"jinja2", "svgwrite", "uharfbuzz", "fontTools"}


def imported(args: list[str], cwd: Path | None = None) -> set[str]:
    """Top-level package names a `python -X importtime -m journeymap ARGS` process imported."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "journeymap", *args], cwd=cwd,
                            capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    names = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            names.add(name.split(".")[0])
    assert names, result.stderr[-2000:]
    return names


def test_help_imports_nothing_heavy() -> None:
    names = imported(["--help"])
    assert "click" in names
    assert not names & HEAVY, sorted(names & HEAVY)


def test_validate_does_not_import_the_renderer(tmp_path: Path) -> None:
    root = make_site(tmp_path / "project")
    names = imported(["validate"], cwd=root)
    assert "pydantic" in names and "yaml" in names
    assert not names & RENDERER, sorted(names & RENDERER)


def test_build_with_nothing_to_do_imports_nothing_heavy(tmp_path: Path) -> None:
    root = make_site(tmp_path / "project")
    first = subprocess.run([sys.executable, "-m", "journeymap", "build"], cwd=root, capture_output=True, text=True,
                           timeout=300)
    assert first.returncode == 0, first.stderr
    names = imported(["build"], cwd=root)
    assert not names & HEAVY, sorted(names & HEAVY)


EXITING = """
import atexit, sys, threading, time
from pathlib import Path
from journeymap.cli import _exit_now
out = Path(sys.argv[1])

def late() -> None:
    time.sleep(0.3)
    (out / "thread").write_text("done")

threading.Thread(target=late).start()  # not a daemon: the interpreter waits for it, so must _exit_now
atexit.register(lambda: (out / "atexit").write_text("ran"))
sys.stdout.write("buffered, not flushed")
_exit_now(3)
"""


def test_the_quick_exit_waits_for_threads_runs_exit_handlers_and_flushes(tmp_path: Path) -> None:
    """`journeymap` ends without freeing its memory object by object (cli.run), but only after what
    the interpreter does first: threads that are not daemons are waited for, exit handlers run, and
    buffered output is written; the exit status is the command's."""
    result = subprocess.run([sys.executable, "-c", EXITING, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 3, result.stderr
    assert result.stdout == "buffered, not flushed"
    assert (tmp_path / "thread").read_text() == "done" and (tmp_path / "atexit").read_text() == "ran"


@pytest.mark.parametrize(("args", "status", "says"), [
    (["build"], 1, "error JM004"),  # bad content
    (["validate", "--format", "nosuch"], 2, "Invalid value"),  # a usage error
    (["--version"], 0, "journeymap, version"),
])
def test_the_command_exits_with_its_status(tmp_path: Path, args: list[str], status: int, says: str) -> None:
    root = make_site(tmp_path / "project")
    touchpoint = next((root / "content").rglob("touchpoints/*.md"))
    touchpoint.write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "journeymap", *args], cwd=root, capture_output=True, text=True, timeout=120)
    assert result.returncode == status, result.stderr
    assert says in result.stdout + result.stderr
