"""The site's URL scheme: where each page lives, and the relative link from one page to another.

Every page has a *key*: a folder-style path with a trailing slash (``journeys/x/``; the home page is
``""``) or a plain file path (``404.html``, ``journeys/x/map.svg``, ``assets/site.css``). A page key
with a slash is written as ``<key>index.html``. Links between pages are always relative, so one build
works at a domain root, under a sub-path and opened from disk:

- ``use_directory_urls: true``  links to ``../touchpoints/pays/``
- ``use_directory_urls: false`` links to ``../touchpoints/pays/index.html`` (what file:// needs)

The scheme (stable permalinks; ids come from content ids):

    ""                                   home
    journeys/<journey>/                  journey (map, narrative, stages, table, pain points...)
    journeys/<journey>/map.svg           the journey's map as a standalone SVG file
    journeys/<journey>/stages/<stage>/   stage
    journeys/<journey>/touchpoints/<tp>/ touchpoint
    personas/  personas/<persona>/       personas
    compare/<journey>/                   current vs future comparison
    pain-points/ opportunities/ teams/   cross-journey indexes
    search/  404.html  sitemap.xml
"""
from __future__ import annotations

import posixpath
from functools import lru_cache
from urllib.parse import quote

HOME = ""
PERSONAS = "personas/"
PAIN_POINTS = "pain-points/"
OPPORTUNITIES = "opportunities/"
TEAMS = "teams/"
SEARCH = "search/"
NOT_FOUND = "404.html"
SITEMAP = "sitemap.xml"


def journey(journey_id: str) -> str:
    return f"journeys/{journey_id}/"


def journey_map(journey_id: str) -> str:
    return f"journeys/{journey_id}/map.svg"


def stage(journey_id: str, stage_id: str) -> str:
    return f"journeys/{journey_id}/stages/{stage_id}/"


def touchpoint(journey_id: str, touchpoint_id: str) -> str:
    return f"journeys/{journey_id}/touchpoints/{touchpoint_id}/"


def persona(persona_id: str) -> str:
    return f"personas/{persona_id}/"


def compare(journey_id: str) -> str:
    return f"compare/{journey_id}/"


def media(content_path: str) -> str:
    """Where a non-Markdown content file (an image...) is copied: media/<path inside content/>."""
    return f"media/{content_path}"


def is_page(key: str) -> bool:
    """Folder-style keys (and the home page) are pages written as <key>index.html."""
    return key == HOME or key.endswith("/")


def output_file(key: str) -> str:
    """The file a key is written to, relative to site_dir."""
    return key + "index.html" if is_page(key) else key


@lru_cache(maxsize=65536)
def _plain(path: str) -> bool:
    """A site-relative path without empty, '.' or '..' segments (so '../' arithmetic holds)."""
    return not _SPECIAL_SEGMENTS.intersection(path.split("/"))


_SPECIAL_SEGMENTS = frozenset(("", ".", ".."))


def _relpath_plain(target: str, base: str) -> str:
    """posixpath.relpath for two site-relative paths, without touching the file system (no getcwd)."""
    t = [part for part in target.split("/") if part and part != "."]
    b = [part for part in base.split("/") if part and part != "."]
    if ".." in t or ".." in b or target.startswith("/") or base.startswith("/"):
        return posixpath.relpath(target, base)
    common = 0
    while common < min(len(t), len(b)) and t[common] == b[common]:
        common += 1
    return "/".join([".."] * (len(b) - common) + t[common:]) or "."


class UrlScheme:
    """Relative links between pages, following `use_directory_urls`."""

    def __init__(self, use_directory_urls: bool = True):
        self.use_directory_urls = use_directory_urls
        # Memos (a big site has some 400,000 links, nearly all between distinct pairs of pages):
        self._bases: dict[str, str] = {}  # page key -> the folder its file is in
        self._folders: dict[str, tuple[str, str, bool]] = {}  # folder -> (folder + "/", parent, plain)
        self._targets: dict[str, tuple[str, str, bool]] = {}  # key -> (href, href without "/", plain)
        self._parents: dict[tuple[str, str], str] = {}  # (folder, key) -> link from that folder

    def href(self, key: str) -> str:
        """The path a link names for `key` (relative to the site root, no leading slash)."""
        if is_page(key) and self.use_directory_urls:
            return key
        return output_file(key)

    def relative(self, from_key: str, to_key: str, fragment: str = "") -> str:
        """The relative URL of `to_key` as linked from the page `from_key` (fragment without '#')."""
        # Called for every link of every page (a journey's navigation alone links each of its steps
        # from each of its pages): computed without os.getcwd(), from memoised parts.
        base = self._bases.get(from_key)
        if base is None:
            base = self._bases[from_key] = posixpath.dirname(output_file(from_key))
        path = self._from_folder(base, to_key)
        return path + ("#" + quote(fragment, safe="-_.~") if fragment else "")

    def _from_folder(self, base: str, to_key: str) -> str:
        """The quoted relative path from the folder `base` ('' for the root) to the page `to_key`.

        Outside its own folder, a page links to '../' + the link from its parent folder, which its
        siblings share (a journey's steps all link to each other): those are memoised in `_parents`."""
        target_info = self._targets.get(to_key)
        if target_info is None:
            target = self.href(to_key)
            inner = target.rstrip("/")
            target_info = self._targets[to_key] = (target, inner, bool(inner) and _plain(inner))
        target, inner, plain = target_info
        folder = self._folders.get(base)
        if folder is None:
            folder = self._folders[base] = (base + "/", base.rpartition("/")[0], bool(base) and _plain(base))
        inside, parent, plain_base = folder
        if plain and plain_base and inner != base and not inner.startswith(inside):
            up = self._parents.get((parent, to_key))
            if up is None:
                up = self._from_folder(parent, to_key)
                if len(self._parents) < 200_000:
                    self._parents[(parent, to_key)] = up
            return "../" if up == "./" else ".." if up == "." else "../" + up
        if target == "":
            path = _relpath_plain(".", base or ".")
            path = "./" if path == "." else path + "/"
        elif target.endswith("/"):
            path = _relpath_plain(inner, base or ".")
            path = "./" if path == "." else path + "/"
        else:
            path = _relpath_plain(target, base or ".")
        return quote(path, safe="/._-~")

    def root(self, from_key: str) -> str:
        """The relative path from a page to the site root folder ('', '../', '../../'...)."""
        depth = output_file(from_key).count("/")
        return "../" * depth

    def absolute(self, site_url: str, key: str) -> str:
        """The published URL of `key` under `site_url` (sitemap, canonical links)."""
        return site_url.rstrip("/") + "/" + quote(self.href(key), safe="/._-~")
