"""MapLayout -> SVG text. The only module that knows svgwrite.

svgwrite is inactive upstream, so it stays behind this one module. It makes the document and its
<title>, <desc> and <style> (with `debug=False`: its validator rejects `role` and `aria-*`); the map's
elements are written as text (see "cheap elements"). Every element that gets an id gets an explicit
one, derived from the caller's id prefix and content ids (svgwrite's automatic ids come from a
process-wide counter and would break byte-identical output).

Safety: every string from content reaches the SVG as element text or an attribute value, both
escaped as ElementTree escapes them (`_escape_text`, `_escape_attr`); class names, ids and style values come from the layout, which only
builds them from slugs, fixed words and validated colours; link targets come from the caller and
are refused if they use a scheme other than http(s)/mailto.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections import defaultdict
from functools import lru_cache

import svgwrite
from svgwrite.base import Desc, Title

from .icons import MARKER_ICONS, icon_path
from .layout import Box, Icon, MapLayout, Marker, Rect, TextLine, _num, safe_key
from .links import classify

ID_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}\Z")
CLASS_TOKEN = re.compile(r"^[a-z][a-z0-9_-]*\Z")
STYLE_VALUE = re.compile(r"^--jm-[a-z0-9_-]+: (#[0-9a-f]{3}|#[0-9a-f]{6}|var\(--jm-[a-z0-9-]+\))\Z")
FONT_STACK = "jm-map-font, Inter, system-ui, sans-serif"


def normalise_prefix(id_prefix: str) -> str:
    """The id prefix, checked, ending in '-' (or '_') so ids read `<prefix>step-<id>`."""
    if not ID_PREFIX.match(id_prefix):
        raise ValueError(f"id_prefix must start with a letter and use only letters, digits, '-' and '_': {id_prefix!r}")
    return id_prefix if id_prefix.endswith(("-", "_")) else id_prefix + "-"


@lru_cache(maxsize=4096)
def _classes(role: str) -> str:
    """Class attribute from a role; any token that is not a plain class name is dropped."""
    return " ".join(token for token in role.split() if CLASS_TOKEN.match(token))


def _style(style: str | None) -> str | None:
    return style if style and STYLE_VALUE.match(style) else None


def _href(href: str) -> str:
    if classify(href) == "unsafe":
        raise ValueError(f"refusing an unsafe link target in a map: {href!r}")
    return href


# --- cheap elements -------------------------------------------------------------------------------
# A 200-step map has some 20,000 elements. svgwrite builds each as an object with a parameter block and
# a validator, then converts the whole tree to ElementTree and serialises that: about 60% of the time
# of drawing a map. The map's elements are therefore written straight to text by the drawer, exactly
# as svgwrite + ElementTree would write them: attributes sorted by name (written in that order by hand),
# None and empty values left out, ElementTree's escaping, `<x />` for empty elements. Numbers (from
# `_num`) and class lists (from `_classes`) need no escaping. The document itself (svgwrite.Drawing)
# and its <title>, <desc> and <style> stay svgwrite objects.


def _attr(name: str, value: str | None) -> str:
    """` name="value"`, escaped; '' for a value ElementTree leaves out (None or empty)."""
    return f' {name}="{_escape_attr(value)}"' if value else ""


def _class(value: str) -> str:
    """The class attribute of a `_classes` value (plain tokens: nothing to escape)."""
    return f' class="{value}"' if value else ""


def _node(name: str, attrs: str, children: list[str]) -> str:
    """An element with children (already written), or an empty one."""
    return f"<{name}{attrs}>{''.join(children)}</{name}>" if children else f"<{name}{attrs} />"


_RTL_ANCHOR = {"end": "start", "start": "end", "middle": "middle"}
_NOTHING_INSIDE: tuple[list, list, list] = ([], [], [])


def _title(text: str) -> str:
    """A <title> tooltip, as svgwrite's Title writes it."""
    return f"<title>{_escape_text(text)}</title>" if text else "<title />"


def _escape_text(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _escape_attr(text: str) -> str:
    text = _escape_text(text)
    if '"' in text:
        text = text.replace('"', "&quot;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    if "\n" in text:
        text = text.replace("\n", "&#10;")
    if "\t" in text:
        text = text.replace("\t", "&#09;")
    return text


def _write_node(name: str, attribs: dict, text: str | None, children: list, out: list[str]) -> None:
    out.append("<" + name)
    for key, value in sorted(attribs.items()):
        if value is not None:
            value = str(value)
            if value:
                out.append(f' {key}="{_escape_attr(value)}"')
    if text or children:
        out.append(">")
        if text:
            out.append(_escape_text(text))
        for child in children:
            _write(child, out)
        out.append(f"</{name}>")
    else:
        out.append(" />")


def _write(element: object, out: list[str]) -> None:
    if isinstance(element, str):  # an element the drawer wrote
        out.append(element)
    else:  # an svgwrite object (<title>, <desc>, <style>): its ElementTree form, written the same way
        _write_etree(element.get_xml(), out)  # type: ignore[attr-defined]


def _write_etree(xml: etree.Element, out: list[str]) -> None:
    if xml.tag == svgwrite.etree.CDATA_TAG:  # svgwrite's CDATA hack (the <style> content)
        out.append(svgwrite.etree.CDATA_TPL % xml.text)
    else:
        out.append("<" + xml.tag)
        for key, value in xml.items():  # insertion order, as ElementTree writes them
            out.append(f' {key}="{_escape_attr(value)}"')
        if xml.text or len(xml):
            out.append(">")
            if xml.text:
                out.append(_escape_text(xml.text))
            for child in xml:
                _write_etree(child, out)
            out.append(f"</{xml.tag}>")
        else:
            out.append(" />")
    if xml.tail:
        out.append(_escape_text(xml.tail))


class _Drawer:
    def __init__(self, layout: MapLayout, prefix: str):
        self.layout = layout
        self.p = prefix
        self.dwg = svgwrite.Drawing(size=(_num(layout.width), _num(layout.height)), debug=False)
        self.dwg.elements.remove(self.dwg.defs)  # no empty <defs/>
        # What a box holds, drawn with it: markers and icons inside a card (they take its lane colour),
        # and texts (of a box, or of a marker: keyed by its bounds).
        self.inside: dict[Rect, tuple[list[Marker], list[Icon], list[TextLine]]] = defaultdict(lambda: ([], [], []))
        for marker in layout.markers:
            if marker.box is not None:
                self.inside[marker.box][0].append(marker)
        for icon in layout.icons:
            if icon.box is not None:
                self.inside[icon.box][1].append(icon)
        for line in layout.texts:
            self.inside[line.box][2].append(line)

    def serialise(self) -> str:
        """The SVG text, without the SVG 1.1 profile attributes and namespaces svgwrite adds."""
        self.dwg.attribs["xmlns"] = "http://www.w3.org/2000/svg"
        out: list[str] = []
        _write_node(self.dwg.elementname, self.dwg.attribs, None, self.dwg.elements, out)
        return "".join(out)

    def id(self, *parts: str) -> str:
        return self.p + "-".join(safe_key(part) if index else part for index, part in enumerate(parts))

    # -- primitives (each returns the element's text) ------------------------------------------------

    def text(self, line: TextLine) -> str:
        # In right-to-left text "start" is the right end: keep the line's visual anchor.
        anchor = _RTL_ANCHOR[line.anchor] if line.rtl else line.anchor
        direction = ' direction="rtl"' if line.rtl else ""
        weight = ' font-weight="700"' if line.bold else ""
        anchor_attr = _attr("text-anchor", anchor) if anchor != "start" else ""
        body = f">{_escape_text(line.text)}</text>" if line.text else " />"
        return (f'<text{_class(_classes(line.role))}{direction} font-size="{_num(line.size)}"{weight}{anchor_attr}'
                f' x="{_num(line.x)}" y="{_num(line.y)}"{body}')

    def rect(self, rect: Rect, radius: float = 0.0, *, id: str | None = None, style: str | None = None) -> str:
        rx = f' rx="{_num(radius)}"' if radius else ""
        return (f'<rect{_class(_classes(rect.role))} height="{_num(rect.h)}"{_attr("id", id)}{rx}{_attr("style", style)}'
                f' width="{_num(rect.w)}" x="{_num(rect.x)}" y="{_num(rect.y)}" />')

    def box(self, box: Box) -> str:
        style = _style(box.style)
        children = [_title(box.tooltip)] if box.tooltip else []
        if "text-box" not in box.role.split():
            children.append(self.rect(box.rect, box.radius, style=style))
        markers, icons, texts = self.inside.get(box.rect, _NOTHING_INSIDE)
        for marker in markers:
            children.append(self.marker(marker))
        for icon in icons:
            children.append(self.icon(icon))
        for line in texts:
            children.append(self.text(line))
        return _node("g", _class(_classes("box " + box.role)) + _attr("style", style), children)

    def marker(self, marker: Marker) -> str:
        circle = (f'<circle{_class(_classes("marker " + marker.role))} cx="{_num(marker.cx)}" cy="{_num(marker.cy)}"'
                  f' r="{_num(marker.r)}" />')
        icon = MARKER_ICONS.get(marker.icon or "")
        texts = self.inside.get(marker.bounds, _NOTHING_INSIDE)[2]
        if not (marker.tooltip or icon or texts):
            return circle
        children = [_title(marker.tooltip)] if marker.tooltip else []
        children.append(circle)
        if icon:
            scale = 2 * marker.r * 0.75 / 24
            ox, oy = marker.cx - 12 * scale, marker.cy - 12 * scale
            children.append(f'<path{_attr("class", f"marker-icon marker-icon-{marker.icon}")}{_attr("d", icon)}'
                            f' transform="translate({_num(ox)} {_num(oy)}) scale({scale:.4f})" />')
        for line in texts:
            children.append(self.text(line))
        return _node("g", _class(_classes("marker-group " + marker.kind)), children)

    def icon(self, icon: Icon) -> str:
        scale = icon.size / 24
        return (f'<path{_class(_classes("icon " + icon.role + " icon-" + icon.name))}{_attr("d", icon_path(icon.name))}'
                f' transform="translate({_num(icon.x)} {_num(icon.y)}) scale({scale:.4f})" />')

    def path(self, d: str, role: str, id: str | None = None) -> str:
        return f'<path{_class(_classes(role))}{_attr("d", d)}{_attr("id", id)} />'

    def add_group_items(self, parent: list[str], group: str, boxes: dict[str, list[Box]],
                        markers: dict[str, list[Marker]], icons: dict[str, list[Icon]]) -> None:
        for box in boxes.get(group, ()):
            parent.append(self.box(box))
        for marker in markers.get(group, ()):
            if marker.box is None:
                parent.append(self.marker(marker))
        for icon in icons.get(group, ()):
            if icon.box is None:
                parent.append(self.icon(icon))

    def background(self) -> str:
        return (f'<rect class="map-bg" height="{_num(self.layout.height)}" width="{_num(self.layout.width)}"'
                f' x="0" y="0" />')

    # -- the map -----------------------------------------------------------------------------------

    def draw_map(self, *, css: str | None, root_style: str | None) -> str:
        layout, dwg, p = self.layout, self.dwg, self.p
        root = dwg.attribs
        root["id"] = p + "map"
        root["class"] = f"jm-map jm-map-{layout.mode}"
        root["viewBox"] = f"0 0 {_num(layout.width)} {_num(layout.height)}"
        root["font-family"] = FONT_STACK
        root["aria-labelledby"] = f"{p}title"
        root["aria-describedby"] = f"{p}desc"
        if not layout.columns:
            root["role"] = "img"  # no links inside: a plain image
        if root_style:
            root["style"] = root_style
        title = Title(layout.title)
        title.xml.set("id", p + "title")
        desc = Desc(layout.desc)
        desc.xml.set("id", p + "desc")
        dwg.add(title)
        dwg.add(desc)
        if css:
            dwg.add(dwg.style(css))

        boxes: dict[str, list[Box]] = defaultdict(list)
        for box in layout.boxes:
            boxes[box.group].append(box)
        markers: dict[str, list[Marker]] = defaultdict(list)
        for marker in layout.markers:
            markers[marker.group].append(marker)
        icons: dict[str, list[Icon]] = defaultdict(list)
        for icon in layout.icons:
            icons[icon.group].append(icon)
        paths: dict[str, list] = defaultdict(list)
        for path in layout.paths:
            paths[path.group].append(path)

        dwg.add(self.background())
        header: list[str] = []
        self.add_group_items(header, "header", boxes, markers, icons)
        dwg.add(_node("g", ' class="jm-header-group"', header))

        grid = [self.rect(stage.span, 6) for stage in layout.stages]
        for lane in layout.lanes:
            style = _style(f"--jm-lane: {lane.colour}" if lane.colour else None)
            grid.append(self.rect(lane.rect, id=self.id("lane", lane.id), style=style))
        for path in paths.get("grid", ()):
            grid.append(self.path(path.d, path.role))
        dwg.add(_node("g", ' class="jm-grid"', grid))

        gutter: list[str] = []
        self.add_group_items(gutter, "gutter", boxes, markers, icons)
        dwg.add(_node("g", ' class="jm-gutter"', gutter))

        stages = []
        for stage in layout.stages:
            band: list[str] = []
            self.add_group_items(band, f"stage:{stage.stage_id}", boxes, markers, icons)
            stages.append(_node("g", ' class="jm-stage"' + _attr("id", self.id("stage", stage.stage_id)), band))
        dwg.add(_node("g", ' class="jm-stages"', stages))

        curves = [self.path(path.d, path.role, self.id("curve", series.key, str(index + 1)))
                  for series in layout.series for index, path in enumerate(series.paths)]
        dwg.add(_node("g", ' aria-hidden="true" class="jm-curves"', curves))

        columns = []
        for column in layout.columns:
            link = [_title(column.label)] if layout.mode == "overview" else []
            link.append(self.rect(column.hit, 4))
            self.add_group_items(link, f"col:{column.touchpoint_id}", boxes, markers, icons)
            attrs = (_attr("aria-label", column.label) + ' class="jm-col"' + _attr("href", _href(column.href))
                     + _attr("id", self.id("step", column.touchpoint_id)))
            columns.append(_node("a", attrs, link))
        dwg.add(_node("g", ' class="jm-columns"', columns))
        return self.serialise()

    # -- the chart ---------------------------------------------------------------------------------

    def draw_chart(self) -> str:
        layout, dwg, p = self.layout, self.dwg, self.p
        root = dwg.attribs
        root["id"] = p + "chart"
        root["class"] = "jm-map jm-chart"
        root["viewBox"] = f"0 0 {_num(layout.width)} {_num(layout.height)}"
        root["font-family"] = FONT_STACK
        root["role"] = "img"
        root["aria-labelledby"] = f"{p}title"
        root["aria-describedby"] = f"{p}desc"
        title = Title(layout.title)
        title.xml.set("id", p + "title")
        desc = Desc(layout.desc)
        desc.xml.set("id", p + "desc")
        dwg.add(title)
        dwg.add(desc)
        boxes: dict[str, list[Box]] = defaultdict(list)
        for box in layout.boxes:
            boxes[box.group].append(box)
        markers: dict[str, list[Marker]] = defaultdict(list)
        for marker in layout.markers:
            markers[marker.group].append(marker)
        dwg.add(self.background())
        for group_name in ("bands", "gutter", "labels"):
            group: list[str] = []
            self.add_group_items(group, group_name, boxes, markers, {})
            dwg.add(_node("g", _attr("class", f"jm-chart-{group_name}"), group))
        grid = [self.path(path.d, path.role) for path in layout.paths if path.group == "grid"]
        dwg.add(_node("g", ' class="jm-grid"', grid))
        legend = [self.path(path.d, path.role) for path in layout.paths if path.group == "legend"]
        self.add_group_items(legend, "legend", boxes, markers, {})
        dwg.add(_node("g", ' class="jm-legend"', legend))
        curves = [self.path(path.d, path.role, f"{p}curve-{s_index + 1}-{index + 1}")
                  for s_index, series in enumerate(layout.series) for index, path in enumerate(series.paths)]
        dwg.add(_node("g", ' class="jm-curves"', curves))
        plot: list[str] = []
        self.add_group_items(plot, "plot", boxes, markers, {})
        dwg.add(_node("g", ' class="jm-plot"', plot))
        return self.serialise()


def map_svg(layout: MapLayout, *, id_prefix: str, css: str | None = None, root_style: str | None = None,
            xml_declaration: bool = False) -> str:
    """The SVG text of a journey map layout. `css` is embedded in a <style> (standalone files)."""
    svg = _Drawer(layout, normalise_prefix(id_prefix)).draw_map(css=css, root_style=root_style)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n") if xml_declaration else svg


def chart_svg(layout: MapLayout, *, id_prefix: str) -> str:
    """The SVG text of an emotion chart layout."""
    return _Drawer(layout, normalise_prefix(id_prefix)).draw_chart()


def palette_style(palette: dict[str, str]) -> str | None:
    """`--jm-primary: #...; --jm-accent: #...` from an already validated palette."""
    parts = [f"--jm-{name}: {value}" for name, value in sorted(palette.items())
             if name in ("primary", "accent") and re.match(r"^#[0-9a-f]{3}([0-9a-f]{3})?\Z", value)]
    return "; ".join(parts) or None

