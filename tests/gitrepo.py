"""Real git repositories in temporary folders for the diff and CI tests (plain helpers, no fixtures).

`DIFF_SITE` is a small site written inline; `CHANGES` is a list of commits that each make one kind of
change to it, so a test diffs two neighbouring tags and sees exactly that change.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, Mapping

# Isolated from the machine's git configuration (hooks, templates, signing) and deterministic.
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Journey Tester",
    "GIT_AUTHOR_EMAIL": "tester@example.com",
    "GIT_COMMITTER_NAME": "Journey Tester",
    "GIT_COMMITTER_EMAIL": "tester@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T12:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T12:00:00Z",
}


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def write(root: Path, files: Mapping[str, str | None]) -> None:
    """Write (or, for None, delete) files under root."""
    for rel, text in files.items():
        path = root / rel
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))


def init_repo(root: Path, files: Mapping[str, str], tag: str = "base") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    write(root, files)
    commit(root, "initial content", tag)
    return root


def commit(root: Path, message: str, tag: str | None = None) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--no-verify", "-m", message)
    if tag:
        git(root, "tag", tag)


def journeymap_shim(folder: Path) -> Path:
    """A `journeymap` executable running this checkout's CLI with the diff command registered, put in
    `folder` (prepend it to PATH). Registering is a no-op once cli.py does it itself."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "journeymap"
    code = ("import sys; from journeymap.cli import main; from journeymap.diff_command import diff_command; "
            "'diff' in main.commands or main.add_command(diff_command); main(prog_name='journeymap')")
    script.write_text(f"#!/bin/sh\nexec '{sys.executable}' -c \"{code}\" \"$@\"\n", encoding="utf-8")
    script.chmod(0o755)
    return script


# --- the site -------------------------------------------------------------------------------------

J = "content/journeys/buy"
CONFIG = """\
site_name: Diff test site
today: 2026-01-01
channels:
  web: {title: Website, icon: globe}
  app: {title: App, icon: phone}
  store: {title: Store, icon: store}
teams:
  shop: {title: Shop team}
emotion_scale:
  min: 1
  max: 5
  labels: {1: Frustrated, 3: Neutral, 5: Delighted}
"""


def touchpoint(title: str, stage: str, emotion: str, extra: str = "", body: str = "The step.") -> str:
    return f"---\ntitle: {title}\nstage: {stage}\nchannel: web\nemotion: {emotion}\n{extra}---\n{body}\n"


DIFF_SITE: dict[str, str] = {
    "site_config.yml": CONFIG,
    "content/personas/maya.md": "---\nname: Maya\nrole: First-time buyer\n---\nMaya.\n",
    "content/personas/ruth.md": "---\nname: Ruth\nrole: Returning customer\n---\nRuth.\n",
    f"{J}/journey.md": "---\ntitle: Buying a jacket\npersonas: [maya, ruth]\nowner: shop\n---\nThe journey.\n",
    f"{J}/stages/01-discover.md": "---\ntitle: Discover\n---\n",
    f"{J}/stages/02-decide.md": "---\ntitle: Decide\ngoal: Pick a jacket\n---\n",
    f"{J}/stages/03-pay.md": "---\ntitle: Pay\n---\n",
    f"{J}/touchpoints/01-sees-ad.md": touchpoint("Sees an ad", "discover", "3", "pain_points: [Ad is generic]\n"),
    f"{J}/touchpoints/02-visits-site.md": touchpoint("Visits the website", "discover", "4"),
    f"{J}/touchpoints/03-compares.md": touchpoint(
        "Compares jackets", "decide", "{maya: 2, ruth: 4}",
        "pain_points:\n  - {title: No side-by-side view, severity: medium}\n"
        "opportunities:\n  - {title: Compare view, impact: high, effort: medium}\n"),
    f"{J}/touchpoints/04-reads-reviews.md": touchpoint("Reads reviews", "decide", "3"),
    f"{J}/touchpoints/05-pays.md": touchpoint("Pays by card", "pay", "2"),
    f"{J}/touchpoints/06-gets-receipt.md": touchpoint("Gets the receipt", "pay", "4", body="A receipt by email."),
    "content/journeys/help/journey.md": "---\ntitle: Getting help\n---\n",
    "content/journeys/help/stages/01-ask.md": "---\ntitle: Ask\n---\n",
    "content/journeys/help/touchpoints/01-calls.md": "---\ntitle: Calls us\nstage: ask\nemotion: 2\n---\n",
}


def _rename(old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        git(root, "mv", old, new)
    return apply


# (tag, message, files to write/delete or a function applying the change); applied in this order.
CHANGES: list[tuple[str, str, Mapping[str, str | None] | Callable[[Path], None]]] = [
    ("add-touchpoint", "add a touchpoint",
     {f"{J}/touchpoints/07-asks-chat.md": touchpoint("Asks the chat about fit", "decide", "2",
                                                     "pain_points: [Chat answers slowly]\n")}),
    ("remove-touchpoint", "remove a touchpoint", {f"{J}/touchpoints/02-visits-site.md": None}),
    ("move-touchpoint", "move a touchpoint to another stage",
     {f"{J}/touchpoints/04-reads-reviews.md": touchpoint("Reads reviews", "pay", "3")}),
    ("reorder", "reorder two steps", _rename(f"{J}/touchpoints/05-pays.md", f"{J}/touchpoints/09-pays.md")),
    ("emotion", "change emotion scores",
     {f"{J}/touchpoints/01-sees-ad.md": touchpoint("Sees an ad", "discover", "4", "pain_points: [Ad is generic]\n"),
      f"{J}/touchpoints/03-compares.md": touchpoint(
          "Compares jackets", "decide", "{maya: 1, ruth: 4}",
          "pain_points:\n  - {title: No side-by-side view, severity: medium}\n"
          "opportunities:\n  - {title: Compare view, impact: high, effort: medium}\n")}),
    ("pain-points", "add and remove pain points",
     {f"{J}/touchpoints/01-sees-ad.md": touchpoint("Sees an ad", "discover", "4"),
      f"{J}/touchpoints/09-pays.md": touchpoint("Pays by card", "pay", "2",
                                                "pain_points:\n  - {title: Card declined without a reason, severity: high}\n")}),
    ("opportunities", "add and remove opportunities",
     {f"{J}/touchpoints/03-compares.md": touchpoint(
         "Compares jackets", "decide", "{maya: 1, ruth: 4}",
         "pain_points:\n  - {title: No side-by-side view, severity: medium}\n"),
      f"{J}/touchpoints/09-pays.md": touchpoint(
          "Pays by card", "pay", "2",
          "pain_points:\n  - {title: Card declined without a reason, severity: high}\n"
          "opportunities:\n  - {title: Offer wallet payments, impact: high, effort: low}\n")}),
    ("fields", "change fields and text",
     {f"{J}/touchpoints/06-gets-receipt.md": touchpoint("Gets a receipt by email", "pay", "4",
                                                        "action: Opens the email.\n", body="A receipt as a PDF."),
      f"{J}/stages/02-decide.md": "---\ntitle: Decide\ngoal: Choose the right size\n---\n"}),
    ("add-persona", "add a persona", {"content/personas/sam.md": "---\nname: Sam\nrole: Gift buyer\n---\nSam.\n"}),
    ("add-stage", "add a stage with a step",
     {f"{J}/stages/04-follow-up.md": "---\ntitle: Follow-up\n---\n",
      f"{J}/touchpoints/10-answers-survey.md": touchpoint("Answers the survey", "follow-up", "3")}),
    ("remove-journey", "remove a journey",
     {"content/journeys/help/journey.md": None, "content/journeys/help/stages/01-ask.md": None,
      "content/journeys/help/touchpoints/01-calls.md": None}),
]
TAGS = ["base"] + [tag for tag, _, _ in CHANGES]


def build_history(root: Path) -> Path:
    """The diff test repository: the site, then one commit (and tag) per entry of CHANGES."""
    init_repo(root, DIFF_SITE)
    for tag, message, change in CHANGES:
        if callable(change):
            change(root)
        else:
            write(root, change)
        commit(root, message, tag)
    return root


def previous(tag: str) -> str:
    return TAGS[TAGS.index(tag) - 1]
