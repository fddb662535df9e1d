"""The `journeymap` command line. Exit codes: 0 clean, 1 content errors, 2 usage or internal errors."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .cli_support import EXIT_CONTENT, EXIT_OK, fail as _fail, internal_error as _internal_error, project_option as _project_option
from .diagnostics import Diagnostic, DiagnosticError

EPILOG = """\b
Examples:
  journeymap build                 build the site in this folder into site/
  journeymap validate --strict     fail on warnings too (for CI)
  journeymap validate --format json
  journeymap diff origin/main --format markdown
  journeymap new my-journeys       scaffold a new site
  journeymap schema                write the JSON Schemas into schemas/
"""



@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="journeymap")
def main() -> None:
    """journeymap: customer journey maps as code.

    Journeys, stages, touchpoints and personas live as Markdown files with YAML front matter;
    journeymap validates them, draws each journey as an SVG swimlane map and builds a static site.
    """


# --- output of diagnostics ------------------------------------------------------------------------


def print_diagnostics(diagnostics: list[Diagnostic], root: Path, fmt: str = "text") -> None:
    """Text goes to stderr like a compiler's; machine formats go to stdout."""
    from .report import render

    output = render(diagnostics, root, fmt)
    if output:
        click.echo(output, err=fmt == "text")




# --- commands -------------------------------------------------------------------------------------


@main.command()
@_project_option
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github", "sarif"]), default="text", show_default=True,
              help="text for people; json (stable, see docs/cli.md), github (workflow annotations) or sarif (SARIF 2.1.0) for tools.")
def validate(project: Path, strict: bool, fmt: str) -> None:
    """Check every content file and site_config.yml; print every problem at once.

    Exits 0 when clean, 1 when there are errors (or warnings with --strict), 2 on usage errors.
    """
    from .validate import validate_project

    try:
        _, diagnostics = validate_project(project)
    except Exception as exc:  # noqa: BLE001 - never a bare traceback for users
        _internal_error(exc)
    print_diagnostics(diagnostics, project.resolve(), fmt)
    failing = [d for d in diagnostics if d.is_error or strict]
    sys.exit(EXIT_CONTENT if failing else EXIT_OK)


@main.command()
@_project_option
@click.option("--site-dir", "-d", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: site_dir from site_config.yml).")
@click.option("--drafts", is_flag=True, help="Include journeys with status: draft.")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: one per core; 1 builds in one process). Small sites always use one.")
@click.option("--clean", is_flag=True, help="Ignore the build cache (.journeymap-cache/) and build everything.")
def build(project: Path, site_dir: Path | None, drafts: bool, strict: bool, jobs: int | None, clean: bool) -> None:
    """Validate and build the site into site_dir (atomically: a failed build leaves the old site).

    Builds are incremental: .journeymap-cache/ in the project records what each page was made from
    (by content hash), so a rebuild renders only what changed, and nothing when nothing did.
    """
    from .build import build as run_build
    from .build import default_cache_dir
    from .search import SearchIndexError

    progress = _Progress()
    try:
        result = run_build(project, site_dir, include_drafts=drafts, strict=strict, jobs=jobs, clean=clean,
                           cache_dir=default_cache_dir(project), progress=progress)
    except DiagnosticError as exc:
        progress.done()
        print_diagnostics(exc.diagnostics, project.resolve())
        click.echo("Build failed; nothing was written.", err=True)
        sys.exit(EXIT_CONTENT)
    except SearchIndexError as exc:
        progress.done()
        _fail(f"the search index could not be built, so nothing was written: {exc}")
    except OSError as exc:
        progress.done()
        _fail(f"could not write the site: {exc}")
    except Exception as exc:  # noqa: BLE001
        progress.done()
        _internal_error(exc)
    progress.done()
    print_diagnostics(result.diagnostics, project.resolve())
    stats = result.stats
    if stats.skipped:
        click.echo(f"Nothing changed: the {len(result.pages)} files in {result.site_dir} are up to date", err=True)
    else:
        rendered = sum(unit.startswith("journey:") for unit in stats.rendered)
        reused = sum(unit.startswith("journey:") for unit in stats.reused)
        detail = f" ({rendered} journey{'s' if rendered != 1 else ''} rendered, {reused} unchanged)" if reused else ""
        click.echo(f"Built {len(result.pages)} files into {result.site_dir}{detail}", err=True)


class _Progress:
    """A live count on stderr (`rendering 12/101`) for builds that take more than a moment; silent
    when stderr is not a terminal (CI logs, pipes)."""

    DELAY = 0.5  # seconds before the first line: quick builds print nothing

    def __init__(self) -> None:
        import time

        self.clock = time.monotonic
        self.start = self.clock()
        self.enabled = sys.stderr.isatty()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or (not self.shown and self.clock() - self.start < self.DELAY):
            return
        self.shown = True
        if total > 0:
            sys.stderr.write(f"\rrendering: {done}/{total} journeys and shared pages ({100 * done // total}%)\x1b[K")
        else:
            sys.stderr.write("\rwriting the search index...\x1b[K")
        sys.stderr.flush()

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False


@main.command()
@_project_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; anything wider than loopback prints a warning.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--open", "open_browser", is_flag=True, help="Open the site in a browser.")
@click.option("--drafts", is_flag=True, help="Include journeys with status: draft.")
def serve(project: Path, host: str, port: int, open_browser: bool, drafts: bool) -> None:
    """Build the site and serve it with live reload; content errors show in the page."""
    from .serve import serve as run_serve

    try:
        run_serve(project, host=host, port=port, open_browser=open_browser, include_drafts=drafts)
    except OSError as exc:
        _fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}")


@main.command()
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=Path("schemas"), show_default=True,
              help="Folder to write the schemas into.")
def schema(out: Path) -> None:
    """Write the JSON Schemas of site_config.yml and each content file kind.

    Editors that use the YAML language server autocomplete fields from them; scaffolded files name
    them with a '# yaml-language-server: $schema=...' comment.
    """
    from .schema import schema_texts

    out.mkdir(parents=True, exist_ok=True)
    for name, text in schema_texts().items():
        (out / name).write_text(text, encoding="utf-8")
        click.echo(f"wrote {out / name}", err=True)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def new(directory: Path) -> None:
    """Scaffold a new site in DIRECTORY (which must be empty or not exist); it validates and builds as is."""
    from .scaffold import scaffold

    if directory.exists() and any(directory.iterdir()):
        _fail(f"{directory} is not empty; choose a new folder")
    written = scaffold(directory)
    click.echo(f"Created {len(written)} files in {directory}. Next: cd {directory} && journeymap build", err=True)


def _register_subcommands() -> None:
    from .diff_command import diff_command
    from .interchange.commands import export_group, import_group

    for command in (diff_command, import_group, export_group):
        main.add_command(command)


_register_subcommands()


def run() -> None:
    """The `journeymap` command: `main`, then a quick exit. A build leaves a model of thousands of
    documents and the caches in memory, which the interpreter would free object by object on its way
    out: 0.1-0.2 s at 5,000 touchpoints, after the work is done."""
    try:
        main()
        code = EXIT_OK
    except SystemExit as exc:
        code = _exit_code(exc)
    _exit_now(code)


def _exit_code(exc: SystemExit) -> int:
    """The exit status the interpreter would give `exc` (a message is printed, and means 1)."""
    if exc.code is None or isinstance(exc.code, int):
        return exc.code or 0
    print(exc.code, file=sys.stderr)
    return 1


def _exit_now(code: int) -> None:
    """Do what the interpreter does on exit (wait for threads that are not daemons, run the exit
    handlers), flush the standard streams and end the process without freeing its memory."""
    import atexit
    import os
    import threading

    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is None:  # not CPython: exit the usual way
        sys.exit(code)
    shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
