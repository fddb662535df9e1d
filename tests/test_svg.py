"""The map as SVG (generator/svg.py, generator/maps.py): ids, accessibility, safety, determinism."""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeymap.layout import layout_journey
from journeymap.maps import CurveSeries, RenderedMap, needs_overview, render_emotion_chart, render_journey_map
from journeymap.model import Journey, Persona, Site, Touchpoint
from journeymap.schema import PersonaMeta
from journeymap.svg import normalise_prefix

from test_layout import check_layout, example_site, synthetic_journey, synthetic_site

REPO = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = ['</text><script>alert(1)</script>', '" onload="x', "<foreignObject><iframe src=javascript:alert(1)>",
           "javascript:alert(1)", "]]><script>alert(2)</script>", "&amp; &lt;b&gt; <!-- -->"]


def link(tp: Touchpoint) -> str:
    return f"../touchpoints/{tp.id}/"


@pytest.fixture(scope="module")
def examples() -> Site:
    return example_site()


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.encode("utf-8"))


def ids(root: ET.Element) -> list[str]:
    return [el.get("id") for el in root.iter() if el.get("id") is not None]


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# --- structure and accessibility ------------------------------------------------------------------


def test_inline_map_structure(examples: Site) -> None:
    journey = examples.journeys["first-purchase"]
    rendered = render_journey_map(examples, journey, link=link, id_prefix="map-")
    assert isinstance(rendered, RenderedMap)
    assert not rendered.svg.startswith("<?xml")
    assert "<style" not in rendered.svg  # inline maps use the page's map.css
    root = parse(rendered.svg)
    assert local(root.tag) == "svg"
    assert root.get("viewBox") == f"0 0 {rendered.width:g} {rendered.height:g}"
    assert root.get("width") == f"{rendered.width:g}" and root.get("height") == f"{rendered.height:g}"
    assert "jm-map" in root.get("class", "").split()
    # <title> and <desc> first, referenced from the root.
    title, desc = list(root)[:2]
    assert local(title.tag) == "title" and title.text == "Journey map: First purchase (current state)"
    assert local(desc.tag) == "desc" and "18 steps in 6 stages" in desc.text
    assert root.get("aria-labelledby") == title.get("id") == "map-title"
    assert root.get("aria-describedby") == desc.get("id") == "map-desc"
    # The map contains links: no role="img" anywhere (axe nested-interactive).
    assert not [el for el in root.iter() if el.get("role") == "img"]
    links = [el for el in root.iter(f"{SVG}a")]
    assert [a.get("href") for a in links] == [link(tp) for tp in journey.touchpoints]
    assert all(a.get("target") is None for a in links)  # not svgwrite's default _blank
    assert links[3].get("aria-label") == "Step 4 of 18: Compares jackets on the website (Consideration)"
    assert links[3].get("id") == "map-step-compares-jackets"
    # Every text of the map is inside the SVG; sizes are attributes, never below 12 px.
    sizes = [float(t.get("font-size")) for t in root.iter(f"{SVG}text")]
    assert sizes and min(sizes) >= 12
    texts = "".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "Compares jackets on the website" in texts and "Maya Okafor" in texts
    # Channel icons and markers are drawn.
    classes = " ".join(el.get("class", "") for el in root.iter())
    for needed in ("channel-icon", "badge-pain", "badge-opportunity", "emotion-curve", "emotion-marker",
                   "stage-band", "neutral-line", "col-hit"):
        assert needed in classes


def test_ids_are_unique_prefixed_and_derived_from_content(examples: Site) -> None:
    for journey in examples.journeys.values():
        for kwargs in ({}, {"overview": True}, {"stage_id": journey.stages[0].id}, {"standalone": True}):
            root = parse(_strip_decl(render_journey_map(examples, journey, link=link, id_prefix="jm-x-", **kwargs).svg))
            found = ids(root)
            assert len(found) == len(set(found)), "duplicate ids"
            assert all(i.startswith("jm-x-") for i in found)
            # No counters: every id is a fixed word plus content ids.
            allowed = {tp.id for tp in journey.touchpoints} | {s.id for s in journey.stages}
            allowed |= {lane.id for lane in journey.lanes} | set(journey.meta.personas) | {"all"}
            for ident in found:
                rest = ident[len("jm-x-"):]
                kind, _, name = rest.partition("-")
                if kind in ("title", "desc", "map"):
                    continue
                if kind == "curve":
                    name = name.rsplit("-", 1)[0]
                assert name in allowed, ident


def test_two_maps_on_one_page_share_no_id(examples: Site) -> None:
    journey = examples.journeys["first-purchase"]
    a = ids(parse(render_journey_map(examples, journey, link=link, id_prefix="map-").svg))
    b = ids(parse(render_journey_map(examples, journey, link=link, id_prefix="overview-", overview=True).svg))
    c = ids(parse(render_journey_map(examples, examples.journeys["first-purchase-future"], link=link,
                                     id_prefix="future-").svg))
    d = ids(parse(render_journey_map(examples, journey, link=link, id_prefix="map-consideration-",
                                     stage_id="consideration").svg))
    e = ids(parse(render_emotion_chart(examples, ["a", "b"], [("S", 2)], [CurveSeries("x", [1, 2], "series-1")],
                                       id_prefix="chart-", title="t")))
    groups = [set(a), set(b), set(c), set(d), set(e)]
    for i, left in enumerate(groups):
        for right in groups[i + 1:]:
            assert not left & right


def test_id_prefix_is_checked() -> None:
    assert normalise_prefix("map") == "map-"
    assert normalise_prefix("map-") == "map-"
    for bad in ("", "1map", 'm" onload="x', "a b", "m<"):
        with pytest.raises(ValueError):
            normalise_prefix(bad)


def test_standalone_map_embeds_styles_and_font(examples: Site) -> None:
    journey = examples.journeys["support-request"]
    rendered = render_journey_map(examples, journey, link=link, id_prefix="map-", standalone=True)
    assert rendered.svg.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg')
    root = parse(rendered.svg)
    (style,) = [el for el in root.iter(f"{SVG}style")]
    css = style.text
    assert "@font-face" in css and "data:font/woff2;base64," in css
    assert ".jm-map" in css and "prefers-color-scheme: dark" in css and '[data-theme="dark"]' in css
    # Nothing outside the file: every url() is a data: URI, no href but the column links.
    assert all(u.startswith(("data:", '"data:')) for u in re.findall(r"url\(([^)]*)\)", css))
    hrefs = [el.get("href") for el in root.iter() if el.get("href") is not None]
    assert hrefs == [link(tp) for tp in journey.touchpoints]
    assert not [k for el in root.iter() for k in el.attrib if "href" in k and el.get(k) not in hrefs]


def test_palette_reaches_the_standalone_map(tmp_path: Path) -> None:
    site = synthetic_site(theme={"palette": {"primary": "#123ABC", "accent": "#ff0000"}})
    journey = synthetic_journey(site, 3)
    svg = render_journey_map(site, journey, link=link, id_prefix="m-", standalone=True).svg
    root = parse(svg)
    assert root.get("style") == "--jm-accent: #ff0000; --jm-primary: #123abc"
    inline = parse(render_journey_map(site, journey, link=link, id_prefix="m-").svg)
    assert inline.get("style") is None  # inline maps take the palette from the page


def test_lane_colours_are_validated_custom_properties() -> None:
    site = synthetic_site()
    lanes = [{"id": "actions", "color": "#AbC"}, {"id": "kpi", "extra": "kpi", "color": "positive"}, "thoughts"]
    journey = synthetic_journey(site, 3, lanes=lanes)
    root = parse(render_journey_map(site, journey, link=link, id_prefix="m-").svg)
    styles = {el.get("style") for el in root.iter() if el.get("style")}
    assert styles == {"--jm-lane: #abc", "--jm-lane: var(--jm-positive)"}


def test_lane_colour_never_reaches_style_unvalidated() -> None:
    from journeymap.schema import LaneSpec
    from journeymap.svg import _style

    site = synthetic_site()
    journey = synthetic_journey(site, 2, lanes=["actions"])
    # Bypass schema validation on purpose: a colour that is not a hex value or token is dropped.
    journey.lanes = [LaneSpec.model_construct(id="actions", title=None, extra=None, color="red;}</style><script>")]
    svg = render_journey_map(site, journey, link=link, id_prefix="m-").svg
    assert "script" not in svg and "style=" not in svg
    assert _style("--jm-lane: red; background: url(x)") is None
    assert _style("--jm-lane: #12345g") is None


def test_chart_structure(examples: Site) -> None:
    series = [CurveSeries("Current state", [2, 3, None, 1], "series-current"),
              CurveSeries("Future state", [4, 4, 5, 5], "series-future")]
    svg = render_emotion_chart(examples, ["Sees post", "Searches", "Compares", "Pays"], [("Awareness", 2), ("Buy", 2)],
                               series, id_prefix="cmp-", title="Current vs future")
    root = parse(svg)
    assert root.get("role") == "img"  # no links inside: an image with a name
    title, desc = list(root)[:2]
    assert title.text == "Current vs future" and root.get("aria-labelledby") == "cmp-title"
    assert "Current state ranges from 1 to 3" in desc.text
    curves = [el for el in root.iter(f"{SVG}path") if "emotion-curve" in el.get("class", "")]
    assert {c.get("class") for c in curves} == {"emotion-curve series-current", "emotion-curve series-future"}
    assert len(ids(root)) == len(set(ids(root)))


# --- safety ---------------------------------------------------------------------------------------


def _hostile_site(text: str) -> tuple[Site, Journey]:
    site = synthetic_site(personas=["villain"])
    site.personas["villain"] = Persona("villain", PersonaMeta(name=text), site.personas["villain"].source)
    lanes = ["actions", "thoughts", "emotion", "channels", "frontstage", "backstage", "support", "pain_points",
             "opportunities", "owner", {"id": "kpi", "title": text, "extra": "kpi"}]
    journey = synthetic_journey(
        site, 3, personas=["villain"], lanes=lanes, title=text,
        step_fields=lambda i: {"title": text, "action": text, "thought": text, "frontstage": [text], "backstage": [text],
                               "support": [text], "pain_points": [{"title": text, "description": text}],
                               "opportunities": [{"title": text, "impact": text, "effort": text}],
                               "extra": {"kpi": text}},
        stage_fields=lambda s: {"title": text, "goal": text})
    return site, journey


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("form", ["inline", "standalone", "overview"])
def test_hostile_content_is_only_ever_text(text: str, form: str) -> None:
    site, journey = _hostile_site(text)
    svg = render_journey_map(site, journey, link=link, id_prefix="m-", standalone=form == "standalone",
                             overview=form == "overview").svg
    root = parse(svg)  # well-formed XML
    tags = {local(el.tag) for el in root.iter()}
    assert tags <= {"svg", "title", "desc", "style", "g", "rect", "text", "path", "circle", "a"}
    for el in root.iter():
        for name, value in el.attrib.items():
            assert not local(name).lower().startswith("on"), (name, value)
            assert "javascript:" not in value.lower() or local(name) in ("aria-label",), (name, value)
            if "href" in name:
                assert value.startswith("../touchpoints/")
    # The hostile string is there, as text.
    contents = [el.text or "" for el in root.iter()] + [el.get("aria-label") or "" for el in root.iter()]
    assert any(text.strip() in c for c in contents)
    assert "<script" not in svg and "<foreignObject" not in svg and "<iframe" not in svg


def test_unsafe_link_targets_are_refused(examples: Site) -> None:
    journey = examples.journeys["first-purchase"]
    with pytest.raises(ValueError):
        render_journey_map(examples, journey, link=lambda tp: "javascript:alert(1)", id_prefix="m-")
    with pytest.raises(ValueError):
        render_journey_map(examples, journey, link=lambda tp: " JaVa\tScRiPt:alert(1)", id_prefix="m-")


def test_control_characters_in_content_do_not_break_the_xml() -> None:
    site = synthetic_site()
    journey = synthetic_journey(site, 2, step_fields=lambda i: {"action": "bell\x07 and \x00null\x1b[31m and \ufffe"})
    svg = render_journey_map(site, journey, link=link, id_prefix="m-").svg
    parse(svg)
    assert "bell and null[31m and" in svg


# --- determinism ----------------------------------------------------------------------------------

RENDER_SCRIPT = """
import hashlib, sys
from pathlib import Path
from journeymap.model import load_site
from journeymap.maps import render_journey_map
site, _ = load_site(Path(sys.argv[1]))
out = []
for journey in site.journeys.values():
    for kwargs in ({}, {"standalone": True}, {"overview": True}, {"stage_id": journey.stages[1].id}):
        svg = render_journey_map(site, journey, link=lambda tp: "../" + tp.id + "/", id_prefix="map-", **kwargs).svg
        out.append(hashlib.sha256(svg.encode()).hexdigest())
print(" ".join(out))
"""


@pytest.mark.slow
def test_the_same_map_in_two_processes_is_byte_identical(examples: Site) -> None:
    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run([sys.executable, "-c", RENDER_SCRIPT, str(REPO)], capture_output=True, text=True,
                                env=env, timeout=120, check=True)
        runs.append(result.stdout.split())
    assert runs[0] == runs[1] and len(runs[0]) == 12
    # ...and identical to this process's rendering.
    here = []
    for journey in examples.journeys.values():
        for kwargs in ({}, {"standalone": True}, {"overview": True}, {"stage_id": journey.stages[1].id}):
            svg = render_journey_map(examples, journey, link=lambda tp: "../" + tp.id + "/", id_prefix="map-",
                                     **kwargs).svg
            here.append(hashlib.sha256(svg.encode()).hexdigest())
    assert here == runs[0]


def test_rendering_twice_in_one_process_is_identical(examples: Site) -> None:
    journey = examples.journeys["first-purchase"]
    first = render_journey_map(examples, journey, link=link, id_prefix="map-").svg
    render_journey_map(examples, examples.journeys["support-request"], link=link, id_prefix="map-")
    assert render_journey_map(examples, journey, link=link, id_prefix="map-").svg == first


def test_needs_overview() -> None:
    site = synthetic_site()
    assert not needs_overview(synthetic_journey(site, 40))
    assert needs_overview(synthetic_journey(site, 41))


def _strip_decl(svg: str) -> str:
    return svg.split("\n", 1)[1] if svg.startswith("<?xml") else svg


# --- any text at all ------------------------------------------------------------------------------

ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=120)


@settings(max_examples=int(os.environ.get("JM_FUZZ_EXAMPLES", "25")), deadline=None)
@given(title=ANY_TEXT, action=ANY_TEXT, item=ANY_TEXT, persona=ANY_TEXT)
def test_any_text_lays_out_and_draws_safely(title: str, action: str, item: str, persona: str) -> None:
    site = synthetic_site(personas=["p"])
    site.personas["p"] = Persona("p", PersonaMeta(name=persona or "x"), site.personas["p"].source)
    journey = synthetic_journey(site, 2, personas=["p"], title=title or "t",
                                step_fields=lambda i: {"title": title or "t", "action": action, "frontstage": [item],
                                                       "pain_points": [item or "x"], "extra": {"kpi": item}},
                                lanes=["actions", "emotion", "frontstage", "pain_points",
                                       {"id": "kpi", "extra": "kpi", "title": item or "KPI"}])
    layout = layout_journey(site, journey, link=link)
    check_layout(layout)
    root = parse(render_journey_map(site, journey, link=link, id_prefix="m-").svg)
    assert {local(el.tag) for el in root.iter()} <= {"svg", "title", "desc", "g", "rect", "text", "path", "circle", "a"}
    assert not [name for el in root.iter() for name in el.attrib if local(name).lower().startswith("on")]


def test_every_shape_is_styled_by_map_css(examples: Site) -> None:
    """A shape without a class map.css knows would be drawn in SVG's default black."""
    css = (REPO / "theme" / "assets" / "map.css").read_text(encoding="utf-8")
    known = set()
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        if re.search(r"(^|[;\s])fill\s*:", body):  # rules that paint a shape
            known |= set(re.findall(r"\.([a-z][a-z0-9_-]*)", selectors))
    known -= {"jm-map"}
    site = synthetic_site(personas=["a", "b"])
    journeys = list(examples.journeys.values()) + [
        synthetic_journey(site, 3, personas=["a", "b"], step_fields=lambda i: {
            "pain_points": [f"p{k}" for k in range(7)], "frontstage": [f"f{k}" for k in range(7)]})]
    for journey in journeys:
        owner = examples if journey.id in examples.journeys else site
        for kwargs in ({}, {"overview": True}):
            root = parse(render_journey_map(owner, journey, link=link, id_prefix="m-", **kwargs).svg)
            for el in root.iter():
                if local(el.tag) in ("rect", "circle", "path"):
                    classes = set(el.get("class", "").split())
                    assert classes & known, f"unstyled <{local(el.tag)} class={el.get('class')!r}>"
