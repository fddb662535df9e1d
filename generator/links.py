"""Which link targets content may use, and how a relative link between content files resolves."""
from __future__ import annotations

import posixpath
import re
import unicodedata
from functools import lru_cache
from typing import Literal
from urllib.parse import unquote, urlsplit

LinkKind = Literal["external", "mailto", "anchor", "relative", "unsafe"]
SAFE_SCHEMES = {"http", "https", "mailto"}
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")
MEMO_MAX_LENGTH = 512  # classify() remembers targets up to this long


def classify(href: str) -> LinkKind:
    """Classify a link target; anything with a scheme other than http(s)/mailto is unsafe.

    Browsers ignore control characters and whitespace inside a scheme (`java\\tscript:`), and
    entity decoding happens before we see the text, so the scheme is read with those removed.
    """
    # The same targets come back on every page: remembered (10 us each), unless long (bounded memory)
    return _classify_memo(href) if len(href) <= MEMO_MAX_LENGTH else _classify(href)


def _classify(href: str) -> LinkKind:
    if _PLAIN_WEB.match(href):
        return "external"
    return _read_scheme(href)


# An http(s) URL of plain ASCII (no '%', brackets, backslash, space or control character): unquoting,
# NFKC and removing control characters leave it as it is and urlsplit reads its scheme, so _read_scheme
# says "external" too, five times slower (evidence URLs are mostly unique: the memo does not help them).
_PLAIN_WEB = re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&'()*+,;=-]*\Z")


def malformed(href: str) -> bool:
    """A target no URL parser can read (`http://[x`: an unclosed IPv6 host); classify() calls it unsafe."""
    try:
        urlsplit(_cleaned(href))
    except ValueError:
        return True
    return False


def _cleaned(href: str) -> str:
    return _CONTROL.sub("", unicodedata.normalize("NFKC", unquote(href))).strip()


def _read_scheme(href: str) -> LinkKind:
    cleaned = _cleaned(href)
    if cleaned.startswith("//") or cleaned.startswith("\\\\") or cleaned.startswith("/\\"):
        return "unsafe"  # protocol-relative: leaves the site
    try:
        scheme = urlsplit(cleaned).scheme.lower()
    except ValueError:
        return "unsafe"  # malformed: never made a link (validate reports it as JM122)
    if re.match(r"^[a-z][a-z0-9+.-]*:", cleaned.lower()) and not scheme:
        scheme = cleaned.split(":", 1)[0].lower()
    if scheme:
        if scheme not in SAFE_SCHEMES:
            return "unsafe"
        return "mailto" if scheme == "mailto" else "external"
    if cleaned.startswith("#"):
        return "anchor"
    return "relative"


_classify_memo = lru_cache(maxsize=16384)(_classify)


def resolve_relative(base_file: str, href: str) -> tuple[str | None, str]:
    """Resolve `href` written in content file `base_file` (both relative to the content folder).

    Returns (target path or None when it leaves the content folder, '#fragment' or '').
    """
    path, _, fragment = href.partition("#")
    path = unquote(path.split("?", 1)[0])
    if path.startswith("/"):
        return None, fragment
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(base_file), path)) if path else base_file
    if joined == ".." or joined.startswith("../"):
        return None, fragment
    return joined, ("#" + fragment if fragment else "")
