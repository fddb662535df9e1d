"""The loader (journeymap.content): front matter, strict YAML with marks, files, ids, symlinks."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from helpers import STAGE, TOUCHPOINT, diagnose, make_site
from journeymap import content
from journeymap.content import Mark, YamlProblem, parse_name, parse_yaml, split_front_matter, walk_content
from journeymap.model import load_site


def problem(call) -> tuple[str, int, int, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(YamlProblem) as caught:
        call()
    d = caught.value.diagnostic
    return d.code, d.line, d.column, d.message


def touchpoint(root: Path):  # type: ignore[no-untyped-def]
    site, diagnostics = load_site(root)
    assert site is not None
    assert [d for d in diagnostics if d.is_error] == []
    return site.journeys["j"].touchpoints[0]


# --- front matter ---------------------------------------------------------------------------------


def test_split_front_matter() -> None:
    yaml_text, body, body_line = split_front_matter("---\ntitle: Pay\nstage: buy\n---\n# Body\n\ntext\n", "f.md")
    assert yaml_text == "title: Pay\nstage: buy"
    assert body == "# Body\n\ntext\n"
    assert body_line == 5


def test_split_front_matter_dots_close_and_later_rules_stay_in_the_body() -> None:
    yaml_text, body, body_line = split_front_matter("---\ntitle: Pay\n...\nabove\n\n---\n\nbelow\n", "f.md")
    assert yaml_text == "title: Pay"
    assert body == "above\n\n---\n\nbelow\n"
    assert body_line == 4


def test_fence_may_have_trailing_spaces() -> None:
    assert split_front_matter("---  \ntitle: Pay\n--- \nbody", "f.md") == ("title: Pay", "body", 4)


def test_empty_front_matter_and_body() -> None:
    assert split_front_matter("---\n---\n", "f.md") == ("", "", 3)


@pytest.mark.parametrize("text", ["title: Pay\n---\n", "\n---\ntitle: Pay\n---\n", " ---\ntitle: x\n---\n", ""])
def test_front_matter_must_open_on_line_one(text: str) -> None:
    code, line, column, _ = problem(lambda: split_front_matter(text, "f.md"))
    assert (code, line, column) == ("JM002", 1, 1)


def test_missing_closing_fence() -> None:
    code, line, column, message = problem(lambda: split_front_matter("---\ntitle: Pay\nstage: buy\n\nbody\n", "f.md"))
    assert (code, line, column) == ("JM003", 1, 1)
    assert "never closed" in message


# --- marks ----------------------------------------------------------------------------------------


def test_marks_for_keys_and_values() -> None:
    text = "title: Pays\nfrontstage:\n  - Cashier\n  -   Queue\nemotion:\n  maya:   4\npain_points:\n  - {title: Slow, severity: high}\n"
    data, marks, key_marks, problems = parse_yaml(text, "f.md", 2)
    assert problems == []
    assert data["emotion"] == {"maya": "4"}
    assert key_marks[("title",)] == Mark(2, 1)
    assert marks[("title",)] == Mark(2, 8)
    assert marks[("frontstage", 0)] == Mark(4, 5)
    assert marks[("frontstage", 1)] == Mark(5, 7)
    assert key_marks[("emotion", "maya")] == Mark(7, 3)
    assert marks[("emotion", "maya")] == Mark(7, 11)
    assert key_marks[("pain_points", 0, "severity")] == Mark(9, 19)
    assert marks[("pain_points", 0, "severity")] == Mark(9, 29)


def test_document_mark_falls_back_to_the_nearest_ancestor(tmp_path: Path) -> None:
    tp = touchpoint(make_site(tmp_path, {TOUCHPOINT: "---\ntitle: Pay\nstage: buy\nextra:\n  a: {b: 1}\n---\n"}))
    assert tp.source.mark(("extra", "a", "b")) == Mark(5, 10)
    assert tp.source.mark(("extra", "a", "missing")) == Mark(5, 6)
    assert tp.source.mark(("extra",), key=True) == Mark(4, 1)
    assert tp.source.mark(("nothing",)) == Mark(2, 1)


def test_marks_count_lines_of_the_whole_file(tmp_path: Path) -> None:
    root = make_site(tmp_path, {TOUCHPOINT: "---\n# yaml-language-server: $schema=x.json\n\ntitle: Pay\nstage: buy\nchannel: nowhere\n---\n"})
    [diagnostic] = diagnose(root)
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("JM106", 6, 10)


# --- types come from the model, not from YAML 1.1 ---------------------------------------------------


@pytest.mark.parametrize("value", ["NO", "no", "on", "Off", "yes", "y", "true", "2024-01-01", "2024-01-01 10:00:00",
                                   "010", "0x1F", "1_000", "1e3", ".inf", ".NaN", "12:30:00", "=", "<<"])
def test_yaml_11_traps_stay_strings(value: str, tmp_path: Path) -> None:
    tp = touchpoint(make_site(tmp_path, {TOUCHPOINT: f"---\ntitle: {value}\nstage: buy\naction: {value}\n---\n"}))
    assert tp.meta.title == value
    assert tp.meta.action == value


def test_scalars_are_the_text_the_author_wrote() -> None:
    data, *_ = parse_yaml("a: NO\nb: 2024-01-01\nc: 3\nd: 'on'\ne: [yes, 1.0]\n", "f.md", 1)
    assert data == {"a": "NO", "b": "2024-01-01", "c": "3", "d": "on", "e": ["yes", "1.0"]}


def test_nulls() -> None:
    data, *_ = parse_yaml("a:\nb: ~\nc: null\nd: NULL\ne: 'null'\nf: \"~\"\ng: ''\n", "f.md", 1)
    assert data == {"a": None, "b": None, "c": None, "d": None, "e": "null", "f": "~", "g": ""}


@pytest.mark.parametrize("written, expected", [("3", 3), ('"3"', 3), ("' 4 '", 4), ("{maya: '2'}", {"maya": 2})])
def test_emotion_becomes_a_number(written: str, expected: object, tmp_path: Path) -> None:
    journey = "---\ntitle: J\npersonas: [maya]\n---\n"
    root = make_site(tmp_path, {TOUCHPOINT: f"---\ntitle: Pay\nstage: buy\nemotion: {written}\n---\n",
                                "content/journeys/j/journey.md": journey,
                                "content/personas/maya.md": "---\nname: Maya\n---\n"})
    assert touchpoint(root).meta.emotion == expected


def test_dates_and_booleans_parse_in_their_fields(tmp_path: Path) -> None:
    import datetime as dt

    root = make_site(tmp_path, {TOUCHPOINT: "---\ntitle: Pay\nstage: buy\nlast_reviewed: 2025-12-01\n---\n",
                                "site_config.yml": "site_name: on\ntoday: 2026-01-01\nuse_directory_urls: no\n"})
    site, diagnostics = load_site(root)
    assert site is not None and diagnostics == []
    assert site.config.site_name == "on"
    assert site.config.use_directory_urls is False
    assert site.config.today == dt.date(2026, 1, 1)
    assert site.journeys["j"].touchpoints[0].meta.last_reviewed == dt.date(2025, 12, 1)


# --- refused YAML -----------------------------------------------------------------------------------


def test_duplicate_keys_name_both_lines() -> None:
    _, _, _, problems = parse_yaml("title: A\nstage: buy\ntitle: B\n", "f.md", 2)
    [d] = problems
    assert (d.code, d.line, d.column) == ("JM006", 4, 1)
    assert "'title'" in d.message and "line 2" in d.message


def test_nested_duplicate_keys() -> None:
    _, _, _, problems = parse_yaml("extra:\n  a: 1\n  b: 2\n  a: 3\n", "f.md", 2)
    assert [(d.code, d.line, d.column) for d in problems] == [("JM006", 5, 3)]
    assert "line 3" in problems[0].message


@pytest.mark.parametrize("text, column", [("title: !!str Pay", 8), ("title: !custom Pay", 8),
                                          ("title: !!python/object:os.system x", 8), ("!!str title: Pay", 1),
                                          ("extra: !!map {a: 1}", 8), ("extra: [!!int 1]", 9)])
def test_tags_are_refused(text: str, column: int) -> None:
    _, _, _, problems = parse_yaml(text, "f.md", 2)
    assert [(d.code, d.line, d.column) for d in problems] == [("JM007", 2, column)]


def test_anchor_is_refused() -> None:
    _, _, _, problems = parse_yaml("frontstage: &staff [Cashier]\n", "f.md", 2)
    assert [(d.code, d.line, d.column) for d in problems] == [("JM008", 2, 13)]


@pytest.mark.parametrize("text, line, column", [("a: &x 1\nb: *x\n", 3, 4), ("a: [1]\nb: [*x]\n", 3, 5), ("*x : 1\n", 2, 1)])
def test_alias_is_refused(text: str, line: int, column: int) -> None:
    assert problem(lambda: parse_yaml(text, "f.md", 2))[:3] == ("JM008", line, column)


def test_a_second_document_is_refused() -> None:
    assert problem(lambda: parse_yaml("site_name: A\n---\nsite_name: B\n", "site_config.yml", 1))[:3] == ("JM004", 2, 1)


def test_complex_keys_are_refused() -> None:
    assert problem(lambda: parse_yaml("? [a, b]\n: 1\n", "f.md", 2))[0] == "JM004"


def test_nesting_cap() -> None:
    ok = "extra: " + "[" * (content.MAX_DEPTH - 1) + "]" * (content.MAX_DEPTH - 1)
    parse_yaml(ok, "f.md", 2)
    deep = "extra: " + "[" * (content.MAX_DEPTH + 5) + "]" * (content.MAX_DEPTH + 5)
    assert problem(lambda: parse_yaml(deep, "f.md", 2))[0] == "JM010"


def test_syntax_error_points_at_the_line_and_says_how_to_fix() -> None:
    code, line, column, message = problem(lambda: parse_yaml("title: Step 3: pay\nstage: buy\n", "f.md", 2))
    assert (code, line, column) == ("JM004", 2, 14)  # the second colon
    assert "mapping values are not allowed" in message


def test_front_matter_must_be_a_mapping(tmp_path: Path) -> None:
    root = make_site(tmp_path, {TOUCHPOINT: "---\n- a\n- b\n---\n"})
    assert [(d.code, d.line) for d in diagnose(root)] == [("JM011", 2)]
    root = make_site(tmp_path / "scalar", {TOUCHPOINT: "---\njust some text\n---\n"})
    assert [(d.code, d.line) for d in diagnose(root)] == [("JM011", 2)]


# --- tabs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("front, line, column", [
    ("title: Pay\nstage: buy\nextra:\n\tkpi: 1\n", 5, 1),
    ("title: Pay\nstage: buy\nfrontstage:\n  - a\n\t- b\n", 6, 1),
    ("title: Pay\n\tstage: buy\n", 3, 1),
    ("title: Pay\nstage: buy\nextra:\n  \tkpi: 1\n", 5, 3),
])
def test_tab_indentation(front: str, line: int, column: int, tmp_path: Path) -> None:
    root = make_site(tmp_path, {TOUCHPOINT: f"---\n{front}---\n"})
    [d] = diagnose(root)
    assert (d.code, d.line, d.column) == ("JM005", line, column)
    assert "spaces" in d.hint


def test_tabs_inside_values_are_fine(tmp_path: Path) -> None:
    tp = touchpoint(make_site(tmp_path, {TOUCHPOINT: "---\ntitle: Pays\tat the till\nstage:\tbuy\n---\n"}))
    assert tp.meta.title == "Pays\tat the till"


# --- files ----------------------------------------------------------------------------------------


def test_crlf_and_bom(tmp_path: Path) -> None:
    text = "\ufeff---\r\ntitle: Pay\r\nstage: buy\r\nchannel: nowhere\r\n---\r\nBody\r\nmore\r\n"
    root = make_site(tmp_path, {TOUCHPOINT: text.encode("utf-8")})
    [d] = diagnose(root)
    assert (d.code, d.line, d.column) == ("JM106", 4, 10)  # the BOM does not shift columns
    site, _ = load_site(root)
    tp = site.journeys["j"].unplaced[0] if site.journeys["j"].unplaced else site.journeys["j"].touchpoints[0]
    assert tp.body == "Body\nmore\n"
    assert tp.source.body_line == 6


def test_old_mac_newlines(tmp_path: Path) -> None:
    tp = touchpoint(make_site(tmp_path, {TOUCHPOINT: b"---\rtitle: Pay\rstage: buy\r---\rBody\r"}))
    assert tp.meta.title == "Pay" and tp.body == "Body\n"


def test_not_utf8(tmp_path: Path) -> None:
    root = make_site(tmp_path, {TOUCHPOINT: b"---\ntitle: Pay\nstage: caf\xe9\n---\n"})
    assert [(d.code, d.line) for d in diagnose(root)] == [("JM001", 3)]


def test_size_cap(tmp_path: Path) -> None:
    head = b"---\ntitle: Pay\nstage: buy\n---\n"
    at_cap = head + b"x" * (content.MAX_FILE_BYTES - len(head))
    root = make_site(tmp_path, {TOUCHPOINT: at_cap})
    assert diagnose(root) == []
    (root / TOUCHPOINT).write_bytes(at_cap + b"x")
    [d] = diagnose(root)
    assert (d.code, d.file, d.line) == ("JM009", TOUCHPOINT, 1)


def test_c_loader_is_used_when_present() -> None:
    if hasattr(yaml, "CSafeLoader"):
        assert content.YAML_LOADER is yaml.CSafeLoader


def test_config_has_no_fences(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"site_config.yml": "# comment\nsite_name: X\nchannels: {web: {title: W}}\n"})
    site, diagnostics = load_site(root)
    assert site is not None and diagnostics == []
    assert site.config.site_name == "X"


# --- ids and walking ------------------------------------------------------------------------------


@pytest.mark.parametrize("stem, expected", [("03-purchase", (3, "purchase")), ("purchase", (None, "purchase")),
                                            ("10-a-b", (10, "a-b")), ("2024-01-01-launch", (2024, "01-01-launch")),
                                            ("03-", (None, "03-")), ("003-x", (3, "x"))])
def test_parse_name(stem: str, expected: tuple[int | None, str]) -> None:
    assert parse_name(stem) == expected


def test_ids_and_numeric_order_from_file_names(tmp_path: Path) -> None:
    root = make_site(tmp_path, {
        STAGE: None,
        TOUCHPOINT: None,
        "content/journeys/j/stages/10-later.md": "---\ntitle: Later\n---\n",
        "content/journeys/j/stages/2-first.md": "---\ntitle: First\n---\n",
        "content/journeys/j/stages/middle.md": "---\ntitle: Unnumbered comes last\n---\n",
        "content/journeys/j/touchpoints/01-a.md": "---\ntitle: A\nstage: later\n---\n",
        "content/journeys/j/touchpoints/02-b.md": "---\ntitle: B\nstage: first\n---\n",
        "content/journeys/j/touchpoints/c.md": "---\ntitle: C\nstage: middle\n---\n",
    })
    site, diagnostics = load_site(root)
    assert diagnostics == []
    journey = site.journeys["j"]
    assert [s.id for s in journey.stages] == ["first", "later", "middle"]
    assert [t.id for t in journey.touchpoints] == ["b", "a", "c"]
    assert journey.stages[0].source.order == 2


@pytest.mark.parametrize("rel", ["content/personas/Maya.md", "content/personas/ma ya.md", "content/journeys/J/journey.md",
                                 "content/journeys/j/touchpoints/01-Pay.md", "content/personas/" + "a" * 65 + ".md",
                                 "content/personas/-maya.md"])
def test_invalid_ids(rel: str, tmp_path: Path) -> None:
    root = make_site(tmp_path, {rel: "---\nname: X\ntitle: X\n---\n"})
    found = [(d.code, d.file) for d in diagnose(root)]
    assert ("JM012", rel) in found


def test_hidden_files_are_skipped_and_other_files_are_assets(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/.hidden.md": "garbage", "content/personas/.DS_Store": b"\x00\xff",
                                "content/images/logo.svg": "<svg/>", "content/journeys/.git/x.md": "x"})
    site, diagnostics = load_site(root)
    assert diagnostics == []
    assert site.assets == ["images/logo.svg"]


def test_files_outside_the_model_warn(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/journeys/j/notes/idea.md": "no front matter at all"})
    assert [(d.code, d.severity.value) for d in diagnose(root)] == [("JM015", "warning")]


def test_walk_is_sorted(tmp_path: Path) -> None:
    names = ["b", "a", "c", "a-b", "a_b"]
    root = make_site(tmp_path, {f"content/personas/{n}.md": f"---\nname: {n}\n---\n" for n in names})
    tree = walk_content(root / "content", root)
    assert [d.path for d in tree.documents] == sorted(d.path for d in tree.documents)


# --- symlinks -------------------------------------------------------------------------------------


def test_symlink_outside_content_is_refused(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"secret.md": "---\nname: Secret\n---\n"})
    (root / "content/personas").mkdir(parents=True)
    os.symlink(root / "secret.md", root / "content/personas/secret.md")
    os.symlink("../../..", root / "content/journeys/j/up")  # a folder outside content
    site, diagnostics = load_site(root)
    assert sorted((d.code, d.file) for d in diagnostics) == [
        ("JM013", "content/journeys/j/up"), ("JM013", "content/personas/secret.md")]
    assert site.personas == {}


def test_symlink_inside_content_is_followed(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/shared/maya.md": "---\nname: Maya\n---\n",
                                "content/journeys/j/journey.md": "---\ntitle: J\npersonas: [maya]\n---\n"})
    (root / "content/personas").mkdir()
    os.symlink("../shared/maya.md", root / "content/personas/maya.md")
    site, diagnostics = load_site(root)
    assert "maya" in site.personas
    assert [d.code for d in diagnostics] == ["JM015"]  # content/shared/maya.md itself is outside the model


def test_symlink_loops_do_not_hang_or_crash(tmp_path: Path) -> None:
    root = make_site(tmp_path)
    for name in ("a", "b", "c"):  # followed naively, three links to '.' are 3**40 folders
        os.symlink(".", root / "content" / name)
    (root / "content/personas").mkdir()
    os.symlink("self.md", root / "content/personas/self.md")
    os.symlink("../..", root / "content/journeys/j/back")
    found = diagnose(root)
    assert sorted((d.code, d.file) for d in found) == [
        ("JM001", "content/a"), ("JM001", "content/b"), ("JM001", "content/c"),
        ("JM001", "content/journeys/j/back"), ("JM001", "content/personas/self.md")]


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_site(tmp_path)
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "01-pay.md":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    [d] = diagnose(root)
    assert (d.code, d.file, d.line) == ("JM001", TOUCHPOINT, 1)
    assert "Permission denied" in d.message


SAMPLES = [
    "title: Pays\nfrontstage:\n  - Cashier\n  -   Queue\nemotion:\n  maya:   4\n",
    "title: A\ntitle: B\nextra: {a: [1, {b: 2}], c: 'x'}\n",
    "title: !!str A\nx: &a 1\n",
    "title: >\n  folded\n  text\nnext: [a, b/c]\n",
    "title: [\n",
    "title: Pay\nextra:\n\tkpi: 1\n",
    "a: 1\n---\nb: 2\n",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_c_and_python_loaders_agree(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def outcome() -> object:
        try:
            data, marks, key_marks, problems = parse_yaml(text, "f.md", 2)
        except YamlProblem as caught:
            d = caught.diagnostic
            return ("problem", d.code, d.line, d.column)
        return data, marks, key_marks, [(d.code, d.line, d.column, d.message) for d in problems]

    monkeypatch.setattr(content, "YAML_LOADER", yaml.SafeLoader)
    pure = outcome()
    monkeypatch.setattr(content, "YAML_LOADER", getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert outcome() == pure
