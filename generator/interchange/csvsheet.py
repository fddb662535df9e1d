"""Spreadsheets: one row per touchpoint, in and out (docs/import-export.md documents the columns).

Import reads a CSV file (comma, semicolon or tab separated, UTF-8 with or without BOM), checks every
cell and reports each problem with the row's line and the column's number; only a sheet without
errors becomes a `NewJourney`. Vocabulary that lives in site_config.yml (channels, teams, phases,
impact and effort scales) is written as given, and `journeymap validate` reports unknown values as
usual; a channel or team may also be given by its title, which is mapped to its id.

Export writes the same columns back, so export -> import gives the same stages and touchpoints.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml
from pydantic import ValidationError

from ..content import ID_PATTERN, YamlProblem, parse_yaml, slugify
from ..diagnostics import Diagnostic, did_you_mean, error
from ..model import Journey, Site
from ..schema import EmotionScale, Evidence, Metric, Opportunity, PainPoint, StageMeta, TouchpointMeta
from .writer import NewJourney, NewStage, NewTouchpoint, unique_id

# Normalised column name -> field. Names are matched lower-case, with spaces, '_' and '-' equivalent.
COLUMNS: dict[str, str] = {
    "stage": "stage", "stage title": "stage", "stage id": "stage_id",
    "title": "title", "touchpoint": "title", "touchpoint title": "title", "step": "title",
    "id": "id", "touchpoint id": "id",
    "actor": "actor",
    "action": "action", "actions": "action",
    "thought": "thought", "thoughts": "thought",
    "emotion": "emotion",
    "channel": "channel", "channels": "channel",
    "frontstage": "frontstage", "backstage": "backstage",
    "support": "support", "support systems": "support",
    "pain points": "pain_points", "pain point": "pain_points", "painpoints": "pain_points",
    "opportunities": "opportunities", "opportunity": "opportunities",
    "owner": "owner",
    "evidence": "evidence",
    "last reviewed": "last_reviewed", "lastreviewed": "last_reviewed", "reviewed": "last_reviewed",
    "next": "next",
    "notes": "notes",
    "stage goal": "stage_goal", "stage phase": "stage_phase", "stage emotion": "stage_emotion",
    "stage metrics": "stage_metrics", "stage notes": "stage_notes",
}
REQUIRED = ("stage", "title")
# Columns written by export, in this order; emotion:<persona> follow `emotion`, extra:<key> follow `notes`,
# stage extra:<key> come last.
EXPORT_COLUMNS = ["stage", "stage id", "title", "id", "actor", "action", "thought", "emotion", "channel",
                  "frontstage", "backstage", "support", "pain points", "opportunities", "owner", "evidence",
                  "last reviewed", "next", "notes", "stage goal", "stage phase", "stage emotion",
                  "stage metrics", "stage notes"]
TOUCHPOINT_FIELDS = {"title", "id", "actor", "action", "thought", "emotion", "channel", "frontstage", "backstage",
                     "support", "pain_points", "opportunities", "owner", "evidence", "last_reviewed", "next", "notes",
                     "emotion:", "extra:"}
STAGE_FIELDS = ("stage_goal", "stage_phase", "stage_emotion", "stage_metrics", "stage_notes")
PREFIXED = re.compile(r"^\s*(stage[\s_-]*extra|extra|emotion)\s*:\s*(.*?)\s*$", re.IGNORECASE)
SEPARATOR = re.compile(r"\r\n|\r|\n| \| ")
SEVERITY = re.compile(r"^(?P<title>.*?)\s*\((?P<severity>low|medium|high)\)(?:\s*:\s*(?P<description>.*))?$", re.IGNORECASE)
SCALES = re.compile(r"^(?P<title>.*?)\s*\((?P<impact>[^()/]*)/(?P<effort>[^()/]*)\)(?:\s*:\s*(?P<description>.*))?$")
EVIDENCE = re.compile(r"^(?P<title>.*?)\s*(?:<(?P<url>[^<>]*)>)?\s*(?:\((?P<kind>[^()]*)\))?$")
NOTE = re.compile(r"^(?P<value>.*?)\s*(?:\((?P<note>[^()]*)\))?$")
WHOLE = re.compile(r"^[+-]?\d+(?:\.0*)?$")
ACTORS = ("customer", "frontstage", "backstage")


def normalise(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", name.strip().lower())


class BadCell(Exception):
    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass(frozen=True)
class Column:
    index: int  # 0-based
    key: str  # a COLUMNS value, or "emotion:", "extra:", "stage extra:"
    arg: str = ""  # persona id or extra key of a prefixed column


@dataclass
class Cell:
    text: str
    line: int
    column: int  # 1-based


@dataclass
class _Stage:
    id: str
    title: str
    line: int
    values: dict[str, tuple[Any, int]] = field(default_factory=dict)  # field -> (value, line it came from)
    rows: list[dict[str, Any]] = field(default_factory=list)


# --- reading --------------------------------------------------------------------------------------


def decode(raw: bytes, display: str) -> tuple[str | None, list[Diagnostic]]:
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [error(display, line, 1, "JM001", "file is not valid UTF-8",
                            "save the sheet as 'CSV UTF-8' (Excel) or download it as CSV (Google Sheets, LibreOffice: choose UTF-8)")]


def _delimiter(text: str) -> str:
    """The delimiter of the header line: comma, semicolon (European Excel) or tab, whichever occurs most."""
    header = text.split("\n", 1)[0]
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _rows(text: str) -> Iterable[tuple[int, list[str]]]:
    """(line of the row's first line, cells) for every row, using csv.reader's line_num."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    previous = 0
    for row in reader:
        yield previous + 1, row
        previous = reader.line_num


# A cell starting with one of these is a formula to a spreadsheet (=, +, -, @; tab and CR before one):
# content could make a reader's Excel run it (CSV injection). Export puts a "'" before such a cell, and
# before one that starts with "'" itself, so that import, which drops one leading "'", reads back exactly.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def _cell(row: list[str], line: int, index: int) -> Cell:
    text = row[index] if index < len(row) else ""
    text = text[1:] if text.startswith("'") else text
    return Cell(text, line + sum(value.count("\n") for value in row[:index]), index + 1)


def _header(row: list[str], line: int, display: str) -> tuple[list[Column], list[Diagnostic]]:
    columns: list[Column] = []
    found: list[Diagnostic] = []
    seen: dict[tuple[str, str], int] = {}
    known = sorted(set(COLUMNS) | {"emotion:<persona>", "extra:<key>", "stage extra:<key>"})
    for index, raw in enumerate(row):
        name = raw.strip()
        if not name:
            continue  # a column without a header must stay empty; checked per row
        prefixed = PREFIXED.match(name)
        if prefixed:
            kind = normalise(prefixed.group(1)).replace(" ", "")
            key = {"stageextra": "stage extra:", "extra": "extra:", "emotion": "emotion:"}[kind]
            arg = prefixed.group(2)
            if key == "emotion:":
                arg = slugify(arg) if arg else ""
            if not arg:
                found.append(error(display, line, index + 1, "JM130", f"column '{name}' names no {'persona' if key == 'emotion:' else 'key'}",
                                   "write emotion:<persona id>, extra:<key> or stage extra:<key>"))
                continue
            column = Column(index, key, arg)
        elif normalise(name) in COLUMNS:
            column = Column(index, COLUMNS[normalise(name)])
        else:
            found.append(error(display, line, index + 1, "JM130", f"unknown column '{name}'{did_you_mean(normalise(name), known)}",
                               "rename it to one of the documented columns (docs/import-export.md), "
                               f"or to 'extra:{name}' to keep it as free-form data"))
            continue
        if (column.key, column.arg) in seen:
            found.append(error(display, line, index + 1, "JM130", f"column '{name}' appears twice (also column {seen[(column.key, column.arg)]})",
                               "remove or rename one of the two columns"))
            continue
        seen[(column.key, column.arg)] = index + 1
        columns.append(column)
    keys = {column.key for column in columns}
    for required in REQUIRED:
        if required not in keys and not (required == "stage" and "stage_id" in keys):
            found.append(error(display, line, 1, "JM131", f"required column '{required}' is missing",
                               "the first row names the columns; a sheet needs at least 'stage' and 'title' "
                               "(see docs/templates/journey-template.csv)"))
    return columns, found


# --- cell values ----------------------------------------------------------------------------------


def split_items(text: str) -> list[str]:
    """A multi-valued cell: items on separate lines, or separated by ' | '."""
    return [item.strip() for item in SEPARATOR.split(text) if item.strip()]


def parse_whole(text: str, scale: EmotionScale, what: str = "emotion") -> int:
    value = text.strip()
    if not WHOLE.match(value):
        raise BadCell(f"{what} '{value}' is not a whole number", f"use a whole number from {scale.min} to {scale.max}")
    number = int(float(value))
    if not scale.min <= number <= scale.max:
        raise BadCell(f"{what} {number} is outside the scale {scale.min}..{scale.max}",
                      f"use a whole number from {scale.min} to {scale.max} (site_config.yml 'emotion_scale')")
    return number


def parse_pain_point(item: str) -> PainPoint:
    match = SEVERITY.match(item)
    title, severity, description = (match.group("title"), match.group("severity").lower(), match.group("description") or "") \
        if match else (item, "medium", "")
    if not title.strip():
        raise BadCell(f"pain point '{item}' has no title", "write 'title (severity): description', e.g. 'Slow checkout (high)'")
    return PainPoint(title=title.strip(), severity=severity, description=description.strip())  # type: ignore[arg-type]


def parse_opportunity(item: str) -> Opportunity:
    match = SCALES.match(item)
    if match:
        title, impact, effort = match.group("title"), match.group("impact").strip(), match.group("effort").strip()
        description = (match.group("description") or "").strip()
    else:
        title, impact, effort, description = item, "", "", ""
    if not title.strip():
        raise BadCell(f"opportunity '{item}' has no title", "write 'title (impact/effort): description', e.g. 'Fit predictor (high/medium)'")
    return Opportunity(title=title.strip(), impact=impact or None, effort=effort or None, description=description)


def parse_evidence(item: str) -> Evidence:
    if re.fullmatch(r"(https?://|mailto:)\S+", item):
        return Evidence(title=item, url=item)
    match = EVIDENCE.match(item)
    assert match is not None  # every part is optional
    title = match.group("title").strip()
    if not title:
        raise BadCell(f"evidence '{item}' has no title", "write 'title <url> (kind)', e.g. 'Returns analysis <https://example.com/q2> (analytics)'")
    return Evidence(title=title, url=(match.group("url") or "").strip() or None, kind=(match.group("kind") or "").strip())


def parse_metric(item: str) -> Metric:
    name, sep, rest = item.partition(": ")
    if not sep or not name.strip():
        raise BadCell(f"metric '{item}' has no 'name: value'", "write 'name: value (note)', e.g. 'Add-to-cart rate: 6.1% (Q2)'")
    match = NOTE.match(rest.strip())
    assert match is not None
    return Metric(name=name.strip(), value=match.group("value").strip(), note=(match.group("note") or "").strip())


def parse_date(text: str) -> dt.date:
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise BadCell(f"'{value}' is not a date YYYY-MM-DD", "write dates as YYYY-MM-DD, e.g. 2026-09-14 (format the column as text so the spreadsheet keeps it)")


def parse_extra(text: str, display: str) -> Any:
    """Text, or a YAML flow list/map when the cell starts with '[' or '{' (read strictly, scalars stay text)."""
    value = text.strip()
    if not value.startswith(("[", "{")):
        return value
    try:
        data, _, _, problems = parse_yaml(value, display, 1)
    except YamlProblem as problem:
        raise BadCell(f"cell starts with '{value[0]}' but is not a YAML flow {'list' if value[0] == '[' else 'map'}: "
                      f"{problem.diagnostic.message}", "write [a, b] or {key: value}, or start the text with another character") from None
    if problems:
        raise BadCell(problems[0].message, problems[0].hint)
    return data


def parse_stage_emotion(text: str, scale: EmotionScale) -> int | dict[str, int]:
    value = text.strip()
    if WHOLE.match(value):
        return parse_whole(value, scale, "stage emotion")
    scores: dict[str, int] = {}
    for item in split_items(value):
        persona, sep, score = item.partition(":")
        if not sep or not persona.strip():
            raise BadCell(f"stage emotion '{item}' is neither a number nor 'persona: number'",
                          "write one number, or one 'persona: number' per line")
        scores[slugify(persona.strip())] = parse_whole(score, scale, "stage emotion")
    return scores


def _resolve(value: str, vocabulary: dict[str, Any]) -> str:
    """An id of a site vocabulary (channels, teams, phases) given by id or by title; else as written."""
    if value in vocabulary:
        return value
    for key, item in vocabulary.items():
        if value.casefold() in (key.casefold(), str(getattr(item, "title", "")).casefold()):
            return key
    return value


def _id(text: str, what: str) -> str:
    value = text.strip()
    if not ID_PATTERN.match(value):
        raise BadCell(f"invalid {what} id '{value}'", f"ids are lower-case letters, digits, '-' and '_' (at most 64), e.g. '{slugify(value)}'")
    return value


# --- import ---------------------------------------------------------------------------------------


def import_csv(path: Path, display: str, site: Site, journey_id: str, title: str | None = None) -> tuple[NewJourney | None, list[Diagnostic]]:
    """Read a sheet into a NewJourney; (None, diagnostics) when any row is bad."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [error(display, 1, 1, "JM001", f"file cannot be read: {exc.strerror or exc}", "check the path")]
    text, problems = decode(raw, display)
    if text is None:
        return None, problems
    return parse_sheet(text, display, site, journey_id, title)


def parse_sheet(text: str, display: str, site: Site, journey_id: str, title: str | None = None) -> tuple[NewJourney | None, list[Diagnostic]]:
    rows = [(line, row) for line, row in _rows(text.removeprefix("\ufeff")) if any(cell.strip() for cell in row)]
    if not rows:
        return None, [error(display, 1, 1, "JM131", "the sheet is empty: no header row",
                            "the first row names the columns (see docs/templates/journey-template.csv)")]
    header_line, header = rows[0]
    columns, found = _header(header, header_line, display)
    if any(d.code == "JM131" for d in found):
        return None, found
    sheet = _Sheet(site, display)
    sheet.found += found  # unknown columns: reported, and the rows are still checked
    named = {index for index, name in enumerate(header) if name.strip()}
    for line, row in rows[1:]:
        sheet.row(columns, named, line, row)
    if not sheet.stages and not sheet.found:
        sheet.found.append(error(display, header_line + 1, 1, "JM131", "the sheet has a header but no rows",
                                 "add one row per touchpoint below the header"))
    if sheet.found:
        return None, sheet.found
    journey = sheet.journey(journey_id, title, columns)
    return (journey, []) if not sheet.found else (None, sheet.found)


class _Sheet:
    def __init__(self, site: Site, display: str):
        self.site, self.display, self.config = site, display, site.config
        self.found: list[Diagnostic] = []
        self.stages: dict[str, _Stage] = {}
        self.current: _Stage | None = None
        self.explicit_ids: dict[str, int] = {}  # touchpoint id -> line

    def bad(self, cell: Cell, message: str, hint: str = "", code: str = "JM132") -> None:
        self.found.append(error(self.display, cell.line, cell.column, code, message, hint))

    def parse(self, cell: Cell, parser: Callable[[str], Any]) -> Any:
        try:
            return parser(cell.text)
        except BadCell as problem:
            self.bad(cell, problem.message, problem.hint)
            return None

    def row(self, columns: list[Column], named: set[int], line: int, row: list[str]) -> None:
        for index in range(len(row)):
            if index not in named and row[index].strip():
                self.bad(_cell(row, line, index), "value in a column without a header",
                         "give the column a name in the first row, or clear the cell", code="JM130")
        cells = {(column.key, column.arg): _cell(row, line, column.index) for column in columns}
        stage = self.stage(cells, line)
        if stage is None:
            return
        self.stage_values(stage, cells)
        touchpoint_cells = {k: c for k, c in cells.items() if k[0] in TOUCHPOINT_FIELDS and c.text.strip()}
        title = cells.get(("title", ""))
        if not touchpoint_cells:
            return  # a row that only declares a stage (a stage without touchpoints)
        if title is None or not title.text.strip():
            first = min(touchpoint_cells.values(), key=lambda c: c.column)
            self.bad(title or first, "touchpoint has no title", "give every touchpoint row a title; a row with only a stage declares an empty stage")
            return
        data = self.touchpoint(cells, stage)
        if data is not None:
            stage.rows.append(data)

    def stage(self, cells: dict[tuple[str, str], Cell], line: int) -> _Stage | None:
        title_cell, id_cell = cells.get(("stage", "")), cells.get(("stage_id", ""))
        title = title_cell.text.strip() if title_cell else ""
        given_id = id_cell.text.strip() if id_cell else ""
        where = title_cell or id_cell
        assert where is not None
        if not title and not given_id:
            if self.current is None:
                self.bad(where, "the first row has no stage", "name the stage of every row; empty stage cells below it repeat the stage above")
            return self.current  # merged or left-empty cells repeat the stage above
        if given_id:
            stage_id = self.parse(id_cell, lambda text: _id(text, "stage"))  # type: ignore[arg-type]
            if stage_id is None:
                return None
        else:  # a stage seen before under this title (perhaps with an explicit id), else the title as a slug
            stage_id = next((s.id for s in self.stages.values() if s.title == title), slugify(title))
        stage = self.stages.get(stage_id)
        if stage is None:
            if not title:
                self.bad(where, f"stage '{stage_id}' has no title", "name the stage in the 'stage' column the first time it appears")
                return None
            stage = self.stages[stage_id] = _Stage(stage_id, title, line)
        elif title and title != stage.title:
            self.bad(where, f"stage '{stage_id}' is titled '{stage.title}' on line {stage.line} and '{title}' here",
                     "give a stage the same title on every row (or leave the cell empty to repeat the stage above)")
            return None
        self.current = stage
        return stage

    def stage_values(self, stage: _Stage, cells: dict[tuple[str, str], Cell]) -> None:
        scale = self.config.emotion_scale
        parsers: dict[str, Callable[[str], Any]] = {
            "stage_goal": str.strip,
            "stage_phase": lambda text: _resolve(text.strip(), self.config.phases),
            "stage_emotion": lambda text: parse_stage_emotion(text, scale),
            "stage_metrics": lambda text: [parse_metric(item) for item in split_items(text)],
            "stage_notes": str.strip,
            "stage extra:": lambda text: parse_extra(text, self.display),
        }
        for (key, arg), cell in cells.items():
            if key not in parsers or not cell.text.strip():
                continue
            value = self.parse(cell, parsers[key])
            if value is None:
                continue
            name = f"{key}{arg}"
            if name in stage.values and stage.values[name][0] != value:
                self.bad(cell, f"stage '{stage.id}' has a different {key.replace('_', ' ')}{' ' + arg if arg else ''} on line {stage.values[name][1]}",
                         "give stage columns once per stage (or the same value on every row of the stage)")
                continue
            stage.values.setdefault(name, (value, cell.line))

    def touchpoint(self, cells: dict[tuple[str, str], Cell], stage: _Stage) -> dict[str, Any] | None:
        before = len(self.found)
        scale, config = self.config.emotion_scale, self.config
        data: dict[str, Any] = {"stage": stage.id}
        extra: dict[str, Any] = {}
        emotions: dict[str, int] = {}
        result: dict[str, Any] = {"data": data, "id": None, "body": "", "title_cell": cells[("title", "")],
                                  "next_cell": cells.get(("next", ""))}
        single: dict[str, Callable[[str], Any]] = {
            "title": str.strip,
            "actor": self._actor,
            "action": str.strip,
            "thought": str.strip,
            "channel": lambda text: _resolve(text.strip(), config.channels),
            "owner": lambda text: _resolve(text.strip(), config.teams),
            "last_reviewed": parse_date,
            "frontstage": split_items,
            "backstage": split_items,
            "support": split_items,
            "next": split_items,
            "pain_points": lambda text: [parse_pain_point(item) for item in split_items(text)],
            "opportunities": lambda text: [parse_opportunity(item) for item in split_items(text)],
            "evidence": lambda text: [parse_evidence(item) for item in split_items(text)],
        }
        for (key, arg), cell in cells.items():
            if not cell.text.strip():
                continue
            if key in single:
                value = self.parse(cell, single[key])
                if value is not None:
                    data[key] = value
            elif key == "id":
                value = self.parse(cell, lambda text: _id(text, "touchpoint"))
                if value is not None and value in self.explicit_ids:
                    self.bad(cell, f"duplicate touchpoint id '{value}' (also on line {self.explicit_ids[value]})",
                             "touchpoint ids are unique within a journey; change one of them", code="JM133")
                elif value is not None:
                    self.explicit_ids[value] = cell.line
                    result["id"] = value
            elif key == "emotion":
                data["emotion"] = self.parse(cell, lambda text: parse_whole(text, scale))
            elif key == "emotion:":
                value = self.parse(cell, lambda text: parse_whole(text, scale))
                if value is not None:
                    emotions[arg] = value
            elif key == "extra:":
                value = self.parse(cell, lambda text: parse_extra(text, self.display))
                if value is not None:
                    extra[arg] = value
            elif key == "notes":
                result["body"] = cell.text.strip()
        if emotions and data.get("emotion") is not None:
            self.bad(cells[("emotion", "")], "both 'emotion' and 'emotion:<persona>' are given",
                     "give one emotion for everyone in 'emotion', or one per persona in the emotion:<persona> columns")
        elif emotions:
            data["emotion"] = emotions
        if extra:
            data["extra"] = extra
        return result if len(self.found) == before else None

    @staticmethod
    def _actor(text: str) -> str:
        value = text.strip().lower()
        if value not in ACTORS:
            raise BadCell(f"actor '{text.strip()}' is not one of {', '.join(ACTORS)}{did_you_mean(value, ACTORS)}",
                          "leave it empty for the customer")
        return value

    def journey(self, journey_id: str, title: str | None, columns: list[Column]) -> NewJourney:
        used = set(self.explicit_ids)
        stages: list[NewStage] = []
        touchpoints: list[NewTouchpoint] = []
        for stage in self.stages.values():
            values = {name: value for name, (value, _) in stage.values.items()}
            meta = {"title": stage.title, "goal": values.get("stage_goal", ""), "phase": values.get("stage_phase"),
                    "emotion": values.get("stage_emotion"), "metrics": values.get("stage_metrics", []),
                    "extra": {name.removeprefix("stage extra:"): value for name, value in values.items() if name.startswith("stage extra:")}}
            stages.append(NewStage(stage.id, StageMeta.model_validate(meta), values.get("stage_notes", "")))
            for row in stage.rows:
                tp_id = row["id"] or unique_id(slugify(row["data"]["title"]), used)
                used.add(tp_id)
                try:
                    tp_meta = TouchpointMeta.model_validate(row["data"])
                except ValidationError as exc:  # every cell was checked; this guards the mapping itself
                    self.bad(row["title_cell"], f"invalid touchpoint: {exc.errors()[0]['msg']}")
                    continue
                touchpoints.append(NewTouchpoint(tp_id, tp_meta, row["body"]))
        ids = {tp.id for tp in touchpoints}
        for stage in self.stages.values():
            for row in stage.rows:
                for target in row["data"].get("next", []):
                    if "/" not in target and target not in ids:
                        self.bad(row["next_cell"], f"next step '{target}' is not a touchpoint of this sheet{did_you_mean(target, ids)}",
                                 "name a touchpoint by its id (the 'id' column, else its title as a slug), "
                                 "or another journey's as journey-id/touchpoint-id")
        personas = [column.arg for column in columns if column.key == "emotion:"]
        for stage in stages:
            if isinstance(stage.meta.emotion, dict):
                personas += [p for p in stage.meta.emotion if p not in personas]
        return NewJourney(journey_id, stages, touchpoints, title=title, personas=personas)


# --- export ---------------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(text.split("\n")).replace("\r", " ")


def _items(values: Iterable[str]) -> str:
    return "\n".join(_one_line(value) for value in values)


def format_pain_point(item: PainPoint) -> str:
    text = f"{item.title} ({item.severity})"
    return text + (f": {item.description}" if item.description else "")


def format_opportunity(item: Opportunity) -> str:
    text = item.title
    if item.impact or item.effort or item.description or SCALES.match(item.title):
        text += f" ({item.impact or ''}/{item.effort or ''})"
    return text + (f": {item.description}" if item.description else "")


def format_evidence(item: Evidence) -> str:
    if item.url and item.url == item.title and not item.kind:
        return item.url
    text = item.title + (f" <{item.url}>" if item.url else "")
    if item.kind:
        return text + f" ({item.kind})"
    return text if _reads_back(parse_evidence, text, item) else text + " ()"  # '()': no kind, the title's own brackets stay


def format_metric(item: Metric) -> str:
    text = f"{item.name}: {item.value}"
    if item.note:
        return text + f" ({item.note})"
    return text if _reads_back(parse_metric, text, item) else text + " ()"


def _reads_back(parser: Callable[[str], Any], text: str, item: Any) -> bool:
    try:
        return bool(parser(text) == item)
    except BadCell:
        return False


def format_emotion(value: int | dict[str, int] | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return "\n".join(f"{persona}: {score}" for persona, score in value.items())
    return str(value)


def format_extra(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, sort_keys=False, width=1_000_000).strip()
    return str(value)


def export_rows(site: Site, journey: Journey) -> list[list[str]]:
    """The sheet of a journey: a header row, then one row per touchpoint (a stage without touchpoints gets a row of its own)."""
    touchpoints = journey.touchpoints
    personas = list(journey.meta.personas)
    for tp in touchpoints:
        if isinstance(tp.meta.emotion, dict):
            personas += [p for p in tp.meta.emotion if p not in personas]
    personas = [p for p in personas if any(isinstance(tp.meta.emotion, dict) and p in tp.meta.emotion for tp in touchpoints)]
    extra_keys: list[str] = []
    for tp in touchpoints:
        extra_keys += [key for key in tp.meta.extra if key not in extra_keys]
    stage_extra: list[str] = []
    for stage in journey.stages:
        stage_extra += [key for key in stage.meta.extra if key not in stage_extra]
    header = (EXPORT_COLUMNS[:8] + [f"emotion:{p}" for p in personas] + EXPORT_COLUMNS[8:19]
              + [f"extra:{key}" for key in extra_keys] + EXPORT_COLUMNS[19:] + [f"stage extra:{key}" for key in stage_extra])
    rows = [header]
    for stage in journey.stages:
        stage_cells = {"stage": stage.meta.title, "stage id": stage.id, "stage goal": stage.meta.goal,
                       "stage phase": stage.meta.phase or "", "stage emotion": format_emotion(stage.meta.emotion),
                       "stage metrics": _items(format_metric(m) for m in stage.meta.metrics), "stage notes": stage.body.strip(),
                       **{f"stage extra:{key}": format_extra(value) for key, value in stage.meta.extra.items()}}
        first = True
        for tp in stage.touchpoints or [None]:
            cells = dict(stage_cells) if first else {"stage": stage.meta.title, "stage id": stage.id}
            first = False
            if tp is not None:
                cells.update(_touchpoint_cells(tp.id, tp.meta, tp.body))
            rows.append([cells.get(name, "") for name in header])
    return rows


def _touchpoint_cells(tp_id: str, meta: TouchpointMeta, body: str) -> dict[str, str]:
    cells = {
        "title": meta.title, "id": tp_id, "actor": "" if meta.actor == "customer" else meta.actor,
        "action": meta.action, "thought": meta.thought, "channel": meta.channel or "",
        "frontstage": _items(meta.frontstage), "backstage": _items(meta.backstage), "support": _items(meta.support),
        "pain points": _items(format_pain_point(p) for p in meta.pain_points),
        "opportunities": _items(format_opportunity(o) for o in meta.opportunities),
        "owner": meta.owner or "", "evidence": _items(format_evidence(e) for e in meta.evidence),
        "last reviewed": meta.last_reviewed.isoformat() if meta.last_reviewed else "",
        "next": _items(meta.next), "notes": body.strip(),
        **{f"extra:{key}": format_extra(value) for key, value in meta.extra.items()},
    }
    if isinstance(meta.emotion, dict):
        cells.update({f"emotion:{persona}": str(score) for persona, score in meta.emotion.items()})
    elif meta.emotion is not None:
        cells["emotion"] = str(meta.emotion)
    return cells


def export_csv(site: Site, journey: Journey) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([["'" + cell if cell.startswith(FORMULA_START) else cell for cell in row]
                      for row in export_rows(site, journey)])
    return out.getvalue()
