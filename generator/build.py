"""`journeymap build`: validate, lay out and draw every map, render the pages, write the site atomically."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Diagnostic, DiagnosticError
from .model import Site
from .output import check_site_dir, write_site
from .validate import validate_project


@dataclass
class BuildResult:
    site: Site
    site_dir: Path
    diagnostics: list[Diagnostic]
    pages: list[str] = field(default_factory=list)


def build(root: Path, site_dir: Path | None = None, include_drafts: bool = False, strict: bool = False) -> BuildResult:
    """Build the project in `root`. Raises DiagnosticError (and writes nothing) when content has errors."""
    site, diagnostics = validate_project(root)
    failing = [d for d in diagnostics if d.is_error or strict]
    if site is None or failing:
        raise DiagnosticError(diagnostics)
    target = site_dir if site_dir is not None else site.root / site.config.site_dir
    check_site_dir(target, site.root, _sources(site))
    from .search import index_search  # imported late: `validate` never pays for templates and maps
    from .site import render_site

    files, copies = render_site(site, include_drafts=include_drafts)
    write_site(target, files, copies, keep=site.config.keep_files, finish=index_search)
    return BuildResult(site, target, diagnostics, sorted(files))


def _sources(site: Site) -> dict[str, Path]:
    from .themes import theme_dirs

    sources = {"the content folder": site.content_dir}
    for index, folder in enumerate(theme_dirs(site)):
        sources[f"the theme folder {index + 1}"] = folder
    return sources

