"""Spreadsheet import and export: round trip on the bundled example, diagnostics with row and column,
nothing written on error, column names matched loosely."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from helpers import REPO, diagnose, make_site, tree_bytes
from journeymap.interchange.commands import export_group, import_group
from journeymap.interchange.csvsheet import export_csv, parse_sheet
from journeymap.model import load_site

EXAMPLE_JOURNEYS = sorted(path.name for path in (REPO / "content" / "journeys").iterdir() if (path / "journey.md").is_file())


def copy_example(target: Path) -> Path:
    """The bundled example project (config, content, schemas) in a folder of its own: never write into the repo."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "site_config.yml", target / "site_config.yml")
    for folder in ("content", "schemas"):
        shutil.copytree(REPO / folder, target / folder)
    return target


def invoke(group: object, args: list[str]) -> Result:
    return CliRunner().invoke(group, args, catch_exceptions=False)  # type: ignore[arg-type]


def model(root: Path, journey_id: str) -> tuple[list[object], list[object]]:
    """What a round trip must keep: stage ids and metas (without order lists), touchpoint ids, metas and bodies, in order."""
    site, _ = load_site(root)
    assert site is not None
    journey = site.journeys[journey_id]
    stages = [(s.id, s.meta.model_copy(update={"touchpoints": None}), s.body.strip()) for s in journey.stages]
    touchpoints = [(t.id, t.meta, t.body.strip()) for t in journey.touchpoints]
    return stages, touchpoints


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_example(tmp_path_factory.mktemp("example"))


# --- round trip -----------------------------------------------------------------------------------


@pytest.mark.parametrize("journey_id", EXAMPLE_JOURNEYS)
def test_round_trip_into_a_fresh_copy(journey_id: str, example: Path, tmp_path: Path) -> None:
    exported = invoke(export_group, ["csv", journey_id, "--project", str(example)])
    assert exported.exit_code == 0, exported.stderr
    sheet = tmp_path / f"{journey_id}.csv"
    sheet.write_text(exported.stdout, encoding="utf-8")

    fresh = copy_example(tmp_path / "fresh")
    shutil.rmtree(fresh / "content" / "journeys" / journey_id)
    imported = invoke(import_group, ["csv", str(sheet), "--journey", journey_id, "--title", "Imported", "--project", str(fresh)])
    assert imported.exit_code == 0, imported.stderr

    assert model(fresh, journey_id) == model(example, journey_id)
    assert not [d for d in diagnose(fresh) if d.is_error]
    # and the sheet of the imported journey is the same sheet
    again = invoke(export_group, ["csv", journey_id, "--project", str(fresh)])
    assert again.stdout == exported.stdout


def test_force_replaces_stages_and_touchpoints_and_keeps_journey_md(example: Path, tmp_path: Path) -> None:
    root = copy_example(tmp_path / "site")
    journey_dir = root / "content" / "journeys" / "support-request"
    head = (journey_dir / "journey.md").read_bytes()
    (journey_dir / "touchpoints" / "photo.png").write_bytes(b"\x89PNG")  # not ours: kept
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(export_csv(*_site_and_journey(root, "support-request")), encoding="utf-8")

    refused = invoke(import_group, ["csv", str(sheet), "--journey", "support-request", "--project", str(root)])
    assert refused.exit_code == 1
    assert "JM134" in refused.stderr and "Nothing was written." in refused.stderr

    before = model(root, "support-request")
    forced = invoke(import_group, ["csv", str(sheet), "--journey", "support-request", "--project", str(root), "--force"])
    assert forced.exit_code == 0, forced.stderr
    assert (journey_dir / "journey.md").read_bytes() == head
    assert (journey_dir / "touchpoints" / "photo.png").read_bytes() == b"\x89PNG"
    assert model(root, "support-request") == before
    assert not [p for p in (root / "content" / "journeys").iterdir() if p.name.startswith(".")]


def _site_and_journey(root: Path, journey_id: str):  # type: ignore[no-untyped-def]
    site, _ = load_site(root)
    assert site is not None
    return site, site.journeys[journey_id]


def test_written_files_name_the_schema_and_read_back(tmp_path: Path) -> None:
    root = make_site(tmp_path)
    (root / "schemas").mkdir()
    sheet = tmp_path / "in.csv"
    sheet.write_text('stage,title,thought,emotion,extra:note\nBuy,"Says: NO",NO,3,"2024-01-01"\n', encoding="utf-8")
    result = invoke(import_group, ["csv", str(sheet), "--journey", "new", "--project", str(root)])
    assert result.exit_code == 0, result.stderr
    text = (root / "content/journeys/new/touchpoints/01-says-no.md").read_text(encoding="utf-8")
    assert text.startswith("---\n# yaml-language-server: $schema=../../../../schemas/touchpoint.schema.json\n")
    _, touchpoints = model(root, "new")
    meta = touchpoints[0][1]
    assert (meta.title, meta.thought, meta.extra) == ("Says: NO", "NO", {"note": "2024-01-01"})  # type: ignore[attr-defined]


# --- columns --------------------------------------------------------------------------------------


def test_column_names_are_case_insensitive_with_spaces_underscores_and_hyphens(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/personas/maya.md": "---\nname: Maya\n---\n"})
    site, _ = load_site(root)
    text = ("STAGE;Touchpoint;Pain_Points;LAST-REVIEWED;Emotion: Maya;Support Systems;Opportunities;Extra:KPI\n"
            "Buy;Pays at the till;Queue is long (high): 10 minutes at noon;2026-01-01;2;Till | Card terminal;"
            "Self-checkout (medium/high);Queue 10 min\n")
    journey, found = parse_sheet(text, "in.csv", site, "j2")  # type: ignore[arg-type]
    assert found == []
    assert journey is not None and journey.personas == ["maya"]
    meta = journey.touchpoints[0].meta
    assert meta.pain_points[0].model_dump() == {"title": "Queue is long", "severity": "high", "description": "10 minutes at noon"}
    assert meta.opportunities[0].model_dump() == {"title": "Self-checkout", "impact": "medium", "effort": "high", "description": ""}
    assert meta.emotion == {"maya": 2} and meta.support == ["Till", "Card terminal"] and meta.extra == {"KPI": "Queue 10 min"}
    assert str(meta.last_reviewed) == "2026-01-01"


def test_stage_cells_fill_down_ids_come_from_titles_and_channels_from_titles(tmp_path: Path) -> None:
    site, _ = load_site(make_site(tmp_path))
    text = ("\ufeffstage,title,channel,owner\n"
            "Look around,Sees an ad,Website,Shop team\n"
            ",Sees an ad,,\n"  # empty stage: the one above; same title: a second id
            "Buy,Pays,web,shop\n")
    journey, found = parse_sheet(text, "in.csv", site, "j2")  # type: ignore[arg-type]
    assert found == []
    assert journey is not None
    assert [(s.id, s.meta.title) for s in journey.stages] == [("look-around", "Look around"), ("buy", "Buy")]
    assert [(t.id, t.meta.stage, t.meta.channel, t.meta.owner) for t in journey.touchpoints] == [
        ("sees-an-ad", "look-around", "web", "shop"), ("sees-an-ad-2", "look-around", None, None), ("pays", "buy", "web", "shop")]


def test_a_row_with_only_a_stage_declares_an_empty_stage(tmp_path: Path) -> None:
    site, _ = load_site(make_site(tmp_path))
    journey, found = parse_sheet("stage,title,stage goal\nLater,,Come back\nBuy,Pays,\n", "in.csv", site, "j2")  # type: ignore[arg-type]
    assert found == [] and journey is not None
    assert [(s.id, s.meta.goal) for s in journey.stages] == [("later", "Come back"), ("buy", "")]
    assert [t.id for t in journey.touchpoints] == ["pays"]


# --- diagnostics ----------------------------------------------------------------------------------


MALFORMED = (
    "stage,title,emotion,last reviewed,actor,id,notes,pain points,\n"   # line 1
    "Buy,Pays,7,2026-01-01,,pay,,,\n"                                    # line 2: emotion outside 1..5 (col 3)
    'Buy,Asks,,01/02/2026,,ask,"two\nlines",,\n'                         # lines 3-4: date (col 4)
    "Buy,Waits,,,robot,wait,,,\n"                                        # line 5: actor (col 5)
    "Buy,Pays again,,,,pay,,,\n"                                         # line 6: duplicate id (col 6)
    'Buy,Leaves,,,,leave,"one\nmore",(high),\n'                           # lines 7-8: pain point without title (col 8, line 8)
    ",,,,,,,,stray\n"                                                    # line 9: value without a header (col 9)
    "Pay,,3,,,,,,\n"                                                     # line 10: touchpoint without title (col 2)
)


def test_malformed_sheet_reports_row_and_column_of_every_bad_cell(tmp_path: Path) -> None:
    site, _ = load_site(make_site(tmp_path))
    journey, found = parse_sheet(MALFORMED, "sheets/map.csv", site, "j2")  # type: ignore[arg-type]
    assert journey is None
    assert {(d.code, d.file, d.line, d.column) for d in found} == {
        ("JM132", "sheets/map.csv", 2, 3),
        ("JM132", "sheets/map.csv", 3, 4),
        ("JM132", "sheets/map.csv", 5, 5),
        ("JM133", "sheets/map.csv", 6, 6),
        ("JM132", "sheets/map.csv", 8, 8),
        ("JM130", "sheets/map.csv", 9, 9),
        ("JM132", "sheets/map.csv", 10, 2),
    }
    assert all(d.hint for d in found)


def test_header_problems(tmp_path: Path) -> None:
    site, _ = load_site(make_site(tmp_path))
    _, found = parse_sheet("title,Stgae,mood\nPays,Buy,3\n", "x.csv", site, "j2")  # type: ignore[arg-type]
    assert {(d.code, d.line, d.column) for d in found} == {("JM130", 1, 2), ("JM130", 1, 3), ("JM131", 1, 1)}
    assert "did you mean 'stage'" in next(d.message for d in found if d.column == 2)
    _, found = parse_sheet("stage,title,Title\nBuy,Pays,Pays\n", "x.csv", site, "j2")  # type: ignore[arg-type]
    assert [(d.code, d.line, d.column) for d in found] == [("JM130", 1, 3)]
    _, found = parse_sheet("", "x.csv", site, "j2")  # type: ignore[arg-type]
    assert [d.code for d in found] == ["JM131"]


def test_nothing_is_written_when_a_row_is_bad(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    sheet = tmp_path / "map.csv"
    sheet.write_text(MALFORMED, encoding="utf-8")
    before = tree_bytes(root)
    result = invoke(import_group, ["csv", str(sheet), "--journey", "j2", "--project", str(root)])
    assert result.exit_code == 1
    assert "Nothing was written." in result.stderr
    assert f"{sheet.resolve().as_posix()}:2:3: error JM132 emotion 7 is outside the scale 1..5" in result.stderr
    assert tree_bytes(root) == before
    assert not (root / "content" / "journeys" / "j2").exists()


def test_vocabulary_is_left_to_validate(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    sheet = root / "map.csv"
    sheet.write_text("stage,title,channel\nBuy,Pays,carrier pigeon\n", encoding="utf-8")
    result = invoke(import_group, ["csv", str(sheet), "--journey", "j2", "--project", str(root)])
    assert result.exit_code == 1  # written, but validate reports the unknown channel
    assert "Created journey 'j2'" in result.stderr and "JM106" in result.stderr
    assert (root / "content/journeys/j2/touchpoints/01-pays.md").is_file()


def test_usage_errors(tmp_path: Path) -> None:
    root = make_site(tmp_path)
    assert invoke(export_group, ["csv", "nope", "--project", str(root)]).exit_code == 2
    sheet = tmp_path / "x.csv"
    sheet.write_text("stage,title\nBuy,Pays\n", encoding="utf-8")
    assert invoke(import_group, ["csv", str(sheet), "--journey", "Not An Id", "--project", str(root)]).exit_code == 2
    assert invoke(import_group, ["csv", str(tmp_path / "missing.csv"), "--journey", "x", "--project", str(root)]).exit_code == 2


def test_template_imports_into_a_new_site_and_validates(tmp_path: Path) -> None:
    from journeymap.scaffold import scaffold

    root = tmp_path / "site"
    scaffold(root)
    result = invoke(import_group, ["csv", str(REPO / "docs/templates/journey-template.csv"), "--journey", "template",
                                   "--project", str(root)])
    assert result.exit_code == 0, result.stderr
    assert not [d for d in diagnose(root) if d.is_error]


def test_stage_columns_lists_and_extra_values(tmp_path: Path) -> None:
    site, _ = load_site(make_site(tmp_path))
    text = ("stage,stage id,title,stage emotion,stage metrics,extra:tags,stage extra:owner note,evidence\n"
            'Report a problem,report,Calls,"maya: 2\nruth: 3","Calls: 9,200 / month (Q3)\nWait: 14 min",'
            '"[a, b]",Ask Sam,"Call logs <https://example.com/calls> (analytics) | https://example.com/raw"\n'
            'Report a problem,,Hangs up,,"Calls: 9,200 / month (Q3) | Wait: 14 min",{k: v},,\n')
    journey, found = parse_sheet(text, "in.csv", site, "j2")  # type: ignore[arg-type]
    assert found == [] and journey is not None
    [stage] = journey.stages
    assert stage.id == "report" and stage.meta.emotion == {"maya": 2, "ruth": 3} and journey.personas == ["maya", "ruth"]
    assert [m.model_dump() for m in stage.meta.metrics] == [{"name": "Calls", "value": "9,200 / month", "note": "Q3"},
                                                            {"name": "Wait", "value": "14 min", "note": ""}]
    assert stage.meta.extra == {"owner note": "Ask Sam"}
    first, second = journey.touchpoints
    assert (first.meta.stage, second.meta.stage) == ("report", "report")
    assert first.meta.extra == {"tags": ["a", "b"]} and second.meta.extra == {"tags": {"k": "v"}}
    assert [e.model_dump() for e in first.meta.evidence] == [
        {"title": "Call logs", "url": "https://example.com/calls", "kind": "analytics"},
        {"title": "https://example.com/raw", "url": "https://example.com/raw", "kind": ""}]

    _, found = parse_sheet("stage,title,extra:x,stage goal\nA,T,[a,One\nA,U,,Two\n", "in.csv", site, "j2")  # type: ignore[arg-type]
    assert [(d.code, d.line, d.column) for d in found] == [("JM132", 2, 3), ("JM132", 3, 4)]
