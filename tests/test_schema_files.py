"""The JSON Schemas in schemas/: in sync with the model, accepting the example, rejecting schema errors.

Editors read front matter as YAML 1.1 (yaml.safe_load), so that is how the files are read here, with
dates turned into ISO strings and mapping keys into strings, as a JSON Schema validator sees them.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from helpers import REPO, copy_case, expected, invalid_cases, plain_front_matter, run_cli
from journeymap.content import classify
from journeymap.schema import SCHEMA_FILES

SCHEMAS = REPO / "schemas"
SCHEMA_ERRORS = ("JM101", "JM102", "JM103")
NOT_PER_FILE = {"jm102-journey-md-missing": "a missing file, not a missing field",
                "jm103-config-malformed-url": "a URL Python's parser cannot read: a check JSON Schema cannot express"}


def validator(kind: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / SCHEMA_FILES[kind]).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def kind_of(rel: str) -> str | None:
    """The file kind of a path relative to the project root."""
    if rel == "site_config.yml":
        return "config"
    parts = tuple(rel.split("/"))
    if parts[0] != "content" or not rel.endswith(".md"):
        return None
    found = classify(parts[1:])
    return found[0] if found else None


def example_files() -> list[str]:
    files = ["site_config.yml"] + sorted(p.relative_to(REPO).as_posix() for p in (REPO / "content").rglob("*.md"))
    return [f for f in files if kind_of(f)]


def test_committed_schemas_are_up_to_date(tmp_path: Path) -> None:
    result = run_cli(["schema", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.glob("*.json")}
    committed = {p.name: p.read_text(encoding="utf-8") for p in SCHEMAS.glob("*.json")}
    assert sorted(written) == sorted(SCHEMA_FILES.values())
    stale = sorted(name for name in written if committed.get(name) != written[name])
    assert not stale and sorted(committed) == sorted(written), (
        f"schemas/ is out of date ({stale}): run `journeymap schema` and commit the result")


@pytest.mark.parametrize("kind", sorted(SCHEMA_FILES))
def test_schemas_are_valid_draft_2020_12(kind: str) -> None:
    schema = validator(kind).schema
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema.get("additionalProperties") is False  # unknown keys are errors in editors too


def test_example_has_every_kind() -> None:
    assert {kind_of(f) for f in example_files()} == set(SCHEMA_FILES)


@pytest.mark.parametrize("rel", example_files())
def test_schema_accepts_example_file(rel: str) -> None:
    data = plain_front_matter((REPO / rel).read_text(encoding="utf-8"))
    errors = sorted(validator(kind_of(rel)).iter_errors(data), key=str)  # type: ignore[arg-type]
    assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def schema_error_cases() -> list[tuple[Path, str]]:
    cases = []
    for case in invalid_cases():
        if case.name in NOT_PER_FILE:
            continue
        items = expected(case)
        if all(item["code"] in SCHEMA_ERRORS for item in items):
            files = {str(item["file"]) for item in items}
            if len(files) == 1 and kind_of(next(iter(files))):
                cases.append((case, next(iter(files))))
    return cases


@pytest.mark.parametrize("case, rel", schema_error_cases(), ids=lambda value: getattr(value, "name", ""))
def test_schema_rejects_invalid_fixture(case: Path, rel: str, tmp_path: Path) -> None:
    root = copy_case(case, tmp_path)
    data = plain_front_matter((root / rel).read_text(encoding="utf-8"))
    errors = list(validator(kind_of(rel)).iter_errors(data))  # type: ignore[arg-type]
    assert errors, f"{case.name}: the {kind_of(rel)} schema accepts {rel}"


def test_schema_error_fixtures_cover_each_schema_code() -> None:
    found = {item["code"] for case, _ in schema_error_cases() for item in expected(case)}
    assert found == set(SCHEMA_ERRORS)


def test_schema_comment_paths_in_the_example_resolve() -> None:
    """Example files name their schema with a relative path that must exist."""
    for rel in example_files():
        first = (REPO / rel).read_text(encoding="utf-8").split("\n", 2)
        line = next((text for text in first if text.startswith("# yaml-language-server: $schema=")), None)
        if line is None:
            continue
        target = (REPO / rel).parent / line.split("=", 1)[1].strip()
        assert target.resolve() == (SCHEMAS / SCHEMA_FILES[kind_of(rel)]).resolve(), rel  # type: ignore[index]
