"""JSON Schemas of the YAML kinds, for editors (yaml-language-server and the like).

Generated from the same pydantic models the build validates with, so they cannot drift;
`briefing schema` writes them into `schemas/`. Every content file names its schema on
its first line, so an editor completes keys, choices and ids and flags mistakes.

pydantic already gives most of what an editor needs (closed objects from extra=forbid,
enums from Literal choices, Field descriptions, `format: date`, null for optional fields);
the post-processing here only adds what the models cannot know: the ids that exist in
the current content, examples, and a title that names the files a schema is for.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter

from generator.atomicfile import replace_file
from generator.config import SiteConfig
from generator.contentfiles import KIND_FOLDERS, YAML_SUFFIXES, is_ignored_name
from generator.load import load_content
from generator.model import (
    Citation,
    Position,
    Proposal,
    ProposalOnTable,
    Slug,
    SourceMeta,
    Stakeholder,
    Summit,
)
from generator.validate import validate

#: File name of each kind's schema in the schemas/ folder.
SCHEMA_FILES = {
    "summit": "summit.schema.json",
    "proposal": "proposal.schema.json",
    "stakeholder": "stakeholder.schema.json",
    "source": "source.schema.json",
    "config": "config.schema.json",
}
SCHEMA_FOLDER = "schemas"
HEADER_PREFIX = "# yaml-language-server: $schema="
#: Any first line starting with this is an editor modeline that the header replaces.
MODELINE_PREFIX = "# yaml-language-server:"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
CONFIG_FILE = "config.yaml"

#: The model each kind's files are validated with.
MODELS: dict[str, type[BaseModel]] = {
    "summit": Summit,
    "proposal": Proposal,
    "stakeholder": Stakeholder,
    "source": SourceMeta,
    "config": SiteConfig,
}

#: Which files each schema is for, shown as its title (editors display it on hover).
FILES_OF_KIND = {
    "summit": "content/summits/ID.yaml",
    "proposal": "content/proposals/ID.yaml",
    "stakeholder": "content/stakeholders/ID.yaml",
    "source": "content/sources/ID.yaml",
    "config": CONFIG_FILE,
}

#: Fields that hold the id of another record, and the kind of that record. The models type
#: them all as plain slugs (the build checks them later, in `link`), so only this table
#: knows which ids an editor should offer.
REFERENCES: dict[tuple[type[BaseModel], str], str] = {
    (Summit, "participants"): "stakeholder",
    (ProposalOnTable, "proposal"): "proposal",
    (Proposal, "proposed_by"): "stakeholder",
    (Position, "stakeholder"): "stakeholder",
    (Citation, "source"): "source",
}

#: The description every slug carries; a reference field says what it refers to instead.
SLUG_DESCRIPTION = TypeAdapter(Slug).json_schema().get("description")

#: Example values by field name, or by `Model.field` where one name means different things.
#: model.py is shared with the build and has no `examples`, so they are added here.
EXAMPLES: dict[str, list[Any]] = {
    "Summit.id": ["hanoi-2019"],
    "Proposal.id": ["un-sanctions-relief"],
    "Stakeholder.id": ["kim-jong-un"],
    "SourceMeta.id": ["wit-dmz-meeting"],
    "Summit.aliases": [["Hanoi summit", "summit in Hanoi"]],
    "Stakeholder.aliases": [["Kim", "Chairman Kim"]],
    "start": ["2019-02-27"],
    "end": ["2019-02-28"],
    "date": ["2019-06-30"],
    "updated": ["2025-01-15"],
    "duration": ["two days"],
    "place": ["Hanoi, Vietnam"],
    "SourceMeta.author": ["Joel S. Wit"],
    "publisher": ["38 North"],
    "url": ["https://www.example.org/2019/06/30/article"],
    "language": ["en", "ko"],
    "base_url": ["https://user.github.io/repo/"],
    "cname": ["briefing.example.org"],
}


def json_schemas(ids: Mapping[str, Sequence[str]]) -> dict[str, dict[str, Any]]:
    """The JSON Schema of every kind, by file name in schemas/.

    `ids` maps "summit", "proposal", "stakeholder" and "source" to the ids that exist;
    fields that refer to a record of that kind offer them as an enum. A kind without
    ids gets no enum, since an empty enum would reject every value.
    """
    return {SCHEMA_FILES[kind]: _schema(kind, model, ids) for kind, model in MODELS.items()}


def _schema(kind: str, model: type[BaseModel], ids: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    generated = model.model_json_schema()
    # The root and every $defs entry are model objects, named (title) after their class.
    objects: dict[str, dict[str, Any]] = {model.__name__: generated, **generated.get("$defs", {})}
    for name, schema in objects.items():
        for field, prop in schema.get("properties", {}).items():
            examples = EXAMPLES.get(f"{name}.{field}", EXAMPLES.get(field))
            if examples is not None and "examples" not in prop:
                prop["examples"] = examples
            for string in _string_schemas(prop):
                # Models strip whitespace before checking min_length, so a blank text is
                # empty to the build; without a pattern an editor would accept it.
                if string.get("minLength") == 1 and "pattern" not in string:
                    string["pattern"] = r"\S"
    for (owner, field), target in REFERENCES.items():
        prop = objects.get(owner.__name__, {}).get("properties", {}).get(field)
        known = sorted(set(ids.get(target, ())))
        if prop is None or not known:
            continue
        for string in _string_schemas(prop):
            string["enum"] = known
            if string.get("description", SLUG_DESCRIPTION) == SLUG_DESCRIPTION:
                string["description"] = f"Id of a {target}, as in {FILES_OF_KIND[target]}."
    description = generated.get("description", "")
    return {
        "$schema": DIALECT,
        "$comment": "Generated from generator/model.py by `briefing schema`; do not edit.",
        **generated,
        "title": f"briefing {kind}: {FILES_OF_KIND[kind]}",
        "description": f"{description} Unknown keys are errors.".strip(),
    }


def _string_schemas(prop: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The string schemas of a property: itself, its list items, its non-null alternatives."""
    if "items" in prop:
        yield from _string_schemas(prop["items"])
    elif "anyOf" in prop:
        for alternative in prop["anyOf"]:
            yield from _string_schemas(alternative)
    elif prop.get("type") == "string":
        yield prop


def schema_text(schema: Mapping[str, Any]) -> str:
    """A schema as written to disk: sorted keys so that output is byte-for-byte stable."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_ids(content_dir: Path, root: Path) -> dict[str, list[str]]:
    """The ids of the current content's valid records, by kind; problems are ignored.

    An editor needs the ids even while some file is broken, so nothing here stops on a
    problem. Trailer patterns do not matter for ids, hence none.
    """
    loaded, _ = load_content(content_dir, root, ())
    validated, _ = validate(loaded)
    return {
        "summit": sorted(e.model.id for e in validated.summits),
        "proposal": sorted(e.model.id for e in validated.proposals),
        "stakeholder": sorted(e.model.id for e in validated.stakeholders),
        "source": sorted(s.meta.id for s in validated.sources),
    }


def write_schemas(root: Path, ids: Mapping[str, Sequence[str]]) -> list[Path]:
    """Write every schema into `root/schemas/`; return the files whose bytes changed.

    Unchanged files are left alone, so that editors watching them do not reload.
    """
    folder = root / SCHEMA_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, schema in sorted(json_schemas(ids).items()):
        path = folder / name
        data = schema_text(schema).encode("utf-8")
        if _read_bytes(path) != data:
            replace_file(path, data)
            written.append(path)
    return written


def content_yaml_files(content_dir: Path, root: Path) -> list[tuple[str, Path]]:
    """(kind, path) of every YAML file that names a schema: the content's and config.yaml.

    The same files the loader reads: below each kind's folder, hidden folders and editor
    leftovers skipped.
    """
    found: list[tuple[str, Path]] = []
    for kind, folder in KIND_FOLDERS.items():
        for directory, subfolders, names in os.walk(content_dir / folder):
            subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
            found += [
                (kind, Path(directory) / name)
                for name in sorted(names)
                if name.endswith(YAML_SUFFIXES) and not is_ignored_name(name)
            ]
    if (root / CONFIG_FILE).is_file():
        found.append(("config", root / CONFIG_FILE))
    return found


def add_schema_headers(content_dir: Path, root: Path) -> list[Path]:
    """Make every content YAML file and config.yaml start with its schema header line.

    An existing `# yaml-language-server:` first line is replaced; otherwise the header is
    inserted above the first line. The rest of the file is kept byte for byte. Returns the
    files changed.
    """
    changed: list[Path] = []
    for kind, path in content_yaml_files(content_dir, root):
        data = path.read_bytes()
        updated = with_header(data, schema_header(kind, path, root))
        if updated != data:  # an author's file: never left half-written
            replace_file(path, updated, durable=True)
            changed.append(path)
    return changed


def with_header(data: bytes, header: str) -> bytes:
    """`data` (a file's bytes) with `header` as its first line."""
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""  # a BOM must stay first
    body = data[len(bom) :]
    first, _, rest = body.partition(b"\n")
    end = b"\r\n" if first.endswith(b"\r") else b"\n"  # keep the file's line endings
    line = header.encode("utf-8") + end
    if first.startswith(MODELINE_PREFIX.encode("utf-8")):
        return bom + line + rest
    return bom + line + body


def schema_header(kind: str, file: Path, root: Path) -> str:
    """The first line of a content file of `kind` at `file`: its schema, relative to it."""
    target = root / SCHEMA_FOLDER / SCHEMA_FILES[kind]
    relative = os.path.relpath(target, file.parent).replace(os.sep, "/")
    return f"{HEADER_PREFIX}{relative}"


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
