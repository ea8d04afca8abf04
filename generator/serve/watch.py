"""Watching the project for saves: classify, debounce, and hand over one change set.

Editors save in many ways (write in place, write a temporary file and rename it over the
original, delete and re-create, with swap and backup files on the side), so directories
are watched rather than files, editor leftovers are ignored, and events are debounced:
one burst of events, however many, becomes one change set with the last event per path.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from generator.config import Config
from generator.contentfiles import is_ignored

ChangeKind = Literal["content", "template", "static", "config"]
#: Editors finish a save (temporary file, renames, backup deleted) within a few
#: milliseconds, and a checkout of many files within tens: this much quiet ends a burst.
QUIET_SECONDS = 0.03
#: Event types that mean a file's bytes or presence may have changed; reads ("opened",
#: "closed_no_write") are not changes, and the build itself reads every file.
CHANGE_EVENTS = frozenset({"created", "modified", "deleted", "moved", "closed"})


@dataclass(frozen=True)
class ChangeSet:
    """What changed in one burst of events: the kind of the last event per path."""

    paths: tuple[tuple[str, ChangeKind], ...]

    @property
    def kinds(self) -> frozenset[ChangeKind]:
        return frozenset(kind for _, kind in self.paths)


def classify(path: Path, config: Config) -> ChangeKind | None:
    """The kind of input `path` is, or None when it is not an input (or an editor file)."""
    if is_ignored(path):
        return None
    absolute = path.absolute()
    if absolute == config.config_file:
        return "config"
    if _inside(absolute, config.output_dir):
        return None
    static = config.templates_dir / "static"
    if _inside(absolute, static):
        return "static"
    if _inside(absolute, config.templates_dir):
        return "template"
    if _inside(absolute, config.content_dir):
        return "content"
    return None


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


class Debouncer:
    """Collects events until none has come for `quiet` seconds (or `longest` has passed
    since the first), then releases them as one change set. Pure: the caller gives the
    time, so it can be tested without sleeping."""

    def __init__(self, quiet: float = QUIET_SECONDS, longest: float = 2.0) -> None:
        self.quiet = quiet
        self.longest = longest
        self._pending: dict[str, ChangeKind] = {}
        self._first = 0.0
        self._last = 0.0

    def add(self, path: str, kind: ChangeKind, now: float) -> None:
        if not self._pending:
            self._first = now
        self._pending.pop(path, None)  # keep the last event per path, in event order
        self._pending[path] = kind
        self._last = now

    def wait(self, now: float) -> float | None:
        """Seconds until the pending changes are due; None when nothing is pending."""
        if not self._pending:
            return None
        return max(0.0, min(self._last + self.quiet, self._first + self.longest) - now)

    def take(self, now: float) -> ChangeSet | None:
        """The change set if it is due, else None."""
        wait = self.wait(now)
        if wait is None or wait > 0:
            return None
        changes = ChangeSet(tuple(sorted(self._pending.items())))
        self._pending = {}
        return changes


class _Forward(FileSystemEventHandler):
    def __init__(self, events: queue.Queue[tuple[str, float]]) -> None:
        self.events = events

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in CHANGE_EVENTS or (event.is_directory and event.event_type == "modified"):
            return
        now = time.monotonic()
        self.events.put((str(event.src_path), now))
        dest = getattr(event, "dest_path", "")
        if dest:
            self.events.put((str(dest), now))


class ProjectWatcher:
    """Watches the inputs of a build and calls `on_change` with each debounced change set,
    one at a time, on its own thread (events during a rebuild wait for the next one)."""

    def __init__(
        self, config: Config, on_change: Callable[[ChangeSet], object], quiet: float = QUIET_SECONDS
    ) -> None:
        self.config = config
        self.on_change = on_change
        self.debouncer = Debouncer(quiet)
        self._events: queue.Queue[tuple[str, float]] = queue.Queue()
        self._observer = Observer()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="briefing-rebuild", daemon=True)

    def start(self) -> None:
        handler = _Forward(self._events)
        recursive = [self.config.content_dir, self.config.templates_dir]
        for folder in recursive:
            if folder.is_dir():
                self._observer.schedule(handler, str(folder), recursive=True)
        # The config file is watched through its folder: editors replace it by renaming.
        self._observer.schedule(handler, str(self.config.config_file.parent), recursive=False)
        self._observer.start()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._observer.stop()
        self._observer.join(timeout=2)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            timeout = self.debouncer.wait(time.monotonic())
            try:
                path, at = self._events.get(timeout=0.2 if timeout is None else max(timeout, 0.001))
            except queue.Empty:
                pass
            else:
                kind = classify(Path(path), self.config)
                if kind is not None:
                    self.debouncer.add(path, kind, at)
            changes = self.debouncer.take(time.monotonic())
            if changes is not None:
                self.on_change(changes)
