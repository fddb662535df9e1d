"""`journeymap diff BASE [HEAD]`: what a change does to the journeys, for terminals, pull requests and tools.

Registered by cli.py with `main.add_command(diff_command)`. Exit codes as every command: 0 whether or
not there are changes, 1 when a revision's content does not load (the diff of what does load is still
printed), 2 on usage errors such as an unknown revision.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from .cli_support import EXIT_CONTENT, EXIT_OK, fail as _fail, internal_error


@click.command("diff")
@click.argument("base")
@click.argument("head", required=False)
@click.option("--project", "-p", "project", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder holding site_config.yml (inside a git repository).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="text for terminals, markdown for a pull-request comment, json for tools (see docs/diff.md).")
@click.option("--html", "html_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write a page per changed journey into this folder: the new map with changes marked.")
def diff_command(base: str, head: str | None, project: Path, fmt: str, html_dir: Path | None) -> None:
    """Compare the journeys at git revision BASE with HEAD (a revision; default: the working tree).

    Lists journeys, stages, touchpoints and personas added, removed or changed (field by field),
    touchpoints moved between stages or reordered, emotion score changes, and pain points and
    opportunities added or removed.

    \b
    Examples:
      journeymap diff main                       working tree against main
      journeymap diff origin/main HEAD --format markdown > diff.md
      journeymap diff v1.0 v2.0 --format json
      journeymap diff main --html diff-pages/
    """
    from .diff import RevisionError, diff_sites, read_revision
    from .diff_report import render

    if not project.is_dir():
        _fail(f"project folder '{project}' does not exist")
    try:
        with tempfile.TemporaryDirectory(prefix="journeymap-diff-") as workdir:
            try:
                before = read_revision(project, base, workdir=Path(workdir))
                after = read_revision(project, head, workdir=Path(workdir))
            except RevisionError as exc:
                _fail(str(exc))
            for side in (before, after):
                if side.report:
                    click.echo(side.report, err=True)
            missing = [side.label for side in (before, after) if side.site is None]
            if missing:
                _fail(f"no site could be loaded from {' and '.join(missing)}; nothing to compare", EXIT_CONTENT)
            assert before.site is not None and after.site is not None
            result = diff_sites(before.site, after.site, base_label=before.label, head_label=after.label)
            result.base_errors, result.head_errors = len(before.errors), len(after.errors)
            click.echo(render(result, fmt))
            if html_dir is not None:
                from .diff_html import write_pages

                written = write_pages(result, before.site, after.site, html_dir)
                click.echo(f"wrote {len(written)} page(s) into {html_dir}", err=True)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - never a bare traceback for users
        internal_error(exc)
    if before.errors or after.errors:
        click.echo(f"journeymap: {', '.join(s.label for s in (before, after) if s.errors)} has content errors; "
                   "files that do not load were left out of the comparison", err=True)
        sys.exit(EXIT_CONTENT)
    sys.exit(EXIT_OK)
