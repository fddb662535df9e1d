"""Where templates and static assets come from: the site's `theme.custom_dir` first, then the default theme."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importing the model (and pydantic) would slow down builds that find nothing to do
    from .model import Site


@lru_cache(maxsize=1)
def default_theme_dir() -> Path:
    """The bundled theme: the `journeymap.theme` package in a wheel, or theme/ in a source checkout."""
    try:
        packaged = Path(str(resources.files("journeymap.theme")))
        if (packaged / "templates").is_dir():
            return packaged
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent / "theme"


def theme_dirs(site: Site) -> list[Path]:
    """Lookup order for templates and assets: custom_dir (if configured), then the default theme."""
    folders = [default_theme_dir()]
    if site.config.theme.custom_dir:
        folders.insert(0, (site.root / site.config.theme.custom_dir).resolve())
    return folders
