"""Mermaid journey diagrams: each grammar case Mermaid's parser accepts (journey.jison), scores on the
site's scale, diagnostics with line and column, and export -> import equal at Mermaid's precision."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from helpers import REPO, diagnose, make_site, tree_bytes
from journeymap.interchange import mermaid
from journeymap.interchange.commands import export_group, import_group
from journeymap.interchange.writer import NewJourney, write_journey
from journeymap.model import Site, load_site
from journeymap.schema import EmotionScale, StageMeta, TouchpointMeta

EXAMPLE_JOURNEYS = sorted(path.name for path in (REPO / "content" / "journeys").iterdir() if (path / "journey.md").is_file())
DOCS_EXAMPLE = """\
journey
    title My working day
    section Go to work
      Make tea: 5: Me
      Go upstairs: 3: Me
      Do work: 1: Me, Cat
    section Go home
      Go downstairs: 5: Me
      Sit down: 5: Me
"""


def invoke(group: object, args: list[str]) -> Result:
    return CliRunner().invoke(group, args, catch_exceptions=False)  # type: ignore[arg-type]


@pytest.fixture()
def site(tmp_path: Path) -> Site:
    loaded, _ = load_site(make_site(tmp_path, {"content/personas/maya.md": "---\nname: Maya Okafor\n---\n"}))
    assert loaded is not None
    return loaded


def journey_of(text: str, site: Site) -> NewJourney:
    diagram, found = mermaid.parse(text, "d.mmd")
    assert found == [] and diagram is not None
    return mermaid.to_journey(diagram, site, "imported")


def shape(journey: NewJourney) -> list[tuple[str, list[tuple[str, object]]]]:
    """(stage title, [(touchpoint title, emotion)]) in order."""
    return [(stage.meta.title, [(tp.meta.title, tp.meta.emotion) for tp in journey.touchpoints if tp.meta.stage == stage.id])
            for stage in journey.stages]


# --- grammar --------------------------------------------------------------------------------------


def test_the_documented_example(site: Site) -> None:
    journey = journey_of(DOCS_EXAMPLE, site)
    assert journey.title == "My working day"
    assert shape(journey) == [
        ("Go to work", [("Make tea", 5), ("Go upstairs", 3), ("Do work", {"me": 1, "cat": 1})]),
        ("Go home", [("Go downstairs", 5), ("Sit down", 5)]),
    ]
    assert [s.id for s in journey.stages] == ["go-to-work", "go-home"]
    assert [t.id for t in journey.touchpoints] == ["make-tea", "go-upstairs", "do-work", "go-downstairs", "sit-down"]
    assert journey.personas == ["me", "cat"]
    assert {pid: meta.name for pid, meta in journey.new_personas.items()} == {"me": "Me", "cat": "Cat"}


@pytest.mark.parametrize("source, expected", [
    pytest.param("journey\ntitle Adding journey diagram functionality\nsection S\nT: 3",
                 {"title": "Adding journey diagram functionality"}, id="title"),
    pytest.param("journey\naccTitle: The title\nsection S\nT: 3", {"title": "The title"}, id="accTitle-without-title"),
    pytest.param("journey\ntitle T\naccTitle: Acc\nsection S\nT: 3", {"title": "T", "extra": {"acc_title": "Acc"}}, id="accTitle-with-title"),
    pytest.param("journey\naccDescr: A user journey for family shopping\nsection S\nT: 3",
                 {"summary": "A user journey for family shopping"}, id="accDescr-one-line"),
    pytest.param("journey\naccDescr {\n        A user journey for\n        family shopping\n      }title T\nsection S\nT: 3",
                 {"summary": "A user journey for\nfamily shopping", "title": "T"}, id="accDescr-block"),
])
def test_titles_and_accessibility(source: str, expected: dict[str, object], site: Site) -> None:
    journey = journey_of(source, site)
    for key, value in expected.items():
        assert getattr(journey, key) == value


def test_comments_are_skipped(site: Site) -> None:
    source = ("%% a comment before\njourney\n%% a comment line\n  %% indented\ntitle Day # a '#' comment\n"
              "section Morning # comment\n  Tea: 5: Me # comment after the actors\n")
    journey = journey_of(source, site)
    assert journey.title == "Day"
    assert shape(journey) == [("Morning", [("Tea", 5)])]
    assert journey.personas == ["me"]


def test_tasks_without_actors_with_spaced_actors_and_a_trailing_colon(site: Site) -> None:
    source = ("journey\nsection Documentation\nA task: 5: Alice Smith, Bob,  Charlie Brown \nB task: 3:Bob, Charlie Brown\n"
              "C task: 5\nE task: 5:\nF task: 4: Alice Smith:\n")
    journey = journey_of(source, site)
    assert shape(journey) == [("Documentation", [
        ("A task", {"alice-smith": 5, "bob": 5, "charlie-brown": 5}), ("B task", {"bob": 3, "charlie-brown": 3}),
        ("C task", 5), ("E task", 5), ("F task", 4)])]
    assert journey.new_personas["alice-smith"].name == "Alice Smith"
    assert journey.personas == ["alice-smith", "bob", "charlie-brown"]


def test_tasks_before_any_section_go_into_a_stage_named_after_the_title(site: Site) -> None:
    journey = journey_of("journey\ntitle Day\nWake up: 2\nsection Work\nType: 4", site)
    assert shape(journey) == [("Day", [("Wake up", 2)]), ("Work", [("Type", 4)])]
    journey = journey_of("journey\nWake up: 2", site)
    assert shape(journey) == [("Journey", [("Wake up", 2)])]


def test_br_in_section_names_becomes_a_space(site: Site) -> None:
    journey = journey_of("journey\nsection Line1<br>Line2<br/>Line3<BR />Line4<br\t/>Line5\nT: 3", site)
    assert journey.stages[0].meta.title == "Line1 Line2 Line3 Line4 Line5"


def test_repeated_names_get_unique_ids(site: Site) -> None:
    journey = journey_of("journey\nsection A\nT: 3\nsection A\nT: 4", site)
    assert [s.id for s in journey.stages] == ["a", "a-2"]
    assert [(t.id, t.meta.stage) for t in journey.touchpoints] == [("t", "a"), ("t-2", "a-2")]


def test_actors_match_existing_personas_by_id_or_name(site: Site) -> None:
    journey = journey_of("journey\nsection S\nA: 2: Maya Okafor, Ann\nB: 3: maya", site)
    assert journey.personas == ["maya", "ann"]
    assert list(journey.new_personas) == ["ann"]
    assert shape(journey)[0][1] == [("A", {"maya": 2, "ann": 2}), ("B", 3)]


def test_a_markdown_file_with_a_mermaid_fence(site: Site) -> None:
    source = "# Readme\n\n```mermaid\ngraph TD\nA-->B\n```\n\nText.\n\n```mermaid\n---\ntitle: From front matter\n---\njourney\nsection S\nT: 9\n```\n"
    diagram, found = mermaid.parse(source, "README.md")
    assert diagram is None
    assert [(d.code, d.line, d.column) for d in found] == [("JM136", 16, 4)]  # the line in the Markdown file
    journey = journey_of(source.replace("T: 9", "T: 4"), site)
    assert journey.title == "From front matter" and shape(journey) == [("S", [("T", 4)])]


def test_scores_map_linearly_onto_the_site_scale() -> None:
    seven = EmotionScale(min=1, max=7)
    assert [mermaid.to_scale(score, seven) for score in (1, 2, 3, 4, 5)] == [1, 3, 4, 6, 7]
    assert [mermaid.to_scale(score, EmotionScale()) for score in (1, 2, 3, 4, 5)] == [1, 2, 3, 4, 5]
    assert [mermaid.to_scale(score, EmotionScale(min=-2, max=2)) for score in (1, 3, 5)] == [-2, 0, 2]
    assert [mermaid.from_scale(value, seven) for value in (1, 3, 4, 6, 7)] == [1, 2, 3, 4, 5]


# --- diagnostics ----------------------------------------------------------------------------------


def test_scores_outside_the_scale_and_other_errors_have_line_and_column(site: Site) -> None:
    source = ("journey\n"
              "section S\n"
              "  Too high:   7: Me\n"   # line 3: JM136 at the score, column 15
              "  Too low: 0\n"          # line 4: JM136, column 12
              "  Words: five: Me\n"     # line 5: JM135, column 10
              "  No score: \n"          # line 6: JM135, column 13
              "  Just a name\n"         # line 7: JM135
              "  Semi: 3; Other: 2\n"   # line 8: JM135 at ';', column 10
              "section Bad: colon\n"    # line 9: JM135 at ':', column 12
              "  Fine: 4\n")
    diagram, found = mermaid.parse(source, "diagrams/day.mmd")
    assert diagram is None
    assert [(d.code, d.file, d.line, d.column) for d in found] == [
        ("JM136", "diagrams/day.mmd", 3, 15),
        ("JM136", "diagrams/day.mmd", 4, 12),
        ("JM135", "diagrams/day.mmd", 5, 10),
        ("JM135", "diagrams/day.mmd", 6, 13),
        ("JM135", "diagrams/day.mmd", 7, 14),
        ("JM135", "diagrams/day.mmd", 8, 10),
        ("JM135", "diagrams/day.mmd", 9, 12),
    ]
    assert all(d.hint for d in found)


def test_not_a_journey(site: Site) -> None:
    _, found = mermaid.parse("graph TD\nA-->B\n", "x.mmd")
    assert [(d.code, d.line, d.column) for d in found] == [("JM135", 1, 1)]
    _, found = mermaid.parse("journey\nJourney planning: 3\naccDescr {\nnever closed", "x.mmd")
    assert [(d.code, d.line) for d in found] == [("JM135", 2), ("JM135", 4)]
    _, found = mermaid.parse("journey\ntitle Nothing else\n", "x.mmd")
    assert [(d.code, d.line) for d in found] == [("JM135", 1)]


def test_cli_reports_and_writes_nothing(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    diagram = tmp_path / "day.mmd"
    diagram.write_text("journey\nsection S\nT: 6: Me\n", encoding="utf-8")
    before = tree_bytes(root)
    result = invoke(import_group, ["mermaid", str(diagram), "--journey", "day", "--project", str(root)])
    assert result.exit_code == 1
    assert f"{diagram.resolve().as_posix()}:3:4: error JM136" in result.stderr and "Nothing was written." in result.stderr
    assert tree_bytes(root) == before


def test_cli_creates_personas_and_tells(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    diagram = root / "day.mmd"
    diagram.write_text(DOCS_EXAMPLE, encoding="utf-8")
    result = invoke(import_group, ["mermaid", str(diagram), "--journey", "day", "--project", str(root)])
    assert result.exit_code == 0, result.stderr
    assert "Created persona 'me'" in result.stderr and "Created persona 'cat'" in result.stderr
    assert (root / "content/personas/cat.md").read_text(encoding="utf-8").endswith("name: Cat\n---\n")
    assert not [d for d in diagnose(root) if d.is_error]


# --- export ---------------------------------------------------------------------------------------


def test_export_writes_the_documented_shape(site: Site) -> None:
    write_journey(site, journey_of(DOCS_EXAMPLE, site))
    reloaded, _ = load_site(site.root)
    text = mermaid.export_mermaid(reloaded, reloaded.journeys["imported"])  # type: ignore[union-attr]
    assert text == ("journey\n    title My working day\n    section Go to work\n      Make tea: 5: Me, Cat\n"
                    "      Go upstairs: 3: Me, Cat\n      Do work: 1: Me, Cat\n    section Go home\n"
                    "      Go downstairs: 5: Me, Cat\n      Sit down: 5: Me, Cat\n")


def test_export_escapes_what_the_grammar_cannot_hold(site: Site) -> None:
    from journeymap.interchange.writer import NewStage, NewTouchpoint

    titles = ["Step: one #2; done", "Journey planning", "title page", "50%% off", "%d format", "two\nlines"]
    stage = NewStage("s", StageMeta(title="Pay: now #1"))
    touchpoints = [NewTouchpoint(f"t{i}", TouchpointMeta(title=title, stage="s", emotion=3)) for i, title in enumerate(titles)]
    write_journey(site, NewJourney("odd", [stage], touchpoints, title="Odd; names #1", personas=["maya"]))
    reloaded, _ = load_site(site.root)
    text = mermaid.export_mermaid(reloaded, reloaded.journeys["odd"])  # type: ignore[union-attr]
    diagram, found = mermaid.parse(text, "odd.mmd")
    assert found == [] and diagram is not None
    assert diagram.title == "Odd; names #1"
    assert diagram.sections == ["Pay: now #1"]
    assert [task.name for task in diagram.tasks] == titles[:-1] + ["two lines"]
    assert all(task.actors == ["Maya Okafor"] for task in diagram.tasks)


@pytest.mark.parametrize("journey_id", EXAMPLE_JOURNEYS)
def test_exported_diagram_reimported_equals_the_original_at_mermaids_precision(journey_id: str, tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy2(REPO / "site_config.yml", root / "site_config.yml")
    shutil.copytree(REPO / "content", root / "content")
    exported = invoke(export_group, ["mermaid", journey_id, "--project", str(root), "-o", str(tmp_path / "map.mmd")])
    assert exported.exit_code == 0, exported.stderr
    text = (tmp_path / "map.mmd").read_text(encoding="utf-8")
    imported = invoke(import_group, ["mermaid", str(tmp_path / "map.mmd"), "--journey", "again", "--project", str(root)])
    assert imported.exit_code == 0, imported.stderr
    assert "Created persona" not in imported.stderr  # actors are the example's personas, found by name

    site, _ = load_site(root)
    assert site is not None
    original, again = site.journeys[journey_id], site.journeys["again"]
    assert again.meta.title == original.meta.title and again.meta.summary == " ".join(original.meta.summary.split())
    assert [s.meta.title for s in again.stages] == [s.meta.title for s in original.stages]
    assert [[t.meta.title for t in s.touchpoints] for s in again.stages] == [[t.meta.title for t in s.touchpoints] for s in original.stages]
    scores = [mermaid.mermaid_score(original, site, t.meta.emotion, s.meta.emotion) for s in original.stages for t in s.touchpoints]
    assert [mermaid.mermaid_score(again, site, t.meta.emotion, None) for t in again.touchpoints] == scores
    assert mermaid.export_mermaid(site, again) == text
