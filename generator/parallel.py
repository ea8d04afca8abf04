"""Work split over the cores: one pool of forked workers that inherit what they need.

The workers are forked, so they start with a copy of everything this process holds (the
parsed content, the compiled templates); they are handed the function and the items
once, when they start, and afterwards receive only ranges of indexes, so only results
travel back (pickled). Where forking is unavailable, everything runs here.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

#: In each worker only: the function and the items it was started with (see `_inherit`).
_task: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def default_processes() -> int:
    """One process per core this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


@contextlib.contextmanager
def forked(
    function: Callable[[Any], Any], items: Sequence[Any], workers: int
) -> Iterator[Callable[[range], Future[list[Any]]]]:
    """A pool of `workers` forked processes that know `function` and `items`; yields
    `submit(indexes)`, whose future holds `function` of those items."""
    context = multiprocessing.get_context("fork")
    # Forked, the workers get `initargs` by inheritance, never by pickling.
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_inherit, initargs=(function, items)
    ) as pool:
        submitted: list[Future[list[Any]]] = []

        def submit(indexes: range) -> Future[list[Any]]:
            submitted.append(pool.submit(_run, indexes))
            return submitted[-1]

        try:
            yield submit
        finally:
            for future in submitted:  # the caller stopped early, or a chunk failed
                future.cancel()


def fork_map(
    function: Callable[[Any], Any], items: Sequence[Any], workers: int, chunk: int
) -> Iterator[tuple[range, list[Any]]]:
    """`function` of each item in `workers` forked processes, `chunk` items at a time:
    (indexes, results) as each chunk is done, in no particular order.

    A function that raises in a worker raises here, when its chunk's results are taken."""
    chunks = [range(start, min(start + chunk, len(items))) for start in range(0, len(items), chunk)]
    if workers < 1 or not can_fork():
        for indexes in chunks:
            yield indexes, [function(items[i]) for i in indexes]
        return
    with forked(function, items, workers) as submit:
        pending = {submit(indexes): indexes for indexes in chunks}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield pending.pop(future), future.result()


def split_map(function: Callable[[Any], Any], items: Sequence[Any], processes: int) -> list[Any]:
    """`[function(item) for item in items]`, with the items shared among `processes`
    processes, this one included; results are in the order of `items`."""
    if processes < 2 or len(items) < 2 or not can_fork():
        return [function(item) for item in items]
    shares = [range(i, len(items), processes) for i in range(processes)]
    results: list[Any] = [None] * len(items)
    with forked(function, items, processes - 1) as submit:
        others = [(share, submit(share)) for share in shares[1:]]
        for index in shares[0]:  # this process's own share, while the others run
            results[index] = function(items[index])
        for share, future in others:
            for index, result in zip(share, future.result(), strict=True):
                results[index] = result
    return results


def _inherit(function: Callable[[Any], Any], items: Sequence[Any]) -> None:
    global _task
    _task = (function, items)


def _run(indexes: range) -> list[Any]:
    assert _task is not None, "a worker runs only what it inherited"
    function, items = _task
    return [function(items[i]) for i in indexes]
