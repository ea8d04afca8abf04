"""The editor JSON Schemas in schemas/: up to date, valid, and in agreement with the build.

The schemas are checked with the independent `jsonschema` validator on the documents as
PyYAML reads them, and every mistake a schema rejects must be rejected by the build too,
so that an editor and `briefing build` tell the author the same thing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CONTENT, ROOT, Built, Content
from jsonschema import Draft202012Validator
from pydantic import BaseModel

from generator.build import build
from generator.config import load_config
from generator.errors import BriefingError
from generator.model import Slug
from generator.schema import (
    HEADER_PREFIX,
    MODELS,
    SCHEMA_FILES,
    SCHEMA_FOLDER,
    add_schema_headers,
    content_yaml_files,
    json_schemas,
    schema_header,
    schema_ids,
    schema_text,
    with_header,
    write_schemas,
)

SCHEMAS = ROOT / SCHEMA_FOLDER
FOLDER_KINDS = {
    "summits": "summit",
    "proposals": "proposal",
    "stakeholders": "stakeholder",
    "sources": "source",
}
SLUG_PATTERN = Slug.__metadata__[0].pattern  # type: ignore[attr-defined]
SLUG_DESCRIPTION = Slug.__metadata__[1].description  # type: ignore[attr-defined]


def yaml_files() -> list[tuple[str, Path]]:
    """(kind, path) of every YAML file that names a schema, found independently of schema.py."""
    found = [
        (kind, path)
        for folder, kind in FOLDER_KINDS.items()
        for path in sorted((CONTENT / folder).rglob("*.y*ml"))
    ]
    return [*found, ("config", ROOT / "config.yaml")]


FILES = yaml_files()
FILE_IDS = [path.relative_to(ROOT).as_posix() for _, path in FILES]


def committed(kind: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / SCHEMA_FILES[kind]).read_text(encoding="utf-8"))


def validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(committed(kind), format_checker=Draft202012Validator.FORMAT_CHECKER)


def as_json(value: Any) -> Any:
    """A YAML document as an editor sees it: JSON has no dates, so PyYAML's are strings again
    (YAML 1.2, which editors use, has no date type either)."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def load_json(path: Path) -> Any:
    return as_json(yaml.safe_load(path.read_text(encoding="utf-8")))


def object_schemas(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(model name, object schema) of the root and every definition."""
    yield schema["title"], schema
    yield from schema.get("$defs", {}).items()


def string_schemas(prop: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if "items" in prop:
        yield from string_schemas(prop["items"])
    for alternative in prop.get("anyOf", ()):
        yield from string_schemas(alternative)
    if prop.get("type") == "string":
        yield prop


def models_below(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    """`model` and every model nested in its fields."""
    yield model
    for info in model.model_fields.values():
        for nested in nested_models(info.annotation):
            yield from models_below(nested)


def nested_models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in getattr(annotation, "__args__", ()):
        yield from nested_models(arg)


# -- generated and up to date ----------------------------------------------------------------


def test_the_committed_schemas_are_what_the_models_and_content_generate():
    expected = json_schemas(schema_ids(CONTENT, ROOT))
    assert sorted(p.name for p in SCHEMAS.iterdir()) == sorted(SCHEMA_FILES.values())
    for name, schema in expected.items():
        assert (SCHEMAS / name).read_text(encoding="utf-8") == schema_text(schema), (
            f"schemas/{name} is out of date with the models or the content ids: run `briefing schema`"
        )


def test_generation_is_deterministic():
    ids = schema_ids(CONTENT, ROOT)
    assert {n: schema_text(s) for n, s in json_schemas(ids).items()} == {
        n: schema_text(s) for n, s in json_schemas(ids).items()
    }


@pytest.mark.parametrize("kind", sorted(SCHEMA_FILES))
def test_each_schema_is_valid_draft_2020_12(kind: str):
    schema = committed(kind)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] and schema["description"]
    assert "$id" not in schema  # an absolute $id would make editors fetch it


# -- the content validates ---------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "path"), FILES, ids=FILE_IDS)
def test_every_content_file_validates_against_its_schema(kind: str, path: Path):
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator(kind).iter_errors(load_json(path))]
    assert errors == [], f"{path.relative_to(ROOT)} does not match schemas/{SCHEMA_FILES[kind]}"


def test_the_same_files_pass_the_build(built: Built):
    kinds = [kind for kind, _ in FILES]
    assert built.result.summaries == sum(k in ("summit", "proposal", "stakeholder") for k in kinds)
    assert built.result.sources == kinds.count("source")


# -- the schema and the build reject the same mistakes ---------------------------------------

SUMMIT = "content/summits/hanoi-2019.yaml"
PROPOSAL = "content/proposals/un-sanctions-relief.yaml"
STAKEHOLDER = "content/stakeholders/kim-jong-un.yaml"
SOURCE = "content/sources/wit-dmz-meeting.yaml"
CONFIG = "config.yaml"
KIND_OF = {
    SUMMIT: "summit",
    PROPOSAL: "proposal",
    STAKEHOLDER: "stakeholder",
    SOURCE: "source",
    CONFIG: "config",
}

#: (file, change to its data, where the schema must object, what the build must say).
MISTAKES: dict[str, tuple[str, Callable[[dict[str, Any]], Any], tuple[str | int, ...], str]] = {
    "unknown-key": (SUMMIT, lambda d: d.update(summry=[]), (), "unknown key 'summry'"),
    "wrong-enum": (
        SUMMIT,
        lambda d: d.update(status="postponed"),
        ("status",),
        "status: 'postponed' is not one of the choices",
    ),
    "unknown-participant": (
        SUMMIT,
        lambda d: d["participants"].append("kim-jong-il"),
        ("participants", 5),
        "unknown stakeholder id 'kim-jong-il'",
    ),
    "impossible-date": (SUMMIT, lambda d: d.update(start="2019-02-30"), ("start",), "is not a date"),
    "date-in-words": (SUMMIT, lambda d: d.update(end="28 February 2019"), ("end",), "is not a date"),
    "blank-text": (SUMMIT, lambda d: d.update(outcome="   "), ("outcome",), "outcome: the value is empty"),
    "unknown-proposal": (
        SUMMIT,
        lambda d: d["proposals"][0].update(proposal="world-peace"),
        ("proposals", 0, "proposal"),
        "unknown proposal id 'world-peace'",
    ),
    "unknown-cited-source": (
        SUMMIT,
        lambda d: d["summary"][0]["cite"][0].update(source="the-onion"),
        ("summary", 0, "cite", 0, "source"),
        "unknown source id 'the-onion'",
    ),
    "unknown-proposer": (
        PROPOSAL,
        lambda d: d.update(proposed_by=["nobody"]),
        ("proposed_by", 0),
        "unknown stakeholder id 'nobody'",
    ),
    "unknown-position-holder": (
        PROPOSAL,
        lambda d: d["positions"][0].update(stakeholder="nobody"),
        ("positions", 0, "stakeholder"),
        "unknown stakeholder id 'nobody'",
    ),
    "wrong-stance": (
        PROPOSAL,
        lambda d: d["positions"][0].update(stance="maybe"),
        ("positions", 0, "stance"),
        "stance: 'maybe' is not one of the choices",
    ),
    "stakeholder-unknown-key": (STAKEHOLDER, lambda d: d.update(party="WPK"), (), "unknown key 'party'"),
    "wrong-source-kind": (
        SOURCE,
        lambda d: d.update(kind="blog"),
        ("kind",),
        "kind: 'blog' is not one of the choices",
    ),
    "bad-url": (SOURCE, lambda d: d.update(url="www.example.org"), ("url",), "is not an http(s) URL"),
    "config-unknown-key": (CONFIG, lambda d: d.update(titel="x"), (), "unknown key 'titel'"),
    "config-bad-base-url": (
        CONFIG,
        lambda d: d.update(base_url="ftp://example.org/"),
        ("base_url",),
        "is not an http(s) URL",
    ),
}


def changed_text(file: str, change: Callable[[dict[str, Any]], Any] | None) -> tuple[str, dict[str, Any]]:
    """The YAML text of `file` after `change` (with its header), and its data as JSON."""
    data = yaml.safe_load((ROOT / file).read_text(encoding="utf-8"))
    if change is not None:
        change(data)
    header = schema_header(KIND_OF[file], ROOT / file, ROOT)
    return header + "\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), as_json(data)


def build_problems(project: Path, file: str, text: str) -> list[Any]:
    """The problems of building `project` with `file` replaced by `text` ([] if it builds)."""
    (project / file).write_text(text, encoding="utf-8")
    try:
        build(load_config(project / "config.yaml", output_dir=project.parent / "site"))
    except BriefingError as error:
        return error.problems
    return []


@pytest.mark.parametrize("file", sorted(KIND_OF))
def test_rewritten_unchanged_files_pass_both(file: str, project_copy: Path):
    """The control for the mistakes below: rewriting a file with PyYAML changes nothing."""
    text, data = changed_text(file, None)
    assert list(validator(KIND_OF[file]).iter_errors(data)) == []
    assert build_problems(project_copy, file, text) == []


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_a_mistake_is_rejected_by_the_schema_and_by_the_build(mistake: str, project_copy: Path):
    file, change, where, message = MISTAKES[mistake]
    text, data = changed_text(file, change)
    errors = list(validator(KIND_OF[file]).iter_errors(data))
    assert [e for e in errors if tuple(e.absolute_path) == where], (
        f"schema does not object at {list(where)}: {[e.message for e in errors]}"
    )
    problems = [p for p in build_problems(project_copy, file, text) if p.location.file.endswith(file)]
    assert [str(p) for p in problems if message in p.message], f"build does not say {message!r}: {problems}"


# -- headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "path"), FILES, ids=FILE_IDS)
def test_every_content_file_starts_with_its_schema_header(kind: str, path: Path):
    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    assert first == schema_header(kind, path, ROOT), "run `briefing schema`"
    assert first.startswith(HEADER_PREFIX)
    target = (path.parent / first[len(HEADER_PREFIX) :]).resolve()
    assert target == SCHEMAS / SCHEMA_FILES[kind]
    assert target.is_file()


def test_content_yaml_files_are_the_files_the_headers_go_into():
    assert content_yaml_files(CONTENT, ROOT) == FILES


def test_add_schema_headers_inserts_replaces_and_keeps_the_rest(tmp_path: Path):
    content = tmp_path / "content"
    for folder in ("summits", "proposals", "sources", "sources/older", "stakeholders/.hidden"):
        (content / folder).mkdir(parents=True)
    files = {
        "content/summits/a.yaml": b"id: a\n",
        "content/proposals/b.yaml": b"# yaml-language-server: $schema=old.json\n# keep\nid: b\n",
        "content/sources/older/c.yml": b"\xef\xbb\xbfid: c\r\ntitle: C\r\n",
        "content/sources/c.txt": b"not yaml\n",
        "content/sources/d.yaml~": b"editor backup\n",
        "content/stakeholders/.hidden/e.yaml": b"hidden\n",
        "config.yaml": b"title: T",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    changed = add_schema_headers(content, tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in changed) == [
        "config.yaml",
        "content/proposals/b.yaml",
        "content/sources/older/c.yml",
        "content/summits/a.yaml",
    ]
    read = {name: (tmp_path / name).read_bytes() for name in files}
    assert (
        read["content/summits/a.yaml"]
        == b"# yaml-language-server: $schema=../../schemas/summit.schema.json\nid: a\n"
    )
    assert read["content/proposals/b.yaml"] == (
        b"# yaml-language-server: $schema=../../schemas/proposal.schema.json\n# keep\nid: b\n"
    )
    assert read["content/sources/older/c.yml"] == (
        b"\xef\xbb\xbf# yaml-language-server: $schema=../../../schemas/source.schema.json\r\n"
        b"id: c\r\ntitle: C\r\n"
    )
    assert read["config.yaml"] == b"# yaml-language-server: $schema=schemas/config.schema.json\ntitle: T"
    for name in ("content/sources/c.txt", "content/sources/d.yaml~", "content/stakeholders/.hidden/e.yaml"):
        assert read[name] == files[name]
    assert add_schema_headers(content, tmp_path) == []  # idempotent


def test_with_header_of_an_empty_file_and_of_a_lone_modeline():
    assert with_header(b"", "# h") == b"# h\n"
    assert with_header(b"# yaml-language-server: $schema=x", "# h") == b"# h\n"


def test_write_schemas_rewrites_only_what_changed(tmp_path: Path):
    ids = {"summit": ["a"], "proposal": ["b"], "stakeholder": ["c"], "source": ["d"]}
    written = write_schemas(tmp_path, ids)
    assert sorted(p.name for p in written) == sorted(SCHEMA_FILES.values())
    assert all(p.read_text(encoding="utf-8").endswith("}\n") for p in written)
    assert write_schemas(tmp_path, ids) == []
    changed = write_schemas(tmp_path, {**ids, "source": ["d", "e"]})
    assert sorted(p.name for p in changed) == [
        "proposal.schema.json",
        "stakeholder.schema.json",
        "summit.schema.json",
    ]


# -- what editors get ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_documented_fields_keep_their_description(kind: str):
    schema = committed(kind)
    objects = dict(object_schemas(schema))
    objects[MODELS[kind].__name__] = schema
    for model in models_below(MODELS[kind]):
        properties = objects[model.__name__]["properties"]
        assert model.__doc__ and objects[model.__name__]["description"]
        for name, info in model.model_fields.items():
            if info.description:
                prop = properties[name]
                described = [prop.get("description"), *(s.get("description") for s in string_schemas(prop))]
                if info.description == SLUG_DESCRIPTION and any("enum" in s for s in string_schemas(prop)):
                    # a reference says what it refers to rather than how ids are spelt
                    assert any(d and d.startswith("Id of a ") for d in described)
                else:
                    assert info.description in described, f"{model.__name__}.{name} lost its description"


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_objects_are_closed_choices_are_enums_and_empty_values_are_allowed(kind: str):
    schema = committed(kind)
    objects = dict(object_schemas(schema))
    objects[MODELS[kind].__name__] = schema
    for model in models_below(MODELS[kind]):
        obj = objects[model.__name__]
        assert obj["additionalProperties"] is False, f"{model.__name__} accepts unknown keys"
        for name, info in model.model_fields.items():
            prop = obj["properties"][name]
            if info.default is None and not info.is_required():
                assert Draft202012Validator(prop).is_valid(None), f"{model.__name__}.{name} rejects empty"
            if info.annotation in (dt.date, dt.date | None):
                assert {"type": "string", "format": "date"} in [prop, *prop.get("anyOf", ())]
    assert validator("summit").is_valid({"id": "x", "name": "X", "status": "held", "place": None})
    assert not validator("summit").is_valid({"id": "x", "name": "X", "status": "postponed"})
    assert committed("proposal")["$defs"]["Position"]["properties"]["stance"]["enum"] == [
        "supports",
        "opposes",
        "conditional",
        "mixed",
        "unclear",
    ]


def test_id_references_offer_the_real_ids(content: Content):
    stakeholders = sorted(content.stakeholders)
    proposals = sorted(content.proposals)
    sources = sorted(content.sources)
    assert "donald-trump" in stakeholders and "un-sanctions-relief" in proposals
    summit, proposal = committed("summit"), committed("proposal")
    assert summit["properties"]["participants"]["items"]["enum"] == stakeholders
    assert summit["$defs"]["ProposalOnTable"]["properties"]["proposal"]["enum"] == proposals
    assert proposal["properties"]["proposed_by"]["items"]["enum"] == stakeholders
    assert proposal["$defs"]["Position"]["properties"]["stakeholder"]["enum"] == stakeholders
    for kind in ("summit", "proposal", "stakeholder"):
        assert committed(kind)["$defs"]["Citation"]["properties"]["source"]["enum"] == sources


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_every_id_field_but_the_records_own_offers_ids(kind: str):
    """A new reference field in model.py must be added to schema.REFERENCES."""
    schema = committed(kind)
    for model, obj in object_schemas(schema):
        for name, prop in obj.get("properties", {}).items():
            for string in string_schemas(prop):
                if string.get("pattern") != SLUG_PATTERN:
                    continue
                if name == "id" and obj is schema:
                    assert "enum" not in string  # a new record's id is new
                else:
                    assert string.get("enum"), f"{model}.{name} refers to ids but offers none"


def test_a_kind_without_ids_gets_no_enum():
    schema = json_schemas({})["summit.schema.json"]
    assert "enum" not in schema["properties"]["participants"]["items"]
    assert Draft202012Validator(schema).is_valid(
        {"id": "x", "name": "X", "status": "held", "participants": ["y"]}
    )


def test_examples_are_valid_values():
    for kind in MODELS:
        schema = committed(kind)
        for model, obj in object_schemas(schema):
            for name, prop in obj.get("properties", {}).items():
                for example in prop.get("examples", ()):
                    check = Draft202012Validator(
                        {**prop, "$defs": schema.get("$defs", {})},
                        format_checker=Draft202012Validator.FORMAT_CHECKER,
                    )
                    assert check.is_valid(example), f"{model}.{name}: example {example!r} is invalid"
