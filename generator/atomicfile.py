"""Writing a file whole or not at all: a temporary file beside it, then one rename.

A reader (the browser through the preview server, an editor, the next build) sees the
old bytes or the new ones, never half a file, and a run killed mid-write leaves the old
file as it was. Every writer of the package that replaces or creates a file in place
goes through here: the build cache, incremental output updates, `briefing new` and the
schema headers it adds to content files.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path


def write_temporary(path: Path, data: bytes, durable: bool = False) -> Path:
    """A new file beside `path` holding `data`, for the caller to rename into place.

    Its name is hidden and ends in `.tmp`, so the content loader and the file watcher
    ignore it while it exists; it gets the usual permissions (0o666 less the umask).
    `durable` waits until the bytes are on disk (for a file the author wrote)."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return temp


def replace_file(path: Path, data: bytes, durable: bool = False) -> None:
    """Put `data` at `path` in one rename, keeping the permissions of a file it replaces."""
    temp = write_temporary(path, data, durable)
    try:
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
