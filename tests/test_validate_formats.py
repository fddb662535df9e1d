"""`journeymap validate --format text|json|github|sarif`: each format's structure, and the same exit codes in all."""
from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from helpers import REPO, make_site, run_cli
from journeymap.diagnostics import Diagnostic, Severity
from journeymap.report import render

SARIF_SCHEMA = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
FORMATS = ["text", "json", "github", "sarif"]
GITHUB_LINE = re.compile(r"^::(?P<command>error|warning) file=(?P<file>[^,]+),line=(?P<line>\d+),col=(?P<col>\d+),"
                         r"title=(?P<code>JM\d{3})::(?P<message>.+)$")

TOUCHPOINT = "content/journeys/j/touchpoints/01-pay.md"
# Two errors and a warning in one file: an unknown stage (JM104), an unknown channel whose name needs
# escaping in workflow commands (JM106) and a review date past the period (JM202; the config pins today).
BROKEN = {TOUCHPOINT: "---\ntitle: Pays at the till\nstage: bye\nchannel: \"50%,x:y\"\nlast_reviewed: 2020-01-01\n---\nThe step.\n"}
EXPECTED = [("error", "JM104", 3, 8), ("error", "JM106", 4, 10), ("warning", "JM202", 5, 16)]
WARNING_ONLY = {TOUCHPOINT: "---\ntitle: Pays at the till\nstage: buy\nlast_reviewed: 2020-01-01\n---\nThe step.\n"}


def validate(root: Path, fmt: str, *extra: str):
    return run_cli(["validate", "--project", str(root), "--format", fmt, *extra])


@pytest.fixture()
def broken(tmp_path: Path) -> Path:
    return make_site(tmp_path, BROKEN)


# --- json -----------------------------------------------------------------------------------------


def test_json_lists_every_diagnostic_with_its_location(broken: Path) -> None:
    result = validate(broken, "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)  # stdout is exactly one JSON document
    assert set(report) == {"version", "errors", "warnings", "diagnostics"}
    assert (report["version"], report["errors"], report["warnings"]) == (1, 2, 1)
    assert [(d["severity"], d["code"], d["line"], d["column"]) for d in report["diagnostics"]] == EXPECTED
    for entry in report["diagnostics"]:
        assert set(entry) == {"file", "line", "column", "code", "severity", "message", "hint"}
        assert entry["file"] == TOUCHPOINT
        assert entry["message"] and entry["hint"]
    assert report["diagnostics"][1]["message"] == "unknown channel '50%,x:y'"  # JSON needs no escaping of its own


def test_json_of_a_clean_site_is_an_empty_report(tmp_path: Path) -> None:
    result = validate(make_site(tmp_path), "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"version": 1, "errors": 0, "warnings": 0, "diagnostics": []}


# --- github ---------------------------------------------------------------------------------------


def test_github_prints_one_workflow_command_per_diagnostic(broken: Path) -> None:
    result = validate(broken, "github")
    assert result.exit_code == 1
    lines = result.stdout.strip().split("\n")
    matches = [GITHUB_LINE.match(line) for line in lines]
    assert all(matches), lines
    found = [(m["command"], m["code"], int(m["line"]), int(m["col"])) for m in matches if m]
    assert found == EXPECTED
    assert {m["file"] for m in matches if m} == {TOUCHPOINT}
    stage, channel, review = (m["message"] for m in matches if m)
    assert stage.startswith("unknown stage 'bye' (did you mean 'buy'?)") and "hint: " in stage
    assert channel.startswith("unknown channel '50%25,x:y'")  # '%' escaped as workflow commands require


def test_github_escapes_properties_and_multi_line_messages() -> None:
    diagnostic = Diagnostic("content/a,b:c.md", 2, 3, "JM004", Severity.ERROR, "bad YAML\nat 100%", "fix it")
    line = render([diagnostic], Path("."), "github")
    assert line == "::error file=content/a%2Cb%3Ac.md,line=2,col=3,title=JM004::bad YAML%0Aat 100%25 (hint: fix it)"
    assert "\n" not in line


def test_github_of_a_clean_site_prints_nothing(tmp_path: Path) -> None:
    result = validate(make_site(tmp_path), "github")
    assert (result.exit_code, result.stdout) == (0, "")


# --- sarif ----------------------------------------------------------------------------------------


def test_sarif_validates_against_the_official_schema(broken: Path) -> None:
    result = validate(broken, "sarif")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator.check_schema(SARIF_SCHEMA)
    errors = sorted(jsonschema.Draft4Validator(SARIF_SCHEMA).iter_errors(log), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "journeymap"
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rules == ["JM104", "JM106", "JM202"]
    results = [(r["level"], r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"],
                r["locations"][0]["physicalLocation"]["region"]["startColumn"]) for r in run["results"]]
    assert results == EXPECTED
    for entry in run["results"]:
        assert rules[entry["ruleIndex"]] == entry["ruleId"]
        location = entry["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location == {"uri": TOUCHPOINT, "uriBaseId": "PROJECTROOT"}
    assert run["originalUriBaseIds"]["PROJECTROOT"]["uri"] == broken.resolve().as_uri() + "/"


def test_sarif_of_a_clean_site_is_valid_and_empty(tmp_path: Path) -> None:
    result = validate(make_site(tmp_path), "sarif")
    assert result.exit_code == 0
    log = json.loads(result.stdout)
    jsonschema.validate(log, SARIF_SCHEMA, cls=jsonschema.Draft4Validator)
    assert log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == []


def test_sarif_for_a_load_error_without_a_config(tmp_path: Path) -> None:
    """No site_config.yml at all (JM014): still one valid SARIF log, pointing at the missing file."""
    (tmp_path / "content").mkdir()
    result = validate(tmp_path, "sarif")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    jsonschema.validate(log, SARIF_SCHEMA, cls=jsonschema.Draft4Validator)
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["JM014"]


# --- text and exit codes --------------------------------------------------------------------------


def test_text_goes_to_stderr_and_machine_formats_to_stdout(broken: Path) -> None:
    text = validate(broken, "text")
    assert text.stdout == ""
    assert f"{TOUCHPOINT}:3:8: error JM104 unknown stage 'bye'" in text.stderr
    assert text.stderr.rstrip().endswith("2 error(s), 1 warning(s)")
    for fmt in ("json", "github", "sarif"):
        assert validate(broken, fmt).stderr == ""


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("files", "strict", "code"), [
    (None, False, 0),           # clean
    (None, True, 0),            # clean, strict
    (WARNING_ONLY, False, 0),   # a warning
    (WARNING_ONLY, True, 1),    # a warning fails with --strict
    (BROKEN, False, 1),         # errors
])
def test_exit_codes_do_not_depend_on_the_format(tmp_path: Path, fmt: str, files: dict[str, str] | None, strict: bool,
                                                code: int) -> None:
    root = make_site(tmp_path, files)
    result = validate(root, fmt, *(["--strict"] if strict else []))
    assert result.exit_code == code


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    result = validate(make_site(tmp_path), "xml")
    assert result.exit_code == 2
    assert "xml" in result.stderr
