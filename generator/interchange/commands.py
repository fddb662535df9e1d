"""`journeymap import csv|mermaid` and `journeymap export csv|mermaid|png|pdf`.

Two click groups, `import_group` and `export_group`, added to the main CLI with
`main.add_command(import_group)` and `main.add_command(export_group)`. Same conventions as cli.py:
exit 0 success, 1 content errors, 2 usage or internal errors; diagnostics go to stderr as text
(journeymap.report.render); exported text goes to stdout unless -o is given; PNG and PDF go to
JOURNEY.png / JOURNEY.pdf unless -o is given (render.py, headless Chromium).
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Callable

import click

from ..content import ID_PATTERN, slugify
from ..diagnostics import Diagnostic, DiagnosticError, did_you_mean, sort_diagnostics

from ..cli_support import EXIT_CONTENT, F, fail as _fail, internal_error as _internal_error
from ..cli_support import project_option as _project_option

IMPORT_EPILOG = """\b
Examples:
  journeymap import csv map.csv --journey onboarding --title "Onboarding"
  journeymap import csv map.csv --journey onboarding --force     replace its stages and touchpoints
  journeymap import mermaid README.md --journey checkout          first ```mermaid journey block
"""
EXPORT_EPILOG = """\b
Examples:
  journeymap export csv first-purchase -o first-purchase.csv
  journeymap export mermaid first-purchase >> README.md
  journeymap export png first-purchase --scale 3 -o slides/first-purchase.png
  journeymap export pdf first-purchase -o first-purchase.pdf
"""



def _journey_option(func: F) -> F:
    return click.option("--journey", "-j", "journey_id", required=True, metavar="ID",
                        help="Id of the journey to create: its folder name under content/journeys/.")(func)  # type: ignore[return-value]


def _force_option(func: F) -> F:
    return click.option("--force", is_flag=True,
                        help="Replace the stages and touchpoints of an existing journey (its journey.md is kept).")(func)  # type: ignore[return-value]


def _output_option(func: F) -> F:
    return click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
                        help="File to write (default: standard output).")(func)  # type: ignore[return-value]


def _print(diagnostics: list[Diagnostic], root: Path) -> None:
    from ..report import render

    if diagnostics:
        click.echo(render(sort_diagnostics(diagnostics), root, "text"), err=True)




def _load(project: Path):  # type: ignore[no-untyped-def]
    """The site, or exit 1 with the diagnostics of a missing or broken site_config.yml."""
    from ..model import CONFIG_FILE, load_site

    site, diagnostics = load_site(project)
    if site is None or not site.config_ok:
        _print([d for d in diagnostics if d.file == CONFIG_FILE and d.is_error], project.resolve())
        sys.exit(EXIT_CONTENT)
    return site, diagnostics


def _display(path: Path, root: Path) -> str:
    """A source file as diagnostics name it: relative to the project when inside it, else absolute."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(root).as_posix()
    except ValueError:
        return resolved.as_posix()


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


# --- import ---------------------------------------------------------------------------------------


@click.group("import", epilog=IMPORT_EPILOG)
def import_group() -> None:
    """Create a journey from a spreadsheet (CSV) or a Mermaid journey diagram.

    Every row or line is checked first; when anything is wrong, every problem is printed with its
    line and column and nothing is written. An existing journey is replaced only with --force.
    """


def _run_import(project: Path, journey_id: str, force: bool, read: Callable[..., tuple[object, list[Diagnostic]]]) -> None:
    from ..validate import validate_project
    from .writer import journey_exists, write_journey

    if not ID_PATTERN.match(journey_id):
        _fail(f"invalid journey id '{journey_id}': use lower-case letters, digits, '-' and '_', e.g. '{slugify(journey_id)}'")
    site, _ = _load(project)
    root = site.root
    try:
        found: list[Diagnostic] = []
        if (site.content_dir / "journeys" / journey_id).exists() and not force:
            found += journey_exists(site, journey_id).diagnostics
        journey, problems = read(site)
        found += problems
        if journey is None or any(d.is_error for d in found):
            _print(found, root)
            click.echo("Nothing was written.", err=True)
            sys.exit(EXIT_CONTENT)
        try:
            result = write_journey(site, journey, force=force)  # type: ignore[arg-type]
        except DiagnosticError as exc:
            _print(exc.diagnostics, root)
            click.echo("Nothing was written.", err=True)
            sys.exit(EXIT_CONTENT)
        folder = _rel(result.journey_dir, root)
        click.echo(f"{'Replaced' if result.replaced else 'Created'} journey '{journey_id}' in {folder}: "
                   f"{len(journey.stages)} stage(s), {len(journey.touchpoints)} touchpoint(s).", err=True)  # type: ignore[attr-defined]
        personas_dir = site.content_dir / "personas"
        for pid in result.personas_created:
            name = journey.new_personas[pid].name  # type: ignore[attr-defined]
            click.echo(f"Created persona '{pid}' ({_rel(personas_dir / f'{pid}.md', root)}) named '{name}': "
                       "add a role, goals and frustrations.", err=True)
        _, diagnostics = validate_project(root)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - never a bare traceback for users
        _internal_error(exc)
    created = {_rel(personas_dir / f"{pid}.md", root) for pid in result.personas_created}
    mine = [d for d in diagnostics if d.file.startswith(folder + "/") or d.file in created]
    if mine:
        _print(mine, root)
    if any(d.is_error for d in mine):
        click.echo("The journey was written, but it does not validate yet: fix the problems above in the files "
                   "or in site_config.yml (channels, teams, phases, scales), then run 'journeymap validate'.", err=True)
        sys.exit(EXIT_CONTENT)


@import_group.command("csv")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_journey_option
@click.option("--title", default=None, help="The journey's title (default: from the id, or the existing journey's).")
@_project_option
@_force_option
def import_csv_command(file: Path, journey_id: str, title: str | None, project: Path, force: bool) -> None:
    """Create journey ID from FILE, a CSV sheet with one row per touchpoint.

    Columns (names match case-insensitively; spaces, '_' and '-' are equivalent): stage, title,
    action, thought, emotion, channel, frontstage, backstage, support, pain points, opportunities,
    owner, evidence, last reviewed, id, emotion:<persona>, extra:<key>... See docs/import-export.md
    and docs/templates/journey-template.csv.
    """
    from .csvsheet import import_csv

    _run_import(project, journey_id, force,
                lambda site: import_csv(file, _display(file, site.root), site, journey_id, title))


@import_group.command("mermaid")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_journey_option
@click.option("--title", default=None, help="The journey's title (default: the diagram's title).")
@_project_option
@_force_option
def import_mermaid_command(file: Path, journey_id: str, title: str | None, project: Path, force: bool) -> None:
    """Create journey ID from FILE, a Mermaid `journey` diagram (or a Markdown file with one in a ```mermaid block).

    Sections become stages, tasks touchpoints, scores (1..5) emotions on the site's emotion_scale,
    actors personas: an actor matching a persona's id or name is that persona, any other actor gets
    a new persona file.
    """
    from . import mermaid

    def read(site):  # type: ignore[no-untyped-def]
        display = _display(file, site.root)
        try:
            source = file.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            from ..diagnostics import error

            line = file.read_bytes()[: exc.start].count(b"\n") + 1
            return None, [error(display, line, 1, "JM001", "file is not valid UTF-8", "save the file as UTF-8")]
        diagram, problems = mermaid.parse(source, display)
        if diagram is None:
            return None, problems
        return mermaid.to_journey(diagram, site, journey_id, title), problems

    _run_import(project, journey_id, force, read)


# --- export ---------------------------------------------------------------------------------------


@click.group("export", epilog=EXPORT_EPILOG)
def export_group() -> None:
    """Write a journey as a spreadsheet (CSV), a Mermaid journey diagram, a PNG image or a PDF."""


def _exportable(project: Path, journey_id: str):  # type: ignore[no-untyped-def]
    """The site and the journey, or exit: 2 for an unknown journey, 1 when its files do not load."""
    site, diagnostics = _load(project)
    folder = _rel(site.content_dir / "journeys" / journey_id, site.root)
    broken = [d for d in diagnostics if d.is_error and d.file.startswith(folder + "/")]
    journey = site.journeys.get(journey_id)
    if broken or (journey is not None and journey.unplaced):
        _print(broken, site.root)
        if journey is not None and journey.unplaced:
            click.echo(f"journeymap: touchpoints of '{journey_id}' name unknown stages "
                       f"({', '.join(tp.id for tp in journey.unplaced)}); run 'journeymap validate'.", err=True)
        click.echo(f"journeymap: journey '{journey_id}' has errors that an export would lose; fix them first.", err=True)
        sys.exit(EXIT_CONTENT)
    if journey is None:
        known = ", ".join(site.journeys) or "none"
        _fail(f"no journey '{journey_id}'{did_you_mean(journey_id, site.journeys)} (journeys: {known})")
    return site, journey


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    _write_file(text.encode("utf-8"), output)


def _write_file(data: bytes, output: Path) -> None:
    """Write `data` to `output` atomically (a temporary file beside it, then a rename)."""
    target = output.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    mask = os.umask(0o022)
    os.umask(mask)
    try:
        os.chmod(temp, target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~mask)  # mkstemp makes it private
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    click.echo(f"wrote {output}", err=True)


def _emit_binary(data: bytes, output: Path) -> None:
    if str(output) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    _write_file(data, output)


@export_group.command("csv")
@click.argument("journey_id", metavar="JOURNEY")
@_project_option
@_output_option
def export_csv_command(journey_id: str, project: Path, output: Path | None) -> None:
    """Write JOURNEY as a CSV sheet, one row per touchpoint, in the columns `import csv` reads."""
    from .csvsheet import export_csv

    site, journey = _exportable(project, journey_id)
    try:
        text = export_csv(site, journey)
    except Exception as exc:  # noqa: BLE001
        _internal_error(exc)
    _emit(text, output)


@export_group.command("mermaid")
@click.argument("journey_id", metavar="JOURNEY")
@_project_option
@_output_option
def export_mermaid_command(journey_id: str, project: Path, output: Path | None) -> None:
    """Write JOURNEY as a Mermaid `journey` diagram.

    One task per touchpoint with one score from 1 to 5 (per-persona emotions become their mean) and
    the personas as actors; see docs/import-export.md for what a diagram cannot hold.
    """
    from .mermaid import export_mermaid

    site, journey = _exportable(project, journey_id)
    try:
        text = export_mermaid(site, journey)
    except Exception as exc:  # noqa: BLE001
        _internal_error(exc)
    _emit(text, output)


def _renderable(project: Path, journey_id: str):  # type: ignore[no-untyped-def]
    """Like _exportable, but after the full validation (references, scales...): a map is drawn from
    every field, so any error in the journey's files stops a PNG or PDF export (exit 1)."""
    from ..model import CONFIG_FILE
    from ..validate import validate_project

    site, diagnostics = validate_project(project)
    if site is None or not site.config_ok:
        _print([d for d in diagnostics if d.file == CONFIG_FILE and d.is_error], project.resolve())
        sys.exit(EXIT_CONTENT)
    folder = _rel(site.content_dir / "journeys" / journey_id, site.root)
    broken = [d for d in diagnostics if d.is_error and d.file.startswith(folder + "/")]
    journey = site.journeys.get(journey_id)
    if broken or (journey is not None and journey.unplaced):
        _print(broken, site.root)
        click.echo(f"journeymap: journey '{journey_id}' has errors; fix them before drawing it.", err=True)
        sys.exit(EXIT_CONTENT)
    if journey is None:
        known = ", ".join(site.journeys) or "none"
        _fail(f"no journey '{journey_id}'{did_you_mean(journey_id, site.journeys)} (journeys: {known})")
    return site, journey


def _binary_output_option(suffix: str):  # type: ignore[no-untyped-def]
    return click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), default=None,
                        help=f"File to write (default: JOURNEY.{suffix} in the current folder; '-' for standard output).")


@export_group.command("png")
@click.argument("journey_id", metavar="JOURNEY")
@_binary_output_option("png")
@click.option("--scale", type=click.FloatRange(min=0.25, max=8), default=2.0, show_default=True,
              help="Image pixels per map unit: 1 is the map's natural size, 2 or 3 for slides and high-DPI screens.")
@_project_option
def export_png_command(journey_id: str, output: Path | None, scale: float, project: Path) -> None:
    """Write JOURNEY's map as a PNG image, rendered in headless Chromium.

    The image is the full swimlane map (as in map.svg) at its natural size times --scale, in light
    colours. Needs the Python package playwright and Chromium (apt-get install chromium).
    """
    from .render import RenderError, render_png

    site, journey = _renderable(project, journey_id)
    try:
        data = render_png(site, journey, scale=scale)
    except RenderError as exc:
        _fail(str(exc))
    except Exception as exc:  # noqa: BLE001
        _internal_error(exc)
    _emit_binary(data, output or Path(f"{journey_id}.png"))


@export_group.command("pdf")
@click.argument("journey_id", metavar="JOURNEY")
@_binary_output_option("pdf")
@_project_option
def export_pdf_command(journey_id: str, output: Path | None, project: Path) -> None:
    """Write JOURNEY's page as a PDF: A3 landscape, the map on a page of its own, then the stages,
    the map as a table, pain points and opportunities.

    The site is built into a temporary folder first, so the whole project must build (errors in any
    file stop the export, as they stop `journeymap build`). Needs the Python package playwright and
    Chromium (apt-get install chromium).
    """
    from .render import RenderError, render_pdf

    site, journey = _renderable(project, journey_id)
    try:
        data = render_pdf(site.root, journey)
    except DiagnosticError as exc:
        _print(exc.diagnostics, site.root)
        click.echo(f"journeymap: the PDF prints journey '{journey_id}' from the built site, and the site does not build: "
                   "fix the problems above.", err=True)
        sys.exit(EXIT_CONTENT)
    except RenderError as exc:
        _fail(str(exc))
    except Exception as exc:  # noqa: BLE001
        _internal_error(exc)
    _emit_binary(data, output or Path(f"{journey_id}.pdf"))
