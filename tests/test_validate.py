"""Validation errors, one fixture folder per error under tests/fixtures/invalid/.

Each fixture is a minimal content folder plus `expected.txt`: the problems the build
must report, as `str(Problem)` renders them (`file:line:col: error: message`, then the
hint line), with files relative to the fixture folder.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import fixture_config

from generator.build import build_site
from generator.config import Config
from generator.errors import BriefingError, Location
from generator.model import Stakeholder, Summit
from generator.validate import validate_document
from generator.yamlfile import parse_yaml

TESTS = Path(__file__).resolve().parent
TEMPLATES = TESTS.parent / "templates"
FIXTURES = TESTS / "fixtures" / "invalid"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def config_for(content: Path, out: Path) -> Config:
    return fixture_config(content, out)


def build_problems(content: Path, out: Path) -> list[str]:
    """The rendered problems of a build that must fail; it must write nothing."""
    with pytest.raises(BriefingError) as raised:
        build_site(config_for(content, out))
    assert not out.exists()
    return [line for problem in raised.value.problems for line in str(problem).splitlines()]


def test_every_case_is_listed():
    assert set(CASES) >= {
        "unknown_key",
        "missing_required_key",
        "invalid_enum_value",
        "invalid_id",
        "bad_date",
        "wrong_type_list_expected",
        "yaml_syntax_error",
        "duplicate_key",
        "duplicate_id",
        "unknown_stakeholder_id",
        "unknown_proposal_id",
        "unknown_source_id",
        "quote_not_found",
        "unsafe_link",
        "alias_used_twice",
        "proposal_listed_twice",
        "source_text_without_metadata",
    }
    for case in CASES:
        assert (FIXTURES / case / "expected.txt").is_file(), case


@pytest.mark.parametrize("case", CASES)
def test_invalid_fixture(case, tmp_path):
    folder = FIXTURES / case
    expected = (folder / "expected.txt").read_text(encoding="utf-8").splitlines()
    got = build_problems(folder, tmp_path / "site")
    # The error lines must be exactly these; every expected hint must be shown.
    assert [line for line in got if ": error: " in line] == [line for line in expected if ": error: " in line]
    for line in expected:
        assert line in got


def test_valid_minimal_content_builds(tmp_path):
    """The fixtures' building blocks are valid on their own: each error comes from the case."""
    content = tmp_path / "content"
    for case, names in {
        "quote_not_found": ["sources/memo.txt", "sources/memo.yaml"],
        "unknown_proposal_id": ["proposals/sanctions-relief.yaml"],
        "duplicate_id": ["stakeholders/north-korea.yaml"],
    }.items():
        for name in names:
            (content / name).parent.mkdir(parents=True, exist_ok=True)
            (content / name).write_bytes((FIXTURES / case / name).read_bytes())
    (content / "summits").mkdir()
    (content / "summits" / "hanoi-2019.yaml").write_text(
        textwrap.dedent(
            """\
            id: hanoi-2019
            name: Hanoi summit
            status: held
            start: 2019-02-27
            participants:
              - north-korea
            proposals:
              - proposal: sanctions-relief
                text: Discussed, not agreed.
                cite:
                  - source: memo
                    quote: could not agree on sanctions relief
            """
        ),
        encoding="utf-8",
    )
    site, files = build_site(config_for(content, tmp_path / "site"))
    assert [s.id for s in site.summits] == ["hanoi-2019"]
    assert any(f.path == "summits/hanoi-2019/index.html" for f in files)


def test_impossible_date_is_reported_not_raised(tmp_path):
    content = tmp_path / "content"
    (content / "summits").mkdir(parents=True)
    (content / "summits" / "hanoi-2019.yaml").write_text(
        "id: hanoi-2019\nname: Hanoi summit\nstatus: held\nstart: 2019-02-30\n", encoding="utf-8"
    )
    with pytest.raises(BriefingError) as raised:
        build_site(config_for(content, tmp_path / "site"))
    assert [p.location for p in raised.value.problems] == [Location("summits/hanoi-2019.yaml", 4, 8)]
    assert "date" in raised.value.problems[0].message


def test_all_problems_of_a_build_are_reported_together(tmp_path):
    content = tmp_path / "content"
    for case in ("unknown_key", "bad_date", "source_text_without_metadata"):
        for path in (FIXTURES / case).rglob("*"):
            if path.is_file() and path.name != "expected.txt":
                target = content / path.relative_to(FIXTURES / case)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(path.read_bytes())
    got = build_problems(content, tmp_path / "site")
    errors = [line for line in got if ": error: " in line]
    assert len(errors) == 3
    assert errors == sorted(errors)


def validate_text(schema, text: str):
    document, problems = parse_yaml(textwrap.dedent(text), "x.yaml")
    assert problems == []
    return validate_document(schema, document)


def test_nested_unknown_key_is_reported_at_the_key_with_did_you_mean():
    model, problems = validate_text(
        Summit,
        """\
        id: x
        name: X
        status: held
        summary:
          - text: hi
            cite:
              - source: memo
                qoute: abc
        """,
    )
    assert model is None
    by_message = {p.message: p for p in problems}
    unknown = by_message["unknown key 'qoute'"]
    assert unknown.location == Location("x.yaml", 8, 9)
    assert unknown.hint.startswith("did you mean 'quote'?")
    assert "allowed keys here: source, quote" in unknown.hint
    missing = by_message["missing required key 'quote'"]
    assert missing.location == Location("x.yaml", 7, 9)


def test_invalid_id_in_an_id_list():
    _, problems = validate_text(
        Summit, "id: x\nname: X\nstatus: held\nparticipants:\n  - kim-jong-un\n  - North Korea\n"
    )
    assert [(p.location, p.message) for p in problems] == [
        (Location("x.yaml", 6, 5), "participants item 2: 'North Korea' is not a valid id")
    ]
    assert "'north-korea'" in problems[0].hint


def test_non_mapping_file():
    _, problems = validate_text(Stakeholder, "- a\n- b\n")
    assert [(p.location, p.message) for p in problems] == [
        (Location("x.yaml", 1, 1), "expected a mapping of keys to values")
    ]
    assert "id, name, kind" in problems[0].hint


def test_number_where_text_expected():
    _, problems = validate_text(Stakeholder, "id: x\nname: 123\nkind: person\n")
    assert [(p.location, p.message) for p in problems] == [
        (Location("x.yaml", 2, 7), "name: 123 must be text")
    ]


def test_empty_list_item_message_names_the_key():
    _, problems = validate_text(Stakeholder, "id: x\nname: X\nkind: person\naliases:\n  - Mr. X\n  - ''\n")
    assert [p.location for p in problems] == [Location("x.yaml", 6, 5)]
    assert "aliases" in problems[0].message


def test_unsafe_link_in_a_nested_claim():
    model, problems = validate_text(
        Summit,
        """\
        id: x
        name: X
        status: held
        proposals:
          - proposal: p
            text: 'Fine [link](https://example.org) and [bad](data:text/html,x).'
        """,
    )
    assert model is not None
    assert [(p.location, p.message) for p in problems] == [
        (Location("x.yaml", 6, 11), "text: link to 'data:text/html,x' is not allowed")
    ]


def test_valid_document_has_no_problems():
    model, problems = validate_text(
        Stakeholder, "id: x\nname: ' X '\nkind: person\nrole: See [site](https://example.org).\n"
    )
    assert problems == []
    assert model is not None
    assert model.name == "X"


def write_expected() -> None:
    """Refresh every fixture's expected.txt from what the build reports now (then read the diff)."""
    import tempfile

    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                build_site(config_for(FIXTURES / case, Path(tmp) / "site"))
            except BriefingError as error:
                lines = [line for problem in error.problems for line in str(problem).splitlines()]
            else:
                raise SystemExit(f"{case}: the build passed")
        (FIXTURES / case / "expected.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--write"]:
        write_expected()
