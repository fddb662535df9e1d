"""The validation pass: each rule's message and hint, positions, severities and exit codes."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import BASE_CONFIG, JOURNEY, REPO, STAGE, TOUCHPOINT, codes, diagnose, make_site, run_cli
from journeymap.diagnostics import Diagnostic, Severity

ALLOWED_TOUCHPOINT_FIELDS = ("action, actor, backstage, channel, emotion, evidence, extra, frontstage, last_reviewed, "
                             "next, opportunities, owner, pain_points, stage, support, thought, title")
PERSONAS = {JOURNEY: "---\ntitle: Buying a jacket\npersonas: [maya, ruth]\n---\n",
            "content/personas/maya.md": "---\nname: Maya\n---\n",
            "content/personas/ruth.md": "---\nname: Ruth\n---\n"}


def only(root: Path) -> Diagnostic:
    found = diagnose(root)
    assert len(found) == 1, [(d.code, d.line, d.column, d.message) for d in found]
    return found[0]


def tp(extra: str = "", stage: str = "buy", channel: str = "web") -> str:
    return f"---\ntitle: Pays at the till\nstage: {stage}\nchannel: {channel}\n{extra}---\nThe step.\n"


# --- the five mistakes of the "Done when": one diagnostic each, at the spot, with the fix ---


def test_misspelled_key(tmp_path: Path) -> None:
    d = only(make_site(tmp_path, {TOUCHPOINT: "---\ntitle: Pays at the till\nstage: buy\nchanel: web\n---\n"}))
    assert (d.code, d.severity, d.file, d.line, d.column) == ("JM101", Severity.ERROR, TOUCHPOINT, 4, 1)
    assert d.message == "unknown field 'chanel' (did you mean 'channel'?)"
    assert d.hint == f"allowed fields here: {ALLOWED_TOUCHPOINT_FIELDS}; free-form data goes under 'extra:'"


def test_misspelled_required_key_is_one_diagnostic(tmp_path: Path) -> None:
    d = only(make_site(tmp_path, {TOUCHPOINT: "---\ntitel: Pays at the till\nstage: buy\n---\n"}))
    assert (d.code, d.line, d.column, d.message) == ("JM101", 2, 1, "unknown field 'titel' (did you mean 'title'?)")


def test_missing_stage(tmp_path: Path) -> None:
    root = make_site(tmp_path, {STAGE: None, "content/journeys/j/stages/01-purchase.md": "---\ntitle: Purchase\n---\n",
                                TOUCHPOINT: tp(stage="purchse")})
    d = only(root)
    assert (d.code, d.severity, d.file, d.line, d.column) == ("JM104", Severity.ERROR, TOUCHPOINT, 3, 8)
    assert d.message == "unknown stage 'purchse' (did you mean 'purchase'?)"
    assert d.hint == "use one of this journey's stages: purchase"


def test_missing_channel(tmp_path: Path) -> None:
    d = only(make_site(tmp_path, {TOUCHPOINT: tp(channel="webshop")}))
    assert (d.code, d.severity, d.file, d.line, d.column) == ("JM106", Severity.ERROR, TOUCHPOINT, 4, 10)
    assert d.message == "unknown channel 'webshop' (did you mean 'web'?)"
    assert d.hint == "use one of the ids under 'channels:' in site_config.yml (web), or add it there"


def test_emotion_outside_scale(tmp_path: Path) -> None:
    d = only(make_site(tmp_path, {TOUCHPOINT: tp("emotion: 9\n")}))
    assert (d.code, d.severity, d.file, d.line, d.column) == ("JM113", Severity.ERROR, TOUCHPOINT, 5, 10)
    assert d.message == "emotion 9 is outside the scale 1..5"
    assert d.hint == "use a whole number from 1 to 5 (site_config.yml 'emotion_scale')"


def test_tab_indentation(tmp_path: Path) -> None:
    d = only(make_site(tmp_path, {TOUCHPOINT: tp("frontstage:\n\t- Cashier\n")}))
    assert (d.code, d.severity, d.file, d.line, d.column) == ("JM005", Severity.ERROR, TOUCHPOINT, 6, 1)
    assert d.message == "tab character used for indentation"
    assert d.hint == "indent YAML with spaces only (two per level); replace the tab with spaces"


def test_missing_closing_fence(tmp_path: Path) -> None:
    d = only(make_site(tmp_path, {TOUCHPOINT: "---\ntitle: Pays at the till\nstage: buy\n\nThe body.\n"}))
    assert (d.code, d.severity, d.file, d.line, d.column) == ("JM003", Severity.ERROR, TOUCHPOINT, 1, 1)
    assert d.message == "front matter opened on line 1 is never closed"
    assert d.hint == "did you forget the closing '---'? Put a line '---' after the last YAML field"


def test_compiler_style_text_output(tmp_path: Path) -> None:
    root = make_site(tmp_path, {STAGE: None, "content/journeys/j/stages/03-purchase.md": "---\ntitle: Purchase\n---\n",
                                TOUCHPOINT: tp(stage="purchse")})
    result = run_cli(["validate", "--project", str(root)])
    assert result.exit_code == 1
    assert result.stdout == ""  # text goes to stderr, like a compiler's
    lines = result.stderr.splitlines()
    assert lines[:4] == [
        f"{TOUCHPOINT}:3:8: error JM104 unknown stage 'purchse' (did you mean 'purchase'?)",
        "    stage: purchse",
        "           ^",
        "    hint: use one of this journey's stages: purchase",
    ]
    assert lines[-1] == "1 error(s), 0 warning(s)"


# --- every rule -------------------------------------------------------------------------------------


def test_required_field_missing(tmp_path: Path) -> None:
    d = only(make_site(tmp_path, {TOUCHPOINT: "---\nstage: buy\n---\n"}))
    assert (d.code, d.line) == ("JM102", 2)
    assert d.message == "required field 'title' is missing"
    assert d.hint == "add a line 'title: ...' (title: The step's name: the column heading on the map.)"


def test_nested_required_field_missing(tmp_path: Path) -> None:
    d = only(make_site(tmp_path, {STAGE: "---\ntitle: Buy\nmetrics:\n  - name: Visitors\n---\n"}))
    assert (d.code, d.line, d.column) == ("JM102", 4, 5)
    assert d.message == "required field 'value' is missing in 'metrics.0'"


def test_invalid_value(tmp_path: Path) -> None:
    d = only(make_site(tmp_path, {TOUCHPOINT: tp("actor: robot\n")}))
    assert (d.code, d.line, d.column) == ("JM103", 5, 8)
    assert d.message == "invalid value for 'actor': Input should be 'customer', 'frontstage' or 'backstage'"
    assert d.hint == "fix the value (actor: Who performs the step.)"


def test_invalid_nested_value(tmp_path: Path) -> None:
    d = only(make_site(tmp_path, {TOUCHPOINT: tp("pain_points:\n  - Long queue\n  - {title: Card declined, severity: awful}\n")}))
    assert (d.code, d.line, d.column) == ("JM103", 7, 38)
    assert d.message.startswith("invalid value for 'pain_points.1.severity'")


@pytest.mark.parametrize("value", ["3.5", "happy", "[3]", "true", "{maya: x}"])
def test_emotion_must_be_a_whole_number(value: str, tmp_path: Path) -> None:
    d = only(make_site(tmp_path, {TOUCHPOINT: tp(f"emotion: {value}\n")}))
    assert d.code == "JM103" and "emotion" in d.message


def test_single_strings_become_lists(tmp_path: Path) -> None:
    root = make_site(tmp_path, {TOUCHPOINT: tp("frontstage: Cashier\nopportunities: [Self-checkout]\n")})
    assert diagnose(root) == []


def test_unknown_persona_did_you_mean(tmp_path: Path) -> None:
    found = diagnose(make_site(tmp_path, {JOURNEY: "---\ntitle: J\npersonas: [maia]\n---\n",
                                          "content/personas/maya.md": "---\nname: Maya\n---\n"}))
    assert [(d.code, d.file, d.line, d.column) for d in found] == [
        ("JM105", JOURNEY, 3, 12), ("JM203", "content/personas/maya.md", 1, 1)]
    assert found[0].message == "unknown persona 'maia' (did you mean 'maya'?)"


def test_persona_keyed_emotion_with_unknown_persona(tmp_path: Path) -> None:
    d = only(make_site(tmp_path, {**PERSONAS, TOUCHPOINT: tp("emotion:\n  maya: 3\n  ruht: 2\n")}))
    assert (d.code, d.line, d.column) == ("JM114", 7, 3)  # the key, not the score
    assert d.message == "emotion given for persona 'ruht', who is not in journey 'j' (did you mean 'ruth'?)"
    assert d.hint == "use one of the journey's personas: maya, ruth"


def test_persona_keyed_emotion_outside_scale(tmp_path: Path) -> None:
    d = only(make_site(tmp_path, {**PERSONAS, TOUCHPOINT: tp("emotion: {maya: 3, ruth: 6}\n")}))
    assert (d.code, d.line, d.column) == ("JM113", 5, 26)


def test_custom_emotion_scale(tmp_path: Path) -> None:
    config = BASE_CONFIG + "emotion_scale: {min: -2, max: 2}\n"
    assert codes(diagnose(make_site(tmp_path, {"site_config.yml": config, TOUCHPOINT: tp("emotion: -2\n")}))) == []
    d = only(make_site(tmp_path / "b", {"site_config.yml": config, TOUCHPOINT: tp("emotion: 3\n")}))
    assert d.message == "emotion 3 is outside the scale -2..2"


def test_unknown_team_phase_journey_lane(tmp_path: Path) -> None:
    root = make_site(tmp_path, {
        JOURNEY: "---\ntitle: J\nowner: shoop\ncompares_with: j\nlanes: [actions, kpis, {id: kpi, extra: kpi}]\n---\n",
        STAGE: "---\ntitle: Buy\nphase: bye\n---\n",
        TOUCHPOINT: tp("owner: nobody\n"),
    })
    assert [(d.code, d.file, d.line, d.column, d.message) for d in diagnose(root)] == [
        ("JM107", JOURNEY, 3, 8, "unknown team 'shoop' (did you mean 'shop'?)"),
        ("JM109", JOURNEY, 4, 16, "unknown journey 'j'"),  # a journey cannot compare with itself
        ("JM111", JOURNEY, 5, 18, "unknown lane 'kpis'"),
        ("JM110", STAGE, 3, 8, "unknown lifecycle phase 'bye' (did you mean 'buy'?)"),
        ("JM107", TOUCHPOINT, 5, 8, "unknown team 'nobody'"),
    ]


def test_lane_in_site_config_points_at_the_config(tmp_path: Path) -> None:
    d = only(make_site(tmp_path, {"site_config.yml": BASE_CONFIG + "lanes:\n  - actions\n  - moods\n"}))
    assert (d.code, d.file, d.line, d.column) == ("JM111", "site_config.yml", 11, 5)


def test_next_references(tmp_path: Path) -> None:
    other = "content/journeys/support"
    root = make_site(tmp_path, {
        TOUCHPOINT: tp("next: [pay, support/calls-us, support/chats, help/calls-us]\n"),
        f"{other}/journey.md": "---\ntitle: Support\n---\n",
        f"{other}/stages/01-help.md": "---\ntitle: Help\n---\n",
        f"{other}/touchpoints/01-calls-us.md": "---\ntitle: Calls us\nstage: help\n---\n",
    })
    found = [(d.code, d.line, d.column, d.message) for d in diagnose(root)]
    assert found == [
        ("JM108", 5, 31, "unknown touchpoint 'support/chats'"),
        ("JM109", 5, 46, "unknown journey 'help'"),
    ]


def test_duplicate_ids(tmp_path: Path) -> None:
    found = diagnose(make_site(tmp_path, {"content/journeys/j/touchpoints/07-pay.md": tp()}))
    assert [(d.code, d.file, d.line) for d in found] == [("JM112", "content/journeys/j/touchpoints/07-pay.md", 1)]
    assert found[0].message == f"duplicate touchpoint id 'pay' (also {TOUCHPOINT})"


def test_impact_and_effort_scales(tmp_path: Path) -> None:
    root = make_site(tmp_path, {TOUCHPOINT: tp("opportunities:\n  - {title: A, impact: hihg, effort: tiny}\n")})
    found = [(d.code, d.line, d.column, d.message) for d in diagnose(root)]
    assert found == [("JM115", 6, 24, "impact 'hihg' is not on the impact scale (did you mean 'high'?)"),
                     ("JM115", 6, 38, "effort 'tiny' is not on the effort scale")]


def test_order_lists(tmp_path: Path) -> None:
    root = make_site(tmp_path, {
        JOURNEY: "---\ntitle: J\nstages: [buy, pay]\n---\n",
        STAGE: "---\ntitle: Buy\ntouchpoints: [queue]\n---\n",
        "content/journeys/j/stages/02-wait.md": "---\ntitle: Wait\n---\n",
        "content/journeys/j/touchpoints/02-queue.md": "---\ntitle: Queues\nstage: wait\n---\n",
    })
    found = [(d.code, d.file, d.line, d.column, d.message) for d in diagnose(root)]
    assert found == [
        ("JM117", JOURNEY, 3, 9, "stage 'wait' is missing from the 'stages' list"),
        ("JM117", JOURNEY, 3, 15, "'stages' lists unknown stage 'pay'"),
        ("JM117", STAGE, 3, 14, "touchpoint 'pay' is missing from the 'touchpoints' list"),
        ("JM117", STAGE, 3, 15, "'touchpoints' lists unknown touchpoint 'queue'"),
    ]


def test_order_list_decides_the_order(tmp_path: Path) -> None:
    from journeymap.model import load_site

    root = make_site(tmp_path, {JOURNEY: "---\ntitle: J\nstages: [wait, buy]\n---\n",
                                "content/journeys/j/stages/02-wait.md": "---\ntitle: Wait\n---\n",
                                "content/journeys/j/touchpoints/02-queue.md": "---\ntitle: Queues\nstage: wait\n---\n"})
    site, found = load_site(root)
    assert found == []
    assert [t.id for t in site.journeys["j"].touchpoints] == ["queue", "pay"]


def test_journey_without_stages(tmp_path: Path) -> None:
    d = only(make_site(tmp_path, {STAGE: None, TOUCHPOINT: None}))
    assert (d.code, d.file, d.line, d.message) == ("JM118", JOURNEY, 1, "journey 'j' has no stages")


def test_body_links(tmp_path: Path) -> None:
    body = ("See [the stage](../stages/01-buy.md), [a heading](#top), [mail](mailto:a@b.example),\n"
            "[web](https://example.com), [gone](../stages/09-gone.md) and [out](../../../../etc/passwd).\n"
            "\n![img](data:image/png;base64,AAAA) [js](JavaScript:alert(1))\n")
    root = make_site(tmp_path, {TOUCHPOINT: tp() + body})
    found = [(d.code, d.line, d.column) for d in diagnose(root)]
    assert found == [("JM116", 8, 36), ("JM116", 8, 68), ("JM119", 10, 8), ("JM119", 10, 41)]


def test_link_to_other_content_files(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/personas/maya.md": "---\nname: Maya\n---\nSee [her journey](../journeys/j/journey.md).\n",
                                JOURNEY: "---\ntitle: J\npersonas: [maya]\n---\n[Maya](../../personas/maya.md)\n"})
    assert diagnose(root) == []


def test_stage_without_touchpoints_warns(tmp_path: Path) -> None:
    d = only(make_site(tmp_path, {"content/journeys/j/stages/02-return.md": "---\ntitle: Return\n---\n"}))
    assert (d.code, d.severity, d.line) == ("JM201", Severity.WARNING, 1)
    assert d.message == "stage 'return' has no touchpoints"
    assert d.hint == "add a touchpoint with 'stage: return', or remove the stage"


def test_no_stage_warning_while_its_touchpoint_is_broken(tmp_path: Path) -> None:
    assert codes(diagnose(make_site(tmp_path, {TOUCHPOINT: "---\ntitle: [\n---\n"}))) == ["JM004"]


# --- review dates -----------------------------------------------------------------------------------


def test_review_overdue_with_today_in_config(tmp_path: Path) -> None:
    d = only(make_site(tmp_path, {TOUCHPOINT: tp("last_reviewed: 2024-12-31\n")}))
    assert (d.code, d.severity, d.line, d.column) == ("JM202", Severity.WARNING, 5, 16)
    assert d.message == "last reviewed 366 days ago, more than the review period of 365 days"
    assert d.hint == "review the touchpoint with its owner and update 'last_reviewed'"


def test_review_within_period(tmp_path: Path) -> None:
    assert diagnose(make_site(tmp_path, {TOUCHPOINT: tp("last_reviewed: 2025-01-01\n")})) == []


def test_review_period_zero_turns_the_check_off(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"site_config.yml": BASE_CONFIG + "review_period_days: 0\n",
                                TOUCHPOINT: tp("last_reviewed: 1999-01-01\n")})
    assert diagnose(root) == []


def test_review_uses_source_date_epoch_without_today(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_site(tmp_path, {"site_config.yml": BASE_CONFIG.replace("today: 2026-01-01\n", "review_period_days: 10\n"),
                                TOUCHPOINT: tp("last_reviewed: 2020-01-01\n")})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1578700800")  # 2020-01-11
    assert diagnose(root) == []
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1578787200")  # 2020-01-12
    assert codes(diagnose(root)) == ["JM202"]


# --- personas -----------------------------------------------------------------------------------------


def test_unused_persona(tmp_path: Path) -> None:
    d = only(make_site(tmp_path, {"content/personas/maya.md": "---\nname: Maya\n---\n"}))
    assert (d.code, d.severity, d.file, d.line) == ("JM203", Severity.WARNING, "content/personas/maya.md", 1)
    assert d.message == "persona 'maya' is not used by any journey"
    assert d.hint == "add it to a journey's 'personas:' list, or remove the file"


def test_persona_image(tmp_path: Path) -> None:
    root = make_site(tmp_path, {**PERSONAS, "content/images/maya.jpg": b"\xff\xd8",
                                "content/personas/maya.md": "---\nname: Maya\nimage: images/maya.jpg\n---\n",
                                "content/personas/ruth.md": "---\nname: Ruth\nimage: javascript:alert(1)\n---\n"})
    assert [(d.code, d.file, d.line) for d in diagnose(root)] == [("JM119", "content/personas/ruth.md", 3)]


def test_broken_persona_file_does_not_cascade(tmp_path: Path) -> None:
    root = make_site(tmp_path, {**PERSONAS, "content/personas/ruth.md": "---\nname: Ruth\n\trole: x\n---\n"})
    assert codes(diagnose(root)) == ["JM005"]


# --- the whole site at once, and exit codes -----------------------------------------------------------


def test_every_problem_is_reported_at_once_in_order(tmp_path: Path) -> None:
    root = make_site(tmp_path, {
        "content/personas/zed.md": "---\nnam: Zed\n---\n",
        STAGE: "---\ntitle: Buy\nphase: nope\n---\n",
        TOUCHPOINT: tp("emotion: 0\nowner: nope\n", channel="tv"),
    })
    found = [(d.file, d.line, d.code) for d in diagnose(root)]
    assert found == [
        (STAGE, 3, "JM110"),
        (TOUCHPOINT, 4, "JM106"),
        (TOUCHPOINT, 5, "JM113"),
        (TOUCHPOINT, 6, "JM107"),
        ("content/personas/zed.md", 2, "JM101"),
    ]


def test_config_errors_stop_cross_file_checks(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"site_config.yml": BASE_CONFIG + "emotion_scale: {min: 3, max: 2}\n",
                                TOUCHPOINT: tp("emotion: 4\n")})
    assert codes(diagnose(root)) == ["JM103"]


def test_strict_makes_warnings_fail(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/personas/maya.md": "---\nname: Maya\n---\n"})
    plain = run_cli(["validate", "--project", str(root)])
    assert plain.exit_code == 0
    assert "warning JM203" in plain.stderr and "0 error(s), 1 warning(s)" in plain.stderr
    strict = run_cli(["validate", "--project", str(root), "--strict"])
    assert strict.exit_code == 1


def test_json_format(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/personas/maya.md": "---\nname: Maya\n---\n", TOUCHPOINT: tp("emotion: 7\n")})
    result = run_cli(["validate", "--project", str(root), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["version"], report["errors"], report["warnings"]) == (1, 1, 1)
    assert report["diagnostics"][0] == {
        "file": "content/journeys/j/touchpoints/01-pay.md", "line": 5, "column": 10, "code": "JM113",
        "severity": "error", "message": "emotion 7 is outside the scale 1..5",
        "hint": "use a whole number from 1 to 5 (site_config.yml 'emotion_scale')"}


def test_clean_site_exits_zero(tmp_path: Path) -> None:
    result = run_cli(["validate", "--project", str(make_site(tmp_path))])
    assert result.exit_code == 0
    assert "No problems found." in result.stderr


def test_runs_in_the_current_folder(tmp_path: Path) -> None:
    root = make_site(tmp_path, {TOUCHPOINT: tp(channel="tv")})
    result = run_cli(["validate"], cwd=root)
    assert result.exit_code == 1
    assert f"{TOUCHPOINT}:4:10: error JM106" in result.stderr


def test_no_site_config(tmp_path: Path) -> None:
    result = run_cli(["validate", "--project", str(tmp_path)])
    assert result.exit_code == 1
    assert "site_config.yml:1:1: error JM014" in result.stderr


def test_usage_error_exits_two(tmp_path: Path) -> None:
    assert run_cli(["validate", "--no-such-option"]).exit_code == 2
    assert run_cli(["validate", "--format", "xml"]).exit_code == 2


def test_internal_error_exits_two(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import journeymap.validate

    def broken(root: Path) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(journeymap.validate, "validate_project", broken)
    result = run_cli(["validate", "--project", str(make_site(tmp_path))])
    assert result.exit_code == 2
    assert "internal error" in result.stderr and "boom" in result.stderr


def test_bundled_example_is_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_cli(["validate", "--project", str(REPO)]).exit_code == 0
    # Review dates age: pin the day the check compares with (the example sets no `today:`).
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795478400")  # 2026-11-24
    result = run_cli(["validate", "--project", str(REPO), "--strict", "--format", "json"])
    assert json.loads(result.stdout)["diagnostics"] == []
    assert result.exit_code == 0


# --- build-time checks (no rendering needed: they run before it) ---------------------------------------


@pytest.mark.parametrize("site_dir", ["content", "content/out", ".", "..", "/"])
def test_unsafe_site_dir(site_dir: str, tmp_path: Path) -> None:
    root = make_site(tmp_path / "project", {"site_config.yml": BASE_CONFIG + f"site_dir: '{site_dir}'\n"})
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    result = run_cli(["build", "--project", str(root)])
    assert result.exit_code == 1
    assert "error JM120" in result.stderr
    assert "Traceback" not in result.output
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == before


def test_build_refuses_a_folder_it_did_not_write(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"site/precious.txt": "keep me"})
    result = run_cli(["build", "--project", str(root)])
    assert result.exit_code == 1 and "JM120" in result.stderr
    assert (root / "site/precious.txt").read_text() == "keep me"


def test_build_with_content_errors_writes_nothing(tmp_path: Path) -> None:
    root = make_site(tmp_path, {TOUCHPOINT: tp(channel="tv")})
    result = run_cli(["build", "--project", str(root)])
    assert result.exit_code == 1
    assert "JM106" in result.stderr
    assert not (root / "site").exists()


@pytest.mark.slow
def test_theme_problems(tmp_path: Path) -> None:
    root = make_site(tmp_path / "logo", {"site_config.yml": BASE_CONFIG + "theme: {logo: images/missing.svg}\n"})
    result = run_cli(["build", "--project", str(root)])
    assert result.exit_code == 1
    assert "error JM121 theme.logo 'images/missing.svg' not found" in result.stderr
    assert not (root / "site").exists()

    root = make_site(tmp_path / "template", {"site_config.yml": BASE_CONFIG + "theme: {custom_dir: overrides}\n",
                                             "overrides/templates/home.html": "{% if %}\n"})
    result = run_cli(["build", "--project", str(root)])
    assert result.exit_code == 1
    assert "overrides/templates/home.html:1:1: error JM121" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_small_site_builds(tmp_path: Path) -> None:
    root = make_site(tmp_path)
    result = run_cli(["build", "--project", str(root)])
    assert result.exit_code == 0, result.output
    assert (root / "site" / "index.html").is_file()
    again = run_cli(["build", "--project", str(root)])  # a second build replaces the first (marker file)
    assert again.exit_code == 0, again.output


# --- link classification ----------------------------------------------------------------------------

URL_CHARS = st.sampled_from(list("aZ09._~:/?#@!$&'()*+,;=-%[]\\ \t\n\x00\x7fé") + ["%2F", "%0a", "javascript:", "//"])


@given(st.sampled_from(["http://", "https://", "HTTP://", "http:", "https:/", "", "//", "mailto:"]),
       st.lists(URL_CHARS, max_size=12).map("".join))
def test_classify_shortcut_agrees_with_the_full_reading(prefix: str, rest: str) -> None:
    from journeymap.links import _read_scheme, classify

    def outcome(function: Any) -> object:
        try:
            return function(href)
        except ValueError as exc:  # urlsplit refuses some bracketed hosts
            return str(exc)

    href = prefix + rest
    assert outcome(classify) == outcome(_read_scheme)


MARKDOWN_PIECES = st.sampled_from(["[a]", "[b", "]", "(", ")", "(x)", ":", " ", "\n", "\t", "> ", "- ", "1. ", "|", "\\",
                                   "!", "*", "`", "<", ">", "x", "&#93;", "&lt;", "---", "| a |", "http://e.x", "    "])


@given(st.lists(MARKDOWN_PIECES, max_size=30).map("".join))
def test_bodies_skipped_by_the_link_scan_have_no_links(body: str) -> None:
    from journeymap.markdown import _iter_links, _scan_links

    assert list(_iter_links(body)) == list(_scan_links(body))
