"""Markdown bodies -> safe HTML (markdown-it-py, raw HTML off), and the links a body contains."""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import Callable, Iterator
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from .content import slugify
from .links import classify

# content-relative target path + '#fragment' -> URL for the page being rendered, or None if unknown
LinkResolver = Callable[[str, str], "str | None"]


@dataclass(frozen=True)
class BodyLink:
    href: str
    line: int  # 0-based line within the body
    column: int  # 1-based


def _heading_slug(text: str) -> str:
    """A heading's id. Ids the theme owns stay the theme's: its scripts and labels look up `jm-*` ids
    (`jm-site` holds the page's settings) and the skip link targets `#main`; a heading that took one of
    them first would hijack it (DOM clobbering), so such a slug gets an `h-` prefix."""
    slug = slugify(text)
    return "h-" + slug if slug == "main" or slug.startswith("jm-") else slug


def _anchors(state: StateCore) -> None:
    """Ids and ¶ permalinks for h2-h4, as mdit_py_plugins' anchors plugin writes them (`x`, `x-1`, `x-2`...),
    but in linear time: the plugin looks for a free `x-N` from 1 on every time, so a body of one repeated
    heading took quadratic time (20,000 headings: 45 s)."""
    taken: set[str] = set()
    next_number: dict[str, int] = {}
    for index, token in enumerate(state.tokens):
        if token.type != "heading_open" or token.tag not in ("h2", "h3", "h4"):
            continue
        inline = state.tokens[index + 1]
        children = inline.children or []
        slug = _heading_slug("".join(child.content for child in children if child.type in ("text", "code_inline")))
        unique, number = slug, next_number.get(slug, 1)
        while unique in taken:  # every slug-K below next_number[slug] is taken already
            unique, number = f"{slug}-{number}", number + 1
        next_number[slug] = number
        taken.add(unique)
        token.attrSet("id", unique)
        link = Token("link_open", "a", 1)
        link.attrSet("class", "header-anchor")
        link.attrSet("href", f"#{unique}")
        inline.children = children + [Token("text", "", 0, content=" "), link,
                                      Token("html_block", "", 0, content="¶"), Token("link_close", "a", -1)]


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
    md.validateLink = lambda url: classify(url) != "unsafe"  # type: ignore[method-assign]
    md.core.ruler.push("anchor", _anchors)
    md.add_render_rule("link_open", _render_link_open)
    md.add_render_rule("image", _render_image)
    return md


@lru_cache(maxsize=1)
def _scanner() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.validateLink = lambda url: True  # type: ignore[method-assign]  # see every link, to report bad ones
    return md


def render(body: str, source: str, resolve: LinkResolver) -> str:
    """Render a body written in content file `source` (relative to the content folder)."""
    return _renderer().render(body, {"source": source, "resolve": resolve})


def _rewrite(token: Token, attr: str, env: dict) -> None:
    href = str(token.attrGet(attr) or "")
    if classify(href) == "relative":
        resolved = env["resolve"](env["source"], href)
        token.attrSet(attr, resolved if resolved is not None else "#")


def _render_link_open(self, tokens: list[Token], idx: int, options, env: dict) -> str:  # type: ignore[no-untyped-def]
    token = tokens[idx]
    _rewrite(token, "href", env)
    if classify(str(token.attrGet("href") or "")) == "external":
        token.attrSet("rel", "noopener noreferrer")
    return self.renderToken(tokens, idx, options, env)


def _render_image(self, tokens: list[Token], idx: int, options, env: dict) -> str:  # type: ignore[no-untyped-def]
    token = tokens[idx]
    _rewrite(token, "src", env)
    token.attrSet("loading", "lazy")
    return self.image(tokens, idx, options, env)


# How far from the previous link the next one is looked for (links come in source order): searching
# the whole block for each link took quadratic time on a long paragraph of links.
_WINDOW = 65536


#: body -> the (href, line, column) of its links: set by build.py to a dict it keeps between builds, so
#: checking the links of 5,000 unchanged bodies does not parse them all again.
LINKS_MEMO: dict[str, tuple[tuple[str, int, int], ...]] | None = None


def iter_links(body: str) -> Iterator[BodyLink]:
    """Every link and image target in a body, with its position (the block's start when not found:
    markdown-it decodes entities and escapes, so the written form can differ)."""
    memo = LINKS_MEMO
    if memo is None:
        return _iter_links(body)
    found = memo.get(body)
    if found is None:
        found = memo[body] = tuple((link.href, link.line, link.column) for link in _iter_links(body))
    return iter([BodyLink(*row) for row in found])


def _iter_links(body: str) -> Iterator[BodyLink]:
    # A link or image needs '](' (inline), ']:' (a reference definition) or '<' (an autolink) in the text:
    # most bodies have none and need no parse. (Inline content is the text with line prefixes removed,
    # which cannot join ']' to '(' or ':'.)
    if "](" in body or "]:" in body or "<" in body:
        yield from _scan_links(body)


def _scan_links(body: str) -> Iterator[BodyLink]:
    lines = body.split("\n")
    for block in _scanner().parse(body):
        if block.type != "inline" or not block.children:
            continue
        first = block.map[0] if block.map else 0
        last = min(block.map[1] if block.map else first + 1, len(lines))
        text = "\n".join(lines[first:last])
        line_starts = list(accumulate((len(line) + 1 for line in lines[first:last - 1]), initial=0))
        cursor = 0
        opened: list[str] = []
        for child in block.children:
            if child.type == "link_open":  # a link's target is written after its text (which may hold images)
                opened.append(str(child.attrGet("href") or ""))
                continue
            if child.type == "link_close" and opened:
                href = opened.pop()
            elif child.type == "image":
                href = str(child.attrGet("src") or "")
            else:
                continue
            offset = _find(text, href, cursor)
            if offset is None:
                yield BodyLink(href, first, 1)
                continue
            cursor = max(cursor, offset + 1)
            row = bisect_right(line_starts, offset) - 1
            yield BodyLink(href, first + row, offset - line_starts[row] + 1)


def _find(text: str, href: str, cursor: int) -> int | None:
    """Where `href` is written in `text`: from `cursor` on (targets come in source order), else just
    before it. None when it is not found nearby."""
    # markdown-it percent-encodes what it normalises (spaces, non-ASCII): look for the written form too
    needles = list(dict.fromkeys((href, unquote(href))))
    for needle in needles:
        found = text.find(needle, cursor, cursor + _WINDOW + len(needle)) if needle else -1
        if found >= 0:
            return found
    for needle in needles:
        found = text.find(needle, max(0, cursor - _WINDOW), cursor + len(needle)) if needle else -1
        if found >= 0:
            return found
    return None
