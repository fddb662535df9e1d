"""Site -> [Diagnostic]: references between files, scales, links and review dates.

Schema problems are found while loading (model.py); this pass checks what needs the whole site.
Every rule collects; none stops at the first problem.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Iterable

from .content import SourceDocument
from .diagnostics import Diagnostic, did_you_mean, error, sort_diagnostics, warning
from .links import classify, malformed, resolve_relative
from .markdown import iter_links
from .model import Journey, Site, Stage, Touchpoint, load_site
from .schema import BUILTIN_LANES

Path_ = tuple[str | int, ...]


def check(site: Site) -> list[Diagnostic]:
    """Every cross-file problem of a loaded site."""
    found: list[Diagnostic] = []
    for journey in site.journeys.values():
        found += _journey(site, journey)
    found += _personas(site)
    found += _links(site)
    found += _theme(site)
    return found


def _theme(site: Site) -> list[Diagnostic]:
    """theme.custom_dir must be a folder and theme.font a TTF/OTF file (both relative to the project)."""
    theme, doc = site.config.theme, site.config_source
    assert doc is not None
    found = []
    if theme.custom_dir and not (site.root / theme.custom_dir).is_dir():
        where = doc.mark(("theme", "custom_dir"))
        found.append(error(doc.path, where.line, where.column, "JM121", f"theme.custom_dir '{theme.custom_dir}' is not a folder",
                           "create the folder, or remove custom_dir to use the default theme"))
    font = site.root / theme.font if theme.font else None
    if font is not None and not (font.is_file() and font.suffix.lower() in (".ttf", ".otf")):
        where = doc.mark(("theme", "font"))
        found.append(error(doc.path, where.line, where.column, "JM121", f"theme.font '{theme.font}' is not a TTF or OTF file",
                           "give the path of a .ttf or .otf file, relative to site_config.yml; woff2 cannot be measured"))
    return found


def validate_project(root: Path, loader: object = None) -> tuple[Site | None, list[Diagnostic]]:
    """Load and check a project: the whole of `journeymap validate` (`loader`: see load_site)."""
    site, diagnostics = load_site(root, loader)
    if site is not None and site.config_ok:
        diagnostics += check(site)
    return site, sort_diagnostics(diagnostics)


# --- helpers --------------------------------------------------------------------------------------


def _unknown(doc: SourceDocument, path: Path_, code: str, what: str, value: str, choices: Iterable[str], hint: str) -> Diagnostic:
    where = doc.mark(path)
    return error(doc.path, where.line, where.column, code, f"unknown {what} '{value}'{did_you_mean(value, choices)}", hint)


def _vocabulary_hint(field: str, choices: Iterable[str]) -> str:
    listed = ", ".join(sorted(choices)) or "none defined"
    return f"use one of the ids under '{field}:' in site_config.yml ({listed}), or add it there"


# --- journeys -------------------------------------------------------------------------------------


def _journey(site: Site, journey: Journey) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    meta, doc, config = journey.meta, journey.source, site.config
    for index, persona in enumerate(meta.personas):
        if persona not in site.personas and ("persona", persona) not in site.broken:
            found.append(_unknown(doc, ("personas", index), "JM105", "persona", persona, site.personas,
                                  "name a file in content/personas/ (without .md)"))
    if meta.owner and meta.owner not in config.teams:
        found.append(_unknown(doc, ("owner",), "JM107", "team", meta.owner, config.teams, _vocabulary_hint("teams", config.teams)))
    if meta.compares_with and ("journey", meta.compares_with) not in site.broken and (
            meta.compares_with not in site.journeys or meta.compares_with == journey.id):
        found.append(_unknown(doc, ("compares_with",), "JM109", "journey", meta.compares_with,
                              [j for j in site.journeys if j != journey.id], "name another journey's folder under content/journeys/"))
    lane_path = ("lanes",) if meta.lanes is not None else None
    for index, lane in enumerate(journey.lanes):
        if lane.id not in BUILTIN_LANES and not lane.extra:
            source = doc if lane_path else site.config_source
            assert source is not None
            found.append(_unknown(source, ("lanes", index), "JM111", "lane", lane.id, BUILTIN_LANES,
                                  "use a built-in lane id, or give a custom lane an 'extra:' key to show"))
    if not journey.stages and not journey.broken_ids:
        found.append(error(doc.path, 1, 1, "JM118", f"journey '{journey.id}' has no stages",
                           f"add stage files under content/journeys/{journey.id}/stages/, e.g. 01-awareness.md"))
    for stage in journey.stages:
        found += _stage(site, journey, stage)
    stage_ids = [stage.id for stage in journey.stages]
    for tp in journey.unplaced:
        if tp.meta.stage not in journey.broken_ids:
            found.append(_unknown(tp.source, ("stage",), "JM104", "stage", tp.meta.stage, stage_ids,
                                  f"use one of this journey's stages: {', '.join(stage_ids) or 'none yet'}"))
    for tp in journey.touchpoints + journey.unplaced:
        found += _touchpoint(site, journey, tp)
    return found


def _stage(site: Site, journey: Journey, stage: Stage) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    phases = site.config.phases
    if stage.meta.phase and stage.meta.phase not in phases:
        found.append(_unknown(stage.source, ("phase",), "JM110", "lifecycle phase", stage.meta.phase, phases,
                              _vocabulary_hint("phases", phases)))
    if stage.meta.emotion is not None:
        found += _emotion(site, journey, stage.source, stage.meta.emotion)
    if not stage.touchpoints and not journey.unplaced and not journey.broken_ids:
        # (a touchpoint that failed to load or names a misspelled stage is already an error; wait for its fix)
        found.append(warning(stage.source.path, 1, 1, "JM201", f"stage '{stage.id}' has no touchpoints",
                             f"add a touchpoint with 'stage: {stage.id}', or remove the stage"))
    return found


def _touchpoint(site: Site, journey: Journey, tp: Touchpoint) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    meta, doc, config = tp.meta, tp.source, site.config
    if meta.channel and meta.channel not in config.channels:
        found.append(_unknown(doc, ("channel",), "JM106", "channel", meta.channel, config.channels, _vocabulary_hint("channels", config.channels)))
    if meta.owner and meta.owner not in config.teams:
        found.append(_unknown(doc, ("owner",), "JM107", "team", meta.owner, config.teams, _vocabulary_hint("teams", config.teams)))
    if meta.emotion is not None:
        found += _emotion(site, journey, doc, meta.emotion)
    for index, item in enumerate(meta.opportunities):
        for scale_name, value, scale in (("impact", item.impact, config.impact_scale), ("effort", item.effort, config.effort_scale)):
            if value is not None and value not in scale:
                where = doc.mark(("opportunities", index, scale_name))
                found.append(error(doc.path, where.line, where.column, "JM115",
                                   f"{scale_name} '{value}' is not on the {scale_name} scale{did_you_mean(value, scale)}",
                                   f"use one of: {', '.join(scale)} (site_config.yml '{scale_name}_scale')"))
    for index, target in enumerate(meta.next):
        found += _next(site, journey, doc, index, target)
    for index, item in enumerate(meta.evidence):
        kind = classify(item.url) if item.url else None
        if kind == "unsafe":
            where = doc.mark(("evidence", index, "url"))
            found.append(_unsafe(doc.path, where.line, where.column, "evidence link", item.url,
                                 "links may be http:, https:, mailto: or relative paths"))
        elif kind == "relative" and item.url:  # resolved like a body link: from the touchpoint's folder, inside content
            target, _ = resolve_relative(content_relative(site, doc), item.url)
            if target is None or target not in site.content_files:
                where = doc.mark(("evidence", index, "url"))  # only when reporting: marks are found on demand
                found.append(error(doc.path, where.line, where.column, "JM116", f"evidence link target '{item.url}' does not exist",
                                   "relative links are resolved from this file's folder, e.g. ../stages/02-consideration.md"))
    found += _review(site, tp)
    return found


def _emotion(site: Site, journey: Journey, doc: SourceDocument, emotion: int | dict[str, int]) -> list[Diagnostic]:
    scale = site.config.emotion_scale
    found: list[Diagnostic] = []
    scores = emotion.items() if isinstance(emotion, dict) else [(None, emotion)]
    for persona, score in scores:
        path: Path_ = ("emotion", persona) if persona else ("emotion",)
        if not scale.min <= score <= scale.max:
            where = doc.mark(path)  # only when reporting: marks are found on demand (content.LazyDocument)
            found.append(error(doc.path, where.line, where.column, "JM113",
                               f"emotion {score} is outside the scale {scale.min}..{scale.max}",
                               f"use a whole number from {scale.min} to {scale.max} (site_config.yml 'emotion_scale')"))
        if persona is not None and persona not in journey.meta.personas:
            key = doc.mark(path, key=True)
            found.append(error(doc.path, key.line, key.column, "JM114",
                               f"emotion given for persona '{persona}', who is not in journey '{journey.id}'{did_you_mean(persona, journey.meta.personas)}",
                               f"use one of the journey's personas: {', '.join(journey.meta.personas) or 'none listed in journey.md'}"))
    return found


def _next(site: Site, journey: Journey, doc: SourceDocument, index: int, target: str) -> list[Diagnostic]:
    journey_id, _, touchpoint_id = target.rpartition("/")
    other = site.journeys.get(journey_id) if journey_id else journey
    if other is None and ("journey", journey_id) in site.broken:
        return []  # that journey's file failed to load; reported already
    if other is None:
        return [_unknown(doc, ("next", index), "JM109", "journey", journey_id, site.journeys,
                         "write 'journey-id/touchpoint-id' for a step of another journey")]
    known = [tp.id for tp in other.touchpoints + other.unplaced]
    if touchpoint_id in known or touchpoint_id in other.broken_ids:
        return []
    return [_unknown(doc, ("next", index), "JM108", "touchpoint", target, known,
                     f"use a touchpoint id of journey '{other.id}' (its file name without NN- and .md)")]


def review_today(site: Site) -> dt.date:
    """The date review checks compare with: config `today`, else SOURCE_DATE_EPOCH, else today."""
    if site.config.today:
        return site.config.today
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.date.today()


def _review(site: Site, tp: Touchpoint) -> list[Diagnostic]:
    period = site.config.review_period_days
    reviewed = tp.meta.last_reviewed
    if not period or reviewed is None:
        return []
    age = (review_today(site) - reviewed).days
    if age <= period:
        return []
    where = tp.source.mark(("last_reviewed",))
    return [warning(tp.source.path, where.line, where.column, "JM202",
                    f"last reviewed {age} days ago, more than the review period of {period} days",
                    "review the touchpoint with its owner and update 'last_reviewed'")]


# --- personas and links ---------------------------------------------------------------------------


def _personas(site: Site) -> list[Diagnostic]:
    used = {persona for journey in site.journeys.values() for persona in journey.meta.personas}
    found = []
    for persona in site.personas.values():
        if persona.id not in used:
            found.append(warning(persona.source.path, 1, 1, "JM203", f"persona '{persona.id}' is not used by any journey",
                                 "add it to a journey's 'personas:' list, or remove the file"))
        if persona.meta.image and classify(persona.meta.image) == "unsafe":
            where = persona.source.mark(("image",))
            found.append(_unsafe(persona.source.path, where.line, where.column, "image link", persona.meta.image,
                                 "use a relative path inside content/ or an https URL"))
        elif persona.meta.image and classify(persona.meta.image) == "relative" and persona.meta.image not in site.content_files:
            where = persona.source.mark(("image",))
            found.append(error(persona.source.path, where.line, where.column, "JM116", f"image '{persona.meta.image}' does not exist",
                               "image paths are relative to the content folder, e.g. images/maya.jpg"))
    return found


def _documents(site: Site) -> Iterable[SourceDocument]:
    for persona in site.personas.values():
        yield persona.source
    for journey in site.journeys.values():
        yield journey.source
        for stage in journey.stages:
            yield stage.source
        for tp in journey.touchpoints + journey.unplaced:
            yield tp.source


def content_relative(site: Site, doc: SourceDocument) -> str:
    """A document's path relative to the content folder (memoised per Site: resolving is a system call)."""
    if doc.real_path is not None:  # walk_content saw no symlink on the way
        return doc.real_path
    memo = site.__dict__.setdefault("_content_relative", {})
    rel = memo.get(doc.path)
    if rel is None:
        content_dir = memo.get(None)
        if content_dir is None:
            content_dir = memo[None] = site.content_dir.resolve()
        # Path.resolve() of the file, with each folder resolved once (not once per file in it)
        folder, name = os.path.split(os.path.join(site.root, doc.path))
        real_folder = memo.get(("folder", folder))
        if real_folder is None:
            real_folder = memo[("folder", folder)] = os.path.realpath(folder)
        full = os.path.join(real_folder, name)
        real = os.path.realpath(full) if os.path.islink(full) else full
        rel = memo[doc.path] = Path(real).relative_to(content_dir).as_posix()
    return rel


def _unsafe(path: str, line: int, column: int, what: str, href: str, hint: str) -> Diagnostic:
    """JM119 for a link classify() calls unsafe, or JM122 when it is not a readable URL at all."""
    if malformed(href):
        return error(path, line, column, "JM122", f"{what} '{href}' is not a valid URL",
                     "check the brackets and characters of the address (an IPv6 host is written http://[::1]/)")
    return error(path, line, column, "JM119", f"{what} uses a scheme that is not allowed", hint)


def _links(site: Site) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for doc in _documents(site):
        base = content_relative(site, doc)
        for link in iter_links(doc.body):
            line = doc.body_line + link.line
            kind = classify(link.href)
            if kind == "unsafe":
                found.append(_unsafe(doc.path, line, link.column, "link", link.href,
                                     "links may be http:, https:, mailto: or relative paths"))
            elif kind == "relative":
                target, _ = resolve_relative(base, link.href)
                if target is None or target not in site.content_files:
                    found.append(error(doc.path, line, link.column, "JM116", f"link target '{link.href}' does not exist",
                                       "relative links are resolved from this file's folder, e.g. ../stages/02-consideration.md"))
    return found
