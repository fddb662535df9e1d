"""What every `journeymap` command shares: exit codes, the --project option, and how it fails."""
from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Callable, NoReturn, TypeVar

import click

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2
F = TypeVar("F", bound=Callable[..., object])


def project_option(func: F) -> F:
    return click.option("--project", "-p", "project", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
                        show_default=True, help="Folder holding site_config.yml.")(func)  # type: ignore[return-value]


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"journeymap: {message}", err=True)
    sys.exit(code)


def internal_error(exc: BaseException) -> NoReturn:
    """Never a bare traceback: report it as a bug, exit 2."""
    fail("internal error (this is a bug in journeymap, please report it with this text):\n"
         + "".join(traceback.format_exception(exc)))
