"""Which files of a project are content: the folders, suffixes and ignored names that
the loader, the file watcher and the build cache all go by.

Standard library only: the build cache lists files before the heavy modules load.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

Kind = Literal["summit", "proposal", "stakeholder", "source"]

#: Content folder of each kind of YAML file.
KIND_FOLDERS: dict[Kind, str] = {
    "summit": "summits",
    "proposal": "proposals",
    "stakeholder": "stakeholders",
    "source": "sources",
}
YAML_SUFFIXES = (".yaml", ".yml")
BODY_SUFFIXES = (".txt", ".md")

#: What says a file is unchanged without reading it: (mtime, size, inode, ctime). The
#: change time is set by the kernel on every write, so an edit whose tool restores the
#: modification time (`cp -p`, `rsync -t`) still shows.
Stat = tuple[int, int, int, int]


def stat_signature(info: os.stat_result) -> Stat:
    """The `Stat` of a file's `os.stat` result."""
    return (info.st_mtime_ns, info.st_size, info.st_ino, info.st_ctime_ns)


def is_ignored(path: Path) -> bool:
    """Hidden files and editor leftovers (swap, backup, lock files) are not content."""
    return is_ignored_name(path.name)


def is_ignored_name(name: str) -> bool:
    """`is_ignored` for a bare file name."""
    return (
        name.startswith((".", "#", "~"))
        or name.endswith(("~", ".swp", ".swx", ".swo", ".tmp", ".bak"))
        or name == "4913"
    )


def files_below(folder: Path) -> list[str]:
    """Files below `folder` (hidden folders and editor files skipped), sorted."""
    files: list[str] = []
    for directory, subfolders, names in os.walk(folder):
        subfolders[:] = [d for d in subfolders if not d.startswith(".")]
        files += [os.path.join(directory, n) for n in names if not is_ignored_name(n)]
    return sorted(files)
