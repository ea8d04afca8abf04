"""Scaffold: new content files, valid from the first save, for `briefing new`.

A skeleton is a file the build accepts as it is: its schema header, the required keys
filled in, and every optional key shown as a commented example, so the author sees the
whole shape of the kind and only has to uncomment and edit. Choice lists in the comments
are read from the `Literal` annotations of `generator.model`, so they cannot drift from
what the build accepts.

Nothing is ever overwritten: every target is checked first, the files are written under
hidden temporary names and then linked into place, which fails rather than replaces if a
file appeared meanwhile. Either every file of a scaffold is written, or none.
"""

from __future__ import annotations

import json
import os
import re
import types
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel
from slugify import slugify

from generator.atomicfile import write_temporary
from generator.config import Config
from generator.contentfiles import BODY_SUFFIXES, KIND_FOLDERS, YAML_SUFFIXES, Kind, is_ignored_name
from generator.errors import BriefingError, Location, Problem, relative_name
from generator.model import Position, Proposal, Record, SourceMeta, Stakeholder, Summit
from generator.schema import schema_header
from generator.validate import validate_document
from generator.yamlfile import parse_yaml

#: The kinds `new_summary` writes, and the model each must validate against.
SUMMARY_MODELS: dict[str, type[Record]] = {"summit": Summit, "proposal": Proposal, "stakeholder": Stakeholder}
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
#: The model's limit on ids (`generator.model.Slug`).
SLUG_MAX_LENGTH = 80
#: A first line longer than this is a paragraph, not a headline.
TITLE_MAX_LENGTH = 120
#: Column of the comments beside values, so that they line up as in the README's example.
COMMENT_COLUMN = 20


def new_summary(config: Config, kind: str, slug: str, title: str | None = None) -> Path:
    """Write `content/<folder>/<slug>.yaml`, a skeleton summit, proposal or stakeholder.

    The name (or a proposal's title) is `title`, else the slug made readable. Raises
    BriefingError if the slug is not a valid id or the id is taken; then nothing is written.
    """
    if kind not in SUMMARY_MODELS:
        hint = f"choose one of {', '.join(SUMMARY_MODELS)}"
        raise BriefingError([Problem(Location(kind), f"cannot scaffold a {kind!r}", hint, code="BRF013")])
    check_slug(slug)
    folder = _kind_folder(config, typing.cast(Kind, kind))
    path = folder / f"{slug}.yaml"
    _refuse_taken(config, typing.cast(Kind, kind), slug, [folder / f"{slug}{s}" for s in YAML_SUFFIXES])
    heading = _clean_title(title) or readable(slug, each_word=kind == "stakeholder")
    examples = _ExampleIds(config)
    builders: dict[str, Callable[[str, str, _ExampleIds], list[str]]] = {
        "summit": _summit_lines,
        "proposal": _proposal_lines,
        "stakeholder": _stakeholder_lines,
    }
    lines = [schema_header(kind, path, config.root), *builders[kind](slug, heading, examples)]
    data = _text(lines)
    _check_skeleton(SUMMARY_MODELS[kind], data, path, config)
    _write_all([(path, data)], config)
    return path


def new_source(
    config: Config, slug: str, text: str, title: str | None = None, suffix: str = ".txt"
) -> tuple[Path, Path]:
    """Write `content/sources/<slug>.yaml` (metadata) and `<slug><suffix>` (`text`, verbatim).

    The title is `title`, else the text's first line when it reads as a headline, else the
    slug made readable; author, publisher, date and address are left empty, never guessed.
    Returns (metadata file, body file). Raises BriefingError, writing nothing, if the slug is
    not a valid id or is taken by any file or source record.
    """
    if suffix not in BODY_SUFFIXES:
        choices = " or ".join(BODY_SUFFIXES)
        raise BriefingError(
            [Problem(Location(suffix), "unknown source text format", f"use {choices}", code="BRF020")]
        )
    check_slug(slug)
    folder = _kind_folder(config, "source")
    meta_path, body_path = folder / f"{slug}.yaml", folder / f"{slug}{suffix}"
    # A second body (.txt beside .md) or a second metadata file would break the build.
    taken = [folder / f"{slug}{s}" for s in (*YAML_SUFFIXES, *BODY_SUFFIXES)]
    _refuse_taken(config, "source", slug, taken)
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError as error:  # lone surrogates, e.g. undecodable bytes read from a pipe
        where = Location(relative_name(body_path, config.root))
        hint = "paste the text again, saved as UTF-8"
        raise BriefingError(
            [Problem(where, f"text is not valid Unicode (character {error.start})", hint, code="BRF004")]
        ) from None
    heading = _clean_title(title) or headline(text, markdown=suffix == ".md") or readable(slug)
    lines = [schema_header("source", meta_path, config.root), *_source_lines(slug, heading, body_path.name)]
    meta = _text(lines)
    _check_skeleton(SourceMeta, meta, meta_path, config)
    # The body first: a watcher that sees it alone reports a missing metadata file, which
    # names the file to write, until the metadata follows a moment later.
    _write_all([(body_path, body), (meta_path, meta)], config)
    return meta_path, body_path


# -- names ---------------------------------------------------------------------------------


def check_slug(slug: str) -> None:
    """Raise BriefingError (BRF014) unless `slug` is a valid id, suggesting one that is."""
    if SLUG_PATTERN.fullmatch(slug) and len(slug) <= SLUG_MAX_LENGTH:
        return
    suggestion = slugify(slug, max_length=SLUG_MAX_LENGTH, word_boundary=True)
    rule = "lower-case letters, digits and single hyphens"
    if len(slug) > SLUG_MAX_LENGTH and SLUG_PATTERN.fullmatch(slug):
        message = f"id {slug!r} is longer than {SLUG_MAX_LENGTH} characters"
    else:
        message = f"{slug!r} is not a valid id"
    hint = f"use {rule}, e.g. {suggestion!r}" if suggestion else f"use {rule}, e.g. 'hanoi-2019'"
    # An empty location would print as a bare colon; show what was given instead.
    raise BriefingError([Problem(Location(slug or "''"), message, hint, code="BRF014")])


def readable(slug: str, each_word: bool = False) -> str:
    """The slug as a name: 'hanoi-2019' → 'Hanoi 2019'. Sentence case, as the content's
    titles are; `each_word` for the names of people, countries and organisations."""
    words = slug.split("-")
    if each_word:
        return " ".join(word[:1].upper() + word[1:] for word in words)
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def headline(text: str, markdown: bool = False) -> str | None:
    """The text's first line if it reads as a title: short, and not ending a sentence."""
    lines = text.lstrip("\ufeff").splitlines()
    first = next((line.strip() for line in lines if line.strip()), "")
    if markdown:  # '# Title' is a heading; its marks are not part of the title
        first = re.sub(r"^#{1,6}\s+(.*?)(?:\s+#+)?$", r"\1", first)
    first = " ".join(first.split())
    if not first or len(first) > TITLE_MAX_LENGTH or first.endswith("."):
        return None
    return first


def _clean_title(title: str | None) -> str:
    """A given title on one line; '' when none was given (or only blanks)."""
    return " ".join((title or "").split())


# -- refusing to overwrite ------------------------------------------------------------------


def _kind_folder(config: Config, kind: Kind) -> Path:
    if not config.content_dir.is_dir():
        where = Location(relative_name(config.content_dir, config.root))
        hint = "run briefing from the project root, or pass --content DIR"
        raise BriefingError([Problem(where, "content folder not found", hint, code="BRF008")])
    return config.content_dir / KIND_FOLDERS[kind]


def _refuse_taken(config: Config, kind: Kind, slug: str, files: list[Path]) -> None:
    """Raise BriefingError (BRF021) if any of `files` exists or a `kind` record has id `slug`."""
    problems: list[Problem] = []
    existing = [file for file in files if file.exists() or file.is_symlink()]
    records = _ids(config.content_dir / KIND_FOLDERS[kind])
    if not existing and slug not in records:
        return
    free = _free_slug(slug, set(records), files[0].parent)
    for file in existing:
        name = relative_name(file, config.root)
        message = f"{name} already exists; it is left as it is"
        hint = f"edit it, or choose another id, e.g. {free!r}"
        problems.append(Problem(Location(name), message, hint, code="BRF021"))
    if not existing:
        for path in records[slug]:
            name = relative_name(path, config.root)
            message = f"a {kind} with id {slug!r} already exists"
            hint = f"edit {name}, or choose another id, e.g. {free!r}"
            problems.append(Problem(Location(name), message, hint, code="BRF021"))
    raise BriefingError(problems, "nothing written: the id is taken")


def _ids(folder: Path) -> dict[str, list[Path]]:
    """The ids of the YAML records below `folder` (as the loader finds them), with their files."""
    found: dict[str, list[Path]] = {}
    for path in _yaml_files(folder):
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue  # the build reports it; an unreadable file claims no id
        document, _ = parse_yaml(text, path.name)
        data = document.data if document is not None else None
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            found.setdefault(data["id"], []).append(path)
    return found


def _yaml_files(folder: Path) -> Iterator[Path]:
    # The loader's walk: hidden folders and editor leftovers are not content.
    for directory, subfolders, names in os.walk(folder):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for name in sorted(names):
            if not is_ignored_name(name) and name.endswith(YAML_SUFFIXES):
                yield Path(directory, name)


def _free_slug(slug: str, taken: set[str], folder: Path) -> str:
    """`slug-2`, `slug-3`, ...: the first that no record or file of the folder uses."""
    number = 2
    while True:
        candidate = f"{slug}-{number}"
        if candidate not in taken and not any(
            (folder / f"{candidate}{s}").exists() for s in (*YAML_SUFFIXES, *BODY_SUFFIXES)
        ):
            return candidate
        number += 1


# -- writing -------------------------------------------------------------------------------


def _check_skeleton(model: type[Record], data: bytes, path: Path, config: Config) -> None:
    """Validate the skeleton as the build will, so that a title the model rejects is
    reported now rather than written into a file that breaks the next build."""
    name = relative_name(path, config.root)
    document, problems = parse_yaml(data.decode("utf-8"), name)
    if document is not None and not problems:
        problems = validate_document(model, document)[1]
    if problems:
        raise BriefingError(problems, "nothing written: the new file would not be valid")


def _text(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def _write_all(files: list[tuple[Path, bytes]], config: Config) -> None:
    """Write every file, or none: each goes to a hidden temporary file first and is then
    hard-linked into place, which (unlike a rename) fails if the target appeared meanwhile."""
    placed: list[Path] = []
    temporary: list[Path] = []
    try:
        for path, data in files:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary.append(write_temporary(path, data, durable=True))
        for (path, _), temp in zip(files, temporary, strict=True):
            _place(temp, path, config)
            placed.append(path)
    except BaseException:
        for path in placed:
            path.unlink(missing_ok=True)
        raise
    finally:
        for temp in temporary:
            temp.unlink(missing_ok=True)


def _place(temp: Path, path: Path, config: Config) -> None:
    try:
        os.link(temp, path)
    except FileExistsError:
        raise _appeared(path, config) from None
    except OSError:
        # No hard links on this file system: check, then rename (a narrow race, accepted).
        if path.exists() or path.is_symlink():
            raise _appeared(path, config) from None
        os.replace(temp, path)


def _appeared(path: Path, config: Config) -> BriefingError:
    name = relative_name(path, config.root)
    hint = "another program created it just now; look at it, then try again"
    return BriefingError(
        [Problem(Location(name), f"{name} already exists; it is left as it is", hint, code="BRF021")],
        "nothing written: a file appeared while writing",
    )


# -- skeletons -----------------------------------------------------------------------------


def literal_choices(model: type[BaseModel], field: str) -> tuple[str, ...]:
    """The values a `Literal` field of `model` accepts (through `| None` and Annotated)."""
    return tuple(_literal_values(model.model_fields[field].annotation))


def _literal_values(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return list(typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        return [value for arg in typing.get_args(annotation) for value in _literal_values(arg)]
    return []


def _choices(model: type[BaseModel], field: str) -> str:
    return " | ".join(literal_choices(model, field))


def _line(key_value: str, comment: str = "", commented: bool = False) -> str:
    """`key: value`, commented out or not, with its comment lined up at COMMENT_COLUMN as
    in the README's examples (at least two spaces after a long value)."""
    text = f"# {key_value}" if commented else key_value
    if not comment:
        return text
    return f"{text}{' ' * max(2, COMMENT_COLUMN - len(text))}# {comment}"


def yaml_scalar(value: str) -> str:
    """A one-line string as a YAML scalar: plain when that reads back as the same string,
    else double-quoted (JSON's escapes are valid in YAML's double quotes)."""
    document, problems = parse_yaml(f"k: {value}\n", "title")
    if not problems and document is not None and document.data == {"k": value} and "#" not in value:
        return value
    return json.dumps(value, ensure_ascii=False)


class _ExampleIds:
    """Ids for the commented examples: the briefing's own, so an example reads like the
    files beside it; a placeholder where a folder is still empty."""

    def __init__(self, config: Config) -> None:
        self._config = config

    def of(self, kind: Kind, count: int = 1) -> list[str]:
        folder = self._config.content_dir / KIND_FOLDERS[kind]
        stems = sorted(
            {p.stem for p in folder.glob("*") if p.suffix in YAML_SUFFIXES and not is_ignored_name(p.name)}
        )
        stems = [s for s in stems if SLUG_PATTERN.fullmatch(s)]
        if len(stems) >= count:
            return stems[:count]
        return [f"{kind}-id", f"another-{kind}-id"][:count]


def _claims(key: str, source: str, what: str, indent: str = "") -> list[str]:
    """A commented list of one claim with one citation, under `key`."""
    return [
        f"# {indent}{key}:",
        f"#   {indent}- text: {what}",
        f"#   {indent}  cite:",
        f"#   {indent}    - source: {source}",
        f"#   {indent}      quote: words copied verbatim from one paragraph of that source",
    ]


def _cite(source: str, indent: str) -> list[str]:
    return [
        f"#   {indent}cite:",
        f"#     {indent}- source: {source}",
        f"#       {indent}quote: words copied verbatim from one paragraph of that source",
    ]


CLAIMS_NOTE = (
    "# Uncomment and edit the keys you need. Each claim cites its sources verbatim: a quote is",
    "# words copied from one paragraph, list or table of content/sources/ID.txt (or .md).",
)


def _summit_lines(slug: str, name: str, ids: _ExampleIds) -> list[str]:
    source = ids.of("source")[0]
    people = ", ".join(ids.of("stakeholder", 2))
    return [
        "# A summit or meeting: set its name and status, then what is known of it.",
        *CLAIMS_NOTE,
        f"id: {slug}",
        f"name: {yaml_scalar(name)}",
        _line("aliases: [Other name]", "mentions of these names in the sources link here", commented=True),
        _line("kind: summit", _choices(Summit, "kind"), commented=True),
        _line("status: prospective", _choices(Summit, "status")),
        _line("start: 2019-02-27", "first day, YYYY-MM-DD", commented=True),
        _line("end: 2019-02-28", "last day; leave out for a one-day meeting", commented=True),
        "# duration: two days",
        "# place: City, Country",
        _line(f"participants: [{people}]", "stakeholder ids", commented=True),
        "# outcome: One line on how it ended.",
        *_claims("summary", source, "What happened, a paragraph per claim, in inline Markdown."),
        *_claims("key_outcomes", source, "What came of it."),
        *_claims("lessons", source, "What it teaches."),
        _line("proposals:", "proposals on the table", commented=True),
        f"#   - proposal: {ids.of('proposal')[0]}",
        "#     text: What happened to the proposal at this summit.",
        *_cite(source, "  "),
        _line("updated: 2026-01-01", "when the desk last revised this entry", commented=True),
    ]


def _proposal_lines(slug: str, title: str, ids: _ExampleIds) -> list[str]:
    source = ids.of("source")[0]
    stakeholder = ids.of("stakeholder")[0]
    return [
        "# A demand, concession, process or policy measure: set its title and category, then the",
        "# positions of the stakeholders and what stands in its way.",
        *CLAIMS_NOTE,
        f"id: {slug}",
        f"title: {yaml_scalar(title)}",
        _line(f"category: {literal_choices(Proposal, 'category')[0]}", _choices(Proposal, "category")),
        _line("status: open", _choices(Proposal, "status"), commented=True),
        _line(f"proposed_by: [{stakeholder}]", "stakeholder ids", commented=True),
        *_claims("summary", source, "What the proposal is, in inline Markdown."),
        _line("components:", "components or phases, in order", commented=True),
        "#   - name: Phase one",
        "#     text: What this phase asks of whom.",
        *_cite(source, "  "),
        "# positions:",
        f"#   - stakeholder: {stakeholder}",
        _line(
            f"    stance: {literal_choices(Position, 'stance')[0]}",
            _choices(Position, "stance"),
            commented=True,
        ),
        "#     text: Where they stand, and why.",
        *_cite(source, "  "),
        *_claims("obstacles", source, "What stands in its way."),
        _line("updated: 2026-01-01", "when the desk last revised this entry", commented=True),
    ]


def _stakeholder_lines(slug: str, name: str, ids: _ExampleIds) -> list[str]:
    source = ids.of("source")[0]
    return [
        "# A country, person or organisation: set its name and kind, then its role in the story.",
        *CLAIMS_NOTE,
        f"id: {slug}",
        f"name: {yaml_scalar(name)}",
        _line(f"kind: {literal_choices(Stakeholder, 'kind')[0]}", _choices(Stakeholder, "kind")),
        _line(
            "aliases: [Other name]",
            "mentions of the name and aliases in the sources link here",
            commented=True,
        ),
        "# role: One line on who they are in this story.",
        *_claims("summary", source, "What they did or said, in inline Markdown."),
        _line("updated: 2026-01-01", "when the desk last revised this entry", commented=True),
    ]


def _source_lines(slug: str, title: str, body: str) -> list[str]:
    return [
        f"# Metadata of {body}. Fill in what the text itself says and leave the rest empty:",
        "# never invent an author, date or address.",
        f"id: {slug}",
        f"title: {yaml_scalar(title)}",
        _line("author:", "as signed in the text"),
        "publisher:",
        _line("date:", "YYYY-MM-DD"),
        _line("url:", "https://..."),
        _line("kind: analysis", _choices(SourceMeta, "kind")),
        "language: en",
        _line("updated: 2026-01-01", "when the desk added or last revised this source", commented=True),
    ]
