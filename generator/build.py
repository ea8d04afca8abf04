"""The whole build: load → validate → link → render → write.

Everything is read and resolved before anything is written (a build that finds a
problem writes nothing), and problems of all stages up to the first failing one are
reported together. Given the state of the last good build, a rebuild re-renders only
the pages whose inputs changed (see `generator.deps`) and carries the others over.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import itertools
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta

from generator.config import Config
from generator.contentfiles import Kind
from generator.deps import changed_inputs, record_inputs, stale_pages
from generator.errors import BriefingError, Location, Problem, relative_name
from generator.link import LinkedSite, claims_of, link
from generator.load import LoadedContent, load_content
from generator.parallel import default_processes
from generator.render import (
    Input,
    OutputFile,
    PageJob,
    edited_entity_jobs,
    make_environment,
    page_jobs,
    static_files,
)
from generator.search import BUNDLE, index_site, refresh_index
from generator.validate import ValidatedContent, validate
from generator.views import view_jobs
from generator.workers import render_jobs
from generator.write import MANIFEST, WriteReport, check_output_dir, update_site, write_site

#: At most this many pages of edited records go ahead of the rest (see `rebuild`).
EARLY_PAGES = 8


@dataclass(frozen=True)
class BuildState:
    """What a rebuild needs to know about the last good build."""

    site: LinkedSite
    #: The content as loaded and validated, whose results the next build reuses.
    loaded: LoadedContent
    validated: ValidatedContent
    #: The value of every record input (see `generator.deps.record_inputs`).
    records: Mapping[Input, Any]
    #: Inputs of each output page, templates included.
    inputs: Mapping[str, frozenset[Input]]
    #: Digest of each template's source, by template name.
    templates: Mapping[str, str]
    #: Each template and the templates it extends, includes or imports.
    closure: Mapping[str, set[str]]
    #: Every file of the output.
    outputs: frozenset[str]


@dataclass(frozen=True)
class BuildResult:
    """Counts and timings of a successful build."""

    pages: int
    rendered: int
    summaries: int
    sources: int
    citations: int
    write: WriteReport
    seconds: dict[str, float] = field(default_factory=dict)
    #: HTML pages by the kind of thing they show ("source", ..., "other").
    pages_by_kind: dict[str, int] = field(default_factory=dict)


def load_site(
    config: Config,
    previous: BuildState | None = None,
    lap: Callable[[str], None] | None = None,
    unchanged: Collection[Kind] = (),
    processes: int = 1,
) -> tuple[LinkedSite, LoadedContent, ValidatedContent]:
    """Load, check and link the content; raise BriefingError with every problem found.

    Files unchanged since `previous` are neither parsed nor validated again, and the
    folders of the `unchanged` kinds are not even read (see `load_content`); a first
    load parses in `processes` processes. `lap` is told when each stage ends.
    """
    lap = lap or (lambda stage: None)
    problems: list[Problem] = check_output_dir(config.output_dir, config.root, sources_of(config))
    patterns = config.site.trailer_patterns
    before = previous.loaded if previous is not None else None
    loaded, found = load_content(config.content_dir, config.root, patterns, before, unchanged, processes)
    lap("load")
    validated, more = validate(loaded, previous.validated if previous is not None else None)
    lap("validate")
    site, linked = link(validated, config.site, previous.site if previous is not None else None)
    lap("link")
    problems += found + more + linked
    if problems:
        raise BriefingError(problems)
    return site, loaded, validated


@contextlib.contextmanager
def no_collector_pauses() -> Iterator[None]:
    """Pause Python's cycle collector while a build runs.

    A build allocates hundreds of thousands of long-lived objects and frees them by
    reference counting; the collector would walk them again and again (half the time of
    loading 4,000 sources). It runs normally once the build is over.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build(config: Config, search: bool = True) -> BuildResult:
    """A full build of the site into `config.output_dir` (with its search index unless
    `search` is off)."""
    with no_collector_pauses():
        return rebuild(config, search=search, processes=default_processes())[1]


def rebuild(
    config: Config,
    previous: BuildState | None = None,
    env: jinja2.Environment | None = None,
    swap_guard: AbstractContextManager[object] | None = None,
    content_changed: bool = True,
    discard: Callable[[Path], None] | None = None,
    search: bool = True,
    search_inline: bool = True,
    first: Callable[[str], bool] | None = None,
    on_first: Callable[[WriteReport], None] | None = None,
    processes: int = 1,
    progress: Callable[[int, int], None] | None = None,
    unchanged: Collection[Kind] = (),
    on_state: Callable[[BuildState], None] | None = None,
) -> tuple[BuildState, BuildResult]:
    """Build the site into `config.output_dir`, incrementally when `previous` is given.

    With `content_changed` off (only templates or static files changed), the content is
    not read again and the previous linked site is reused. `swap_guard` and `discard`
    are handed to `write_site`. The search index is rebuilt with the site unless `search`
    is off; with `search_inline` off, only a full build indexes (the preview refreshes the
    index in the background after an incremental rebuild).
    An incremental rebuild may go in two steps: the stale pages `first` selects are
    written, `on_first` is told (the preview reloads the pages it changed), then the
    rest (large pages that gather everything, such as the briefing book) follow.
    A full build renders in `processes` workers and tells `progress` (pages done, of
    how many) as it goes. The content folders of the `unchanged` kinds are taken from
    `previous` without reading them. `on_state` gets the new state once the pages are
    written (and before the search index is built, so that the two can overlap).
    """
    clock = _Clock()
    if previous is not None and not (config.output_dir / MANIFEST).is_file():
        previous = None  # the output was deleted or replaced since: build it whole
    if previous is not None and not content_changed:
        site, loaded, validated = previous.site, previous.loaded, previous.validated
    else:
        site, loaded, validated = load_site(
            config, previous, clock.lap, unchanged if previous else (), processes
        )
    env = env or make_environment(config.templates_dir)
    try:
        templates = _template_digests(env)
        same = previous is not None and previous.templates == templates
        closure = previous.closure if previous is not None and same else _template_closure(env)
    except jinja2.TemplateError as error:
        raise template_problem(error, config) from None
    clock.lap("plan")
    early = WriteReport(0, 0, 0)
    if previous is not None and on_first is not None and content_changed and same:
        # The pages of the records just saved go first, before planning the rest: the
        # author is looking at one of them. The plan renders them again, to the same bytes.
        edited = edited_entity_jobs(site, previous.site)
        if 0 < len(edited) <= EARLY_PAGES:
            files = render_pages(env, edited, config)
            early = update_site(files, (), config.output_dir, config.root, sources_of(config), swap_guard)
            on_first(early)
            clock.lap("render")
    jobs = page_jobs(site, view_jobs(site))
    records = record_inputs(site)
    inputs = {
        path: job.inputs | {("template", t) for t in closure.get(job.template, ())}
        for path, job in jobs.items()
    }
    if previous is None:
        wanted = set(jobs)
    else:
        changed = changed_inputs(previous.records, records) | {
            ("template", name)
            for name in templates.keys() | previous.templates.keys()
            if templates.get(name) != previous.templates.get(name)
        }
        wanted = stale_pages(previous.inputs, inputs, changed)
    clock.lap("plan")
    later = {path for path in wanted if first is not None and previous is not None and not first(path)}
    assets = static_files(config.templates_dir)
    sources = sources_of(config)
    outputs = frozenset(jobs) | {a.path for a in assets}
    state = BuildState(site, loaded, validated, records, inputs, templates, closure, outputs)
    if previous is None:

        def index_staging(staging: Path) -> None:
            clock.lap("render, write")
            if on_state is not None:  # the caller's work on the state overlaps the indexing
                on_state(state)
            index_site(staging, staging / BUNDLE)

        # Pages are written as the workers finish them: rendering and writing overlap.
        stream = render_jobs(env, [jobs[path] for path in sorted(wanted)], processes)
        if progress is not None:
            stream = _reporting(stream, len(wanted), progress)
        try:
            report = write_site(
                itertools.chain(assets, stream),
                config.output_dir,
                config.root,
                sources,
                swap_guard=swap_guard,
                discard=discard,
                prepare=index_staging if search else None,
            )
        except jinja2.TemplateError as error:
            raise template_problem(error, config) from None
        clock.lap("search index" if search else "render, write")
        rendered = _html_count(wanted)
    else:
        pages = render_pages(env, [jobs[path] for path in sorted(wanted - later)], config)
        rendered = _html_count(page.path for page in pages)
        clock.lap("render")
        remove = previous.outputs - set(jobs) - {a.path for a in assets}
        report = update_site(pages + assets, remove, config.output_dir, config.root, sources, swap_guard)
        report = _merged(early, report)
        if later:
            if on_first is not None:
                on_first(report)
            rest = render_pages(env, [jobs[path] for path in sorted(later)], config)
            rendered += _html_count(page.path for page in rest)
            second = update_site(rest, (), config.output_dir, config.root, sources, swap_guard)
            report = _merged(report, second)
        clock.lap("write")
        if search and search_inline and report.changed:
            refresh_index(config.output_dir, swap_guard)
            clock.lap("search index")
    if on_state is not None and not (previous is None and search):
        on_state(state)
    result = BuildResult(
        pages=sum(1 for path in jobs if path.endswith(".html")),
        rendered=rendered,
        summaries=len(site.summits) + len(site.proposals) + len(site.stakeholders),
        sources=len(site.sources),
        citations=count_citations(site),
        write=report,
        seconds=clock.laps,
        pages_by_kind=pages_by_kind(jobs),
    )
    return state, result


def pages_by_kind(paths: Iterable[str]) -> dict[str, int]:
    """HTML pages counted by kind: entity pages by their section, the rest as "other"."""
    kinds = {"summits": "summit", "proposals": "proposal", "stakeholders": "stakeholder", "sources": "source"}
    counts = dict.fromkeys([*kinds.values(), "other"], 0)
    for path in paths:
        if path.endswith(".html"):
            parts = path.split("/")
            counts[kinds.get(parts[0], "other") if len(parts) == 3 else "other"] += 1
    return counts


def render_pages(env: jinja2.Environment, jobs: list[PageJob], config: Config) -> list[OutputFile]:
    """Render `jobs`; a broken template is a problem at its file and line, not a crash."""
    try:
        return [job.render(env) for job in jobs]
    except jinja2.TemplateError as error:
        raise template_problem(error, config) from None


def template_problem(error: jinja2.TemplateError, config: Config) -> BriefingError:
    """A template error as a problem with the template's file (and line, when known)."""
    name = getattr(error, "name", None) or ""
    file = relative_name(config.templates_dir / name, config.root)
    if isinstance(error, jinja2.TemplateSyntaxError):
        where = Location(file, error.lineno or 0, 1 if error.lineno else 0)
        return BriefingError(
            [Problem(where, f"template syntax error: {error.message}", "fix the template", code="BRF030")]
        )
    return BriefingError(
        [Problem(Location(file), f"template error: {error}", "fix the template", code="BRF030")]
    )


def count_citations(site: LinkedSite) -> int:
    """Citations in all summaries (each one verified by `link`)."""
    return sum(
        len(claim.cite)
        for group in (site.summits, site.proposals, site.stakeholders)
        for model in group
        for _, claim in claims_of(model)
    )


def build_site(config: Config) -> tuple[LinkedSite, list[OutputFile]]:
    """The linked site and every output file of a full build, in memory; writes nothing."""
    site, _, _ = load_site(config)
    env = make_environment(config.templates_dir)
    pages = render_pages(env, [job for _, job in sorted(page_jobs(site, view_jobs(site)).items())], config)
    return site, pages + static_files(config.templates_dir)


def _template_digests(env: jinja2.Environment) -> dict[str, str]:
    assert env.loader is not None
    digests = {}
    for name in env.list_templates(filter_func=lambda n: n.endswith(".html")):
        source, _, _ = env.loader.get_source(env, name)
        digests[name] = hashlib.sha256(source.encode()).hexdigest()
    return digests


def _template_closure(env: jinja2.Environment) -> dict[str, set[str]]:
    """For each template, itself and every template it extends, includes or imports."""
    assert env.loader is not None
    direct: dict[str, set[str]] = {}
    for name in env.list_templates(filter_func=lambda n: n.endswith(".html")):
        source, _, _ = env.loader.get_source(env, name)
        parsed = env.parse(source, name=name)
        direct[name] = {ref for ref in meta.find_referenced_templates(parsed) if ref}
    closure = {}
    for name in direct:
        seen, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(direct.get(current, ()))
        closure[name] = seen
    return closure


def _merged(before: WriteReport, after: WriteReport) -> WriteReport:
    """Two steps of one in-place update as one report: what the earlier step wrote, the
    later one counted as unchanged."""
    return WriteReport(
        before.written + after.written,
        after.unchanged - before.written,
        before.removed + after.removed,
        tuple(sorted({*before.changed, *after.changed})),
    )


def sources_of(config: Config) -> tuple[Path, Path]:
    """The folders a build reads, which its output may not overlap."""
    return (config.content_dir, config.templates_dir)


def _html_count(paths: Iterable[str]) -> int:
    return sum(1 for path in paths if path.endswith(".html"))


def _reporting(
    files: Iterator[OutputFile], total: int, progress: Callable[[int, int], None]
) -> Iterator[OutputFile]:
    for done, file in enumerate(files, 1):
        progress(done, total)
        yield file


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        """Add the time since the last lap to `stage` (a stage may come in parts)."""
        now = time.perf_counter()
        self.laps[stage] = self.laps.get(stage, 0.0) + now - self._last
        self._last = now
