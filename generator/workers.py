"""Render pages on every core: a pool of forked worker processes.

Rendering is pure Python and the pages are independent, so a large build renders in
worker processes. They are forked after linking, so they inherit the linked site and
the compiled templates instead of receiving them through pickling; only the finished
bytes travel back. Where forking is unavailable, or the build is small, pages render in
this process. A worker that fails reports nothing back: the pages are then rendered
here, so that a template error is reported exactly as in a one-process build.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence

import jinja2

from generator.parallel import can_fork
from generator.render import OutputFile, PageJob

#: Below this many pages, starting processes costs more than it saves.
POOL_THRESHOLD = 400
_CHUNK = 48

# What the forked workers inherit: set just before the pool starts, cleared after.
_inherited: tuple[jinja2.Environment, Sequence[PageJob]] | None = None


def render_jobs(
    env: jinja2.Environment,
    jobs: Sequence[PageJob],
    processes: int = 1,
    threshold: int = POOL_THRESHOLD,
) -> Iterator[OutputFile]:
    """Render `jobs`, in `processes` forked workers when there are at least `threshold`
    of them; files come out as they are done (not in order), so the caller can write
    them while the rest render."""
    if processes < 2 or len(jobs) < threshold or not can_fork():
        yield from (job.render(env) for job in jobs)
        return
    global _inherited
    _inherited = (env, jobs)
    chunks = [range(start, min(start + _CHUNK, len(jobs))) for start in range(0, len(jobs), _CHUNK)]
    done: set[str] = set()
    try:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            _inherited = None  # the workers have their copy
            for files in pool.imap_unordered(_render_chunk, chunks):
                if files is None:
                    break
                done.update(file.path for file in files)
                yield from files
    finally:
        _inherited = None
    # After a failure, render the rest here, where an error is raised and reported as usual.
    yield from (job.render(env) for job in jobs if job.path not in done)


def _render_chunk(indexes: range) -> list[OutputFile] | None:
    assert _inherited is not None
    env, jobs = _inherited
    try:
        return [jobs[i].render(env) for i in indexes]
    except Exception:  # reported by rendering again in the parent
        return None
