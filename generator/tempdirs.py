"""Temporary folders beside the site, marked as ours so that a killed run's leftovers can be removed.

A build stages the new site (and the search index) in a temporary folder next to the output
and renames it into place. A run killed with SIGKILL gets no chance to clean up, so its
folder stays. Each such folder therefore holds a marker file that its maker keeps locked
with `flock` for as long as it works there. The kernel drops the lock when the process
dies, however it dies, so the next run can tell a stale folder (marker present, lock
free) from a concurrent run's (lock held) and from someone else's (no marker), without
trusting PIDs, which the system reuses.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from pathlib import Path

#: The marker file inside every temporary folder we make; locked while its maker works there.
MARK = ".briefing-staging"

#: Marker descriptors this process holds, closed in forked children (see `_forget_in_child`).
_held: set[int] = set()


def _forget_in_child() -> None:
    """A forked worker must not keep its parent's marker locked after the parent dies.

    The lock belongs to the open file description, which a fork shares: a render worker
    orphaned by a killed build would otherwise make the build look alive for as long as
    the worker lingers. Closing the child's copy leaves the parent's lock in place.
    """
    for fd in _held:
        with contextlib.suppress(OSError):
            os.close(fd)
    _held.clear()


os.register_at_fork(after_in_child=_forget_in_child)


class MarkedDir:
    """A temporary folder of ours and the lock on its marker, held until `unmark` or `discard`."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def unmark(self) -> None:
        """Remove the marker, then release its lock: for a folder about to be published.

        The marker goes first, so a cleaner that gets the lock afterwards finds no marker
        at that path any more and leaves the folder alone.
        """
        with contextlib.suppress(FileNotFoundError):
            (self.path / MARK).unlink()
        self._release()

    def discard(self) -> None:
        """Delete the folder (its marker last, so an interrupted deletion can be finished
        by a later run), then release the lock."""
        remove_tree(self.path, last=MARK)
        self._release()

    def _release(self) -> None:
        if self._fd is not None:
            _held.discard(self._fd)
            os.close(self._fd)
            self._fd = None


def make_marked_dir(parent: Path, prefix: str) -> MarkedDir:
    """A new folder `prefix*` in `parent`, holding a marker this process keeps locked.

    The marker is created and locked under another name and only then renamed to `MARK`,
    so no cleaner ever sees an unlocked marker in a live folder. A run killed before the
    rename leaves at most an empty folder without a marker, which is never taken for ours.
    """
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    pending = path / (MARK + ".new")
    fd = os.open(pending, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a fresh file: nobody else can hold it
        os.rename(pending, path / MARK)
    except BaseException:
        os.close(fd)
        shutil.rmtree(path, ignore_errors=True)
        raise
    _held.add(fd)
    return MarkedDir(path, fd)


def remove_stale(parent: Path, pattern: str) -> list[Path]:
    """Delete the folders `pattern` in `parent` that a dead run of ours left; returns them.

    A folder is deleted only if it holds the marker and the marker's lock can be taken:
    one without the marker is not ours, one whose lock is held belongs to a run still
    going. Symbolic links are never followed.
    """
    removed: list[Path] = []
    for folder in sorted(parent.glob(pattern)):
        if folder.is_symlink() or not folder.is_dir():
            continue
        marker = folder / MARK
        try:
            fd = os.open(marker, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue  # no marker: not ours (or it has just gone)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its maker is alive
            if not _still_named(marker, fd):
                continue  # its maker unmarked it just now, to publish it
            remove_tree(folder, last=MARK)
            removed.append(folder)
        finally:
            os.close(fd)
    return removed


def remove_tree(folder: Path, last: str) -> None:
    """Delete `folder`, its entry `last` after everything else.

    `last` is what marks the folder as ours: a deletion cut short keeps it, so the next
    run still recognises the rest as ours and finishes the job.
    """
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if entry.name == last:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
    with contextlib.suppress(OSError):
        (folder / last).unlink()
    with contextlib.suppress(OSError):
        folder.rmdir()


def _still_named(marker: Path, fd: int) -> bool:
    """Whether `marker` still names the file open as `fd` (not unlinked since we opened it)."""
    try:
        named = os.stat(marker, follow_symlinks=False)
    except OSError:
        return False
    opened = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)
