"""What `briefing build` prints: a progress bar while a long build renders, then a short
table of what was built and where the time went.

The bar appears only once a build has run for a second, and only on an interactive
terminal; elsewhere (CI logs, pipes) a long build prints a plain line at each quarter.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import TextIO

#: A build shorter than this shows no progress at all.
QUIET_SECONDS = 1.0
_REDRAW_SECONDS = 0.1
_BAR_WIDTH = 30


class Progress:
    """Reports pages rendered so far to `stream`."""

    def __init__(
        self, stream: TextIO, interactive: bool | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stream = stream
        self.interactive = is_interactive(stream) if interactive is None else interactive
        self._now = clock
        self._start = clock()
        self._drawn = 0.0
        self._quarter = 0
        self._bar = False

    def __call__(self, done: int, total: int) -> None:
        now = self._now()
        if total <= 0 or now - self._start < QUIET_SECONDS:
            return
        if self.interactive:
            if done == total or now - self._drawn >= _REDRAW_SECONDS:
                self._drawn = now
                self._draw(done, total)
            return
        quarter = done * 4 // total
        if quarter > self._quarter:
            self._quarter = quarter
            self.stream.write(f"rendered {done} of {total} files\n")
            self.stream.flush()

    def finish(self) -> None:
        """Clear the bar, so that the summary starts on a clean line."""
        if self._bar:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._bar = False

    def _draw(self, done: int, total: int) -> None:
        filled = _BAR_WIDTH * done // total
        bar = "█" * filled + "░" * (_BAR_WIDTH - filled)
        self.stream.write(f"\r\033[Krendering {bar} {done}/{total} files")
        self.stream.flush()
        self._bar = True


def is_interactive(stream: TextIO) -> bool:
    """A terminal a person watches: not a pipe, not CI, not a dumb terminal."""
    isatty = getattr(stream, "isatty", None)
    return bool(
        isatty is not None and isatty() and not os.environ.get("CI") and os.environ.get("TERM", "") != "dumb"
    )


def summary_table(
    pages_by_kind: Mapping[str, int],
    citations: int,
    written: int,
    unchanged: int,
    removed: int,
    seconds: Mapping[str, float],
) -> str:
    """The table printed after a build: pages by kind, citations, files, time per stage."""
    rows: list[tuple[str, str]] = [(f"{kind} pages", str(count)) for kind, count in pages_by_kind.items()]
    rows += [
        ("citations verified", str(citations)),
        ("files written", str(written)),
        ("files unchanged", str(unchanged)),
        ("files removed", str(removed)),
    ]
    times = [(stage, _duration(value)) for stage, value in seconds.items()]
    times.append(("total", _duration(sum(seconds.values()))))
    width = max(len(label) for label, _ in rows + times)
    number = max(len(value) for _, value in rows + times)
    lines = [f"  {label:<{width}}  {value:>{number}}" for label, value in rows]
    lines.append("")
    lines += [f"  {stage:<{width}}  {value:>{number}}" for stage, value in times]
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"
