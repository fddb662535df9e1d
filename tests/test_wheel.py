"""The wheel is complete: built from a copy of the working tree, installed with its dependencies into a
fresh venv, it scaffolds, validates and builds a site in a folder outside the repository, theme included.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from helpers import REPO, tree_bytes

pytestmark = pytest.mark.slow
IGNORED = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "site", "__pycache__", "node_modules", ".venv",
                                 ".hypothesis", ".pytest_cache", ".journeymap-cache", "tests", "benchmarks")


def run(command: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    shutil.copytree(REPO, source, ignore=IGNORED, symlinks=True)
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(base / "dist"), str(source)], cwd=base)
    [wheel] = sorted((base / "dist").glob("journeymap-*.whl"))
    venv = base / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=base)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)], cwd=base)
    outside = base / "outside"
    outside.mkdir()
    return {"wheel": wheel, "bin": bin_dir, "outside": outside}


def test_wheel_ships_theme_and_schemas(installed: dict[str, Path]) -> None:
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    theme = [p.relative_to(REPO).as_posix() for p in sorted((REPO / "theme").rglob("*"))
             if p.is_file() and "__pycache__" not in p.parts]
    missing = [name for name in theme if f"journeymap/{name}" not in names]
    assert not missing, f"theme files missing from the wheel: {missing}"
    for schema in sorted((REPO / "schemas").glob("*.json")):
        assert f"journeymap/schemas/{schema.name}" in names
    assert "journeymap/cli.py" in names
    assert not any(name.startswith(("generator/", "tests/", "content/")) for name in names)


def test_installed_package_is_the_wheel(installed: dict[str, Path]) -> None:
    result = run([str(installed["bin"] / "python"), "-c", "import journeymap; print(journeymap.__file__)"],
                 cwd=installed["outside"])
    assert "site-packages" in result.stdout and str(REPO) not in result.stdout
    version = run([str(installed["bin"] / "journeymap"), "--version"], cwd=installed["outside"])
    assert "journeymap" in version.stdout


def test_new_validate_build_outside_the_repo(installed: dict[str, Path]) -> None:
    journeymap = str(installed["bin"] / "journeymap")
    outside = installed["outside"]
    run([journeymap, "new", "my-journeys"], cwd=outside)
    project = outside / "my-journeys"
    assert (project / "site_config.yml").is_file()
    run([journeymap, "validate", "--strict"], cwd=project)
    run([journeymap, "build"], cwd=project)
    site = project / "site"
    assert (site / "index.html").is_file()
    built = tree_bytes(site)
    css = [name for name in built if name.endswith(".css")]
    assert css, f"no stylesheet in the built site: {sorted(built)[:20]}"
    shipped = {p.name for p in (REPO / "theme" / "assets").rglob("*") if p.is_file()}
    assert shipped & {Path(name).name for name in built}, "no theme asset was copied into the site"
    index = built["index.html"].decode("utf-8")
    assert any(Path(name).name in index for name in css), "index.html does not link the theme stylesheet"


def test_schema_command(installed: dict[str, Path]) -> None:
    out = installed["outside"] / "schemas-out"
    run([str(installed["bin"] / "journeymap"), "schema", "--out", str(out)], cwd=installed["outside"])
    written = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in out.glob("*.json")}
    committed = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (REPO / "schemas").glob("*.json")}
    assert written == committed
