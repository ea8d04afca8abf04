"""Validate: raw records → typed models, with problems at `file:line:col`.

pydantic checks each record against its schema; its errors carry the path of the bad
value, which the YAML document maps back to a line and column. Messages say what is
wrong and how to fix it, with a did-you-mean for misspelt keys and values.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from slugify import slugify

from generator.contentfiles import Kind
from generator.errors import Problem, closest
from generator.load import LoadedContent, SourceBody
from generator.markdown import unsafe_links
from generator.model import InlineMarkdown, Proposal, Record, SourceMeta, Stakeholder, Summit
from generator.yamlfile import Path, YamlDocument, field_label

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R", bound=Record)

SCHEMAS: dict[Kind, type[Record]] = {
    "summit": Summit,
    "proposal": Proposal,
    "stakeholder": Stakeholder,
    "source": SourceMeta,
}


@dataclass(frozen=True)
class Entry(Generic[R]):
    """A validated record and the document it came from (for positions)."""

    model: R
    document: YamlDocument


@dataclass(frozen=True)
class Source:
    """A validated source: metadata, body blocks, and where the metadata came from."""

    meta: SourceMeta
    body: SourceBody
    document: YamlDocument


@dataclass(frozen=True)
class ValidatedContent:
    """Typed content, each kind sorted by id."""

    summits: tuple[Entry[Summit], ...]
    proposals: tuple[Entry[Proposal], ...]
    stakeholders: tuple[Entry[Stakeholder], ...]
    sources: tuple[Source, ...]
    #: Results by file, kept with the document they came from, so that the next validation
    #: reuses them for documents the loader did not parse again (the same object).
    checked: Mapping[str, tuple[YamlDocument, Any, list[Problem]]] = field(
        default_factory=dict, compare=False, repr=False
    )


def validate(
    content: LoadedContent, previous: ValidatedContent | None = None
) -> tuple[ValidatedContent, list[Problem]]:
    """Check every record against its schema; drop the invalid ones, report them all."""
    problems: list[Problem] = []
    before = previous.checked if previous is not None else {}
    checked: dict[str, tuple[YamlDocument, Any, list[Problem]]] = {}
    by_kind: dict[Kind, list[Entry[Any]]] = {kind: [] for kind in SCHEMAS}
    for record in content.records:
        hit = before.get(record.document.file)
        if hit is not None and hit[0] is record.document:
            model, found = hit[1], hit[2]
        else:
            model, found = validate_document(SCHEMAS[record.kind], record.document)
        checked[record.document.file] = (record.document, model, found)
        problems += found
        if model is not None:
            by_kind[record.kind].append(Entry(model, record.document))
    for kind, entries in by_kind.items():
        problems += _duplicate_ids(kind, entries)
    sources = tuple(
        Source(entry.model, content.bodies[entry.document.file], entry.document)
        for entry in _unique(by_kind["source"])
        if entry.document.file in content.bodies
    )
    validated = ValidatedContent(
        summits=tuple(_unique(by_kind["summit"])),
        proposals=tuple(_unique(by_kind["proposal"])),
        stakeholders=tuple(_unique(by_kind["stakeholder"])),
        sources=tuple(sorted(sources, key=lambda s: s.meta.id)),
        checked=checked,
    )
    return validated, problems


def validate_document(schema: type[M], document: YamlDocument) -> tuple[M | None, list[Problem]]:
    """Validate one YAML document against `schema`; every error gets a position."""
    if not isinstance(document.data, dict):
        fields = ", ".join(schema.model_fields)
        where = document.where(())
        return None, [
            Problem(
                where, "expected a mapping of keys to values", f"this file's keys: {fields}", code="BRF016"
            )
        ]
    try:
        model = schema.model_validate(document.data)
    except ValidationError as error:
        return None, [_problem(schema, document, e) for e in error.errors(include_url=False)]
    return model, list(_unsafe_link_problems(model, (), document))


def _problem(schema: type[BaseModel], document: YamlDocument, error: Any) -> Problem:
    path: Path = tuple(p for p in error["loc"] if isinstance(p, (str, int)))
    kind = error["type"]
    value = error.get("input")
    owner = _model_at(schema, path[:-1])
    field = path[-1] if path else ""
    if kind == "extra_forbidden":
        allowed = list(owner.model_fields) if owner else []
        hint = _did_you_mean(str(field), allowed) + f"allowed keys here: {', '.join(allowed)}"
        return Problem(document.where_key(path), f"unknown key {field!r}", hint, code="BRF010")
    if kind == "missing":
        return Problem(
            document.where(path[:-1]),
            f"missing required key {field!r}",
            _example_hint(owner, field),
            code="BRF011",
        )
    where = document.where(path)
    shown = _shown(value)
    label = field_label(path)
    if kind == "literal_error":
        choices = _literal_choices(owner, field)
        hint = _did_you_mean(str(value), choices) + f"use one of: {', '.join(choices)}"
        return Problem(where, f"{label}: {shown} is not one of the choices", hint, code="BRF013")
    if kind == "string_pattern_mismatch":
        if field in ("id", "source", "proposal", "stakeholder") or _is_id_list(path):
            suggestion = slugify(str(value))
            hint = "ids use lower-case letters, digits and single hyphens"
            hint += f", e.g. {suggestion!r}" if suggestion else ""
            return Problem(where, f"{label}: {shown} is not a valid id", hint, code="BRF014")
        if field in ("url", "base_url"):
            return Problem(
                where,
                f"{label}: {shown} is not an http(s) URL",
                "write a full address starting with https://",
                code="BRF018",
            )
        if field == "language":
            hint = "use a language code such as en, fr, ko or pt-BR"
            return Problem(where, f"{label}: {shown} is not a language code", hint, code="BRF020")
        return Problem(where, f"{label}: {shown} is not valid here", str(error["msg"]), code="BRF020")
    if kind == "url_host":
        return Problem(
            where,
            f"{label}: {shown} is refused: {error['msg']}",
            "retype the address by hand, or copy it from the site's own address bar",
            code="BRF018",
        )
    if kind == "date_order":
        return Problem(where, f"{label}: {error['msg']}", "check the two dates", code="BRF020")
    if kind.startswith(("date_", "datetime_")):
        return Problem(
            where,
            f"{label}: {shown} is not a date",
            "write dates as YYYY-MM-DD, e.g. 2019-02-27, or leave empty",
            code="BRF015",
        )
    if kind in ("tuple_type", "list_type"):
        return Problem(
            where,
            f"{label}: expected a list",
            "write each item on its own line, starting with '- '",
            code="BRF016",
        )
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return Problem(
            where,
            f"{label}: expected a mapping of keys to values"
            if path
            else "expected a mapping of keys to values",
            _example_hint(_model_at(schema, path), ""),
            code="BRF016",
        )
    if kind == "string_too_short":
        return Problem(
            where,
            f"{label}: the value is empty",
            "write a value, or remove the key if it is optional",
            code="BRF017",
        )
    if kind == "string_too_long":
        limit = (error.get("ctx") or {}).get("max_length", 0)
        return Problem(
            where,
            f"{label}: {len(str(value)):,} characters long, more than the {limit:,} allowed",
            "shorten it: keep names and titles to a line, and split long text into several claims",
            code="BRF044",
        )
    if kind == "string_type":
        return Problem(where, f"{label}: {shown} must be text", "put the value in quotes", code="BRF016")
    if kind == "value_error":
        return Problem(where, f"{label}: {error['msg'].removeprefix('Value error, ')}", "", code="BRF020")
    return Problem(where, f"{label}: {error['msg']}", "", code="BRF020")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _did_you_mean(value: str, choices: list[str]) -> str:
    close = closest(value, choices)
    return f"did you mean {close!r}? " if close else ""


def _model_at(schema: type[BaseModel], path: Path) -> type[BaseModel] | None:
    """The model class that holds the value at `path` inside `schema`."""
    current: Any = schema
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _inner_model(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _literal_choices(owner: type[BaseModel] | None, field: str | int) -> list[str]:
    if owner is None or not isinstance(field, str) or field not in owner.model_fields:
        return []
    return [str(v) for v in _literal_values(owner.model_fields[field].annotation)]


def _literal_values(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    return [v for arg in typing.get_args(annotation) for v in _literal_values(arg)]


def _is_id_list(path: Path) -> bool:
    return len(path) >= 2 and isinstance(path[-1], int) and path[-2] in ("participants", "proposed_by")


def _example_hint(owner: type[BaseModel] | None, field: str | int) -> str:
    if owner is None:
        return ""
    if field:
        choices = _literal_choices(owner, field)
        if choices:
            return f"add `{field}: {choices[0]}` (one of: {', '.join(choices)})"
        return f"add `{field}: ...`"
    required = [name for name, info in owner.model_fields.items() if info.is_required()]
    return f"required keys: {', '.join(required)}" if required else ""


def _unsafe_link_problems(model: BaseModel, path: Path, document: YamlDocument) -> Iterator[Problem]:
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, str) and _is_markdown(info.annotation, info.metadata):
            for href, reason in unsafe_links(value):
                where, label = document.where((*path, name)), field_label((*path, name))
                if reason:
                    yield Problem(
                        where,
                        f"{label}: link to {_shown(href)} is refused: {reason}",
                        "retype the address by hand, or copy it from the site's own address bar",
                        code="BRF018",
                    )
                else:
                    yield Problem(
                        where,
                        f"{label}: link to {_shown(href)} is not allowed",
                        "links in content must be absolute http(s):// or mailto: addresses",
                        code="BRF019",
                    )
        elif isinstance(value, BaseModel):
            yield from _unsafe_link_problems(value, (*path, name), document)
        elif isinstance(value, tuple):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from _unsafe_link_problems(item, (*path, name, index), document)


def _is_markdown(annotation: Any, metadata: list[Any]) -> bool:
    if any(isinstance(m, InlineMarkdown) for m in metadata):
        return True
    if typing.get_origin(annotation) is typing.Annotated:
        return any(isinstance(m, InlineMarkdown) for m in annotation.__metadata__)
    return any(_is_markdown(arg, []) for arg in typing.get_args(annotation))


def _duplicate_ids(kind: Kind, entries: list[Entry[Any]]) -> list[Problem]:
    first: dict[str, Entry[Any]] = {}
    problems = []
    for entry in entries:
        ident = entry.model.id
        if ident in first:
            other = first[ident].document.where(("id",))
            problems.append(
                Problem(
                    entry.document.where(("id",)),
                    f"duplicate {kind} id {ident!r}: also defined at {other}",
                    "give each file its own id",
                    code="BRF021",
                )
            )
        else:
            first[ident] = entry
    return problems


def _unique(entries: list[Entry[Any]]) -> list[Entry[Any]]:
    """Entries sorted by id, keeping the first of each id (the rest were reported)."""
    seen: dict[str, Entry[Any]] = {}
    for entry in entries:
        seen.setdefault(entry.model.id, entry)
    return [seen[key] for key in sorted(seen)]
