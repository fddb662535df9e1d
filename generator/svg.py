"""MapLayout -> SVG text. The only module that knows svgwrite.

svgwrite is inactive upstream, so it stays behind this one module. It is used with `debug=False`
(its validator rejects `role` and `aria-*`) and every element that gets an id gets an explicit one,
derived from the caller's id prefix and content ids (svgwrite's automatic ids come from a
process-wide counter and would break byte-identical output).

Safety: every string from content reaches the SVG as element text or an attribute value, both of
which ElementTree escapes; class names, ids and style values come from the layout, which only
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
# of drawing a map. The map's leaves and groups are therefore `_El`s, made by `_Elements` (the same
# call signatures as the svgwrite factory methods used here) and written straight to text by
# `_write`, which produces exactly what svgwrite + ElementTree would: attributes sorted by name, None
# and empty values left out, ElementTree's escaping, `<x />` for empty elements. The document itself
# (svgwrite.Drawing) and its <title>, <desc> and <style> stay svgwrite objects.


_SVG_NAMES: dict[str, str] = {}


def _svg_name(key: str) -> str:
    """svgwrite's keyword -> attribute name rule (class_ -> class, font_size -> font-size), remembered."""
    name = _SVG_NAMES[key] = key.rstrip("_").replace("_", "-")
    return name


class _El:
    """An SVG element: name, attributes (SVG names), children, optional text."""

    __slots__ = ("elementname", "attribs", "elements", "text")

    def __init__(self, name: str, text: str | None = None, **extra: object):
        self.elementname = name
        names = _SVG_NAMES
        self.attribs: dict[str, object] = {names.get(key) or _svg_name(key): value for key, value in extra.items()}
        self.elements: list[object] = []
        self.text = text

    def add(self, element: object) -> object:
        self.elements.append(element)
        return element

    def __setitem__(self, key: str, value: object) -> None:
        self.attribs[key] = value

    def __getitem__(self, key: str) -> object:
        return self.attribs[key]

    def get_xml(self) -> etree.Element:
        """The ElementTree form, as svgwrite's get_xml gives it (for callers that want a tree)."""
        xml = etree.Element(self.elementname)
        for key, value in sorted(self.attribs.items()):
            if value is not None and str(value):
                xml.set(key, str(value))
        if self.text is not None:
            xml.text = str(self.text)
        for element in self.elements:
            xml.append(element.get_xml())  # type: ignore[attr-defined]
        return xml


class _Elements:
    """svgwrite's element factory methods used by the drawer, returning `_El`s."""

    @staticmethod
    def text(text: str, insert: tuple[str, str], **extra: object) -> _El:
        return _El("text", str(text), x=insert[0], y=insert[1], **extra)

    @staticmethod
    def rect(insert: tuple[object, object], size: tuple[object, object], **extra: object) -> _El:
        return _El("rect", x=insert[0], y=insert[1], width=size[0], height=size[1], **extra)

    @staticmethod
    def circle(center: tuple[object, object], r: object, **extra: object) -> _El:
        return _El("circle", cx=center[0], cy=center[1], r=r, **extra)

    @staticmethod
    def path(d: str, **extra: object) -> _El:
        return _El("path", d=d, **extra)

    @staticmethod
    def g(**extra: object) -> _El:
        return _El("g", **extra)

    @staticmethod
    def a(href: str, target: str | None = "_blank", **extra: object) -> _El:
        link = _El("a", **extra)
        link.attribs["xlink:href"] = href
        if target is not None:
            link.attribs["target"] = target
        return link


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
    if isinstance(element, _El):
        _write_node(element.elementname, element.attribs, element.text, element.elements, out)
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
        self.el = _Elements()  # the map's elements (see _El); self.dwg holds the document
        # Texts belong to a box (or to a marker): draw them with it.
        self.texts_of: dict[Rect, list[TextLine]] = defaultdict(list)
        for line in layout.texts:
            self.texts_of[line.box].append(line)
        # Markers and icons inside a card are drawn in the card's group (they take its lane colour).
        self.markers_in: dict[Rect, list[Marker]] = defaultdict(list)
        for marker in layout.markers:
            if marker.box is not None:
                self.markers_in[marker.box].append(marker)
        self.icons_in: dict[Rect, list[Icon]] = defaultdict(list)
        for icon in layout.icons:
            if icon.box is not None:
                self.icons_in[icon.box].append(icon)

    def serialise(self) -> str:
        """The SVG text, without the SVG 1.1 profile attributes and namespaces svgwrite adds."""
        self.dwg.attribs["xmlns"] = "http://www.w3.org/2000/svg"
        out: list[str] = []
        _write_node(self.dwg.elementname, self.dwg.attribs, None, self.dwg.elements, out)
        return "".join(out)

    def id(self, *parts: str) -> str:
        return self.p + "-".join(safe_key(part) if index else part for index, part in enumerate(parts))

    # -- primitives --------------------------------------------------------------------------------

    def text(self, line: TextLine) -> svgwrite.base.BaseElement:
        attrs: dict[str, str] = {"class_": _classes(line.role), "font_size": _num(line.size)}
        if line.bold:
            attrs["font_weight"] = "700"
        x = line.x
        if line.rtl:
            attrs["direction"] = "rtl"
            # In right-to-left text "start" is the right end: keep the line's visual anchor.
            attrs["text_anchor"] = {"end": "start", "start": "end", "middle": "middle"}[line.anchor]
            if attrs["text_anchor"] == "start":
                del attrs["text_anchor"]
        elif line.anchor != "start":
            attrs["text_anchor"] = line.anchor
        return self.el.text(line.text, insert=(_num(x), _num(line.y)), **attrs)

    def rect(self, rect: Rect, radius: float = 0.0, **extra: str) -> svgwrite.base.BaseElement:
        attrs = {"class_": _classes(rect.role)}
        if radius:
            attrs["rx"] = _num(radius)
        attrs.update(extra)
        return self.el.rect(insert=(_num(rect.x), _num(rect.y)), size=(_num(rect.w), _num(rect.h)), **attrs)

    def box(self, box: Box) -> svgwrite.base.BaseElement:
        group = self.el.g(class_=_classes("box " + box.role))
        style = _style(box.style)
        if style:
            group["style"] = style
        if box.tooltip:
            group.add(Title(box.tooltip))
        if "text-box" not in box.role.split():
            rect = self.rect(box.rect, box.radius)
            if style:
                rect["style"] = style
            group.add(rect)
        for marker in self.markers_in.get(box.rect, ()):
            group.add(self.marker(marker))
        for icon in self.icons_in.get(box.rect, ()):
            group.add(self.icon(icon))
        for line in self.texts_of.get(box.rect, ()):
            group.add(self.text(line))
        return group

    def marker(self, marker: Marker) -> svgwrite.base.BaseElement:
        circle = self.el.circle(center=(_num(marker.cx), _num(marker.cy)), r=_num(marker.r),
                                 class_=_classes("marker " + marker.role))
        icon = MARKER_ICONS.get(marker.icon or "")
        texts = self.texts_of.get(marker.bounds, ())
        if not (marker.tooltip or icon or texts):
            return circle
        group = self.el.g(class_=_classes("marker-group " + marker.kind))
        if marker.tooltip:
            group.add(Title(marker.tooltip))
        group.add(circle)
        if icon:
            scale = 2 * marker.r * 0.75 / 24
            ox, oy = marker.cx - 12 * scale, marker.cy - 12 * scale
            group.add(self.el.path(d=icon, class_=f"marker-icon marker-icon-{marker.icon}",
                                    transform=f"translate({_num(ox)} {_num(oy)}) scale({scale:.4f})"))
        for line in texts:
            group.add(self.text(line))
        return group

    def icon(self, icon: Icon) -> svgwrite.base.BaseElement:
        scale = icon.size / 24
        return self.el.path(d=icon_path(icon.name), class_=_classes("icon " + icon.role + " icon-" + icon.name),
                             transform=f"translate({_num(icon.x)} {_num(icon.y)}) scale({scale:.4f})")

    def add_group_items(self, parent, group: str, boxes: dict[str, list[Box]], markers: dict[str, list[Marker]],
                        icons: dict[str, list[Icon]]) -> None:
        for box in boxes.get(group, ()):
            parent.add(self.box(box))
        for marker in markers.get(group, ()):
            if marker.box is None:
                parent.add(self.marker(marker))
        for icon in icons.get(group, ()):
            if icon.box is None:
                parent.add(self.icon(icon))

    # -- the map -----------------------------------------------------------------------------------

    def draw_map(self, *, css: str | None, root_style: str | None) -> str:
        layout, dwg, el, p = self.layout, self.dwg, self.el, self.p
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

        dwg.add(el.rect(insert=(0, 0), size=(_num(layout.width), _num(layout.height)), class_="map-bg"))
        header = el.g(class_="jm-header-group")
        self.add_group_items(header, "header", boxes, markers, icons)
        dwg.add(header)

        grid = el.g(class_="jm-grid")
        for stage in layout.stages:
            grid.add(self.rect(stage.span, 6))
        for lane in layout.lanes:
            lane_rect = self.rect(lane.rect, id=self.id("lane", lane.id))
            style = _style(f"--jm-lane: {lane.colour}" if lane.colour else None)
            if style:
                lane_rect["style"] = style
            grid.add(lane_rect)
        for path in paths.get("grid", ()):
            grid.add(el.path(d=path.d, class_=_classes(path.role)))
        dwg.add(grid)

        gutter = el.g(class_="jm-gutter")
        self.add_group_items(gutter, "gutter", boxes, markers, icons)
        dwg.add(gutter)

        stages = el.g(class_="jm-stages")
        for stage in layout.stages:
            band = el.g(id=self.id("stage", stage.stage_id), class_="jm-stage")
            self.add_group_items(band, f"stage:{stage.stage_id}", boxes, markers, icons)
            stages.add(band)
        dwg.add(stages)

        curves = el.g(class_="jm-curves", **{"aria-hidden": "true"})
        for series in layout.series:
            for index, path in enumerate(series.paths):
                curves.add(el.path(d=path.d, class_=_classes(path.role),
                                    id=self.id("curve", series.key, str(index + 1))))
        dwg.add(curves)

        columns = el.g(class_="jm-columns")
        for column in layout.columns:
            link = el.a(href=_href(column.href), id=self.id("step", column.touchpoint_id), class_="jm-col",
                         **{"aria-label": column.label})
            link.attribs.pop("target", None)  # svgwrite defaults to target="_blank"
            link.attribs["href"] = link.attribs.pop("xlink:href")
            if layout.mode == "overview":
                link.add(Title(column.label))
            link.add(self.rect(column.hit, 4))
            self.add_group_items(link, f"col:{column.touchpoint_id}", boxes, markers, icons)
            columns.add(link)
        dwg.add(columns)
        return self.serialise()

    # -- the chart ---------------------------------------------------------------------------------

    def draw_chart(self) -> str:
        layout, dwg, el, p = self.layout, self.dwg, self.el, self.p
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
        dwg.add(el.rect(insert=(0, 0), size=(_num(layout.width), _num(layout.height)), class_="map-bg"))
        for group_name in ("bands", "gutter", "labels"):
            group = el.g(class_=f"jm-chart-{group_name}")
            self.add_group_items(group, group_name, boxes, markers, {})
            dwg.add(group)
        grid = el.g(class_="jm-grid")
        for path in layout.paths:
            if path.group == "grid":
                grid.add(el.path(d=path.d, class_=_classes(path.role)))
        dwg.add(grid)
        legend = el.g(class_="jm-legend")
        for path in layout.paths:
            if path.group == "legend":
                legend.add(el.path(d=path.d, class_=_classes(path.role)))
        self.add_group_items(legend, "legend", boxes, markers, {})
        dwg.add(legend)
        curves = el.g(class_="jm-curves")
        for s_index, series in enumerate(layout.series):
            for index, path in enumerate(series.paths):
                curves.add(el.path(d=path.d, class_=_classes(path.role), id=f"{p}curve-{s_index + 1}-{index + 1}"))
        dwg.add(curves)
        plot = el.g(class_="jm-plot")
        self.add_group_items(plot, "plot", boxes, markers, {})
        dwg.add(plot)
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

