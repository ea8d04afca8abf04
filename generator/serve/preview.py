"""`briefing serve` and `briefing build --watch`: rebuild on every change set.

Each change set leads to exactly one rebuild: content is re-read and re-linked, only the
pages whose inputs changed are rendered again, and the browser is told to reload once
the new site is in place (or to swap the stylesheet when only CSS changed). A failed
rebuild keeps the last good site and shows its problems in the terminal and over the
page, until the next good build clears them.

`serve` builds into a folder of its own under the cache (`PREVIEW_FOLDER`), never into
the configured output: its pages carry local addresses (canonical links, sitemap, feed),
and a `site/` a user publishes by hand must never hold those. `build --watch` is for a
server of the user's own, so it keeps writing the configured output.
"""

from __future__ import annotations

import errno
import shutil
import signal
import sys
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from generator.build import BuildState, no_collector_pauses, rebuild
from generator.cache import CACHE_FOLDER
from generator.config import Config, load_config
from generator.contentfiles import KIND_FOLDERS, Kind
from generator.errors import BriefingError, Location, Problem, relative_name
from generator.render import make_environment
from generator.search import refresh_index
from generator.serve.server import PreviewServer, PreviewState
from generator.serve.watch import ChangeSet, ProjectWatcher
from generator.write import WriteReport

#: Pages that gather every summit or proposal: after an edit they are written once the
#: other pages are, and the browser has been told to reload those.
GATHERING_PAGES = frozenset({"book/index.html", "compare/index.html", "timeline/index.html"})
#: Seconds without a rebuild before the search index is refreshed.
INDEX_AFTER_IDLE = 1.0
#: Where `briefing serve` builds, relative to the folder of config.yaml: inside the
#: git-ignored cache, outside every folder the watcher reads, and kept between sessions
#: so that the next one hard-links its unchanged files instead of writing them again.
PREVIEW_FOLDER = CACHE_FOLDER / "preview"


@dataclass(frozen=True)
class Overrides:
    """Command-line options that take precedence over config.yaml."""

    content: Path | None = None
    out: Path | None = None
    base_url: str | None = None


def preview_folder(config_path: Path) -> Path:
    """The folder `briefing serve` builds into and serves for the project of `config_path`."""
    return config_path.resolve().parent / PREVIEW_FOLDER


def touched_kinds(changes: ChangeSet, config: Config) -> set[Kind]:
    """The kinds whose content folders `changes` touched: all of them for a change
    anywhere else in the content folder (a folder renamed, say)."""
    touched: set[Kind] = set()
    for path, kind in changes.paths:
        if kind != "content":
            continue
        where = Path(path).absolute()
        for each, folder in KIND_FOLDERS.items():
            if (config.content_dir / folder) in where.parents:
                touched.add(each)
                break
        else:
            return set(KIND_FOLDERS)
    return touched


class LivePreview:
    """Keeps the last good build and rebuilds from it on each change set."""

    def __init__(
        self,
        config_path: Path,
        overrides: Overrides,
        state: PreviewState | None = None,
        swap_guard: threading.Lock | None = None,
        log: Callable[[str], None] = print,
    ) -> None:
        self.config_path = config_path
        self.overrides = overrides
        self.config = self._load_config()
        self.env = make_environment(self.config.templates_dir)
        self.state = state or PreviewState()
        self.swap_guard = swap_guard or threading.Lock()
        self.log = log
        self.last_good: BuildState | None = None
        self.rebuilds = 0
        self._index_wanted = threading.Event()
        #: Content kinds whose folders changed since the last good build; None until one.
        self._touched: set[Kind] | None = None
        #: Whether the last build failed: until one succeeds, every rebuild reads the
        #: content again (a stylesheet saved meanwhile must not pass for a good build).
        self._failing = False
        self._config_failing = False
        self._indexer: threading.Thread | None = None

    def _load_config(self) -> Config:
        o = self.overrides
        return load_config(self.config_path, o.content, o.out, o.base_url)

    def build_all(self) -> bool:
        """A full build (the first one, or after the configuration changed)."""
        return self._rebuild(full=True, content_changed=True, what="built")

    def apply(self, changes: ChangeSet) -> bool:
        """Rebuild for one debounced change set; True when the build succeeded."""
        kinds = changes.kinds
        # A broken config.yaml is read again on every change until it loads: a build with
        # the old configuration must not pass for a good one.
        reload_config = "config" in kinds or self._config_failing
        if reload_config:
            try:
                self.config = self._load_config()
            except BriefingError as error:
                self._config_failing = True
                self._failed(error)
                return False
            self._config_failing = False
            self.env = make_environment(self.config.templates_dir)
        elif "template" in kinds:
            # A template added or deleted in the project changes which file (the project's
            # or the theme's) a name loads from, which Jinja's cache does not see.
            self.env = make_environment(self.config.templates_dir)
        names = ", ".join(sorted({Path(p).name for p, _ in changes.paths}))
        if self._touched is not None:
            self._touched |= touched_kinds(changes, self.config)
        return self._rebuild(
            full=reload_config,
            content_changed=reload_config or "content" in kinds or self._failing,
            what=f"rebuilt after changes to {names}",
        )

    def _rebuild(self, full: bool, content_changed: bool, what: str) -> bool:
        start = time.perf_counter()
        announced: set[str] = set()
        steps: list[WriteReport] = []

        def step_written(report: WriteReport) -> None:
            # Each early step is announced as it is written, each path once.
            fresh = tuple(path for path in report.changed if path not in announced)
            announced.update(report.changed)
            steps.append(report)
            self._announce(WriteReport(0, 0, 0, fresh))

        previous = None if full else self.last_good
        try:
            with no_collector_pauses():
                self.last_good, result = rebuild(
                    self.config,
                    previous,
                    self.env,
                    self.swap_guard,
                    content_changed=content_changed,
                    discard=_delete_in_background,
                    search_inline=False,
                    first=lambda path: path not in GATHERING_PAGES,
                    on_first=step_written,
                    unchanged=set(KIND_FOLDERS) - (self._touched or set(KIND_FOLDERS)),
                )
        except BriefingError as error:
            self._failing = True
            self._failed(error)
            return False
        self._failing = False
        self._touched = set()  # the next rebuild starts from this one
        self.rebuilds += 1
        changed = result.write.changed
        if previous is not None and changed:
            self._refresh_search_later()
        if steps:  # the early steps were announced as they were written: now the rest
            rest = tuple(path for path in result.write.changed if path not in announced)
            self._announce(WriteReport(0, 0, 0, rest))
        else:
            self._announce(result.write, full=previous is None)
        elapsed = (time.perf_counter() - start) * 1000
        self.log(
            f"{what} in {elapsed:.0f} ms: {result.rendered} of {result.pages} pages rendered, "
            f"{result.write.written} files written, {result.write.removed} removed"
        )
        return True

    def _announce(self, report: WriteReport, full: bool = False) -> None:
        """Tell the browser what a write changed: pages reload, a stylesheet is swapped,
        and a good build clears the error overlay. Called once per written step, so a
        page reloads as soon as its own step is on disk."""
        pages = [path for path in report.changed if not path.endswith(".css")]
        if pages:
            self.state.page_built([] if full else [p for p in pages if p.endswith(".html")])
        else:
            self.state.cleared()
            if report.changed:
                self.state.css_changed()

    def _refresh_search_later(self) -> None:
        """Re-index for search after the browser has its new page: indexing takes longer
        than the rebuild itself, and a search index a moment behind the page is fine."""
        self._index_wanted.set()
        if self._indexer is None:
            self._indexer = threading.Thread(target=self._index_forever, name="briefing-search", daemon=True)
            self._indexer.start()

    def _index_forever(self) -> None:
        while self._index_wanted.wait():
            # Wait for a pause in the saves: one index for a burst of edits, not one each.
            while True:
                self._index_wanted.clear()
                if not self._index_wanted.wait(INDEX_AFTER_IDLE):
                    break
            try:
                refresh_index(self.config.output_dir, self.swap_guard, background=True)
            except OSError as error:
                self.log(f"search index not refreshed: {error}")

    def _failed(self, error: BriefingError) -> None:
        report = error.report()
        print(report, file=sys.stderr, flush=True)
        self.state.failed(report)


def run_serve(config_path: Path, overrides: Overrides, host: str, port: int, open_browser: bool) -> int:
    """Build into the preview folder, serve it with live reload until Ctrl-C; returns the
    exit code. The configured output (`site/`) is neither read nor written.

    `overrides.out` is refused rather than obeyed: the preview's pages point at this
    server, so letting it choose the output would let it write them over the site that
    gets published, which is the very thing the preview folder is there to prevent.
    """
    if overrides.out is not None:
        raise BriefingError(
            [
                Problem(
                    Location("--out"),
                    "serve does not take --out: it builds into "
                    f"{PREVIEW_FOLDER.as_posix()}/ and never writes the site",
                    "drop --out; to write the site into a folder, run briefing build --out DIR "
                    "(add --watch to keep rebuilding it for a server of your own)",
                    code="BRF020",
                )
            ],
            summary="the preview server did not start",
        )
    state = PreviewState()
    address = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"
    # Served pages are local: absolute URLs (canonical links, the 404 page) point here,
    # which is why they are built into the preview folder and never into the site.
    local = Overrides(overrides.content, preview_folder(config_path), address)
    preview = LivePreview(config_path, local, state)
    try:
        # The name given to --host is the one other name the server answers to.
        server = PreviewServer((host, port), preview.config.output_dir, state, allowed_hosts=(host,))
    except OSError as error:
        if error.errno in (errno.EADDRINUSE, errno.EACCES):
            reason = "is already in use" if error.errno == errno.EADDRINUSE else "needs more privileges"
            raise BriefingError(
                [
                    Problem(
                        Location(f"{host}:{port}"),
                        f"port {port} {reason}",
                        f"stop the other server, or choose another port, e.g. --port {port + 1}",
                        code="BRF033",
                    )
                ],
                summary="the preview server could not start",
            ) from None
        raise
    preview.swap_guard = server.swap_lock
    preview.build_all()
    watcher = ProjectWatcher(preview.config, preview.apply)
    watcher.start()
    shown = relative_name(preview.config.output_dir, Path.cwd())
    print(f"serving {shown}/ at {address} with live reload; Ctrl-C to stop", flush=True)
    if open_browser:
        webbrowser.open(address)
    _interrupt_on_sigterm()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        state.stop()
        watcher.stop()
        server.server_close()
    print("stopped", flush=True)
    return 0


def run_watch(config_path: Path, overrides: Overrides) -> int:
    """Build, then rebuild on every change until Ctrl-C, without a server."""
    preview = LivePreview(config_path, overrides)
    preview.build_all()
    watcher = ProjectWatcher(preview.config, preview.apply)
    watcher.start()
    print(
        f"watching for changes, building into {preview.config.output_dir.name}/; Ctrl-C to stop", flush=True
    )
    _interrupt_on_sigterm()
    stop = threading.Event()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
    print("stopped", flush=True)
    return 0


def _delete_in_background(tree: Path) -> None:
    """The replaced output tree is deleted after the browser has been told to reload."""
    threading.Thread(target=shutil.rmtree, args=(tree,), kwargs={"ignore_errors": True}, daemon=True).start()


def _interrupt_on_sigterm() -> None:
    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
