"""The documented CI integration: the GitHub Actions workflow in docs/examples/journeymap.yml (its
validate and diff steps run for real on a temporary repository with a broken pull request) and the
pre-commit hook in .pre-commit-hooks.yaml."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitrepo import DIFF_SITE, J, git, init_repo, journeymap_shim, touchpoint, write
from helpers import REPO

WORKFLOW_FILE = REPO / "docs" / "examples" / "journeymap.yml"
CI_DOC = REPO / "docs" / "ci.md"
HOOKS_FILE = REPO / ".pre-commit-hooks.yaml"
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
ANNOTATION = re.compile(r"^::(error|warning) file=([^,]+),line=(\d+),col=(\d+),title=(JM\d{3})::(.+)$")


def workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW_FILE.read_text(encoding="utf-8"))


def steps() -> list[dict[str, Any]]:
    (job,) = workflow()["jobs"].values()
    return job["steps"]


def step(step_id: str) -> dict[str, Any]:
    return next(s for s in steps() if s.get("id") == step_id)


def substitute(text: str, context: dict[str, str]) -> str:
    """Replace ${{ ... }} expressions the way the runner would; an unknown one fails the test."""
    def replace(match: re.Match[str]) -> str:
        assert match.group(1) in context, f"the test does not know the expression {match.group(0)}"
        return context[match.group(1)]
    return EXPRESSION.sub(replace, text)


def run_step(spec: dict[str, Any], cwd: Path, bin_dir: Path, context: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a step's `run:` script as GitHub's runner does: bash --noprofile --norc -eo pipefail, with its env."""
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "CI": "true", "GITHUB_ACTIONS": "true"}
    env.update({key: substitute(str(value), context) for key, value in (spec.get("env") or {}).items()})
    script = substitute(spec["run"], context)
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


# --- the workflow as a document -------------------------------------------------------------------


def test_the_documented_workflow_is_the_example_file() -> None:
    doc = CI_DOC.read_text(encoding="utf-8")
    assert WORKFLOW_FILE.read_text(encoding="utf-8").rstrip() in doc


def test_workflow_shape() -> None:
    flow = workflow()
    triggers = flow.get("on", flow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in triggers
    assert flow["permissions"]["pull-requests"] == "write"
    all_steps = steps()
    uses = [s.get("uses", "") for s in all_steps]
    checkout = all_steps[uses.index(next(u for u in uses if u.startswith("actions/checkout@")))]
    assert checkout["with"]["fetch-depth"] == 0  # the diff needs the base branch's history
    assert step("validate")["run"].strip() == "journeymap validate --format github"
    assert step("build")["run"].strip().startswith("journeymap build")
    diff = step("diff")
    assert diff["run"].strip().startswith('journeymap diff "origin/$BASE_REF" --format markdown')
    assert diff["run"].strip().endswith("> diff.md")
    assert diff["env"]["BASE_REF"] == "${{ github.base_ref }}"  # through env, never pasted into the script
    assert "github.base_ref" not in diff["run"]
    comment = next(s for s in all_steps if "sticky-pull-request-comment" in s.get("uses", "") or "gh pr comment" in s.get("run", ""))
    assert comment.get("with", {}).get("path") == "diff.md" or "--body-file diff.md" in comment.get("run", "")
    uploads = [s for s in all_steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert "site/" in [s["with"]["path"] for s in uploads]
    for spec in all_steps:  # every action is pinned to a version
        if "uses" in spec:
            assert re.match(r"^[\w.-]+/[\w./-]+@v?\d", spec["uses"]), spec["uses"]


# --- running its validate and diff steps ----------------------------------------------------------


@pytest.fixture(scope="module")
def pull_request(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A clone of a repository (origin/main = the site) on a branch with a broken change, like
    actions/checkout with fetch-depth: 0 leaves it on a pull request."""
    base = tmp_path_factory.mktemp("ci")
    upstream = init_repo(base / "upstream", DIFF_SITE)
    origin = base / "origin.git"
    git(base, "clone", "-q", "--bare", str(upstream), str(origin))
    work = base / "work"
    git(base, "clone", "-q", str(origin), str(work))
    git(work, "checkout", "-q", "-b", "feature")
    write(work, {
        # Broken: a channel that site_config.yml does not define (JM106), on line 4.
        f"{J}/touchpoints/07-asks-chat.md": "---\ntitle: Asks the chat about fit\nstage: decide\nchannel: chat\n"
                                             "emotion: 2\npain_points: [Chat answers slowly]\n---\n",
        f"{J}/touchpoints/05-pays.md": touchpoint("Pays by card", "pay", "1"),
        f"{J}/touchpoints/02-visits-site.md": None,
    })
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "a pull request with a broken step")
    return work, journeymap_shim(base / "bin").parent


@pytest.mark.slow
def test_validate_step_annotates_the_broken_line(pull_request: tuple[Path, Path]) -> None:
    work, bin_dir = pull_request
    result = run_step(step("validate"), work, bin_dir, {"github.base_ref": "main"})
    assert result.returncode == 1, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines and all(ANNOTATION.match(line) for line in lines), lines
    found = [ANNOTATION.match(line).groups()[:5] for line in lines]  # type: ignore[union-attr]
    assert ("error", f"{J}/touchpoints/07-asks-chat.md", "4", "10", "JM106") in found
    assert "unknown channel 'chat'" in result.stdout


@pytest.mark.slow
def test_diff_step_writes_the_markdown_comment(pull_request: tuple[Path, Path]) -> None:
    work, bin_dir = pull_request
    (work / "diff.md").unlink(missing_ok=True)
    result = run_step(step("diff"), work, bin_dir, {"github.base_ref": "main"})
    assert result.returncode == 0, result.stderr
    markdown = (work / "diff.md").read_text(encoding="utf-8")
    lines = markdown.splitlines()
    assert lines[0] == "<!-- journeymap-diff -->"
    assert lines[3] == ("**1 journey changed · 1 touchpoint added, 1 removed, 1 changed · 1 emotion score changed (1 ▼) · "
                        "1 pain point added.**")
    assert "Compared <code>origin/main</code> (base) with <code>working tree</code> (head)" in markdown
    assert "### Buying a jacket (`buy`) · changed" in lines
    assert "- ➕ Added **Asks the chat about fit** (`asks-chat`) in *Decide*" in lines
    assert "- ➖ Removed ~~Visits the website~~ (`visits-site`) from *Discover*" in lines
    assert "| Pays by card (`pays`) | all | 2 | 1 | ▼ 1 |" in lines
    assert "- ➕ **Chat answers slowly** (medium) at *Asks the chat about fit*" in lines
    # --html in the same step: the pages the workflow uploads.
    assert sorted(p.name for p in (work / "diff-pages").iterdir()) == ["buy.html", "index.html"]


@pytest.mark.slow
def test_diff_step_with_an_unfetched_base_fails_clearly(pull_request: tuple[Path, Path]) -> None:
    work, bin_dir = pull_request
    result = run_step(step("diff"), work, bin_dir, {"github.base_ref": "release"})
    assert result.returncode == 2
    assert "unknown revision 'origin/release'" in result.stderr and "fetch-depth: 0" in result.stderr


# --- pre-commit -----------------------------------------------------------------------------------


def test_pre_commit_hook() -> None:
    (hook,) = yaml.safe_load(HOOKS_FILE.read_text(encoding="utf-8"))
    assert hook["id"] == "journeymap-validate"
    assert hook["entry"] == "journeymap validate"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    for path in ("site_config.yml", "content/journeys/buy/journey.md", "content/personas/maya.md"):
        assert files.search(path), path
    for path in ("README.md", "theme/templates/base.html", "docs/content/x.md", "generator/cli.py"):
        assert not files.search(path), path


@pytest.mark.slow
def test_pre_commit_entry_runs(tmp_path: Path) -> None:
    """The hook's entry, run as pre-commit would (in the repository root, no file names)."""
    (hook,) = yaml.safe_load(HOOKS_FILE.read_text(encoding="utf-8"))
    write(tmp_path, DIFF_SITE)
    bin_dir = journeymap_shim(tmp_path / "bin").parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    clean = subprocess.run(hook["entry"].split(), cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert clean.returncode == 0, clean.stderr
    write(tmp_path, {f"{J}/touchpoints/01-sees-ad.md": "---\ntitle: Sees an ad\nstage: nowhere\n---\n"})
    broken = subprocess.run(hook["entry"].split(), cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert broken.returncode == 1 and "JM104" in broken.stderr
