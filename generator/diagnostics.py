"""One Diagnostic type for every problem a user can cause, and the catalogue of stable codes."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


# Stable codes: never renumber, never reuse. docs/diagnostics.md documents each one.
CODES: dict[str, str] = {
    # Loading: files and YAML
    "JM001": "file cannot be read (not UTF-8, unreadable)",
    "JM002": "front matter missing: the file does not start with ---",
    "JM003": "front matter not closed: no closing ---",
    "JM004": "YAML syntax error",
    "JM005": "tab used for indentation",
    "JM006": "duplicate key",
    "JM007": "YAML tag not allowed",
    "JM008": "YAML anchor or alias not allowed",
    "JM009": "file too large",
    "JM010": "nesting too deep",
    "JM011": "front matter is not a mapping",
    "JM012": "invalid id in a file or folder name",
    "JM013": "symlink pointing outside the content folder",
    "JM014": "site_config.yml missing",
    "JM015": "file outside the content model (ignored)",
    "JM016": "content folder missing",
    # Schema
    "JM101": "unknown field",
    "JM102": "required field missing",
    "JM103": "invalid value",
    # References
    "JM104": "unknown stage",
    "JM105": "unknown persona",
    "JM106": "unknown channel",
    "JM107": "unknown team",
    "JM108": "unknown touchpoint",
    "JM109": "unknown journey",
    "JM110": "unknown lifecycle phase",
    "JM111": "unknown lane",
    "JM112": "duplicate id",
    "JM113": "emotion outside the scale",
    "JM114": "emotion for a persona not in the journey",
    "JM115": "value not on the impact or effort scale",
    "JM116": "broken relative link",
    "JM117": "order list does not match the files",
    "JM118": "journey has no stages",
    "JM119": "unsafe link",
    "JM122": "malformed link",
    # Config and output
    "JM120": "unsafe site_dir",
    "JM121": "theme problem",
    # Import (journeymap import csv|mermaid)
    "JM130": "unknown or duplicate column in a spreadsheet",
    "JM131": "required spreadsheet column missing (or no rows)",
    "JM132": "invalid spreadsheet cell value",
    "JM133": "duplicate touchpoint id in a spreadsheet",
    "JM134": "journey already exists (import without --force)",
    "JM135": "invalid Mermaid journey syntax",
    "JM136": "Mermaid score outside 1..5",
    # Warnings
    "JM201": "stage has no touchpoints",
    "JM202": "touchpoint not reviewed within the review period",
    "JM203": "persona not used by any journey",
}


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A problem found in a user's files: where it is, what it is, and how to fix it."""

    file: str
    line: int
    column: int
    code: str
    severity: Severity = field(compare=False)
    message: str = field(compare=False)
    hint: str = field(default="", compare=False)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.hint,
        }


def error(file: str, line: int, column: int, code: str, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic(file, line, column, code, Severity.ERROR, message, hint)


def warning(file: str, line: int, column: int, code: str, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic(file, line, column, code, Severity.WARNING, message, hint)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A 'did you mean' suffix for the closest choice, or '' when none is close."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Deterministic order: by file, line, column, code, then message."""
    return sorted(set(diagnostics), key=lambda d: (d.file, d.line, d.column, d.code, d.message))


class DiagnosticError(Exception):
    """Raised to stop a command with diagnostics that are already complete (e.g. a broken config)."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics
