"""Unit tests of generator.load: the content folder → raw records and source bodies."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from generator.config import DEFAULT_TRAILERS
from generator.contentfiles import is_ignored
from generator.load import load_content

PROJECT = Path(__file__).resolve().parent.parent
CONTENT = PROJECT / "content"

SOURCE_YAML = "id: memo\ntitle: Memo\nkind: analysis\n"
SOURCE_TXT = "A paragraph of the memo.\nAnother paragraph of the memo.\n"
STAKEHOLDER = "id: china\nname: China\nkind: country\n"


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    content = root / "content"
    for name, data in files.items():
        path = content / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    return content


def load(root: Path, files: dict[str, str | bytes]):
    return load_content(write(root, files), root, DEFAULT_TRAILERS)


def rendered(problems) -> list[str]:
    return [str(p).splitlines()[0] for p in problems]


@pytest.fixture(scope="module")
def real():
    return load_content(CONTENT, PROJECT, DEFAULT_TRAILERS)


def test_real_content_loads_without_problems(real):
    loaded, problems = real
    assert problems == []
    assert Counter(r.kind for r in loaded.records) == {
        "summit": 4,
        "proposal": 15,
        "stakeholder": 12,
        "source": 3,
    }


def test_real_content_records_are_named_relative_to_the_root(real):
    loaded, _ = real
    files = [r.document.file for r in loaded.records]
    assert "content/summits/hanoi-2019.yaml" in files
    assert files == sorted(
        files, key=lambda f: ("summits", "proposals", "stakeholders", "sources").index(f.split("/")[1])
    )
    hanoi = next(r for r in loaded.records if r.document.file == "content/summits/hanoi-2019.yaml")
    assert hanoi.kind == "summit"
    assert hanoi.document.data["id"] == "hanoi-2019"


def test_real_content_bodies(real):
    loaded, _ = real
    assert sorted(loaded.bodies) == [
        "content/sources/chatham-house-alliances.yaml",
        "content/sources/trump-second-term-proposals.yaml",
        "content/sources/wit-dmz-meeting.yaml",
    ]
    body = loaded.bodies["content/sources/trump-second-term-proposals.yaml"]
    assert body.file == "content/sources/trump-second-term-proposals.txt"
    assert body.format == "txt"
    assert len(body.blocks) == 6  # the "Leave a Reply" trailer is cut


def test_minimal_source_loads(tmp_path):
    loaded, problems = load(tmp_path, {"sources/memo.yaml": SOURCE_YAML, "sources/memo.txt": SOURCE_TXT})
    assert problems == []
    assert [r.kind for r in loaded.records] == ["source"]
    body = loaded.bodies["content/sources/memo.yaml"]
    assert [b.text for b in body.blocks] == ["A paragraph of the memo.", "Another paragraph of the memo."]


def test_markdown_source_body(tmp_path):
    loaded, problems = load(
        tmp_path, {"sources/memo.yml": SOURCE_YAML, "sources/memo.md": "# Memo\n\nText.\n"}
    )
    assert problems == []
    body = loaded.bodies["content/sources/memo.yml"]
    assert body.format == "md"
    assert body.file == "content/sources/memo.md"
    assert [b.kind for b in body.blocks] == ["title", "paragraph"]


def test_utf8_bom_is_accepted(tmp_path):
    loaded, problems = load(tmp_path, {"stakeholders/china.yaml": "\ufeff" + STAKEHOLDER})
    assert problems == []
    assert loaded.records[0].document.data["id"] == "china"


def test_source_text_without_metadata(tmp_path):
    loaded, problems = load(tmp_path, {"sources/memo.txt": SOURCE_TXT})
    assert rendered(problems) == [
        "content/sources/memo.txt: error: source text has no metadata file [BRF006 source-without-metadata]"
    ]
    assert "memo.yaml" in problems[0].hint
    assert loaded.records == ()


def test_metadata_without_text(tmp_path):
    loaded, problems = load(tmp_path, {"sources/memo.yaml": SOURCE_YAML})
    assert rendered(problems) == [
        "content/sources/memo.yaml: error: source has no text file [BRF007 source-without-text]"
    ]
    assert "memo.txt" in problems[0].hint and "memo.md" in problems[0].hint
    assert loaded.bodies == {}


def test_both_txt_and_md(tmp_path):
    loaded, problems = load(
        tmp_path,
        {"sources/memo.yaml": SOURCE_YAML, "sources/memo.txt": SOURCE_TXT, "sources/memo.md": "Text.\n"},
    )
    assert rendered(problems) == [
        "content/sources/memo.yaml: error: source has both a .txt and a .md text [BRF007 source-without-text]"
    ]
    assert loaded.bodies == {}


def test_empty_yaml_file(tmp_path):
    loaded, problems = load(tmp_path, {"stakeholders/china.yaml": "", "summits/x.yaml": "# nothing yet\n"})
    assert rendered(problems) == [
        "content/summits/x.yaml: error: file is empty [BRF005 empty-file]",
        "content/stakeholders/china.yaml: error: file is empty [BRF005 empty-file]",
    ]
    assert loaded.records == ()


def test_non_utf8_yaml(tmp_path):
    data = "id: china\nname: Chin\u00e4\nkind: country\n".encode("latin-1")
    loaded, problems = load(tmp_path, {"stakeholders/china.yaml": data})
    assert rendered(problems) == [
        "content/stakeholders/china.yaml:2:11: error: not valid UTF-8 (byte 0xe4) [BRF004 unreadable-file]"
    ]
    assert "UTF-8" in problems[0].hint
    assert loaded.records == ()


def test_non_utf8_source_text(tmp_path):
    loaded, problems = load(
        tmp_path,
        {"sources/memo.yaml": SOURCE_YAML, "sources/memo.txt": "Caf\u00e9 society.\n".encode("cp1252")},
    )
    assert rendered(problems) == [
        "content/sources/memo.txt:1:4: error: not valid UTF-8 (byte 0xe9) [BRF004 unreadable-file]"
    ]
    assert loaded.bodies == {}


def test_yaml_syntax_error_names_the_file(tmp_path):
    loaded, problems = load(tmp_path, {"stakeholders/china.yaml": "id: china\nname: a: b\n"})
    assert len(problems) == 1
    assert str(problems[0].location) == "content/stakeholders/china.yaml:2:8"
    assert loaded.records == ()


@pytest.mark.parametrize(
    "name",
    [".#china.yaml", "china.yaml~", "china.yaml.swp", ".china.yaml.swp", "4913", "#china.yaml#", "x.bak"],
)
def test_editor_temp_files_are_ignored(tmp_path, name):
    assert is_ignored(Path(name))
    garbage = b"\xff\xfe not yaml: [ at all"
    loaded, problems = load(
        tmp_path,
        {
            "stakeholders/china.yaml": STAKEHOLDER,
            f"stakeholders/{name}": garbage,
            f"sources/{name}": garbage,
        },
    )
    assert problems == []
    assert [r.document.file for r in loaded.records] == ["content/stakeholders/china.yaml"]


def test_ordinary_files_are_not_ignored():
    for name in ("china.yaml", "memo.txt", "memo.md", "x-4913.yaml"):
        assert not is_ignored(Path(name))


def test_files_in_subfolders_are_loaded(tmp_path):
    loaded, problems = load(tmp_path, {"stakeholders/people/china.yaml": STAKEHOLDER})
    assert problems == []
    assert [r.document.file for r in loaded.records] == ["content/stakeholders/people/china.yaml"]


def test_missing_content_folder(tmp_path):
    loaded, problems = load_content(tmp_path / "nope", tmp_path, DEFAULT_TRAILERS)
    assert rendered(problems) == ["nope: error: content folder not found [BRF008 content-folder-missing]"]
    assert loaded.records == ()


def test_files_outside_the_kind_folders_are_not_read(tmp_path):
    loaded, problems = load(tmp_path, {"notes.yaml": "a: [", "drafts/x.yaml": "a: ["})
    assert problems == []
    assert loaded.records == ()


def test_a_first_load_on_several_processes_gives_what_one_process_gives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import generator.load

    root = Path(__file__).resolve().parents[1]
    monkeypatch.setattr(generator.load, "PARALLEL_FILES", 1)  # the seed is small: fork anyway
    alone, problems_alone = load_content(root / "content", root, DEFAULT_TRAILERS)
    split, problems_split = load_content(root / "content", root, DEFAULT_TRAILERS, processes=3)
    assert split.records == alone.records
    assert split.bodies == alone.bodies
    assert problems_split == problems_alone
    assert {name: entry[:2] for name, entry in split.parsed.items()} == {
        name: entry[:2] for name, entry in alone.parsed.items()
    }


def test_split_map_keeps_the_order_of_its_items() -> None:
    from generator.parallel import split_map

    items = list(range(23))
    assert split_map(lambda n: n * n, items, processes=3) == [n * n for n in items]
    assert split_map(lambda n: n, [], processes=3) == []
