"""Problems found in the content, and the one exception that carries them.

Every stage collects problems instead of stopping at the first, so the author sees
everything wrong with a build at once. The CLI turns `BriefingError` into exit 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

#: Characters a terminal could act on (C0 and C1 controls, DEL) or that reorder what it
#: shows (bidirectional overrides and isolates): never printed raw, whatever a message echoes.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` safe to print on a terminal: every control character as a `\\xNN`-style escape."""
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


@dataclass(frozen=True, order=True)
class Location:
    """A position in a content file; line and column are 1-based, 0 when unknown."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col}"
        return self.file


#: Every error code and its name. Codes are stable: a code is never reused for another
#: error. docs/errors.md shows an example and the fix for each.
CODES: dict[str, str] = {
    "BRF001": "yaml-syntax",
    "BRF002": "duplicate-key",
    "BRF003": "unsafe-yaml-tag",
    "BRF004": "unreadable-file",
    "BRF005": "empty-file",
    "BRF006": "source-without-metadata",
    "BRF007": "source-without-text",
    "BRF008": "content-folder-missing",
    "BRF010": "unknown-key",
    "BRF011": "missing-key",
    "BRF012": "unknown-reference",
    "BRF013": "invalid-choice",
    "BRF014": "invalid-id",
    "BRF015": "invalid-date",
    "BRF016": "wrong-type",
    "BRF017": "empty-value",
    "BRF018": "invalid-url",
    "BRF019": "unsafe-link",
    "BRF020": "invalid-value",
    "BRF021": "duplicate-id",
    "BRF022": "listed-twice",
    "BRF023": "ambiguous-name",
    "BRF024": "quote-not-found",
    "BRF030": "template-error",
    "BRF031": "output-refused",
    "BRF032": "config-not-found",
    "BRF033": "port-unavailable",
    "BRF034": "no-such-folder",
    "BRF040": "control-character",
    "BRF041": "yaml-alias",
    "BRF042": "nesting-too-deep",
    "BRF043": "file-too-large",
    "BRF044": "value-too-long",
}


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the content: where, what, how to fix it, and its stable code."""

    location: Location
    message: str
    hint: str = ""
    code: str = field(default="", kw_only=True)

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown error code {self.code!r}")

    @property
    def name(self) -> str:
        """The code's name, e.g. unknown-reference."""
        return CODES[self.code]

    def __str__(self) -> str:
        # Messages echo content (names, quotes, file names): escape what a terminal would act on.
        text = printable(f"{self.location}: error: {self.message} [{self.code} {self.name}]")
        if self.hint:
            text += f"\n    hint: {printable(self.hint)}"
        return text


class BriefingError(Exception):
    """The build cannot go on; carries every problem found so far."""

    def __init__(self, problems: list[Problem], summary: str = "") -> None:
        self.problems = sorted(problems)
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        self.summary = summary or f"build failed: {count} {noun}; the output directory was left as it was"
        super().__init__(self.summary)

    def report(self) -> str:
        """Every problem, then the summary line: what the terminal and the overlay show."""
        return "\n".join([*(str(p) for p in self.problems), self.summary])


def closest(value: str, choices: Iterable[str]) -> str | None:
    """The choice most like `value`, if one is alike enough to suggest ("did you mean").

    Only problems need it, so rapidfuzz is loaded on the first call, not by every build."""
    from rapidfuzz import fuzz, process

    found = process.extractOne(value, list(choices), scorer=fuzz.ratio, score_cutoff=60)
    return str(found[0]) if found else None


def relative_name(path: Path, root: Path) -> str:
    """The path as the author knows it: relative to the project root when inside it."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        pass
    try:  # resolving is slow: only when the plain path is not inside
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
