"""Plain helper functions shared by the tests (no fixtures here: tests/conftest.py belongs to the lead)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterable, Mapping

import yaml
from click.testing import CliRunner, Result

from journeymap.cli import main as cli_main
from journeymap.diagnostics import Diagnostic
from journeymap.validate import validate_project

REPO = Path(__file__).resolve().parents[1]
INVALID = REPO / "tests" / "invalid"

# The smallest clean site: one journey, one stage, one touchpoint; no personas (so no JM203).
# `today:` pins the review check (JM202) so results never depend on the date.
BASE_CONFIG = """\
site_name: Test site
today: 2026-01-01
channels:
  web: {title: Website, icon: globe}
teams:
  shop: {title: Shop team}
phases:
  buy: {title: Buy}
"""
TOUCHPOINT = "content/journeys/j/touchpoints/01-pay.md"
STAGE = "content/journeys/j/stages/01-buy.md"
JOURNEY = "content/journeys/j/journey.md"
BASE_SITE: dict[str, str] = {
    "site_config.yml": BASE_CONFIG,
    JOURNEY: "---\ntitle: Buying a jacket\n---\nThe journey.\n",
    STAGE: "---\ntitle: Buy\nphase: buy\n---\nThe stage.\n",
    TOUCHPOINT: "---\ntitle: Pays at the till\nstage: buy\nchannel: web\n---\nThe step.\n",
}


def make_site(tmp_path: Path, files: Mapping[str, str | bytes | None] | None = None, base: bool = True) -> Path:
    """Write a site into tmp_path: BASE_SITE (unless base=False) overlaid with `files`.

    A value of None removes that file from the base; bytes are written as they are; text is written
    with '\\n' newlines exactly as given.
    """
    merged: dict[str, str | bytes | None] = {**(BASE_SITE if base else {}), **(files or {})}
    for rel, content in sorted(merged.items()):
        if content is None:
            continue
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
    return tmp_path


def diagnose(root: Path) -> list[Diagnostic]:
    """Every diagnostic of the project in `root` (the whole of `journeymap validate`, in-process)."""
    _, diagnostics = validate_project(root)
    return diagnostics


def triples(diagnostics: Iterable[Diagnostic]) -> set[tuple[str, str, int]]:
    return {(d.code, d.file, d.line) for d in diagnostics}


def codes(diagnostics: Iterable[Diagnostic]) -> list[str]:
    return sorted(d.code for d in diagnostics)


def run_cli(args: list[str], cwd: Path | None = None) -> Result:
    """Run the CLI in-process with click's CliRunner; stdout and stderr are kept apart (click >= 8.2)."""
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(cli_main, args, catch_exceptions=False)
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return runner.invoke(cli_main, args, catch_exceptions=False)
    finally:
        os.chdir(old)


def run_journeymap(args: list[str], cwd: Path | None = None, env: Mapping[str, str] | None = None,
                   executable: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run `journeymap` as a real process: the given console script, else `python -m journeymap`."""
    command = [str(executable)] if executable else [sys.executable, "-m", "journeymap"]
    return subprocess.run(command + args, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True,
                          text=True, timeout=timeout, check=False)


def json_diagnostics(output: str) -> list[dict[str, object]]:
    """The diagnostics list of `journeymap validate --format json` output."""
    return json.loads(output)["diagnostics"]


# --- tests/invalid/ cases -------------------------------------------------------------------------


def invalid_cases() -> list[Path]:
    return sorted(path for path in INVALID.iterdir() if (path / "expect.yml").is_file())


def expected(case: Path) -> list[dict[str, object]]:
    """The expect.yml of a case: a list of {code, file, line[, column]}."""
    data = yaml.safe_load((case / "expect.yml").read_text(encoding="utf-8"))
    assert isinstance(data, list) and data, f"{case}/expect.yml must be a non-empty list"
    return data


def pad_file(path: Path, size: int) -> None:
    """Append Markdown lines to a file until it is at least `size` bytes (for the size-cap case)."""
    line = b"Padding paragraph to push this file over the size limit.\n"
    with path.open("ab") as handle:
        handle.write(line * (size // len(line) + 1))


# Cases that cannot live in git as they are: the size cap would need a 1 MiB file.
CASE_SETUP = {
    "jm009-file-too-large": lambda root: pad_file(root / "content/journeys/j/touchpoints/01-pay.md", 1024 * 1024 + 1),
}


def copy_case(case: Path, tmp_path: Path) -> Path:
    """Copy a tests/invalid case (keeping symlinks as links) into tmp_path and finish its setup."""
    root = tmp_path / case.name
    shutil.copytree(case, root, symlinks=True, ignore=shutil.ignore_patterns("expect.yml"))
    setup = CASE_SETUP.get(case.name)
    if setup:
        setup(root)
    return root


# --- front matter as editors see it (for the JSON Schema tests) -----------------------------------


def plain_front_matter(text: str) -> object:
    """Front matter parsed the way a YAML 1.1 editor does (yaml.safe_load), made JSON-like:
    dates become ISO strings and mapping keys become strings."""
    if text.startswith("---"):
        text = text.split("\n", 1)[1]
        front = text.split("\n---", 1)[0]
    else:
        front = text
    return jsonable(yaml.load(front, Loader=_EditorLoader))  # noqa: S506 - a SafeLoader subclass


class _EditorLoader(yaml.SafeLoader):
    """yaml.safe_load, except that a date-like value that is no real date stays a string."""


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> object:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


_EditorLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def jsonable(value: object) -> object:
    import datetime as dt

    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under root (relative POSIX path -> bytes), for byte-for-byte comparisons."""
    return {path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file()}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate: object, timeout: float = 20) -> None:
    """Poll `predicate` until it is true (connection errors count as not yet); fail after `timeout` s."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():  # type: ignore[operator]
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("timed out")
