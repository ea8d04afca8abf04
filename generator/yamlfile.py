"""Safe YAML loading that remembers where every value came from.

PyYAML's safe loader forgets node positions once it builds Python objects; we compose
the node graph ourselves so that a wrong value can be reported at `file:line:col`,
not just a syntax error. Only safe-loader tags are ever constructed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from generator.errors import Location, Problem

try:  # libyaml is several times faster when the wheel ships it
    SafeLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the platform's PyYAML build
    SafeLoader = yaml.SafeLoader

Path = tuple[str | int, ...]


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


def parse_yaml(text: str, file: str) -> tuple[YamlDocument | None, list[Problem]]:
    """Parse one YAML document; return it, or the syntax problems that stop it."""
    loader = SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        message = " ".join(part for part in (error.context, error.problem) if part)
        lines = text.splitlines()
        has_tab = mark is not None and mark.line < len(lines) and "\t" in lines[mark.line]
        hint = "YAML indents with spaces, not tabs" if has_tab else _syntax_hint(message)
        return None, [Problem(where, f"YAML syntax error: {message}", hint, code="BRF001")]
    except yaml.YAMLError as error:
        return None, [
            Problem(Location(file), f"YAML error: {error}", "check the file is valid YAML", code="BRF001")
        ]
    finally:
        loader.dispose()
    document = YamlDocument(file, None)
    if node is None:
        return document, []
    problems: list[Problem] = []
    data = _build(node, (), document, loader, problems)
    return YamlDocument(file, data, document.values, document.keys), problems


#: The tags of plain data: anything else (`!!python/...`, local `!tags`) is refused.
SAFE_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
)


def _build(node: yaml.Node, path: Path, doc: YamlDocument, loader: Any, problems: list[Problem]) -> Any:
    doc.values[path] = _location(doc.file, node)
    if node.tag not in SAFE_TAGS:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        hint = "remove the tag: content holds plain text, numbers, dates, lists and mappings"
        problems.append(Problem(doc.values[path], f"YAML tag {tag!r} is not allowed", hint, code="BRF003"))
        return None
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _build_scalar_key(key_node, loader)
            if key in result:
                problems.append(
                    Problem(
                        _location(doc.file, key_node),
                        f"duplicate key {key!r}",
                        "a key may appear once per mapping; remove or merge the repeated one",
                        code="BRF002",
                    )
                )
                continue
            child = (*path, key)
            doc.keys[child] = _location(doc.file, key_node)
            result[key] = _build(value_node, child, doc, loader, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), doc, loader, problems) for i, item in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError):
        if node.tag.endswith(":timestamp"):
            message, hint, code = (
                f"{node.value!r} is not a valid date",
                "write a real date as YYYY-MM-DD",
                "BRF015",
            )
        else:
            message, hint, code = f"{node.value!r} cannot be read", "put the value in quotes", "BRF020"
        problems.append(Problem(doc.values[path], message, hint, code=code))
        return None


def _build_scalar_key(node: yaml.Node, loader: Any) -> Any:
    # Keys are names: take their text as written (`1`, `yes`, `<<` included).
    return node.value if isinstance(node, yaml.ScalarNode) else f"<{node.id} key>"


def _location(file: str, node: yaml.Node) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


def _syntax_hint(message: str) -> str:
    if "mapping values are not allowed" in message:
        return "a value containing ': ' must be quoted, e.g. text: \"Hanoi: no deal\""
    if "could not find expected ':'" in message or "expected <block end>" in message:
        return "check the indentation of this line against the lines above it"
    return "check the quoting and indentation around this position"
