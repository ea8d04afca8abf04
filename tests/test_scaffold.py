"""`briefing new`: skeleton files that are valid as written, and never overwrite anything.

Every test works on a copy of the project; a skeleton is judged the way the build judges
it (plain YAML, the pydantic model, a whole build of the copy), and the choice lists in
its comments are compared with the model's `Literal` types read here independently.
"""

from __future__ import annotations

import os
import re
import shutil
import typing
from pathlib import Path

import pytest
import yaml
from conftest import CONTENT, copy_project, snapshot

from generator import model, scaffold
from generator.build import build
from generator.config import Config, load_config
from generator.errors import BriefingError
from generator.model import Proposal, SourceMeta, Stakeholder, Summit
from generator.scaffold import new_source, new_summary
from generator.schema import schema_header

MODELS = {"summit": Summit, "proposal": Proposal, "stakeholder": Stakeholder}
FOLDERS = {"summit": "summits", "proposal": "proposals", "stakeholder": "stakeholders"}
#: A fresh id of each kind, and the name or title made of it.
FRESH = {
    "summit": ("geneva-2026", "Geneva 2026"),
    "proposal": ("arms-control-talks", "Arms control talks"),
    "stakeholder": ("mike-pompeo", "Mike Pompeo"),
}
BAD_SLUGS = ["Hanoi 2019", "hanoi_2019", "-x", "x--y", "", "x-", "hanoi-2019\n", "é", "a" * 81]
SEED_TEXT = CONTENT / "sources" / "wit-dmz-meeting.txt"
SEED_TITLE = "The Trump-Kim Meeting Was Great TV. It Was Also Something Much More Important"
#: (key as written in the skeleton, the Literal it must list) for every choice field.
CHOICES = {
    "summit": [("kind", model.SummitKind), ("status", model.SummitStatus)],
    "proposal": [
        ("category", model.ProposalCategory),
        ("status", model.ProposalStatus),
        ("stance", model.Stance),
    ],
    "stakeholder": [("kind", model.StakeholderKind)],
    "source": [("kind", model.SourceKind)],
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


@pytest.fixture
def config(project: Path, tmp_path: Path) -> Config:
    return load_config(project / "config.yaml", output_dir=tmp_path / "site")


def refused(code: str, call: typing.Callable[[], object]) -> BriefingError:
    with pytest.raises(BriefingError) as caught:
        call()
    assert [p.code for p in caught.value.problems] and {p.code for p in caught.value.problems} == {code}
    return caught.value


def uncommented(text: str) -> str:
    """The skeleton with its commented examples (`# key: ...`, `#   - key: ...`) switched on."""
    lines = text.splitlines()[1:]  # the schema header is a comment, not an example
    return "\n".join(line[2:] if re.match(r"# ( *)(- )?[a-z_]+:( |$)", line) else line for line in lines)


def listed_choices(text: str, key: str) -> list[tuple[str, list[str]]]:
    """(value, choices) of every `key: value  # a | b | c` line, commented out or not."""
    found = []
    for line in text.splitlines():
        match = re.match(rf"^(?:#\s*)?(?:- )?{key}: (\S+)\s+# (.+)$", line)
        if match and "|" in match.group(2):
            found.append((match.group(1), [c.strip() for c in match.group(2).split("|")]))
    return found


# -- summaries -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_new_summary_writes_a_valid_skeleton_that_builds(kind, config, project, tmp_path):
    slug, name = FRESH[kind]
    path = new_summary(config, kind, slug)

    assert path == project / "content" / FOLDERS[kind] / f"{slug}.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == schema_header(kind, path, config.root)
    assert text.splitlines()[0] == f"# yaml-language-server: $schema=../../schemas/{kind}.schema.json"
    record = MODELS[kind].model_validate(yaml.safe_load(text))
    assert record.id == slug
    assert getattr(record, "title" if kind == "proposal" else "name") == name
    if kind == "summit":
        assert record.status == "prospective"

    result = build(config)
    assert (tmp_path / "site" / FOLDERS[kind] / slug / "index.html").is_file()
    summaries = sum(len(list((CONTENT / folder).glob("*.yaml"))) for folder in FOLDERS.values())
    assert result.summaries == summaries + 1


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_a_given_title_is_used_exactly(kind, config):
    title = 'Trump: "no deal" #2 – Hanoi'
    path = new_summary(config, kind, "odd-title", title=title)
    record = MODELS[kind].model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert getattr(record, "title" if kind == "proposal" else "name") == title


def test_a_title_that_yaml_would_read_as_a_number_stays_text(config):
    path = new_summary(config, "summit", "year-summit", title="2019")
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["name"] == "2019"
    build(config)


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_the_skeleton_shows_every_key_of_its_kind(kind, config):
    """Uncommenting every example gives a file with every key of the model, and still valid."""
    path = new_summary(config, kind, FRESH[kind][0])
    data = yaml.safe_load(uncommented(path.read_text(encoding="utf-8")))
    assert set(data) == set(MODELS[kind].model_fields)
    full = MODELS[kind].model_validate(data)
    assert full.id == FRESH[kind][0]


@pytest.mark.parametrize("kind", sorted(CHOICES))
def test_choice_comments_list_exactly_the_models_choices(kind, config):
    if kind == "source":
        text = new_source(config, "some-text", "Body.\n")[0].read_text(encoding="utf-8")
    else:
        text = new_summary(config, kind, FRESH[kind][0]).read_text(encoding="utf-8")
    for key, literal in CHOICES[kind]:
        found = listed_choices(text, key)
        assert len(found) == 1, f"{kind}: one `{key}:` line with its choices"
        value, choices = found[0]
        assert choices == list(typing.get_args(literal))
        assert value in choices


def test_required_choices_are_set_and_optional_ones_commented(config):
    summit = new_summary(config, "summit", "a-summit").read_text(encoding="utf-8")
    assert re.search(r"^status: prospective\s+#", summit, re.M)
    assert re.search(r"^# kind: summit\s+#", summit, re.M)
    assert re.search(r"^# participants: \[[a-z0-9-]+(, [a-z0-9-]+)*\]", summit, re.M)
    assert re.search(
        r"^# summary:\n#   - text: .+\n#     cite:\n#       - source: [a-z0-9-]+\n", summit, re.M
    )
    proposal = new_summary(config, "proposal", "a-proposal").read_text(encoding="utf-8")
    assert re.search(r"^category: [a-z-]+\s+#", proposal, re.M)
    stakeholder = new_summary(config, "stakeholder", "a-person").read_text(encoding="utf-8")
    assert re.search(r"^kind: [a-z]+\s+#", stakeholder, re.M)


def test_an_unknown_kind_is_refused(config, project):
    before = snapshot(project)
    error = refused("BRF013", lambda: new_summary(config, "source", "x"))
    assert "summit" in error.problems[0].hint
    assert snapshot(project) == before


# -- sources ---------------------------------------------------------------------------------


def test_new_source_from_a_seed_text_keeps_its_bytes_and_builds(config, project, tmp_path):
    pasted = SEED_TEXT.read_text(encoding="utf-8")
    meta_path, body_path = new_source(config, "wit-dmz-again", pasted)

    folder = project / "content" / "sources"
    assert (meta_path, body_path) == (folder / "wit-dmz-again.yaml", folder / "wit-dmz-again.txt")
    assert body_path.read_bytes() == SEED_TEXT.read_bytes() == pasted.encode("utf-8")
    text = meta_path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == schema_header("source", meta_path, config.root)
    meta = SourceMeta.model_validate(yaml.safe_load(text))
    assert meta.title == SEED_TITLE  # its first line: short, without a final period
    assert (meta.author, meta.publisher, meta.date, meta.url) == (None, None, None, None)
    assert (meta.kind, meta.language) == ("analysis", "en")

    build(config)
    assert (tmp_path / "site" / "sources" / "wit-dmz-again" / "index.html").is_file()


def test_a_pasted_text_is_written_byte_for_byte(config, tmp_path):
    pasted = "Talks resume in Geneva\r\n\r\nThe two sides met on Monday – “at last”.\r\nNo final newline"
    meta_path, body_path = new_source(config, "geneva-talks", pasted)
    assert body_path.read_bytes() == pasted.encode("utf-8")
    assert yaml.safe_load(meta_path.read_text(encoding="utf-8"))["title"] == "Talks resume in Geneva"
    build(config)
    page = (tmp_path / "site" / "sources" / "geneva-talks" / "index.html").read_text(encoding="utf-8")
    assert "The two sides met on Monday" in page


def test_a_markdown_source_gets_its_heading_as_title(config, tmp_path):
    pasted = "# Sanctions, explained\n\nThe *UN* measures date from 2006.\n"
    meta_path, body_path = new_source(config, "sanctions-explained", pasted, suffix=".md")
    assert body_path.name == "sanctions-explained.md"
    assert body_path.read_bytes() == pasted.encode("utf-8")
    assert yaml.safe_load(meta_path.read_text(encoding="utf-8"))["title"] == "Sanctions, explained"
    build(config)
    assert (tmp_path / "site" / "sources" / "sanctions-explained" / "index.html").is_file()


@pytest.mark.parametrize(
    ("pasted", "title", "expected"),
    [
        ("The first sentence is a paragraph.\nMore.", None, "Kim talks"),  # ends with a period
        ("x" * 121 + "\nMore", None, "Kim talks"),  # too long for a headline
        ("x" * 120 + "\nMore", None, "x" * 120),
        ("\n\n  A headline  \nBody.", None, "A headline"),
        ("", None, "Kim talks"),
        ("A headline\nBody.", "  The  given\ttitle ", "The given title"),
    ],
)
def test_the_title_of_a_new_source(config, pasted, title, expected):
    meta_path, _ = new_source(config, "kim-talks", pasted, title=title)
    assert yaml.safe_load(meta_path.read_text(encoding="utf-8"))["title"] == expected


def test_choosing_an_unknown_text_format_is_refused(config, project):
    before = snapshot(project)
    refused("BRF020", lambda: new_source(config, "x", "text", suffix=".html"))
    assert snapshot(project) == before


# -- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", BAD_SLUGS)
@pytest.mark.parametrize("kind", [*sorted(MODELS), "source"])
def test_a_bad_slug_is_refused_and_nothing_written(kind, slug, config, project):
    before = snapshot(project)
    if kind == "source":
        error = refused("BRF014", lambda: new_source(config, slug, "Some text.\n"))
    else:
        error = refused("BRF014", lambda: new_summary(config, kind, slug))
    assert snapshot(project) == before
    assert "lower-case letters, digits and single hyphens" in error.problems[0].hint


@pytest.mark.parametrize(
    ("slug", "suggestion"),
    [("Hanoi 2019", "hanoi-2019"), ("hanoi_2019", "hanoi-2019"), ("-x", "x"), ("x--y", "x-y")],
)
def test_the_hint_suggests_a_valid_slug(config, slug, suggestion):
    error = refused("BRF014", lambda: new_summary(config, "summit", slug))
    assert f"e.g. '{suggestion}'" in error.problems[0].hint


def test_an_existing_summary_is_never_overwritten(config, project):
    existing = project / "content" / "summits" / "hanoi-2019.yaml"
    before = snapshot(project)
    error = refused("BRF021", lambda: new_summary(config, "summit", "hanoi-2019", title="New"))
    assert snapshot(project) == before
    assert existing.read_bytes() == (CONTENT / "summits" / "hanoi-2019.yaml").read_bytes()
    problem = error.problems[0]
    assert problem.location.file == "content/summits/hanoi-2019.yaml"
    assert "already exists" in problem.message
    assert "'hanoi-2019-2'" in problem.hint


def test_an_existing_yml_file_blocks_the_yaml(config, project):
    (project / "content" / "stakeholders" / "new-person.yml").write_text("id: new-person\n", encoding="utf-8")
    before = snapshot(project)
    refused("BRF021", lambda: new_summary(config, "stakeholder", "new-person"))
    assert snapshot(project) == before


def test_an_id_used_by_a_file_of_another_name_is_refused(config, project):
    folder = project / "content" / "summits"
    (folder / "archive").mkdir()
    (folder / "hanoi-2019.yaml").rename(folder / "archive" / "hanoi.yaml")
    before = snapshot(project)
    error = refused("BRF021", lambda: new_summary(config, "summit", "hanoi-2019"))
    assert snapshot(project) == before
    assert error.problems[0].location.file == "content/summits/archive/hanoi.yaml"


def test_the_same_id_in_another_kind_is_allowed(config, tmp_path):
    new_summary(config, "proposal", "hanoi-2019")  # pages are per kind: proposals/hanoi-2019/
    build(config)
    assert (tmp_path / "site" / "proposals" / "hanoi-2019" / "index.html").is_file()


@pytest.mark.parametrize("existing", ["x.md", "x.txt", "x.yaml", "x.yml"])
@pytest.mark.parametrize("suffix", [".txt", ".md"])
def test_any_file_of_the_slug_blocks_a_new_source(existing, suffix, config, project):
    blocker = project / "content" / "sources" / existing
    blocker.write_bytes(b"already here\n")
    before = snapshot(project)
    error = refused("BRF021", lambda: new_source(config, "x", "New text.\n", suffix=suffix))
    assert snapshot(project) == before
    assert blocker.read_bytes() == b"already here\n"
    assert error.problems[0].location.file == f"content/sources/{existing}"


def test_a_source_id_used_in_a_subfolder_blocks_a_new_source(config, project):
    folder = project / "content" / "sources"
    (folder / "2019").mkdir()
    for suffix in (".yaml", ".txt"):
        (folder / f"wit-dmz-meeting{suffix}").rename(folder / "2019" / f"wit{suffix}")
    before = snapshot(project)
    error = refused("BRF021", lambda: new_source(config, "wit-dmz-meeting", "Text.\n"))
    assert snapshot(project) == before
    assert error.problems[0].location.file == "content/sources/2019/wit.yaml"


def test_a_file_appearing_while_writing_is_kept_and_nothing_else_is_left(config, project, monkeypatch):
    """The metadata file appears after the check: the body already placed is taken back."""
    place = scaffold._place
    intruder = project / "content" / "sources" / "late.yaml"

    def racing_place(temp: Path, path: Path, config: Config) -> None:
        if path == intruder:
            intruder.write_bytes(b"written by someone else\n")
        place(temp, path, config)

    monkeypatch.setattr(scaffold, "_place", racing_place)
    before = snapshot(project)
    refused("BRF021", lambda: new_source(config, "late", "Body.\n"))
    after = snapshot(project)
    assert after.pop("content/sources/late.yaml") == b"written by someone else\n"
    assert after == before  # no body, no temporary file


def test_a_scaffold_leaves_no_temporary_files(config, project):
    before = set(snapshot(project))
    meta_path, body_path = new_source(config, "clean", "Body.\n")
    summary = new_summary(config, "summit", "clean")
    added = set(snapshot(project)) - before
    assert added == {p.relative_to(project).as_posix() for p in (meta_path, body_path, summary)}


def test_new_files_get_the_usual_permissions(config, project):
    path = new_summary(config, "summit", "perms")
    reference = project / "reference"
    reference.write_text("", encoding="utf-8")
    assert os.stat(path).st_mode == os.stat(reference).st_mode


def test_a_missing_content_folder_is_reported(config, project):
    shutil.rmtree(project / "content")
    refused("BRF008", lambda: new_summary(config, "summit", "geneva-2026"))
    assert not (project / "content").exists()
