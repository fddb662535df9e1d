"""Builds are deterministic: the same content gives the same bytes, wherever and however it is built.

Two real processes build the bundled example into different folders, from different working folders
and with different hash seeds (so set or dict order that leaks into the output shows up), without
SOURCE_DATE_EPOCH; a third, in-process build is the suite's shared example build.
"""
from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from helpers import REPO, run_journeymap, tree_bytes

pytestmark = pytest.mark.slow


def describe_differences(a: dict[str, bytes], b: dict[str, bytes], limit: int = 20) -> str:
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    changed = sorted(name for name in set(a) & set(b) if a[name] != b[name])
    lines = [f"only in A: {only_a}", f"only in B: {only_b}", f"differing ({len(changed)}): {changed[:limit]}"]
    for name in changed[:3]:
        try:
            left, right = a[name].decode("utf-8").splitlines(), b[name].decode("utf-8").splitlines()
        except UnicodeDecodeError:
            lines.append(f"{name}: binary, {len(a[name])} vs {len(b[name])} bytes")
            continue
        diff = list(difflib.unified_diff(left, right, f"A/{name}", f"B/{name}", n=0, lineterm=""))
        lines.extend(line[:300] for line in diff[:12])
    return "\n".join(lines)


def assert_same_tree(a_root: Path, b_root: Path) -> None:
    a, b = tree_bytes(a_root), tree_bytes(b_root)
    assert a and (a_root / "index.html").is_file()
    assert a == b, describe_differences(a, b)


def build(site_dir: Path, cwd: Path, seed: str, project: bool) -> None:
    env = {key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"}
    env["PYTHONHASHSEED"] = seed
    args = ["build", "--site-dir", str(site_dir)] + (["--project", str(REPO)] if project else [])
    result = run_journeymap(args, cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("determinism")
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    build(base / "A", cwd=REPO, seed="1", project=False)  # run inside the project, as a user would
    build(base / "B", cwd=elsewhere, seed="2", project=True)  # from another folder, another hash seed
    return base / "A", base / "B"


def test_two_folders_two_processes_same_bytes(two_builds: tuple[Path, Path]) -> None:
    assert_same_tree(*two_builds)


def test_in_process_build_matches(two_builds: tuple[Path, Path], example_site: Path) -> None:
    assert_same_tree(two_builds[0], example_site)


def test_no_absolute_build_paths_leak(two_builds: tuple[Path, Path]) -> None:
    for root in two_builds:
        for name, data in tree_bytes(root).items():
            assert str(root).encode() not in data, f"{name} names the build folder"
            assert str(REPO).encode() not in data, f"{name} names the project folder"
