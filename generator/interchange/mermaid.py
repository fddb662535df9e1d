"""Mermaid `journey` diagrams, in and out.

The reader is a port of Mermaid's own parser (packages/mermaid/src/diagrams/user-journey/parser/
journey.jison and journeyDb.ts), so it accepts what Mermaid accepts and refuses what Mermaid refuses:

- the lexer's rules in order, first match wins, case-insensitive, exactly as jison runs them;
- `title ...`, `accTitle: ...`, `accDescr: ...` and `accDescr { ... }` (lines of a block description
  lose their indentation, as in Mermaid's commonDb), `section ...`, `%%` and `#` comments;
- a task is `name: data`; the data's first ':'-piece is the score, the second a comma-separated list
  of actors (Mermaid ignores any further pieces, so a trailing colon is harmless); actors are trimmed,
  empty ones dropped;
- before the parser, what Mermaid's preprocessing removes: YAML front matter (`---` ... `---`, whose
  `title:` is used) and `%%{...}%%` directives. A Markdown file with a ```mermaid fence works too: the
  first fenced `journey` block is read, with line numbers of the Markdown file.

Scores are numbers from 1 to 5 (Mermaid's faces); anything else is a diagnostic (JM135 not a number,
JM136 out of range), never clamped. They map linearly onto the site's emotion scale.

Export writes `journey`, `title`, `section <stage>` and `<touchpoint>: <score 1..5>: <persona names>`,
replacing the characters Mermaid's grammar cannot hold with look-alikes that the reader turns back.
"""
from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..content import slugify
from ..diagnostics import Diagnostic, error
from ..model import Journey, Site
from ..schema import EmotionScale, PersonaMeta, StageMeta, TouchpointMeta
from .writer import NewJourney, NewStage, NewTouchpoint, unique_id

I = re.IGNORECASE
# journey.jison's lexer, INITIAL state: (pattern, token); token None is skipped. Order matters.
RULES: list[tuple[re.Pattern[str], str | None]] = [
    (re.compile(r"%(?!\{)[^\n]*", I), None),  # jison compiles the rule `\%%(?!\{)` to this: one '%'!
    (re.compile(r"[^}]%%[^\n]*", I), None),
    (re.compile(r"\n+"), "NEWLINE"),
    (re.compile(r"\s+"), None),
    (re.compile(r"#[^\n]*"), None),
    (re.compile(r"journey\b", I | re.ASCII), "journey"),  # jison adds \b after a literal ending in a letter
    (re.compile(r"title\s[^#\n;]+", I), "title"),
    (re.compile(r"accTitle\s*:\s*", I), "acc_title"),
    (re.compile(r"accDescr\s*:\s*", I), "acc_descr"),
    (re.compile(r"accDescr\s*\{\s*", I), "acc_descr_block"),
    (re.compile(r"section\s[^#:\n;]+", I), "section"),
    (re.compile(r"[^#:\n;]+"), "taskName"),
    (re.compile(r":[^#\n;]+"), "taskData"),
    (re.compile(r":"), ":"),
    (re.compile(r"."), "INVALID"),
]
REST_OF_LINE = re.compile(r"[^\n]*")
BLOCK_VALUE = re.compile(r"[^}]*")
BREAK = re.compile(r"<\s*/?\s*br\s*/?\s*>", I)
NUMBER = re.compile(r"^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?\s*$", I)
FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*mermaid\b", I)
DIRECTIVE = re.compile(r"%%\{.*?\}%%", re.S)
# Characters the grammar cannot hold in names, and the look-alikes export writes instead (import reverses them).
LOOKALIKES = {":": "\ua789", "#": "\uff03", ";": "\uff1b", ",": "\u201a"}
ZWSP = "\u200b"
KEYWORD_START = re.compile(r"^(journey\b|title\s|section\s|acctitle\s*:|accdescr\s*[:{]|%)", I | re.ASCII)
MERMAID_MIN, MERMAID_MAX = 1, 5


@dataclass
class Token:
    kind: str
    text: str
    offset: int


@dataclass
class Task:
    name: str
    score: float
    actors: list[str]
    section: int | None  # index into Diagram.sections; None before any section
    line: int
    column: int


@dataclass
class Diagram:
    title: str = ""
    acc_title: str = ""
    acc_descr: str = ""
    sections: list[str] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)


# --- reading --------------------------------------------------------------------------------------


def _blank(text: str) -> str:
    """Text of the same lines, emptied: keeps line numbers of what follows."""
    return re.sub(r"[^\n]", "", text)


def extract(text: str) -> tuple[str, str]:
    """(diagram source, front-matter title). The source is a Markdown file's first ```mermaid journey
    block (other lines blanked), without front matter and directives (blanked), so line numbers stay
    those of the file."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if not _starts_with_journey(text) and any(FENCE.match(line) for line in lines):
        index = 0
        while index < len(lines):
            opening = FENCE.match(lines[index])
            if opening:
                end = next((j for j in range(index + 1, len(lines)) if lines[j].strip().startswith(opening.group(1))), len(lines))
                block = "\n".join(lines[index + 1:end])
                if _starts_with_journey(block):
                    text = "\n" * (index + 1) + block
                    break
                index = end
            index += 1
    title = ""
    front = re.match(r"^(\s*---[ \t]*\n)(.*?\n)?([ \t]*---[ \t]*)(?=\n|$)", text, re.S)
    if front:
        title = _front_matter_title(front.group(2) or "")
        text = _blank(front.group(0)) + text[front.end():]
    return DIRECTIVE.sub(lambda m: _blank(m.group(0)), text), title


def _front_matter_title(front: str) -> str:
    try:
        data = yaml.safe_load(front)
    except yaml.YAMLError:
        return ""
    return str(data.get("title", "")).strip() if isinstance(data, dict) and data.get("title") is not None else ""


def _starts_with_journey(text: str) -> bool:
    cleaned = DIRECTIVE.sub("", re.sub(r"^\s*---\n.*?\n\s*---", "", text, count=1, flags=re.S))
    cleaned = re.sub(r"^\s*%%[^\n]*\n?", "", cleaned, flags=re.M)
    return bool(re.match(r"\s*journey", cleaned, I))


def tokens(text: str) -> list[Token]:
    """journey.jison's lexer, states and all."""
    found: list[Token] = []
    pos, state = 0, "INITIAL"
    while pos < len(text):
        if state in ("acc_title", "acc_descr"):
            match = REST_OF_LINE.match(text, pos)
            assert match is not None
            found.append(Token(f"{state}_value", match.group(0), pos))
            pos, state = match.end(), "INITIAL"
            continue
        if state == "acc_descr_multiline":
            if text[pos] == "}":
                pos, state = pos + 1, "INITIAL"
                continue
            match = BLOCK_VALUE.match(text, pos)
            assert match is not None
            found.append(Token("acc_descr_multiline_value", match.group(0), pos))
            pos = match.end()
            continue
        for pattern, kind in RULES:
            match = pattern.match(text, pos)
            if match:
                break
        assert match is not None  # '.' matches anything but a newline, and '\n+' takes those
        if kind == "acc_title":
            state = "acc_title"
        elif kind == "acc_descr":
            state = "acc_descr"
        elif kind == "acc_descr_block":
            state = "acc_descr_multiline"
        elif kind is not None:
            found.append(Token(kind, match.group(0), pos))
        pos = match.end()
    if state != "INITIAL":  # jison has no end-of-file rule in these states: a parse error
        found.append(Token("UNCLOSED", "", pos))
    return found


class _Lines:
    def __init__(self, text: str):
        self.starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]

    def where(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def unescape(text: str) -> str:
    """Text as written by people (or by our export): look-alikes turned back, <br> as a space."""
    for plain, lookalike in LOOKALIKES.items():
        text = text.replace(lookalike, plain)
    text = BREAK.sub(" ", text.replace(ZWSP, ""))
    return re.sub(r"[ \t]+", " ", text).strip()


def parse(source: str, display: str) -> tuple[Diagram | None, list[Diagnostic]]:
    """Parse a Mermaid journey diagram (or a Markdown file holding one); (None, diagnostics) on errors."""
    text, front_title = extract(source)
    lines = _Lines(text)
    found: list[Diagnostic] = []

    def bad(offset: int, code: str, message: str, hint: str) -> None:
        line, column = lines.where(offset)
        found.append(error(display, line, column, code, message, hint))

    diagram = Diagram(title=unescape(front_title))
    stream = tokens(text)
    index = 0
    while index < len(stream) and stream[index].kind == "NEWLINE":
        index += 1
    if index >= len(stream) or stream[index].kind != "journey":
        at = stream[index].offset if index < len(stream) else len(text)
        bad(at, "JM135", "not a Mermaid journey diagram: it must start with 'journey'",
            "start the diagram with a line 'journey' (a Markdown file may hold it in a ```mermaid block)")
        return None, found
    index += 1
    section: int | None = None
    while index < len(stream):
        token = stream[index]
        kind = token.kind
        index += 1
        if kind == "NEWLINE":
            continue
        if kind == "title":
            diagram.title = unescape(token.text[6:])
        elif kind == "acc_title_value":
            diagram.acc_title = unescape(token.text)
        elif kind == "acc_descr_value":
            diagram.acc_descr = unescape(token.text)
        elif kind == "acc_descr_multiline_value":
            diagram.acc_descr = re.sub(r"\n\s+", "\n", token.text.strip())
        elif kind == "UNCLOSED":
            bad(token.offset, "JM135", "the file ends inside an accessibility title or description",
                "give accTitle: and accDescr: a value, and close 'accDescr {' with '}'")
        elif kind == "section":
            diagram.sections.append(unescape(token.text[8:]))
            section = len(diagram.sections) - 1
        elif kind == "taskName" and index < len(stream) and stream[index].kind == "taskData":
            task = _task(token, stream[index], section, lines, bad)
            index += 1
            if task is not None:
                diagram.tasks.append(task)
        else:
            _unexpected(token, stream[index] if index < len(stream) else None, bad)
            while index < len(stream) and stream[index].kind != "NEWLINE":  # recover at the next line
                index += 1
    if not found and not diagram.sections and not diagram.tasks:
        bad(stream[0].offset, "JM135", "the diagram has no sections and no tasks: nothing to import",
            "add 'section Name' lines and tasks 'Task name: score: actors'")
    return (diagram, []) if not found else (None, found)


def _unexpected(token: Token, following: Token | None, bad: Any) -> None:
    if token.kind == "taskName":
        name = token.text.strip()
        if following is not None and following.kind == ":":
            bad(following.offset + 1, "JM135", f"task '{name}' has no score after ':'", "write 'Task name: score: actors', e.g. 'Make tea: 5: Me'")
        else:
            bad(token.offset + len(token.text.rstrip()), "JM135", f"'{name}' is not a task: ': score' is missing",
                "write 'Task name: score: actors' (e.g. 'Make tea: 5: Me'), 'section Name' or 'title Text'")
    elif token.kind == "journey":
        bad(token.offset, "JM135", "'journey' may only start the diagram",
            "Mermaid reads a line starting with 'journey' (in any case) as the keyword; reword the task or section")
    elif token.kind in ("taskData", ":"):
        bad(token.offset, "JM135", "a task needs a name before ':'",
            "write 'Task name: score: actors'; section names cannot contain ':' in Mermaid")
    elif token.kind == "INVALID":
        bad(token.offset, "JM135", f"unexpected character '{token.text}'",
            "Mermaid's journey grammar does not allow ';' here (and ':' or '#' in section names); remove or replace it")
    else:
        bad(token.offset, "JM135", f"unexpected '{token.text.strip()}'", "check the line against Mermaid's journey syntax")


def _task(name: Token, data: Token, section: int | None, lines: _Lines, bad: Any) -> Task | None:
    pieces = data.text[1:].split(":")
    score_text = pieces[0]
    score_at = data.offset + 1 + (len(score_text) - len(score_text.lstrip()))
    title = unescape(name.text)
    if not score_text.strip():
        bad(score_at, "JM135", f"task '{title}' has no score", "write a score from 1 to 5 after the first ':', e.g. 'Make tea: 5: Me'")
        return None
    if not NUMBER.match(score_text):
        bad(score_at, "JM135", f"score '{score_text.strip()}' of task '{title}' is not a number",
            "write a score from 1 to 5 after the first ':', e.g. 'Make tea: 5: Me'")
        return None
    score = float(score_text)
    if not MERMAID_MIN <= score <= MERMAID_MAX:
        bad(score_at, "JM136", f"score {score_text.strip()} of task '{title}' is outside Mermaid's scale 1..5",
            "use a score from 1 (worst) to 5 (best); journeymap maps it onto the site's emotion_scale")
        return None
    actors = [unescape(actor) for actor in pieces[1].split(",")] if len(pieces) > 1 else []
    line, column = lines.where(name.offset)
    return Task(title, score, [actor for actor in actors if actor], section, line, column)


# --- diagram -> journey ---------------------------------------------------------------------------


def to_scale(score: float, scale: EmotionScale) -> int:
    """Mermaid's 1..5 onto the emotion scale, linearly, rounded half up (exact when the scale is 1..5)."""
    value = scale.min + (score - MERMAID_MIN) * (scale.max - scale.min) / (MERMAID_MAX - MERMAID_MIN)
    return math.floor(value + 0.5)


def from_scale(value: float, scale: EmotionScale) -> int:
    """An emotion (or a mean of emotions) on the site's scale onto Mermaid's 1..5, rounded half up."""
    score = MERMAID_MIN + (value - scale.min) * (MERMAID_MAX - MERMAID_MIN) / (scale.max - scale.min)
    return min(MERMAID_MAX, max(MERMAID_MIN, math.floor(score + 0.5)))


def to_journey(diagram: Diagram, site: Site, journey_id: str, title: str | None = None) -> NewJourney:
    """Sections -> stages, tasks -> touchpoints, scores -> emotions, actors -> personas (created when missing)."""
    scale = site.config.emotion_scale
    by_name = {persona.meta.name.casefold(): pid for pid, persona in site.personas.items()}
    personas: list[str] = []
    new_personas: dict[str, PersonaMeta] = {}

    def persona_id(actor: str) -> str:
        slug = slugify(actor)
        pid = slug if slug in site.personas else by_name.get(actor.casefold(), slug)
        if pid not in site.personas and pid not in new_personas:
            new_personas[pid] = PersonaMeta(name=actor)
        if pid not in personas:
            personas.append(pid)
        return pid

    stage_titles = ([diagram.title or diagram.acc_title or "Journey"] if any(t.section is None for t in diagram.tasks) else [])
    stage_titles += diagram.sections
    offset = len(stage_titles) - len(diagram.sections)
    stage_ids: list[str] = []
    for stage_title in stage_titles:
        stage_ids.append(unique_id(slugify(stage_title), set(stage_ids)))
    stages = [NewStage(sid, StageMeta(title=stage_title)) for sid, stage_title in zip(stage_ids, stage_titles)]
    used: set[str] = set()
    by_stage: dict[int, list[NewTouchpoint]] = {index: [] for index in range(len(stages))}
    for task in diagram.tasks:
        stage_index = 0 if task.section is None else task.section + offset
        ids = list(dict.fromkeys(persona_id(actor) for actor in task.actors))
        value = to_scale(task.score, scale)
        emotion: int | dict[str, int] = {pid: value for pid in ids} if len(ids) > 1 else value
        tp_id = unique_id(slugify(task.name), used)
        used.add(tp_id)
        meta = TouchpointMeta(title=task.name, stage=stages[stage_index].id, emotion=emotion)
        by_stage[stage_index].append(NewTouchpoint(tp_id, meta))
    extra = {"acc_title": diagram.acc_title} if diagram.acc_title and diagram.title and diagram.acc_title != diagram.title else {}
    return NewJourney(journey_id, stages, [tp for index in range(len(stages)) for tp in by_stage[index]],
                      title=title or diagram.title or diagram.acc_title or None, summary=diagram.acc_descr or None,
                      personas=personas, extra=extra, new_personas=new_personas)


# --- export ---------------------------------------------------------------------------------------


def escape(text: str, forbidden: str, task: bool = False) -> str:
    """One line of text the grammar can hold: forbidden characters become look-alikes."""
    text = " ".join(text.replace("\r", "\n").split("\n")).strip()
    for char in forbidden:
        text = text.replace(char, LOOKALIKES[char])
    text = text.replace("%%", f"%{ZWSP}%")
    if task and KEYWORD_START.match(text):
        text = ZWSP + text  # Mermaid would read a leading keyword ('journey', 'title ', ...) as the keyword
    return text


def mermaid_score(journey: Journey, site: Site, emotion: int | dict[str, int] | None,
                  fallback: int | dict[str, int] | None) -> int:
    """One Mermaid score: the emotion (the mean of per-persona emotions), else the stage's, else the scale's middle."""
    scale = site.config.emotion_scale
    value = emotion if emotion is not None else fallback
    if isinstance(value, dict):
        value = sum(value.values()) / len(value) if value else None  # type: ignore[assignment]
    if value is None:
        value = (scale.min + scale.max) / 2
    return from_scale(value, scale)


def export_mermaid(site: Site, journey: Journey) -> str:
    def name(pid: str) -> str:
        persona = site.personas.get(pid)
        return escape(persona.meta.name if persona else pid, ":#;,")

    lines = ["journey"]
    if journey.meta.title.strip():
        lines.append(f"    title {escape(journey.meta.title, '#;')}")
    acc_title = journey.meta.extra.get("acc_title")
    if isinstance(acc_title, str) and acc_title.strip():
        lines.append(f"    accTitle: {escape(acc_title, '')}")
    if journey.meta.summary.strip():
        lines.append(f"    accDescr: {escape(journey.meta.summary, '')}")
    for stage in journey.stages:
        lines.append(f"    section {escape(stage.meta.title, ':#;')}")
        for tp in stage.touchpoints:
            score = mermaid_score(journey, site, tp.meta.emotion, stage.meta.emotion)
            emotion = tp.meta.emotion if tp.meta.emotion is not None else stage.meta.emotion
            actors = list(emotion) if isinstance(emotion, dict) and emotion else list(journey.meta.personas)
            line = f"      {escape(tp.meta.title, ':#;', task=True)}: {score}"
            if actors:
                line += ": " + ", ".join(name(pid) for pid in actors)
            lines.append(line)
    return "\n".join(lines) + "\n"
