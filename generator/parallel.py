"""Work split over the cores: forked workers that inherit what they need.

Workers are forked, so they start with a copy of everything this process holds (the
parsed content, the compiled templates) and receive only indexes; their results come
back pickled. This process takes a share of the work itself instead of waiting. Where
forking is unavailable, everything runs here.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import Any

# What the forked workers inherit: set just before they start, cleared after.
_inherited: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def default_processes() -> int:
    """One process per core this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def split_map(function: Callable[[Any], Any], items: Sequence[Any], processes: int) -> list[Any]:
    """`[function(item) for item in items]`, with the items split among `processes`
    processes (this one included); results are in the order of `items`."""
    if processes < 2 or len(items) < 2 or not can_fork():
        return [function(item) for item in items]
    global _inherited
    shares = [range(i, len(items), processes) for i in range(processes)]
    _inherited = (function, items)
    try:
        with multiprocessing.get_context("fork").Pool(processes - 1) as pool:
            others = pool.map_async(_run_share, shares[1:])
            mine = [function(items[i]) for i in shares[0]]
            results: list[Any] = [None] * len(items)
            for share, done in zip(shares, [mine, *others.get()], strict=True):
                for index, result in zip(share, done, strict=True):
                    results[index] = result
            return results
    finally:
        _inherited = None


def _run_share(share: range) -> list[Any]:
    assert _inherited is not None
    function, items = _inherited
    return [function(items[i]) for i in share]
