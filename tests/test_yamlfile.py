"""Unit tests of generator.yamlfile: safe YAML with positions."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from generator.errors import Location
from generator.yamlfile import parse_yaml

SUMMIT = textwrap.dedent(
    """\
    # a comment line
    id: hanoi-2019
    name:   Hanoi summit
    start: 2019-02-27
    participants:
      - donald-trump
      - kim-jong-un
    summary:
      - text: >-
          Folded
          text.
        cite:
          - source: wit-dmz-meeting
            quote: 'It pinpointed key differences'
    """
)


@pytest.fixture(scope="module")
def summit():
    document, problems = parse_yaml(SUMMIT, "summits/hanoi-2019.yaml")
    assert problems == []
    assert document is not None
    return document


def test_data_is_built(summit):
    assert summit.file == "summits/hanoi-2019.yaml"
    assert summit.data["id"] == "hanoi-2019"
    assert summit.data["name"] == "Hanoi summit"
    assert summit.data["start"] == dt.date(2019, 2, 27)
    assert summit.data["participants"] == ["donald-trump", "kim-jong-un"]
    assert summit.data["summary"][0]["text"] == "Folded text."
    assert summit.data["summary"][0]["cite"][0]["quote"] == "It pinpointed key differences"


@pytest.mark.parametrize(
    ("path", "line", "col"),
    [
        ((), 2, 1),
        (("id",), 2, 5),
        (("name",), 3, 9),
        (("start",), 4, 8),
        (("participants",), 6, 3),
        (("participants", 0), 6, 5),
        (("participants", 1), 7, 5),
        (("summary", 0), 9, 5),
        (("summary", 0, "text"), 9, 11),
        (("summary", 0, "cite", 0, "source"), 13, 17),
        (("summary", 0, "cite", 0, "quote"), 14, 16),
    ],
)
def test_value_positions_are_one_based(summit, path, line, col):
    assert summit.where(path) == Location("summits/hanoi-2019.yaml", line, col)


@pytest.mark.parametrize(
    ("path", "line", "col"),
    [
        (("id",), 2, 1),
        (("name",), 3, 1),
        (("participants",), 5, 1),
        (("summary", 0, "text"), 9, 5),
        (("summary", 0, "cite", 0, "quote"), 14, 9),
    ],
)
def test_key_positions(summit, path, line, col):
    assert summit.where_key(path) == Location("summits/hanoi-2019.yaml", line, col)


def test_where_falls_back_to_the_nearest_enclosing_value(summit):
    assert summit.where(("summary", 0, "cite", 0, "nope")) == summit.where(("summary", 0, "cite", 0))
    assert summit.where(("participants", 7)) == summit.where(("participants",))
    assert summit.where(("nope",)) == summit.where(())
    # a key that is not there falls back to the value position
    assert summit.where_key(("summary", 0, "lessons")) == summit.where(("summary", 0))


def test_location_renders_as_file_line_col(summit):
    assert str(summit.where(("name",))) == "summits/hanoi-2019.yaml:3:9"
    assert str(Location("x.yaml")) == "x.yaml"


def test_empty_document():
    document, problems = parse_yaml("# only a comment\n", "x.yaml")
    assert problems == []
    assert document is not None
    assert document.data is None


def test_duplicate_key_is_reported_at_the_repeated_key():
    text = "id: a\nname: First\nkind: country\nname: Second\n"
    document, problems = parse_yaml(text, "x.yaml")
    assert [str(p).splitlines()[0] for p in problems] == [
        "x.yaml:4:1: error: duplicate key 'name' [BRF002 duplicate-key]"
    ]
    assert problems[0].hint
    assert document is not None
    assert document.data["name"] == "First"


def test_nested_duplicate_key():
    text = "summary:\n  - text: a\n    cite: []\n    text: b\n"
    _, problems = parse_yaml(text, "x.yaml")
    assert len(problems) == 1
    assert problems[0].location == Location("x.yaml", 4, 5)
    assert "'text'" in problems[0].message


@pytest.mark.parametrize(
    ("text", "line", "col", "hint_word"),
    [
        ("id: x\noutcome: No deal: Trump walked out\n", 2, 17, "quoted"),
        ("id: x\n  name: y\n", 2, 7, ""),
        ("a: [1, 2\n", 2, 1, ""),
        ("a: 1\n---\nb: 2\n", 2, 1, ""),
    ],
)
def test_syntax_errors_give_position_and_hint(text, line, col, hint_word):
    document, problems = parse_yaml(text, "x.yaml")
    assert document is None
    assert len(problems) == 1
    problem = problems[0]
    assert problem.location == Location("x.yaml", line, col)
    assert problem.message.startswith("YAML syntax error: ")
    assert problem.hint
    assert hint_word in problem.hint


def test_tab_indentation_hint_mentions_tabs():
    text = "id: x\nsummary:\n\t- text: a\n"
    _, problems = parse_yaml(text, "x.yaml")
    assert len(problems) == 1
    assert problems[0].location == Location("x.yaml", 3, 1)
    assert "tab" in problems[0].hint


def test_impossible_date_is_a_problem_not_a_crash():
    text = "id: x\nstart: 2019-02-30\n"
    _, problems = parse_yaml(text, "x.yaml")
    assert [p.location for p in problems] == [Location("x.yaml", 2, 8)]


def test_python_tag_on_scalar_is_a_problem_not_a_crash():
    _, problems = parse_yaml("id: x\nname: !!python/name:os.system\n", "x.yaml")
    assert [p.location for p in problems] == [Location("x.yaml", 2, 7)]


def test_python_object_tag_on_collection_is_an_error(tmp_path):
    marker = tmp_path / "pwned"
    text = f"id: x\nname: !!python/object/apply:pathlib.Path.touch [{marker}]\n"
    _, problems = parse_yaml(text, "x.yaml")
    assert not marker.exists()  # never executed
    assert [p.location for p in problems] == [Location("x.yaml", 2, 7)]
    assert "python/object" in problems[0].message


def test_python_object_tag_is_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    for text in (
        f"a: !!python/object/apply:pathlib.Path.touch [{marker}]\n",
        f"a: !!python/object/new:pathlib.Path.touch [{marker}]\n",
        f"a: !!python/object:pathlib.PosixPath {{path: {marker}}}\n",
        "a: !!python/name:os.system\n",
    ):
        try:
            document, _ = parse_yaml(text, "x.yaml")
        except Exception:  # a refusal is fine here; execution is not
            document = None
        assert not marker.exists()
        if document is not None:
            assert not any(
                type(value).__module__ not in ("builtins", "datetime")
                for value in (document.data or {}).values()
            )


def test_unknown_local_tag_is_a_problem():
    _, problems = parse_yaml("a: !custom 1\n", "x.yaml")
    assert [p.location for p in problems] == [Location("x.yaml", 1, 4)]


def test_safe_core_types():
    document, problems = parse_yaml("a: 1\nb: true\nc: ~\nd: 1.5\ne: '2019-02-27'\n", "x.yaml")
    assert problems == []
    assert document.data == {"a": 1, "b": True, "c": None, "d": 1.5, "e": "2019-02-27"}


def test_aliases_resolve_and_keep_positions():
    document, problems = parse_yaml("a: &x hello\nb: *x\n", "x.yaml")
    assert problems == []
    assert document.data == {"a": "hello", "b": "hello"}
    assert document.where_key(("b",)) == Location("x.yaml", 2, 1)


def test_keys_are_taken_as_written():
    document, problems = parse_yaml("2019: a\ntrue: b\n", "x.yaml")
    assert problems == []
    assert document.data == {"2019": "a", "true": "b"}
