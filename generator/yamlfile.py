"""Safe YAML loading that remembers where every value came from.

PyYAML's safe loader forgets node positions once it builds Python objects, so we build
the values ourselves from the parser's events, one position per value, and a wrong
value can be reported at `file:line:col`, not just a syntax error. Building from events
(instead of a composed node graph) keeps the work linear in the file and lets the
loader refuse, at their line, what has no place in a content file: aliases (`*name`,
which can expand a small file into billions of values), nesting deeper than any record
needs, control characters that escapes (`"\\x1b"`) produce, directives other than
`%YAML 1.x`, and any tag beyond plain data. The C and the pure-Python parsers give the
same verdict and the same position for the same file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from generator.errors import Location, Problem
from generator.textfile import forbidden_character, forbidden_character_problem, position

try:  # libyaml is several times faster when the wheel ships it
    SafeLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the platform's PyYAML build
    SafeLoader = yaml.SafeLoader

Path = tuple[str | int, ...]

#: How deep mappings and lists may nest; a record needs five levels (claim → cite → quote).
MAX_DEPTH = 20

#: The tags of plain data: anything else (`!!python/...`, local `!tags`) is refused.
SAFE_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
)
_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
#: A directive line before the document: only a YAML version directive has a meaning here.
_DIRECTIVE = re.compile(r"^%.*$", re.MULTILINE)
_VERSION_DIRECTIVE = re.compile(r"^%YAML[ \t]+1\.[12][ \t]*(?:#.*)?$")
_TRAILING_TAB = re.compile(r"[ \t]*\t[ \t]*$", re.MULTILINE)
#: A block scalar's header with a comment not set off by a space, which libyaml lets pass.
_BAD_BLOCK_HEADER = re.compile(r"[|>][-+0-9]*#")


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file with the position of each value and each mapping key."""

    file: str
    data: Any
    values: dict[Path, Location] = field(default_factory=dict)
    keys: dict[Path, Location] = field(default_factory=dict)

    def where(self, path: Path) -> Location:
        """The position of the value at `path`, or of its nearest enclosing value."""
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return found
        return Location(self.file)

    def where_key(self, path: Path) -> Location:
        """The position of the key that names `path`, falling back to its value."""
        return self.keys.get(path) or self.where(path)


def field_label(path: Path) -> str:
    """How a message names the value at `path`: `start`, `aliases item 2`, `cite item 1`."""
    if not path:
        return "the file"
    last = path[-1]
    if isinstance(last, int):
        owner = next((str(part) for part in reversed(path) if isinstance(part, str)), "list")
        return f"{owner} item {last + 1}"
    return str(last)


def parse_yaml(text: str, file: str, loader: type | None = None) -> tuple[YamlDocument | None, list[Problem]]:
    """Parse one YAML document; return it, or the problems that stop it.

    `loader` is the PyYAML loader class (the C one when available); tests pass both."""
    found = forbidden_character(text)
    if found is not None:  # raw control characters: the parsers would name an offset only
        line, column = position(text, found[0])
        return None, [forbidden_character_problem(Location(file, line, column), "", found[1])]
    directive = _bad_directive(text, file)
    if directive is not None:
        return None, [directive]
    chosen = loader or SafeLoader
    if "\t" in text:
        # The two parsers disagree on tabs between tokens (the pure-Python one refuses some
        # the spec allows): a tab at the end of a line is dropped, and a file with other
        # tabs is read by the pure-Python parser, so both ways give its verdict.
        text = _TRAILING_TAB.sub("", text)
        chosen = yaml.SafeLoader if "\t" in text else chosen
    try:
        return _build(text, file, chosen)
    except _Failed as failed:
        if chosen is yaml.SafeLoader:
            return None, [failed.problem]
    except _Doubtful:
        pass
    # libyaml words some errors differently, stops at other limits and scans further ahead
    # before it fails: the pure-Python parser (slower, but only for a file that fails anyway)
    # has the last word, so the verdict never depends on which parser is installed.
    try:
        return _build(text, file, yaml.SafeLoader)
    except _Failed as failed:
        return None, [failed.problem]


class _Doubtful(Exception):
    """libyaml accepted what the YAML spec refuses: the pure-Python parser decides."""


class _Failed(Exception):
    """A file that cannot be read: the one problem that says why."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def _build(text: str, file: str, loader: type) -> tuple[YamlDocument, list[Problem]]:
    builder = _Builder(file, loader(text), text if loader is not yaml.SafeLoader else None)
    try:
        data = builder.run()
    except yaml.MarkedYAMLError as error:
        raise _Failed(_syntax_problem(error, text, file)) from None
    except yaml.YAMLError as error:
        where = Location(file)
        offset = getattr(error, "position", None)
        if isinstance(offset, int):
            where = Location(file, *position(text, offset))
        problem = Problem(where, f"YAML error: {error}", "check the file is valid YAML", code="BRF001")
        raise _Failed(problem) from None
    except (ValueError, OverflowError) as error:  # e.g. an escape past U+10FFFF in the pure scanner
        mark = builder.loader.get_mark() if hasattr(builder.loader, "get_mark") else None
        where = Location(file, mark.line + 1, mark.column + 1) if mark is not None else Location(file)
        problem = Problem(
            where, f"YAML syntax error: {error}", "check the escapes in quoted text", code="BRF001"
        )
        raise _Failed(problem) from None
    finally:
        builder.loader.dispose()
    return YamlDocument(file, data, builder.values, builder.keys), builder.problems


_KEY = object()  # a mapping's next node is its next key
_DROPPED = object()  # the pending key was refused: its value is read and dropped


class _Open:
    """A mapping or list being filled, its path, and (for a mapping) the pending key."""

    __slots__ = ("container", "flow", "key", "path")

    def __init__(self, container: dict[str, Any] | list[Any], path: Path, flow: bool) -> None:
        self.container = container
        self.path = path
        self.flow = flow  # written in brackets
        self.key: Any = _KEY if isinstance(container, dict) else None


class _Builder:
    """Python values from the parser's events, with the position of each value and key."""

    def __init__(self, file: str, loader: Any, text: str | None = None) -> None:
        self.file = file
        self.loader = loader
        #: The text, when the parser is libyaml: to catch what it lets pass (see `_Doubtful`).
        self.text = text
        self.flows = 0  # how many of the open collections are written in brackets
        self.values: dict[Path, Location] = {}
        self.keys: dict[Path, Location] = {}
        self.problems: list[Problem] = []

    def run(self) -> Any:
        get = self.loader.get_event
        file, values = self.file, self.values
        scalar_event, end_events = yaml.ScalarEvent, (yaml.MappingEndEvent, yaml.SequenceEndEvent)
        starts = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
        documents = 0
        result: Any = None
        stack: list[_Open] = []
        skip = 0  # depth inside a subtree being dropped (a refused tag, a list as a key)
        while True:
            event = get()
            cls = event.__class__
            if cls in end_events:
                if skip:
                    skip -= 1
                    continue
                done = stack.pop()
                self.flows -= done.flow
                if stack:
                    self._place(stack[-1], done.container)
                else:
                    result = done.container
                continue
            if skip:
                skip += cls in starts
                continue
            if cls is not scalar_event and cls not in starts:
                if cls is yaml.StreamEndEvent:
                    return result
                if cls is yaml.AliasEvent:
                    raise _Failed(
                        Problem(
                            self._at(event),
                            f"YAML alias *{event.anchor} is not allowed in content files",
                            "write the value out in full where the alias stands (aliases can expand a "
                            "small file without bound)",
                            code="BRF041",
                        )
                    )
                if cls is yaml.DocumentStartEvent:
                    documents += 1
                    if documents > 1:
                        raise _Failed(
                            Problem(
                                self._at(event),
                                "YAML syntax error: a content file holds one document, but '---' "
                                "starts another",
                                "remove the second '---' line, or move what follows it to a file of its own",
                                code="BRF001",
                            )
                        )
                continue  # the stream's and documents' own start and end
            mark = event.start_mark
            where = Location(file, mark.line + 1, mark.column + 1)
            if self.text is not None and cls is scalar_event and self._doubtful(event):
                raise _Doubtful
            parent = stack[-1] if stack else None
            if parent is not None and parent.key is _KEY:
                parent.key = self._key(event, parent, where)
                if parent.key is _DROPPED and cls is not scalar_event:
                    skip = 1
                continue
            if parent is None:
                path: Path = ()
            elif parent.key is None:
                path = (*parent.path, len(parent.container))
            else:
                path = (*parent.path, parent.key)
            if cls is scalar_event and not event.value and not event.style and event.tag is None:
                # An empty value: the parsers place it differently (after the key, or where
                # the next token starts); ours is the key's place, or the list's.
                where = self.keys.get(path) or values.get(path[:-1], Location(file, 1, 1))
            if parent is None or parent.key is not _DROPPED:
                values[path] = where
            if cls is scalar_event:
                value = self._scalar(event, path, where)
                if parent is None:
                    result = value
                else:
                    self._place(parent, value)
                continue
            if len(stack) >= MAX_DEPTH:
                raise _Failed(
                    Problem(
                        where,
                        f"lists and mappings nest more than {MAX_DEPTH} levels deep here",
                        "a briefing record needs five levels at most: check the indentation",
                        code="BRF042",
                    )
                )
            is_map = cls is yaml.MappingStartEvent
            tag = event.tag
            if tag is not None and tag != "!" and tag != ("tag:yaml.org,2002:map" if is_map else _SEQ):
                self._refuse_tag(tag, where)
                skip = 1  # its items are dropped; the value reads as empty
                if parent is not None:
                    self._place(parent, None)
                continue
            stack.append(_Open({} if is_map else [], path, bool(event.flow_style)))
            self.flows += bool(event.flow_style)

    def _doubtful(self, event: Any) -> bool:
        """Whether libyaml may have read this scalar otherwise than the spec says: a bare
        `!` tag, a `?` in a plain scalar inside brackets, a block header with a comment
        stuck to it."""
        assert self.text is not None
        if event.tag == "!":
            return True
        if not event.style:
            return "?" in event.value and self.flows > 0
        return event.style in ("|", ">") and bool(_BAD_BLOCK_HEADER.match(self.text, event.start_mark.index))

    @staticmethod
    def _place(parent: _Open, value: Any) -> None:
        container = parent.container
        if isinstance(container, list):
            container.append(value)
            return
        if parent.key is not _DROPPED:
            container[parent.key] = value
        parent.key = _KEY

    def _key(self, event: Any, parent: _Open, where: Location) -> Any:
        """A mapping key: its text as written (`1`, `yes`, `<<` included), checked once."""
        if event.__class__ is not yaml.ScalarEvent:
            self.problems.append(
                Problem(where, "a key must be a plain name", "write keys as `name:`", code="BRF016")
            )
            return _DROPPED
        if event.tag is not None and self.text is not None:  # a tagged key: rare, read strictly
            raise _Doubtful
        key: str = event.value
        if (
            not key and not event.style and event.tag is None
        ):  # an empty key: placed, like an empty value, at its mapping
            where = self.values.get(parent.path, where)
        found = forbidden_character(key) if event.style == '"' else None
        if found is not None:
            self.problems.append(forbidden_character_problem(where, "a key", found[1]))
            return _DROPPED
        if key in parent.container:
            self.problems.append(
                Problem(
                    where,
                    f"duplicate key {key!r}",
                    "a key may appear once per mapping; remove or merge the repeated one",
                    code="BRF002",
                )
            )
            return _DROPPED
        self.keys[(*parent.path, key)] = where
        return key

    def _scalar(self, event: Any, path: Path, where: Location) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == _STR:
            # Only escapes in double quotes can make a character the raw text did not hold.
            found = forbidden_character(event.value) if event.style == '"' else None
            if found is not None:
                self.problems.append(forbidden_character_problem(where, field_label(path), found[1]))
                return None
            return event.value
        if tag not in SAFE_TAGS:
            self._refuse_tag(tag, where)
            return None
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self.loader.yaml_constructors[tag](self.loader, node)
        except (yaml.YAMLError, ValueError, OverflowError):
            label = field_label(path)
            if tag.endswith(":timestamp"):
                message, hint, code = (
                    f"{label}: {_shown(event.value)} is not a real date",
                    "write a real date as YYYY-MM-DD",
                    "BRF015",
                )
            else:
                message, hint, code = (
                    f"{label}: {_shown(event.value)} cannot be read",
                    "put the value in quotes",
                    "BRF020",
                )
            self.problems.append(Problem(where, message, hint, code=code))
            return None

    def _refuse_tag(self, tag: str, where: Location) -> None:
        if self.text is not None:  # libyaml reads odd tags more leniently than the spec
            raise _Doubtful
        shown = tag.replace("tag:yaml.org,2002:", "!!")
        hint = "remove the tag: content holds plain text, numbers, dates, lists and mappings"
        self.problems.append(Problem(where, f"YAML tag {shown!r} is not allowed", hint, code="BRF003"))

    def _at(self, event: Any) -> Location:
        mark = event.start_mark
        return Location(self.file, mark.line + 1, mark.column + 1)


def _shown(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _bad_directive(text: str, file: str) -> Problem | None:
    """A directive line before the document other than `%YAML 1.1`/`1.2`, as a problem.

    The two parsers disagree on unknown directives (one warns, one fails), so the rule is
    ours: directives only stand before the first `---`, at the start of a line."""
    for match in _DIRECTIVE.finditer(text):
        before = text[: match.start()]
        if any(line.strip() and not line.lstrip().startswith("#") for line in before.splitlines()):
            return None  # the document has begun: a '%' line there is the parser's business
        line = before.count("\n") + 1
        if not _VERSION_DIRECTIVE.match(match.group(0)):
            shown = match.group(0)[:40]
            return Problem(
                Location(file, line, 1),
                f"YAML directive {shown!r} is not allowed here",
                "remove the line: content files need no directives (only `%YAML 1.2` is accepted)",
                code="BRF001",
            )
    return None


def _syntax_problem(error: yaml.MarkedYAMLError, text: str, file: str) -> Problem:
    mark = error.problem_mark or error.context_mark
    where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
    message = " ".join(part for part in (error.context, error.problem) if part)
    lines = text.splitlines()
    has_tab = mark is not None and mark.line < len(lines) and "\t" in lines[mark.line]
    hint = "YAML indents with spaces, not tabs" if has_tab else _syntax_hint(message)
    return Problem(where, f"YAML syntax error: {message}", hint, code="BRF001")


def _syntax_hint(message: str) -> str:
    if "mapping values are not allowed" in message:
        return "a value containing ': ' must be quoted, e.g. text: \"Hanoi: no deal\""
    if "could not find expected ':'" in message or "expected <block end>" in message:
        return "check the indentation of this line against the lines above it"
    return "check the quoting and indentation around this position"
