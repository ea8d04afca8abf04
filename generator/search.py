"""Full-text search with Pagefind: a static index built after every build.

Pagefind (its binary ships in the `pagefind[bin]` wheel) reads the built pages and
writes a search bundle of small files the browser fetches on demand, so search works
offline, from any sub-path and without a server. Pages mark what to index
(`data-pagefind-body`) and their kind as a filter (`data-pagefind-filter`).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from contextlib import AbstractContextManager
from pathlib import Path

from generator.tempdirs import make_marked_dir, remove_stale

#: Folder of the search bundle inside the site.
BUNDLE = "pagefind"


def index_site(site_dir: Path, output: Path, background: bool = False) -> None:
    """Index the pages of `site_dir` into the bundle folder `output`; in the `background`,
    at the lowest CPU priority, so that it never slows a rebuild the author waits for."""
    from pagefind.service import get_executable  # it loads asyncio: only when indexing

    binary = get_executable()
    if binary is None:
        raise OSError("the Pagefind binary is missing: reinstall with `pip install 'pagefind[bin]'`")
    run = subprocess.run(
        [str(binary), "--site", str(site_dir), "--output-path", str(output), "--silent"],
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=(lambda: os.nice(19)) if background and hasattr(os, "nice") else None,
    )
    if run.returncode != 0:
        raise OSError(f"Pagefind could not index the site: {run.stderr.strip() or run.stdout.strip()}")


def refresh_index(
    site_dir: Path, swap_guard: AbstractContextManager[object] | None = None, background: bool = False
) -> None:
    """Rebuild the bundle of a live site: index into a new folder, then swap it in under
    `swap_guard`, so the browser never loads half an index.

    The new folder beside the site is marked and locked like a staging folder (see
    `generator.tempdirs`), so the folders of refreshes that were killed are deleted here
    first, while those of a refresh still running, and anything not ours, are left alone.
    """
    remove_stale(site_dir.parent, f".{BUNDLE}-*")
    marked = make_marked_dir(site_dir.parent, f".{BUNDLE}-")
    fresh = marked.path
    try:
        index_site(site_dir, fresh / BUNDLE, background)
        retired = fresh / "retired"
        with swap_guard or contextlib.nullcontext():
            if (site_dir / BUNDLE).exists():
                (site_dir / BUNDLE).rename(retired)
            (fresh / BUNDLE).rename(site_dir / BUNDLE)
    finally:
        marked.discard()
