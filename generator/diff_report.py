"""SiteDiff -> text for terminals, Markdown for a pull-request comment, and JSON for tools.

All three list the same findings in the same (deterministic) order; docs/diff.md documents the JSON.
Content is data: in Markdown every piece of content is escaped (no raw HTML, links, images or
@-mentions can come from a journey file), and values are shortened so a comment stays readable.
"""
from __future__ import annotations

import difflib
import html
import json
import re
from typing import Any, Callable

from .diff import EmotionChange, FieldChange, Finding, FindingsDiff, Item, ItemChange, JourneyDiff, SiteDiff

JSON_VERSION = 1
FORMATS = ("text", "markdown", "json")
MARKER = "<!-- journeymap-diff -->"  # lets a CI step find and update its own comment
GITHUB_COMMENT_LIMIT = 65536
NO_CHANGES = "No changes to journeys."
UP, DOWN = "▲", "▼"
# Shown in their own sections, so a touchpoint's field list leaves them out in text and Markdown.
TOUCHPOINT_SECTIONS = ("stage", "emotion", "pain_points", "opportunities")


def render(diff: SiteDiff, fmt: str) -> str:
    renderers: dict[str, Callable[[SiteDiff], str]] = {"text": render_text, "markdown": render_markdown, "json": render_json}
    return renderers[fmt](diff)


# --- counting -------------------------------------------------------------------------------------


def counts(diff: SiteDiff) -> dict[str, int]:
    """How many findings of each kind, over every journey (an added journey's steps count as added)."""
    journeys = diff.journeys

    def total(get: Callable[[JourneyDiff], list[Any]]) -> int:
        return sum(len(get(journey)) for journey in journeys)

    emotions = [change for journey in journeys for change in journey.emotions]
    return {
        "journeys_added": len(diff.journeys_added),
        "journeys_removed": len(diff.journeys_removed),
        "journeys_changed": len(diff.journeys_changed),
        "personas_added": len(diff.personas_added),
        "personas_removed": len(diff.personas_removed),
        "personas_changed": len(diff.personas_changed),
        "stages_added": total(lambda j: j.stages_added),
        "stages_removed": total(lambda j: j.stages_removed),
        "stages_changed": total(lambda j: j.stages_changed),
        "stages_reordered": total(lambda j: j.stages_reordered),
        "touchpoints_added": total(lambda j: j.touchpoints_added),
        "touchpoints_removed": total(lambda j: j.touchpoints_removed),
        "touchpoints_changed": total(lambda j: j.touchpoints_changed),
        "touchpoints_moved": total(lambda j: j.touchpoints_moved),
        "touchpoints_reordered": total(lambda j: j.touchpoints_reordered),
        "emotion_changes": len(emotions),
        "emotions_down": sum(1 for e in emotions if (e.delta or 0) < 0),
        "emotions_up": sum(1 for e in emotions if (e.delta or 0) > 0),
        "pain_points_added": total(lambda j: j.pain_points.added),
        "pain_points_removed": total(lambda j: j.pain_points.removed),
        "pain_points_changed": total(lambda j: j.pain_points.changed),
        "opportunities_added": total(lambda j: j.opportunities.added),
        "opportunities_removed": total(lambda j: j.opportunities.removed),
        "opportunities_changed": total(lambda j: j.opportunities.changed),
        "config_changes": len(diff.config),
    }


def _plural(count: int, word: str) -> str:
    if count == 1:
        return f"1 {word}"
    plural = word[:-1] + "ies" if word.endswith("y") and not word.endswith("ey") else word + "s"
    return f"{count} {plural}"


def _group(count_of: dict[str, int], noun: str, key: str, verbs: tuple[str, ...]) -> str | None:
    present = [(verb, count_of[f"{key}_{verb}"]) for verb in verbs if count_of[f"{key}_{verb}"]]
    if not present:
        return None
    (first_verb, first), rest = present[0], present[1:]
    return ", ".join([f"{_plural(first, noun)} {first_verb}"] + [f"{n} {verb}" for verb, n in rest])


def _emotion_part(c: dict[str, int]) -> str | None:
    if not c["emotion_changes"]:
        return None
    directions = [f"{n} {mark}" for n, mark in ((c["emotions_down"], DOWN), (c["emotions_up"], UP)) if n]
    return f"{_plural(c['emotion_changes'], 'emotion score')} changed" + (f" ({', '.join(directions)})" if directions else "")


def summary_line(diff: SiteDiff, journeys: bool = True) -> str:
    """One line: what changed, e.g. '1 journey changed · 2 touchpoints added, 1 removed · ...'.

    With journeys=False (a journey's own summary) the journey counts are left out.
    """
    c = counts(diff)
    parts = [
        _group(c, "journey", "journeys", ("added", "removed", "changed")) if journeys else None,
        _group(c, "persona", "personas", ("added", "removed", "changed")),
        _group(c, "stage", "stages", ("added", "removed", "changed", "reordered")),
        _group(c, "touchpoint", "touchpoints", ("added", "removed", "changed", "moved", "reordered")),
        _emotion_part(c),
        _group(c, "pain point", "pain_points", ("added", "removed", "changed")),
        _group(c, "opportunity", "opportunities", ("added", "removed", "changed")),
        (f"site_config.yml changed ({', '.join(change.field for change in diff.config)})" if diff.config else None),
    ]
    found = [part for part in parts if part]
    if not diff.journeys and journeys:
        found.insert(0, NO_CHANGES.rstrip("."))
    if not found:
        return NO_CHANGES if journeys else ""
    return " · ".join(found) + "."


def _errors_note(diff: SiteDiff) -> str | None:
    sides = [f"{label} has {_plural(n, 'content error')}" for label, n in
             ((diff.base or "base", diff.base_errors), (diff.head or "head", diff.head_errors)) if n]
    if not sides and not diff.not_compared and not any(j.not_compared for j in diff.journeys):
        return None
    text = "; ".join(sides) or "some files could not be loaded"
    return f"{text}: files that do not load are left out of the comparison (run `journeymap validate`)."


# --- JSON -----------------------------------------------------------------------------------------


def _fields_json(changes: list[FieldChange]) -> list[dict[str, Any]]:
    return [{"field": c.field, "old": c.old, "new": c.new} for c in changes]


def _finding_json(finding: Finding, changed: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"touchpoint": finding.touchpoint, "touchpoint_title": finding.touchpoint_title,
                            "title": finding.title, **dict(sorted(finding.details.items()))}
    if changed:
        data["fields"] = _fields_json(finding.fields)
    return data


def _findings_json(findings: FindingsDiff) -> dict[str, Any]:
    return {"added": [_finding_json(f) for f in findings.added], "removed": [_finding_json(f) for f in findings.removed],
            "changed": [_finding_json(f, True) for f in findings.changed]}


def _item_json(item: Item, touchpoint: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"id": item.id, "title": item.title}
    if touchpoint:
        data["stage"] = item.stage
    data["position"] = item.position
    return data


def _change_json(change: ItemChange, touchpoint: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"id": change.id, "title": change.title}
    if touchpoint:
        data["stage"] = change.stage
    data["fields"] = _fields_json(change.fields)
    return data


def journey_json(journey: JourneyDiff) -> dict[str, Any]:
    return {
        "id": journey.id,
        "title": journey.title,
        "status": journey.status,
        "fields": _fields_json(journey.fields),
        "stages": {
            "added": [_item_json(i) for i in journey.stages_added],
            "removed": [_item_json(i) for i in journey.stages_removed],
            "changed": [_change_json(c) for c in journey.stages_changed],
            "reordered": [{"id": r.id, "title": r.title, "old_position": r.old_position, "new_position": r.new_position}
                          for r in journey.stages_reordered],
        },
        "touchpoints": {
            "added": [_item_json(i, True) for i in journey.touchpoints_added],
            "removed": [_item_json(i, True) for i in journey.touchpoints_removed],
            "changed": [_change_json(c, True) for c in journey.touchpoints_changed],
            "moved": [{"id": m.id, "title": m.title, "old_stage": m.old_stage, "new_stage": m.new_stage}
                      for m in journey.touchpoints_moved],
            "reordered": [{"id": r.id, "title": r.title, "old_position": r.old_position, "new_position": r.new_position}
                          for r in journey.touchpoints_reordered],
        },
        "emotions": [{"touchpoint": e.touchpoint, "title": e.title, "persona": e.persona, "old": e.old, "new": e.new,
                      "delta": e.delta} for e in journey.emotions],
        "pain_points": _findings_json(journey.pain_points),
        "opportunities": _findings_json(journey.opportunities),
        "not_compared": list(journey.not_compared),
    }


def to_json(diff: SiteDiff) -> dict[str, Any]:
    """The diff as JSON-ready data (format version JSON_VERSION, documented in docs/diff.md)."""
    return {
        "version": JSON_VERSION,
        "base": diff.base,
        "head": diff.head,
        "empty": diff.is_empty,
        "summary": summary_line(diff),
        "counts": counts(diff),
        "content_errors": {"base": diff.base_errors, "head": diff.head_errors},
        "config": _fields_json(diff.config),
        "personas": {
            "added": [{"id": p.id, "name": p.title} for p in diff.personas_added],
            "removed": [{"id": p.id, "name": p.title} for p in diff.personas_removed],
            "changed": [{"id": p.id, "name": p.title, "fields": _fields_json(p.fields)} for p in diff.personas_changed],
        },
        "journeys": [journey_json(journey) for journey in diff.journeys],
        "not_compared": list(diff.not_compared),
    }


def render_json(diff: SiteDiff) -> str:
    return json.dumps(to_json(diff), indent=2, ensure_ascii=False)


# --- shared helpers for text and Markdown ---------------------------------------------------------


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _plain_value(value: Any, limit: int = 80) -> str:
    """A field value in one short line: strings quoted, lists joined, maps as key value pairs."""
    if value is None or value == "" or value == [] or value == {}:
        return "(empty)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return f"\"{_shorten(value, limit)}\""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return _shorten(", ".join(f"\"{v}\"" for v in value), limit)
    if isinstance(value, dict) and all(isinstance(v, (int, str)) for v in value.values()):
        return _shorten(", ".join(f"{k} {v}" for k, v in value.items()), limit)
    return _shorten(json.dumps(value, ensure_ascii=False, sort_keys=True), limit)


def _body_stats(change: FieldChange) -> tuple[int, int, list[str]]:
    old = (change.old or "").split("\n") if change.old else []
    new = (change.new or "").split("\n") if change.new else []
    lines = list(difflib.unified_diff(old, new, lineterm="", n=1))[2:]
    added = sum(1 for line in lines if line.startswith("+"))
    removed = sum(1 for line in lines if line.startswith("-"))
    return added, removed, lines


def _visible(change: ItemChange, hidden: tuple[str, ...] = ()) -> list[FieldChange]:
    return [f for f in change.fields if f.field not in hidden]


def _persona(change: EmotionChange) -> str:
    return change.persona or "all"


def _delta(change: EmotionChange) -> str:
    if change.delta is None:
        return "new" if change.old is None else "removed"
    if change.delta == 0:
        return "="
    return f"{UP if change.delta > 0 else DOWN} {abs(change.delta)}"


def _score(value: int | None) -> str:
    return "–" if value is None else str(value)


def _finding_detail(finding: Finding, kind: str) -> str:
    details = finding.details
    if kind == "pain_points":
        return str(details.get("severity") or "")
    parts = [f"{name} {details[name]}" for name in ("impact", "effort") if details.get(name)]
    return ", ".join(parts)


# --- text -----------------------------------------------------------------------------------------


def render_text(diff: SiteDiff) -> str:
    """For terminals: a summary line, then each journey's findings, indented; plain ASCII marks."""
    lines = [f"journeymap diff {diff.base or 'base'} -> {diff.head or 'head'}", summary_line(diff)]
    note = _errors_note(diff)
    if note:
        lines.append(f"note: {note}")
    if diff.config:
        lines += ["", "site_config.yml"] + [f"  ~ {c.field}: {_plain_value(c.old)} -> {_plain_value(c.new)}" for c in diff.config]
    if diff.personas_added or diff.personas_removed or diff.personas_changed:
        lines += ["", "personas"]
        lines += [f"  + {p.id} \"{p.title}\"" for p in diff.personas_added]
        lines += [f"  - {p.id} \"{p.title}\"" for p in diff.personas_removed]
        for change in diff.personas_changed:
            lines += _text_change(change, "  ")
    for journey in diff.journeys:
        lines += [""] + _text_journey(journey)
    return "\n".join(lines)


def _text_fields(fields: list[FieldChange], indent: str) -> list[str]:
    out = []
    for change in fields:
        if change.field == "body":
            added, removed, diff_lines = _body_stats(change)
            out.append(f"{indent}body: +{added} -{removed} lines")
            out += [f"{indent}  {line}" for line in diff_lines[:40] if not line.startswith("@@")]
        else:
            out.append(f"{indent}{change.field}: {_plain_value(change.old)} -> {_plain_value(change.new)}")
    return out


def _text_change(change: ItemChange, indent: str, hidden: tuple[str, ...] = ()) -> list[str]:
    fields = _visible(change, hidden)
    if not fields:
        return []
    return [f"{indent}~ {change.id} \"{change.title}\""] + _text_fields(fields, indent + "    ")


def _text_journey(journey: JourneyDiff) -> list[str]:
    lines = [f"{journey.id}  \"{journey.title}\"  [{journey.status}]"]
    if journey.status == "removed":
        lines.append(f"  removed with {_plural(len(journey.stages_removed), 'stage')} and "
                     f"{_plural(len(journey.touchpoints_removed), 'touchpoint')}")
        return lines
    if journey.fields:
        lines += ["  journey"] + _text_fields(journey.fields, "    ")
    stages = ([f"    + {i.id} \"{i.title}\" (position {i.position})" for i in journey.stages_added]
              + [f"    - {i.id} \"{i.title}\"" for i in journey.stages_removed]
              + [f"    ^ {r.id} \"{r.title}\" reordered: position {r.old_position} -> {r.new_position}" for r in journey.stages_reordered]
              + [line for c in journey.stages_changed for line in _text_change(c, "    ")])
    if stages:
        lines += ["  stages"] + stages
    steps = ([f"    + {i.id} \"{i.title}\" in {i.stage}" for i in journey.touchpoints_added]
             + [f"    - {i.id} \"{i.title}\" from {i.stage}" for i in journey.touchpoints_removed]
             + [f"    > {m.id} \"{m.title}\" moved: {m.old_stage} -> {m.new_stage}" for m in journey.touchpoints_moved]
             + [f"    ^ {r.id} \"{r.title}\" reordered: step {r.old_position} -> {r.new_position}" for r in journey.touchpoints_reordered]
             + [line for c in journey.touchpoints_changed for line in _text_change(c, "    ", TOUCHPOINT_SECTIONS)])
    if steps:
        lines += ["  touchpoints"] + steps
    if journey.emotions:
        lines.append("  emotion")
        lines += [f"    {e.touchpoint} ({_persona(e)}): {_score(e.old)} -> {_score(e.new)}  {_delta(e)}" for e in journey.emotions]
    for kind, label in (("pain_points", "pain points"), ("opportunities", "opportunities")):
        findings: FindingsDiff = getattr(journey, kind)
        if not findings:
            continue
        lines.append(f"  {label}")
        for mark, items in (("+", findings.added), ("-", findings.removed)):
            for f in items:
                detail = _finding_detail(f, kind)
                lines.append(f"    {mark} \"{f.title}\"{f' ({detail})' if detail else ''} at {f.touchpoint}")
        for f in findings.changed:
            lines.append(f"    ~ \"{f.title}\" at {f.touchpoint}")
            lines += _text_fields(f.fields, "        ")
    if journey.not_compared:
        lines.append(f"  not compared (files that do not load): {', '.join(journey.not_compared)}")
    return lines


# --- Markdown -------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(text: str) -> str:
    """Content as inert Markdown text: one line, HTML escaped, emphasis/link/table syntax escaped,
    and @-mentions broken (a zero-width space after @) so a comment never pings anyone."""
    text = " ".join(str(text).split())
    text = html.escape(text, quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("@", "@\u200b")


def _md_value(value: Any, limit: int = 100) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "*(empty)*"
    if isinstance(value, (bool, int, float)):
        return md(_plain_value(value))
    if isinstance(value, str):
        return f"“{md(_shorten(value, limit))}”"
    return md(_plain_value(value, limit))


def _fence(lines: list[str]) -> str:
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def _md_fields(fields: list[FieldChange], indent: str) -> list[str]:
    """`field` “old” → “new” items; a body change gets a collapsible unified diff."""
    out: list[str] = []
    for change in fields:
        if change.field != "body":
            out.append(f"{indent}- `{change.field}`: {_md_value(change.old)} → {_md_value(change.new)}")
            continue
        added, removed, diff_lines = _body_stats(change)
        shown = [line for line in diff_lines if not line.startswith("@@")][:60]
        fence = _fence(shown)
        out.append(f"{indent}- `body`: text changed (+{added} −{removed} lines)")
        out += ["", f"{indent}  <details><summary>Text changes</summary>", "", f"{indent}  {fence}diff"]
        out += [f"{indent}  {line}" for line in shown]
        out += [f"{indent}  {fence}", "", f"{indent}  </details>", ""]
    return out


def _md_name(title: str, id_: str) -> str:
    return f"**{md(title)}** (`{id_}`)"


def render_markdown(diff: SiteDiff, max_chars: int = GITHUB_COMMENT_LIMIT - 1536) -> str:
    """Markdown for a pull-request comment: summary first, then a section per journey.

    If the full text would not fit in a GitHub comment, journeys are listed with their counts only.
    """
    full = _markdown(diff, compact=False)
    if len(full) <= max_chars:
        return full
    return _markdown(diff, compact=True)


def _markdown(diff: SiteDiff, compact: bool) -> str:
    lines = [MARKER, "## Journey map changes", "", f"**{md(summary_line(diff))}**", ""]
    if diff.base or diff.head:
        lines += [f"<sub>Compared {_md_code(diff.base or 'base')} (base) with {_md_code(diff.head or 'head')} (head) "
                  "by <code>journeymap diff</code>.</sub>", ""]
    note = _errors_note(diff)
    if note:
        lines += [f"> ⚠️ {md(note)}", ""]
    if diff.is_empty:
        return "\n".join(lines).rstrip() + "\n"
    if compact:
        lines += ["The full list is too long for a comment: run `journeymap diff` locally, or see the JSON output.", ""]
        for journey in diff.journeys:
            detail = summary_line(_only(diff, journey), journeys=False)
            lines.append(f"- {_md_name(journey.title, journey.id)}: {journey.status}" + (f", {md(detail)}" if detail else ""))
        return "\n".join(lines).rstrip() + "\n"
    if diff.config:
        lines += ["### Site configuration", ""] + _md_fields(diff.config, "") + [""]
    if diff.personas_added or diff.personas_removed or diff.personas_changed:
        lines += ["### Personas", ""]
        lines += [f"- ➕ Added {_md_name(p.title, p.id)}" for p in diff.personas_added]
        lines += [f"- ➖ Removed ~~{md(p.title)}~~ (`{p.id}`)" for p in diff.personas_removed]
        for change in diff.personas_changed:
            lines.append(f"- ✏️ Changed {_md_name(change.title, change.id)}")
            lines += _md_fields(change.fields, "  ")
        lines.append("")
    for journey in diff.journeys:
        lines += _md_journey(journey)
    return "\n".join(lines).rstrip() + "\n"


def _md_code(text: str) -> str:
    return f"<code>{html.escape(text)}</code>"


def _only(diff: SiteDiff, journey: JourneyDiff) -> SiteDiff:
    return SiteDiff(diff.base, diff.head, journeys=[journey])


def _md_journey(journey: JourneyDiff) -> list[str]:
    status = {"added": "new journey", "removed": "removed", "changed": "changed"}[journey.status]
    lines = [f"### {md(journey.title)} (`{journey.id}`) · {status}", ""]
    if journey.status == "removed":
        lines += [f"Removed with {_plural(len(journey.stages_removed), 'stage')} and "
                  f"{_plural(len(journey.touchpoints_removed), 'touchpoint')}.", ""]
        return lines
    summary = summary_line(SiteDiff(journeys=[journey]), journeys=False)
    if summary:
        lines += [md(summary), ""]
    if journey.fields:
        lines += ["**Journey**", ""] + _md_fields(journey.fields, "") + [""]
    stages = [f"- ➕ Added {_md_name(i.title, i.id)} at position {i.position}" for i in journey.stages_added]
    stages += [f"- ➖ Removed ~~{md(i.title)}~~ (`{i.id}`)" for i in journey.stages_removed]
    stages += [f"- 🔀 Reordered {_md_name(r.title, r.id)}: position {r.old_position} → {r.new_position}"
               for r in journey.stages_reordered]
    for change in journey.stages_changed:
        stages.append(f"- ✏️ Changed {_md_name(change.title, change.id)}")
        stages += _md_fields(change.fields, "  ")
    if stages:
        lines += ["**Stages**", ""] + stages + [""]
    steps = [f"- ➕ Added {_md_name(i.title, i.id)} in *{md(i.stage_title or i.stage or '')}*" for i in journey.touchpoints_added]
    steps += [f"- ➖ Removed ~~{md(i.title)}~~ (`{i.id}`) from *{md(i.stage_title or i.stage or '')}*"
              for i in journey.touchpoints_removed]
    steps += [f"- ↪️ Moved {_md_name(m.title, m.id)} from *{md(m.old_stage_title)}* to *{md(m.new_stage_title)}*"
              for m in journey.touchpoints_moved]
    steps += [f"- 🔀 Reordered {_md_name(r.title, r.id)}: step {r.old_position} → {r.new_position}"
              for r in journey.touchpoints_reordered]
    for change in journey.touchpoints_changed:
        fields = _visible(change, TOUCHPOINT_SECTIONS)
        if fields:
            steps.append(f"- ✏️ Changed {_md_name(change.title, change.id)}")
            steps += _md_fields(fields, "  ")
    if steps:
        lines += ["**Touchpoints**", ""] + steps + [""]
    if journey.emotions:
        lines += ["**Emotion**", "", "| Touchpoint | Persona | Before | After | Change |", "|---|---|:-:|:-:|:-:|"]
        lines += [f"| {md(e.title)} (`{e.touchpoint}`) | {md(_persona(e))} | {_score(e.old)} | {_score(e.new)} | {_delta(e)} |"
                  for e in journey.emotions]
        lines.append("")
    for kind, label in (("pain_points", "Pain points"), ("opportunities", "Opportunities")):
        findings: FindingsDiff = getattr(journey, kind)
        if not findings:
            continue
        lines += [f"**{label}**", ""]
        for f in findings.added:
            detail = _finding_detail(f, kind)
            lines.append(f"- ➕ **{md(f.title)}**{f' ({md(detail)})' if detail else ''} at *{md(f.touchpoint_title)}*")
        for f in findings.removed:
            lines.append(f"- ➖ ~~{md(f.title)}~~ at *{md(f.touchpoint_title)}*")
        for f in findings.changed:
            lines.append(f"- ✏️ **{md(f.title)}** at *{md(f.touchpoint_title)}*")
            lines += _md_fields(f.fields, "  ")
        lines.append("")
    if journey.not_compared:
        lines += [f"*Not compared (files that do not load): {', '.join(f'`{i}`' for i in journey.not_compared)}*", ""]
    return lines
