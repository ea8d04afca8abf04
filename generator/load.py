"""Load: content files → raw records that remember where each value came from.

Reads `content/` (summits/, proposals/, stakeholders/, sources/) and nothing else. Source
bodies are split into blocks here, since that only needs the file and the trailer
patterns. Problems are collected, never raised one by one.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

from generator.contentfiles import (
    BODY_SUFFIXES,
    KIND_FOLDERS,
    YAML_SUFFIXES,
    Kind,
    Stat,
    files_below,
    stat_signature,
)
from generator.errors import Location, Problem, relative_name
from generator.parallel import split_map
from generator.sourcetext import Block, parse_markdown, parse_plain_text
from generator.textfile import BODY_LIMIT, YAML_LIMIT, decode_text, read_bytes, unreadable
from generator.yamlfile import YamlDocument, parse_yaml


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


#: What a file parsed to, by file name, with the file's stat and a digest of its bytes
#: (a cache kept on disk between builds holds these too).
ParseCache = Mapping[str, tuple[Stat, bytes, Any]]


#: Below this many files, forking costs more than parsing on one core.
PARALLEL_FILES = 400


def content_digest(data: bytes) -> bytes:
    """The digest that identifies a file's bytes in caches."""
    return hashlib.blake2b(data, digest_size=16).digest()


@dataclass(frozen=True)
class LoadedContent:
    """Everything read from the content folder."""

    records: tuple[RawRecord, ...]
    #: Source bodies by the name (relative path) of their metadata file.
    bodies: dict[str, SourceBody]
    #: Parse results, so that the next load re-parses only files whose bytes changed.
    parsed: ParseCache = field(default_factory=dict, compare=False, repr=False)
    #: What each kind folder gave (records, bodies, problems, file names), so that the
    #: next load can take a folder known to be unchanged as it is.
    folders: Mapping[Kind, FolderLoad] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class FolderLoad:
    """The records, source bodies and problems of one kind folder, and its file names."""

    records: tuple[RawRecord, ...]
    bodies: Mapping[str, SourceBody]
    problems: tuple[Problem, ...]
    names: tuple[str, ...]


def load_content(
    content_dir: Path,
    root: Path,
    trailer_patterns: tuple[str, ...],
    previous: LoadedContent | None = None,
    unchanged: Collection[Kind] = (),
    processes: int = 1,
) -> tuple[LoadedContent, list[Problem]]:
    """Read every content file below `content_dir`, in a stable order.

    Files unchanged since `previous` (a load with the same trailer patterns) are not
    read or parsed again. The folders of the `unchanged` kinds (the preview knows from
    its file watcher that nothing in them changed) are not even listed: what `previous`
    found there is taken as it is. Without `previous`, files are parsed in `processes`
    processes.
    """
    before: ParseCache = previous.parsed if previous is not None else {}
    parsed: dict[str, tuple[Stat, bytes, Any]] = {}
    problems: list[Problem] = []
    records: list[RawRecord] = []
    bodies: dict[str, SourceBody] = {}
    if not content_dir.is_dir():
        where = Location(relative_name(content_dir, root))
        hint = "create it, or pass --content DIR"
        return LoadedContent((), {}), [Problem(where, "content folder not found", hint, code="BRF008")]
    prefix = str(root) + os.sep
    if previous is None and processes > 1:
        listed = [file for folder in KIND_FOLDERS.values() for file in files_below(content_dir / folder)]
        wanted = [file for file in listed if file.endswith(YAML_SUFFIXES + BODY_SUFFIXES)]
        if len(wanted) >= PARALLEL_FILES:
            before = _parse_ahead(wanted, prefix, trailer_patterns, processes)
    folders: dict[Kind, FolderLoad] = {}
    for kind, folder in KIND_FOLDERS.items():
        kept = previous.folders.get(kind) if previous is not None and kind in unchanged else None
        if kept is not None:
            records += kept.records
            bodies.update(kept.bodies)
            problems += kept.problems
            parsed.update((name, before[name]) for name in kept.names if name in before)
            folders[kind] = kept
            continue
        first_record, first_problem, first_parsed = len(records), len(problems), len(parsed)
        files = files_below(content_dir / folder)
        present = set(files)
        for file in files:
            stem, suffix = os.path.splitext(file)
            name = file[len(prefix) :].replace(os.sep, "/") if file.startswith(prefix) else file
            if suffix in YAML_SUFFIXES:
                parse = partial(_parse_yaml, name=name)
                document, found = _parsed(file, name, parse, before, parsed, YAML_LIMIT)
                problems += found
                if document is None:
                    continue
                records.append(RawRecord(kind, document))
                if kind == "source":
                    texts = [stem + s for s in BODY_SUFFIXES if stem + s in present]
                    body, found = _read_body(name, texts, prefix, trailer_patterns, before, parsed)
                    problems += found
                    if body is not None:
                        bodies[name] = body
            elif (
                kind == "source"
                and suffix in BODY_SUFFIXES
                and not any(stem + s in present for s in YAML_SUFFIXES)
            ):
                problems.append(
                    Problem(
                        Location(name),
                        "source text has no metadata file",
                        f"create {os.path.basename(stem)}.yaml with id, title, author, publisher, "
                        "date, url and kind",
                        code="BRF006",
                    )
                )
        names = tuple(itertools.islice(parsed, first_parsed, None))
        own = tuple(records[first_record:])
        folders[kind] = FolderLoad(
            own,
            {r.document.file: bodies[r.document.file] for r in own if r.document.file in bodies},
            tuple(problems[first_problem:]),
            names,
        )
    return LoadedContent(tuple(records), bodies, parsed, folders), problems


def _parsed(
    path: str,
    name: str,
    parse: Callable[[str], tuple[Any, list[Problem]]],
    before: ParseCache,
    after: dict[str, tuple[Stat, bytes, Any]],
    limit: int,
) -> tuple[Any, list[Problem]]:
    """`parse` of the file's text, reused from `before` when the file is unchanged: the
    same stat (with the change time, which no tool that restores a modification time can
    restore), or else the same digest of its bytes. A file over `limit` bytes is refused."""
    hit = before.get(name)
    try:
        signature = stat_signature(os.stat(path))
    except OSError as error:
        return None, [unreadable(name, error)]
    if hit is not None and hit[0] == signature:
        after[name] = hit
        return hit[2]  # type: ignore[no-any-return]
    data, problems = read_bytes(path, name, limit)
    if data is None:
        return None, problems
    digest = content_digest(data)
    if hit is not None and hit[1] == digest:
        after[name] = (signature, digest, hit[2])
        return hit[2]  # type: ignore[no-any-return]
    text, problems = decode_text(data, name)
    result = parse(text) if text is not None else (None, problems)
    after[name] = (signature, digest, result)
    return result


def _parse_yaml(text: str, name: str) -> tuple[YamlDocument | None, list[Problem]]:
    document, problems = parse_yaml(text, name)
    if problems:  # checking a document YAML could not read whole would only add noise
        return None, problems
    if document is not None and document.data is None:
        return None, [Problem(Location(name), "file is empty", "fill it in, or delete it", code="BRF005")]
    return document, problems


def _read_body(
    meta_name: str,
    texts: list[str],
    prefix: str,
    trailer_patterns: tuple[str, ...],
    before: ParseCache,
    after: dict[str, tuple[Stat, bytes, Any]],
) -> tuple[SourceBody | None, list[Problem]]:
    if len(texts) != 1:
        stem = os.path.splitext(os.path.basename(meta_name))[0]
        message = "source has no text file" if not texts else "source has both a .txt and a .md text"
        hint = f"keep exactly one of {stem}.txt (plain text as pasted) or {stem}.md (Markdown) beside it"
        return None, [Problem(Location(meta_name), message, hint, code="BRF007")]
    path = texts[0]
    name = path[len(prefix) :].replace(os.sep, "/") if path.startswith(prefix) else path
    parse = partial(_parse_body, name=name, trailer_patterns=trailer_patterns)
    return _parsed(path, name, parse, before, after, BODY_LIMIT)


def _parse_body(text: str, name: str, trailer_patterns: tuple[str, ...]) -> tuple[SourceBody, list[Problem]]:
    if name.endswith(".md"):
        return SourceBody(name, "md", tuple(parse_markdown(text, trailer_patterns))), []
    return SourceBody(name, "txt", tuple(parse_plain_text(text, trailer_patterns))), []


def _parse_ahead(
    files: list[str], prefix: str, trailer_patterns: tuple[str, ...], processes: int
) -> dict[str, tuple[Stat, bytes, Any]]:
    """Parse `files` on every core, as a parse cache for the load that follows (which
    then finds each file unchanged and takes its result)."""
    items = [(file, prefix, trailer_patterns) for file in files]
    return dict(entry for entry in split_map(_parse_one, items, processes) if entry is not None)


def _parse_one(item: tuple[str, str, tuple[str, ...]]) -> tuple[str, Any] | None:
    file, prefix, trailer_patterns = item
    name = file[len(prefix) :].replace(os.sep, "/") if file.startswith(prefix) else file
    if file.endswith(YAML_SUFFIXES):
        parse: Callable[[str], tuple[Any, list[Problem]]] = partial(_parse_yaml, name=name)
        limit = YAML_LIMIT
    else:
        parse = partial(_parse_body, name=name, trailer_patterns=trailer_patterns)
        limit = BODY_LIMIT
    found: dict[str, tuple[Stat, bytes, Any]] = {}
    _parsed(file, name, parse, {}, found, limit)
    return (name, found[name]) if name in found else None
