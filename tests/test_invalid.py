"""tests/invalid/<case>/: one deliberately broken mini-site per diagnostic code.

Each case holds site_config.yml and content files, and an expect.yml listing the diagnostics
`journeymap validate` must report: `- {code: JM104, file: content/..., line: 3, column: 8}`
(column optional). The real CLI runs on a copy of the case; the reported set must equal the expected
set exactly (so a fixture also proves there is no cascade of follow-up diagnostics).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers import copy_case, expected, invalid_cases, json_diagnostics, run_cli, run_journeymap
from journeymap.diagnostics import CODES

CASES = invalid_cases()
# Codes no `journeymap validate` run can produce (build-time codes), each with the reason.
NOT_FROM_VALIDATE = {
    "JM120": "unsafe site_dir: checked by `journeymap build` (tests/test_validate.py covers it)",
    "JM121": "theme problem: found by `journeymap build` while rendering (tests/test_validate.py covers it)",
}
# Codes of other commands, tested with those commands: `journeymap import` (JM130..JM139).
OTHER_COMMANDS = re.compile(r"^JM13\d$")
CASE_NAME = re.compile(r"^jm\d{3}-[a-z0-9-]+$")


def _case_id(case: Path) -> str:
    return case.name


def _check(case: Path, output: str, exit_code: int, text_output: str) -> None:
    want = expected(case)
    got = json_diagnostics(output)
    want_set = {(w["code"], w["file"], w["line"]) + ((w["column"],) if "column" in w else ()) for w in want}
    got_set = {(d["code"], d["file"], d["line"]) for d in got} | {
        (d["code"], d["file"], d["line"], d["column"]) for d in got}
    missing = [w for w in want_set if w not in got_set]
    unexpected = [d for d in got if (d["code"], d["file"], d["line"]) not in {w[:3] for w in want_set}]
    assert not missing and not unexpected, (
        f"{case.name}: missing {missing}; unexpected {[(d['code'], d['file'], d['line'], d['column'], d['message']) for d in unexpected]}")
    assert all(d["message"] and d["hint"] for d in got), "every diagnostic says what is wrong and how to fix it"
    errors = [d for d in got if d["severity"] == "error"]
    assert exit_code == (1 if errors else 0)
    assert "Traceback" not in output and "Traceback" not in text_output
    for w in want:  # compiler-style text output: file:line:col: severity CODE
        assert re.search(rf"^{re.escape(str(w['file']))}:{w['line']}:\d+: (error|warning) {w['code']} ", text_output, re.M), text_output


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_case_reports_expected_diagnostics(case: Path, tmp_path: Path) -> None:
    root = copy_case(case, tmp_path)
    as_json = run_cli(["validate", "--project", str(root), "--format", "json"])
    as_text = run_cli(["validate", "--project", str(root)])
    assert as_text.exit_code == as_json.exit_code
    _check(case, as_json.stdout, as_json.exit_code, as_text.output)
    if as_json.exit_code == 0:  # warning-only cases: --strict makes them fail
        strict = run_cli(["validate", "--project", str(root), "--strict"])
        assert strict.exit_code == 1, strict.output


@pytest.mark.slow
@pytest.mark.parametrize("name", ["jm005-tab-indentation", "jm104-unknown-stage", "jm014-no-site-config"])
def test_case_as_a_real_process(name: str, tmp_path: Path) -> None:
    """The installed entry point, run from inside the site with no arguments, as a user would."""
    case = next(c for c in CASES if c.name == name)
    root = copy_case(case, tmp_path)
    as_json = run_journeymap(["validate", "--format", "json"], cwd=root)
    as_text = run_journeymap(["validate"], cwd=root)
    assert as_text.returncode == as_json.returncode == 1, as_text.stderr
    _check(case, as_json.stdout, as_json.returncode, as_text.stderr)


def test_cases_are_well_formed() -> None:
    assert len(CASES) >= 30
    for case in CASES:
        assert CASE_NAME.match(case.name), f"case folders are named jmNNN-what-is-wrong: {case.name}"
        for item in expected(case):
            assert set(item) <= {"code", "file", "line", "column"}, f"{case.name}: {item}"
            assert item["code"] in CODES, f"{case.name}: {item['code']} is not in diagnostics.CODES"
        assert case.name[:5].upper() in {item["code"] for item in expected(case)}, f"{case.name} must expect its own code"


def test_every_code_has_a_case() -> None:
    """Every catalogued code is either produced by some case, or listed with the reason it cannot be."""
    covered = {item["code"] for case in CASES for item in expected(case)}
    validate_codes = {code for code in CODES if not OTHER_COMMANDS.match(code)}
    uncovered = sorted(validate_codes - covered - set(NOT_FROM_VALIDATE))
    assert not uncovered, f"codes without a tests/invalid case: {uncovered}"
    assert not set(NOT_FROM_VALIDATE) & covered, "a code listed as impossible now has a case: drop it from the list"
