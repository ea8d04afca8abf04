"""Load: content files → raw records that remember where each value came from.

Reads `content/` (summits/, proposals/, stakeholders/, sources/) and nothing else. Source
bodies are split into blocks here, since that only needs the file and the trailer
patterns. Problems are collected, never raised one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

from generator.errors import Location, Problem, relative_name
from generator.sourcetext import Block, parse_markdown, parse_plain_text
from generator.yamlfile import YamlDocument, parse_yaml

Kind = Literal["summit", "proposal", "stakeholder", "source"]

#: Content folder of each kind of YAML file.
KIND_FOLDERS: dict[Kind, str] = {
    "summit": "summits",
    "proposal": "proposals",
    "stakeholder": "stakeholders",
    "source": "sources",
}
YAML_SUFFIXES = (".yaml", ".yml")
BODY_SUFFIXES = (".txt", ".md")


@dataclass(frozen=True)
class RawRecord:
    """One YAML file of a known kind, parsed but not yet checked against its schema."""

    kind: Kind
    document: YamlDocument


@dataclass(frozen=True)
class SourceBody:
    """The text of a source, split into blocks."""

    file: str
    format: Literal["txt", "md"]
    blocks: tuple[Block, ...]


#: What a file parsed to, by file name, with the bytes it was parsed from.
ParseCache = Mapping[str, tuple[bytes, Any]]


@dataclass(frozen=True)
class LoadedContent:
    """Everything read from the content folder."""

    records: tuple[RawRecord, ...]
    #: Source bodies by the name (relative path) of their metadata file.
    bodies: dict[str, SourceBody]
    #: Parse results, so that the next load re-parses only files whose bytes changed.
    parsed: ParseCache = field(default_factory=dict, compare=False, repr=False)


def is_ignored(path: Path) -> bool:
    """Hidden files and editor leftovers (swap, backup, lock files) are not content."""
    name = path.name
    return (
        name.startswith((".", "#", "~"))
        or name.endswith(("~", ".swp", ".swx", ".swo", ".tmp", ".bak"))
        or name == "4913"
    )


def load_content(
    content_dir: Path,
    root: Path,
    trailer_patterns: tuple[str, ...],
    previous: LoadedContent | None = None,
) -> tuple[LoadedContent, list[Problem]]:
    """Read every content file below `content_dir`, in a stable order.

    Files whose bytes are the same as in `previous` (a load with the same trailer
    patterns) are not parsed again.
    """
    before: ParseCache = previous.parsed if previous is not None else {}
    parsed: dict[str, tuple[bytes, Any]] = {}
    problems: list[Problem] = []
    records: list[RawRecord] = []
    bodies: dict[str, SourceBody] = {}
    if not content_dir.is_dir():
        where = Location(relative_name(content_dir, root))
        hint = "create it, or pass --content DIR"
        return LoadedContent((), {}), [Problem(where, "content folder not found", hint)]
    for kind, folder in KIND_FOLDERS.items():
        for path in sorted((content_dir / folder).rglob("*")):
            if not path.is_file() or is_ignored(path):
                continue
            name = relative_name(path, root)
            if path.suffix in YAML_SUFFIXES:
                document, found = _parsed(path, name, partial(_parse_yaml, name=name), before, parsed)
                problems += found
                if document is None:
                    continue
                records.append(RawRecord(kind, document))
                if kind == "source":
                    body, found = _read_body(path, name, root, trailer_patterns, before, parsed)
                    problems += found
                    if body is not None:
                        bodies[name] = body
            elif (
                kind == "source"
                and path.suffix in BODY_SUFFIXES
                and not any(path.with_suffix(s).is_file() for s in YAML_SUFFIXES)
            ):
                problems.append(
                    Problem(
                        Location(name),
                        "source text has no metadata file",
                        f"create {path.with_suffix('.yaml').name} with id, title, author, publisher, "
                        "date, url and kind",
                    )
                )
    return LoadedContent(tuple(records), bodies, parsed), problems


def _parsed(
    path: Path,
    name: str,
    parse: Callable[[str], tuple[Any, list[Problem]]],
    before: ParseCache,
    after: dict[str, tuple[bytes, Any]],
) -> tuple[Any, list[Problem]]:
    """`parse` of the file's text, reused from `before` when the bytes are unchanged."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return None, [Problem(Location(name), f"cannot read file: {error.strerror}", "check permissions")]
    hit = before.get(name)
    if hit is not None and hit[0] == data:
        after[name] = hit
        return hit[1]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        result: tuple[Any, list[Problem]] = (
            None,
            [Problem(Location(name), f"not valid UTF-8 (byte {error.start})", "save the file as UTF-8")],
        )
    else:
        result = parse(text)
    after[name] = (data, result)
    return result


def _parse_yaml(text: str, name: str) -> tuple[YamlDocument | None, list[Problem]]:
    document, problems = parse_yaml(text, name)
    if document is not None and document.data is None:
        return None, [Problem(Location(name), "file is empty", "fill it in, or delete it")]
    return document, problems


def _read_body(
    meta_path: Path,
    meta_name: str,
    root: Path,
    trailer_patterns: tuple[str, ...],
    before: ParseCache,
    after: dict[str, tuple[bytes, Any]],
) -> tuple[SourceBody | None, list[Problem]]:
    candidates = [meta_path.with_suffix(s) for s in BODY_SUFFIXES if meta_path.with_suffix(s).is_file()]
    if len(candidates) != 1:
        stem = meta_path.stem
        message = "source has no text file" if not candidates else "source has both a .txt and a .md text"
        hint = f"keep exactly one of {stem}.txt (plain text as pasted) or {stem}.md (Markdown) beside it"
        return None, [Problem(Location(meta_name), message, hint)]
    path = candidates[0]
    name = relative_name(path, root)

    def parse(text: str) -> tuple[SourceBody, list[Problem]]:
        if path.suffix == ".md":
            return SourceBody(name, "md", tuple(parse_markdown(text, trailer_patterns))), []
        return SourceBody(name, "txt", tuple(parse_plain_text(text, trailer_patterns))), []

    return _parsed(path, name, parse, before, after)
