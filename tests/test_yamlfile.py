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


def test_aliases_are_refused_at_the_alias():
    document, problems = parse_yaml("a: &x hello\nb: *x\n", "x.yaml")
    assert document is None
    assert [(p.location, p.code) for p in problems] == [(Location("x.yaml", 2, 4), "BRF041")]
    assert "*x" in problems[0].message


def test_keys_are_taken_as_written():
    document, problems = parse_yaml("2019: a\ntrue: b\n", "x.yaml")
    assert problems == []
    assert document.data == {"2019": "a", "true": "b"}


# -- hostile and odd input: one verdict, at one position, whichever parser is installed --------

import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import yaml  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from generator.yamlfile import MAX_DEPTH  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LOADERS = [yaml.SafeLoader, *([yaml.CSafeLoader] if hasattr(yaml, "CSafeLoader") else [])]

ODD_FILES = {
    "escape": 'id: x\nname: "Kim \\x1b[31m"\n',
    "escape-in-key": '"a\\x07": 1\n',
    "raw-control": "id: x\nname: a\x01b\n",
    "nel": "a: \x85x\n",
    "surrogate-escape": 'name: "\\ud800"\n',
    "nul-escape": 'name: "a\\0b"\n',
    "alias": "a: &x hello\nb: *x\n",
    "merge-key": "base: &b {k: 1}\nother:\n  <<: *b\n",
    "deep-flow": "a: " + "[" * 100_000 + "]" * 100_000 + "\n",
    "deep-block": "".join("  " * i + f"k{i}:\n" for i in range(200)),
    "bad-version": "%YAML 1.1.1\n---\na: 1\n",
    "bare-directive": "%YAML\n---\na: 1\n",
    "unknown-directive": "%FOO bar\n---\na: 1\n",
    "future-version": "%YAML 2.0\n---\na: 1\n",
    "good-version": "# c\n%YAML 1.2\n---\na: 1\n",
    "two-documents": "a: 1\n---\nb: 2\n",
    "complex-key": "? [a, b]\n: 1\nc: 2\n",
    "flow-complex-key": "{[1]: 2}\n",
    "tag-on-mapping": "a: !!python/object:x {b: 1}\nc: 2\n",
    "huge-int": "a: " + "1" * 5000 + "\n",
    "unclosed-quote": 'a: "open\n',
    "tab": "a:\n\t- b\n",
    "colon": "a: b: c\n",
}


def verdict(text: str, loader: type) -> tuple[object, list[tuple[Location, str]]]:
    document, problems = parse_yaml(text, "x.yaml", loader)
    shape = None if document is None else (document.data, document.values, document.keys)
    return shape, [(p.location, p.code) for p in problems]


@pytest.mark.parametrize("name", sorted(ODD_FILES))
def test_both_parsers_give_the_same_verdict_at_the_same_position(name: str) -> None:
    verdicts = [verdict(ODD_FILES[name], loader) for loader in LOADERS]
    assert all(v == verdicts[0] for v in verdicts), verdicts


def test_every_fixture_file_gets_one_verdict_from_both_parsers() -> None:
    files = sorted(FIXTURES.rglob("*.yaml"))
    assert len(files) > 40
    for path in files:
        text = path.read_bytes().decode("utf-8", "replace")
        verdicts = [verdict(text, loader) for loader in LOADERS]
        assert all(v == verdicts[0] for v in verdicts), path


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([*"ab: -\n[]{}&*!%#'\",?|>\\\t\x1bé", "\\x1b", "\\u200b", "\\ud800"])).map(
        "".join
    )
)
def test_any_text_gets_one_verdict_from_both_parsers(text: str) -> None:
    verdicts = [verdict(text, loader) for loader in LOADERS]
    assert all(v == verdicts[0] for v in verdicts), verdicts


@pytest.mark.parametrize(
    ("name", "line", "col", "code"),
    [
        ("escape", 2, 7, "BRF040"),
        ("escape-in-key", 1, 1, "BRF040"),
        ("raw-control", 2, 8, "BRF040"),
        ("nel", 1, 4, "BRF040"),
        ("surrogate-escape", 1, 7, "BRF040"),
        ("nul-escape", 1, 7, "BRF040"),
        ("alias", 2, 4, "BRF041"),
        ("merge-key", 3, 7, "BRF041"),
        ("deep-block", MAX_DEPTH + 1, 2 * MAX_DEPTH + 1, "BRF042"),
        ("bad-version", 1, 1, "BRF001"),
        ("bare-directive", 1, 1, "BRF001"),
        ("unknown-directive", 1, 1, "BRF001"),
        ("future-version", 1, 1, "BRF001"),
        ("two-documents", 2, 1, "BRF001"),
        ("complex-key", 1, 3, "BRF016"),
        ("tag-on-mapping", 1, 4, "BRF003"),
        ("huge-int", 1, 4, "BRF020"),
    ],
)
def test_odd_files_are_refused_at_their_line(name: str, line: int, col: int, code: str) -> None:
    _, problems = parse_yaml(ODD_FILES[name], "x.yaml")
    assert [(p.location, p.code) for p in problems][:1] == [(Location("x.yaml", line, col), code)]


def test_a_control_character_is_named_by_its_field_and_code() -> None:
    _, problems = parse_yaml(ODD_FILES["escape"], "x.yaml")
    assert problems[0].message.startswith("name: holds the control character U+001B (ESC)")
    # The terminal never gets the raw character, whatever the message echoes.
    assert "\x1b" not in str(problems[0])


def test_deep_flow_nesting_is_refused_at_the_limit() -> None:
    _, problems = parse_yaml(ODD_FILES["deep-flow"], "x.yaml")
    assert [(p.location, p.code) for p in problems] == [(Location("x.yaml", 1, 4 + MAX_DEPTH - 1), "BRF042")]


def test_a_version_directive_of_yaml_1_is_accepted() -> None:
    document, problems = parse_yaml(ODD_FILES["good-version"], "x.yaml")
    assert problems == []
    assert document is not None and document.data == {"a": 1}


BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(10)
)


@pytest.mark.parametrize("loader", ["CSafeLoader", "SafeLoader"])
def test_nested_aliases_end_quickly_in_little_memory(loader: str) -> None:
    # Ten levels of ten aliases each: 10**11 values if expanded. A separate process, so that
    # its peak memory is its own; the deadline is a bound on a hang, not a timing.
    script = (
        "import re, sys, time, yaml\n"
        "from generator.yamlfile import parse_yaml\n"
        f"loader = getattr(yaml, {loader!r}, yaml.SafeLoader)\n"
        "start = time.process_time()\n"
        "_, problems = parse_yaml(sys.stdin.read(), 'lol.yaml', loader)\n"
        # VmHWM is this program's own peak: ru_maxrss would include the parent's peak at fork.
        "peak = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
        "print([p.code for p in problems], time.process_time() - start, int(peak) // 1024)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], input=BILLION_LAUGHS, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    codes, seconds, peak_mib = run.stdout.rsplit(" ", 2)
    assert codes == "['BRF041']"
    assert float(seconds) < 2.0
    assert int(peak_mib) < 256
