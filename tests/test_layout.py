"""The map layout (generator/layout.py): geometry checked on the MapLayout itself, not on SVG text.

For the example journeys and for synthetic ones (1 to 200 steps, long text, many stages, sparse
steps, CJK, emoji, right-to-left text, several personas' curves) every layout must keep the rules:
no two boxes overlap, every text line fits its box, every box lies in its cell, the view box holds
everything, and no text is smaller than 12 px.

The builders at the top (`synthetic_site`, `synthetic_journey`) are reused by test_svg.py and
benchmarks/bench_layout.py.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import pytest

from journeymap import textmeasure as tm
from journeymap.content import SourceDocument
from journeymap.layout import (MIN_FONT, TEXT_LINES, ChartSeries, MapLayout, Rect, layout_emotion_chart,
                               layout_journey, monotone_path, needs_overview)
from journeymap.model import Journey, Persona, Site, Stage, Touchpoint, load_site
from journeymap.schema import JourneyMeta, PersonaMeta, SiteConfig, StageMeta, TouchpointMeta

REPO = Path(__file__).resolve().parents[1]
EPS = 0.01

# --- builders -------------------------------------------------------------------------------------

WORDS = ("customer compares jackets sizes prices delivery options reads reviews asks the chat about fit "
         "returns parcel store app account payment confirmation email tracking refund survey loyalty "
         "points friend recommends waterproof breathable layers checkout basket voucher courier").split()


def sentence(seed: int, words: int) -> str:
    """Deterministic varied text: `words` words picked from WORDS by a simple LCG."""
    state = seed * 7919 + 17
    picked = []
    for _ in range(words):
        state = (state * 1103515245 + 12345) % 2**31
        picked.append(WORDS[state % len(WORDS)])
    text = " ".join(picked)
    return text[0].upper() + text[1:] + "."


CONFIG = dict(
    site_name="Synthetic",
    channels={"web": {"title": "Website", "icon": "globe"}, "app": {"title": "Mobile app", "icon": "phone"},
              "store": {"title": "Store", "icon": "store"}, "phone": {"title": "Contact centre", "icon": "headset"}},
    teams={"shop": {"title": "Shop team"}},
    emotion_scale={"min": 1, "max": 5, "labels": {1: "Frustrated", 3: "Neutral", 5: "Delighted"}},
)


def synthetic_site(root: Path | None = None, personas: Iterable[str] = (), **config: Any) -> Site:
    settings = {**CONFIG, **config}
    site_config = SiteConfig.model_validate(settings)
    root = root or REPO
    people = {}
    for pid in personas:
        doc = SourceDocument(f"content/personas/{pid}.md", "persona", pid)
        people[pid] = Persona(pid, PersonaMeta(name=pid.replace("-", " ").title()), doc)
    return Site(root, site_config, None, {}, people, root / "content")


def _touchpoint(journey_id: str, tp_id: str, order: int, **fields: Any) -> Touchpoint:
    meta = TouchpointMeta.model_validate(fields)
    doc = SourceDocument(f"content/journeys/{journey_id}/touchpoints/{order:02d}-{tp_id}.md", "touchpoint", tp_id,
                         journey_id, order)
    return Touchpoint(tp_id, journey_id, meta, doc)


def synthetic_journey(site: Site, steps: int, *, stages: int | None = None, journey_id: str = "synthetic",
                      personas: list[str] | None = None, lanes: list[Any] | None = None, title: str | None = None,
                      step_fields: Any = None, stage_fields: Any = None) -> Journey:
    """A journey with `steps` touchpoints spread evenly over `stages` stages, every lane filled.

    `step_fields(i)` may return a dict of touchpoint fields that replace the generated ones;
    `stage_fields(i)` the same for stages.
    """
    stages = stages or max(1, min(6, steps))
    personas = personas or []
    meta = JourneyMeta.model_validate({"title": title or f"Synthetic journey with {steps} steps",
                                       "personas": personas, **({"lanes": lanes} if lanes is not None else {})})
    journey = Journey(journey_id, meta, SourceDocument(f"content/journeys/{journey_id}/journey.md", "journey",
                                                       journey_id, journey_id),
                      lanes=list(meta.lanes or site.config.lanes))
    for s in range(stages):
        fields = {"title": f"Stage {s + 1} {WORDS[s % len(WORDS)]}", "goal": sentence(1000 + s, 9)}
        if stage_fields:
            fields.update(stage_fields(s) or {})
        stage_id = f"stage-{s + 1}"
        doc = SourceDocument(f"content/journeys/{journey_id}/stages/{s + 1:02d}-{stage_id}.md", "stage", stage_id,
                             journey_id, s + 1)
        journey.stages.append(Stage(stage_id, journey_id, StageMeta.model_validate(fields), doc))
    channels = list(site.config.channels) or [None]
    for i in range(steps):
        stage = journey.stages[i * stages // steps]
        emotion: Any = 1 + (i * 3 + i // 2) % 5
        if personas:
            emotion = {p: 1 + (i * (k + 2) + k) % 5 for k, p in enumerate(personas)}
        fields = {
            "title": f"Step {i + 1}: {sentence(i, 3 + i % 4)}",
            "stage": stage.id,
            "channel": channels[i % len(channels)],
            "action": sentence(i + 1, 8 + i % 12),
            "thought": sentence(i + 2, 5 + i % 9),
            "emotion": emotion,
            "frontstage": [sentence(i + 3, 4), sentence(i + 4, 6)],
            "backstage": [sentence(i + 5, 5)],
            "support": ["CRM", "OMS"],
            "pain_points": [{"title": sentence(i + 6, 6), "severity": ("low", "medium", "high")[i % 3]}] if i % 2 == 0 else [],
            "opportunities": [{"title": sentence(i + 7, 7), "impact": "high", "effort": "low"}] if i % 3 == 0 else [],
            "owner": "shop",
            "extra": {"kpi": f"Conversion {i % 90 + 5}%"},
        }
        if step_fields:
            fields.update(step_fields(i) or {})
        stage_id = fields["stage"]
        target = next(st for st in journey.stages if st.id == stage_id)
        target.touchpoints.append(_touchpoint(journey_id, f"step-{i + 1}", i + 1, **fields))
    return journey


def example_site() -> Site:
    site, diagnostics = load_site(REPO)
    assert site is not None, diagnostics
    return site


# --- the invariants -------------------------------------------------------------------------------


def _overlaps(rects: list[tuple[Rect, Any]]) -> list[tuple[Any, Any]]:
    """Pairs of rectangles whose interiors intersect (sweep over x: n log n + overlaps)."""
    found = []
    items = sorted(rects, key=lambda item: item[0].x)
    active: list[tuple[Rect, Any]] = []
    for rect, tag in items:
        active = [(other, otag) for other, otag in active if other.right > rect.x + EPS]
        for other, otag in active:
            if rect.overlaps(other, EPS):
                found.append((otag, tag))
        active.append((rect, tag))
    return found


def check_layout(layout: MapLayout) -> None:
    """Every rule a map layout keeps; fails with the offending items."""
    view = layout.view_box
    assert layout.width > 0 and layout.height > 0

    # No two boxes overlap.
    overlapping = _overlaps([(box.rect, box.key) for box in layout.boxes])
    assert not overlapping, f"overlapping boxes: {overlapping[:5]}"

    # Every box lies in its cell, and cells lie in the view box.
    for box in layout.boxes:
        assert box.cell.contains(box.rect), f"box {box.key} {box.rect} outside its cell {box.cell}"
        assert view.contains(box.cell), f"cell of {box.key} outside the view box"
        assert box.rect.w > 0 and box.rect.h > 0, box.key

    # Grid cells do not overlap one another.
    overlapping = _overlaps([(cell, key) for key, cell in layout.cells.items()])
    assert not overlapping, f"overlapping cells: {overlapping[:5]}"

    # Every text line fits its box, is measured exactly, and is at least 12 px.
    regular_font = layout.font
    for line in layout.texts:
        assert line.size >= MIN_FONT, f"text below {MIN_FONT}px: {line.text!r}"
        assert line.text.strip(), "empty text line"
        assert line.width == tm.measure(line.text, line.size, line.bold, regular_font), line.text
        assert line.width <= line.box.w + EPS, f"{line.text!r}: {line.width} > {line.box.w}"
        assert line.box.contains(line.bounds), f"{line.text!r} {line.bounds} outside {line.box}"
    overlapping = _overlaps([(line.bounds, line.text) for line in layout.texts])
    assert not overlapping, f"overlapping text lines: {overlapping[:5]}"

    # Markers and icons lie in their card (if any) and their cell.
    for marker in layout.markers:
        assert marker.cell.contains(marker.bounds), f"{marker.kind} marker outside its cell"
        if marker.box is not None:
            assert marker.box.contains(marker.bounds), f"{marker.kind} marker outside its card"
    for icon in layout.icons:
        assert icon.cell.contains(icon.bounds) and (icon.box is None or icon.box.contains(icon.bounds))
    # Badges and bullets never sit on a text line.
    for marker in layout.markers:
        if marker.kind in ("pain", "opportunity", "bullet", "swatch"):
            for line in layout.texts:
                if line.box == marker.box:
                    assert not line.bounds.overlaps(marker.bounds), f"{marker.kind} marker on {line.text!r}"

    # The view box holds everything.
    things: list[Rect] = [box.rect for box in layout.boxes] + [line.bounds for line in layout.texts]
    things += [marker.bounds for marker in layout.markers] + [icon.bounds for icon in layout.icons]
    things += [path.bounds for path in layout.paths] + [column.hit for column in layout.columns]
    things += [lane.rect for lane in layout.lanes] + [stage.span for stage in layout.stages]
    for thing in things:
        assert view.contains(thing), f"{thing} outside the view box {view}"

    # Columns: in order, side by side, each with a link and a name.
    for left, right in zip(layout.columns, layout.columns[1:]):
        assert left.x + left.w <= right.x + EPS
        assert left.number < right.number
    for column in layout.columns:
        assert column.href and column.label.startswith(f"Step {column.number} of {column.total}: ")

    # Emotion points lie inside the plot and the curves never leave it.
    if layout.scale is not None:
        plot = layout.scale.plot
        for series in layout.series:
            for point in series.points:
                if point is not None:
                    assert plot.y - EPS <= point.y <= plot.bottom + EPS
            for path in series.paths:
                for x, y in _sample_path(path.d):
                    assert plot.y - EPS <= y <= plot.bottom + EPS, f"curve leaves the plot at {x},{y}"


def _sample_path(d: str) -> list[tuple[float, float]]:
    """Points along an M/C path, 8 per cubic segment."""
    import re

    points = []
    tokens = re.findall(r"([MC])([^MC]*)", d)
    current = (0.0, 0.0)
    for command, args in tokens:
        values = [float(v) for v in args.replace(",", " ").split()]
        if command == "M":
            current = (values[0], values[1])
            points.append(current)
            continue
        for k in range(0, len(values), 6):
            (x1, y1, x2, y2, x3, y3) = values[k:k + 6]
            x0, y0 = current
            for step in range(1, 9):
                t = step / 8
                mt = 1 - t
                points.append((mt**3 * x0 + 3 * mt * mt * t * x1 + 3 * mt * t * t * x2 + t**3 * x3,
                               mt**3 * y0 + 3 * mt * mt * t * y1 + 3 * mt * t * t * y2 + t**3 * y3))
            current = (x3, y3)
    return points


def link(tp: Touchpoint) -> str:
    return f"../touchpoints/{tp.id}/"


# --- the example journeys -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def examples() -> Site:
    return example_site()


@pytest.mark.parametrize("journey_id", ["first-purchase", "first-purchase-future", "support-request"])
def test_example_journeys_full_overview_and_stages(examples: Site, journey_id: str) -> None:
    journey = examples.journeys[journey_id]
    full = layout_journey(examples, journey, link=link)
    check_layout(full)
    assert [c.touchpoint_id for c in full.columns] == [tp.id for tp in journey.touchpoints]
    assert [c.href for c in full.columns] == [link(tp) for tp in journey.touchpoints]
    assert [lane.id for lane in full.lanes] == [lane.id for lane in journey.lanes]
    assert [s.stage_id for s in full.stages] == [s.id for s in journey.stages if s.touchpoints]
    check_layout(layout_journey(examples, journey, link=link, overview=True))
    for stage in journey.stages:
        detail = layout_journey(examples, journey, link=link, stage_id=stage.id)
        check_layout(detail)
        assert [c.touchpoint_id for c in detail.columns] == [tp.id for tp in stage.touchpoints]
        numbers = {tp.id: i + 1 for i, tp in enumerate(journey.touchpoints)}
        assert [c.number for c in detail.columns] == [numbers[tp.id] for tp in stage.touchpoints]


def test_example_map_content(examples: Site) -> None:
    journey = examples.journeys["first-purchase"]
    layout = layout_journey(examples, journey, link=link)
    texts = " ".join(line.text for line in layout.texts)
    assert "First purchase (current state)" in texts
    assert "Current state" in texts and "Maya Okafor" in texts
    for stage in journey.stages:
        assert stage.meta.title in texts
    compare = next(c for c in layout.columns if c.touchpoint_id == "compares-jackets")
    assert compare.label == "Step 4 of 18: Compares jackets on the website (Consideration)"
    # Personas have their own scores: one curve per persona, keyed in a legend.
    assert [s.key for s in layout.series] == ["maya", "ruth"]
    assert [entry.label for entry in layout.legend] == ["Maya Okafor", "Ruth Lindqvist"]
    assert {s.css_class for s in layout.series} == {"series-1", "series-2"}
    # Every step has a score for both personas (shared scores count for everyone).
    for series in layout.series:
        assert all(point is not None for point in series.points)
    # The scale is labelled with the configured labels; the neutral line sits in the middle.
    assert [label for _, _, label in layout.scale.levels] == ["Frustrated", "Uneasy", "Neutral", "Pleased", "Delighted"]
    assert layout.scale.neutral_y == pytest.approx((layout.scale.plot.y + layout.scale.plot.bottom) / 2)
    # Channel icons, pain-point and opportunity markers.
    assert {icon.name for icon in layout.icons} >= {"globe", "megaphone", "store", "truck"}
    pains = sum(len(tp.meta.pain_points) for tp in journey.touchpoints)
    opps = sum(len(tp.meta.opportunities) for tp in journey.touchpoints)
    assert len([m for m in layout.markers if m.kind == "pain"]) == pains
    assert len([m for m in layout.markers if m.kind == "opportunity"]) == opps
    assert "18 steps in 6 stages" in layout.desc


def test_column_widths_and_row_heights_follow_content(examples: Site) -> None:
    site = synthetic_site()
    short = {"action": "Pays.", "thought": "", "frontstage": [], "backstage": [], "pain_points": [],
             "opportunities": [], "support": [], "title": "Pays"}
    journey = synthetic_journey(site, 2, step_fields=lambda i: short if i == 0 else {"action": sentence(9, 60)})
    layout = layout_journey(site, journey, link=link)
    check_layout(layout)
    narrow, wide = layout.columns
    assert narrow.w < wide.w
    actions = next(lane for lane in layout.lanes if lane.id == "actions")
    wide_card = next(b for b in layout.boxes if b.key.startswith("actions-step-2"))
    assert actions.h == pytest.approx(wide_card.rect.h + 12, abs=1)  # the row is as tall as its tallest cell


# --- synthetic journeys ---------------------------------------------------------------------------


@pytest.mark.parametrize("steps", [1, 10, 50, 200])
def test_synthetic_journeys(steps: int) -> None:
    site = synthetic_site()
    journey = synthetic_journey(site, steps)
    layout = layout_journey(site, journey, link=link)
    check_layout(layout)
    assert len(layout.columns) == steps
    assert needs_overview(journey) == (steps > 40)
    overview = layout_journey(site, journey, link=link, overview=True)
    check_layout(overview)
    if steps > 40:
        assert overview.width < layout.width / 4


def test_overview_of_200_steps_is_compact_and_links_every_step() -> None:
    site = synthetic_site()
    journey = synthetic_journey(site, 200, stages=8)
    overview = layout_journey(site, journey, link=link, overview=True)
    check_layout(overview)
    assert len(overview.columns) == 200 and all(c.href == link(tp) for c, tp in zip(overview.columns,
                                                                                    journey.touchpoints))
    assert overview.width < 8000 and overview.height < 600
    assert {lane.kind for lane in overview.lanes} == {"emotion", "pain_points", "opportunities"}
    assert len(overview.stages) == 8
    # Each stage has its own detail map.
    for stage in journey.stages:
        detail = layout_journey(site, journey, link=link, stage_id=stage.id)
        check_layout(detail)
        assert len(detail.columns) == 25


def test_a_300_character_thought_wraps_then_ends_in_an_ellipsis() -> None:
    thought = ("I have read the size guide twice, measured my chest and my arms with a sewing tape, compared "
               "it with the brand I usually wear, asked in the chat and read forty reviews, and I still do not "
               "know whether I need a medium or a large, so I will probably order both sizes and send one of them back next week.")
    assert len(thought) >= 300
    site = synthetic_site()
    journey = synthetic_journey(site, 3, step_fields=lambda i: {"thought": thought} if i == 1 else None)
    layout = layout_journey(site, journey, link=link)
    check_layout(layout)
    card = next(b for b in layout.boxes if b.key.startswith("thoughts-step-2"))
    lines = [line for line in layout.texts if line.box == card.rect]
    assert len(lines) == TEXT_LINES
    assert lines[-1].text.endswith("\u2026")
    assert card.tooltip == thought  # the full text stays available as a tooltip


def test_twelve_stages() -> None:
    site = synthetic_site()
    journey = synthetic_journey(site, 14, stages=12)
    layout = layout_journey(site, journey, link=link)
    check_layout(layout)
    assert len(layout.stages) == 12
    for left, right in zip(layout.stages, layout.stages[1:]):
        assert left.rect.right < right.rect.x  # a gap between stages
    check_layout(layout_journey(site, journey, link=link, overview=True))


def test_a_step_with_every_lane_empty_but_one() -> None:
    empty = {"channel": None, "action": "", "thought": "", "emotion": None, "frontstage": [], "backstage": [],
             "support": [], "pain_points": [], "opportunities": [], "owner": None, "extra": {}}
    site = synthetic_site()
    journey = synthetic_journey(site, 5, stages=2, step_fields=lambda i: {**empty, "backstage": ["Nightly batch job"]}
                                if i == 2 else None)
    layout = layout_journey(site, journey, link=link)
    check_layout(layout)
    cards = [b for b in layout.boxes if b.group == "col:step-3" and b.role.startswith("card")]
    assert [b.key.split("-step-")[0] for b in cards] == ["backstage"]
    # No emotion at that step: the curve is broken there, not drawn through it.
    (series,) = layout.series
    assert series.points[2] is None
    assert len(series.paths) == 2


def test_stage_emotion_stands_in_for_steps_without_one() -> None:
    site = synthetic_site()
    journey = synthetic_journey(site, 4, stages=2, step_fields=lambda i: {"emotion": None} if i >= 2 else None,
                                stage_fields=lambda s: {"emotion": 2} if s == 1 else None)
    layout = layout_journey(site, journey, link=link)
    check_layout(layout)
    (series,) = layout.series
    assert [p.coarse for p in series.points] == [False, False, True, True]
    assert [p.score for p in series.points[2:]] == [2, 2]
    assert all("coarse" in m.role for m in layout.markers if m.kind == "emotion" and m.group in ("col:step-3",
                                                                                                 "col:step-4"))


@pytest.mark.parametrize("text", [
    "顧客はサイズガイドを確認し、チャットで質問してから二つのサイズを注文します。",
    "고객은 사이즈 가이드를 확인하고 채팅으로 질문합니다",
    "Loves it 😍🎉👍🏽 then 👨‍👩‍👧‍👦 family order 🇳🇴🇸🇪 flags",
    "הלקוחה משווה מעילים באתר ושואלת בצ'אט על המידה לפני ההזמנה",
    "العميل يقارن السترات على الموقع ويسأل عن المقاس قبل الطلب",
    "Mixed: 價格 price, שלום and émojis 🙂 in one cell",
])
def test_cjk_emoji_and_right_to_left_text(text: str) -> None:
    site = synthetic_site()
    fields = {"title": text, "action": text, "thought": text * 3, "frontstage": [text],
              "pain_points": [text], "opportunities": [{"title": text, "impact": "high"}]}
    journey = synthetic_journey(site, 3, step_fields=lambda i: fields, title=text,
                                stage_fields=lambda s: {"title": text, "goal": text})
    layout = layout_journey(site, journey, link=link)
    check_layout(layout)
    check_layout(layout_journey(site, journey, link=link, overview=True))
    rtl = [line for line in layout.texts if line.rtl]
    if any("\u0590" <= ch <= "\u06ff" for ch in text[:3]):
        assert rtl and all(line.anchor == "end" for line in rtl if line.role == "text-body")


def test_three_personas_curves_and_legend() -> None:
    personas = ["amira", "bo", "carla"]
    site = synthetic_site(personas=personas)
    site.personas["carla"] = Persona("carla", PersonaMeta(name="כרמלה לוי"), site.personas["carla"].source)
    same = lambda i: {"emotion": {p: 3 for p in personas}} if i == 4 else None  # noqa: E731 - all equal at step 5
    journey = synthetic_journey(site, 9, personas=personas, step_fields=same)
    layout = layout_journey(site, journey, link=link)
    check_layout(layout)
    assert [s.key for s in layout.series] == personas
    assert [s.css_class for s in layout.series] == ["series-1", "series-2", "series-3"]
    assert [e.label for e in layout.legend] == ["Amira", "Bo", "כרמלה לוי"]
    legend_texts = {line.text for line in layout.texts if line.role == "legend-text"}
    assert legend_texts == {"Amira", "Bo", "כרמלה לוי"}
    # Equal scores at one step: the three markers sit side by side, not on top of each other.
    markers = [m for m in layout.markers if m.kind == "emotion" and m.group == "col:step-5"]
    assert len(markers) == 3
    assert not any(a.bounds.overlaps(b.bounds) for i, a in enumerate(markers) for b in markers[i + 1:])
    check_layout(layout_journey(site, journey, link=link, overview=True))


def test_shared_and_per_persona_scores_mix() -> None:
    site = synthetic_site(personas=["a", "b"])
    journey = synthetic_journey(site, 4, personas=["a", "b"],
                                step_fields=lambda i: {"emotion": 4} if i == 1 else ({"emotion": {"a": 2}} if i == 2 else None))
    layout = layout_journey(site, journey, link=link)
    check_layout(layout)
    a, b = layout.series
    assert a.points[1].score == b.points[1].score == 4  # a shared score is everyone's
    assert a.points[2].score == 2 and b.points[2] is None  # b has no score at step 3


def test_custom_scale_lanes_and_colours() -> None:
    site = synthetic_site(emotion_scale={"min": 0, "max": 10, "labels": {0: "Awful", 5: "OK", 10: "Superb"}})
    lanes = ["emotion", {"id": "actions", "color": "#AA3300"}, {"id": "kpi", "title": "Key performance indicator",
                                                                "extra": "kpi", "color": "accent"},
             "owner", "support", "channels"]
    journey = synthetic_journey(site, 6, lanes=lanes,
                                step_fields=lambda i: {"emotion": i * 2})
    layout = layout_journey(site, journey, link=link)
    check_layout(layout)
    assert [lane.id for lane in layout.lanes] == ["emotion", "actions", "kpi", "owner", "support", "channels"]
    colours = {lane.id: lane.colour for lane in layout.lanes}
    assert colours["actions"] == "#aa3300" and colours["kpi"] == "var(--jm-accent)" and colours["owner"] is None
    assert {line.text for line in layout.texts} >= {"Conversion 5%", "Shop team", "CRM", "Awful", "Superb"}
    scores = [p.score for p in layout.series[0].points]
    assert scores == [0, 2, 4, 6, 8, 10]
    ys = [p.y for p in layout.series[0].points]
    assert ys == sorted(ys, reverse=True)


def test_long_titles_and_many_items_are_cut_with_tooltips() -> None:
    site = synthetic_site(personas=["p" * 60])
    long_title = "A very long journey title " * 12
    items = [f"Item number {k} with some words" for k in range(9)]
    journey = synthetic_journey(site, 2, title=long_title, personas=["p" * 60],
                                step_fields=lambda i: {"frontstage": items, "title": long_title,
                                                       "pain_points": [f"Pain {k}" for k in range(8)]})
    layout = layout_journey(site, journey, link=link)
    check_layout(layout)
    title = next(b for b in layout.boxes if b.key == "title")
    assert title.tooltip == long_title.strip()
    assert [line.text for line in layout.texts if line.box == title.rect][-1].endswith("\u2026")
    texts = [line.text for line in layout.texts]
    assert "+4 more" in texts  # 9 list items, 5 shown
    assert "+3 more" in texts  # 8 pain points, 5 shown


def test_journey_without_steps_and_unknown_stage() -> None:
    site = synthetic_site()
    journey = synthetic_journey(site, 0, stages=1)
    layout = layout_journey(site, journey, link=link)
    check_layout(layout)
    assert not layout.columns
    assert any(line.text == "This journey has no steps yet." for line in layout.texts)
    with pytest.raises(KeyError):
        layout_journey(site, journey, link=link, stage_id="nope")


def test_configured_font_measures_text(tmp_path: Path) -> None:
    regular = tm.font_files()["bold"]
    font = tmp_path / "Custom-Regular.otf"
    font.write_bytes(regular.read_bytes())  # a bold face as the "regular" font: every width changes
    site = synthetic_site(root=tmp_path, theme={"font": "Custom-Regular.otf"})
    journey = synthetic_journey(site, 3)
    layout = layout_journey(site, journey, link=link)
    assert layout.font == font
    check_layout(layout)
    default = layout_journey(synthetic_site(), journey, link=link)
    plain = [line for line in default.texts if not line.bold]
    custom = {(line.text, line.role): line.width for line in layout.texts if not line.bold}
    assert any(custom.get((line.text, line.role), line.width) > line.width for line in plain)


def test_monotone_path_never_overshoots() -> None:
    points = [(0, 50), (10, 0), (20, 0), (30, 100), (40, 100), (50, 60), (60, 60), (61, 0)]
    for x, y in _sample_path(monotone_path(points)):
        assert -EPS <= y <= 100 + EPS
    assert monotone_path([(1, 2)]) == "M1 2"
    assert monotone_path([]) == ""


def test_emotion_chart_layout(examples: Site) -> None:
    columns = ["Sees a post", "Searches", "Compares jackets on the website and more words", "Pays", "Reviews"]
    groups = [("Awareness", 2), ("Consideration and a long stage name", 1), ("Purchase", 2)]
    series = [ChartSeries("Current state", [2, 3, None, 1, 4], "series-current"),
              ChartSeries("Future state", [4, 4, 5, 5, 5], "series-future")]
    layout = layout_emotion_chart(examples, columns, groups, series, title="Current vs future")
    check_layout(layout)
    assert [s.css_class for s in layout.series] == ["series-current", "series-future"]
    assert len(layout.series[0].paths) == 2  # broken at the missing score
    assert {line.text for line in layout.texts} >= {"Current state", "Future state", "Awareness"}


def test_layout_time_is_linear_in_steps() -> None:
    import time

    site = synthetic_site()
    small, large = synthetic_journey(site, 25), synthetic_journey(site, 200)

    def best(journey: Journey) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            layout_journey(site, journey, link=link)
            times.append(time.perf_counter() - start)
        return min(times)

    best(small), best(large)  # warm the measurement cache
    assert best(large) < 8 * best(small) * 3  # 8x the steps: allow generous noise, but not quadratic growth
