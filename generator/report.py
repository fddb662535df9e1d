"""Diagnostics as text for people, and as JSON, GitHub workflow commands or SARIF 2.1.0 for machines."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from . import __version__
from .diagnostics import CODES, Diagnostic

FORMATS = ("text", "json", "github", "sarif")
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def render(diagnostics: list[Diagnostic], root: Path, fmt: str) -> str:
    """All diagnostics in one format; text ends with a summary line."""
    renderers: dict[str, Callable[[list[Diagnostic], Path], str]] = {
        "text": _text, "json": _json, "github": _github, "sarif": _sarif}
    return renderers[fmt](diagnostics, root)


def summary(diagnostics: list[Diagnostic]) -> str:
    errors = sum(d.is_error for d in diagnostics)
    return f"{errors} error(s), {len(diagnostics) - errors} warning(s)" if diagnostics else "No problems found."


# --- text -----------------------------------------------------------------------------------------


def format_text(diagnostic: Diagnostic, root: Path) -> str:
    """Compiler style: file:line:col: severity CODE message, the source line, a caret, the hint."""
    lines = [f"{diagnostic.file}:{diagnostic.line}:{diagnostic.column}: {diagnostic.severity.value} "
             f"{diagnostic.code} {diagnostic.message}"]
    source = _source_line(root / diagnostic.file, diagnostic.line)
    if source is not None:
        lines.append(f"    {source}")
        lines.append("    " + " " * (max(diagnostic.column, 1) - 1) + "^")
    if diagnostic.hint:
        lines.append(f"    hint: {diagnostic.hint}")
    return "\n".join(lines)


def _source_line(path: Path, line: int) -> str | None:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, 1):
                if number == line:
                    shown = text.rstrip("\n").replace("\t", "→")
                    return shown if len(shown) <= 200 else shown[:200] + "…"
    except OSError:
        return None
    return None


def _text(diagnostics: list[Diagnostic], root: Path) -> str:
    return "\n".join([format_text(d, root) for d in diagnostics] + [summary(diagnostics)])


# --- machines -------------------------------------------------------------------------------------


def _json(diagnostics: list[Diagnostic], root: Path) -> str:
    errors = sum(d.is_error for d in diagnostics)
    report = {"version": 1, "errors": errors, "warnings": len(diagnostics) - errors,
              "diagnostics": [d.to_dict() for d in diagnostics]}
    return json.dumps(report, indent=2, ensure_ascii=False)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(diagnostics: list[Diagnostic], root: Path) -> str:
    """GitHub Actions workflow commands: annotations on the changed lines of a pull request."""
    lines = []
    for d in diagnostics:
        command = "error" if d.is_error else "warning"
        props = f"file={_escape_property(d.file)},line={d.line},col={d.column},title={d.code}"
        message = d.message + (f" (hint: {d.hint})" if d.hint else "")
        lines.append(f"::{command} {props}::{_escape_data(message)}")
    return "\n".join(lines)


def _sarif(diagnostics: list[Diagnostic], root: Path) -> str:
    """SARIF 2.1.0: one run, one rule per diagnostic code used."""
    used = sorted({d.code for d in diagnostics})
    rules = [{"id": code, "name": code, "shortDescription": {"text": CODES.get(code, code)},
              "helpUri": "https://github.com/journeymap/journeymap/blob/main/docs/diagnostics.md"} for code in used]
    results = [{
        "ruleId": d.code,
        "ruleIndex": used.index(d.code),
        "level": "error" if d.is_error else "warning",
        "message": {"text": d.message + (f" Hint: {d.hint}" if d.hint else "")},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": d.file, "uriBaseId": "PROJECTROOT"},
            "region": {"startLine": max(d.line, 1), "startColumn": max(d.column, 1)},
        }}],
    } for d in diagnostics]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "journeymap", "version": __version__,
                                "informationUri": "https://github.com/journeymap/journeymap", "rules": rules}},
            "originalUriBaseIds": {"PROJECTROOT": {"uri": root.resolve().as_uri() + "/"}},
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False)
