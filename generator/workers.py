"""Render pages on every core: a pool of forked worker processes.

Rendering is pure Python and the pages are independent, so a large build renders in
worker processes. They are forked after linking, so they inherit the linked site and
the compiled templates instead of receiving them through pickling; only the finished
bytes travel back. Where forking is unavailable, or the build is small, pages render in
this process. A worker that fails reports nothing back: the pages are then rendered
here, so that a template error is reported exactly as in a one-process build.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import jinja2

from generator.parallel import can_fork, fork_map
from generator.render import OutputFile, PageJob

#: Below this many pages, starting processes costs more than it saves.
POOL_THRESHOLD = 400
_CHUNK = 48


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
    done: set[str] = set()
    for _, files in fork_map(_PageRenderer(env), jobs, processes, _CHUNK):
        if any(file is None for file in files):
            break
        done.update(file.path for file in files)
        yield from files
    # After a failure, render the rest here, where an error is raised and reported as usual.
    yield from (job.render(env) for job in jobs if job.path not in done)


class _PageRenderer:
    """A page job's file, or None if rendering fails (reported by rendering it again here)."""

    def __init__(self, env: jinja2.Environment) -> None:
        self.env = env

    def __call__(self, job: PageJob) -> OutputFile | None:
        try:
            return job.render(self.env)
        except Exception:
            return None
