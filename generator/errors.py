"""Problems found in the content, and the one exception that carries them.

Every stage collects problems instead of stopping at the first, so the author sees
everything wrong with a build at once. The CLI turns `BriefingError` into exit 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the content: where, what, and how to fix it."""

    location: Location
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.location}: error: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
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
