"""SiteDiff -> a self-contained HTML page per changed journey, plus an index page (`journeymap diff --html DIR`).

Each page shows, for one journey:
- the new map (maps.render_journey_map) with added and changed steps marked by CSS rules that target
  the map's per-column ids (`<prefix>step-<touchpoint id>`), so the map itself is never post-processed;
- every step as a card in journey order, removed steps included where they used to be: added steps
  outlined in green ("Added"), removed ones as dashed ghosts ("Removed"), changed cells highlighted
  with their old and new values;
- the old and new emotion curves overlaid on one chart (maps.render_emotion_chart; series classes
  `series-base` and `series-head`), over the same merged columns;
- the journey's own field changes, stage changes and the pain points and opportunities added or removed.

Pages carry no script at all (and a Content-Security-Policy that forbids it); every piece of content is
escaped by Jinja2's autoescaping. Output is deterministic: ids come from content ids, nothing from
clocks or counters.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from .diff import JourneyDiff, SiteDiff, all_touchpoints
from .diff_report import summary_line
from .model import Journey, Site, Touchpoint

MAP_PREFIX = "new-"
CHART_PREFIX = "emotion-"
FACETS: list[tuple[str, str]] = [  # (field, label) shown on a step's card, in this order
    ("stage", "Stage"), ("channel", "Channel"), ("actor", "Actor"), ("action", "Action"), ("thought", "Thought"),
    ("emotion", "Emotion"), ("frontstage", "Frontstage"), ("backstage", "Backstage"), ("support", "Support"),
    ("pain_points", "Pain points"), ("opportunities", "Opportunities"), ("owner", "Owner"),
    ("evidence", "Evidence"), ("last_reviewed", "Last reviewed"), ("next", "Next"), ("extra", "Extra"), ("body", "Text"),
]
SUMMARY_FACETS = ("stage", "channel", "action", "thought", "emotion", "pain_points", "opportunities")  # added/removed cards
_FONT_FACE_BLOCK = re.compile(r"/\* font-face:start \*/.*?/\* font-face:end \*/", re.S)
_XML_DECLARATION = re.compile(r"^<\?xml[^>]*\?>\s*")


# --- the page model -------------------------------------------------------------------------------


@dataclass
class Cell:
    field: str
    label: str
    old: str | None  # shown struck through when the cell changed
    new: str | None
    changed: bool = False


@dataclass
class Card:
    id: str
    title: str
    status: str  # added, removed, changed, unchanged
    badges: list[str] = field(default_factory=list)  # "Added", "Removed", "Changed", "Moved from ...", "Reordered"
    cells: list[Cell] = field(default_factory=list)
    changed_fields: list[str] = field(default_factory=list)


@dataclass
class StageGroup:
    id: str
    title: str
    status: str  # added, removed, unchanged
    cards: list[Card] = field(default_factory=list)


# --- values ---------------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A front-matter value as one readable string (None when empty)."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_text(item) or '–'}" for key, item in value.items())
    if isinstance(value, list):
        return "; ".join(_item_text(item) for item in value)
    return str(value)


def _item_text(item: Any) -> str:
    if isinstance(item, dict) and "title" in item:
        details = [str(item[key]) for key in ("severity", "impact", "effort", "kind") if item.get(key)]
        return item["title"] + (f" ({', '.join(details)})" if details else "")
    return _text(item) or "–"


def _values(tp: Touchpoint | None) -> dict[str, Any]:
    if tp is None:
        return {}
    data = tp.meta.model_dump(mode="json")
    data["body"] = tp.body.strip()
    return data


# --- merging old and new steps --------------------------------------------------------------------


def merged_stages(journey_diff: JourneyDiff, old: Journey | None, new: Journey | None) -> list[StageGroup]:
    """The new journey's stages and steps, with removed stages and steps put back where they were."""
    added = {item.id for item in journey_diff.touchpoints_added}
    removed = {item.id for item in journey_diff.touchpoints_removed}
    changed = {change.id: change for change in journey_diff.touchpoints_changed}
    moved = {move.id: move for move in journey_diff.touchpoints_moved}
    reordered = {r.id for r in journey_diff.touchpoints_reordered}
    old_tps = all_touchpoints(old)
    new_tps = all_touchpoints(new)
    old_by_id = {tp.id: tp for tp in old_tps}
    new_by_id = {tp.id: tp for tp in new_tps}

    def card(tp_id: str, before: Touchpoint | None, after: Touchpoint | None) -> Card:
        status = "added" if tp_id in added else "removed" if tp_id in removed else \
            "changed" if tp_id in changed else "unchanged"
        shown = after or before
        assert shown is not None
        result = Card(tp_id, shown.meta.title, status)
        fields = [f.field for f in changed[tp_id].fields] if tp_id in changed else []
        result.changed_fields = fields
        result.badges = [status.capitalize()] if status != "unchanged" else []
        if tp_id in moved:
            result.badges.append(f"Moved from {moved[tp_id].old_stage_title}")
        if tp_id in reordered:
            result.badges.append("Reordered")
        old_values, new_values = _values(before), _values(after)
        for name, label in FACETS:
            was, now = _text(old_values.get(name)), _text(new_values.get(name))
            if status == "unchanged" and name not in ("emotion",):
                continue
            if status == "changed" and name not in fields and name not in ("emotion", "action"):
                continue
            if status in ("added", "removed") and name not in SUMMARY_FACETS:
                continue
            if was is None and now is None:
                continue
            if status == "added":
                result.cells.append(Cell(name, label, None, now))
            elif status == "removed":
                result.cells.append(Cell(name, label, was, None))
            else:
                result.cells.append(Cell(name, label, was, now, name in fields))
        return result

    # Stage groups: the new order, with removed stages after their nearest surviving predecessor.
    old_stage_ids = [s.id for s in old.stages] if old else []
    new_stage_ids = [s.id for s in new.stages] if new else []
    titles = {s.id: s.meta.title for s in (old.stages if old else [])}
    titles.update({s.id: s.meta.title for s in (new.stages if new else [])})
    order = _merge(new_stage_ids, old_stage_ids)
    stage_added = {s.id for s in journey_diff.stages_added}
    stage_removed = {s.id for s in journey_diff.stages_removed}
    groups = []
    for stage_id in order:
        status = "added" if stage_id in stage_added else "removed" if stage_id in stage_removed else "unchanged"
        group = StageGroup(stage_id, titles.get(stage_id, stage_id), status)
        new_ids = [tp.id for tp in new_tps if tp.stage_id == stage_id]
        old_ids = [tp.id for tp in old_tps if tp.stage_id == stage_id and tp.id in removed]
        old_seq = [tp.id for tp in old_tps if tp.stage_id == stage_id]
        for tp_id in _merge(new_ids, old_seq, only=set(old_ids)):
            after = new_by_id.get(tp_id) if tp_id not in removed else None
            group.cards.append(card(tp_id, old_by_id.get(tp_id), after))
        if group.cards or status != "unchanged":
            groups.append(group)
    # Steps naming a stage that exists on neither side (a validation error) still get a place.
    known = set(order)
    strays = [tp for tp in new_tps if tp.stage_id not in known] + \
             [tp for tp in old_tps if tp.id in removed and tp.stage_id not in known]
    if strays:
        stray = StageGroup("unknown-stage", "(unknown stage)", "unchanged")
        for tp in strays:
            stray.cards.append(card(tp.id, old_by_id.get(tp.id), tp if tp.id not in removed else None))
        groups.append(stray)
    return groups


def _merge(new: list[str], old: list[str], only: set[str] | None = None) -> list[str]:
    """`new` with the items of `old` that are missing from it (or just `only` of them) re-inserted
    after their nearest predecessor in `old` that is present."""
    result = list(new)
    missing = [item for item in old if item not in new and (only is None or item in only)]
    for item in missing:
        index = old.index(item)
        anchor = next((old[i] for i in range(index - 1, -1, -1) if old[i] in result), None)
        result.insert(result.index(anchor) + 1 if anchor is not None else 0, item)
    return result


# --- the emotion chart ----------------------------------------------------------------------------


def _series_keys(journey: Journey | None) -> list[str | None]:
    if journey is None:
        return []
    named: list[str] = []
    for stage in journey.stages:
        for emotion in [stage.meta.emotion] + [tp.meta.emotion for tp in stage.touchpoints]:
            if isinstance(emotion, dict):
                named += [key for key in emotion if key not in named]
    if not named:
        return [None]
    ordered = [p for p in journey.meta.personas if p in named]
    return ordered + sorted(set(named) - set(ordered))


def _scores(journey: Journey | None, tp_ids: list[str], key: str | None) -> list[float | None]:
    """Per column: the step's score for one series (its stage's coarse emotion when it has none)."""
    from .layout import emotion_scores

    if journey is None:
        return [None] * len(tp_ids)
    by_id = {tp.id: tp for tp in all_touchpoints(journey)}
    result: list[float | None] = []
    for tp_id in tp_ids:
        tp = by_id.get(tp_id)
        found = emotion_scores(journey, [tp], key)[0] if tp is not None else None
        result.append(found[0] if found else None)
    return result


def emotion_chart(site: Site, journey_diff: JourneyDiff, groups: list[StageGroup], old: Journey | None, new: Journey | None,
                  base_label: str, head_label: str, persona_names: dict[str, str]) -> str:
    from .maps import CurveSeries, render_emotion_chart

    columns = [card.title for group in groups for card in group.cards]
    tp_ids = [card.id for group in groups for card in group.cards]
    bands = [(group.title, len(group.cards)) for group in groups if group.cards]
    keys = list(dict.fromkeys(_series_keys(old) + _series_keys(new)))
    series: list[Any] = []
    for index, key in enumerate(keys):
        name = persona_names.get(key, key) if key else None
        extra = f" series-persona-{index % 6 + 1}" if key else ""
        for side, journey, label, css in (("base", old, base_label, "series-base"), ("head", new, head_label, "series-head")):
            scores = _scores(journey, tp_ids, key)
            if any(score is not None for score in scores):
                series.append(CurveSeries(f"{name}, {label}" if name else label.capitalize(), scores, css + extra))
    return render_emotion_chart(site, columns, bands, series, id_prefix=CHART_PREFIX,
                                title=f"Emotion before and after: {journey_diff.title}")


# --- rendering ------------------------------------------------------------------------------------

STYLE = """
:root { color-scheme: light dark; --added: #1a7f37; --removed: #8c959f; --changed: #bf8700; --changed-bg: #fff8c5;
  --added-bg: #dafbe1; --text: #1f2328; --muted: #59636e; --bg: #ffffff; --card: #f6f8fa; --border: #d1d9e0;
  --base: #8c959f; --head: #0969da; }
@media (prefers-color-scheme: dark) { :root { --text: #e6edf3; --muted: #9198a1; --bg: #0d1117; --card: #151b23;
  --border: #3d444d; --changed-bg: #3b2e00; --added-bg: #0f2d1a; --head: #4493f8; } }
* { box-sizing: border-box; }
body { margin: 0; padding: 1.5rem; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--text);
  background: var(--bg); }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; }
.summary { font-weight: 600; } .muted, .revisions { color: var(--muted); }
.legend { display: flex; gap: 1rem; flex-wrap: wrap; padding: 0; list-style: none; }
.legend li { padding: .1rem .6rem; border-radius: 4px; border: 2px solid var(--border); }
.legend .added { border-color: var(--added); } .legend .removed { border-style: dashed; color: var(--muted); }
.legend .changed { background: var(--changed-bg); border-color: var(--changed); }
.map-frame, .chart-frame { overflow-x: auto; border: 1px solid var(--border); border-radius: 6px; padding: .5rem; }
.map-frame svg, .chart-frame svg { display: block; max-width: none; height: auto; }
.stages { display: flex; gap: 1rem; overflow-x: auto; align-items: flex-start; padding-bottom: .5rem; }
.stage { flex: none; border-top: 4px solid var(--border); padding-top: .25rem; }
.stage.added { border-top-color: var(--added); } .stage.removed { border-top-style: dashed; opacity: .7; }
.stage h3 { font-size: 1rem; margin: 0 0 .5rem; }
.steps { display: flex; gap: .75rem; align-items: flex-start; }
.step { width: 15rem; background: var(--card); border: 2px solid var(--border); border-radius: 8px; padding: .6rem; }
.step h4 { margin: 0 0 .4rem; font-size: .95rem; }
.step.added { border-color: var(--added); background: var(--added-bg); }
.step.removed { border-style: dashed; border-color: var(--removed); opacity: .6; background: transparent; }
.step.removed h4 { text-decoration: line-through; }
.step.changed { border-color: var(--changed); }
.badge { display: inline-block; font-size: .75rem; font-weight: 700; padding: 0 .4rem; border-radius: 999px;
  margin: 0 .25rem .3rem 0; border: 1px solid currentColor; }
.step.added .badge.status { color: var(--added); } .step.removed .badge.status { color: var(--muted); }
.step.changed .badge.status { color: var(--changed); }
dl.cells { margin: 0; font-size: .85rem; } dl.cells dt { font-weight: 600; color: var(--muted); margin-top: .3rem; }
dl.cells dd { margin: 0; overflow-wrap: anywhere; }
.cell.changed { background: var(--changed-bg); border-left: 3px solid var(--changed); padding: .1rem .3rem; }
.cell del { color: var(--muted); } .cell ins { text-decoration: none; font-weight: 600; }
ul.changes li { margin: .2rem 0; } .old { color: var(--muted); text-decoration: line-through; }
/* the emotion chart: map.css colours curves, markers and legend lines by --jm-series */
.jm-chart .emotion-curve { fill: none; stroke: var(--jm-series, var(--head)); stroke-width: 3px; }
.jm-chart .legend-line { stroke: var(--jm-series, var(--head)); stroke-width: 3px; }
.jm-chart .emotion-marker { fill: var(--jm-series, var(--head)); }
.jm-chart .series-base { --jm-series: var(--base); } .jm-chart .series-head { --jm-series: var(--head); }
.jm-chart .series-persona-1 { --jm-series: var(--jm-series-1, #1f5fa8); } .jm-chart .series-persona-2 { --jm-series: var(--jm-series-2, #e4572e); }
.jm-chart .series-persona-3 { --jm-series: var(--jm-series-3, #7b5ea7); } .jm-chart .series-persona-4 { --jm-series: var(--jm-series-4, #0f8b8d); }
.jm-chart .series-persona-5 { --jm-series: var(--jm-series-5, #c2185b); } .jm-chart .series-persona-6 { --jm-series: var(--jm-series-6, #6d8b00); }
.jm-map.jm-chart .emotion-curve.series-base, .jm-map.jm-chart .legend-line.series-base { stroke-dasharray: 6 4; stroke-opacity: .8; }
.jm-map.jm-chart .emotion-marker.series-base { fill: var(--bg); stroke: var(--jm-series); stroke-width: 2px; }
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:">
<meta name="generator" content="journeymap diff">
<title>{{ title }} · journey changes</title>
<style>{{ style }}</style>
</head>
<body>
<header>
{%- if index_link %}<p><a href="index.html">All changed journeys</a></p>{% endif %}
<h1>{{ heading }}</h1>
<p class="summary">{{ summary }}</p>
<p class="revisions">Compared <code>{{ base }}</code> (before) with <code>{{ head }}</code> (after).</p>
</header>
<main>
{{ body }}
</main>
</body>
</html>
"""

JOURNEY = """
<ul class="legend" aria-label="Legend">
<li class="added">Added step</li><li class="removed">Removed step</li><li class="changed">Changed cell</li>
</ul>
{% if journey.fields or journey.stages_changed or journey.stages_added or journey.stages_removed or journey.stages_reordered %}
<section id="journey-changes" aria-labelledby="journey-changes-h">
<h2 id="journey-changes-h">Journey and stages</h2>
<ul class="changes">
{%- for f in journey.fields %}
<li class="field-change" data-field="{{ f.field }}">Journey <strong>{{ f.field }}</strong>: <span class="old">{{ value(f.old) }}</span> → {{ value(f.new) }}</li>
{%- endfor %}
{%- for s in journey.stages_added %}<li>Stage added: <strong>{{ s.title }}</strong></li>{% endfor %}
{%- for s in journey.stages_removed %}<li>Stage removed: <span class="old">{{ s.title }}</span></li>{% endfor %}
{%- for s in journey.stages_reordered %}<li>Stage reordered: <strong>{{ s.title }}</strong> (position {{ s.old_position }} → {{ s.new_position }})</li>{% endfor %}
{%- for c in journey.stages_changed %}{% for f in c.fields %}
<li>Stage <strong>{{ c.title }}</strong>, {{ f.field }}: <span class="old">{{ value(f.old) }}</span> → {{ value(f.new) }}</li>
{%- endfor %}{% endfor %}
</ul>
</section>
{% endif %}
{% if map_svg %}
<section id="map" aria-labelledby="map-h">
<h2 id="map-h">The new map</h2>
<p class="muted">Added steps are outlined in green, changed steps in amber; removed steps are listed below as ghosts.</p>
<div class="map-frame">{{ map_svg }}</div>
</section>
{% endif %}
<section id="steps" aria-labelledby="steps-h">
<h2 id="steps-h">Steps</h2>
<div class="stages">
{%- for group in groups %}
<section class="stage {{ group.status }}" id="stage-{{ group.id }}" data-stage="{{ group.id }}" aria-label="Stage {{ group.title }}">
<h3>{{ group.title }}{% if group.status != "unchanged" %} <span class="badge">{{ group.status|capitalize }}</span>{% endif %}</h3>
<div class="steps">
{%- for card in group.cards %}
<article class="step {{ card.status }}{% if card.status == 'removed' %} ghost{% endif %}" id="step-{{ card.id }}" data-touchpoint="{{ card.id }}" data-status="{{ card.status }}">
{%- for badge in card.badges %}<span class="badge{% if loop.first and card.status != 'unchanged' %} status{% endif %}">{{ badge }}</span>{% endfor %}
<h4>{{ card.title }}</h4>
{%- if card.cells %}
<dl class="cells">
{%- for cell in card.cells %}
<div class="cell{% if cell.changed %} changed{% endif %}" data-field="{{ cell.field }}">
<dt>{{ cell.label }}</dt>
<dd>{% if cell.changed %}{% if cell.old %}<del>{{ cell.old }}</del> → {% endif %}<ins>{{ cell.new or "(empty)" }}</ins>{% else %}{{ cell.new if cell.new is not none else cell.old }}{% endif %}</dd>
</div>
{%- endfor %}
</dl>
{%- endif %}
</article>
{%- endfor %}
</div>
</section>
{%- endfor %}
</div>
</section>
{% if chart_svg %}
<section id="emotion" aria-labelledby="emotion-h">
<h2 id="emotion-h">Emotion curve, before and after</h2>
<p class="muted">Dashed: before ({{ base }}); solid: after ({{ head }}). A curve breaks at a step that exists on one side only.</p>
<div class="chart-frame">{{ chart_svg }}</div>
{% if journey.emotions %}
<ul class="changes">
{%- for e in journey.emotions %}
<li class="emotion-change">{{ e.title }}{% if e.persona %} ({{ e.persona }}){% endif %}: {{ e.old if e.old is not none else "–" }} → {{ e.new if e.new is not none else "–" }} {{ delta(e) }}</li>
{%- endfor %}
</ul>
{% endif %}
</section>
{% endif %}
{% for kind, label in (("pain_points", "Pain points"), ("opportunities", "Opportunities")) %}
{% set found = journey[kind] %}
{% if found.added or found.removed or found.changed %}
<section id="{{ kind|replace('_', '-') }}" aria-label="{{ label }}">
<h2>{{ label }}</h2>
<ul class="changes">
{%- for f in found.added %}<li class="finding added">Added: <strong>{{ f.title }}</strong> at {{ f.touchpoint_title }}</li>{% endfor %}
{%- for f in found.removed %}<li class="finding removed">Removed: <span class="old">{{ f.title }}</span> at {{ f.touchpoint_title }}</li>{% endfor %}
{%- for f in found.changed %}<li class="finding changed">Changed: <strong>{{ f.title }}</strong> at {{ f.touchpoint_title }}</li>{% endfor %}
</ul>
</section>
{% endif %}
{% endfor %}
"""

INDEX = """
{% if not journeys %}<p>No changes to journeys.</p>{% else %}
<ul class="changes">
{%- for j in journeys %}
<li><a href="{{ j.id }}.html">{{ j.title }}</a> <span class="badge">{{ j.status }}</span> <span class="muted">{{ j.summary }}</span></li>
{%- endfor %}
</ul>
{% endif %}
"""


def _environment() -> Environment:
    env = Environment(autoescape=True, keep_trailing_newline=True, trim_blocks=False)
    env.globals["value"] = lambda v: _text(v) if _text(v) is not None else "(empty)"
    env.globals["delta"] = lambda e: "" if e.delta is None or e.delta == 0 else ("▲" if e.delta > 0 else "▼") + str(abs(e.delta))
    return env


def _map_css(site: Site) -> str:
    """The theme's map stylesheet (without its @font-face rules, which point at files), if there is one."""
    try:
        from .maps import map_css
        return _FONT_FACE_BLOCK.sub("", map_css(site))
    except (ImportError, OSError):
        return ""


def _marking_css(journey_diff: JourneyDiff, groups: list[StageGroup]) -> str:
    """Rules that mark added and changed steps on the new map, by the map's column ids."""
    rules = []
    for group in groups:
        for card in group.cards:
            if card.status in ("added", "changed"):
                colour = "var(--added)" if card.status == "added" else "var(--changed)"
                fill = "rgba(26, 127, 55, .14)" if card.status == "added" else "rgba(191, 135, 0, .14)"
                rules.append(f"#{MAP_PREFIX}step-{card.id} > rect:first-of-type {{ stroke: {colour}; stroke-width: 4px; "
                             f"fill: {fill}; }}")
    return "\n".join(rules)


def render_journey_page(diff: SiteDiff, journey_diff: JourneyDiff, base: Site, head: Site) -> str:
    from .maps import render_journey_map

    old = base.journeys.get(journey_diff.id)
    new = head.journeys.get(journey_diff.id)
    groups = merged_stages(journey_diff, old, new)
    map_svg = ""
    if new is not None and new.touchpoints:
        rendered = render_journey_map(head, new, link=lambda tp: f"#step-{tp.id}", id_prefix=MAP_PREFIX, standalone=True)
        map_svg = _XML_DECLARATION.sub("", rendered.svg)
    site = head if new is not None else base
    persona_names = {p.id: p.meta.name for p in base.personas.values()}
    persona_names.update({p.id: p.meta.name for p in head.personas.values()})
    has_cards = any(group.cards for group in groups)
    chart = emotion_chart(site, journey_diff, groups, old, new, diff.base or "before", diff.head or "after",
                          persona_names) if has_cards else ""
    env = _environment()
    body = env.from_string(JOURNEY).render(journey=journey_diff, groups=groups, map_svg=Markup(map_svg), chart_svg=Markup(chart),
                                           base=diff.base or "base", head=diff.head or "head")
    style = "\n".join(part for part in (_map_css(site), STYLE, _marking_css(journey_diff, groups)) if part)
    status = {"added": "New journey", "removed": "Removed journey", "changed": "Changes to"}[journey_diff.status]
    return env.from_string(PAGE).render(
        title=journey_diff.title, heading=f"{status}: {journey_diff.title}", style=Markup(style), index_link=True,
        summary=summary_line(SiteDiff(journeys=[journey_diff]), journeys=False), base=diff.base or "base",
        head=diff.head or "head", body=Markup(body))


def render_index(diff: SiteDiff) -> str:
    env = _environment()
    entries = [{"id": j.id, "title": j.title, "status": j.status,
                "summary": summary_line(SiteDiff(journeys=[j]), journeys=False)} for j in diff.journeys]
    body = env.from_string(INDEX).render(journeys=entries)
    return env.from_string(PAGE).render(title="Journey changes", heading="Journey changes", style=Markup(STYLE),
                                        index_link=False, summary=summary_line(diff), base=diff.base or "base",
                                        head=diff.head or "head", body=Markup(body))


def write_pages(diff: SiteDiff, base: Site, head: Site, out_dir: Path) -> list[Path]:
    """Write index.html and <journey id>.html for every added, removed or changed journey into out_dir.

    Only these files are written (ids are slugs, so every path stays inside out_dir); nothing is deleted.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    pages = {"index.html": render_index(diff)}
    for journey_diff in diff.journeys:
        pages[f"{journey_diff.id}.html"] = render_journey_page(diff, journey_diff, base, head)
    root = out_dir.resolve()
    for name, text in sorted(pages.items()):
        path = (root / name).resolve()
        if path.parent != root:
            raise ValueError(f"refusing to write outside {out_dir}: {name!r}")
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
